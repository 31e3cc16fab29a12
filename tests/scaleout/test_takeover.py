"""The owner of a sweep dies for good; a process of another machine takes the sweep over.

The study and the SQL index are on PostgreSQL, runs on an ``mlflow server``. The owner's
process group is killed with SIGKILL mid-trial; after the grace period the same command runs
with another host identity (``RESUME_NER_HOST``), as on a second machine, where the dead
owner's pid means nothing: only its silent heartbeat tells that it is gone. About 1-2 minutes
on 2 cores.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

import pytest
from hpo_helpers import cli_command, runs_by_stage, write_config_dir
from mlflow.tracking import MlflowClient
from sqlalchemy import create_engine

from resume_ner.config.hpo import load_hpo_config
from resume_ner.config.tags import load_tags_config
from resume_ner.hpo.storage import RUN_ID_ATTR, open_storage
from resume_ner.hpo.study import count_trials, load_existing_study
from resume_ner.naming.tags import TagsRegistry
from resume_ner.tracking.index.base import utc_now_iso
from resume_ner.tracking.index.sql import SqlIndexBackend, reservations_table
from resume_ner.tracking.liveness import HOST_ENV

pytestmark = [pytest.mark.postgres, pytest.mark.server]

TARGET = 4
GRACE_S = 10
SECOND_MACHINE = "second-machine"
#: Long enough for the interpreter, torch and a first trial of the tiny model on a busy machine.
WAIT_FOR_A_TRIAL_S = 300.0
SWEEP_TIMEOUT_S = 600


def _study(project):
    storage = open_storage(project.study_storage, load_hpo_config(project.config_dir))
    summaries = storage.get_all_studies()
    return load_existing_study(storage, summaries[0].study_name) if summaries else None


def _owner_mid_trial(project):
    """A RUNNING trial with its run, after at least one finished trial; else ``None``."""
    study = _study(project)
    if study is None or count_trials(study).finished < 1:
        return None
    running = [t for t in study.get_trials(deepcopy=False) if t.state.name == "RUNNING"]
    return next((t for t in running if t.user_attrs.get(RUN_ID_ATTR)), None)


def _hold_reservation_for(project, host: str, pid: int) -> None:
    """A run-name version the owner reserved and never committed (killed in between)."""
    engine = create_engine(project.index_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                reservations_table.insert().values(
                    counter_key="so|hpo_trial|held-by-the-dead-owner|local",
                    version=1,
                    run_id=None,
                    host=host,
                    pid=pid,
                    reserved_at=utc_now_iso(),
                )
            )
    finally:
        engine.dispose()


def test_a_silent_owner_on_another_machine_loses_the_sweep_to_the_next_command(
    scaleout_project, tmp_path
):
    project = scaleout_project
    write_config_dir(
        project.config_dir,
        hpo={
            "storage": project.study_storage,
            "n_trials": TARGET,
            "heartbeat_interval_s": 1,
            "grace_period_s": GRACE_S,
            "cv": {"k_folds": 2, "seed": 42},
        },
    )
    command = cli_command(
        "--root", str(project.root), "--config-dir", str(project.config_dir), "hpo"
    )
    owner_log = tmp_path / "owner.log"
    with owner_log.open("wb") as log:
        owner = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + WAIT_FOR_A_TRIAL_S
        victim = None
        while victim is None:
            assert owner.poll() is None, owner_log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the owner never ran a trial"
            time.sleep(0.2)
            victim = _owner_mid_trial(project)
        _hold_reservation_for(project, socket.gethostname(), owner.pid)
    finally:
        os.killpg(owner.pid, signal.SIGKILL)
        owner.wait()
    time.sleep(GRACE_S + 2)

    second = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=SWEEP_TIMEOUT_S,
        env={**os.environ, HOST_ENV: SECOND_MACHINE},
    )

    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    study = _study(project)
    counts = count_trials(study)
    assert (counts.finished, counts.running, counts.waiting) == (TARGET, 0, 0), counts
    assert study.trials[victim.number].state.name == "FAIL"

    registry = TagsRegistry(load_tags_config())
    client = MlflowClient(tracking_uri=project.tracking_uri)
    experiment = client.get_experiment_by_name(project.experiment_name())
    runs = runs_by_stage(client, [experiment.experiment_id], registry)
    everything = [run for group in runs.values() for run in group]
    host_key, pid_key = registry.key("process", "host"), registry.key("process", "pid")
    [sweep] = runs["hpo_sweep"]
    assert sweep.info.status == "FINISHED"
    assert sweep.data.tags[host_key] == SECOND_MACHINE
    assert sweep.data.tags[registry.key("hpo", "resumed")] == "true"
    [refit] = runs["hpo_refit"]
    assert refit.info.status == "FINISHED" and refit.data.tags[host_key] == SECOND_MACHINE
    assert not [run.info.run_name for run in everything if run.info.status == "RUNNING"]
    names = [run.info.run_name for run in everything]
    assert len(names) == len(set(names))

    killed_trial = client.get_run(victim.user_attrs[RUN_ID_ATTR])
    assert killed_trial.info.status == "KILLED"
    interrupted = registry.key("process", "interrupted")
    assert killed_trial.data.tags[interrupted] == "true"
    owners_unfinished = [
        run
        for run in everything
        if run.data.tags.get(pid_key) == str(owner.pid) and run.info.status != "FINISHED"
    ]
    assert owners_unfinished and all(
        run.info.status == "KILLED" and run.data.tags.get(interrupted) == "true"
        for run in owners_unfinished
    )
    finished = {run.info.run_id for run in runs["hpo_trial"] if run.info.status == "FINISHED"}
    done = [t for t in study.trials if t.state.name == "COMPLETE"]
    assert finished == {t.user_attrs[RUN_ID_ATTR] for t in done}

    backend = SqlIndexBackend(project.index_url)
    try:
        assert not [r for r in backend.list_reservations() if r.pid == owner.pid]
    finally:
        backend.close()
