"""``resume-ner hpo --workers 4`` on PostgreSQL and an ``mlflow server`` backed by PostgreSQL.

Real training of the tiny model in 4 worker processes (plus the sweep's owner), sharing one
Optuna study on PostgreSQL through its heartbeat, and one MLflow server. Each test takes about
1-2 minutes on 2 cores: five interpreters import torch, 6-7 trials of 2 folds train.
"""

from __future__ import annotations

import subprocess
import time

import pytest
from hpo_helpers import cli_command, kill, runs_by_stage
from mlflow.tracking import MlflowClient

from resume_ner.config.hpo import load_hpo_config
from resume_ner.config.tags import load_tags_config
from resume_ner.hpo.storage import PID_ATTR, RUN_ID_ATTR, open_storage
from resume_ner.hpo.study import count_trials, load_existing_study
from resume_ner.naming.tags import TagsRegistry

pytestmark = [pytest.mark.postgres, pytest.mark.server]

TARGET = 6
WORKERS = 4
N_FOLDS = 2
SWEEP_TIMEOUT_S = 600
#: Long enough for five interpreters to import torch on a busy 2-core machine.
WAIT_FOR_A_WORKER_TRIAL_S = 240.0


def _hpo_command(project) -> list[str]:
    return cli_command(
        "--root", str(project.root), "--config-dir", str(project.config_dir),
        "hpo", "--workers", str(WORKERS), "--n-trials", str(TARGET),
    )  # fmt: skip


def _study(project):
    storage = open_storage(project.study_storage, load_hpo_config(project.config_dir))
    [summary] = storage.get_all_studies()
    return load_existing_study(storage, summary.study_name)


def _runs(project) -> tuple[dict[str, list], list]:
    client = MlflowClient(tracking_uri=project.tracking_uri)
    experiment = client.get_experiment_by_name(project.experiment_name())
    grouped = runs_by_stage(client, [experiment.experiment_id], TagsRegistry(load_tags_config()))
    return grouped, [run for group in grouped.values() for run in group]


def _assert_one_finished_run_per_trial_with_its_folds(project, study) -> None:
    registry = TagsRegistry(load_tags_config())
    runs, everything = _runs(project)
    complete = [t for t in study.trials if t.state.name == "COMPLETE"]
    trial_runs = {run.info.run_id: run for run in runs["hpo_trial"]}
    finished = [run for run in trial_runs.values() if run.info.status == "FINISHED"]
    assert sorted(t.user_attrs[RUN_ID_ATTR] for t in complete) == sorted(
        run.info.run_id for run in finished
    )
    number = registry.key("hpo", "trial_number")
    assert sorted(int(run.data.tags[number]) for run in finished) == sorted(
        t.number for t in complete
    )
    parent = registry.key("mlflow", "parent_run_id")
    for run in finished:
        folds = [f for f in runs["hpo_trial_fold"] if f.data.tags[parent] == run.info.run_id]
        assert sorted(f.info.status for f in folds) == ["FINISHED"] * N_FOLDS
    assert len(runs["hpo_sweep"]) == 1 and runs["hpo_sweep"][0].info.status == "FINISHED"
    assert [run.info.status for run in runs["hpo_refit"]] == ["FINISHED"]
    assert not [run.info.run_name for run in everything if run.info.status == "RUNNING"]
    names = [run.info.run_name for run in everything]
    assert len(names) == len(set(names))


def test_four_workers_reach_exactly_the_target_with_one_run_per_trial(scaleout_project):
    result = subprocess.run(
        _hpo_command(scaleout_project), capture_output=True, text=True, timeout=SWEEP_TIMEOUT_S
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    study = _study(scaleout_project)
    counts = count_trials(study)
    assert counts.complete == TARGET and counts.total == TARGET and counts.running == 0
    _assert_one_finished_run_per_trial_with_its_folds(scaleout_project, study)
    runs, _ = _runs(scaleout_project)
    pids = {
        run.data.tags[TagsRegistry(load_tags_config()).key("process", "pid")]
        for run in runs["hpo_trial"]
    }
    assert len(pids) >= 2, "the trials ran in one process only"


def _running_worker_trial(study, owner_pid: int):
    for trial in study.get_trials(deepcopy=False):
        pid = trial.user_attrs.get(PID_ATTR)
        running = trial.state.name == "RUNNING" and pid not in (None, owner_pid)
        if running and trial.user_attrs.get(RUN_ID_ATTR):
            return trial
    return None


def test_a_worker_killed_mid_trial_has_its_trial_failed_by_the_heartbeat_and_retried(
    scaleout_project, tmp_path
):
    log_path = tmp_path / "hpo.log"
    with log_path.open("wb") as log:
        owner = subprocess.Popen(
            _hpo_command(scaleout_project), stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + WAIT_FOR_A_WORKER_TRIAL_S
            victim = None
            while victim is None:
                assert owner.poll() is None, log_path.read_text()[-3000:]
                assert time.monotonic() < deadline, "no worker started a trial"
                time.sleep(0.3)
                try:
                    victim = _running_worker_trial(_study(scaleout_project), owner.pid)
                except ValueError:  # the study does not exist yet
                    continue
            time.sleep(0.5)  # into its first fold
            kill(victim.user_attrs[PID_ATTR])
            owner.wait(timeout=SWEEP_TIMEOUT_S)
        finally:
            if owner.poll() is None:
                owner.kill()
                owner.wait()
    output = log_path.read_text()

    assert owner.returncode == 0, output[-3000:]
    assert "was killed by signal 9" in output
    study = _study(scaleout_project)
    counts = count_trials(study)
    assert counts.complete == TARGET and counts.running == 0 and counts.failed == 1
    killed = study.trials[victim.number]
    assert killed.state.name == "FAIL"
    [retry] = [t for t in study.trials if t.system_attrs.get("failed_trial") == victim.number]
    assert retry.state.name == "COMPLETE" and retry.params == killed.params
    # Retried by another worker while the sweep ran: only the heartbeat fails trials there.
    assert retry.user_attrs[PID_ATTR] not in (owner.pid, victim.user_attrs[PID_ATTR])

    registry = TagsRegistry(load_tags_config())
    client = MlflowClient(tracking_uri=scaleout_project.tracking_uri)
    killed_run = client.get_run(victim.user_attrs[RUN_ID_ATTR])
    assert killed_run.info.status == "KILLED"
    assert killed_run.data.tags[registry.key("process", "interrupted")] == "true"
    assert "no heartbeat" in killed_run.data.tags[registry.key("process", "interrupted_reason")]
    _assert_one_finished_run_per_trial_with_its_folds(scaleout_project, study)
