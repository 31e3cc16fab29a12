"""ArtifactUploader: switches, checkpoints, JSON and hashed JSON on a real SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from artifact_helpers import list_run_artifacts, write_checkpoint

from resume_ner.config.mlflow import StageTracking
from resume_ner.naming.canonical import canonical_json, sha256_hex
from resume_ner.tracking.artifacts.archive import ArchiveError
from resume_ner.tracking.artifacts.uploader import ArtifactUploader
from resume_ner.tracking.errors import ArtifactUploadError
from resume_ner.tracking.retry import RetryPolicy


def _uploader(project, run_id: str, **switches) -> ArtifactUploader:
    return ArtifactUploader(
        project.client, run_id, StageTracking(**switches), policy=RetryPolicy(base_delay_s=0.01)
    )


def test_checkpoint_is_not_uploaded_when_log_checkpoint_is_off(project, run_id, tmp_path):
    uploader = _uploader(project, run_id, log_checkpoint=False)

    manifest = uploader.upload_checkpoint(write_checkpoint(tmp_path / "ckpt"))

    assert manifest is None
    assert list_run_artifacts(project.client, run_id) == set()


def test_checkpoint_is_not_uploaded_when_the_stage_is_not_tracked(project, run_id, tmp_path):
    uploader = _uploader(project, run_id, enabled=False)

    assert uploader.upload_checkpoint(write_checkpoint(tmp_path / "ckpt")) is None
    assert list_run_artifacts(project.client, run_id) == set()


def test_checkpoint_upload_stores_archive_and_manifest_without_optimizer_state(
    project, run_id, tmp_path
):
    uploader = _uploader(project, run_id)

    manifest = uploader.upload_checkpoint(write_checkpoint(tmp_path / "ckpt"))

    assert manifest is not None
    assert {entry.path for entry in manifest.files} == {"model.safetensors", "config.json"}
    assert {entry.path for entry in manifest.skipped} == {"optimizer.pt", "stray.pyc"}
    assert list_run_artifacts(project.client, run_id) == {
        "checkpoint/checkpoint.tar.gz",
        "checkpoint/manifest.json",
    }


def test_checkpoint_temp_folder_is_removed_after_upload(project, run_id, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    uploader = ArtifactUploader(project.client, run_id, StageTracking(), work_dir=work)

    uploader.upload_checkpoint(write_checkpoint(tmp_path / "ckpt"))

    assert list(work.iterdir()) == []


def test_checkpoint_temp_folder_is_removed_when_the_upload_fails(project, tmp_path):
    project.experiment()
    work = tmp_path / "work"
    work.mkdir()
    missing_run = "0" * 32
    uploader = ArtifactUploader(project.client, missing_run, StageTracking(), work_dir=work)

    with pytest.raises(ArtifactUploadError):
        uploader.upload_checkpoint(write_checkpoint(tmp_path / "ckpt"))
    assert list(work.iterdir()) == []


def test_checkpoint_of_a_missing_folder_raises_archive_error(project, run_id, tmp_path):
    with pytest.raises(ArchiveError):
        _uploader(project, run_id).upload_checkpoint(tmp_path / "missing")


def test_upload_json_stores_the_object_at_the_given_path(project, run_id, tmp_path):
    uploader = _uploader(project, run_id)

    path = uploader.upload_json({"f1": 0.9, "labels": ["SKILL"]}, "reports/summary.json")

    stored = project.client.download_artifacts(run_id, path, str(tmp_path / "dl"))
    assert json.loads(Path(stored).read_text()) == {"f1": 0.9, "labels": ["SKILL"]}


def test_hashed_json_gets_the_same_name_whatever_the_key_order(project, run_id):
    uploader = _uploader(project, run_id)

    first = uploader.upload_hashed_json({"0": "O", "1": "B-SKILL", "2": "I-SKILL"}, "label_schema")
    second = uploader.upload_hashed_json({"2": "I-SKILL", "1": "B-SKILL", "0": "O"}, "label_schema")

    assert first == second
    assert list_run_artifacts(project.client, run_id) == {f"label_schema/{first[:16]}.json"}


def test_hashed_json_returns_the_hash_of_its_canonical_content(project, run_id, tmp_path):
    schema = {"id2label": {"1": "B-SKILL", "0": "O"}}

    digest = _uploader(project, run_id).upload_hashed_json(schema, "label_schema")

    stored = project.client.download_artifacts(
        run_id, f"label_schema/{digest[:16]}.json", str(tmp_path / "dl")
    )
    assert Path(stored).read_text() == canonical_json(schema)
    assert digest == sha256_hex(canonical_json(schema))


def test_hashed_json_of_different_content_gets_a_different_name(project, run_id):
    uploader = _uploader(project, run_id)

    first = uploader.upload_hashed_json({"0": "O"}, "label_schema")
    second = uploader.upload_hashed_json({"0": "O", "1": "B-SKILL"}, "label_schema")

    assert first != second
    assert len(list_run_artifacts(project.client, run_id)) == 2
