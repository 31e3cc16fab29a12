"""Locks shared by processes on one machine or many: a file lock, a PostgreSQL advisory lock.

Both are released by the operating system or the database server when their process dies, so
a killed process never leaves a lock behind: a file lock (``fcntl``) goes with the process's
open files, a session advisory lock with its connection.
"""

from __future__ import annotations

import hashlib
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from filelock import FileLock, Timeout

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

#: Seconds between two tries of an advisory lock held by another session.
ADVISORY_POLL_S = 0.05
#: Seconds a process waits for another to finish creating a store's tables.
STORE_INIT_LOCK_TIMEOUT_S = 300.0


class ProcessLock(ABC):
    """A lock several processes share: ``acquire`` (raises ``TimeoutError``), ``release``;
    as a context manager, held for the ``with`` block."""

    @abstractmethod
    def acquire(self) -> None: ...

    @abstractmethod
    def release(self) -> None: ...

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def advisory_key(name: str) -> int:
    """The signed 64-bit key of the advisory lock called ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class AdvisoryLock(ProcessLock):
    """A PostgreSQL session advisory lock called ``name``, taken on a connection of its own.

    ``acquire`` tries every :data:`ADVISORY_POLL_S` until ``timeout_s`` has passed, then raises
    ``TimeoutError``. The server releases the lock when the connection closes, so the lock of
    a process that died is free again. Not reentrant.
    """

    def __init__(self, engine: Engine, name: str, *, timeout_s: float) -> None:
        self.engine = engine
        self.name = name
        self.timeout_s = timeout_s
        self._key = advisory_key(name)
        self._conn: Connection | None = None

    def acquire(self) -> None:
        from sqlalchemy import func, select

        conn = self.engine.connect()
        deadline = time.monotonic() + self.timeout_s
        try:
            while not conn.execute(select(func.pg_try_advisory_lock(self._key))).scalar_one():
                conn.rollback()
                if time.monotonic() >= deadline:
                    raise TimeoutError(
                        f"the lock {self.name!r} was not obtained within {self.timeout_s:g} s"
                    )
                time.sleep(ADVISORY_POLL_S)
            conn.commit()
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def release(self) -> None:
        from sqlalchemy import func, select

        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.execute(select(func.pg_advisory_unlock(self._key)))
            conn.commit()
        finally:
            conn.close()


class FileProcessLock(ProcessLock):
    """A file lock at ``path`` (in a folder that exists) whose ``acquire`` raises ``TimeoutError``."""

    def __init__(self, path: Path, *, timeout_s: float) -> None:
        self.path = path
        self.timeout_s = timeout_s
        self._lock = FileLock(str(path), timeout=timeout_s)

    def acquire(self) -> None:
        try:
            self._lock.acquire()
        except Timeout:
            raise TimeoutError(
                f"the lock {self.path} was not obtained within {self.timeout_s:g} s"
            ) from None

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release()


@contextmanager
def store_init_lock(url: str, timeout_s: float = STORE_INIT_LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the lock under which the tables of the database at ``url`` are created.

    Stores (MLflow's, Optuna's, the SQL index) create their tables on first open; several
    processes doing so at the same moment race (duplicate schema versions, tables that already
    exist) and can leave the store broken. For SQLite the lock is a file lock beside the
    database (``<file>.init.lock``); for PostgreSQL an advisory lock named after the database;
    other URLs are not locked. Raises ``TimeoutError`` when it is not obtained in ``timeout_s``.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite" and parsed.database and parsed.database != ":memory:":
        database = Path(parsed.database)
        # A missing folder stays missing (the lock file would create it): opening fails then.
        if database.parent.is_dir():
            with FileProcessLock(Path(f"{database}.init.lock"), timeout_s=timeout_s):
                yield
            return
    if backend != "postgresql":
        yield
        return
    engine = create_engine(parsed, poolclass=NullPool)
    try:
        with AdvisoryLock(engine, f"resume-ner store init {parsed.database}", timeout_s=timeout_s):
            yield
    finally:
        engine.dispose()
