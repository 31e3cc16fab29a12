"""One uploader per run: files, folders, JSON and checkpoints, with the stage's switches."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from resume_ner.config.mlflow import DEFAULT_SECRET_FILE_PATTERNS, StageTracking
from resume_ner.naming.canonical import canonical_json, sha256_hex
from resume_ner.tracking.artifacts.archive import ArchiveManifest, create_checkpoint_archive
from resume_ner.tracking.artifacts.upload import (
    log_artifact_safe,
    log_artifacts_safe,
    upload_checkpoint_archive,
    upload_with_retry,
)
from resume_ner.tracking.retry import RETRY_POLICY, RetryPolicy

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

logger = logging.getLogger(__name__)

CHECKPOINT_ARCHIVE_NAME = "checkpoint.tar.gz"
HASHED_NAME_PREFIX_LENGTH = 16


def _join(folder: str | None, name: str) -> str:
    return f"{folder.strip('/')}/{name}" if folder and folder.strip("/") else name


class ArtifactUploader:
    """Uploads a run's artifacts through an explicit client, honouring a stage's switches.

    ``stage_tracking`` holds the switches (``log_checkpoint``, ``log_metrics_json``, ...);
    :meth:`upload_checkpoint` honours ``log_checkpoint`` itself, the other methods upload
    unconditionally and callers ask :meth:`allows` first (the stage helpers do).
    ``work_dir`` is where temporary archives are built (the system temp folder by default);
    they are removed whatever happens. ``secret_file_patterns`` (``artifacts`` in
    ``mlflow.yaml``) name the files a checkpoint archive never holds.
    """

    def __init__(
        self,
        client: MlflowClient,
        run_id: str,
        stage_tracking: StageTracking,
        *,
        policy: RetryPolicy = RETRY_POLICY,
        work_dir: Path | None = None,
        secret_file_patterns: tuple[str, ...] = DEFAULT_SECRET_FILE_PATTERNS,
    ) -> None:
        self.client = client
        self.run_id = run_id
        self.stage_tracking = stage_tracking
        self.policy = policy
        self.work_dir = work_dir
        self.secret_file_patterns = secret_file_patterns

    def allows(self, switch: str) -> bool:
        """Whether the stage is tracked and its switch ``switch`` (e.g. ``log_checkpoint``) is on.

        Raises :class:`AttributeError` for a switch :class:`StageTracking` does not have.
        """
        return self.stage_tracking.enabled and bool(getattr(self.stage_tracking, switch))

    def upload_file(self, local_path: Path | str, artifact_path: str | None = None) -> str:
        """Upload one file into the run folder ``artifact_path``; return its path in the run.

        Raises :class:`FileNotFoundError` or :class:`ArtifactUploadError`.
        """
        path = Path(local_path)
        log_artifact_safe(
            self.client,
            self.run_id,
            path,
            artifact_path,
            policy=self.policy,
        )
        return _join(artifact_path, path.name)

    def upload_dir(self, local_dir: Path | str, artifact_path: str | None = None) -> str:
        """Upload a folder's contents under ``artifact_path``; return that run folder ("" = root).

        Raises :class:`FileNotFoundError`, :class:`NotADirectoryError` or
        :class:`ArtifactUploadError`.
        """
        log_artifacts_safe(
            self.client,
            self.run_id,
            local_dir,
            artifact_path,
            policy=self.policy,
        )
        return (artifact_path or "").strip("/")

    def upload_checkpoint(
        self,
        checkpoint_dir: Path | str,
        artifact_path: str = "checkpoint",
        skip_optimizer_state: bool = True,
    ) -> ArchiveManifest | None:
        """Archive ``checkpoint_dir`` and upload it with its manifest into ``artifact_path``.

        Returns the manifest, or ``None`` without touching anything when ``log_checkpoint`` is
        off. The run gets ``<artifact_path>/checkpoint.tar.gz`` and
        ``<artifact_path>/manifest.json``. The archive is built in a temporary folder that is
        removed in every case. Raises :class:`ArchiveError` (missing or empty folder),
        :class:`ArtifactUploadError` or :class:`ValueError` for a file-like ``artifact_path``.
        """
        if not self.allows("log_checkpoint"):
            logger.info("log_checkpoint is off: not uploading %s", checkpoint_dir)
            return None
        with tempfile.TemporaryDirectory(prefix="resume-ner-checkpoint-", dir=self.work_dir) as tmp:
            archive = Path(tmp) / CHECKPOINT_ARCHIVE_NAME
            manifest = create_checkpoint_archive(
                Path(checkpoint_dir),
                archive,
                skip_optimizer_state=skip_optimizer_state,
                secret_patterns=self.secret_file_patterns,
            )
            upload_checkpoint_archive(
                self.client,
                self.run_id,
                archive,
                manifest,
                artifact_path,
                policy=self.policy,
            )
        return manifest

    def upload_json(self, obj: Any, artifact_file: str) -> str:
        """Store ``obj`` as the JSON file ``artifact_file`` (a path in the run); return that path.

        Raises :class:`ArtifactUploadError` when the upload fails for good.
        """
        upload_with_retry(
            lambda: self.client.log_dict(self.run_id, obj, artifact_file),
            run_id=self.run_id,
            local_path=artifact_file,
            description=f"uploading {artifact_file} to run {self.run_id}",
            policy=self.policy,
        )
        return artifact_file

    def upload_hashed_json(self, obj: Any, artifact_dir: str) -> str:
        """Store ``obj`` as canonical JSON named by its hash under ``artifact_dir``; return the hash.

        The file is ``<artifact_dir>/<first 16 hex digits of the SHA-256>.json`` and holds the
        canonical JSON (sorted keys, normalised floats), so the same content always gets the
        same name whatever the key order. For label schemas and long configs, which overflow
        MLflow's param limits. Raises :class:`TypeError` for values canonical JSON cannot
        hold and :class:`ArtifactUploadError` when the upload fails for good.
        """
        text = canonical_json(obj)
        digest = sha256_hex(text)
        artifact_file = _join(artifact_dir, f"{digest[:HASHED_NAME_PREFIX_LENGTH]}.json")
        upload_with_retry(
            lambda: self.client.log_text(self.run_id, text, artifact_file),
            run_id=self.run_id,
            local_path=artifact_file,
            description=f"uploading {artifact_file} to run {self.run_id}",
            policy=self.policy,
        )
        return digest
