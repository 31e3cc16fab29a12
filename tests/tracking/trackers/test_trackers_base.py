"""BaseTracker: how runs end, deferred values, tag names and the stage switch."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from tracker_helpers import make_tracking

from resume_ner.naming.errors import TagKeyError
from resume_ner.tracking.trackers.base import BaseTracker


class TrainingStageTracker(BaseTracker):
    stage = "training"


@pytest.fixture
def tracker(tracking) -> TrainingStageTracker:
    return TrainingStageTracker(tracking)


def test_managed_run_ends_finished_when_the_block_completes(project, tracker, training_context):
    run_id = tracker.start_run(training_context).run_id

    with tracker.managed_run(run_id):
        tracker.log_metrics(run_id, {"f1": 0.5})

    assert project.client.get_run(run_id).info.status == "FINISHED"


def test_managed_run_ends_failed_with_a_status_note_when_the_block_raises(
    project, tracker, training_context
):
    run_id = tracker.start_run(training_context).run_id

    with pytest.raises(RuntimeError, match="out of memory"), tracker.managed_run(run_id):
        raise RuntimeError("out of memory")

    run = project.client.get_run(run_id)
    assert run.info.status == "FAILED"
    assert run.data.tags["code.status_note"] == "RuntimeError: out of memory"
    assert "code.interrupted" not in run.data.tags


def test_managed_run_ends_killed_and_tagged_interrupted_on_keyboard_interrupt(
    project, tracker, training_context
):
    run_id = tracker.start_run(training_context).run_id

    with pytest.raises(KeyboardInterrupt), tracker.managed_run(run_id):
        raise KeyboardInterrupt

    run = project.client.get_run(run_id)
    assert run.info.status == "KILLED"
    assert run.data.tags["code.interrupted"] == "true"
    assert run.data.tags["code.interrupted_reason"] == "KeyboardInterrupt"


def test_deferred_values_travel_with_the_next_batch(
    project, tracker, training_context, client_calls
):
    run_id = tracker.start_run(training_context, params={"seed": 1}, defer_params=True).run_id
    tracker.defer(run_id, tags={"training.training_type": "final"})
    assert project.client.get_run(run_id).data.params == {}
    client_calls.clear()

    tracker.log_metrics(run_id, {"f1": 0.5})

    assert client_calls.names == ["log_batch"]
    data = project.client.get_run(run_id).data
    assert data.params == {"seed": "1"}
    assert data.tags["code.training_type"] == "final"


def test_deferred_values_are_sent_when_the_run_ends(project, tracker, training_context):
    run_id = tracker.start_run(training_context, params={"seed": 1}, defer_params=True).run_id

    tracker.end_run(run_id)

    run = project.client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params == {"seed": "1"}


def test_ending_a_run_that_already_ended_keeps_its_status(project, tracker, training_context):
    run_id = tracker.start_run(training_context).run_id
    tracker.end_run(run_id, "FAILED")

    tracker.end_run(run_id, "FINISHED")

    assert project.client.get_run(run_id).info.status == "FAILED"


def test_a_tag_name_missing_from_the_registry_raises(tracker, training_context):
    run_id = tracker.start_run(training_context).run_id

    with pytest.raises(TagKeyError):
        tracker.log_tags(run_id, {"process.no_such_tag": "x"})


def test_calls_with_no_run_id_do_nothing(project, tracker, client_calls):
    tracker.log(None, params={"seed": 1}, metrics={"f1": 1.0}, tags={"process.stage": "x"})
    tracker.defer(None, params={"seed": 1})

    assert tracker.end_run(None) is True
    assert client_calls.names == []


def test_a_tracker_for_an_unknown_stage_is_refused(tracking):
    class Unknown(BaseTracker):
        stage = "deployment"

    with pytest.raises(KeyError, match="deployment"):
        Unknown(tracking)


def test_on_azure_ml_a_run_gets_at_most_200_params(project, training_context, caplog):
    azure = dataclasses.replace(make_tracking(project), is_azure=True)
    tracker = TrainingStageTracker(azure)
    run_id = tracker.start_run(training_context, params={f"p{i:03d}": i for i in range(150)}).run_id

    with caplog.at_level(logging.WARNING, logger="resume_ner.tracking.trackers.base"):
        tracker.log_params(run_id, {f"q{i:03d}": i for i in range(100)})

    assert len(project.client.get_run(run_id).data.params) == 200
    assert "q099" in caplog.text


def test_a_final_batch_the_store_refuses_ends_the_run_failed_and_raises(
    project, tracker, training_context, monkeypatch
):
    from mlflow.exceptions import MlflowException

    run_id = tracker.start_run(training_context, params={"seed": 1}, defer_params=True).run_id

    def refuse(*args, **kwargs):
        raise MlflowException("request refused")

    monkeypatch.setattr(project.client, "log_batch", refuse)

    with pytest.raises(MlflowException, match="refused"):
        tracker.end_run(run_id)

    assert project.client.get_run(run_id).info.status == "FAILED"
