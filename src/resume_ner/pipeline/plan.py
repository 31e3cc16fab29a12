"""``resume-ner pipeline --plan``: what the pipeline would reuse, create or resume, and why.

Nothing is written: the MLflow store and the studies are only read. The sweeps are planned by
:func:`~resume_ner.hpo.sweep.plan_sweep`. The stages after them depend on what the sweeps
produce, so they can be looked up by key only once every sweep and its refit exist; until
then they are listed as to be created after the stage they wait for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from resume_ner.pipeline.configs import PipelineConfigs
from resume_ner.pipeline.models import (
    TrainedModel,
    benchmark_context,
    conversion_context,
    refit_model,
)
from resume_ner.tracking.context import TrackingContext
from resume_ner.tracking.reuse import find_finished_stage_run


@dataclass(frozen=True)
class PlannedStep:
    """One step of the plan: the stage, backbone, action, the run it would reuse, and why."""

    stage: str
    backbone: str
    action: str
    run_id: str | None
    reason: str


def _model_steps(
    tracking: TrackingContext,
    model: TrainedModel,
    configs: PipelineConfigs,
    benchmark_target: str,
    force: bool,
) -> list[PlannedStep]:
    steps = []
    config = configs.benchmark if benchmark_target == "bundle" else configs.candidate_benchmark
    for stage, context in (
        ("conversion", conversion_context(tracking, model, configs.conversion)),
        ("benchmarking", benchmark_context(tracking, model, config, benchmark_target)),
    ):
        run_id = None if force else find_finished_stage_run(tracking, context)
        steps.append(
            PlannedStep(
                stage,
                model.backbone,
                "reuse" if run_id else "create",
                run_id,
                f"{benchmark_target}: FINISHED run of its key"
                if run_id
                else f"{benchmark_target}: {'--force' if force else 'no FINISHED run of its key'}",
            )
        )
    return steps


def _waiting(stages: Sequence[str], after: str) -> list[PlannedStep]:
    return [PlannedStep(stage, "", "create", None, f"after {after}") for stage in stages]


def plan_pipeline(
    tracking: TrackingContext | None,
    configs: PipelineConfigs,
    *,
    project: str,
    storage: str,
    backbones: Sequence[str] | None = None,
    n_trials: int | None = None,
    force: bool = False,
    host: str | None = None,
) -> list[PlannedStep]:
    """The plan of :func:`~resume_ner.pipeline.run.run_pipeline` with the same arguments.

    ``tracking`` is ``None`` when the MLflow store does not exist yet; ``storage`` is the study
    storage URL; ``host`` names this machine (see :func:`~resume_ner.hpo.sweep.plan_sweep`). Raises what reading the configuration, data, store and studies raises.
    """
    from resume_ner.hpo.sweep import plan_sweep
    from resume_ner.pipeline.run import study_family_of

    sweeps = plan_sweep(
        tracking,
        configs.sweep,
        project=project,
        backbones=backbones,
        n_trials=n_trials,
        force=force,
        storage=storage,
        host=host,
    )
    steps: list[PlannedStep] = []
    refits: list[TrainedModel] = []
    for sweep in sweeps:
        steps.append(
            PlannedStep(
                "hpo_sweep",
                sweep.backbone,
                "reuse" if sweep.complete else sweep.sweep.action,
                sweep.sweep.run_id,
                sweep.sweep.reason
                + (
                    f"; {sweep.trials_to_run} trial{'' if sweep.trials_to_run == 1 else 's'} to run"
                    if sweep.trials_to_run
                    else ""
                ),
            )
        )
        refit = sweep.refit
        steps.append(
            PlannedStep("hpo_refit", sweep.backbone, refit.action, refit.run_id, refit.reason)
        )
        if tracking is not None and sweep.complete and refit.run_id:
            refits.append(refit_model(tracking, sweep.backbone, sweep.study_name, refit.run_id))
    downstream = ["final_training", "conversion", "benchmarking", "registry"]
    if tracking is None or len(refits) < len(sweeps):
        return steps + _waiting(["selection", *downstream], "the sweeps")
    if configs.selection.uses_latency:
        for refit in refits:
            steps.extend(_model_steps(tracking, refit, configs, "candidate", force))
        if any(step.action == "create" for step in steps):
            return steps + _waiting(["selection", *downstream], "the candidate benchmarks")
    family = study_family_of(tracking, [sweep.sweep.run_id for sweep in sweeps])
    return steps + _after_selection(tracking, configs, family, force)


def _after_selection(
    tracking: TrackingContext, configs: PipelineConfigs, family: str, force: bool
) -> list[PlannedStep]:
    from resume_ner.conversion.registry import find_model_version
    from resume_ner.data.corpus import load_corpus
    from resume_ner.data.splits import split_as_configured
    from resume_ner.pipeline.final_training import final_training_context, plan_final_training
    from resume_ner.selection.select import find_best_model_from_mlflow

    selection = find_best_model_from_mlflow(tracking, family, configs.selection)
    backbone = selection.winner.candidate.backbone
    steps = [PlannedStep("selection", backbone, "select", None, f"winner of family {family[:12]}")]
    documents = load_corpus(configs.sweep.data)
    parts = split_as_configured(documents, configs.sweep.data.split)
    plan = plan_final_training(
        tracking, selection, configs.sweep, [*parts["train"], *parts["validation"]]
    )
    final_id = (
        None if force else find_finished_stage_run(tracking, final_training_context(tracking, plan))
    )
    steps.append(
        PlannedStep(
            "final_training",
            backbone,
            "reuse" if final_id else "create",
            final_id,
            f"key {plan.parent_training_id[:40]}...",
        )
    )
    if final_id is None:
        return steps + _waiting(["conversion", "benchmarking", "registry"], "the final training")
    model_steps = _model_steps(tracking, plan.model(final_id), configs, "bundle", force)
    steps.extend(model_steps)
    conversion_id = model_steps[0].run_id
    name = tracking.config.registry.model_name
    version = find_model_version(tracking, name, conversion_id) if conversion_id else None
    steps.append(
        PlannedStep(
            "registry",
            backbone,
            "reuse" if version is not None else "create",
            conversion_id,
            f"{name} version {version.version}"
            if version is not None
            else f"new version of {name}",
        )
    )
    return steps
