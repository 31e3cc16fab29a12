"""The tracking session (``TrackingContext``): it owns its run writer and sweep tracker, closing
it writes what its background trackers queued, and opening it changes nothing process-wide."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading

import pytest
from mlflow.tracking import MlflowClient

from resume_ner.config.paths import ProjectPaths
from resume_ner.config.project import ProjectConfig
from resume_ner.naming.context import NamingContext
from resume_ner.tracking.context import TrackingContext
from resume_ner.tracking.errors import TrackingError
from resume_ner.tracking.index.base import ProcessId
from resume_ner.tracking.liveness import HOST_ENV, Heartbeat, claim_lease
from resume_ner.tracking.trackers.sweep import MLflowSweepTracker, build_trial_context

#: Seconds the run writer is held busy, so that the trials are still queued when the session
#: is closed (closing waits for them).
HOLD_S = 1.0
N_TRIALS = 3


def _open(project) -> TrackingContext:
    return TrackingContext.open(
        project.paths, project.project, tracking_uri=project.tracking_uri, environ={}
    )


def _start_sweep(tracker: MLflowSweepTracker, name: str) -> tuple[NamingContext, str]:
    context = NamingContext("hpo_sweep", "tiny", study_key_hash=name * 64)
    sweep_id = tracker.start_sweep_run(
        context,
        study_name=f"session-{name}",
        sampler="tpe",
        pruner=None,
        objective_metric="macro_f1",
        objective_direction="maximize",
        search_space={},
        n_trials=N_TRIALS,
    )
    assert sweep_id is not None
    return context, sweep_id


def _queue_trials(tracking: TrackingContext, name: str) -> str:
    """Start a sweep, hold the session's writer for :data:`HOLD_S`, then queue the trials
    (create, log, end) behind it; return the sweep run's id."""
    tracker = MLflowSweepTracker(tracking, synchronous=False)
    context, sweep_id = _start_sweep(tracker, name)
    tracking.run_writer().submit(lambda: threading.Event().wait(HOLD_S))
    for number in range(N_TRIALS):
        trial = build_trial_context(context, number, {"lr": number})
        handle = tracker.submit_trial_run(sweep_id, trial, hyperparameters={"lr": number})
        tracker.defer(handle, metrics={"macro_f1": number / 10})
        tracker.end_run(handle, "FINISHED")
    return sweep_id


def _trials(tracking_uri: str, sweep_id: str) -> list:
    """The trial runs of ``sweep_id``, read with a client of its own."""
    client = MlflowClient(tracking_uri=tracking_uri)
    return client.search_runs(
        [client.get_run(sweep_id).info.experiment_id],
        f"tags.`mlflow.parentRunId` = '{sweep_id}'",
    )


def _assert_all_written(tracking_uri: str, sweep_id: str) -> None:
    runs = _trials(tracking_uri, sweep_id)
    assert sorted(run.data.metrics["macro_f1"] for run in runs) == [0.0, 0.1, 0.2]
    assert {run.info.status for run in runs} == {"FINISHED"}
    assert sorted(run.data.params["lr"] for run in runs) == ["0", "1", "2"]


def test_closing_a_session_writes_every_run_its_background_trackers_queued(project, caplog):
    tracking = _open(project)
    sweep_id = _queue_trials(tracking, "a")
    assert _trials(project.tracking_uri, sweep_id) == []  # all still queued

    with caplog.at_level(logging.INFO, logger="resume_ner.tracking.context"):
        tracking.close()

    _assert_all_written(project.tracking_uri, sweep_id)
    assert "queued tracking operations before closing" in caplog.text


def test_a_closed_session_refuses_background_work_with_a_tracking_error(project):
    tracking = _open(project)
    tracker = MLflowSweepTracker(tracking, synchronous=False)
    context, sweep_id = _start_sweep(tracker, "b")
    tracking.close()

    with pytest.raises(TrackingError, match="closed"):
        tracker.submit_trial_run(sweep_id, build_trial_context(context, 0, {}), hyperparameters={})
    with pytest.raises(TrackingError, match="closed"):
        tracking.run_writer()
    with pytest.raises(TrackingError, match="closed"):
        tracking.sweep_tracker()


