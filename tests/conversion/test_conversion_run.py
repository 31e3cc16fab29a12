"""The tracked conversion run: parity figures, the bundle, an MLflow onnx model, registration."""

from __future__ import annotations

import pytest

from resume_ner.config.conversion import ConversionConfig
from resume_ner.conversion.errors import ParityError
from resume_ner.conversion.run import build_conversion_context, register_bundle, run_conversion
from resume_ner.naming.policy import build_parent_training_id

TRAINING_RUN_ID = "0123456789abcdef0123456789abcdef"
PARENT = build_parent_training_id("c" * 64, "d" * 64, 1)


def _convert(tracking, trained, out_dir, config=None):
    config = config or ConversionConfig()
    return run_conversion(
        tracking,
        trained.checkpoint_dir,
        out_dir,
        config,
        documents=trained.test_documents,
        context=build_conversion_context("tiny", PARENT, config),
        source_run_id=TRAINING_RUN_ID,
    )


def _load_onnx_model(model_uri, tracking_uri, dst_path, monkeypatch):
    """The ONNX model behind ``model_uri``, resolved in the store at ``tracking_uri``.

    MLflow resolves ``models:/`` URIs through its process-wide tracking URI, which outranks
    ``MLFLOW_TRACKING_URI`` once any code in the process has set it; it is swapped for this
    store's only for the call (switching it also rewrites ``MLFLOW_TRACKING_URI``, which
    ``monkeypatch`` restores).
    """
    import mlflow.onnx
    from mlflow.tracking._tracking_service.utils import _use_tracking_uri

    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_uri)
    dst_path.mkdir(parents=True)
    with _use_tracking_uri(tracking_uri):
        return mlflow.onnx.load_model(model_uri, dst_path=str(dst_path))


def _artifacts(client, run_id, path=None):
    found = []
    for item in client.list_artifacts(run_id, path):
        found.extend(_artifacts(client, run_id, item.path) if item.is_dir else [item.path])
    return found


def test_conversion_run_holds_parity_figures_bundle_and_an_onnx_flavour_model(
    project, tracking, trained, tmp_path, monkeypatch
):
    result = _convert(tracking, trained, tmp_path / "bundle")

    run = project.client.get_run(result.run_id)
    assert run.info.status == "FINISHED"
    metrics = run.data.metrics
    assert metrics["conversion_success"] == 1.0
    assert metrics["labels_identical"] == 1.0
    assert metrics["max_abs_logit_diff"] == pytest.approx(result.bundle.parity.max_abs_logit_diff)
    assert metrics["max_abs_logit_diff"] < 1e-3
    assert metrics["fp32_macro_f1"] == pytest.approx(result.bundle.parity.fp32_macro_f1)
    assert metrics["int8_macro_f1"] == pytest.approx(result.bundle.parity.int8_macro_f1)
    assert metrics["int8_used"] == 1.0
    assert metrics["fp32_model_size_mb"] > metrics["int8_model_size_mb"] > 0
    assert run.data.params["onnx_opset"] == "18"
    assert run.data.params["quantization"] == "auto"
    assert run.data.params["served_format"] == "int8"
    assert run.data.tags["code.lineage.final_training_run_id"] == TRAINING_RUN_ID
    assert {
        "bundle/bundle.json",
        "bundle/labels.json",
        "bundle/model.int8.onnx",
        "bundle/model.onnx",
        "bundle/tokenizer.json",
        "parity.json",
    } <= set(_artifacts(project.client, result.run_id))
    manifest = result.bundle.manifest
    assert manifest.lineage["conversion_run_id"] == result.run_id
    assert manifest.lineage["source_run_id"] == TRAINING_RUN_ID

    from mlflow.entities import LoggedModelStatus

    logged = project.client.get_logged_model(result.model_id)
    assert logged.status == LoggedModelStatus.READY
    assert logged.source_run_id == result.run_id
    assert [output.model_id for output in run.outputs.model_outputs] == [result.model_id]
    model = _load_onnx_model(
        result.model_uri, project.tracking_uri, tmp_path / "download", monkeypatch
    )
    assert [item.name for item in model.graph.input] == list(manifest.input_names)


def test_register_bundle_creates_a_new_model_version_each_time(
    project, tracking, trained, tmp_path, monkeypatch
):
    result = _convert(tracking, trained, tmp_path / "bundle")

    first = register_bundle(tracking, result.run_id, "resume-ner-test")
    second = register_bundle(tracking, result.run_id, "resume-ner-test")

    assert (first, second) == ("1", "2")
    version = project.client.get_model_version("resume-ner-test", first)
    assert version.run_id == result.run_id
    assert version.source == project.client.get_logged_model(result.model_id).artifact_location
    model = _load_onnx_model(
        "models:/resume-ner-test/1", project.tracking_uri, tmp_path / "download", monkeypatch
    )
    assert [item.name for item in model.graph.output] == ["logits"]


def test_failed_parity_ends_the_run_failed_with_its_figures_and_writes_no_bundle(
    project, tracking, trained, tmp_path
):
    config = ConversionConfig(atol=1e-12, quantize="never")

    out = tmp_path / "out"
    out.mkdir()

    with pytest.raises(ParityError) as error:
        _convert(tracking, trained, out / "bundle", config)

    assert list(out.iterdir()) == [], "neither the bundle nor its staging folder is left"
    runs = project.client.search_runs(
        [e.experiment_id for e in project.client.search_experiments()]
    )
    assert len(runs) == 1
    run = runs[0]
    assert run.info.status == "FAILED"
    assert run.data.metrics["conversion_success"] == 0.0
    assert run.data.metrics["parity_passed"] == 0.0
    assert run.data.metrics["max_abs_logit_diff"] == pytest.approx(
        error.value.report.max_abs_logit_diff
    )


def test_conversion_leaves_a_fresh_working_directory_empty(
    tracking, trained, tmp_path, monkeypatch
):
    # ONNX tools write scratch files (external tensor data, shape-inference dumps) into the
    # working directory unless told otherwise; a conversion must keep them in its own folders.
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)

    _convert(tracking, trained, tmp_path / "bundle")

    assert sorted(path.name for path in cwd.iterdir()) == []


def test_a_bundle_built_with_calibration_documents_stores_its_thresholds(trained, tmp_path):
    import json

    from resume_ner.conversion.build import build_bundle
    from resume_ner.serve.bundle import read_manifest

    calibrated = build_bundle(
        trained.checkpoint_dir,
        tmp_path / "calibrated",
        ConversionConfig(quantize="never"),
        documents=trained.test_documents,
        calibration_documents=(trained.test_documents, "held-out resumes"),
    )
    stored = json.loads((calibrated.bundle_dir / "bundle.json").read_text())["calibration"]
    assert stored["data"] == "held-out resumes"
    assert stored["labels"], "no label was calibrated"
    assert read_manifest(calibrated.bundle_dir).calibration == calibrated.manifest.calibration

    switched_off = ConversionConfig.model_validate(
        {"quantize": "never", "calibration": {"enabled": False}}
    )
    raw = build_bundle(
        trained.checkpoint_dir,
        tmp_path / "raw",
        switched_off,
        documents=trained.test_documents,
        calibration_documents=(trained.test_documents, "held-out resumes"),
    )
    assert json.loads((raw.bundle_dir / "bundle.json").read_text())["calibration"] is None
