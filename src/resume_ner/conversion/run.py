"""The conversion stage inside its MLflow run, and registering what it produced.

:func:`run_conversion` creates the conversion run (:class:`MLflowConversionTracker`: lineage
tags to the training run, params ``onnx_opset``, ``quantization`` and the parity settings),
builds the bundle (:func:`~resume_ner.conversion.build.build_bundle`) and logs in one batch
``conversion_success``, the parity figures (``max_abs_logit_diff``, ``labels_identical``,
``label_agreement``, ``torch_macro_f1``, ``fp32_macro_f1``, ``int8_macro_f1``, ``int8_used``,
...) and the model sizes (``onnx_model_size_mb`` of the served model, ``fp32_model_size_mb``,
``int8_model_size_mb``). The bundle folder goes into the run's ``bundle/`` artifacts and the
parity report into ``parity.json``; the bundle is also logged as an MLflow model (an MLflow 3
logged model linked to the run as its output): a pyfunc that takes texts and returns entities
(:mod:`resume_ner.conversion.pyfunc`), with the ``onnx`` flavour over the same ONNX file, which
:func:`register_bundle` turns into a registered model version. Moving the ``champion`` alias is the pipeline's decision, not this module's.

Everything goes through the tracking context's explicit client and run ids; MLflow's global
active run and tracking URI are never touched.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from resume_ner.config.conversion import ConversionConfig
from resume_ner.conversion.build import BundleResult, build_bundle
from resume_ner.conversion.errors import ConversionError, ParityError
from resume_ner.data.documents import Document
from resume_ner.naming.canonical import hash_payload
from resume_ner.naming.context import NamingContext
from resume_ner.serve.bundle import BUNDLE_ARTIFACT_DIR
from resume_ner.tracking.context import TrackingContext
from resume_ner.tracking.trackers.conversion import BYTES_PER_MB, MLflowConversionTracker

if TYPE_CHECKING:
    from mlflow.entities import LoggedModel
    from mlflow.tracking import MlflowClient

logger = logging.getLogger(__name__)

PARITY_ARTIFACT = "parity.json"
#: The conversion run's metric of a label's served threshold (``threshold_SKILL``).
THRESHOLD_METRIC_PREFIX = "threshold_"
#: The threshold metric of a label the bundle does not serve: above any probability.
NOT_SERVED = 1.5
LOGGED_MODEL_NAME = "model"


@dataclass(frozen=True)
class ConversionResult:
    """What :func:`run_conversion` produced: the run (``None`` when conversion tracking is
    off), the bundle, and the logged model's id and URI (``None`` when not logged)."""

    run_id: str | None
    bundle: BundleResult
    model_id: str | None = None
    model_uri: str | None = None


def conversion_fingerprint(config: ConversionConfig) -> str:
    """The hash of everything in ``config`` that shapes the converted model (its ``conv_fp``)."""
    return hash_payload({"conversion": config.model_dump(mode="json")})


def build_conversion_context(
    model: str,
    parent_training_id: str,
    config: ConversionConfig,
    *,
    environment: str = "local",
) -> NamingContext:
    """The naming context of converting the final-training run ``parent_training_id``.

    ``parent_training_id`` is :func:`~resume_ner.naming.policy.build_parent_training_id` of the
    training run; ``conv_fp`` is :func:`conversion_fingerprint` of ``config``, so the same
    model converted with the same settings is the same run key.
    """
    return NamingContext(
        process_type="conversion",
        model=model,
        environment=environment,
        parent_training_id=parent_training_id,
        conv_fp=conversion_fingerprint(config),
    )


def _size_metrics(bundle: BundleResult) -> dict[str, float]:
    return {
        f"{name}_model_size_mb": size / BYTES_PER_MB
        for name, size in sorted(bundle.model_sizes().items())
    }


def _threshold_metrics(bundle: BundleResult) -> dict[str, float]:
    """``threshold_<LABEL>`` of every calibrated label: its served threshold, or 1.5 (above
    any probability) for a label that is not served."""
    calibration = bundle.manifest.calibration
    if calibration is None:
        return {}
    return {
        f"{THRESHOLD_METRIC_PREFIX}{label}": NOT_SERVED if threshold is None else threshold
        for label, threshold in calibration.thresholds().items()
    }


def log_bundle_model(
    client: MlflowClient,
    run_id: str,
    experiment_id: str,
    bundle: BundleResult,
    *,
    name: str = LOGGED_MODEL_NAME,
) -> str:
    """Log ``bundle`` as an MLflow model of run ``run_id``: the pyfunc of
    :func:`~resume_ner.conversion.pyfunc.save_pyfunc_model` (texts in, entities out, with the
    ``onnx`` flavour too).

    The model is an MLflow 3 logged model in ``experiment_id`` with ``run_id`` as its source
    run and linked as the run's output. Returns the model id (its URI is ``models:/<id>``).
    Raises what the MLflow client raises; a model whose upload failed is marked FAILED first.
    """
    from mlflow.entities import LoggedModelOutput
    from mlflow.models import Model

    from resume_ner.conversion.pyfunc import save_pyfunc_model

    manifest = bundle.manifest
    logged = client.create_logged_model(
        experiment_id,
        name=name,
        source_run_id=run_id,
        params={"format": manifest.format, "opset": str(manifest.opset)},
        model_type="token-classification",
    )
    try:
        with tempfile.TemporaryDirectory(prefix="resume-ner-model-") as tmp:
            local = save_pyfunc_model(
                bundle,
                Path(tmp) / "model",
                Model(
                    artifact_path=logged.artifact_location,
                    model_uuid=logged.model_id,
                    run_id=run_id,
                    model_id=logged.model_id,
                ),
            )
            client.log_model_artifacts(logged.model_id, str(local))
        client.log_outputs(run_id, [LoggedModelOutput(logged.model_id, step=0)])
    except BaseException:
        client.finalize_logged_model(logged.model_id, "FAILED")
        raise
    client.finalize_logged_model(logged.model_id, "READY")
    return logged.model_id


