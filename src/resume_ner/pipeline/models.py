"""Converting and benchmarking one trained model, each step reused when its run exists.

A trained model is a run with a checkpoint (a refit or a final training). Its conversion run is
identified by the model's ``parent_training_id`` and the conversion settings, its benchmark run
by the same id and the benchmark settings, so the pipeline run again finds both FINISHED runs by
key and does neither again (``force`` does). Files of a reused run that are no longer on disk
are restored from its artifacts.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from resume_ner.config.benchmark import BenchmarkConfig
from resume_ner.config.conversion import ConversionConfig
from resume_ner.data.documents import Document
from resume_ner.naming.canonical import hash_payload
from resume_ner.naming.context import NamingContext
from resume_ner.naming.policy import build_parent_training_id
from resume_ner.tracking.artifacts.restore import restore_checkpoint, restore_folder
from resume_ner.tracking.context import TrackingContext
from resume_ner.tracking.reuse import find_finished_stage_run

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainedModel:
    """A trained model: its run, backbone, checkpoint folder and conversion identity."""

    run_id: str
    backbone: str
    checkpoint_dir: Path
    parent_training_id: str


@dataclass(frozen=True)
class StepRun:
    """The run a pipeline step used, and whether it already existed."""

    stage: str
    run_id: str | None
    reused: bool
    detail: str = ""


@dataclass(frozen=True)
class ConvertedModel:
    """A model bundle on disk and the conversion run that made it."""

    run: StepRun
    bundle_dir: Path
    served_format: str


def refit_parent_training_id(tracking: TrackingContext, refit_run_id: str) -> str:
    """The ``parent_training_id`` of a refit model: its run-key hash as the spec fingerprint
    and the exec fingerprint the refit recorded.

    Raises :class:`~resume_ner.errors.InputError` when the run lacks either tag (a refit made
    before refits recorded their exec fingerprint: run the sweep with ``--force``).
    """
    from resume_ner.errors import InputError

    tags = tracking.client.get_run(refit_run_id).data.tags
    run_key_hash = tags.get(tracking.registry["grouping.run_key_hash"])
    exec_fp = tags.get(tracking.registry["fingerprint.exec_fp"])
    if not (run_key_hash and exec_fp):
        missing = "fingerprint.exec_fp" if run_key_hash else "grouping.run_key_hash"
        raise InputError(
            f"refit run {refit_run_id} has no {tracking.registry[missing]!r} tag, so its model "
            "has no identity to convert under (refit again: resume-ner hpo --force)"
        )
    return build_parent_training_id(run_key_hash, exec_fp, 1)


def refit_model(
    tracking: TrackingContext, backbone: str, study_name: str, refit_run_id: str
) -> TrainedModel:
    """The model of refit run ``refit_run_id`` of study ``study_name`` (its checkpoint is in
    the sweep's ``refit`` folder under ``outputs/hpo``); raises what
    :func:`refit_parent_training_id` raises."""
    from resume_ner.training.run import CHECKPOINT_DIR_NAME

    return TrainedModel(
        refit_run_id,
        backbone,
        tracking.paths.outputs_dir / "hpo" / study_name / "refit" / CHECKPOINT_DIR_NAME,
        refit_parent_training_id(tracking, refit_run_id),
    )


def ensure_checkpoint(tracking: TrackingContext, run_id: str, checkpoint_dir: Path) -> Path:
    """``checkpoint_dir``, restored from run ``run_id``'s checkpoint archive when missing."""
    if (checkpoint_dir / "config.json").is_file():
        return checkpoint_dir
    logger.info("restoring the checkpoint of run %s into %s", run_id, checkpoint_dir)
    return restore_checkpoint(tracking.client, run_id, checkpoint_dir)


def conversion_context(
    tracking: TrackingContext, model: TrainedModel, config: ConversionConfig
) -> NamingContext:
    """The identity of converting ``model`` with ``config``."""
    from resume_ner.conversion.run import build_conversion_context

    return build_conversion_context(
        model.backbone, model.parent_training_id, config, environment=tracking.policy.env
    )


def benchmark_context(
    tracking: TrackingContext, model: TrainedModel, config: BenchmarkConfig, target: str
) -> NamingContext:
    """The identity of benchmarking ``model``'s bundle with ``config`` (``target``: what)."""
    from resume_ner.benchmark.run import build_benchmark_context

    return build_benchmark_context(
        model.backbone,
        model.parent_training_id,
        config,
        target=target,
        environment=tracking.policy.env,
    )


def bundle_folder(tracking: TrackingContext, context: NamingContext) -> Path:
    """Where the bundle of conversion ``context`` lives under the project's outputs."""
    slug = "".join(c if c.isalnum() or c in "._-" else "-" for c in context.model).strip("-")
    key = hash_payload({"parent": context.parent_training_id, "conv": context.conv_fp})
    return tracking.paths.outputs_dir / "bundles" / (slug or "model") / key[:16]


def convert_model(
    tracking: TrackingContext,
    model: TrainedModel,
    config: ConversionConfig,
    *,
    documents: Sequence[Document],
    calibration_documents: tuple[Sequence[Document], str] | None = None,
    lineage: Mapping[str, Any] | None = None,
    log_model: bool = True,
    force: bool = False,
) -> ConvertedModel:
    """The bundle of ``model``: the FINISHED conversion run of its identity, else a new one.

    ``documents`` are the parity sample (the test split); ``calibration_documents`` what the
    scores are calibrated on (``None``: raw scores); ``lineage`` more ids for
    ``bundle.json``; ``log_model`` logs the bundle as an MLflow model, a pyfunc with the onnx
    flavour (needed to register it). Raises what :func:`~resume_ner.conversion.run.run_conversion` raises.
    """
    from resume_ner.conversion.run import run_conversion
    from resume_ner.serve.bundle import BUNDLE_ARTIFACT_DIR, MANIFEST_FILE, read_manifest

    context = conversion_context(tracking, model, config)
    folder = bundle_folder(tracking, context)
    existing = None if force else find_finished_stage_run(tracking, context)
    if existing is not None:
        if not (folder / MANIFEST_FILE).is_file():
            restore_folder(tracking.client, existing, BUNDLE_ARTIFACT_DIR, folder)
        manifest = read_manifest(folder)
        return ConvertedModel(
            StepRun("conversion", existing, True, f"{manifest.format} bundle"),
            folder,
            manifest.format,
        )
    checkpoint = ensure_checkpoint(tracking, model.run_id, model.checkpoint_dir)
    result = run_conversion(
        tracking,
        checkpoint,
        folder,
        config,
        documents=documents,
        calibration_documents=calibration_documents,
        context=context,
        source_run_id=model.run_id,
        lineage=lineage,
        log_model=log_model,
        overwrite=True,
    )
    parity = result.bundle.parity
    detail = (
        f"{result.bundle.served_format} bundle, max |logit diff| {parity.max_abs_logit_diff:.2e}"
    )
    return ConvertedModel(
        StepRun("conversion", result.run_id, False, detail),
        result.bundle.bundle_dir,
        result.bundle.served_format,
    )


def benchmark_model(
    tracking: TrackingContext,
    model: TrainedModel,
    converted: ConvertedModel,
    config: BenchmarkConfig,
    *,
    target: str,
    force: bool = False,
) -> StepRun:
    """The benchmark of ``converted`` (``target`` names what is measured: ``candidate`` or
    ``bundle``): the FINISHED run of its identity, else a new one tagged with the model's run.

    The PyTorch runtimes (eager, the transformers pipeline) load ``model``'s checkpoint.
    Raises what :func:`~resume_ner.benchmark.run.run_benchmark` raises.
    """
    from resume_ner.benchmark.run import run_benchmark
    from resume_ner.tracking.trackers.benchmark import MLflowBenchmarkTracker

    context = benchmark_context(tracking, model, config, target)
    existing = None if force else find_finished_stage_run(tracking, context)
    if existing is not None:
        return StepRun("benchmarking", existing, True, target)
    needs_torch = any(runtime in ("eager", "hf_pipeline") for runtime in config.runtimes)
    checkpoint = (
        ensure_checkpoint(tracking, model.run_id, model.checkpoint_dir) if needs_torch else None
    )
    result = run_benchmark(
        converted.bundle_dir,
        checkpoint,
        config,
        MLflowBenchmarkTracker(tracking),
        environ=tracking.environ,
        context=context,
        model_run_id=model.run_id,
    )
    return StepRun("benchmarking", result.run_id, False, target)


def trained_model_from_run(tracking: TrackingContext, run_id: str) -> TrainedModel:
    """The trained model of a FINISHED final-training or refit run, read from its tags.

    The checkpoint folder is the run's output folder (a refit's: the sweep's ``refit`` folder
    under ``outputs/hpo``); :func:`ensure_checkpoint` restores it when it is gone. Raises
    :class:`~resume_ner.errors.InputError` for a run of another stage or not FINISHED.
    """
    from resume_ner.errors import InputError
    from resume_ner.training.run import CHECKPOINT_DIR_NAME

    registry = tracking.registry
    run = tracking.client.get_run(run_id)
    tags = run.data.tags
    stage = tags.get(registry["process.stage"])
    if run.info.status != "FINISHED":
        raise InputError(f"run {run_id} is {run.info.status}: only a FINISHED model is converted")
    backbone = tags.get(registry["process.model"], "")
    if stage == "final_training":
        spec_fp = tags.get(registry["fingerprint.spec_fp"])
        exec_fp = tags.get(registry["fingerprint.exec_fp"])
        output_dir = tags.get(registry["paths.output_dir"])
        if not (spec_fp and exec_fp and output_dir):
            raise InputError(f"final training run {run_id} lacks its identity or output tags")
        variant = int(tags.get(registry["fingerprint.variant"], "1") or 1)
        return TrainedModel(
            run_id,
            backbone,
            tracking.paths.locate(output_dir) / CHECKPOINT_DIR_NAME,
            build_parent_training_id(spec_fp, exec_fp, variant),
        )
    if stage == "hpo_refit":
        return refit_model(tracking, backbone, tags.get(registry["study.name"], ""), run_id)
    raise InputError(
        f"run {run_id} is a {stage} run; give a final_training or hpo_refit run (a trained model)"
    )
