"""The final training: the selected configuration trained on train + validation, scored on test.

The configuration is the winner's: its backbone and the hyperparameters its refit trained with,
over ``train.yaml``'s settings (its epochs too, unless epochs were searched: sweeps usually train
briefly to compare many trials, the final model gets the full budget). The run is a ``final_training`` run whose identity is the spec fingerprint (data, labels,
backbone, effective settings, the data scope) and the exec fingerprint, with lineage tags back
to the sweep, the best trial and the refit, so that a served model can be traced to the sweep
that produced it. A FINISHED run of the same identity is reused instead of training again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from resume_ner.data.documents import Document
from resume_ner.hpo.configs import SweepConfigs
from resume_ner.naming.canonical import hash_payload
from resume_ner.naming.context import NamingContext
from resume_ner.naming.policy import build_parent_training_id
from resume_ner.pipeline.models import TrainedModel
from resume_ner.selection.select import SelectionResult
from resume_ner.tracking.context import TrackingContext
from resume_ner.training.run import CHECKPOINT_DIR_NAME, EpochCallback

if TYPE_CHECKING:
    from resume_ner.config.train import TrainConfig

#: Where the final model learns from: every labelled document but the test split.
DATA_SCOPE = "train+validation"


@dataclass(frozen=True)
class FinalTrainingPlan:
    """What the final training will train, and its identity."""

    backbone: str
    params: dict[str, Any]
    spec_fp: str
    exec_fp: str
    output_dir: Path

    @property
    def parent_training_id(self) -> str:
        """The id conversion and benchmarking point at (:func:`build_parent_training_id`)."""
        return build_parent_training_id(self.spec_fp, self.exec_fp, 1)

    @property
    def checkpoint_dir(self) -> Path:
        """Where the trained model is saved."""
        return self.output_dir / CHECKPOINT_DIR_NAME

    def model(self, run_id: str) -> TrainedModel:
        """The trained model of this plan's run ``run_id``."""
        return TrainedModel(run_id, self.backbone, self.checkpoint_dir, self.parent_training_id)


@dataclass(frozen=True)
class FinalTrainingOutcome:
    """The final training run, whether it already existed, and its test scores when new."""

    plan: FinalTrainingPlan
    run_id: str | None
    reused: bool
    test_macro_f1: float | None = None


def final_training_dir(outputs_dir: Path, backbone: str, spec_fp: str, exec_fp: str) -> Path:
    """``outputs/final_training/<backbone>/spec-<hash>_exec-<hash>/v1``: a final model's folder."""
    slug = "".join(c if c.isalnum() or c in "._-" else "-" for c in backbone).strip("-")
    return (
        outputs_dir
        / "final_training"
        / (slug or "model")
        / f"spec-{spec_fp[:8]}_exec-{exec_fp[:8]}"
        / "v1"
    )


def final_train_config(configs: SweepConfigs, params: Mapping[str, Any]) -> TrainConfig:
    """``train.yaml`` with the selected ``params`` applied (validated like the file)."""
    from resume_ner.config.train import TrainConfig

    return TrainConfig.model_validate({**configs.train.model_dump(), **params})


def selected_params(
    tracking: TrackingContext, selection: SelectionResult, configs: SweepConfigs
) -> dict[str, Any]:
    """The winner's hyperparameters: its refit run's params of the search space.

    Values are read back from MLflow (strings) and typed by validating them against
    ``train.yaml``'s model. Raises :class:`ValueError` when the winner has no refit run.
    """
    refit_run_id = selection.winner.candidate.refit_run_id
    if refit_run_id is None:
        raise ValueError(f"the winner {selection.winner.candidate.backbone} has no refit run")
    logged = tracking.client.get_run(refit_run_id).data.params
    params = {name: logged[name] for name in configs.hpo.search_space if name in logged}
    typed = final_train_config(configs, params).model_dump()
    return {name: typed[name] for name in params}


