"""HPO tracking: finding, taking over or starting a sweep's run, and trial runs without CV.

A sweep has one run per identity (its run key: the study key hash). Running the sweep again
finds that run instead of starting a second one:

- no run, or ``force``: a new sweep run is started (the next version of its name);
- a run that ended (FINISHED, KILLED, FAILED), or one left RUNNING by a process of this
  machine that is gone: this process *takes it over*: the run is set RUNNING again, its host
  and pid tags name this process and ``hpo.resumed`` is set;
- a run RUNNING for a live process here, or for a process on another machine: it is in use;
  :func:`setup_hpo_mlflow_run` raises :class:`SweepRunInUseError` and the caller may join the
  sweep by attaching trials to that run without owning it.

Trials with cross-validation go through
:class:`~resume_ner.tracking.trackers.sweep.MLflowSweepTracker` directly (trial run, fold runs,
aggregated result); :func:`create_trial_run_no_cv` and :func:`finalize_trial_run_no_cv` cover
trials without CV, whose own run holds the metrics. Both cost the three-call minimum when they
share one tracker: ``create_run`` with all tags, one ``log_batch``, one ``set_terminated``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from resume_ner.naming.context import NamingContext
from resume_ner.tracking.context import TrackingContext
from resume_ner.tracking.errors import TrackingError
from resume_ner.tracking.liveness import (
    is_process_alive,
    owner_started_before_s,
    process_tags,
    this_host,
)
from resume_ner.tracking.reuse import find_stage_run
from resume_ner.tracking.trackers.sweep import MLflowSweepTracker

if TYPE_CHECKING:
    from mlflow.entities import Run

logger = logging.getLogger(__name__)

SweepRunAction = Literal["create", "take_over", "join"]

_TRACKERS: dict[int, MLflowSweepTracker] = {}
_TRACKERS_LOCK = threading.Lock()


class SweepRunInUseError(TrackingError):
    """The sweep's run is RUNNING for another live process (or a process on another machine)."""

    def __init__(self, run_id: str, host: str | None, pid: str | None) -> None:
        super().__init__(
            f"sweep run {run_id} is in use by process {pid or '?'} on {host or 'an unknown host'}"
        )
        self.run_id = run_id
        self.host = host
        self.pid = pid


@dataclass(frozen=True)
class SweepRunLookup:
    """The existing run of a sweep identity and what a new sweep process does with it.

    ``action`` is ``take_over`` for a run that ended or whose process on this machine is
    gone, ``join`` for a run another live (or remote) process is running. ``matched_by`` names
    the finder strategy that found it (``local_index``, ``tag_run_key_hash``).
    """

    run_id: str
    status: str
    action: SweepRunAction
    matched_by: str
    host: str | None
    pid: str | None
    reason: str
    run: Run


def sweep_tracker(tracking: TrackingContext) -> MLflowSweepTracker:
    """The sweep tracker of ``tracking``, one per context, so that deferred values are shared.

    A trial's hyperparameters wait in its tracker for the trial's one result batch; functions
    that start and end the same trial must therefore use the same tracker, which this returns.
    """
    key = id(tracking)
    with _TRACKERS_LOCK:
        tracker = _TRACKERS.get(key)
        if tracker is None or tracker.tracking is not tracking:
            tracker = MLflowSweepTracker(tracking)
            _TRACKERS[key] = tracker
        return tracker


def classify_sweep_run(
    run: Run, tracking: TrackingContext, matched_by: str = "direct_run_id"
) -> SweepRunLookup:
    """Decide whether ``run`` (a sweep run) is taken over or joined, and why."""
    registry = tracking.registry
    tags = run.data.tags
    host = tags.get(registry.key("process", "host"))
    pid = tags.get(registry.key("process", "pid"))
    status = run.info.status
    action: SweepRunAction
    if status != "RUNNING":
        action, reason = "take_over", f"the sweep run ended {status}"
    elif host != this_host():
        action, reason = "join", f"the sweep run is RUNNING on host {host or '?'}"
    elif pid is not None and pid.isdigit() and int(pid) == os.getpid():
        action, reason = "take_over", "the sweep run belongs to this process"
    elif (
        pid is not None
        and pid.isdigit()
        and is_process_alive(
            int(pid),
            started_before_s=owner_started_before_s(
                run.data.tags, tracking.registry, run.info.start_time
            ),
        )
    ):
        action, reason = "join", f"the sweep run is RUNNING in live process {pid}"
    else:
        action, reason = "take_over", f"the sweep run's process {pid or '?'} on {host} is gone"
    return SweepRunLookup(run.info.run_id, status, action, matched_by, host, pid, reason, run)


