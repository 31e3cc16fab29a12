"""The spool: values a run is owed, on disk with their production time, sent in order and once."""

from __future__ import annotations

import json

import pytest

from resume_ner.tracking.breaker import CircuitBreaker
from resume_ner.tracking.spool import PendingValues, Spool, find_spools, sync_spools


@pytest.fixture
def run_id(project) -> str:
    experiment_id = project.experiment()
    return project.client.create_run(experiment_id).info.run_id


def values(*steps: int, stamp: int = 1_700_000_000_000) -> PendingValues:
    return PendingValues(
        params={"lr": 0.1},
        metrics=[("train_loss", 1.0 / step, step, stamp + step) for step in steps],
        tags={"note": "held"},
    )


def test_held_values_are_in_the_file_with_the_time_they_were_produced(project, run_id, tmp_path):
    spool = Spool.for_run(tmp_path, run_id, project.tracking_uri)

    spool.hold_values(values(3, 4), tag_max_length=250)

    [found] = find_spools([tmp_path])
    assert found.path == spool.path and found.run_id == run_id
    assert found.tracking_uri == project.tracking_uri
    [record] = found.unsent()
    assert record["metrics"] == [
        ["train_loss", 1 / 3, 3, 1_700_000_000_003],
        ["train_loss", 1 / 4, 4, 1_700_000_000_004],
    ]
    assert found.describe() == [
        "metric train_loss at step 3-4",
        "1 params (lr)",
        "1 tags (note)",
    ]


def test_sending_stores_metrics_with_their_production_time_ends_the_run_and_removes_the_file(
    project, run_id, tmp_path
):
    spool = Spool.for_run(tmp_path, run_id, project.tracking_uri)
    spool.hold_values(values(1, 2), tag_max_length=250)
    spool.hold_end("FINISHED", end_time_ms=1_700_000_000_100)

    spool.send(project.client, CircuitBreaker())

    history = project.client.get_metric_history(run_id, "train_loss")
    assert sorted((m.step, m.timestamp) for m in history) == [
        (1, 1_700_000_000_001),
        (2, 1_700_000_000_002),
    ]
    run = project.client.get_run(run_id)
    assert run.info.status == "FINISHED" and run.info.end_time == 1_700_000_000_100
    assert run.data.params == {"lr": "0.1"}
    assert not spool.path.exists() and find_spools([tmp_path]) == []


def test_sending_again_after_a_crash_before_the_sent_markers_stores_each_metric_once(
    project, run_id, tmp_path
):
    spool = Spool.for_run(tmp_path, run_id, project.tracking_uri)
    spool.hold_values(values(1, 2), tag_max_length=250)
    spool.hold_values(values(3), tag_max_length=250)
    written = spool.path.read_text()

    spool.send(project.client, CircuitBreaker())
    spool.path.write_text(written)  # as if the process died before it marked anything sent
    spool.send(project.client, CircuitBreaker())

    history = project.client.get_metric_history(run_id, "train_loss")
    assert sorted(m.step for m in history) == [1, 2, 3]


def test_a_line_cut_short_by_a_crash_is_skipped_and_later_records_still_count(
    project, run_id, tmp_path
):
    spool = Spool.for_run(tmp_path, run_id, project.tracking_uri)
    spool.hold_values(values(1), tag_max_length=250)
    with spool.path.open("a") as stream:
        stream.write('{"kind": "values", "seq": 2, "metr')

    spool.hold_values(values(2), tag_max_length=250)

    assert [record["seq"] for record in spool.unsent()] == [1, 2]
    lines = spool.path.read_text().splitlines()
    assert json.loads(lines[-1])["metrics"][0][2] == 2


def test_sync_reports_a_store_that_does_not_answer_and_leaves_the_spool(tmp_path, monkeypatch):
    import socket

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    spool = Spool.for_run(tmp_path, "0" * 32, f"http://127.0.0.1:{port}")
    spool.hold_values(values(1), tag_max_length=250)

    [result] = sync_spools(find_spools([tmp_path]))

    assert not result.sent and result.error.startswith("TrackingUnavailableError")
    assert result.left == ["metric train_loss at step 1", "1 params (lr)", "1 tags (note)"]
    assert spool.path.exists()