def plan_final_training(
    tracking: TrackingContext,
    selection: SelectionResult,
    configs: SweepConfigs,
    documents: Sequence[Document],
) -> FinalTrainingPlan:
    """The final training of ``selection``'s winner on ``documents`` (train + validation)."""
    from resume_ner.data.splits import data_fingerprint
    from resume_ner.training.identity import execution_spec, training_spec
    from resume_ner.training.run import resolve_settings

    backbone = selection.winner.candidate.backbone
    params = selected_params(tracking, selection, configs)
    train_config = final_train_config(configs, params)
    settings = resolve_settings(backbone, configs.data, configs.model, train_config)
    spec_fp = hash_payload(
        training_spec(
            data_fingerprint=data_fingerprint(documents),
            entities=configs.data.labels,
            backbone=settings.backbone,
            preset=configs.model.resolve(settings.backbone)[1].model_dump(mode="json"),
            train={
                **train_config.model_dump(mode="json"),
                "learning_rate": settings.learning_rate,
                "dropout": settings.dropout,
                "data_scope": DATA_SCOPE,
            },
            max_length=settings.max_length,
            stride=settings.stride,
            label_all_subwords=settings.label_all_subwords,
        )
    )
    exec_fp = hash_payload(execution_spec(train_config.num_threads))
    return FinalTrainingPlan(
        backbone=settings.backbone,
        params=params,
        spec_fp=spec_fp,
        exec_fp=exec_fp,
        output_dir=final_training_dir(tracking.paths.outputs_dir, backbone, spec_fp, exec_fp),
    )


def final_training_context(tracking: TrackingContext, plan: FinalTrainingPlan) -> NamingContext:
    """The identity of ``plan``'s final training run."""
    return NamingContext(
        process_type="final_training",
        model=plan.backbone,
        environment=tracking.policy.env,
        spec_fp=plan.spec_fp,
        exec_fp=plan.exec_fp,
    )


def run_final_training(
    tracking: TrackingContext,
    selection: SelectionResult,
    configs: SweepConfigs,
    parts: Mapping[str, Sequence[Document]],
    *,
    force: bool = False,
    callbacks: Sequence[EpochCallback] = (),
) -> FinalTrainingOutcome:
    """Train the winner of ``selection`` on ``parts['train'] + parts['validation']``, score it
    on ``parts['test']``, and track it with lineage tags; reuse a FINISHED run of the same
    identity unless ``force``.

    Raises what training and the tracker raise; a failed training ends its run FAILED. Raises
    :class:`~resume_ner.tracking.errors.UnsentValuesError` when the tracking store stopped
    answering and values the run is owed wait in its spool (the later stages need the store).
    """
    from resume_ner.data.labels import LabelSchema
    from resume_ner.tracking.spool import raise_if_unsent
    from resume_ner.tracking.trackers.training import MLflowTrainingTracker
    from resume_ner.tracking.training_runs import create_training_mlflow_run
    from resume_ner.training.run import train_and_evaluate

    documents = [*parts["train"], *parts["validation"]]
    plan = plan_final_training(tracking, selection, configs, documents)
    train_config = final_train_config(configs, plan.params)
    tracker = MLflowTrainingTracker(tracking)
    run = create_training_mlflow_run(
        tracker,
        final_training_context(tracking, plan),
        force=force,
        params={
            **plan.params,
            "backbone": plan.backbone,
            "data_scope": DATA_SCOPE,
            "n_train_documents": len(documents),
        },
        id2label=LabelSchema.from_entities(configs.data.labels).id2label,
        tags=selection.lineage().tags(),
        training_type="final",
        trained_on_full_data=True,
        output_dir=plan.output_dir,
    )
    if run.reused:
        return FinalTrainingOutcome(plan, run.run_id, True)
    with tracker.managed_run(run.run_id):
        result = train_and_evaluate(
            documents,
            test_documents=list(parts["test"]) or None,
            data_config=configs.data,
            model_config=configs.model,
            train_config=train_config,
            backbone=plan.backbone,
            output_dir=plan.output_dir,
            callbacks=callbacks,
            tracker=tracker,
            run_id=run.run_id,
        )
    raise_if_unsent(tracker.spools(), root=tracking.paths.root)
    macro = result.test_metrics.macro_f1 if result.test_metrics is not None else None
    return FinalTrainingOutcome(plan, run.run_id, False, macro)
