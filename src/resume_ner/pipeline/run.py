"""The whole pipeline: data -> hpo per backbone -> select -> final training -> convert ->
benchmark -> register.

1. The sweep of each backbone runs, resumes or is found complete (:func:`run_sweep`).
2. Each sweep's refit model is converted and benchmarked at the shape the selection reads its
   latency from (``selection.yaml``'s ``latency``), so that selection weighs speed as well.
3. :func:`find_best_model_from_mlflow` picks the winner among the study family's sweeps.
4. The winner's configuration is trained on train + validation and scored on test.
5. That model is converted (parity checked, int8 only where macro-F1 holds), logged with the
   onnx flavour, benchmarked with ``benchmark.yaml``, and registered; the champion alias moves
   to it only when it beats the current champion by the selection rule.

Every step that makes a run first looks for the FINISHED run of its identity and reuses it
(``force`` makes them again), so a second run of the same pipeline creates no run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from resume_ner.config.benchmark import BenchmarkConfig, load_benchmark_config
from resume_ner.config.conversion import load_conversion_config
from resume_ner.config.selection import SelectionConfig, load_selection_config
from resume_ner.conversion.registry import RegistrationOutcome
from resume_ner.hpo.configs import SweepConfigs, load_sweep_configs
from resume_ner.hpo.sweep import SweepOutcome
from resume_ner.pipeline.errors import PipelineError
from resume_ner.pipeline.models import (
    StageRun,
    TrainedModel,
    benchmark_model,
    convert_model,
    refit_parent_training_id,
)
from resume_ner.pipeline.progress import PipelineProgress, PipelineStep
from resume_ner.selection.select import SelectionResult
from resume_ner.tracking.context import TrackingContext

logger = logging.getLogger(__name__)


@dataclass
class PipelineResult:
    """What the pipeline did: every step, the selection and the registered model version."""

    steps: list[PipelineStep] = field(default_factory=list)
    sweeps: list[SweepOutcome] = field(default_factory=list)
    selection: SelectionResult | None = None
    registration: RegistrationOutcome | None = None

    @property
    def created(self) -> list[PipelineStep]:
        """The steps that made a new run."""
        return [step for step in self.steps if not step.reused]


def candidate_benchmark_config(
    benchmark: BenchmarkConfig, selection: SelectionConfig
) -> BenchmarkConfig:
    """``benchmark.yaml`` narrowed to the one runtime and shape selection reads latency from."""
    latency = selection.latency
    return BenchmarkConfig.model_validate(
        {
            **benchmark.model_dump(),
            "runtimes": [latency.runtime],
            "baseline_runtime": latency.runtime,
            "batch_sizes": [latency.batch_size],
            "sequence_lengths": [latency.seq_len],
        }
    )


def _study_family(tracking: TrackingContext, outcomes: Sequence[SweepOutcome]) -> str:
    key = tracking.registry.key("grouping", "study_family_hash")
    for outcome in outcomes:
        if outcome.sweep_run_id:
            family = tracking.client.get_run(outcome.sweep_run_id).data.tags.get(key)
            if family:
                return family
    raise PipelineError("no sweep run of this pipeline carries a study family; is tracking on?")


def run_pipeline(
    tracking: TrackingContext,
    *,
    config_dir: Path | None = None,
    backbones: Sequence[str] | None = None,
    n_trials: int | None = None,
    force: bool = False,
    progress: PipelineProgress | None = None,
) -> PipelineResult:
    """Run every stage of the pipeline (see the module docstring); return what each did.

    ``backbones`` and ``n_trials`` override ``hpo.yaml``'s. Raises
    :class:`~resume_ner.config.errors.ConfigError` and other input errors before any run is
    made when the configuration or data is bad, :class:`PipelineError` when a stage cannot
    go on (no sweep reached its target, nothing to select), and what the stages raise.
    """
    from resume_ner.data.corpus import load_corpus
    from resume_ner.data.splits import split_as_configured
    from resume_ner.hpo.sweep import run_sweep
    from resume_ner.hpo.trainer import check_search_space
    from resume_ner.naming.canonical import hash_payload
    from resume_ner.pipeline.final_training import run_final_training
    from resume_ner.selection.champion import ModelScore
    from resume_ner.training.identity import execution_spec

    progress = progress or PipelineProgress()
    configs: SweepConfigs = load_sweep_configs(config_dir)
    check_search_space(configs)
    conversion = load_conversion_config(config_dir)
    benchmark = load_benchmark_config(config_dir)
    selection_config = load_selection_config(config_dir)
    documents = load_corpus(configs.data)
    parts = split_as_configured(documents, configs.data.split)
    result = PipelineResult()

    def record(step: PipelineStep) -> None:
        result.steps.append(step)
        progress.step_done(step)

    result.sweeps = run_sweep(
        tracking,
        configs,
        backbones=backbones,
        n_trials=n_trials,
        force=force,
        config_dir=config_dir,
        progress=progress,
    )
    exec_fp = hash_payload(execution_spec(configs.train.num_threads))
    candidate_config = candidate_benchmark_config(benchmark, selection_config)
    for outcome in result.sweeps:
        record(
            PipelineStep(
                "hpo_sweep",
                outcome.backbone,
                outcome.sweep_run_id,
                outcome.status == "already complete",
                f"{outcome.counts.finished}/{outcome.target} trials, {outcome.status}",
            )
        )
        if outcome.status not in ("complete", "already complete"):
            raise PipelineError(
                f"the sweep of {outcome.backbone} is {outcome.status} "
                f"({outcome.counts.finished} of {outcome.target} trials); run the pipeline again "
                "to continue it"
            )
        if outcome.refit_run_id is None:
            continue
        record(
            PipelineStep(
                "hpo_refit",
                outcome.backbone,
                outcome.refit_run_id,
                outcome.refit.reused if outcome.refit else outcome.status == "already complete",
            )
        )
        refit = TrainedModel(
            run_id=outcome.refit_run_id,
            backbone=outcome.backbone,
            checkpoint_dir=tracking.paths.outputs_dir
            / "hpo"
            / outcome.study_name
            / "refit"
            / "checkpoint",
            parent_training_id=refit_parent_training_id(tracking, outcome.refit_run_id, exec_fp),
        )
        if selection_config.uses_latency:
            progress.stage_started("candidate benchmark", outcome.backbone)
            converted = convert_model(
                tracking,
                refit,
                conversion,
                documents=parts["test"],
                lineage={"hpo_refit_run_id": refit.run_id},
                log_model=False,
                force=force,
            )
            record(_step(converted.run, outcome.backbone))
            run = benchmark_model(
                tracking, refit, converted, candidate_config, target="candidate", force=force
            )
            record(_step(run, outcome.backbone))

    from resume_ner.selection.select import find_best_model_from_mlflow

    progress.stage_started("selection", "")
    selection = find_best_model_from_mlflow(
        tracking, _study_family(tracking, result.sweeps), selection_config
    )
    result.selection = selection
    winner = selection.winner
    backbone = winner.candidate.backbone

    progress.stage_started("final training", backbone)
    final = run_final_training(tracking, selection, configs, parts, force=force)
    if final.run_id is None:
        raise PipelineError("training tracking is off (mlflow.yaml tracking.training.enabled)")
    detail = "reused" if final.reused else f"test macro-F1 {final.test_macro_f1 or 0.0:.4f}"
    record(PipelineStep("final_training", backbone, final.run_id, final.reused, detail))
    model = TrainedModel(
        run_id=final.run_id,
        backbone=backbone,
        checkpoint_dir=final.plan.checkpoint_dir,
        parent_training_id=final.plan.parent_training_id,
    )

    progress.stage_started("conversion", backbone)
    lineage = {
        name: value
        for name, value in selection.lineage().tags().items()
        if name != "lineage.source"
    }
    converted = convert_model(
        tracking,
        model,
        conversion,
        documents=parts["test"],
        lineage={name.removeprefix("lineage."): value for name, value in lineage.items()},
        log_model=True,
        force=force,
    )
    record(_step(converted.run, backbone))
    progress.stage_started("benchmark", backbone)
    benchmarked = benchmark_model(
        tracking, model, converted, benchmark, target="bundle", force=force
    )
    record(_step(benchmarked, backbone))

    from resume_ner.conversion.registry import register_and_promote

    progress.stage_started("registry", backbone)
    if converted.run.run_id is None:
        raise PipelineError("conversion tracking is off (mlflow.yaml tracking.conversion.enabled)")
    result.registration = register_and_promote(
        tracking,
        converted.run.run_id,
        ModelScore(winner.stable_score or 0.0, winner.latency_ms),
        selection_config,
        study_family_hash=selection.study_family_hash,
    )
    if result.registration.created:
        from resume_ner.pipeline.model_card import describe_model_version

        describe_model_version(
            tracking,
            model_name=result.registration.model_name,
            version=result.registration.version,
            backbone=backbone,
            served_format=converted.served_format,
            conversion_run_id=converted.run.run_id,
            final_training_run_id=final.run_id,
            benchmark_run_id=benchmarked.run_id,
        )
    return result


def _step(run: StageRun, backbone: str) -> PipelineStep:
    return PipelineStep(run.stage, backbone, run.run_id, run.reused, run.detail)
