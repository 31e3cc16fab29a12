"""Opening the index backend that ``mlflow.yaml`` (section ``index``) names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from resume_ner.config.errors import ConfigError
from resume_ner.tracking.index.base import IndexBackend

if TYPE_CHECKING:
    from resume_ner.config.mlflow import IndexConfig
    from resume_ner.config.paths import ProjectPaths

CONFIG_FILE = "mlflow.yaml"


def open_index_backend(
    config: IndexConfig, paths: ProjectPaths, *, host: str | None = None
) -> IndexBackend:
    """The run index and version counter backend that ``config`` describes, recording ``host``
    as this machine's name (default: its host name).

    ``file`` keeps both as JSON files under ``paths.cache_dir`` (``file_name`` and
    ``counter_file_name``); ``sql`` keeps them in the database at ``sql_url``. Raises
    :class:`~resume_ner.config.errors.ConfigError` when ``sql_url`` is missing, malformed or names
    an unsupported database, and
    :class:`~resume_ner.tracking.index.base.IndexBackendError` when the database cannot be
    set up.
    """
    if config.backend == "sql":
        return _open_sql(config, host)
    from resume_ner.tracking.index.file import FileIndexBackend

    if config.file_name == config.counter_file_name:
        raise ConfigError(
            CONFIG_FILE,
            "index.counter_file_name",
            f"must differ from index.file_name ({config.file_name!r})",
        )
    return FileIndexBackend(
        paths.cache_dir / config.file_name, paths.cache_dir / config.counter_file_name, host=host
    )


def _open_sql(config: IndexConfig, host: str | None) -> IndexBackend:
    if not config.sql_url:
        raise ConfigError(
            CONFIG_FILE,
            "index.sql_url",
            "is required when index.backend is 'sql' "
            "(for example postgresql+psycopg://user@host:5432/resume_ner)",
        )
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from resume_ner.tracking.index.sql import SUPPORTED_DIALECTS, SqlIndexBackend

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
            f"names a {dialect!r} database; the SQL index supports {', '.join(SUPPORTED_DIALECTS)}",
        )
    return SqlIndexBackend(config.sql_url, host=host)
