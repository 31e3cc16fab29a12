"""What each stage uploads, honouring its switches in ``mlflow.yaml``.

Each helper returns what it uploaded (keys are absent for what a switch turned off), so the
caller can record or report it. A file the caller names but that does not exist is an error
(:class:`FileNotFoundError`), never silently skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from resume_ner.tracking.artifacts.uploader import ArtifactUploader

ONNX_MODEL_DIR = "onnx_model"
PLOTS_DIR = "plots"


def upload_training_artifacts(
    uploader: ArtifactUploader,
    checkpoint_dir: Path | str,
    metrics_json_path: Path | str | None = None,
) -> dict[str, object]:
    """Upload a training run's checkpoint archive and its ``metrics.json``.

    The checkpoint (without optimizer state) goes to ``checkpoint/`` when ``log_checkpoint`` is
    on (key ``"checkpoint"``: its :class:`ArchiveManifest`); the metrics file goes to the
    artifact root when ``log_metrics_json`` is on (key ``"metrics_json"``: its path in the run).
    Raises what :meth:`ArtifactUploader.upload_checkpoint` and ``upload_file`` raise.
    """
    uploaded: dict[str, object] = {}
    manifest = uploader.upload_checkpoint(checkpoint_dir)
    if manifest is not None:
        uploaded["checkpoint"] = manifest
    if metrics_json_path is not None and uploader.allows("log_metrics_json"):
        uploaded["metrics_json"] = uploader.upload_file(metrics_json_path)
    return uploaded


def upload_conversion_artifacts(
    uploader: ArtifactUploader,
    onnx_path: Path | str,
    conversion_log_path: Path | str | None = None,
) -> dict[str, object]:
    """Upload a conversion run's ONNX model into ``onnx_model/`` and its log to the root.

    ``onnx_path`` is the model file or, for a model with external weight files, its folder
    (whose contents go into ``onnx_model/``). Honours ``log_onnx_model`` (key
    ``"onnx_model"``) and ``log_conversion_log`` (key ``"conversion_log"``); values are paths in
    the run. Raises :class:`FileNotFoundError` or :class:`ArtifactUploadError`.
    """
    uploaded: dict[str, object] = {}
    if uploader.allows("log_onnx_model"):
        model = Path(onnx_path)
        if model.is_dir():
            uploaded["onnx_model"] = uploader.upload_dir(model, ONNX_MODEL_DIR)
        else:
            uploaded["onnx_model"] = uploader.upload_file(model, ONNX_MODEL_DIR)
    if conversion_log_path is not None and uploader.allows("log_conversion_log"):
        uploaded["conversion_log"] = uploader.upload_file(conversion_log_path)
    return uploaded


def upload_benchmark_artifacts(
    uploader: ArtifactUploader,
    benchmark_json_path: Path | str,
    plots: Iterable[Path | str] = (),
) -> dict[str, object]:
    """Upload a benchmark run's results JSON (to the root) and its plots (into ``plots/``).

    Honours ``log_artifacts``: when off, nothing is uploaded and the result is empty. Keys
    ``"benchmark_json"`` (a path in the run) and ``"plots"`` (a list of paths, only when there
    are plots). Raises :class:`FileNotFoundError` or :class:`ArtifactUploadError`.
    """
    uploaded: dict[str, object] = {}
    if not uploader.allows("log_artifacts"):
        return uploaded
    uploaded["benchmark_json"] = uploader.upload_file(benchmark_json_path)
    plot_paths = [uploader.upload_file(plot, PLOTS_DIR) for plot in plots]
    if plot_paths:
        uploaded["plots"] = plot_paths
    return uploaded
