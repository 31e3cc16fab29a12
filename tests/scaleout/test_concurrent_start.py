"""Eight ``resume-ner hpo`` started at the same moment on a new project folder.

Each process is a real command line (tiny model, 1 epoch, no CV, 4 trials), held at a gate after
its imports and released with the others: they race to create the MLflow store, Optuna's
tables, the study, the sweep run and every trial. All must exit 0,
with one sweep run, one refit, exactly the target number of trials and no name used twice; on
SQLite with the file index, and on PostgreSQL (study, index) behind an ``mlflow server``. One
round per store runs by default (about 1-2 minutes each on 2 cores: eight interpreters import
torch); the slow tests repeat it five times on new folders.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from hpo_helpers import runs_by_stage, write_config_dir
from mlflow.tracking import MlflowClient

from postgres_server import MlflowServer, PostgresServer
from resume_ner.config.hpo import load_hpo_config
from resume_ner.config.project import ProjectConfig
from resume_ner.config.tags import load_tags_config
from resume_ner.hpo.storage import RUN_ID_ATTR, open_storage
from resume_ner.hpo.study import count_trials, load_existing_study
from resume_ner.naming.policy import NamingPolicy, build_mlflow_experiment_name
from resume_ner.naming.tags import TagsRegistry

PROCESSES = 8
TARGET = 4
ROUNDS = 5
#: Eight interpreters importing torch and training on a busy 2-core machine.
ROUND_TIMEOUT_S = 600

HPO = {"n_trials": TARGET, "cv": {"k_folds": 1}, "heartbeat_interval_s": 1, "grace_period_s": 30}


@dataclass(frozen=True)
class Round:
    """A new project folder with its config, and where its runs and study end up."""

    root: Path
    config_dir: Path
    tracking_uri: str
    study_storage: str


def _sqlite_round(folder: Path) -> Round:
    config_dir = write_config_dir(folder / "config", hpo=HPO)
    root = folder / "project"
    return Round(
        root,
        config_dir,
        f"sqlite:///{root / 'mlruns' / 'mlflow.db'}",
        f"sqlite:///{root / 'mlruns' / 'optuna.db'}",
    )


def _postgres_round(folder: Path, postgres: PostgresServer, server: MlflowServer) -> Round:
    study_storage = postgres.create_database("optuna")
    config_dir = write_config_dir(folder / "config", hpo={**HPO, "storage": study_storage})
    mlflow_yaml = {
        "tracking_uri": server.url,
        "naming": {"project_name": f"cs-{uuid.uuid4().hex[:8]}"},
        "index": {"sql_url": postgres.create_database("index")},
    }
    (config_dir / "mlflow.yaml").write_text(yaml.safe_dump(mlflow_yaml), encoding="utf-8")
    return Round(folder / "project", config_dir, server.url, study_storage)


#: ``resume-ner ARGS`` once every process is ready: the slow imports come first, so that the
#: processes race for the stores at the same moment instead of one import apart.
AT_ONCE_SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path

    import mlflow, optuna, sqlalchemy
    import resume_ner.hpo.sweep, resume_ner.training.run
    from resume_ner.cli.app import run

    gate = Path(sys.argv[1])
    (gate / f"ready-{os.getpid()}").touch()
    while not (gate / "go").exists():
        time.sleep(0.005)
    sys.exit(run(sys.argv[2:]))
    """
)


def _start_together(round_: Round, logs: Path) -> list[tuple[subprocess.Popen, Path]]:
    args = ["--root", str(round_.root), "--config-dir", str(round_.config_dir), "hpo"]
    gate = logs / "gate"
    gate.mkdir(parents=True)
    started = []
    for index in range(PROCESSES):
        log_path = logs / f"hpo-{index}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-c", AT_ONCE_SCRIPT, str(gate), *args],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        started.append((process, log_path))
    deadline = time.monotonic() + ROUND_TIMEOUT_S
    while len(list(gate.glob("ready-*"))) < PROCESSES:
        assert all(p.poll() is None for p, _ in started), "a process ended before the start"
        assert time.monotonic() < deadline, "the processes never got ready"
        time.sleep(0.1)
    (gate / "go").touch()
    return started


def _wait_all(started: list[tuple[subprocess.Popen, Path]]) -> None:
    deadline = time.monotonic() + ROUND_TIMEOUT_S
    try:
        for process, _ in started:
            process.wait(timeout=max(deadline - time.monotonic(), 1))
    finally:
        for process, _ in started:
            if process.poll() is None:
                process.kill()
                process.wait()
    failed = [(p.returncode, log.read_text()[-3000:]) for p, log in started if p.returncode != 0]
    assert not failed, failed[0][1]


def _assert_one_sweep_at_exactly_the_target(round_: Round) -> None:
    storage = open_storage(round_.study_storage, load_hpo_config(round_.config_dir))
    [summary] = storage.get_all_studies()
    study = load_existing_study(storage, summary.study_name)
    counts = count_trials(study)
    assert (counts.finished, counts.running, counts.waiting) == (TARGET, 0, 0), counts

    experiment_name = build_mlflow_experiment_name(
        "hpo_sweep", NamingPolicy.from_project(ProjectConfig.load(round_.config_dir))
    )
    client = MlflowClient(tracking_uri=round_.tracking_uri)
    experiment = client.get_experiment_by_name(experiment_name)
    runs = runs_by_stage(client, [experiment.experiment_id], TagsRegistry(load_tags_config()))
    everything = [run for group in runs.values() for run in group]
    assert [run.info.status for run in runs["hpo_sweep"]] == ["FINISHED"]
    assert [run.info.status for run in runs["hpo_refit"]] == ["FINISHED"]
    finished = {run.info.run_id for run in runs["hpo_trial"] if run.info.status == "FINISHED"}
    done = [t for t in study.trials if t.state.name in ("COMPLETE", "PRUNED")]
    assert finished == {t.user_attrs[RUN_ID_ATTR] for t in done}
    assert not [run.info.run_name for run in everything if run.info.status == "RUNNING"]
    names = [run.info.run_name for run in everything]
    assert len(names) == len(set(names))


def _eight_at_once(round_: Round, logs: Path) -> None:
    _wait_all(_start_together(round_, logs))
    _assert_one_sweep_at_exactly_the_target(round_)


def test_eight_hpo_started_at_once_on_sqlite_make_one_sweep_at_exactly_the_target(tmp_path):
    _eight_at_once(_sqlite_round(tmp_path), tmp_path / "logs")


@pytest.mark.postgres
@pytest.mark.server
def test_eight_hpo_started_at_once_on_postgres_make_one_sweep_at_exactly_the_target(
    tmp_path, postgres, pg_mlflow_server
):
    _eight_at_once(_postgres_round(tmp_path, postgres, pg_mlflow_server), tmp_path / "logs")


@pytest.mark.slow
def test_eight_hpo_started_at_once_on_sqlite_five_times_in_a_row(tmp_path):
    for index in range(ROUNDS):
        folder = tmp_path / f"round-{index}"
        _eight_at_once(_sqlite_round(folder), folder / "logs")


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.server
def test_eight_hpo_started_at_once_on_postgres_five_times_in_a_row(
    tmp_path, postgres, pg_mlflow_server
):
    for index in range(ROUNDS):
        folder = tmp_path / f"round-{index}"
        _eight_at_once(_postgres_round(folder, postgres, pg_mlflow_server), folder / "logs")
