"""Upload files to a run with bounded retry, and checkpoint archives with their manifest.

``artifact_path`` is always a *folder* inside the run's artifacts, as in MLflow: uploading
``model.tar.gz`` with ``artifact_path="checkpoint"`` stores ``checkpoint/model.tar.gz``. The
file keeps its own name; ``None`` puts it at the artifact root.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from resume_ner.tracking.artifacts.archive import ArchiveManifest
from resume_ner.tracking.errors import ArtifactUploadError, store_errors
from resume_ner.tracking.retry import RETRY_POLICY, RetryPolicy, retry_with_backoff

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

MANIFEST_FILE_NAME = "manifest.json"


def upload_with_retry(
    operation: Callable[[], object],
    *,
    run_id: str,
    local_path: str,
    description: str,
    policy: RetryPolicy = RETRY_POLICY,
) -> None:
    """Run the upload ``operation``, retrying transient errors; wrap the final failure.

    Transient errors (dropped connections, time-outs, 429/5xx, a busy store) are retried as
    ``policy`` says; any error left after that, transient or
    not, is raised as :class:`ArtifactUploadError` naming the run, the file and the number of
    attempts, with the original error as its cause.
    """
    attempts = 0

    def attempt() -> object:
        nonlocal attempts
        attempts += 1
        return operation()

    try:
        retry_with_backoff(
            attempt,
            policy=policy,
            operation_name=description,
        )
    except store_errors() as exc:
        raise ArtifactUploadError(
            f"{description} failed after {attempts} attempt(s): {exc}",
            run_id=run_id,
            local_path=local_path,
            attempts=attempts,
        ) from exc


def _check_artifact_dir(artifact_path: str | None) -> str | None:
    if artifact_path is None:
        return None
    cleaned = artifact_path.strip("/")
    if ".." in cleaned.split("/"):
        raise ValueError(f"artifact_path {artifact_path!r} must not contain '..'")
    return cleaned or None


def _upload(
    log: Callable[[str, str, str | None], object],
    run_id: str,
    path: Path,
    artifact_path: str | None,
    what: str,
    policy: RetryPolicy,
) -> None:
    """Upload ``path`` with the client method ``log`` into the folder ``artifact_path``."""
    folder = _check_artifact_dir(artifact_path)
    upload_with_retry(
        lambda: log(run_id, str(path), folder),
        run_id=run_id,
        local_path=str(path),
        description=f"uploading {what} to run {run_id}",
        policy=policy,
    )


def log_artifact_safe(
    client: MlflowClient,
    run_id: str,
    local_path: Path | str,
    artifact_path: str | None = None,
    *,
    policy: RetryPolicy = RETRY_POLICY,
) -> None:
    """Upload the file ``local_path`` to run ``run_id``, into the folder ``artifact_path``.

    Raises :class:`FileNotFoundError` at once when the file does not exist (nothing is retried)
    and :class:`ArtifactUploadError` when the upload fails for good (see
    :func:`upload_with_retry`).
    """
    path = Path(local_path)
    if not path.is_file():
        raise FileNotFoundError(f"artifact file {path} does not exist")
    _upload(client.log_artifact, run_id, path, artifact_path, str(path), policy)


def log_artifacts_safe(
    client: MlflowClient,
    run_id: str,
    local_dir: Path | str,
    artifact_path: str | None = None,
    *,
    policy: RetryPolicy = RETRY_POLICY,
) -> None:
    """Upload the contents of the folder ``local_dir`` to run ``run_id``, under ``artifact_path``.

    Raises :class:`FileNotFoundError` at once when the folder does not exist,
    :class:`NotADirectoryError` when it is a file, and :class:`ArtifactUploadError` when the
    upload fails for good.
    """
    path = Path(local_dir)
    if not path.exists():
        raise FileNotFoundError(f"artifact folder {path} does not exist")
    if not path.is_dir():
        raise NotADirectoryError(f"artifact folder {path} is not a folder")
    _upload(client.log_artifacts, run_id, path, artifact_path, f"folder {path}", policy)


def upload_checkpoint_archive(
    client: MlflowClient,
    run_id: str,
    archive_path: Path | str,
    manifest: ArchiveManifest,
    artifact_path: str = "checkpoint",
    *,
    policy: RetryPolicy = RETRY_POLICY,
) -> None:
    """Upload a checkpoint archive and its ``manifest.json`` into the run folder ``artifact_path``.

    ``artifact_path`` is a folder (MLflow's meaning), so the archive keeps its file name:
    ``checkpoint/checkpoint.tar.gz`` beside ``checkpoint/manifest.json``. A folder name that
    looks like an archive file name (``*.tar.gz``, ``*.tgz``) is refused with
    :class:`ValueError`, because it would store ``x.tar.gz/x.tar.gz``. Raises
    :class:`FileNotFoundError` for a missing archive and :class:`ArtifactUploadError` when an
    upload fails for good.
    """
    if artifact_path.lower().endswith((".tar.gz", ".tgz", ".gz")):
        raise ValueError(
            f"artifact_path {artifact_path!r} names a folder in the run, not the archive file; "
            "use e.g. 'checkpoint'"
        )
    archive = Path(archive_path)
    log_artifact_safe(client, run_id, archive, artifact_path, policy=policy)
    with tempfile.TemporaryDirectory(prefix="resume-ner-manifest-") as tmp:
        manifest_file = Path(tmp) / MANIFEST_FILE_NAME
        manifest_file.write_text(manifest.to_json(), encoding="utf-8")
        log_artifact_safe(
            client,
            run_id,
            manifest_file,
            artifact_path,
            policy=policy,
        )
