"""Helpers for finder, query, hash and probe tests: contexts and runs tagged as stages tag them."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from resume_ner.naming.context import NamingContext
from resume_ner.naming.keys import build_mlflow_run_key, build_mlflow_run_key_hash
from resume_ner.naming.policy import build_mlflow_experiment_name
from resume_ner.naming.tags import build_mlflow_tags
from resume_ner.tracking.context import TrackingContext
from resume_ner.tracking.runs import create_run_safe

SPEC_FP = "a" * 64
EXEC_FP = "b" * 64


def training_context(**changes: Any) -> NamingContext:
    """A final-training context; ``changes`` override its fields."""
    base = NamingContext("final_training", "distilbert", spec_fp=SPEC_FP, exec_fp=EXEC_FP)
    return base.with_changes(**changes)


def run_key_hash_of(context: NamingContext) -> str:
    return build_mlflow_run_key_hash(build_mlflow_run_key(context))


def experiment_name_of(tracking: TrackingContext, process_type: str = "final_training") -> str:
    return build_mlflow_experiment_name(process_type, tracking.policy)


def make_run_in(
    tracking: TrackingContext,
    context: NamingContext,
    *,
    run_name: str | None = None,
    with_key_hash: bool = True,
    status: str | None = "FINISHED",
    extra: Mapping[str, Any] | None = None,
    experiment_id: str | None = None,
):
    """A run of ``context`` in its stage's experiment, tagged as a stage tags its run.

    Unlike a stage run it gets no index entry, and ``with_key_hash=False`` leaves out the
    run-key tags (a run written before they existed). ``experiment_id`` overrides the stage's
    experiment; ``status=None`` leaves the run RUNNING.
    """
    time.sleep(0.002)  # distinct start times (milliseconds), so "newest first" is well defined
    run_key = build_mlflow_run_key(context) if with_key_hash else None
    tags = build_mlflow_tags(
        tracking.registry,
        context,
        project_name=tracking.policy.project,
        run_key=run_key,
        run_key_hash=build_mlflow_run_key_hash(run_key) if run_key else None,
        extra=extra,
    )
    run = create_run_safe(
        tracking.client,
        experiment_id or tracking.experiment_id_for(context.process_type),
        run_name or f"run-{context.process_type}",
        tags=tags,
    )
    if status is not None:
        tracking.client.set_terminated(run.info.run_id, status)
    return tracking.client.get_run(run.info.run_id)