def test_closing_a_session_twice_does_nothing_the_second_time(project):
    tracking = _open(project)
    sweep_id = _queue_trials(tracking, "c")

    tracking.close()
    tracking.close()

    assert tracking.closed
    _assert_all_written(project.tracking_uri, sweep_id)


def test_a_with_block_closes_the_session_when_its_body_raises(project):
    sweep_ids = []

    with pytest.raises(RuntimeError, match="the trial failed"), _open(project) as tracking:
        sweep_ids.append(_queue_trials(tracking, "d"))
        raise RuntimeError("the trial failed")

    assert tracking.closed
    _assert_all_written(project.tracking_uri, sweep_ids[0])


def test_two_sessions_in_one_process_are_independent(project):
    first, second = _open(project), _open(project)
    assert first.run_writer() is not second.run_writer()
    assert first.sweep_tracker() is not second.sweep_tracker()
    assert first.sweep_tracker() is first.sweep_tracker()

    first_sweep = _queue_trials(first, "e")
    first.close()
    second_sweep = _queue_trials(second, "f")
    second.close()

    _assert_all_written(project.tracking_uri, first_sweep)
    _assert_all_written(project.tracking_uri, second_sweep)


def _worker(root: str, tracking_uri: str, results) -> None:
    """A worker-like process: opens its session, queues trials and leaves by closing it
    (a process started by multiprocessing runs no ``atexit`` handler on its way out)."""
    paths = ProjectPaths.at(root)
    with TrackingContext.open(
        paths, ProjectConfig.load(), tracking_uri=tracking_uri, environ={}
    ) as t:
        results.put(_queue_trials(t, "9"))


def test_a_spawned_worker_that_closes_its_session_leaves_no_run_unwritten(project):
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    worker = context.Process(
        target=_worker, args=(str(project.paths.root), project.tracking_uri, results)
    )
    worker.start()
    sweep_id = results.get(timeout=300)
    worker.join(timeout=300)

    assert worker.exitcode == 0
    _assert_all_written(project.tracking_uri, sweep_id)


def test_opening_a_session_leaves_the_environment_and_mlflows_tracking_uri_alone(project):
    import mlflow

    environment = dict(os.environ)
    global_uri = mlflow.get_tracking_uri()

    with _open(project) as tracking:
        _queue_trials(tracking, "0")

    assert dict(os.environ) == environment
    assert mlflow.get_tracking_uri() == global_uri != project.tracking_uri


def test_runs_carry_the_process_tags_the_session_read_when_it_opened(project):
    with _open(project) as tracking:
        tracker = tracking.sweep_tracker()
        _, sweep_id = _start_sweep(tracker, "1")

    tags = project.client.get_run(sweep_id).data.tags
    assert tags[project.registry.key("process", "pid")] == str(os.getpid())
    assert tags[project.registry.key("process", "host")] == tracking.process_tags["process.host"]


def test_each_session_records_the_machine_its_environment_names(project):
    """Two sessions of one process opened with different environments tag their runs, beat and
    hold leases as their own machine: the host is read when a session opens, not process-wide."""
    sessions = {
        host: TrackingContext.open(
            project.paths,
            project.project,
            tracking_uri=project.tracking_uri,
            environ={HOST_ENV: host},
        )
        for host in ("machine-a", "machine-b")
    }
    try:
        for host, session in sessions.items():
            assert session.process == ProcessId(host, os.getpid())
            _, sweep_id = _start_sweep(MLflowSweepTracker(session), host[-1])
            tags = project.client.get_run(sweep_id).data.tags
            assert tags[session.registry.key("process", "host")] == host
            assert claim_lease(session.index, f"lease-{host}", grace_s=60).holder == session.process
        with Heartbeat(sessions["machine-a"].index, 60), Heartbeat(sessions["machine-b"].index, 60):
            beats = set(sessions["machine-a"].index.list_beats())
        assert beats == {ProcessId("machine-a", os.getpid()), ProcessId("machine-b", os.getpid())}
    finally:
        for session in sessions.values():
            session.close()
