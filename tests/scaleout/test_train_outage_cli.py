"""``resume-ner train`` when its MLflow server stops for good during training, then comes back.

The real command runs in a subprocess with the entry point's own retry settings against a real
``mlflow server`` (its own SQLite store), which the test stops once the first epochs are logged.
The command must end soon (within 1.5x the same training without an outage, measured first),
exit with ``EXIT_UNSENT`` and leave a spool holding every metric it could not send, with the
time each was produced; once the server is back, ``resume-ner runs sync`` (or the next
``train``) sends them and the run ends FINISHED with every epoch metric exactly once.
About 3 minutes on 2 cores: four trainings of the tiny model and three server starts.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from outage_cli import Finished, own_server, resume_ner

from postgres_server import MlflowServer
from resume_ner.cli.app import EXIT_UNSENT
from resume_ner.config.loader import write_default_configs
from resume_ner.tracking.spool import find_spools

pytestmark = pytest.mark.server

EPOCHS = 14
#: The server is stopped once this epoch's line is printed (its metrics are logged by then).
STOP_AFTER_EPOCH = 3
CONFIGS = {
    "data.yaml": "source: {type: synthetic, n_documents: 40, seed: 3}\nmax_length: 64\nstride: 16\n",
    "model.yaml": (
        "presets:\n  tiny:\n    type: tiny\n    max_length: 64\n    hidden_size: 32\n"
        "    num_hidden_layers: 1\n    num_attention_heads: 2\n    intermediate_size: 64\n"
        "    vocab_size: 600\n    learning_rate: 5.0e-3\n"
    ),
}


def make_project(root: Path, seed: int, epochs: int = EPOCHS) -> Path:
    """A project training the tiny model for ``epochs``; each ``seed`` is its own run identity
    on the server."""
    config = root / "config"
    write_default_configs(config)
    for name, text in CONFIGS.items():
        (config / name).write_text(text)
    (config / "train.yaml").write_text(
        f"epochs: {epochs}\nbatch_size: 4\nnum_threads: 1\nseed: {seed}\n"
        "early_stopping: {enabled: false}\n"
    )
    return root


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """A server of this module alone (its tests stop it); started again by each test if down."""
    with own_server(tmp_path_factory.mktemp("outage-server")) as server:
        yield server


@pytest.fixture
def running(server: MlflowServer) -> MlflowServer:
    if not server.is_healthy():
        server.start()
    return server


@pytest.fixture(scope="module")
def no_outage_seconds(server: MlflowServer, tmp_path_factory: pytest.TempPathFactory) -> float:
    """Wall time of the same command while the server stays up."""
    finished = resume_ner(
        make_project(tmp_path_factory.mktemp("baseline"), seed=1), server, "train"
    )
    assert finished.returncode == 0, finished.output
    return finished.seconds


def train_through_outage(root: Path, server: MlflowServer) -> tuple[Finished, int]:
    """``train`` with the server stopped for good after epoch ``STOP_AFTER_EPOCH``; the result
    and the time (ms) the server was stopped."""
    stopped: list[int] = []

    def stop_after_epoch(line: str) -> None:
        if not stopped and line.lstrip().startswith(f"epoch {STOP_AFTER_EPOCH:>3}/"):
            server.stop()
            stopped.append(int(time.time() * 1000))

    finished = resume_ner(root, server, "train", on_line=stop_after_epoch)
    assert stopped, finished.output
    return finished, stopped[0]


def run_of(root: Path) -> tuple[str, Path]:
    [metadata] = (root / "outputs").rglob("metadata.json")
    return json.loads(metadata.read_text())["mlflow"]["run_id"], metadata.parent


def epoch_metrics(folder: Path) -> dict[tuple[str, int], float]:
    """``(name, epoch) -> value`` of every per-epoch metric training wrote to metrics.json."""
    history = json.loads((folder / "metrics.json").read_text())["history"]
    return {
        (name, record["epoch"]): value
        for record in history
        for name, value in record.items()
        if name != "epoch" and value is not None
    }


def spooled_metrics(root: Path) -> dict[tuple[str, int], int]:
    """``(name, step) -> timestamp`` of the metrics the project's spool holds."""
    [spool] = find_spools([root / "outputs"])
    return {
        (name, step): stamp
        for record in spool.unsent()
        if record["kind"] == "values"
        for name, _value, step, stamp in record["metrics"]
    }


def assert_every_epoch_metric_once(client, run_id: str, expected: dict) -> None:
    for name in {name for name, _ in expected}:
        history = client.get_metric_history(run_id, name)
        steps = sorted(m.step for m in history)
        assert steps == sorted(step for n, step in expected if n == name), name
        for metric in history:
            assert metric.value == pytest.approx(expected[(name, metric.step)]), name


def test_train_ends_soon_with_the_unsent_exit_code_and_runs_sync_sends_every_metric_once(
    running, no_outage_seconds, tmp_path
):
    from mlflow.tracking import MlflowClient

    root = make_project(tmp_path / "project", seed=2)

    finished, stopped_ms = train_through_outage(root, running)

    assert finished.returncode == EXIT_UNSENT, finished.output
    assert finished.seconds <= 1.5 * no_outage_seconds, (finished.seconds, no_outage_seconds)
    assert "runs sync" in finished.output and "metric train_loss at step" in finished.output
    run_id, folder = run_of(root)
    expected = epoch_metrics(folder)
    spooled = spooled_metrics(root)
    ended_ms = int(time.time() * 1000)
    late = [stamp for (name, step), stamp in spooled.items() if step > STOP_AFTER_EPOCH]
    assert late and all(stopped_ms - 60_000 < stamp < ended_ms for stamp in late)

    running.start()
    client = MlflowClient(running.url)
    logged = {
        (name, m.step) for name, _ in expected for m in client.get_metric_history(run_id, name)
    }
    assert logged | set(spooled) >= set(expected)  # every epoch metric: stored or spooled
    assert client.get_run(run_id).info.status == "RUNNING"

    synced = resume_ner(root, running, "runs", "sync")

    assert synced.returncode == 0, synced.output
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert "test_macro_f1" in run.data.metrics
    assert_every_epoch_metric_once(client, run_id, expected)
    for (name, step), stamp in spooled.items():
        [metric] = [m for m in client.get_metric_history(run_id, name) if m.step == step]
        assert metric.timestamp == stamp  # the time it was produced, not the time it was sent
    assert "checkpoint" in {a.path for a in client.list_artifacts(run_id)}
    assert find_spools([root / "outputs"]) == []
    again = resume_ner(root, running, "runs", "sync")
    assert again.returncode == 0 and "nothing to send" in again.output


def test_the_next_train_sends_what_an_outage_left_and_reuses_the_finished_run(running, tmp_path):
    from mlflow.tracking import MlflowClient

    root = make_project(tmp_path / "project", seed=3, epochs=STOP_AFTER_EPOCH + 2)
    finished, _ = train_through_outage(root, running)
    assert finished.returncode == EXIT_UNSENT, finished.output
    run_id, folder = run_of(root)

    running.start()
    following = resume_ner(root, running, "train")

    assert following.returncode == 0, following.output
    assert f"sent the values run {run_id} was owed" in following.output
    assert "already trained this configuration" in following.output
    client = MlflowClient(running.url)
    assert client.get_run(run_id).info.status == "FINISHED"
    assert_every_epoch_metric_once(client, run_id, epoch_metrics(folder))
    assert find_spools([root / "outputs"]) == []
