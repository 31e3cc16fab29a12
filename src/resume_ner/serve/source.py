"""Finding the model to serve: a registered model version, a conversion run, or a bundle folder.

The conversion run logs its whole bundle folder as the run's ``bundle/`` artifacts
(:data:`resume_ner.serve.bundle.BUNDLE_ARTIFACT_DIR`) and a registered model version names
that run (``run_id``). Serving from the registry or from a run therefore downloads the run's
``bundle/`` folder once into a cache folder (``<cache_dir>/<run_id>/bundle``, written under a file
lock and moved into place whole, so a half-downloaded bundle is never used) and opens it with
:meth:`InferenceEngine.load <resume_ner.serve.engine.InferenceEngine.load>`, which checks the
model file against the hash in ``bundle.json``. A cached copy that fails that check is fetched
again. A local bundle folder is opened as it is, without MLflow.

MLflow is imported only when the model comes from MLflow; everything goes through the
caller's explicit client.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock

from resume_ner.config.serve import Preference
from resume_ner.serve.bundle import BUNDLE_ARTIFACT_DIR, BundleError
from resume_ner.serve.engine import InferenceEngine
from resume_ner.serve.errors import ModelNotFoundError, ModelSourceError, RunHasNoBundleError
from resume_ner.serve.reference import ModelSource, SourceKind

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion
    from mlflow.tracking import MlflowClient

logger = logging.getLogger(__name__)

#: MLflow's answers for a name, alias, version or run id that does not exist.
_NOT_FOUND_CODES = frozenset({"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"})
_RUN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_LOCK_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class ModelInfo:
    """Which model is served: where it came from, and its registry and run identity."""

    source: SourceKind
    name: str | None = None
    version: str | None = None
    alias: str | None = None
    aliases: tuple[str, ...] = ()
    run_id: str | None = None


@dataclass(frozen=True)
class ServedModel:
    """An opened model: the engine that runs it, what it is, and its bundle folder."""

    engine: InferenceEngine
    info: ModelInfo
    bundle_dir: Path = field(repr=False)


def _is_not_found(exc: Exception) -> bool:
    return getattr(exc, "error_code", None) in _NOT_FOUND_CODES


def resolve_model_version(
    client: MlflowClient, name: str, *, alias: str | None = None, version: str | None = None
) -> ModelVersion:
    """The version of registered model ``name`` at ``alias`` or, when given, ``version``.

    Raises :class:`ModelNotFoundError` when the model, alias or version does not exist,
    :class:`ModelSourceError` when neither ``alias`` nor ``version`` is given, and what the
    MLflow client raises for anything else (an unreachable server, ...).
    """
    if not (alias or version):
        raise ModelSourceError(f"registered model {name!r}: give an alias or a version")
    from mlflow.exceptions import MlflowException

    try:
        client.get_registered_model(name)
    except MlflowException as exc:
        if _is_not_found(exc):
            raise ModelNotFoundError(f"no registered model named {name!r}") from exc
        raise
    try:
        if version is not None:
            return client.get_model_version(name, version)
        return client.get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        if not _is_not_found(exc):
            raise
        if version is not None:
            raise ModelNotFoundError(
                f"registered model {name!r} has no version {version!r}"
            ) from exc
        known = sorted(getattr(client.get_registered_model(name), "aliases", {}) or {})
        raise ModelNotFoundError(
            f"registered model {name!r} has no alias {alias!r} "
            f"(its aliases: {', '.join(known) or 'none'})"
        ) from exc


def _check_run(client: MlflowClient, run_id: str) -> None:
    from mlflow.exceptions import MlflowException

    try:
        client.get_run(run_id)
    except MlflowException as exc:
        if _is_not_found(exc):
            raise ModelNotFoundError(f"no run with id {run_id!r}") from exc
        raise
    if not client.list_artifacts(run_id, BUNDLE_ARTIFACT_DIR):
        raise RunHasNoBundleError(
            f"run {run_id} holds no model bundle (no {BUNDLE_ARTIFACT_DIR}/ artifacts); serve "
            "a conversion run, or a registered version of one"
        )


def fetch_run_bundle(client: MlflowClient, run_id: str, cache_dir: Path | str) -> Path:
    """The local copy of run ``run_id``'s bundle, downloaded into ``cache_dir`` when missing.

    Returns ``<cache_dir>/<run_id>/bundle``. Concurrent callers download it once (file lock).
    Raises :class:`ModelNotFoundError` for a run that does not exist,
    :class:`RunHasNoBundleError` for a run without ``bundle/`` artifacts, and what the MLflow
    client raises while downloading.
    """
    cache = Path(cache_dir)
    if not _RUN_ID.fullmatch(run_id):
        raise ModelNotFoundError(f"{run_id!r} is not a run id")
    target = cache / run_id / BUNDLE_ARTIFACT_DIR
    cache.mkdir(parents=True, exist_ok=True)
    with FileLock(str(cache / f"{run_id}.lock"), timeout=_LOCK_TIMEOUT_S):
        if target.is_dir():
            return target
        _check_run(client, run_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".download-", dir=target.parent) as staging:
            local = Path(client.download_artifacts(run_id, BUNDLE_ARTIFACT_DIR, staging))
            local.replace(target)
        logger.info("downloaded the bundle of run %s into %s", run_id, target)
    return target


def _open_run_bundle(
    client: MlflowClient,
    run_id: str,
    cache_dir: Path,
    prefer: Preference,
    threads: int | None,
    recognizers: bool | None,
) -> tuple[InferenceEngine, Path]:
    bundle_dir = fetch_run_bundle(client, run_id, cache_dir)
    options = {"prefer": prefer, "threads": threads, "recognizers": recognizers}
    try:
        return InferenceEngine.load(bundle_dir, **options), bundle_dir
    except BundleError as exc:
        # A cached copy changed on disk (or a download was cut short before this module moved
        # folders into place whole): fetch it again, once.
        logger.warning("cached bundle %s is unusable (%s); downloading it again", bundle_dir, exc)
        shutil.rmtree(bundle_dir.parent)
        bundle_dir = fetch_run_bundle(client, run_id, cache_dir)
        return InferenceEngine.load(bundle_dir, **options), bundle_dir


def load_served_model(
    source: ModelSource,
    *,
    client: MlflowClient | None = None,
    cache_dir: Path | str | None = None,
    prefer: Preference = "best",
    threads: int | None = None,
    recognizers: bool | None = None,
) -> ServedModel:
    """Open the model ``source`` names (see the module docstring).

    ``client`` and ``cache_dir`` are required for a registered model or a run; ``prefer``,
    ``threads`` and ``recognizers`` go to :meth:`InferenceEngine.load`. Raises :class:`ModelNotFoundError`,
    :class:`RunHasNoBundleError`, :class:`BundleError` for a bundle that is incomplete or
    changed, and what the MLflow client raises otherwise.
    """
    if source.bundle_dir is not None:
        folder = Path(source.bundle_dir)
        if not folder.is_dir():
            raise ModelNotFoundError(f"bundle folder {folder} does not exist")
        engine = InferenceEngine.load(
            folder, prefer=prefer, threads=threads, recognizers=recognizers
        )
        lineage_run = engine.manifest.lineage.get("conversion_run_id") if engine.manifest else None
        info = ModelInfo(source="bundle", run_id=str(lineage_run) if lineage_run else None)
        return ServedModel(engine, info, folder)
    if client is None or cache_dir is None:
        raise ValueError(f"serving {source.describe()} needs an MLflow client and a cache folder")
    cache = Path(cache_dir)
    if source.model_name:
        version = resolve_model_version(
            client, source.model_name, alias=source.alias, version=source.version
        )
        if not version.run_id:
            raise RunHasNoBundleError(
                f"{source.describe()} (version {version.version}) names no run to take its "
                "bundle from"
            )
        engine, bundle_dir = _open_run_bundle(
            client, version.run_id, cache, prefer, threads, recognizers
        )
        info = ModelInfo(
            source="registry",
            name=source.model_name,
            version=str(version.version),
            alias=source.alias,
            aliases=tuple(sorted(getattr(version, "aliases", None) or ())),
            run_id=version.run_id,
        )
        return ServedModel(engine, info, bundle_dir)
    assert source.run_id is not None
    engine, bundle_dir = _open_run_bundle(
        client, source.run_id, cache, prefer, threads, recognizers
    )
    return ServedModel(engine, ModelInfo(source="run", run_id=source.run_id), bundle_dir)
