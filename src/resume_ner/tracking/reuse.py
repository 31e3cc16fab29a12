"""Finding the existing run of a stage's identity, so that a stage is not run twice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from resume_ner.naming.context import NamingContext
from resume_ner.naming.policy import build_mlflow_experiment_name
from resume_ner.tracking.context import TrackingContext
from resume_ner.tracking.errors import RunNotFoundError
from resume_ner.tracking.finder import find_mlflow_run

if TYPE_CHECKING:
    from mlflow.entities import Run


def find_stage_run(tracking: TrackingContext, context: NamingContext) -> Run | None:
    """The newest run carrying the identity of ``context`` (any status), or ``None``.

    A strict lookup (run index, then the run-key hash tag): a run of another identity is never
    returned, whatever the configured default.
    """
    try:
        report = find_mlflow_run(
            tracking.client,
            build_mlflow_experiment_name(context.process_type, tracking.policy),
            registry=tracking.registry,
            context=context,
            index=tracking.index if tracking.config.index.enabled else None,
            tracking_uri=tracking.tracking_uri,
            strict=True,
        )
    except RunNotFoundError:
        return None
    return report.run
