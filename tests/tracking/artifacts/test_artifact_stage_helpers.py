"""What each stage uploads, and how its switches in ``mlflow.yaml`` turn parts off."""

from __future__ import annotations

from pathlib import Path

import pytest
from artifact_helpers import list_run_artifacts, write_checkpoint

from resume_ner.config.mlflow import StageTracking
from resume_ner.tracking.artifacts.archive import ArchiveManifest
from resume_ner.tracking.artifacts.stage_helpers import (
    upload_benchmark_artifacts,
    upload_conversion_artifacts,
    upload_training_artifacts,
)
from resume_ner.tracking.artifacts.uploader import ArtifactUploader
from resume_ner.tracking.retry import RetryPolicy


def _uploader(project, run_id: str, **switches) -> ArtifactUploader:
    return ArtifactUploader(
        project.client, run_id, StageTracking(**switches), policy=RetryPolicy(base_delay_s=0.01)
    )


def _file(path: Path, text: str = "{}") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_training_uploads_checkpoint_and_metrics(project, run_id, tmp_path):
    result = upload_training_artifacts(
        _uploader(project, run_id),
        write_checkpoint(tmp_path / "ckpt"),
        _file(tmp_path / "metrics.json"),
    )

    assert isinstance(result["checkpoint"], ArchiveManifest)
    assert result["metrics_json"] == "metrics.json"
    assert list_run_artifacts(project.client, run_id) == {
        "checkpoint/checkpoint.tar.gz",
        "checkpoint/manifest.json",
        "metrics.json",
    }


def test_training_without_log_metrics_json_uploads_only_the_checkpoint(project, run_id, tmp_path):
    result = upload_training_artifacts(
        _uploader(project, run_id, log_metrics_json=False),
        write_checkpoint(tmp_path / "ckpt"),
        _file(tmp_path / "metrics.json"),
    )

    assert set(result) == {"checkpoint"}
    assert "metrics.json" not in list_run_artifacts(project.client, run_id)


def test_training_without_log_checkpoint_uploads_only_the_metrics(project, run_id, tmp_path):
    result = upload_training_artifacts(
        _uploader(project, run_id, log_checkpoint=False),
        write_checkpoint(tmp_path / "ckpt"),
        _file(tmp_path / "metrics.json"),
    )

    assert set(result) == {"metrics_json"}
    assert list_run_artifacts(project.client, run_id) == {"metrics.json"}


def test_training_with_a_missing_metrics_file_raises(project, run_id, tmp_path):
    with pytest.raises(FileNotFoundError):
        upload_training_artifacts(
            _uploader(project, run_id, log_checkpoint=False),
            tmp_path / "ckpt",
            tmp_path / "absent.json",
        )


def test_conversion_uploads_the_model_into_onnx_model_and_the_log(project, run_id, tmp_path):
    result = upload_conversion_artifacts(
        _uploader(project, run_id),
        _file(tmp_path / "model.onnx", "onnx"),
        _file(tmp_path / "conversion_log.txt", "ok"),
    )

    assert result == {"onnx_model": "onnx_model/model.onnx", "conversion_log": "conversion_log.txt"}
    assert list_run_artifacts(project.client, run_id) == set(result.values())


def test_conversion_model_folder_with_external_data_is_uploaded_whole(project, run_id, tmp_path):
    folder = tmp_path / "onnx"
    _file(folder / "model.onnx", "onnx")
    _file(folder / "model.onnx.data", "weights")

    upload_conversion_artifacts(_uploader(project, run_id), folder)

    assert list_run_artifacts(project.client, run_id) == {
        "onnx_model/model.onnx",
        "onnx_model/model.onnx.data",
    }


def test_conversion_switches_turn_off_model_and_log(project, run_id, tmp_path):
    result = upload_conversion_artifacts(
        _uploader(project, run_id, log_onnx_model=False, log_conversion_log=False),
        _file(tmp_path / "model.onnx", "onnx"),
        _file(tmp_path / "conversion_log.txt", "ok"),
    )

    assert result == {}
    assert list_run_artifacts(project.client, run_id) == set()


def test_benchmark_uploads_results_and_plots(project, run_id, tmp_path):
    result = upload_benchmark_artifacts(
        _uploader(project, run_id),
        _file(tmp_path / "benchmark.json"),
        plots=[_file(tmp_path / "latency.png", "png")],
    )

    assert result == {"benchmark_json": "benchmark.json", "plots": ["plots/latency.png"]}
    assert list_run_artifacts(project.client, run_id) == {"benchmark.json", "plots/latency.png"}


def test_benchmark_without_log_artifacts_uploads_nothing(project, run_id, tmp_path):
    result = upload_benchmark_artifacts(
        _uploader(project, run_id, log_artifacts=False),
        _file(tmp_path / "benchmark.json"),
        plots=[_file(tmp_path / "latency.png", "png")],
    )

    assert result == {}
    assert list_run_artifacts(project.client, run_id) == set()
