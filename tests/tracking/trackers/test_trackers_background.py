"""Background mode: the run writer creates, logs into and ends runs while the trial goes on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading

import pytest
from tracker_helpers import make_tracking

from resume_ner.tracking.cleanup import cleanup_interrupted_runs
from resume_ner.tracking.errors import RunCreationError
from resume_ner.tracking.index.run_index import find_in_mlflow_index
from resume_ner.tracking.trackers.sweep import (
    MLflowSweepTracker,
    build_fold_context,
    build_trial_context,
)

PARAMS = {"learning_rate": 3e-5, "batch_size": 8}


def _sweep(tracker: MLflowSweepTracker, context) -> str:
    sweep_id = tracker.start_sweep_run(
        context,
        study_name="resume-ner-hpo",
        sampler="tpe",
        pruner="median",
        objective_metric="macro_f1",
        objective_direction="maximize",
        search_space={"learning_rate": {"type": "float", "low": 1e-5, "high": 1e-4}},
        n_trials=3,
    )
    assert sweep_id is not None
    return sweep_id


@pytest.fixture
def tracker(project) -> MLflowSweepTracker:
    background = MLflowSweepTracker(make_tracking(project), synchronous=False)
    yield background
    background.drain()


@pytest.fixture
def held_writer(tracker):
    """Keep the tracker's run writer busy until the test lets it go, so that queued work waits."""
    release = threading.Event()
    started = threading.Event()

    def hold() -> None:
        started.set()
        release.wait(60)

    tracker.tracking.run_writer().submit(hold)
    started.wait(10)
    yield release
    release.set()


