"""The conversion tracker: lineage to the training run, settings, parity figures, the model."""

from __future__ import annotations

import pytest
from tracker_helpers import make_tracking, with_stage_disabled

from resume_ner.tracking.trackers.conversion import MLflowConversionTracker, model_size_bytes


@pytest.fixture
def tracker(tracking) -> MLflowConversionTracker:
    return MLflowConversionTracker(tracking)


def test_conversion_run_points_at_the_training_run_and_holds_parity_figures(
    project, tracker, conversion_context, tmp_path
):
    model = tmp_path / "model.onnx"
    model.write_bytes(b"\x00" * (2 * 1024 * 1024))
    run_id = tracker.start_conversion_run(
        conversion_context, source_run_id="train123", opset=17, quantization="dynamic_int8"
    )
    with tracker.managed_run(run_id):
        tracker.log_conversion_result(
            run_id,
            success=True,
            model_size_bytes=model_size_bytes(model),
            max_abs_logit_diff=2.5e-4,
            label_agreement=0.999,
        )

    run = project.client.get_run(run_id)
    assert run.data.tags["code.lineage.parent_run_id"] == "train123"
    assert run.data.tags["code.lineage.final_training_run_id"] == "train123"
    assert "mlflow.parentRunId" not in run.data.tags
    assert run.data.params == {
        "onnx_opset": "17",
        "quantization": "dynamic_int8",
        "source_run_id": "train123",
    }
    assert run.data.metrics == {
        "conversion_success": 1.0,
        "onnx_model_size_mb": 2.0,
        "max_abs_logit_diff": 2.5e-4,
        "label_agreement": 0.999,
    }


def test_failed_conversion_records_success_zero(project, tracker, conversion_context):
    run_id = tracker.start_conversion_run(
        conversion_context, source_run_id="train123", opset=17, quantization=None
    )
    tracker.log_conversion_result(run_id, success=False)

    data = project.client.get_run(run_id).data
    assert data.metrics == {"conversion_success": 0.0}
    assert data.params["quantization"] == "none"


def test_onnx_model_is_uploaded_into_onnx_model(project, tracker, conversion_context, tmp_path):
    model = tmp_path / "model.onnx"
    model.write_bytes(b"onnx")
    run_id = tracker.start_conversion_run(
        conversion_context, source_run_id="train123", opset=17, quantization=None
    )

    uploaded = tracker.log_conversion_artifacts(run_id, model)

    assert uploaded == {"onnx_model": "onnx_model/model.onnx"}
    assert [a.path for a in project.client.list_artifacts(run_id, "onnx_model")] == [
        "onnx_model/model.onnx"
    ]


def test_disabled_conversion_tracking_creates_no_run(project, conversion_context, tmp_path):
    tracker = MLflowConversionTracker(
        make_tracking(project, with_stage_disabled(project.config, "conversion"))
    )

    run_id = tracker.start_conversion_run(
        conversion_context, source_run_id="train123", opset=17, quantization=None
    )

    assert run_id is None
    assert tracker.log_conversion_artifacts(run_id, tmp_path / "missing.onnx") == {}
    experiments = project.client.search_experiments()
    assert project.client.search_runs([e.experiment_id for e in experiments]) == []
