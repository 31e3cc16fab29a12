"""Starting the run of one pipeline stage: identity, versioned name, tags, nesting, index.

:func:`start_stage_run` is how every stage (sweep, trial, fold, refit, final training,
conversion, benchmark) creates its run, so that each one gets its run key and hash as tags, a
policy-conform name with a never-repeated version, and an index entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from resume_ner.naming.context import NamingContext
from resume_ner.naming.keys import (
    build_counter_key,
    build_mlflow_run_key,
    build_mlflow_run_key_hash,
)
from resume_ner.naming.policy import (
    TRAINING_PROCESS_TYPES,
    build_mlflow_run_name,
    build_training_run_name_with_fallback,
)
from resume_ner.naming.tags import build_mlflow_tags
from resume_ner.tracking.context import TrackingContext
from resume_ner.tracking.index.run_index import update_mlflow_index
from resume_ner.tracking.index.version_counter import (
    commit_run_name_version,
    release_run_name_version,
    reserve_run_name_version,
)
from resume_ner.tracking.runs import create_child_run_core, create_run_safe


@dataclass(frozen=True)
class StageRun:
    """A run created for a stage, with the identity it was created for."""

    run_id: str
    run_name: str
    run_key: str
    run_key_hash: str
    experiment_id: str
    version: int | None


def start_stage_run(
    tracking: TrackingContext,
    context: NamingContext,
    *,
    parent_run_id: str | None = None,
    parent_experiment_id: str | None = None,
    extra_tags: Mapping[str, Any] | None = None,
    output_dir: Path | None = None,
) -> StageRun:
    """Create the (RUNNING) run of ``context``, nested under ``parent_run_id`` when given.

    ``parent_experiment_id``, the parent's experiment when the caller knows it, saves reading
    the parent run, so that creating a child run is a single MLflow call.

    ``extra_tags`` maps tag-registry names (``"section.name"``) to values. Raises
    :class:`~resume_ner.naming.errors.NamingError` for an incomplete context and
    :class:`~resume_ner.tracking.errors.RunCreationError` when MLflow refuses the run.
    """
    run_key = build_mlflow_run_key(context)
    run_key_hash = build_mlflow_run_key_hash(run_key)
    policy = tracking.policy
    counter_key = build_counter_key(
        policy.project, context.process_type, run_key_hash, context.environment
    )
    version = None
    if policy.is_versioned(context.process_type):
        version = reserve_run_name_version(tracking.index, counter_key)
    try:
        if context.process_type in TRAINING_PROCESS_TYPES:
            run_name = build_training_run_name_with_fallback(context, policy, run_key_hash, version)
        else:
            run_name = build_mlflow_run_name(context, policy, version)
        tags = build_mlflow_tags(
            tracking.registry,
            context,
            project_name=policy.project,
            created_by=tracking.user,
            run_key=run_key,
            run_key_hash=run_key_hash,
            output_dir=tracking.paths.relative(output_dir) if output_dir is not None else None,
            extra={**tracking.process_tags, **(extra_tags or {})},
            max_length=tracking.config.naming.tags.max_length,
        )
        if parent_run_id:
            run_id, run = create_child_run_core(
                parent_run_id,
                run_name,
                client=tracking.client,
                registry=tracking.registry,
                trial_number=context.trial_number,
                fold_idx=context.fold_idx,
                additional_tags=tags,
                experiment_id=parent_experiment_id,
                is_azure=tracking.is_azure,
            )
        else:
            run = create_run_safe(
                tracking.client,
                tracking.experiment_id_for(context.process_type),
                run_name,
                tags=tags,
            )
            run_id = run.info.run_id
    except BaseException:
        if version is not None:
            release_run_name_version(tracking.index, counter_key, version)
        raise
    if version is not None:
        commit_run_name_version(tracking.index, counter_key, run_id, version)
    if tracking.config.index.enabled:
        update_mlflow_index(
            tracking.index,
            run_key_hash,
            run_id,
            run.info.experiment_id,
            run_name=run_name,
            max_entries=tracking.config.index.max_entries,
        )
    return StageRun(run_id, run_name, run_key, run_key_hash, run.info.experiment_id, version)
