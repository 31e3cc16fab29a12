"""The index backend: the run index, the version counter, leases and heartbeats as tables
(SQLAlchemy 2 Core), in an SQLite file of the project by default or in a PostgreSQL database that
several machines share.

The run index is keyed by what survives a move (run-key hash -> experiment and run ids), so a
project copied elsewhere keeps using it. It is a cache of what MLflow holds: an SQLite file that
cannot be read (truncated, overwritten) is set aside with a warning and a new one is created,
which, like a deleted file, records no build time, so that the next command rebuilds it from
MLflow (:func:`~resume_ner.tracking.index.run_index.ensure_index_built`), version-counter floors
included.
Handing out a version is one transaction around one atomic upsert
(``INSERT ... ON CONFLICT DO UPDATE SET next_version = next_version + 1 RETURNING``), so two
processes never get the same version whatever the isolation level. On SQLite every writing
transaction starts with ``BEGIN IMMEDIATE`` and waits up to the busy timeout for the database
lock, so concurrent writers queue instead of failing; on PostgreSQL, writes to the run index are
serialised by a transaction-scoped advisory lock so that eviction keeps the size bound.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import socket
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from resume_ner.tracking.index.base import (
    BUILT_AT,
    RUN_KEYS_TABLE,
    STATE_TABLE,
    IndexBackend,
    IndexBackendError,
    IndexEntry,
    Lease,
    ProcessId,
    Reservation,
    newest_entries,
    utc_now_iso,
    with_normalized_time,
)
from resume_ner.tracking.locks import (
    AdvisoryLock,
    FileProcessLock,
    ProcessLock,
    store_init_lock,
)

logger = logging.getLogger(__name__)

#: Database dialects with an atomic upsert that returns the new row (``ON CONFLICT ... RETURNING``).
SUPPORTED_DIALECTS = ("postgresql", "sqlite")
DEFAULT_BUSY_TIMEOUT_S = 30.0

_RESERVE_ATTEMPTS = 3
# Any fixed number works: it names the advisory lock that serialises writes to the run index.
_INDEX_ADVISORY_LOCK = 0x7265_7375_6D65
_READ_ONLY_OPTION = "resume_ner_read_only"

metadata = MetaData()

run_index_table = Table(
    RUN_KEYS_TABLE,
    metadata,
    Column("run_key_hash", String(128), primary_key=True),
    Column("run_id", String(64), nullable=False),
    Column("experiment_id", String(64), nullable=False),
    Column("run_name", String(512), nullable=True),
    Column("updated_at", String(40), nullable=False),
    Index("ix_resume_ner_run_keys_updated_at", "updated_at"),
)

#: Facts about the index itself: ``built_at``, when it was last filled from MLflow.
state_table = Table(
    STATE_TABLE,
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

version_counter_table = Table(
    "resume_ner_version_counter",
    metadata,
    Column("counter_key", String(512), primary_key=True),
    Column("next_version", Integer, nullable=False),
)

reservations_table = Table(
    "resume_ner_reservations",
    metadata,
    Column("counter_key", String(512), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("run_id", String(64), nullable=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("reserved_at", String(40), nullable=False),
    # At most one live reservation per run and counter key (NULL run ids do not collide).
    UniqueConstraint("counter_key", "run_id", name="uq_resume_ner_reservations_run"),
)


leases_table = Table(
    "resume_ner_leases",
    metadata,
    Column("name", String(512), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("value", String(512), nullable=True),
    Column("claimed_at", String(40), nullable=False),
)

heartbeats_table = Table(
    "resume_ner_heartbeats",
    metadata,
    Column("host", String(255), primary_key=True),
    Column("pid", Integer, primary_key=True, autoincrement=False),
    Column("beat_at", String(40), nullable=False),
)


def _install_sqlite_transactions(engine: Engine) -> None:
    """Let the backend, not the driver, begin SQLite transactions: writers ``BEGIN IMMEDIATE``.

    A deferred transaction that reads and then writes can fail at once with "database is
    locked" when another writer got there first (the busy timeout is not applied to that
    upgrade); taking the write lock up front makes it wait instead.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        read_only = connection.get_execution_options().get(_READ_ONLY_OPTION, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def set_aside_if_damaged(path: Path) -> Path | None:
    """Move the SQLite file at ``path`` aside when it is not a readable database; where to.

    A file SQLite cannot open or whose quick check fails (truncated, overwritten) is renamed to
    ``<name>.damaged-<UTC time>`` with a warning. A missing file is left missing.
    """
    if not path.is_file():
        return None
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            verdict = connection.execute("PRAGMA quick_check").fetchone()
        finally:
            connection.close()
        if verdict is not None and verdict[0] == "ok":
            return None
        problem = verdict[0] if verdict else "no answer"
    except sqlite3.DatabaseError as exc:
        problem = str(exc)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    path.replace(aside)
    logger.warning(
        "the run index %s is damaged (%s); moved it to %s, and it is rebuilt from MLflow",
        path,
        problem,
        aside.name,
    )
    return aside


class SqlIndexBackend(IndexBackend):
    """The run index, version counter, leases and heartbeats in tables of the database at ``url``.

    ``url`` is an SQLAlchemy URL: ``sqlite:///path/index.db`` on one machine (a damaged file is
    set aside first, :func:`set_aside_if_damaged`), ``postgresql+psycopg://user@host:5432/db``
    for several. Tables are created when missing, also when several processes open a fresh
    database at once. ``busy_timeout_s`` is how long an SQLite writer waits for the database
    lock; ``host`` is the name this machine records (default: its host name). Raises
    :class:`IndexBackendError` for an unsupported database or when the database cannot be
    reached or set up.
    """

    def __init__(
        self, url: str, *, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S, host: str | None = None
    ) -> None:
        self.host = host or socket.gethostname()
        try:
            parsed = make_url(url)
        except SQLAlchemyError as exc:
            raise IndexBackendError(f"not a database URL: {exc}") from exc
        self.url = parsed.render_as_string(hide_password=True)
        self._raw_url = parsed.render_as_string(hide_password=False)
        self._database = parsed.database
        dialect = parsed.get_backend_name()
        if dialect not in SUPPORTED_DIALECTS:
            raise IndexBackendError(
                f"the SQL index backend supports {', '.join(SUPPORTED_DIALECTS)}, not {dialect!r} "
                f"({self.url})"
            )
        self._dialect = dialect
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        try:
            if dialect == "sqlite":
                if self._database and self._database != ":memory:":
                    with store_init_lock(self._raw_url):
                        set_aside_if_damaged(Path(self._database))
                self._engine = create_engine(parsed, connect_args={"timeout": busy_timeout_s})
                _install_sqlite_transactions(self._engine)
            else:
                self._engine = create_engine(parsed, pool_pre_ping=True)
        except (SQLAlchemyError, ImportError, OSError) as exc:
            raise IndexBackendError(f"cannot open the index database {self.url}: {exc}") from exc
        self._create_tables()

    def __repr__(self) -> str:
        return f"SqlIndexBackend({self.url!r})"

    # --- plumbing --------------------------------------------------------------------------

    def _create_tables(self) -> None:
        try:
            with store_init_lock(self._raw_url), self._engine.begin() as conn:
                metadata.create_all(conn, checkfirst=True)
        except (SQLAlchemyError, OSError) as exc:
            raise IndexBackendError(f"cannot create the index tables in {self.url}: {exc}") from exc

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as exc:
            raise IndexBackendError(f"index database {self.url}: {exc}") from exc

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._errors(), self._engine.connect() as conn:
            conn.execution_options(**{_READ_ONLY_OPTION: True})
            with conn.begin():
                yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._engine.begin() as conn:
            yield conn

    def _lock_index(self, conn: Connection) -> None:
        # SQLite's BEGIN IMMEDIATE already serialises writers.
        if self._dialect == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(_INDEX_ADVISORY_LOCK)))

    # --- run index -------------------------------------------------------------------------

    def put_entry(self, entry: IndexEntry, max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        entry = with_normalized_time(entry)
        table = run_index_table
        values = _entry_row(entry)
        statement = self._insert(table).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.run_key_hash],
            set_={name: statement.excluded[name] for name in values if name != "run_key_hash"},
        )
        with self._errors(), self._write() as conn:
            self._lock_index(conn)
            conn.execute(statement)
            count = conn.execute(select(func.count()).select_from(table)).scalar_one()
            if count > max_entries:
                oldest = (
                    select(table.c.run_key_hash)
                    .where(table.c.run_key_hash != entry.run_key_hash)
                    .order_by(table.c.updated_at, table.c.run_key_hash)
                    .limit(count - max_entries)
                )
                conn.execute(
                    delete(table).where(table.c.run_key_hash.in_(oldest.scalar_subquery()))
                )

    def get_entry(self, run_key_hash: str) -> IndexEntry | None:
        table = run_index_table
        with self._read() as conn:
            row = conn.execute(select(table).where(table.c.run_key_hash == run_key_hash)).first()
        return None if row is None else _entry_from_row(row._mapping)

    def remove_entry(self, run_key_hash: str) -> bool:
        table = run_index_table
        with self._errors(), self._write() as conn:
            self._lock_index(conn)
            result = conn.execute(delete(table).where(table.c.run_key_hash == run_key_hash))
        return result.rowcount > 0

    def list_entries(self) -> list[IndexEntry]:
        with self._read() as conn:
            rows = conn.execute(select(run_index_table)).all()
        return [_entry_from_row(row._mapping) for row in rows]

    def replace_entries(self, entries: Iterable[IndexEntry], max_entries: int) -> None:
        rows = [_entry_row(entry) for entry in newest_entries(entries, max_entries)]
        with self._errors(), self._write() as conn:
            self._lock_index(conn)
            conn.execute(delete(run_index_table))
            if rows:
                conn.execute(run_index_table.insert(), rows)

    # --- version counter -------------------------------------------------------------------

    def _floor_statement(self, counter_key: str, version: int) -> Any:
        """Upsert that makes ``counter_key`` hand out versions above ``version`` (never lower)."""
        table = version_counter_table
        statement = self._insert(table).values(counter_key=counter_key, next_version=version + 1)
        return statement.on_conflict_do_update(
            index_elements=[table.c.counter_key],
            set_={"next_version": statement.excluded.next_version},
            where=table.c.next_version < statement.excluded.next_version,
        )

    def _reserve_in(self, conn: Connection, counter_key: str, run_id: str | None) -> int:
        held = reservations_table
        if run_id is not None:
            version = conn.execute(
                select(held.c.version).where(
                    held.c.counter_key == counter_key, held.c.run_id == run_id
                )
            ).scalar()
            if version is not None:
                return int(version)
        table = version_counter_table
        bump = self._insert(table).values(counter_key=counter_key, next_version=2)
        bump = bump.on_conflict_do_update(
            index_elements=[table.c.counter_key],
            set_={"next_version": table.c.next_version + 1},
        ).returning(table.c.next_version)
        version = int(conn.execute(bump).scalar_one()) - 1
        conn.execute(
            held.insert().values(
                counter_key=counter_key,
                version=version,
                run_id=run_id,
                host=self.host,
                pid=os.getpid(),
                reserved_at=utc_now_iso(),
            )
        )
        return version

    def reserve_version(self, counter_key: str, run_id: str | None) -> int:
        with self._errors():
            for attempt in itertools.count(1):
                try:
                    with self._write() as conn:
                        return self._reserve_in(conn, counter_key, run_id)
                except IntegrityError:
                    # The same run id reserved concurrently; the next attempt finds its version.
                    if run_id is None or attempt >= _RESERVE_ATTEMPTS:
                        raise
        raise AssertionError("unreachable")  # pragma: no cover

    def commit_version(self, counter_key: str, run_id: str, version: int) -> bool:
        held = reservations_table
        with self._errors(), self._write() as conn:
            conn.execute(self._floor_statement(counter_key, version))
            result = conn.execute(
                delete(held).where(
                    held.c.counter_key == counter_key,
                    held.c.version == version,
                    (held.c.run_id.is_(None)) | (held.c.run_id == run_id),
                )
            )
        return result.rowcount > 0

    def release_version(self, counter_key: str, version: int) -> bool:
        held = reservations_table
        with self._errors(), self._write() as conn:
            result = conn.execute(
                delete(held).where(held.c.counter_key == counter_key, held.c.version == version)
            )
        return result.rowcount > 0

    def list_reservations(self) -> list[Reservation]:
        held = reservations_table
        with self._read() as conn:
            rows = conn.execute(select(held).order_by(held.c.counter_key, held.c.version)).all()
        return [
            Reservation(
                counter_key=row.counter_key,
                version=int(row.version),
                run_id=row.run_id,
                host=row.host,
                pid=int(row.pid),
                reserved_at=row.reserved_at,
            )
            for row in rows
        ]

    def drop_reservations(self, reservations: Iterable[Reservation]) -> int:
        targets = sorted({(r.counter_key, r.version) for r in reservations})
        if not targets:
            return 0
        held = reservations_table
        dropped = 0
        with self._errors(), self._write() as conn:
            for counter_key, version in targets:
                result = conn.execute(
                    delete(held).where(held.c.counter_key == counter_key, held.c.version == version)
                )
                dropped += result.rowcount
        return dropped

    def ensure_versions_at_least(self, floors: Mapping[str, int]) -> None:
        if not floors:
            return
        with self._errors(), self._write() as conn:
            # Sorted, so that two concurrent calls lock the rows in the same order.
            for counter_key in sorted(floors):
                conn.execute(self._floor_statement(counter_key, floors[counter_key]))

    # --- liveness ---------------------------------------------------------------------------

    def beat(self, process: ProcessId) -> None:
        table = heartbeats_table
        statement = self._insert(table).values(
            host=process.host, pid=process.pid, beat_at=utc_now_iso()
        )
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.host, table.c.pid],
            set_={"beat_at": statement.excluded.beat_at},
        )
        with self._errors(), self._write() as conn:
            conn.execute(statement)

    def forget_beat(self, process: ProcessId) -> None:
        table = heartbeats_table
        with self._errors(), self._write() as conn:
            conn.execute(
                delete(table).where(table.c.host == process.host, table.c.pid == process.pid)
            )

    def list_beats(self) -> dict[ProcessId, str]:
        with self._read() as conn:
            rows = conn.execute(select(heartbeats_table)).all()
        return {ProcessId(row.host, int(row.pid)): row.beat_at for row in rows}

    def forget_beats(self, beats: Mapping[ProcessId, str]) -> int:
        if not beats:
            return 0
        table = heartbeats_table
        dropped = 0
        with self._errors(), self._write() as conn:
            # Sorted, so that two concurrent calls lock the rows in the same order.
            for process in sorted(beats, key=lambda p: (p.host, p.pid)):
                result = conn.execute(
                    delete(table).where(
                        table.c.host == process.host,
                        table.c.pid == process.pid,
                        table.c.beat_at == beats[process],
                    )
                )
                dropped += result.rowcount
        return dropped

    def claim_lease(
        self, name: str, holder: ProcessId, *, take_from: ProcessId | None = None
    ) -> Lease:
        table = leases_table
        now = utc_now_iso()
        claim = self._insert(table).values(
            name=name, host=holder.host, pid=holder.pid, value=None, claimed_at=now
        )
        with self._errors(), self._write() as conn:
            # Row-level atomic on both databases: the insert loses to a concurrent one, the
            # update only matches while the silent holder is still the holder.
            conn.execute(claim.on_conflict_do_nothing(index_elements=[table.c.name]))
            if take_from is not None and take_from != holder:
                conn.execute(
                    update(table)
                    .where(
                        table.c.name == name,
                        table.c.host == take_from.host,
                        table.c.pid == take_from.pid,
                    )
                    .values(host=holder.host, pid=holder.pid, claimed_at=now)
                )
            row = conn.execute(select(table).where(table.c.name == name)).one()
        return _lease_from_row(row._mapping)

    def get_lease(self, name: str) -> Lease | None:
        table = leases_table
        with self._read() as conn:
            row = conn.execute(select(table).where(table.c.name == name)).first()
        return None if row is None else _lease_from_row(row._mapping)

    def set_lease_value(self, name: str, holder: ProcessId, value: str) -> bool:
        table = leases_table
        with self._errors(), self._write() as conn:
            result = conn.execute(
                update(table)
                .where(table.c.name == name, table.c.host == holder.host, table.c.pid == holder.pid)
                .values(value=value)
            )
        return result.rowcount > 0

    def release_lease(self, name: str, holder: ProcessId) -> bool:
        table = leases_table
        with self._errors(), self._write() as conn:
            result = conn.execute(
                delete(table).where(
                    table.c.name == name, table.c.host == holder.host, table.c.pid == holder.pid
                )
            )
        return result.rowcount > 0

    def lock(self, name: str, *, timeout_s: float) -> ProcessLock:
        if self._dialect == "postgresql":
            return AdvisoryLock(self._engine, name, timeout_s=timeout_s)
        # SQLite serves one machine: a file lock beside the database does.
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "lock"
        folder = Path(self._database or ".").resolve().parent
        return FileProcessLock(
            folder / f"{Path(self._database or 'index').name}.{slug}.lock", timeout_s=timeout_s
        )

    # --- the rebuild from MLflow ------------------------------------------------------------

    def built_at(self) -> str | None:
        table = state_table
        with self._read() as conn:
            return conn.execute(select(table.c.value).where(table.c.name == BUILT_AT)).scalar()

    def mark_built(self) -> None:
        table = state_table
        statement = self._insert(table).values(name=BUILT_AT, value=utc_now_iso())
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.name], set_={"value": statement.excluded.value}
        )
        with self._errors(), self._write() as conn:
            conn.execute(statement)

    def close(self) -> None:
        self._engine.dispose()


def _entry_row(entry: IndexEntry) -> dict[str, Any]:
    return {
        "run_key_hash": entry.run_key_hash,
        "run_id": entry.run_id,
        "experiment_id": entry.experiment_id,
        "run_name": entry.run_name,
        "updated_at": entry.updated_at,
    }


def _lease_from_row(row: Mapping[str, Any]) -> Lease:
    return Lease(
        name=row["name"],
        holder=ProcessId(row["host"], int(row["pid"])),
        value=row["value"],
        claimed_at=row["claimed_at"],
    )


def _entry_from_row(row: Mapping[str, Any]) -> IndexEntry:
    return IndexEntry(
        run_key_hash=row["run_key_hash"],
        run_id=row["run_id"],
        experiment_id=row["experiment_id"],
        run_name=row["run_name"],
        updated_at=row["updated_at"],
    )