def find_sweep_run(
    tracking: TrackingContext, sweep_context: NamingContext
) -> SweepRunLookup | None:
    """The run of the sweep identity ``sweep_context`` (strict lookup), classified; else ``None``.

    Only the run index and the run-key hash tag are consulted, so a run of another identity is
    never returned. Reads only.
    """
    report = find_stage_run(tracking, sweep_context)
    if report is None:
        return None
    return classify_sweep_run(report.run, tracking, report.strategy_used or "tag_run_key_hash")


def take_over_sweep_run(tracking: TrackingContext, run_id: str) -> None:
    """Make ``run_id`` this process's sweep run: RUNNING again, host/pid of this process, resumed.

    The previous owner is kept in ``process.status_note``. Raises ``MlflowException`` when the
    store refuses the update.
    """
    from mlflow.entities import RunTag

    registry = tracking.registry
    run = tracking.client.get_run(run_id)
    previous = (
        f"resumed by process {os.getpid()} on {this_host()} after "
        f"{run.info.status} (was process {run.data.tags.get(registry.key('process', 'pid'), '?')} "
        f"on {run.data.tags.get(registry.key('process', 'host'), '?')})"
    )
    tracking.client.log_batch(
        run_id,
        tags=[
            *(RunTag(registry[name], value) for name, value in process_tags().items()),
            RunTag(registry.key("hpo", "resumed"), "true"),
            RunTag(registry.key("process", "status_note"), previous[:200]),
        ],
    )
    if run.info.status != "RUNNING":
        tracking.client.update_run(run_id, status="RUNNING")
    logger.info("took over sweep run %s: %s", run_id, previous)


def setup_hpo_mlflow_run(
    tracking: TrackingContext,
    sweep_context: NamingContext,
    *,
    study_name: str,
    sampler: str | Mapping[str, Any],
    pruner: str | Mapping[str, Any] | None,
    objective_metric: str,
    objective_direction: str,
    search_space: Mapping[str, Any],
    n_trials: int,
    n_folds: int | None = None,
    force: bool = False,
    lookup: SweepRunLookup | None = None,
) -> tuple[str | None, bool]:
    """Find, take over or start the sweep run of ``sweep_context``; return ``(run_id, resumed)``.

    The run is looked up strictly by its run key (unless ``lookup``, the result of
    :func:`find_sweep_run`, is given or ``force`` asks for a new version). A run that ended or
    whose process is gone is taken over (``resumed=True``, see :func:`take_over_sweep_run`);
    none is started with :meth:`MLflowSweepTracker.start_sweep_run` (the other arguments are
    its own). Returns ``(None, False)`` when HPO tracking is off. Raises
    :class:`SweepRunInUseError` when another live process runs the sweep, and what run
    creation raises.
    """
    tracker = sweep_tracker(tracking)
    if not tracker.enabled:
        return None, False
    if not force:
        lookup = lookup or find_sweep_run(tracking, sweep_context)
        if lookup is not None:
            if lookup.action == "join":
                raise SweepRunInUseError(lookup.run_id, lookup.host, lookup.pid)
            take_over_sweep_run(tracking, lookup.run_id)
            return lookup.run_id, True
    run_id = tracker.start_sweep_run(
        sweep_context,
        study_name=study_name,
        sampler=sampler,
        pruner=pruner,
        objective_metric=objective_metric,
        objective_direction=objective_direction,
        search_space=search_space,
        n_trials=n_trials,
        n_folds=n_folds,
    )
    return run_id, False


