"""Training while its MLflow server goes away: nothing crashes and no metric step is lost.

A real ``mlflow server`` (its own, with an SQLite store) is stopped during real training of the
tiny model and, in the first test, started again on the same port and store. The MLflow client
is set to fail fast (no retries of its own, 5 s time-out), so that the product's bounded retry
runs out during the outage and the tracker's outbox has to keep the values. About 60-90 s in
all on 2 cores: the server starts twice (10-25 s each) and training is paced around the outage.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from outage_cli import own_server

from postgres_server import MlflowServer
from resume_ner.config.data import DataConfig
from resume_ner.config.model import ModelConfig, TinyPreset
from resume_ner.config.paths import ProjectPaths
from resume_ner.config.project import ProjectConfig
from resume_ner.config.train import TrainConfig
from resume_ner.data.splits import split_documents
from resume_ner.data.synthetic import generate_documents
from resume_ner.naming.context import NamingContext
from resume_ner.tracking.context import TrackingContext
from resume_ner.tracking.trackers.training import MLflowTrainingTracker
from resume_ner.training.run import TrainingResult, train_and_evaluate

pytestmark = pytest.mark.server

OUTAGE_S = 10.0
EPOCHS = 12
#: The server is stopped after this epoch ...
OUTAGE_AFTER_EPOCH = 3
#: ... and training waits after this one until it answers again (so some epochs come after).
BACK_BY_EPOCH = 9


@pytest.fixture(scope="module")
def flaky_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """A server of this module alone (its tests stop it); started again by each test if down."""
    with own_server(tmp_path_factory.mktemp("flaky-server")) as server:
        yield server


@pytest.fixture
def running_server(flaky_server: MlflowServer) -> MlflowServer:
    if not flaky_server.is_healthy():
        flaky_server.start()
    return flaky_server


@pytest.fixture
def fail_fast_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """MLflow's own HTTP retries off (they would wait out a 10 s outage inside one call)."""
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")


@pytest.fixture
def tiny_training() -> dict:
    documents = generate_documents(24, 7)
    parts = split_documents(documents, train=0.8, validation=0.0, test=0.2, seed=1).take(documents)
    tiny = TinyPreset(
        max_length=64, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=64, vocab_size=600, learning_rate=5e-3,
    )  # fmt: skip
    return {
        "train_documents": parts["train"],
        "test_documents": parts["test"],
        "data_config": DataConfig(max_length=64, stride=16),
        "model_config": ModelConfig(presets={"tiny": tiny}),
        "train_config": TrainConfig(epochs=EPOCHS, batch_size=8, seed=3, num_threads=1),
    }


@pytest.fixture
def start_run(running_server: MlflowServer, tmp_path: Path):
    """``start_run(name)``: a training run on the server, with its tracker; the tracking
    sessions opened for it are closed after the test."""
    sessions: list[TrackingContext] = []

    def start(name: str) -> tuple[MLflowTrainingTracker, str]:
        tracking = TrackingContext.open(
            ProjectPaths.at(tmp_path),
            ProjectConfig.load(),
            tracking_uri=running_server.url,
            environ={},
        )
        sessions.append(tracking)
        tracker = MLflowTrainingTracker(tracking)
        context = NamingContext(
            process_type="final_training", model=name, spec_fp="a" * 64, exec_fp="b" * 64
        )
        run_id = tracker.start_training_run(context, params={"epochs": EPOCHS})
        assert run_id is not None
        return tracker, run_id

    yield start
    for session in sessions:
        session.close()


class Outage:
    """Epoch callback: stops the server after one epoch; with ``restart``, starts it again
    ``OUTAGE_S`` later and holds training at ``BACK_BY_EPOCH`` until it answers."""

    def __init__(self, server: MlflowServer, *, restart: bool) -> None:
        self.server = server
        self.restart = restart
        self.thread: threading.Thread | None = None
        self.errors: list[BaseException] = []

    def _start_later(self) -> None:
        try:
            threading.Event().wait(OUTAGE_S)
            self.server.start()
        except BaseException as exc:
            self.errors.append(exc)

    def __call__(self, epoch: int, metrics) -> None:
        if epoch == OUTAGE_AFTER_EPOCH:
            self.server.stop()
            if self.restart:
                self.thread = threading.Thread(target=self._start_later)
                self.thread.start()
        if epoch == BACK_BY_EPOCH and self.thread is not None:
            self.thread.join()
            assert not self.errors, self.errors


def _train(tracker, run_id: str, outage: Outage, tiny_training: dict) -> TrainingResult:
    with tracker.managed_run(run_id):
        return train_and_evaluate(
            callbacks=[outage], tracker=tracker, run_id=run_id, **tiny_training
        )


def test_metrics_logged_while_the_server_was_down_reach_it_once_it_is_back(
    running_server, fail_fast_client, tiny_training, start_run
):
    tracker, run_id = start_run("outage-restart")
    outage = Outage(running_server, restart=True)

    result = _train(tracker, run_id, outage, tiny_training)

    assert outage.thread is not None and not outage.thread.is_alive() and not outage.errors
    held = [line for line in result.tracking_errors if "held for the next call" in line]
    assert held, "no epoch was logged during the outage"
    assert result.not_logged == []
    client = tracker.client
    for name in ("train_loss", "lr_at_epoch_end"):
        history = client.get_metric_history(run_id, name)
        assert sorted(m.step for m in history) == list(range(1, EPOCHS + 1)), name
    by_step = {m.step: m.value for m in client.get_metric_history(run_id, "train_loss")}
    assert by_step == {record.epoch: record.train_loss for record in result.history}
    run = client.get_run(run_id)
    assert "test_macro_f1" in run.data.metrics
    assert run.info.status == "FINISHED"


def test_metrics_the_server_never_took_are_reported_and_training_completes(
    running_server, fail_fast_client, tiny_training, start_run, caplog
):
    tiny_training["train_config"] = tiny_training["train_config"].model_copy(
        update={"epochs": OUTAGE_AFTER_EPOCH + 2}
    )
    tracker, run_id = start_run("outage-forever")
    outage = Outage(running_server, restart=False)

    with caplog.at_level(logging.WARNING, logger="resume_ner.training.run"):
        result = _train(tracker, run_id, outage, tiny_training)

    assert len(result.history) == OUTAGE_AFTER_EPOCH + 2 and result.test_metrics is not None
    assert f"metric train_loss at step {OUTAGE_AFTER_EPOCH + 1}-{OUTAGE_AFTER_EPOCH + 2}" in (
        result.not_logged
    )
    assert any(line.startswith("metric test_macro_f1") for line in result.not_logged)
    assert all(f"not logged: {line}" in result.tracking_errors for line in result.not_logged)
    assert "did not take everything" in caplog.text
