"""Set up MLflow: choose the tracking URI, initialise the store once, select the experiment.

The tracking URI is chosen in this order: an explicit URI > ``mlflow.yaml`` ``tracking_uri`` >
the environment's ``MLFLOW_TRACKING_URI`` > the Azure ML workspace (when ``azure_ml.enabled``) >
the embedded default, an SQLite store in the project's ``mlruns/`` folder.

The embedded default keeps artifacts beside its database, in ``mlruns/artifacts``; when the
project folder has been copied or moved, opening it points the stored artifact locations at
the new folder (:mod:`resume_ner.tracking.relocation`).
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from resume_ner.config.mlflow import MlflowConfig
from resume_ner.config.paths import ProjectPaths
from resume_ner.tracking.azureml import (
    apply_azureml_artifact_patch,
    azureml_tracking_uri,
    is_azureml_uri,
)
from resume_ner.tracking.errors import TrackingSetupError, store_errors

logger = logging.getLogger(__name__)

SQLITE_PREFIX = "sqlite:///"
_DB_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql")


@dataclass(frozen=True)
class TrackingSetup:
    """The outcome of setting up tracking: where runs go and where artifacts land."""

    tracking_uri: str
    artifact_root: Path | None
    is_azure: bool
    experiment_name: str | None = None
    experiment_id: str | None = None


def sqlite_path(tracking_uri: str) -> Path | None:
    """The database file of an ``sqlite:///`` URI, else ``None``."""
    if not tracking_uri.startswith(SQLITE_PREFIX):
        return None
    return Path(tracking_uri[len(SQLITE_PREFIX) :].split("?", 1)[0])


def portable_tracking_uri(tracking_uri: str, paths: ProjectPaths) -> str:
    """``tracking_uri`` as a project records it in its files: an SQLite store inside the
    project folder as a path relative to that folder (``sqlite:///mlruns/mlflow.db``, which
    holds wherever the project is copied to), any other URI unchanged."""
    db_path = sqlite_path(tracking_uri)
    if db_path is None or not db_path.is_absolute():
        return tracking_uri
    return f"{SQLITE_PREFIX}{paths.relative(db_path).as_posix()}"


def is_direct_store(tracking_uri: str) -> bool:
    """Whether ``tracking_uri`` is a database this process writes to itself (no server)."""
    scheme = urlparse(tracking_uri).scheme.split("+", 1)[0]
    return scheme in _DB_SCHEMES


def resolve_tracking_uri(
    config: MlflowConfig,
    paths: ProjectPaths,
    *,
    environ: Mapping[str, str],
    tracking_uri: str | None = None,
) -> str:
    """Pick the tracking URI (see the module docstring for the order); ``environ`` is the
    command's environment."""
    if tracking_uri:
        return tracking_uri
    if config.tracking_uri:
        return config.tracking_uri
    if environ.get("MLFLOW_TRACKING_URI"):
        return environ["MLFLOW_TRACKING_URI"]
    if config.azure_ml.enabled:
        return azureml_tracking_uri(config.azure_ml, environ)
    return f"{SQLITE_PREFIX}{paths.mlflow_db}"


def _drop_bytecode_caches(artifact_root: Path) -> None:
    """Remove the ``__pycache__`` folders under ``artifact_root``.

    Loading a logged model in place (``mlflow models serve`` on the embedded store) compiles the
    code shipped with it there, and each cached file names the folder it was compiled in: after
    a move those would name the old place. They are rebuilt on the next load.
    """
    for cache in sorted(artifact_root.rglob("__pycache__")):
        shutil.rmtree(cache, ignore_errors=True)


