"""Tracking an ONNX conversion: settings, parity with the source model, size, the model itself.

The conversion run points at the final-training run it converted through the tags
``lineage.parent_run_id`` and ``lineage.final_training_run_id``. Its metrics:

- ``conversion_success``: 1 when the model was exported (and passed its checks), else 0;
- ``onnx_model_size_mb``: size of the exported model (all its files), in MiB;
- ``max_abs_logit_diff``: the largest absolute difference between the source model's and the
  ONNX model's logits on the parity inputs;
- ``label_agreement``: the share of tokens (0..1) for which both predict the same label.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from resume_ner.naming.context import NamingContext
from resume_ner.tracking.artifacts.stage_helpers import upload_conversion_artifacts
from resume_ner.tracking.trackers.base import BaseTracker

BYTES_PER_MB = 1024 * 1024


def model_size_bytes(path: Path | str) -> int:
    """Size of a model file, or of every file under a model folder, in bytes.

    Raises :class:`FileNotFoundError` when ``path`` does not exist.
    """
    target = Path(path)
    if target.is_dir():
        return sum(entry.stat().st_size for entry in target.rglob("*") if entry.is_file())
    return target.stat().st_size


class MLflowConversionTracker(BaseTracker):
    """Runs of ONNX conversion (``tracking.conversion`` in ``mlflow.yaml``)."""

    stage = "conversion"

    def start_conversion_run(
        self,
        context: NamingContext,
        *,
        source_run_id: str,
        opset: int,
        quantization: str | None,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
        output_dir: Path | str | None = None,
    ) -> str | None:
        """Create a conversion run for the model of training run ``source_run_id``.

        Params ``onnx_opset``, ``quantization`` (``none`` when not quantised),
        ``source_run_id`` and ``params`` are deferred to the run's result batch
        (:meth:`log_conversion_result`) or its end. Returns the run id, ``None`` when
        conversion tracking is off. Raises what :meth:`BaseTracker.start_run` raises.
        """
        stage_run = self.start_run(
            context,
            tags={
                "lineage.parent_run_id": source_run_id,
                "lineage.final_training_run_id": source_run_id,
                **(tags or {}),
            },
            params={
                "onnx_opset": opset,
                "quantization": quantization or "none",
                "source_run_id": source_run_id,
                **(params or {}),
            },
            defer_params=True,
            output_dir=output_dir,
        )
        return stage_run.run_id if stage_run else None

    def log_conversion_result(
        self,
        run_id: str | None,
        *,
        success: bool,
        model_size_bytes: int | None = None,
        max_abs_logit_diff: float | None = None,
        label_agreement: float | None = None,
        metrics: Mapping[str, float] | None = None,
    ) -> dict[str, float]:
        """Log the conversion's outcome (see the module docstring) in one batch.

        Figures given as ``None`` are left out; ``metrics`` adds any others. Returns the
        metrics logged (also when not tracked).
        """
        logged: dict[str, float] = {"conversion_success": 1.0 if success else 0.0}
        if model_size_bytes is not None:
            logged["onnx_model_size_mb"] = model_size_bytes / BYTES_PER_MB
        if max_abs_logit_diff is not None:
            logged["max_abs_logit_diff"] = float(max_abs_logit_diff)
        if label_agreement is not None:
            logged["label_agreement"] = float(label_agreement)
        logged.update(metrics or {})
        self.log(run_id, metrics=logged)
        return logged

    def log_conversion_artifacts(
        self,
        run_id: str | None,
        onnx_path: Path | str,
        conversion_log_path: Path | str | None = None,
    ) -> dict[str, object]:
        """Upload the ONNX model and the conversion log as the stage switches allow.

        See :func:`~resume_ner.tracking.artifacts.stage_helpers.upload_conversion_artifacts`
        (``log_onnx_model``, ``log_conversion_log``). Returns what was uploaded (empty when not
        tracked).
        """
        if run_id is None:
            return {}
        return upload_conversion_artifacts(self.uploader(run_id), onnx_path, conversion_log_path)
