"""Opening study storages, and which RUNNING trials count as dead (their process gone here,
or never started)."""

from __future__ import annotations

import os
import sqlite3

import optuna
from hpo_helpers import dead_pid

from resume_ner.config.hpo import HpoConfig
from resume_ner.hpo.storage import (
    HOST_ATTR,
    PID_ATTR,
    is_dead_local_trial,
    open_existing_storage,
    open_storage,
)


def _running(**attrs) -> optuna.trial.FrozenTrial:
    study = optuna.create_study()
    trial = study.ask()
    for name, value in attrs.items():
        trial.set_user_attr(name, value)
    return study.trials[0]


HERE = "this-machine"


def test_a_trial_of_a_gone_process_here_is_dead_and_of_a_live_one_is_not():
    assert is_dead_local_trial(_running(**{HOST_ATTR: HERE, PID_ATTR: dead_pid()}), HERE)
    assert not is_dead_local_trial(_running(**{HOST_ATTR: HERE, PID_ATTR: os.getpid()}), HERE)


def test_a_trial_of_another_host_is_left_to_the_heartbeat():
    assert not is_dead_local_trial(_running(**{HOST_ATTR: "elsewhere", PID_ATTR: dead_pid()}), HERE)


def test_a_trial_that_never_recorded_its_process_is_dead_only_after_the_grace_period():
    trial = _running()
    assert not is_dead_local_trial(trial, HERE)
    assert not is_dead_local_trial(trial, HERE, grace_period_s=60)
    assert is_dead_local_trial(trial, HERE, grace_period_s=-1)


def test_a_look_at_a_storage_that_does_not_exist_creates_nothing_and_finds_no_study(tmp_path):
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    assert open_existing_storage(url, HpoConfig()) is None
    assert not (tmp_path / "optuna.db").exists()


def test_a_database_without_optunas_tables_holds_no_study_yet(tmp_path):
    url = f"sqlite:///{tmp_path / 'other.db'}"
    with sqlite3.connect(tmp_path / "other.db") as conn:
        conn.execute("CREATE TABLE unrelated (x INTEGER)")
    assert open_existing_storage(url, HpoConfig()) is None


def test_a_storage_opened_once_is_found_by_a_read_only_look(tmp_path):
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    open_storage(url, HpoConfig()).create_new_study([optuna.study.StudyDirection.MAXIMIZE], "s")
    found = open_existing_storage(url, HpoConfig())
    assert [s.study_name for s in found.get_all_studies()] == ["s"]


def test_processes_opening_a_new_storage_at_once_all_find_it_ready(tmp_path):
    import multiprocessing

    from hpo_helpers import open_new_storage

    context = multiprocessing.get_context("spawn")
    start, out = context.Barrier(7), context.Queue()
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    processes = [context.Process(target=open_new_storage, args=(url, start, out)) for _ in range(6)]
    for process in processes:
        process.start()
    start.wait(timeout=120)
    results = [out.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert results == ["ok"] * 6