def initialize_store(tracking_uri: str, artifact_root: Path | None = None) -> None:
    """Create or migrate the store behind ``tracking_uri`` once, under
    :func:`~resume_ner.tracking.locks.store_init_lock`.

    MLflow migrates a new database when a store first opens it; several processes doing so at
    the same moment race and can leave it broken. The lock makes the first process initialise
    it while the others wait, then find it ready. Stores behind a server are the server's. When
    the artifacts live beside an SQLite database (the embedded default) and the store was last
    opened from another folder, its artifact locations are moved to this one
    (:func:`~resume_ner.tracking.relocation.relocate_artifact_root`), the database file is
    rewritten and the bytecode caches under the artifacts are dropped, so that nothing names the
    old folder. Raises
    :class:`~resume_ner.tracking.schema.StoreSchemaError` when the store's schema and the
    installed MLflow disagree (naming which to upgrade), :class:`TrackingSetupError` when the
    store cannot be opened.
    """
    if not is_direct_store(tracking_uri):
        return
    from alembic.util.exc import CommandError
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    from resume_ner.tracking.locks import store_init_lock
    from resume_ner.tracking.relocation import relocate_artifact_root
    from resume_ner.tracking.schema import MLFLOW, StoreSchemaError, check_store_schema

    db_path = sqlite_path(tracking_uri)
    if db_path is not None:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    where = db_path or tracking_uri.split("@")[-1]
    beside = ((db_path.parent if db_path else Path.cwd()) / "artifacts").resolve()
    root = (artifact_root or beside).resolve()
    try:
        with store_init_lock(tracking_uri):
            try:
                check_store_schema(tracking_uri, MLFLOW, shown=str(where))
                store = SqlAlchemyStore(tracking_uri, root.as_uri())
            except StoreSchemaError:
                raise
            except (*store_errors(), CommandError) as exc:  # CommandError: a failed migration
                raise TrackingSetupError(f"cannot open the MLflow store at {where}: {exc}") from exc
            try:
                moved = (
                    db_path is not None
                    and root == beside
                    and relocate_artifact_root(store.engine, root.as_uri()) is not None
                )
                if moved:
                    # The rewritten rows' old text may stay in the file's free pages, naming
                    # the folder the project came from: VACUUM rewrites the file.
                    with store.engine.connect().execution_options(
                        isolation_level="AUTOCOMMIT"
                    ) as connection:
                        connection.exec_driver_sql("VACUUM")
                    _drop_bytecode_caches(root)
            except store_errors() as exc:
                raise TrackingSetupError(
                    f"cannot point the artifact locations of {where} at {root}: {exc}"
                ) from exc
            finally:
                store.engine.dispose()
    except TimeoutError as exc:
        raise TrackingSetupError(f"cannot open the MLflow store at {where}: {exc}") from exc


def experiment_artifact_location(artifact_root: Path | None, experiment_name: str) -> str | None:
    """Where a new experiment's artifacts go: a folder under ``artifact_root``, if there is one."""
    if artifact_root is None:
        return None
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", experiment_name).strip("_") or "experiment"
    return (artifact_root / slug).resolve().as_uri()


def setup_mlflow(
    config: MlflowConfig,
    *,
    paths: ProjectPaths,
    environ: Mapping[str, str],
    experiment_name: str | None = None,
    tracking_uri: str | None = None,
) -> TrackingSetup:
    """Choose the tracking URI, initialise its store and get or create ``experiment_name``.

    MLflow's process-wide tracking URI and the environment are left alone: everything that
    talks to the store is given the URI or a client bound to it. Raises
    :class:`TrackingSetupError` when the URI cannot be set up.
    """
    from mlflow.tracking import MlflowClient

    from resume_ner.tracking.runs import get_or_create_experiment

    uri = resolve_tracking_uri(config, paths, tracking_uri=tracking_uri, environ=environ)
    azure = is_azureml_uri(uri)
    if azure:
        apply_azureml_artifact_patch()
    artifact_root = paths.artifacts_dir if is_direct_store(uri) else None
    initialize_store(uri, artifact_root)
    experiment_id = None
    if experiment_name:
        experiment_id = get_or_create_experiment(
            MlflowClient(tracking_uri=uri),
            experiment_name,
            artifact_location=experiment_artifact_location(artifact_root, experiment_name),
        )
    return TrackingSetup(uri, artifact_root, azure, experiment_name, experiment_id)
