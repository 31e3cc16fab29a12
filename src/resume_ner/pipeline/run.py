"""The whole pipeline: data -> hpo per backbone -> select -> final training -> convert ->
benchmark -> register.

1. The sweep of each backbone runs, resumes or is found complete (:func:`run_sweep`).
2. Each sweep's refit model is converted and benchmarked at the shape the selection reads its
   latency from (``selection.yaml``'s ``latency``), so that selection weighs speed as well.
3. :func:`find_best_model_from_mlflow` picks the winner among the study family's sweeps.
4. The winner's configuration is trained on train + validation and scored on test.
5. That model is converted (parity checked, int8 only where macro-F1 holds), logged as an
   MLflow pyfunc (texts in, entities out) with the onnx flavour, scored on the test split with
   and without the pattern recognizers (metrics ``recognizers_on/...`` and ``recognizers_off/...``
   of the conversion run), benchmarked with ``benchmark.yaml``, and registered; the champion
   alias moves to it only when it beats the current champion by the selection rule.

Every step that makes a run first looks for the FINISHED run of its identity and reuses it
(``force`` makes them again), so a second run of the same pipeline creates no run.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from resume_ner.conversion.registry import RegistrationOutcome
from resume_ner.hpo.sweep import SweepOutcome
from resume_ner.pipeline.configs import PipelineConfigs
from resume_ner.pipeline.errors import PipelineError
from resume_ner.pipeline.models import (
    StepRun,
    benchmark_model,
    convert_model,
    refit_model,
)
from resume_ner.pipeline.progress import PipelineProgress, PipelineStep
from resume_ner.selection.select import SelectionResult
from resume_ner.tracking.context import TrackingContext

logger = logging.getLogger(__name__)


@dataclass
class PipelineResult:
    """What the pipeline did: every step, the selection and the registered model version.

    ``nested_created`` counts, by stage, the runs the sweeps made under their sweep runs while
    the pipeline ran (trials, folds), which are not steps of their own.
    """

    steps: list[PipelineStep] = field(default_factory=list)
    sweeps: list[SweepOutcome] = field(default_factory=list)
    selection: SelectionResult | None = None
    registration: RegistrationOutcome | None = None
    nested_created: Counter[str] = field(default_factory=Counter)

    @property
    def created(self) -> list[PipelineStep]:
        """The steps that made a new run."""
        return [step for step in self.steps if not step.reused]

    def created_by_stage(self) -> Counter[str]:
        """Every run the pipeline created, counted by stage (steps, trials and folds)."""
        counts = Counter(step.stage for step in self.created)
        counts.update(self.nested_created)
        return counts


def _runs_made_under(
    tracking: TrackingContext, sweep_run_id: str, experiment_id: str, since_ms: int
) -> Counter[str]:
    """The runs below sweep run ``sweep_run_id`` (children, their children) started at or
    after ``since_ms``, counted by their stage tag. Raises what the MLflow search raises."""
    from resume_ner.tracking.queries import search_all_runs

    runs = search_all_runs(
        tracking.client, [experiment_id], filter_string=f"attributes.start_time >= {since_ms}"
    )
    parent_key = tracking.registry.key("mlflow", "parent_run_id")
    stage_key = tracking.registry.key("process", "stage")
    parents = {run.info.run_id: run.data.tags.get(parent_key) for run in runs}
    counts: Counter[str] = Counter()
    for run in runs:
        ancestor, seen = parents.get(run.info.run_id), set()
        while ancestor and ancestor != sweep_run_id and ancestor not in seen:
            seen.add(ancestor)
            ancestor = parents.get(ancestor)
        if ancestor == sweep_run_id:
            counts[run.data.tags.get(stage_key, "unknown")] += 1
    return counts


def study_family_of(tracking: TrackingContext, sweep_run_ids: Sequence[str | None]) -> str:
    """The study family the sweep runs ``sweep_run_ids`` belong to (read from their tags).

    Raises :class:`PipelineError` when none of them carries one (tracking off).
    """
    key = tracking.registry.key("grouping", "study_family_hash")
    for run_id in sweep_run_ids:
        if run_id:
            family = tracking.client.get_run(run_id).data.tags.get(key)
            if family:
                return family
    raise PipelineError("no sweep run of this pipeline carries a study family; is tracking on?")


def run_pipeline(
    tracking: TrackingContext,
    configs: PipelineConfigs,
    *,
    backbones: Sequence[str] | None = None,
    n_trials: int | None = None,
    force: bool = False,
    progress: PipelineProgress | None = None,
) -> PipelineResult:
    """Run every stage of the pipeline (see the module docstring); return what each did.

    ``backbones`` and ``n_trials`` override ``hpo.yaml``'s. Raises input errors before any run
    is made when the data is bad, :class:`PipelineError` when a stage cannot
    go on (no sweep reached its target, nothing to select), and what the stages raise.
    """
    from resume_ner.conversion.calibrate import calibration_documents
    from resume_ner.data.corpus import load_corpus
    from resume_ner.data.splits import split_as_configured
    from resume_ner.hpo.sweep import run_sweep
    from resume_ner.pipeline.final_training import run_final_training
    from resume_ner.selection.champion import ModelScore

    progress = progress or PipelineProgress()
    selection_config = configs.selection
    documents = load_corpus(configs.sweep.data)
    parts = split_as_configured(documents, configs.sweep.data.split)
    result = PipelineResult()
    started_ms = int(time.time() * 1000)

    def record(step: PipelineStep) -> None:
        result.steps.append(step)
        progress.step_done(step)

    result.sweeps = run_sweep(
        tracking,
        configs.sweep,
        backbones=backbones,
        n_trials=n_trials,
        force=force,
        progress=progress,
    )
    progress.sweeps_finished()
    for outcome in result.sweeps:
        if outcome.sweep_run_id and outcome.experiment_id:
            made = _runs_made_under(
                tracking, outcome.sweep_run_id, outcome.experiment_id, started_ms
            )
            made.pop("hpo_refit", None)  # a step of its own
            result.nested_created.update(made)
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
        refit = refit_model(tracking, outcome.backbone, outcome.study_name, outcome.refit_run_id)
        if selection_config.uses_latency:
            progress.stage_started("candidate benchmark", outcome.backbone)
            converted = convert_model(
                tracking,
                refit,
                configs.conversion,
                documents=parts["test"],
                lineage={"hpo_refit_run_id": refit.run_id},
                log_model=False,
                force=force,
            )
            record(_step(converted.run, outcome.backbone))
            run = benchmark_model(
                tracking,
                refit,
                converted,
                configs.candidate_benchmark,
                target="candidate",
                force=force,
            )
            record(_step(run, outcome.backbone))

    from resume_ner.selection.select import find_best_model_from_mlflow

    progress.stage_started("selection", "")
    selection = find_best_model_from_mlflow(
        tracking,
        study_family_of(tracking, [outcome.sweep_run_id for outcome in result.sweeps]),
        selection_config,
    )
    result.selection = selection
    winner = selection.winner
    backbone = winner.candidate.backbone

    progress.stage_started("final training", backbone)
    final = run_final_training(tracking, selection, configs.sweep, parts, force=force)
    if final.run_id is None:
        raise PipelineError("training tracking is off (mlflow.yaml tracking.training.enabled)")
    detail = "reused" if final.reused else f"test macro-F1 {final.test_macro_f1 or 0.0:.4f}"
    record(PipelineStep("final_training", backbone, final.run_id, final.reused, detail))
    model = final.plan.model(final.run_id)

    progress.stage_started("conversion", backbone)
    lineage = {
        name: value
        for name, value in selection.lineage().tags().items()
        if name != "lineage.source"
    }
    converted = convert_model(
        tracking,
        model,
        configs.conversion,
        documents=parts["test"],
        calibration_documents=calibration_documents(
            configs.conversion.calibration, configs.sweep.data
        ),
        lineage={name.removeprefix("lineage."): value for name, value in lineage.items()},
        log_model=True,
        force=force,
    )
    record(_step(converted.run, backbone))
    if converted.run.run_id is not None:
        from resume_ner.evaluation.tracking import log_recognizer_scores

        log_recognizer_scores(tracking, converted.run.run_id, converted.bundle_dir, parts["test"])
    progress.stage_started("benchmark", backbone)
    benchmarked = benchmark_model(
        tracking, model, converted, configs.benchmark, target="bundle", force=force
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


def _step(run: StepRun, backbone: str) -> PipelineStep:
    return PipelineStep(run.stage, backbone, run.run_id, run.reused, run.detail)
