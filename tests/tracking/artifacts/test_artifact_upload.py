"""Uploads with retry: a real SQLite store, a real tracking server and a closed port."""

from __future__ import annotations

import json
import logging
import socket
import tarfile
from pathlib import Path

import pytest
from artifact_helpers import list_run_artifacts, write_checkpoint
from mlflow.tracking import MlflowClient

from resume_ner.tracking.artifacts.archive import create_checkpoint_archive
from resume_ner.tracking.artifacts.upload import (
    log_artifact_safe,
    log_artifacts_safe,
    upload_checkpoint_archive,
)
from resume_ner.tracking.errors import ArtifactUploadError
from resume_ner.tracking.retry import RetryPolicy
from resume_ner.tracking.runs import create_run_safe

RETRY_LOGGER = "resume_ner.tracking.retry"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _retry_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == RETRY_LOGGER and r.levelno == logging.WARNING]


def test_uploaded_file_lands_under_the_project_artifacts_folder(project, run_id, tmp_path):
    source = tmp_path / "metrics.json"
    source.write_text('{"f1": 0.91}')

    log_artifact_safe(project.client, run_id, source)

    stored = list(project.paths.artifacts_dir.rglob("metrics.json"))
    assert len(stored) == 1
    assert run_id in stored[0].parts
    assert stored[0].read_text() == '{"f1": 0.91}'


def test_artifact_path_is_a_folder_the_file_keeps_its_name(project, run_id, tmp_path):
    source = tmp_path / "conversion_log.txt"
    source.write_text("ok")

    log_artifact_safe(project.client, run_id, source, "logs/conversion")

    assert list_run_artifacts(project.client, run_id) == {"logs/conversion/conversion_log.txt"}


def test_folder_upload_keeps_the_folder_layout(project, run_id, tmp_path):
    folder = tmp_path / "onnx"
    (folder / "sub").mkdir(parents=True)
    (folder / "model.onnx").write_bytes(b"onnx")
    (folder / "sub" / "model.onnx.data").write_bytes(b"weights")

    log_artifacts_safe(project.client, run_id, folder, "onnx_model")

    assert list_run_artifacts(project.client, run_id) == {
        "onnx_model/model.onnx",
        "onnx_model/sub/model.onnx.data",
    }


def test_missing_file_raises_file_not_found_without_retrying(project, run_id, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger=RETRY_LOGGER)

    with pytest.raises(FileNotFoundError):
        log_artifact_safe(
            project.client, run_id, tmp_path / "absent.json", policy=RetryPolicy(base_delay_s=0.01)
        )
    assert _retry_warnings(caplog) == []


def test_missing_folder_raises_file_not_found(project, run_id, tmp_path):
    with pytest.raises(FileNotFoundError):
        log_artifacts_safe(project.client, run_id, tmp_path / "absent")


def test_error_that_is_not_transient_is_raised_after_one_attempt(project, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger=RETRY_LOGGER)
    project.experiment()
    source = tmp_path / "metrics.json"
    source.write_text("{}")

    with pytest.raises(ArtifactUploadError) as raised:
        log_artifact_safe(
            project.client, "0" * 32, source, policy=RetryPolicy(max_retries=3, base_delay_s=0.01)
        )

    assert raised.value.attempts == 1
    assert raised.value.__cause__ is not None
    assert _retry_warnings(caplog) == []


def test_unreachable_server_is_retried_then_raises_upload_error(tmp_path, monkeypatch, caplog):
    # MLflow's own HTTP retries would multiply the attempts and take minutes; ours are counted.
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    caplog.set_level(logging.WARNING, logger=RETRY_LOGGER)
    client = MlflowClient(tracking_uri=f"http://127.0.0.1:{_closed_port()}")
    source = tmp_path / "metrics.json"
    source.write_text("{}")

    with pytest.raises(ArtifactUploadError) as raised:
        log_artifact_safe(
            client, "0" * 32, source, policy=RetryPolicy(max_retries=2, base_delay_s=0.01)
        )

    assert raised.value.attempts == 3
    assert len(_retry_warnings(caplog)) == 2
    assert "after 3 attempt(s)" in str(raised.value)


@pytest.mark.server
def test_upload_to_a_tracking_server_stores_the_file(server_project, tmp_path):
    client = server_project.client
    run_id = create_run_safe(client, server_project.experiment(), "server-upload").info.run_id
    source = tmp_path / "metrics.json"
    source.write_text('{"f1": 0.88}')

    log_artifact_safe(client, run_id, source, "reports")

    assert list_run_artifacts(client, run_id) == {"reports/metrics.json"}
    downloaded = client.download_artifacts(run_id, "reports/metrics.json", str(tmp_path / "dl"))
    assert Path(downloaded).read_text() == '{"f1": 0.88}'


def test_checkpoint_archive_and_manifest_go_into_the_artifact_folder(project, run_id, tmp_path):
    archive = tmp_path / "checkpoint.tar.gz"
    manifest = create_checkpoint_archive(write_checkpoint(tmp_path / "ckpt"), archive)

    upload_checkpoint_archive(project.client, run_id, archive, manifest, "best_checkpoint")

    assert list_run_artifacts(project.client, run_id) == {
        "best_checkpoint/checkpoint.tar.gz",
        "best_checkpoint/manifest.json",
    }
    stored = project.client.download_artifacts(run_id, "best_checkpoint", str(tmp_path / "dl"))
    assert json.loads((Path(stored) / "manifest.json").read_text()) == manifest.to_dict()
    with tarfile.open(Path(stored) / "checkpoint.tar.gz") as tar:
        assert sorted(tar.getnames()) == sorted(entry.path for entry in manifest.files)


def test_checkpoint_archive_refuses_a_file_name_as_artifact_folder(project, run_id, tmp_path):
    archive = tmp_path / "checkpoint.tar.gz"
    manifest = create_checkpoint_archive(write_checkpoint(tmp_path / "ckpt"), archive)

    with pytest.raises(ValueError, match="folder"):
        upload_checkpoint_archive(project.client, run_id, archive, manifest, "checkpoint.tar.gz")
    assert list_run_artifacts(project.client, run_id) == set()
