"""Bringing a run's artifacts back to disk: a checkpoint archive or a folder of files.

A stage that reuses an earlier run needs that run's files (a checkpoint to convert, a bundle to
benchmark). They are normally still in the project's ``outputs``; when that folder was cleaned or
the run came from another machine, they are downloaded from the run's artifacts instead. Files
land in a staging folder next to the target and are moved into place only when complete.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from resume_ner.tracking.artifacts.archive import (
    ArchiveManifest,
    extract_checkpoint_archive,
)
from resume_ner.tracking.errors import TrackingError, store_errors

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

CHECKPOINT_ARCHIVE = "checkpoint.tar.gz"
MANIFEST = "manifest.json"


class ArtifactRestoreError(TrackingError):
    """A run's artifacts could not be brought back to disk."""


def _download(client: MlflowClient, run_id: str, path: str, into: Path) -> Path:
    try:
        return Path(client.download_artifacts(run_id, path, str(into)))
    except store_errors() as exc:
        raise ArtifactRestoreError(
            f"run {run_id} has no artifact {path!r} to restore ({type(exc).__name__}: {exc})"
        ) from exc


def _move_into_place(staged: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        shutil.rmtree(target)
    staged.rename(target)
    return target


def restore_checkpoint(
    client: MlflowClient, run_id: str, target: Path | str, *, artifact_path: str = "checkpoint"
) -> Path:
    """Download run ``run_id``'s checkpoint archive and extract it into ``target``.

    Every file is checked against the archive's manifest before ``target`` is replaced.
    Returns ``target``. Raises :class:`ArtifactRestoreError` when the run has no archive, and
    :class:`~resume_ner.tracking.artifacts.archive.ArchiveError` when it does not match its
    manifest.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=target.parent) as tmp:
        folder = _download(client, run_id, artifact_path, Path(tmp))
        manifest_path = folder / MANIFEST
        manifest = (
            ArchiveManifest.from_dict(json.loads(manifest_path.read_text(encoding="utf-8")))
            if manifest_path.is_file()
            else None
        )
        staged = Path(tmp) / "extracted"
        extract_checkpoint_archive(folder / CHECKPOINT_ARCHIVE, staged, manifest=manifest)
        return _move_into_place(staged, target)


def restore_folder(
    client: MlflowClient, run_id: str, artifact_path: str, target: Path | str
) -> Path:
    """Download the artifact folder ``artifact_path`` of run ``run_id`` into ``target``.

    Returns ``target``. Raises :class:`ArtifactRestoreError` when the run has no such folder.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=target.parent) as tmp:
        folder = _download(client, run_id, artifact_path, Path(tmp))
        if not folder.is_dir():
            raise ArtifactRestoreError(
                f"artifact {artifact_path!r} of run {run_id} is not a folder"
            )
        return _move_into_place(folder, target)
