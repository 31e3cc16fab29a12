"""HPO tracking: owning, joining or starting a sweep's run, and trial runs without CV.

A sweep has one run per identity (its run key: the study key hash), and one *owner*: the
process holding the sweep's lease in the index backend (:func:`claim_sweep`), which any number
of processes on any number of machines may try to claim at once; exactly one gets it. The owner
finds the sweep run and takes it over, or starts it when there is none, and publishes its id on
the lease; every other process *joins*: it waits for that id and attaches its trials to the run.

- no run, or ``force``: the owner starts a new sweep run (the next version of its name);
- a run that exists, whatever its status: the owner *takes it over*: the run is set RUNNING
  again, its host and pid tags name this process and ``hpo.resumed`` is set.

The owner writes a heartbeat (:class:`~resume_ner.tracking.liveness.Heartbeat`); when it dies
on this machine, or falls silent on another for longer than the grace period, the next process
that claims the lease takes the sweep over.

Trials, with or without cross-validation, go through
:class:`~resume_ner.tracking.trackers.sweep.MLflowSweepTracker` (trial run, fold runs,
aggregated result); each run costs the three-call minimum: ``create_run`` with all tags, one
``log_batch``, one ``set_terminated``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from resume_ner.naming.context import NamingContext
from resume_ner.naming.keys import build_mlflow_run_key, build_mlflow_run_key_hash
from resume_ner.tracking.context import TrackingContext
from resume_ner.tracking.errors import TrackingError, store_errors
from resume_ner.tracking.index.base import Lease, ProcessId
from resume_ner.tracking.liveness import (
    lease_holder_is_gone,
    wait_for_lease_value,
)
from resume_ner.tracking.reuse import find_stage_run

if TYPE_CHECKING:
    from mlflow.entities import Run

logger = logging.getLogger(__name__)

SweepRunAction = Literal["create", "take_over", "join"]

#: Seconds an owner may stay silent before another process takes its sweep over (as
#: ``hpo.yaml``'s default grace period).
DEFAULT_GRACE_S = 20.0
#: Seconds a joining process waits for the sweep's owner to publish the sweep run.
JOIN_TIMEOUT_S = 600.0


class SweepRunInUseError(TrackingError):
    """``--force`` asked for a new sweep run while another live process owns the sweep."""

    def __init__(self, run_id: str | None, host: str | None, pid: str | None) -> None:
        super().__init__(
            f"sweep run {run_id or '(not started yet)'} is in use by process {pid or '?'} on "
            f"{host or 'an unknown host'}"
        )
        self.run_id = run_id
        self.host = host
        self.pid = pid


@dataclass(frozen=True)
class SweepRunLookup:
    """The existing run of a sweep identity and what a new sweep process does with it.

    ``action`` is ``join`` while a live process other than this one owns the sweep (holds
    its lease), else ``take_over``. ``matched_by`` names the finder strategy that found it
    (``local_index``, ``tag_run_key_hash``).
    """

    run_id: str
    status: str
    action: SweepRunAction
    matched_by: str
    host: str | None
    pid: str | None
    reason: str
    run: Run


@dataclass(frozen=True)
class SweepClaim:
    """This process's part in a sweep: owner of its lease or not, and the sweep run's id.

    ``run_id`` is ``None`` for an owner that has not set the run up yet, and for a sweep that
    is not tracked; ``holder`` is the lease's holder (this process for an owner); ``resumed``
    tells an owner that took an existing sweep run over.
    """

    lease_name: str
    owner: bool
    run_id: str | None = None
    holder: ProcessId | None = None
    resumed: bool = False


def sweep_lease_name(sweep_context: NamingContext) -> str:
    """The name of the lease that makes one process the owner of the sweep ``sweep_context``."""
    return f"hpo_sweep:{build_mlflow_run_key_hash(build_mlflow_run_key(sweep_context))}"


def classify_sweep_run(
    run: Run,
    tracking: TrackingContext,
    matched_by: str = "direct_run_id",
    *,
    owner: Lease | None = None,
    grace_s: float = DEFAULT_GRACE_S,
) -> SweepRunLookup:
    """Decide whether ``run`` (a sweep run) is taken over or joined, and why.

    ``owner`` is the sweep's lease: the run is joined while a live process other than this
    one holds it (:func:`~resume_ner.tracking.liveness.lease_holder_is_gone` with ``grace_s``).
    """
    registry = tracking.registry
    tags = run.data.tags
    host = tags.get(registry.key("process", "host"))
    pid = tags.get(registry.key("process", "pid"))
    status = run.info.status
    action: SweepRunAction
    if (
        owner is not None
        and owner.holder != tracking.process
        and not lease_holder_is_gone(tracking.index, owner, grace_s)
    ):
        action, reason = "join", f"the sweep is owned by live {owner.holder}"
    elif status != "RUNNING":
        action, reason = "take_over", f"the sweep run ended {status}"
    elif owner is None:
        # Owners hold the lease while they run: a RUNNING run without one lost its process.
        action, reason = "take_over", f"the sweep run's process {pid or '?'} on {host} is gone"
    else:
        action, reason = "take_over", f"the sweep's owner {owner.holder} is gone"
    return SweepRunLookup(run.info.run_id, status, action, matched_by, host, pid, reason, run)


def find_sweep_run(
    tracking: TrackingContext, sweep_context: NamingContext, *, grace_s: float = DEFAULT_GRACE_S
) -> SweepRunLookup | None:
    """The run of the sweep identity ``sweep_context`` (strict lookup), classified; else ``None``.

    Only the run index and the run-key hash tag are consulted, so a run of another identity is
    never returned. Reads only.
    """
    report = find_stage_run(tracking, sweep_context)
    if report is None:
        return None
    return classify_sweep_run(
        report.run,
        tracking,
        report.strategy_used or "tag_run_key_hash",
        owner=tracking.index.get_lease(sweep_lease_name(sweep_context)),
        grace_s=grace_s,
    )


def claim_sweep(
    tracking: TrackingContext,
    sweep_context: NamingContext,
    *,
    grace_s: float = DEFAULT_GRACE_S,
    wait_s: float = JOIN_TIMEOUT_S,
) -> SweepClaim:
    """Become the owner of the sweep ``sweep_context``, or learn the run of its live owner.

    Atomic through the index backend (:func:`~resume_ner.tracking.liveness.claim_lease`): of
    any number of processes claiming at once, one owns the sweep. The others wait (at most
    ``wait_s``) for the owner to publish the sweep run's id, taking the sweep over themselves
    if the owner is gone meanwhile (``grace_s``). Raises ``TimeoutError`` when the owner
    publishes nothing in time, :class:`~resume_ner.tracking.index.base.IndexBackendError`
    when the backend fails.
    """
    name = sweep_lease_name(sweep_context)
    lease = wait_for_lease_value(tracking.index, name, grace_s, timeout_s=wait_s)
    if lease.holder == tracking.process:
        return SweepClaim(name, True, holder=lease.holder)
    return SweepClaim(name, False, lease.value or None, lease.holder)


def release_sweep(tracking: TrackingContext, claim: SweepClaim) -> None:
    """Give up the ownership ``claim`` holds (the sweep ended, or this process stops owning it).

    A failure is logged: the lease then passes on once this process is gone.
    """
    if not claim.owner:
        return
    try:
        tracking.index.release_lease(claim.lease_name, tracking.process)
    except store_errors() as exc:
        logger.warning("could not release %s: %s", claim.lease_name, exc)


def take_over_sweep_run(tracking: TrackingContext, run_id: str) -> None:
    """Make ``run_id`` this process's sweep run: RUNNING again, host/pid of this process, resumed.

    The previous owner is kept in ``process.status_note``. Raises ``MlflowException`` when the
    store refuses the update.
    """
    from mlflow.entities import RunTag

    registry = tracking.registry
    run = tracking.client.get_run(run_id)
    previous = (
        f"resumed by process {os.getpid()} on {tracking.host} after "
        f"{run.info.status} (was process {run.data.tags.get(registry.key('process', 'pid'), '?')} "
        f"on {run.data.tags.get(registry.key('process', 'host'), '?')})"
    )
    tracking.client.log_batch(
        run_id,
        tags=[
            *(RunTag(registry[name], value) for name, value in tracking.process_tags.items()),
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
    claim: SweepClaim | None = None,
    grace_s: float = DEFAULT_GRACE_S,
) -> SweepClaim:
    """Own or join the sweep of ``sweep_context``; return the claim with the sweep run's id.

    ``claim`` is the result of :func:`claim_sweep` (claimed here when not given). A joining
    process gets the run its owner published. The owner takes over the run found strictly by
    its run key (``lookup`` when given: it must have been read under the claim), or starts one
    with the session's sweep tracker (:meth:`MLflowSweepTracker.start_sweep_run
    <resume_ner.tracking.trackers.sweep.MLflowSweepTracker.start_sweep_run>`: the other
    arguments are its own; ``force`` always starts a new version), then publishes its id. The claim's ``run_id`` is ``None``
    when HPO tracking is off. Raises :class:`SweepRunInUseError` when ``force`` meets a live
    owner, and what run creation raises.
    """
    tracker = tracking.sweep_tracker()
    claim = claim or claim_sweep(tracking, sweep_context, grace_s=grace_s)
    if not claim.owner:
        if force:
            holder = claim.holder
            raise SweepRunInUseError(
                claim.run_id, holder.host if holder else None, str(holder.pid) if holder else None
            )
        return claim
    run_id: str | None = None
    resumed = False
    if tracker.enabled:
        if not force:
            lookup = lookup or find_sweep_run(tracking, sweep_context, grace_s=grace_s)
        if lookup is not None and not force:
            take_over_sweep_run(tracking, lookup.run_id)
            run_id, resumed = lookup.run_id, True
        else:
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
    tracking.index.set_lease_value(claim.lease_name, tracking.process, run_id or "")
    return SweepClaim(claim.lease_name, True, run_id, claim.holder, resumed)


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
