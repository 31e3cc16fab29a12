"""Finding the existing run of a stage's identity, so that a stage is not run twice."""

from __future__ import annotations

from resume_ner.naming.context import NamingContext
from resume_ner.naming.policy import build_mlflow_experiment_name
from resume_ner.tracking.context import TrackingContext
from resume_ner.tracking.errors import RunNotFoundError
from resume_ner.tracking.finder import find_mlflow_run
from resume_ner.tracking.types import RunLookupReport


def find_stage_run(tracking: TrackingContext, context: NamingContext) -> RunLookupReport | None:
    """The lookup report of the newest run carrying the identity of ``context`` (any status),
    or ``None`` when there is none; ``report.run`` is the run.

    A strict lookup (run index, then the run-key hash tag): a run of another identity is never
    returned, whatever the configured default.
    """
    try:
        report = find_mlflow_run(
            tracking.reader,
            build_mlflow_experiment_name(context.process_type, tracking.policy),
            registry=tracking.registry,
            context=context,
            index=tracking.index if tracking.config.index.enabled else None,
            max_entries=tracking.config.index.max_entries,
            strict=True,
        )
    except RunNotFoundError:
        return None
    return report if report.run is not None else None


def find_finished_stage_run(tracking: TrackingContext, context: NamingContext) -> str | None:
    """The id of the FINISHED run of ``context``'s identity, ``None`` when there is none
    (a run of that identity that failed or is still running does not count)."""
    report = find_stage_run(tracking, context)
    if report is not None and report.run.info.status == "FINISHED":
        return report.run.info.run_id
    return None