def test_a_submitted_trial_run_ends_with_its_params_metrics_tags_and_index_entry(
    tracker, sweep_context
):
    sweep_id = _sweep(tracker, sweep_context)
    trial_context = build_trial_context(sweep_context, 0, PARAMS)

    handle = tracker.submit_trial_run(
        sweep_id, trial_context, hyperparameters=PARAMS, tags={"hpo.trial_id": "study:0"}
    )
    tracker.defer(handle, metrics={"macro_f1": 0.8})
    tracker.end_run(handle, "FINISHED")
    assert tracker.drain() == []

    run = tracker.client.get_run(handle.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params == {"learning_rate": "3e-05", "batch_size": "8"}
    assert run.data.metrics == {"macro_f1": 0.8}
    assert run.data.tags["mlflow.parentRunId"] == sweep_id
    assert run.data.tags["code.trial_id"] == "study:0"
    assert run.info.run_name.endswith(".1")
    stage_run = handle.stage_run()
    entry = find_in_mlflow_index(tracker.tracking.index, stage_run.run_key_hash)
    assert entry is not None and entry.run_id == handle.run_id


def test_a_background_trial_run_costs_the_same_three_mlflow_calls(
    tracker, sweep_context, client_calls
):
    sweep_id = _sweep(tracker, sweep_context)
    client_calls.clear()

    handle = tracker.submit_trial_run(
        sweep_id, build_trial_context(sweep_context, 0, PARAMS), hyperparameters=PARAMS
    )
    tracker.log_trial_result(handle, metrics={"macro_f1": 0.8})
    tracker.end_run(handle, "FINISHED")
    assert tracker.drain() == []

    assert client_calls.names == ["create_run", "log_batch", "set_terminated"]


def test_submitting_and_ending_a_run_do_not_wait_for_the_store(tracker, sweep_context, held_writer):
    sweep_id = "not-needed-while-held"
    trial_context = build_trial_context(sweep_context, 0, PARAMS)

    handle = tracker.submit_trial_run(sweep_id, trial_context, hyperparameters=PARAMS)
    tracker.defer(handle, metrics={"macro_f1": 0.8})
    tracker.end_run(handle, "FINISHED")

    assert not handle.done()  # nothing was created: the writer is still held
    assert tracker.stage_run(handle) is None


def test_queued_work_is_done_in_submission_order(tracker, sweep_context, held_writer):
    sweep_id = tracker.tracking.client.create_run(
        tracker.tracking.experiment_id_for("hpo_sweep")
    ).info.run_id
    trial_context = build_trial_context(sweep_context, 0, PARAMS)
    trial = tracker.submit_trial_run(sweep_id, trial_context, hyperparameters=PARAMS, n_folds=2)
    folds = []
    for fold_idx in range(2):
        fold = tracker.submit_fold_run(trial, build_fold_context(trial_context, fold_idx))
        for epoch in (1, 2, 3):
            tracker.log(fold, metrics={"val_macro_f1": 0.1 * epoch}, step=epoch)
        tracker.end_run(fold, "FINISHED")
        folds.append(fold)
    tracker.log_trial_result(trial, fold_metrics=[{"macro_f1": 0.7}, {"macro_f1": 0.9}])
    tracker.end_run(trial, "FINISHED")

    held_writer.set()
    assert tracker.drain() == []
    client = tracker.client
    trial_run = client.get_run(trial.run_id)
    for fold in folds:
        fold_run = client.get_run(fold.run_id)
        assert fold_run.data.tags["mlflow.parentRunId"] == trial.run_id
        history = client.get_metric_history(fold.run_id, "val_macro_f1")
        assert [metric.step for metric in history] == [1, 2, 3]
        assert fold_run.info.end_time <= trial_run.info.end_time
    assert trial_run.info.status == "FINISHED"
    assert trial_run.data.metrics["macro_f1"] == pytest.approx(0.8)


def test_ending_the_sweep_run_by_its_id_waits_for_the_trials_queued_before(tracker, sweep_context):
    sweep_id = _sweep(tracker, sweep_context)
    handles = []
    for number in range(3):
        params = {**PARAMS, "batch_size": 8 + number}
        handle = tracker.submit_trial_run(
            sweep_id, build_trial_context(sweep_context, number, params), hyperparameters=params
        )
        tracker.end_run(handle, "FINISHED")
        handles.append(handle)

    assert tracker.end_run(sweep_id, "FINISHED") is True

    assert all(handle.done() for handle in handles)
    statuses = {tracker.client.get_run(handle.run_id).info.status for handle in handles}
    assert statuses == {"FINISHED"}


def test_a_failed_creation_is_returned_by_drain_and_the_runs_later_work_is_skipped(
    tracker, sweep_context, caplog
):
    trial_context = build_trial_context(sweep_context, 0, PARAMS)

    handle = tracker.submit_trial_run("0" * 32, trial_context, hyperparameters=PARAMS)
    tracker.defer(handle, metrics={"macro_f1": 0.8})
    tracker.end_run(handle, "FINISHED")
    failures = tracker.drain()

    assert len(failures) == 1 and isinstance(failures[0], RunCreationError)
    with pytest.raises(RunCreationError):
        _ = handle.run_id
    assert "could not create the hpo_trial run" in caplog.text
    assert tracker.drain() == []


def test_without_background_mode_a_submitted_run_exists_when_submit_returns(project, sweep_context):
    tracker = MLflowSweepTracker(make_tracking(project))
    sweep_id = _sweep(tracker, sweep_context)

    handle = tracker.submit_trial_run(
        sweep_id, build_trial_context(sweep_context, 0, PARAMS), hyperparameters=PARAMS
    )

    assert handle.done()
    assert tracker.client.get_run(handle.run_id).info.status == "RUNNING"
    tracker.defer(handle, metrics={"macro_f1": 0.5})
    assert tracker.end_run(handle, "FINISHED") is True
    run = tracker.client.get_run(handle.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.metrics == {"macro_f1": 0.5}
    assert run.data.params == {"learning_rate": "3e-05", "batch_size": "8"}


QUEUE_AND_EXIT = textwrap.dedent(
    """
    import sys, threading
    from resume_ner.config.paths import ProjectPaths
    from resume_ner.config.project import ProjectConfig
    from resume_ner.naming.context import NamingContext
    from resume_ner.tracking.context import TrackingContext
    from resume_ner.tracking.trackers.sweep import MLflowSweepTracker, build_trial_context

    with TrackingContext.open(
        ProjectPaths.at(sys.argv[1]), ProjectConfig.load(), tracking_uri=sys.argv[2], environ={}
    ) as tracking:
        tracker = MLflowSweepTracker(tracking, synchronous=False)
        context = NamingContext("hpo_sweep", "tiny", study_key_hash="9" * 64)
        sweep = tracker.start_sweep_run(
            context, study_name="s", sampler="tpe", pruner=None, objective_metric="macro_f1",
            objective_direction="maximize", search_space={}, n_trials=3,
        )
        print(sweep, flush=True)
        gate = threading.Event()
        # the queue waits behind this
        tracking.run_writer().submit(lambda: gate.wait(float(sys.argv[3])))
        for number in range(3):
            trial = build_trial_context(context, number, {"lr": number})
            handle = tracker.submit_trial_run(sweep, trial, hyperparameters={"lr": number})
            tracker.defer(handle, metrics={"macro_f1": number / 10})
            tracker.end_run(handle, "FINISHED")
        if sys.argv[4] == "kill":
            # Let the first trial run be created, then wait to be killed with its end queued.
            first = tracker.submit_trial_run(
                sweep, build_trial_context(context, 9, {}), hyperparameters={}
            )
            gate.set()
            print(first.run_id, flush=True)
            tracking.run_writer().submit(lambda: threading.Event().wait(600))
            tracker.end_run(first, "FINISHED")
            threading.Event().wait(600)
        # leaves the session with the trials' work still queued behind the gate
    """
)


def _queue_and(project, how: str, gate_s: float) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable, "-c", QUEUE_AND_EXIT,
            str(project.paths.root), project.tracking_uri, str(gate_s), how,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def _trial_runs(tracking, sweep_id: str):
    return tracking.client.search_runs(
        [tracking.client.get_run(sweep_id).info.experiment_id],
        f"tags.`mlflow.parentRunId` = '{sweep_id}'",
    )


def test_work_still_queued_when_the_session_closes_is_written_before_the_process_ends(project):
    # The writer is held for 2 s after the program's last tracking call, so only closing the
    # session can write the trials.
    process = _queue_and(project, "exit", 2.0)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    tracking = make_tracking(project)

    runs = _trial_runs(tracking, stdout.split()[0])

    assert sorted(run.data.metrics["macro_f1"] for run in runs) == [0.0, 0.1, 0.2]
    assert {run.info.status for run in runs} == {"FINISHED"}


def test_a_process_killed_with_work_queued_leaves_runs_that_cleanup_closes(project):
    process = _queue_and(project, "kill", 600.0)
    try:
        sweep_id = process.stdout.readline().strip()
        first = process.stdout.readline().strip()
        assert first, process.stderr.read() if process.poll() is not None else "no run id"
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)
    tracking = make_tracking(project)
    assert tracking.client.get_run(first).info.status == "RUNNING"

    closed = cleanup_interrupted_runs(
        tracking.client,
        [tracking.client.get_run(sweep_id).info.experiment_id],
        registry=tracking.registry,
        project=tracking.policy.project,
        host=tracking.host,
    )

    assert first in {run.run_id for run in closed}
    assert tracking.client.get_run(first).info.status == "KILLED"
    assert {run.info.status for run in _trial_runs(tracking, sweep_id)} <= {"KILLED", "FINISHED"}