def run_conversion(
    tracking: TrackingContext,
    checkpoint_dir: Path | str,
    out_dir: Path | str,
    config: ConversionConfig,
    *,
    documents: Sequence[Document],
    calibration_documents: tuple[Sequence[Document], str] | None = None,
    context: NamingContext,
    source_run_id: str,
    lineage: Mapping[str, Any] | None = None,
    log_model: bool = True,
    overwrite: bool = False,
) -> ConversionResult:
    """Convert ``checkpoint_dir`` into the bundle ``out_dir`` inside a tracked conversion run.

    ``context`` is the run's naming context (:func:`build_conversion_context`),
    ``source_run_id`` the final-training run the checkpoint came from, ``documents`` the
    parity sample (the test split), ``calibration_documents`` what the scores are calibrated
    on (:func:`~resume_ner.conversion.build.build_bundle`), ``lineage`` more ids for
    ``bundle.json`` (the training
    and conversion run ids are added). With ``log_model`` the bundle is logged as an MLflow
    model (:func:`log_bundle_model`); artifacts honour the stage's switches.
    A failed conversion ends the run FAILED with ``conversion_success`` 0 (and the parity
    figures when parity failed) and re-raises: :class:`ParityError`,
    :class:`ConversionError`, or what building and tracking raise.
    """
    tracker = MLflowConversionTracker(tracking)
    run_id = tracker.start_conversion_run(
        context,
        source_run_id=source_run_id,
        opset=config.opset,
        quantization=config.quantize,
        params={
            "exporter": config.exporter,
            "export_attention": config.attention,
            "transformer_fusion": config.transformer_fusion,
            "quantize_per_channel": config.quantize_per_channel,
            "max_f1_drop": config.max_f1_drop,
            "parity_atol": config.atol,
            "parity_sample_size": config.parity_sample_size,
            "graph_optimization": config.session.graph_optimization,
        },
    )
    bundle_lineage = {
        "source_run_id": source_run_id,
        "final_training_run_id": source_run_id,
        "conversion_run_id": run_id,
        **dict(lineage or {}),
    }
    model_id: str | None = None
    with tracker.managed_run(run_id):
        try:
            bundle = build_bundle(
                checkpoint_dir,
                out_dir,
                config,
                documents=documents,
                calibration_documents=calibration_documents,
                lineage=bundle_lineage,
                overwrite=overwrite,
            )
        except ParityError as exc:
            tracker.log_conversion_result(run_id, success=False, metrics=exc.report.metrics())
            raise
        except BaseException:  # an interrupted conversion is a failed one too
            tracker.log_conversion_result(run_id, success=False)
            raise
        report = bundle.parity
        tracker.defer(run_id, params={"served_format": bundle.served_format})
        tracker.log_conversion_result(
            run_id,
            success=True,
            model_size_bytes=bundle.model_sizes()[bundle.served_format],
            max_abs_logit_diff=report.max_abs_logit_diff,
            label_agreement=report.label_agreement,
            metrics={**report.metrics(), **_size_metrics(bundle), **_threshold_metrics(bundle)},
        )
        if run_id is not None:
            uploader = tracker.uploader(run_id)
            if uploader.allows("log_onnx_model"):
                uploader.upload_dir(bundle.bundle_dir, BUNDLE_ARTIFACT_DIR)
            if uploader.allows("log_conversion_log"):
                uploader.upload_json(report.to_dict(), PARITY_ARTIFACT)
            if log_model:
                stage_run = tracker.stage_run(run_id)
                experiment_id = (
                    stage_run.experiment_id
                    if stage_run is not None
                    else tracking.client.get_run(run_id).info.experiment_id
                )
                model_id = log_bundle_model(tracking.client, run_id, experiment_id, bundle)
    return ConversionResult(
        run_id=run_id,
        bundle=bundle,
        model_id=model_id,
        model_uri=f"models:/{model_id}" if model_id else None,
    )


def _logged_model(client: MlflowClient, run_id: str) -> LoggedModel:
    run = client.get_run(run_id)
    outputs = run.outputs.model_outputs if run.outputs is not None else []
    for output in outputs:
        model = client.get_logged_model(output.model_id)
        if model.name == LOGGED_MODEL_NAME:
            return model
    raise ConversionError(f"conversion run {run_id} has no logged {LOGGED_MODEL_NAME!r} model")


def register_bundle(tracking: TrackingContext, run_id: str, model_name: str) -> str:
    """Register the model logged by conversion run ``run_id`` as a version of ``model_name``.

    The registered model is created when missing. Returns the new version (``"1"``, ``"2"``,
    ...). Raises :class:`ConversionError` when the run logged no model, and what the
    MLflow client raises otherwise.
    """
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, ErrorCode

    client = tracking.client
    model = _logged_model(client, run_id)
    try:
        client.create_registered_model(model_name)
    except MlflowException as exc:
        if exc.error_code != ErrorCode.Name(RESOURCE_ALREADY_EXISTS):
            raise
    # The model's storage location, not its models:/ URI: the SQL registry store resolves a
    # models:/ source through MLflow's global tracking URI instead of this client's.
    created = client.create_model_version(
        model_name, source=model.artifact_location, run_id=run_id, model_id=model.model_id
    )
    logger.info("registered %s version %s from run %s", model_name, created.version, run_id)
    return str(created.version)
