"""Creating runs and resolving experiments.

:func:`create_child_run_core` is the one place that creates child runs; every stage that nests
a run under another (trials under a sweep, folds under a trial, the refit under the sweep) goes
through it. Runs are created with the explicit client, never through MLflow's process-global
active run, so that concurrent workers cannot attach to each other's runs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from resume_ner.naming.tags import TagsRegistry, clean_tags
from resume_ner.tracking.errors import RunCreationError, TrackingSetupError
from resume_ner.tracking.retry import retry_with_backoff

if TYPE_CHECKING:
    from mlflow.entities import Run
    from mlflow.tracking import MlflowClient

logger = logging.getLogger(__name__)

#: The experiment tag MLflow's UI shows as the experiment's description.
_NOTE_TAG = "mlflow.note.content"


def get_or_create_experiment(
    client: MlflowClient,
    name: str,
    *,
    artifact_location: str | None = None,
    description: str | None = None,
) -> str:
    """The id of experiment ``name``, created (or restored, if deleted) when needed.

    ``description`` becomes the experiment's description in MLflow's UI (the tag
    ``mlflow.note.content``) when it has none; one written by hand is kept. Safe when several
    processes create the same experiment at once: the loser of the race reads the winner's
    experiment. Raises :class:`TrackingSetupError` on failure.
    """
    from mlflow.entities import LifecycleStage
    from mlflow.exceptions import MlflowException

    if not name or not name.strip():
        raise TrackingSetupError("experiment name must not be empty")
    try:
        experiment = client.get_experiment_by_name(name)
        if experiment is not None:
            if experiment.lifecycle_stage == LifecycleStage.DELETED:
                client.restore_experiment(experiment.experiment_id)
            if description and not experiment.tags.get(_NOTE_TAG):
                client.set_experiment_tag(experiment.experiment_id, _NOTE_TAG, description)
            return experiment.experiment_id
        try:
            tags = {_NOTE_TAG: description} if description else None
            return client.create_experiment(name, artifact_location=artifact_location, tags=tags)
        except MlflowException as exc:
            experiment = client.get_experiment_by_name(name)
            if experiment is None:
                raise
            logger.debug("experiment %s was created concurrently (%s)", name, exc.error_code)
            return experiment.experiment_id
    except MlflowException as exc:
        raise TrackingSetupError(
            f"cannot get or create experiment {name!r}: {exc.message}"
        ) from exc


def resolve_experiment_id(
    client: MlflowClient,
    *,
    experiment_name: str | None = None,
    parent_run_id: str | None = None,
    active_run: Run | None = None,
) -> str | None:
    """The experiment id from, in order: the parent run, the experiment name, the active run."""
    if parent_run_id:
        return client.get_run(parent_run_id).info.experiment_id
    if experiment_name:
        experiment = client.get_experiment_by_name(experiment_name)
        if experiment is not None:
            return experiment.experiment_id
    if active_run is not None:
        return active_run.info.experiment_id
    return None


def create_run_safe(
    client: MlflowClient,
    experiment_id: str,
    run_name: str,
    *,
    tags: Mapping[str, Any] | None = None,
    parent_run_id: str | None = None,
    registry: TagsRegistry | None = None,
) -> Run:
    """Create a run with its name and tags in one call, retrying transient errors.

    Raises :class:`RunCreationError` for an empty name or when the store refuses the run.
    """
    from mlflow.exceptions import MlflowException

    if not run_name or not run_name.strip():
        raise RunCreationError("run name must not be empty")
    all_tags = dict(tags or {})
    if parent_run_id:
        key = registry.key("mlflow", "parent_run_id") if registry else "mlflow.parentRunId"
        all_tags[key] = parent_run_id
    try:
        return retry_with_backoff(
            lambda: client.create_run(experiment_id, tags=clean_tags(all_tags), run_name=run_name),
            operation_name=f"create run {run_name}",
        )
    except MlflowException as exc:
        raise RunCreationError(f"cannot create run {run_name!r}: {exc.message}") from exc


def create_child_run_core(
    parent_run_id: str,
    run_name: str,
    *,
    client: MlflowClient,
    registry: TagsRegistry,
    experiment_name: str | None = None,
    experiment_id: str | None = None,
    trial_number: int | None = None,
    fold_idx: int | None = None,
    additional_tags: Mapping[str, Any] | None = None,
    is_azure: bool = False,
) -> tuple[str, Run]:
    """Create a run nested under ``parent_run_id`` and return ``(run_id, run)``.

    The child goes into ``experiment_id`` when given (a caller that knows the parent's
    experiment saves reading the parent run), else into the parent's experiment (else
    ``experiment_name``'s). It is tagged
    with ``mlflow.parentRunId``, its name, the trial number and fold index when given and, on
    Azure ML, the trial run-type tags; ``additional_tags`` are applied last. The run is created
    but not made MLflow's active run. Raises :class:`RunCreationError`.
    """
    from mlflow.exceptions import MlflowException

    if experiment_id is None:
        try:
            experiment_id = resolve_experiment_id(
                client, experiment_name=experiment_name, parent_run_id=parent_run_id
            )
        except MlflowException as exc:
            message = f"cannot read parent run {parent_run_id}: {exc.message}"
            raise RunCreationError(message) from exc
    if experiment_id is None:
        raise RunCreationError(
            f"cannot determine the experiment of parent run {parent_run_id} or {experiment_name!r}"
        )
    tags: dict[str, Any] = {registry.key("mlflow", "run_name"): run_name}
    if trial_number is not None:
        tags[registry.key("hpo", "trial_number")] = trial_number
    if fold_idx is not None:
        tags[registry.key("hpo", "fold_idx")] = fold_idx
    if is_azure:
        tags[registry.key("azureml", "run_type")] = "trial"
        tags[registry.key("azureml", "trial")] = "true"
    tags.update(additional_tags or {})
    run = create_run_safe(
        client, experiment_id, run_name, tags=tags, parent_run_id=parent_run_id, registry=registry
    )
    return run.info.run_id, run
