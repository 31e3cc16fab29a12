"""``resume-ner pipeline`` when its MLflow server stops for good during the final training.

The real command runs in a subprocess against a real ``mlflow server`` (its own SQLite store),
which the test stops once the final training has logged its first epochs. The pipeline must stop
after the final training with ``EXIT_UNSENT`` and the ``runs sync`` command, as ``train`` does,
instead of going on to conversion; ``runs sync`` then ends the run FINISHED. About a minute on
2 cores: one trial, its refit and the final training of the tiny model, two server starts.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hpo_helpers import write_config_dir
from outage_cli import own_server, resume_ner

from postgres_server import MlflowServer
from resume_ner.cli.app import EXIT_UNSENT
from resume_ner.tracking.spool import find_spools

pytestmark = pytest.mark.server

FINAL_EPOCHS = 40
#: The server is stopped once the final training has logged this many epochs.
STOP_AFTER_EPOCHS = 2
POLL_S = 0.3


@pytest.fixture
def server(tmp_path: Path) -> Iterator[MlflowServer]:
    with own_server(tmp_path / "server") as server:
        yield server


def make_project(root: Path) -> Path:
    """One trial without cross-validation, selected on its objective alone (no benchmark), and
    a final training long enough to stop the server in."""
    config = write_config_dir(
        root / "config",
        hpo={"n_trials": 1, "cv": {"k_folds": 1}},
        train={"epochs": FINAL_EPOCHS, "early_stopping": {"enabled": False}},
    )
    (config / "selection.yaml").write_text(
        yaml.safe_dump(
            {"latency_weight": 0.0, "min_trials_per_group": 1, "top_k_for_stable_score": 1}
        )
    )
    return root


class StopDuringFinalTraining:
    """Watches the server from a thread; stops it once a final-training run has logged
    ``STOP_AFTER_EPOCHS`` epochs, and remembers that run."""

    def __init__(self, server: MlflowServer) -> None:
        self.server = server
        self.run_id: str | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> StopDuringFinalTraining:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join(timeout=30)

    def _watch(self) -> None:
        from mlflow.exceptions import MlflowException
        from mlflow.tracking import MlflowClient

        client = MlflowClient(self.server.url)
        while not self._done.wait(POLL_S):
            try:
                experiment = client.get_experiment_by_name("resume-ner-training")
                if experiment is None:
                    continue
                for run in client.search_runs([experiment.experiment_id]):
                    if len(client.get_metric_history(run.info.run_id, "train_loss")) >= (
                        STOP_AFTER_EPOCHS
                    ):
                        self.run_id = run.info.run_id
                        self.server.stop()
                        return
            except MlflowException:
                continue


def test_the_pipeline_stops_after_the_final_training_with_the_unsent_exit_code(server, tmp_path):
    from mlflow.tracking import MlflowClient

    root = make_project(tmp_path / "project")

    with StopDuringFinalTraining(server) as watcher:
        finished = resume_ner(root, server, "pipeline")

    assert watcher.run_id is not None, finished.output
    assert finished.returncode == EXIT_UNSENT, finished.output
    assert "runs sync" in finished.output and "metric train_loss at step" in finished.output
    [spool] = find_spools([root / "outputs"])
    assert spool.run_id == watcher.run_id

    server.start()
    synced = resume_ner(root, server, "runs", "sync")

    assert synced.returncode == 0, synced.output
    client = MlflowClient(server.url)
    run = client.get_run(watcher.run_id)
    assert run.info.status == "FINISHED"
    assert len(client.get_metric_history(watcher.run_id, "train_loss")) == FINAL_EPOCHS
    assert client.get_experiment_by_name("resume-ner-conversion") is None
