"""Waiting for other workers: a dead worker's trial is failed and re-queued atomically."""

from __future__ import annotations

import socket

import pytest
from hpo_helpers import dead_pid

from resume_ner.config.hpo import HpoConfig
from resume_ner.hpo.budget import TrialBudget, budget_lock_name
from resume_ner.hpo.storage import HOST_ATTR, PID_ATTR, open_storage
from resume_ner.hpo.study import open_study
from resume_ner.hpo.workers import wait_for_running_trials
from resume_ner.tracking.index.sql import SqlIndexBackend


def _backend(tmp_path) -> SqlIndexBackend:
    return SqlIndexBackend(f"sqlite:///{tmp_path / 'index.db'}")


class _NoTrialMayStart:
    """An objective for a full budget: never called, nothing to write."""

    def __call__(self, trial):
        raise AssertionError("the budget is full: no trial may start")

    def finish_tracking(self) -> None:
        pass


def test_a_dead_workers_trial_is_failed_and_requeued_while_no_worker_can_claim(tmp_path):
    """Otherwise a worker claiming in between counts the trial as gone before its retry
    exists, starts a new trial in its place, and the retry stays WAITING for ever."""
    hpo = HpoConfig()
    storage = open_storage(f"sqlite:///{tmp_path / 'study.db'}", hpo)
    study = open_study(storage, "study", hpo)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    orphan = study.ask()
    orphan.suggest_float("x", 0, 1)
    orphan.set_user_attr(HOST_ATTR, socket.gethostname())
    orphan.set_user_attr(PID_ATTR, dead_pid())
    backend = _backend(tmp_path)
    claims_while_failing: list[bool] = []

    def try_to_claim(trial, cause):
        other = backend.lock(budget_lock_name(study.study_name), timeout_s=0)
        try:
            other.acquire()
        except TimeoutError:
            claims_while_failing.append(False)
        else:
            other.release()
            claims_while_failing.append(True)

    budget = TrialBudget.in_backend(study, 1, backend)
    wait_for_running_trials(
        study,
        storage,
        hpo,
        _NoTrialMayStart(),
        budget,
        host=socket.gethostname(),
        on_failed_trial=try_to_claim,
        poll_s=0.01,
    )

    assert claims_while_failing == [False]
    states = [t.state.name for t in study.get_trials(deepcopy=False)]
    assert states == ["COMPLETE", "FAIL", "WAITING"]


def test_the_budget_lock_held_exclusively_blocks_claims(tmp_path):
    backend = _backend(tmp_path)
    study = open_study(
        open_storage(f"sqlite:///{tmp_path / 's.db'}", HpoConfig()), "s", HpoConfig()
    )
    other = backend.lock(budget_lock_name("s"), timeout_s=0)
    with TrialBudget.in_backend(study, 5, backend).exclusive(), pytest.raises(TimeoutError):
        other.acquire()
    assert TrialBudget.in_backend(study, 5, backend).claim()
