"""Build a model bundle from a checkpoint: export, fuse, quantise, check parity, keep what passed.

The bundle is assembled in a staging folder next to its destination and moved into place at
the end, so a bundle folder is either complete (and checked) or absent. The int8 model stays in
the bundle only when the quantisation rule accepted it; a bundle whose fp32 model fails parity
is never written.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from resume_ner.config.conversion import ConversionConfig
from resume_ner.conversion.calibrate import calibrate_bundle
from resume_ner.conversion.errors import ConversionError, ParityError
from resume_ner.conversion.export import export_model, model_input_names
from resume_ner.conversion.fusion import fuse_transformer
from resume_ner.conversion.parity import ParityReport, check_parity
from resume_ner.conversion.quantize import quantize_onnx
from resume_ner.data.documents import Document
from resume_ner.serve.bundle import (
    MODEL_FILES,
    BundleManifest,
    ModelFile,
    write_labels,
    write_manifest,
)

logger = logging.getLogger(__name__)

#: Permissions of a bundle folder (``mkdtemp`` creates it private to its owner).
BUNDLE_DIR_MODE = 0o755
#: The exported model before transformer fusion, in the staging folder only.
EXPORTED_FILE = "exported.onnx"


@dataclass(frozen=True)
class BundleResult:
    """A bundle written by :func:`build_bundle`: its folder, manifest and parity report, and
    how many of each operator the transformer fusion made (empty when it did not run)."""

    bundle_dir: Path
    manifest: BundleManifest
    parity: ParityReport
    fused_operators: Mapping[str, int] = field(default_factory=dict)

    @property
    def served_format(self) -> str:
        """``int8`` or ``fp32``: the model the bundle serves by default."""
        return self.manifest.format

    @property
    def model_path(self) -> Path:
        """The model file the bundle serves by default."""
        return self.bundle_dir / self.manifest.models[self.manifest.format].file

    def model_sizes(self) -> dict[str, int]:
        """Bytes of each model file in the bundle, by format."""
        return {name: entry.size_bytes for name, entry in self.manifest.models.items()}


def _replace_folder(staging: Path, destination: Path, overwrite: bool) -> None:
    if destination.exists():
        if not overwrite:
            raise FileExistsError(f"{destination} exists; pass overwrite=True to replace it")
        retired = destination.with_name(f".{destination.name}.old-{os.getpid()}")
        os.replace(destination, retired)
        os.replace(staging, destination)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(staging, destination)


def build_bundle(
    checkpoint_dir: Path | str,
    out_dir: Path | str,
    config: ConversionConfig,
    *,
    documents: Sequence[Document],
    calibration_documents: tuple[Sequence[Document], str] | None = None,
    lineage: Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> BundleResult:
    """Convert checkpoint ``checkpoint_dir`` into the bundle folder ``out_dir``.

    Exports the model (``config.opset``, ``config.exporter``), fuses its transformer operators
    (``config.transformer_fusion``, :mod:`~resume_ner.conversion.fusion`), quantises the result
    unless ``config.quantize`` is ``never``, checks parity on ``documents`` (the test split; see
    :func:`~resume_ner.conversion.parity.check_parity`) and writes the bundle with the format
    the int8 rule chose. ``calibration_documents`` (annotated documents and what to call them)
    calibrate the served model's scores and choose its per-label thresholds
    (:mod:`~resume_ner.conversion.calibrate`; ``None`` or ``config.calibration.enabled`` off:
    raw scores). ``lineage`` (run ids, ...) goes into ``bundle.json``. Raises
    :class:`ParityError` (nothing written) when fp32 does not reproduce PyTorch,
    :class:`ConversionError` when export or quantisation fails, :class:`FileExistsError` when
    ``out_dir`` exists and ``overwrite`` is false, and
    :class:`~resume_ner.training.errors.CheckpointError` for a broken checkpoint.
    """
    from resume_ner.training.checkpoint import load_checkpoint, read_checkpoint_metadata

    destination = Path(out_dir)
    if destination.exists() and not overwrite:
        raise FileExistsError(f"{destination} exists; pass overwrite=True to replace it")
    metadata = read_checkpoint_metadata(checkpoint_dir)
    backbone = load_checkpoint(checkpoint_dir)
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
    try:
        staging.chmod(BUNDLE_DIR_MODE)
        input_names = model_input_names(backbone.model, backbone.tokenizer)
        fp32_path = staging / MODEL_FILES["fp32"]
        exported = export_model(
            backbone.model,
            backbone.tokenizer,
            staging / EXPORTED_FILE if config.transformer_fusion else fp32_path,
            config.opset,
            exporter=config.exporter,
            attention=config.attention,
            input_names=input_names,
        )
        fused: dict[str, int] | None = None
        if config.transformer_fusion:
            fused = fuse_transformer(exported, fp32_path, backbone.model.config)
            if fused is None:
                os.replace(exported, fp32_path)
            else:
                exported.unlink()
        models = {"fp32": ModelFile.describe(fp32_path)}
        if config.quantize != "never":
            int8_path = quantize_onnx(
                fp32_path,
                staging / MODEL_FILES["int8"],
                preprocess=config.quantize_preprocess,
                per_channel=config.quantize_per_channel,
            )
            models["int8"] = ModelFile.describe(int8_path)
        backbone.tokenizer.save_pretrained(staging)
        write_labels(staging, metadata.label_schema.id2label)
        pad_token_id = backbone.tokenizer.pad_token_id
        if pad_token_id is None:
            raise ConversionError(f"the tokenizer of {checkpoint_dir} has no pad token")
        manifest = BundleManifest(
            format="fp32",
            models=models,
            max_length=metadata.max_length,
            stride=metadata.stride,
            opset=config.opset,
            input_names=tuple(input_names),
            pad_token_id=int(pad_token_id),
            session=config.session.model_dump(mode="json"),
            backbone=metadata.backbone,
            lineage=dict(lineage or {}),
            recognizers=config.recognizers.model_dump(mode="json"),
        )
        write_manifest(staging, manifest)

        report = check_parity(checkpoint_dir, staging, documents, config)
        if not report.passed:
            raise ParityError(report)
        if "int8" in models and not report.decision.use_int8:
            (staging / models.pop("int8").file).unlink()
        manifest = replace(
            manifest, format=report.served_format, models=models, parity=report.to_dict()
        )
        write_manifest(staging, manifest)
        if calibration_documents is not None and config.calibration.enabled:
            calibration_set, source = calibration_documents
            calibration = calibrate_bundle(staging, calibration_set, config.calibration, source)
            manifest = replace(manifest, calibration=calibration)
            write_manifest(staging, manifest)
        _replace_folder(staging, destination, overwrite)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info("bundle %s: serving %s (%s)", destination, manifest.format, report.decision.reason)
    return BundleResult(
        bundle_dir=destination, manifest=manifest, parity=report, fused_operators=fused or {}
    )
