"""The project's experiments: which of them exist, found by name and never created."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from resume_ner.naming.context import PROCESS_TYPES
from resume_ner.naming.policy import NamingPolicy, build_mlflow_experiment_name

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient


def project_experiment_names(
    policy: NamingPolicy,
    *,
    process_types: Iterable[str] | None = None,
    names: Iterable[str] | None = None,
) -> list[str]:
    """The experiment names to read, sorted: ``names`` when given, else those of
    ``process_types`` under the naming policy (default: every stage group of the project, so
    another project's experiments are never included). Raises ``NamingError`` for a process
    type without a stage group."""
    if names is None:
        types = PROCESS_TYPES if process_types is None else process_types
        names = {build_mlflow_experiment_name(process_type, policy) for process_type in types}
    return sorted(set(names))


def project_experiment_ids(
    client: MlflowClient,
    policy: NamingPolicy,
    *,
    process_types: Iterable[str] | None = None,
    names: Iterable[str] | None = None,
) -> dict[str, str]:
    """Experiment name -> id of the active experiments that exist, sorted by name.

    The names are those of :func:`project_experiment_names`. A missing or deleted experiment is left out, and nothing is created or
    restored. Raises ``NamingError`` for a process type without a stage group and
    ``MlflowException`` when the store cannot be read.
    """
    from mlflow.entities import LifecycleStage

    found = {}
    for name in project_experiment_names(policy, process_types=process_types, names=names):
        experiment = client.get_experiment_by_name(name)
        if experiment is not None and experiment.lifecycle_stage == LifecycleStage.ACTIVE:
            found[name] = experiment.experiment_id
    return found
