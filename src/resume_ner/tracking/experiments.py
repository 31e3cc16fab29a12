"""The project's experiments: which of them exist (found by name, never created), and the
description each carries in MLflow's UI."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from resume_ner.naming.context import PROCESS_TYPES
from resume_ner.naming.policy import NamingPolicy, build_mlflow_experiment_name

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient


#: What the runs of each process type are, for the description of the experiment holding them.
STAGE_DESCRIPTIONS = {
    "hpo_sweep": "one run per Optuna study and backbone: search space, objective, best trial.",
    "hpo_trial": "one run per trial under its sweep: hyperparameters, the mean and std of its "
    "folds' metrics, and per-epoch curves (averaged over folds).",
    "hpo_trial_fold": "one run per cross-validation fold under its trial: per-epoch training "
    "loss and validation scores.",
    "hpo_refit": "the best trial's hyperparameters retrained on all training data, with "
    "per-epoch curves and its checkpoint.",
    "final_training": "the selected configuration trained on train + validation and scored on "
    "the test split, with per-epoch curves, scores per entity and its checkpoint.",
    "conversion": "a trained model exported to ONNX, its parity check, and for the final model "
    "the MLflow pyfunc that is registered.",
    "benchmarking": "latency percentiles and throughput of a model per runtime, batch size and "
    "sequence length.",
}


def experiment_description(experiment_name: str, policy: NamingPolicy) -> str:
    """The Markdown description of experiment ``experiment_name``: which runs of the project
    it holds (every process type whose stage group names it), and how to read them."""
    stages = [
        process_type
        for process_type in PROCESS_TYPES
        if process_type in STAGE_DESCRIPTIONS
        and build_mlflow_experiment_name(process_type, policy) == experiment_name
    ]
    held = f": {', '.join(stages)} runs" if stages else ""
    # MLflow shows the first line until the description is expanded.
    lines = [f"Runs of the resume NER project **{policy.project}**{held}, made by `resume-ner`."]
    if stages:
        lines += ["", *(f"- **{stage}**: {STAGE_DESCRIPTIONS[stage]}" for stage in stages)]
    lines += [
        "",
        "Runs are named by what tells them apart; their tags (`code.*`) hold their identity, "
        "so `resume-ner runs find` and `runs lineage` find them again.",
    ]
    return "\n".join(lines)


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