def create_trial_run(
    tracking: TrackingContext,
    sweep_run_id: str | None,
    trial_context: NamingContext,
    params: Mapping[str, Any],
    *,
    n_folds: int | None = None,
    tags: Mapping[str, Any] | None = None,
) -> str | None:
    """Create a trial run under the sweep with ``tags`` in the creating call; return its id.

    ``trial_context`` is the trial's (see
    :func:`~resume_ner.tracking.trackers.sweep.build_trial_context`); ``tags`` use registry
    names and join the identity tags, so that the trial's one result batch carries no tags. The
    hyperparameters wait for that batch. Returns ``None`` when the sweep is not tracked.
    """
    if sweep_run_id is None:
        return None
    all_tags: dict[str, Any] = {"hpo.n_folds": n_folds}
    all_tags.update(tags or {})
    stage_run = sweep_tracker(tracking).start_run(
        trial_context,
        parent_run_id=sweep_run_id,
        tags=all_tags,
        params=params,
        defer_params=True,
    )
    return stage_run.run_id if stage_run else None


def create_trial_run_no_cv(
    tracking: TrackingContext,
    sweep_run_id: str | None,
    trial_context: NamingContext,
    params: Mapping[str, Any],
    *,
    tags: Mapping[str, Any] | None = None,
) -> str | None:
    """Create the run of a trial without cross-validation under the sweep; return its id.

    See :func:`create_trial_run`; :func:`finalize_trial_run_no_cv` logs the trial's metrics
    with its hyperparameters and ends the run.
    """
    return create_trial_run(tracking, sweep_run_id, trial_context, params, tags=tags)


def finalize_trial_run_no_cv(
    tracking: TrackingContext,
    run_id: str | None,
    metrics: Mapping[str, float],
    status: str = "FINISHED",
    *,
    tags: Mapping[str, Any] | None = None,
    step: int | None = None,
) -> None:
    """Log a trial's metrics (with its deferred hyperparameters) in one batch and end its run.

    ``status`` is the run's end status (``FINISHED``, ``KILLED`` for a pruned trial,
    ``FAILED``); ``tags`` (registry names) travel in the same batch. Does nothing for a
    ``None`` run id. Raises what :meth:`BaseTracker.end_run` raises.
    """
    if run_id is None:
        return
    tracker = sweep_tracker(tracking)
    tracker.defer(run_id, metrics=dict(metrics), step=step)
    tracker.end_run(run_id, status, tags=tags)


def close_trial_runs(tracking: TrackingContext, trial_run_id: str, reason: str) -> list[str]:
    """End a trial run and its fold runs that are still RUNNING as KILLED, tagged interrupted.

    For trials Optuna failed because their process stopped (no heartbeat, or gone from this
    machine): their runs would otherwise stay RUNNING for ever. Runs that already ended keep
    their status and tags. Returns the ids of the runs ended. Raises ``MlflowException`` when
    the store cannot be read.
    """
    from resume_ner.tracking.filters import and_filters, attribute_equals, tag_equals
    from resume_ner.tracking.lifecycle import terminate_run_with_tags
    from resume_ner.tracking.queries import search_all_runs

    registry = tracking.registry
    client = tracking.client
    trial_run = client.get_run(trial_run_id)
    runs = [trial_run]
    runs += search_all_runs(
        client,
        [trial_run.info.experiment_id],
        and_filters(
            tag_equals(registry.key("mlflow", "parent_run_id"), trial_run_id),
            attribute_equals("status", "RUNNING"),
        ),
    )
    tags = {
        registry.key("process", "interrupted"): "true",
        registry.key("process", "interrupted_reason"): reason,
    }
    closed = []
    for run in runs:
        if run.info.status != "RUNNING":
            continue
        if terminate_run_with_tags(client, run.info.run_id, "KILLED", tags):
            closed.append(run.info.run_id)
    if closed:
        logger.warning("closed runs %s of a failed trial: %s", closed, reason)
    return closed
