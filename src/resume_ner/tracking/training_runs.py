"""Training runs: find-or-create a final training or refit run, and child runs for subprocesses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from resume_ner.naming.context import NamingContext
from resume_ner.tracking.reuse import find_finished_stage_run
from resume_ner.tracking.trackers.training import MLflowTrainingTracker


@dataclass(frozen=True)
class TrainingRun:
    """The run a training step logs into; ``reused`` when a finished run of its identity existed."""

    run_id: str | None
    reused: bool
    status: str | None = None


def create_training_mlflow_run(
    tracker: MLflowTrainingTracker,
    context: NamingContext,
    *,
    force: bool = False,
    **start_kwargs: Any,
) -> TrainingRun:
    """The training run of ``context``: the FINISHED run of that identity, else a new run.

    With ``force`` a new run (the next version of the name) is created even when one finished.
    ``start_kwargs`` go to :meth:`MLflowTrainingTracker.start_training_run` (params, id2label,
    lineage, parent_run_id, ...). Returns ``run_id=None`` when training tracking is off.
    """
    if not tracker.enabled:
        return TrainingRun(None, reused=False)
    if not force:
        existing = find_finished_stage_run(tracker.tracking, context)
        if existing is not None:
            return TrainingRun(existing, reused=True, status="FINISHED")
    run_id = tracker.start_training_run(context, **start_kwargs)
    return TrainingRun(run_id, reused=False, status="RUNNING")
