"""Reading an embedded SQLite store through MLflow's schema, with the standard library.

MLflow's supported readers (``MlflowClient``, its SQLAlchemy store and models) take seconds to
import, more than a whole read command may take; its schema is not a public API, though. Every
table and column read here is named by the constants below, and
tests/tracking/finder/test_probe_contract.py checks each against MLflow's SQLAlchemy models and
against a store MLflow creates, so that an MLflow upgrade that changes them fails the tests
instead of these reads. The file is opened read-only: it is never created, migrated or changed.
"""

from __future__ import annotations

import logging
import math
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from resume_ner.tracking.setup import sqlite_path
from resume_ner.tracking.store.base import (
    ACTIVE,
    RunQuery,
    StoredRun,
    StoredRunData,
    StoredRunInfo,
    StoreReader,
    StoreReadError,
)

logger = logging.getLogger(__name__)

TIMEOUT_S = 5.0
#: Ids per ``IN (...)`` list, below SQLite's smallest limit of bound parameters.
_CHUNK = 900

#: Every table and column of MLflow's schema read here: table -> columns.
SCHEMA: dict[str, tuple[str, ...]] = {
    "experiments": ("experiment_id", "name", "lifecycle_stage", "artifact_location"),
    "runs": ("run_uuid", "name", "experiment_id", "status", "start_time", "lifecycle_stage"),
    "tags": ("run_uuid", "key", "value"),
    "latest_metrics": ("run_uuid", "key", "value", "is_nan"),
    "registered_model_aliases": ("name", "alias", "version"),
    "model_versions": ("name", "version", "run_id", "current_stage"),
}
#: ``model_versions.current_stage`` of a deleted version.
DELETED_VERSION_STAGE = "Deleted_Internal"

_RUN_COLUMNS = "r.run_uuid, r.name, r.experiment_id, r.status, r.start_time, r.lifecycle_stage"


class SqliteStoreReader(StoreReader):
    """The MLflow store in the SQLite file of ``tracking_uri``, read-only.

    A file that does not exist is an empty store (no experiments, no runs).
    """

    def __init__(self, tracking_uri: str) -> None:
        path = sqlite_path(tracking_uri)
        if path is None:
            raise ValueError(f"not an sqlite:/// URI: {tracking_uri}")
        self.tracking_uri = tracking_uri
        self.path = path

    def __repr__(self) -> str:
        return f"SqliteStoreReader({self.tracking_uri!r})"

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection | None]:
        if not self.path.is_file():
            yield None
            return
        # mode=ro never creates or migrates the file, and the URI form needs the path escaped.
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        try:
            connection = sqlite3.connect(uri, uri=True, timeout=TIMEOUT_S)
            try:
                yield connection
            finally:
                connection.close()
        except sqlite3.Error as exc:
            raise StoreReadError(f"cannot read the MLflow store {self.path}: {exc}") from exc

    def experiment_ids(self, names: Iterable[str]) -> dict[str, str]:
        wanted = sorted(set(names))
        with self._connect() as db:
            if db is None or not wanted:
                return {}
            marks = ",".join("?" * len(wanted))
            rows = db.execute(
                f"SELECT name, experiment_id FROM experiments "
                f"WHERE lifecycle_stage = ? AND name IN ({marks})",
                (ACTIVE, *wanted),
            ).fetchall()
        found = {name: str(experiment_id) for name, experiment_id in rows}
        return {name: found[name] for name in wanted if name in found}

    def experiment_location(self, experiment_id: str) -> str | None:
        """The artifact location stored for experiment ``experiment_id``, if there is one."""
        with self._connect() as db:
            if db is None:
                return None
            row = db.execute(
                "SELECT artifact_location FROM experiments WHERE experiment_id = ?",
                (int(experiment_id),),
            ).fetchone()
        return None if row is None else row[0]

    def get_run(self, run_id: str) -> StoredRun | None:
        with self._connect() as db:
            if db is None:
                return None
            rows = db.execute(f"SELECT {_RUN_COLUMNS} FROM runs r WHERE r.run_uuid = ?", (run_id,))
            runs = self._complete(db, rows.fetchall())
        return runs[0] if runs else None

    def search_runs(self, experiment_ids: Sequence[str], query: RunQuery) -> list[StoredRun]:
        if not experiment_ids:
            return []
        where = [f"r.experiment_id IN ({','.join('?' * len(experiment_ids))})"]
        values: list[object] = [int(e) for e in experiment_ids]
        if not query.include_deleted:
            where.append("r.lifecycle_stage = ?")
            values.append(ACTIVE)
        if query.status is not None:
            where.append("r.status = ?")
            values.append(query.status.upper())
        for key, value in query.tags.items():
            where.append(
                "EXISTS (SELECT 1 FROM tags t WHERE t.run_uuid = r.run_uuid "
                "AND t.key = ? AND t.value = ?)"
            )
            values += [key, str(value)]
        if query.has_tag:
            where.append(
                "EXISTS (SELECT 1 FROM tags t WHERE t.run_uuid = r.run_uuid AND t.key = ?)"
            )
            values.append(query.has_tag)
        # MLflow's own order: start time, then run id.
        direction = "ASC" if query.oldest_first else "DESC"
        sql = (
            f"SELECT {_RUN_COLUMNS} FROM runs r WHERE {' AND '.join(where)} "
            f"ORDER BY r.start_time {direction}, r.run_uuid"
        )
        if query.max_results is not None:
            sql += " LIMIT ?"
            values.append(query.max_results)
        with self._connect() as db:
            if db is None:
                return []
            return self._complete(db, db.execute(sql, values).fetchall())

    def _complete(self, db: sqlite3.Connection, rows: list[tuple]) -> list[StoredRun]:
        """The runs of ``rows`` (run columns) with their tags and latest metrics."""
        ids = [row[0] for row in rows]
        tags: dict[str, dict[str, str]] = {run_id: {} for run_id in ids}
        metrics: dict[str, dict[str, float]] = {run_id: {} for run_id in ids}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for run_id, key, value in db.execute(
                f"SELECT run_uuid, key, value FROM tags WHERE run_uuid IN ({marks})", chunk
            ):
                tags[run_id][key] = value
            for run_id, key, value, is_nan in db.execute(
                f"SELECT run_uuid, key, value, is_nan FROM latest_metrics "
                f"WHERE run_uuid IN ({marks})",
                chunk,
            ):
                metrics[run_id][key] = math.nan if is_nan else float(value)
        return [
            StoredRun(
                StoredRunInfo(
                    run_id=run_id,
                    run_name=name,
                    experiment_id=str(experiment_id),
                    status=status,
                    start_time=start_time,
                    lifecycle_stage=stage,
                ),
                StoredRunData(tags[run_id], metrics[run_id]),
            )
            for run_id, name, experiment_id, status, start_time, stage in rows
        ]

    def model_version_run(
        self, model_name: str, *, alias: str | None = None, version: str | None = None
    ) -> tuple[str, str | None] | None:
        with self._connect() as db:
            if db is None:
                return None
            if alias is not None:
                found = db.execute(
                    "SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?",
                    (model_name, alias),
                ).fetchone()
                if found is None:
                    return None
                version = str(found[0])
            row = db.execute(
                "SELECT version, run_id FROM model_versions "
                "WHERE name = ? AND version = ? AND current_stage != ?",
                (model_name, int(version or 0), DELETED_VERSION_STAGE),
            ).fetchone()
        if row is None:
            return None
        return str(row[0]), row[1] or None
