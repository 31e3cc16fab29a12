"""Opening the index database that ``mlflow.yaml`` (section ``index``) names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from resume_ner.config.errors import ConfigError

if TYPE_CHECKING:
    from resume_ner.config.mlflow import IndexConfig
    from resume_ner.config.paths import ProjectPaths
    from resume_ner.tracking.index.sql import SqlIndexBackend

CONFIG_FILE = "mlflow.yaml"
#: The index database of a project that names none, beside its MLflow store.
DEFAULT_INDEX_FILE = "index.db"


def index_url(config: IndexConfig, paths: ProjectPaths) -> str:
    """The SQLAlchemy URL of the index database: ``sql_url``, else the project's SQLite file."""
    return config.sql_url or f"sqlite:///{paths.mlflow_dir / DEFAULT_INDEX_FILE}"


def open_index_backend(
    config: IndexConfig, paths: ProjectPaths, *, host: str | None = None
) -> SqlIndexBackend:
    """The run index and version counter database that ``config`` describes, recording
    ``host`` as this machine's name (default: its host name).

    Without ``sql_url`` it is the SQLite file ``mlruns/index.db`` of the project (its folder is
    created). Raises :class:`~resume_ner.config.errors.ConfigError` when ``sql_url`` is
    malformed or names an unsupported database, and
    :class:`~resume_ner.tracking.index.base.IndexBackendError` when the database cannot be
    set up.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from resume_ner.tracking.index.sql import SUPPORTED_DIALECTS, SqlIndexBackend

    if config.sql_url is None:
        paths.mlflow_dir.mkdir(parents=True, exist_ok=True)
        return SqlIndexBackend(index_url(config, paths), host=host)
    try:
        dialect = make_url(config.sql_url).get_backend_name()
    except ArgumentError:
        # The parser's message repeats the URL, password included, so it is not passed on.
        raise ConfigError(
            CONFIG_FILE,
            "index.sql_url",
            "is not a database URL of the form dialect+driver://user@host:port/database",
        ) from None
    if dialect not in SUPPORTED_DIALECTS:
        raise ConfigError(
            CONFIG_FILE,
            "index.sql_url",
            f"names a {dialect!r} database; the index supports {', '.join(SUPPORTED_DIALECTS)}",
        )
    return SqlIndexBackend(config.sql_url, host=host)
