"""Closing runs whose process died: tag them interrupted and end them as KILLED.

MLflow has no liveness: a process killed mid-run leaves its run RUNNING for ever. Every run
resume-ner creates carries the host and pid of its process, so a RUNNING run whose process is
gone from this machine can be told apart from one that is still working. A run of another
machine counts as interrupted when its process wrote heartbeats through the index backend and
has been silent for longer than the grace period (see :mod:`resume_ner.tracking.liveness`);
one whose process never wrote a heartbeat is left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from resume_ner.naming.tags import TagsRegistry
from resume_ner.tracking.filters import and_filters, tag_equals
from resume_ner.tracking.index.base import ProcessId
from resume_ner.tracking.lifecycle import terminate_run_with_tags
from resume_ner.tracking.liveness import (
    is_gone,
    is_process_alive,
    owner_started_before_s,
)
from resume_ner.tracking.queries import search_all_runs

if TYPE_CHECKING:
    from mlflow.entities import Run
    from mlflow.tracking import MlflowClient

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InterruptedRun:
    """A RUNNING run whose process is gone, and why it counts as interrupted."""

    run_id: str
    run_name: str
    reason: str


def should_skip_cleanup(
    run: Run, registry: TagsRegistry, *, project: str, current_run_ids: frozenset[str]
) -> bool:
    """Whether ``run`` is out of scope: another project's run, one of ours in use, or not RUNNING."""
    if run.info.status != "RUNNING" or run.info.run_id in current_run_ids:
        return True
    return run.data.tags.get(registry.key("process", "project")) != project


def should_tag_as_interrupted(
    run: Run,
    registry: TagsRegistry,
    *,
    host: str,
    beats: Mapping[ProcessId, str] | None = None,
    grace_s: float | None = None,
) -> str | None:
    """Why ``run`` counts as interrupted, or ``None``.

    Its process on ``host`` (this machine) is gone; or, on another machine, its heartbeat in
    ``beats`` is older than ``grace_s``.
    """
    tags = run.data.tags
    if tags.get(registry.key("process", "interrupted")) == "true":
        return "already tagged interrupted"
    run_host = tags.get(registry.key("process", "host"))
    pid_text = tags.get(registry.key("process", "pid"), "")
    if not run_host or not pid_text.isdigit():
        return None
    if run_host != host:
        beat = (beats or {}).get(ProcessId(run_host, int(pid_text)))
        if beat is None or grace_s is None:
            return None
        if not is_gone(
            ProcessId(run_host, int(pid_text)), host=host, grace_s=grace_s, last_beat=beat
        ):
            return None
        return f"process {pid_text} on {run_host} has written no heartbeat for over {grace_s:g} s"
    started_s = owner_started_before_s(tags, registry, run.info.start_time)
    if is_process_alive(int(pid_text), started_before_s=started_s):
        return None
    return f"process {pid_text} on {run_host} is gone"


def cleanup_interrupted_runs(
    client: MlflowClient,
    experiment_ids: list[str],
    *,
    registry: TagsRegistry,
    project: str,
    host: str,
    current_run_ids: frozenset[str] = frozenset(),
    dry_run: bool = False,
    beats: Mapping[ProcessId, str] | None = None,
    grace_s: float | None = None,
) -> list[InterruptedRun]:
    """Find RUNNING runs of ``project`` whose process died; unless ``dry_run``, end them KILLED.

    ``host`` names this machine. Each one is tagged ``process.interrupted = true`` with the
    reason. Runs in ``current_run_ids`` are never touched. ``beats`` (the index backend's
    heartbeats) and ``grace_s`` judge runs of other machines (see
    :func:`should_tag_as_interrupted`). Returns the interrupted runs found.
    """
    if not experiment_ids:
        return []
    running = search_all_runs(
        client,
        experiment_ids,
        filter_string=and_filters(
            "attributes.status = 'RUNNING'", tag_equals(registry.key("process", "project"), project)
        ),
    )
    found = []
    for run in running:
        if should_skip_cleanup(run, registry, project=project, current_run_ids=current_run_ids):
            continue
        reason = should_tag_as_interrupted(run, registry, host=host, beats=beats, grace_s=grace_s)
        if reason is None:
            continue
        found.append(InterruptedRun(run.info.run_id, run.info.run_name, reason))
    if dry_run:
        return found
    for interrupted in found:
        terminate_run_with_tags(
            client,
            interrupted.run_id,
            "KILLED",
            {
                registry.key("process", "interrupted"): "true",
                registry.key("process", "interrupted_reason"): interrupted.reason,
            },
        )
        logger.warning(
            "closed interrupted run %s (%s): %s",
            interrupted.run_name,
            interrupted.run_id,
            interrupted.reason,
        )
    return found
