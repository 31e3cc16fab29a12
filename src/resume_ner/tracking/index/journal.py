"""A JSON document kept as a snapshot plus an append-only journal of changes, under a file lock.

Rewriting a whole JSON file for every change costs time in proportion to its size and, when the
change must survive a power loss, two flushes to disk (the file and the rename in its folder).
Here a change appends one line to ``<file>.journal`` instead (one ``fdatasync`` when it must be
durable), and once the journal holds ``compact_after`` records it is folded into the snapshot.
Each process keeps the document in memory and reads only what other processes appended since
it last looked, so an operation costs the same however large the document grows.

Snapshot and journal carry a *generation*. Folding writes the snapshot with generation ``g + 1``
before it starts a new journal whose header line says ``g + 1``; a journal older than its
snapshot (folding was interrupted between the two steps) has already been folded in and is
ignored. A last line without its newline was cut short by a killed process: it is ignored and
cut off before the next append. The lock file ``<file>.lock`` is never deleted (deleting it
would let a waiter lock a stale inode while a newcomer locks a new one).
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from filelock import FileLock, Timeout

from resume_ner.errors import ResumeNerError
from resume_ner.tracking.index.base import IndexLockTimeoutError

JOURNAL_FORMAT = 1
#: Records a journal holds before it is folded into its snapshot.
DEFAULT_COMPACT_AFTER = 1000

# Newer filelock releases can promise never to unlink the lock file (and never to fall back to
# a marker-file lock that is released by deleting it); older ones never unlink it on Unix.
_LOCK_OPTIONS: dict[str, Any] = (
    {"preserve_lock_file": True}
    if "preserve_lock_file" in inspect.signature(FileLock).parameters
    else {}
)

S = TypeVar("S")
T = TypeVar("T")


class CorruptFileError(ResumeNerError, ValueError):
    """A snapshot or journal holds something other than what this module writes.

    ``path`` names the damaged file.
    """

    def __init__(self, problem: str, path: Path | None = None) -> None:
        super().__init__(problem)
        self.path = path


def require(condition: bool, problem: str) -> None:
    """Raise :class:`CorruptFileError` with ``problem`` unless ``condition`` holds."""
    if not condition:
        raise CorruptFileError(problem)


def fsync_directory(folder: Path) -> None:
    """Make renames in ``folder`` durable (a platform that cannot open a folder is left as is)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _file_mode(path: Path) -> int:
    # Keep the permissions a replaced file had (a temporary file starts owner-only).
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o644


def write_atomically(path: Path, payload: bytes, *, durable: bool) -> int:
    """Replace ``path`` with ``payload`` through a temporary file and a rename; its inode.

    The rename is atomic either way, so a killed process never leaves a torn file. ``durable``
    also flushes the data and the rename to disk, so that they survive a power loss.
    """
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _file_mode(path))
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
            inode = os.fstat(handle.fileno()).st_ino
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    if durable:
        fsync_directory(path.parent)
    return inode


def move_aside(path: Path) -> Path:
    """Rename ``path`` to ``<name>.corrupt-<UTC timestamp>`` and return the new path."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    os.replace(path, target)
    return target


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return info.st_ino, info.st_size, info.st_mtime_ns


def _encode(record: Any) -> bytes:
    return json.dumps(record, separators=(",", ":"), sort_keys=True).encode("utf-8") + b"\n"


class DocumentCodec(Protocol[S]):
    """How one kind of document is held in memory, changed by records and written out."""

    def empty(self) -> S:
        """The state of a document that does not exist yet."""

    def load(self, document: Any) -> S:
        """The state a parsed snapshot holds; raises :class:`CorruptFileError`."""

    def apply(self, state: S, record: Any) -> None:
        """Change ``state`` as ``record`` says; raises :class:`CorruptFileError`."""

    def dump(self, state: S) -> dict[str, Any]:
        """The snapshot document of ``state`` (a JSON object)."""


class JournaledDocument(Generic[S]):
    """One JSON document on disk: a snapshot at ``path`` and a journal at ``<path>.journal``.

    Use :meth:`locked` around every access; inside it :meth:`read` returns the current state
    (kept in memory between calls and brought up to date from the files), :meth:`change`
    changes it and journals the change, and :meth:`replace` writes a whole new state.
    ``durable_snapshot`` makes folding flush the snapshot to disk. Safe for several threads and
    several processes.
    """

    def __init__(
        self,
        path: Path,
        codec: DocumentCodec[S],
        *,
        lock_timeout: float,
        durable_snapshot: bool,
        compact_after: int = DEFAULT_COMPACT_AFTER,
    ) -> None:
        if compact_after < 1:
            raise ValueError(f"compact_after must be at least 1, got {compact_after}")
        self.path = path
        self.journal_path = path.with_name(path.name + ".journal")
        self.lock_path = path.with_name(path.name + ".lock")
        self._codec = codec
        self._durable_snapshot = durable_snapshot
        self._compact_after = compact_after
        self._file_lock = FileLock(self.lock_path, timeout=lock_timeout, **_LOCK_OPTIONS)
        self._lock_timeout = lock_timeout
        self._thread_lock = threading.RLock()
        self._forget()

    def _forget(self) -> None:
        self._state: S | None = None
        self._snapshot_signature: tuple[int, int, int] | None = None
        self._generation = 0
        self._journal_inode: int | None = None  # None: no journal to append to yet
        self._offset = 0  # bytes of the journal already applied
        self._records = 0  # records in the journal
        self._torn_at: int | None = None  # where a cut-short last line starts

    # --- locking ---------------------------------------------------------------------------

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the document's lock; raise :class:`IndexLockTimeoutError` when not obtained."""
        with self._thread_lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._file_lock.acquire()
            except Timeout:
                raise IndexLockTimeoutError(
                    f"could not lock {self.lock_path} within {self._lock_timeout:g} s; another "
                    "process holds it (nothing was read or written)"
                ) from None
            try:
                yield
            finally:
                self._file_lock.release()

    # --- reading ---------------------------------------------------------------------------

    def read(self) -> S:
        """The current state; the lock must be held.

        Raises :class:`CorruptFileError` (its ``path`` names the snapshot or the journal) when
        a file cannot be read; nothing is kept in memory then.
        """
        snapshot = _signature(self.path)
        journal = _signature(self.journal_path)
        if self._state is not None and snapshot == self._snapshot_signature:
            if journal is None and self._journal_inode is None:
                return self._state
            if (
                journal is not None
                and journal[0] == self._journal_inode
                and journal[1] >= self._offset
            ):
                if journal[1] > self._offset:
                    self._catch_up()
                return self._state
        return self._reload(snapshot, journal)

    def _reload(
        self, snapshot: tuple[int, int, int] | None, journal: tuple[int, int, int] | None
    ) -> S:
        self._forget()
        try:
            document = self._read_snapshot()
            generation = 0
            if document is None:
                state = self._codec.empty()
            else:
                try:
                    state = self._codec.load(document)
                    generation = _snapshot_generation(document)
                except CorruptFileError as exc:
                    raise CorruptFileError(str(exc), self.path) from None
            if journal is not None:
                generation = self._load_journal(state, generation, journal)
        except CorruptFileError:
            self._forget()
            raise
        self._state = state
        self._snapshot_signature = snapshot
        self._generation = generation
        return state

    def _read_snapshot(self) -> Any | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        if not raw.strip():
            raise CorruptFileError("the file is empty", self.path)
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CorruptFileError(str(exc), self.path) from exc

    def _load_journal(self, state: S, generation: int, journal: tuple[int, int, int]) -> int:
        """Apply the journal to ``state`` unless the snapshot already holds it; its generation."""
        try:
            data = self.journal_path.read_bytes()
        except FileNotFoundError:
            return generation
        header_end = data.find(b"\n")
        if header_end < 0:
            # Cut short while being started: there is nothing in it yet.
            return generation
        header = self._parse_line(data[:header_end], 1)
        try:
            require(isinstance(header, dict), "the header is not an object")
            require(header.get("journal") == JOURNAL_FORMAT, "the header is not a journal's")
            journal_generation = header.get("generation")
            require(
                isinstance(journal_generation, int) and journal_generation >= 0,
                "the header has no generation",
            )
        except CorruptFileError as exc:
            raise CorruptFileError(str(exc), self.journal_path) from None
        self._journal_inode = journal[0]
        if journal_generation < generation:
            # Folded into the snapshot already; the next append starts a new journal.
            self._journal_inode = None
            self._offset = len(data)
            return generation
        self._offset = header_end + 1
        self._apply_lines(state, data[header_end + 1 :], line_number=2)
        return journal_generation

    def _catch_up(self) -> None:
        assert self._state is not None
        with self.journal_path.open("rb") as handle:
            handle.seek(self._offset)
            data = handle.read()
        try:
            self._apply_lines(self._state, data, line_number=self._records + 2)
        except CorruptFileError:
            self._forget()
            raise

    def _apply_lines(self, state: S, data: bytes, *, line_number: int) -> None:
        complete = data.rfind(b"\n") + 1
        for line in data[:complete].split(b"\n")[:-1]:
            record = self._parse_line(line, line_number)
            try:
                self._codec.apply(state, record)
            except CorruptFileError as exc:
                raise CorruptFileError(f"line {line_number}: {exc}", self.journal_path) from None
            line_number += 1
            self._records += 1
        self._offset += complete
        self._torn_at = self._offset if complete < len(data) else None

    def _parse_line(self, line: bytes, line_number: int) -> Any:
        try:
            return json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CorruptFileError(f"line {line_number}: {exc}", self.journal_path) from exc

    # --- writing ---------------------------------------------------------------------------

    def change(self, change: Callable[[S], tuple[T, list[Any], bool]]) -> T:
        """Apply ``change`` to the state :meth:`read` returned and journal what it did.

        ``change`` mutates the state and returns its result, the records that redo the change
        (an empty list when nothing changed) and whether they must be durable (flushed to disk
        before this returns). The snapshot is written instead when there is none yet, and the
        journal is folded into it once it holds ``compact_after`` records. The lock must be
        held. On failure the state in memory is dropped, so that the next :meth:`read` sees
        what the files hold.
        """
        if self._state is None:
            raise RuntimeError("read the document before changing it")
        try:
            result, records, durable = change(self._state)
            if records:
                self._append(records, durable=durable)
        except BaseException:
            self._forget()
            raise
        return result

    def _append(self, records: list[Any], *, durable: bool) -> None:
        if self._snapshot_signature is None:
            self._fold()
            return
        if self._journal_inode is None:
            self._start_journal(self._generation)
        if self._torn_at is not None:
            os.truncate(self.journal_path, self._torn_at)
            self._offset = self._torn_at
            self._torn_at = None
        payload = b"".join(_encode(record) for record in records)
        fd = os.open(self.journal_path, os.O_WRONLY | os.O_APPEND)
        try:
            written = 0
            while written < len(payload):
                written += os.write(fd, payload[written:])
            if durable:
                os.fdatasync(fd)
        finally:
            os.close(fd)
        self._offset += len(payload)
        self._records += len(records)
        if self._records >= self._compact_after:
            self._fold()

    def replace(self, state: S) -> None:
        """Make ``state`` the whole document (a new snapshot and an empty journal).

        The lock must be held; the current state need not have been read.
        """
        if self._state is None:
            with contextlib.suppress(CorruptFileError):
                self.read()
        self._state = state
        try:
            self._fold()
        except BaseException:
            self._forget()
            raise

    def compact(self) -> None:
        """Fold the journal into the snapshot now; the lock must be held.

        Raises :class:`CorruptFileError` when the files cannot be read.
        """
        self.read()
        try:
            self._fold()
        except BaseException:
            self._forget()
            raise

    def _fold(self) -> None:
        assert self._state is not None
        generation = self._generation + 1
        document = {**self._codec.dump(self._state), "generation": generation}
        payload = json.dumps(document, separators=(",", ":"), sort_keys=True).encode("utf-8")
        write_atomically(self.path, payload, durable=self._durable_snapshot)
        self._start_journal(generation)
        self._generation = generation
        self._snapshot_signature = _signature(self.path)

    def _start_journal(self, generation: int) -> None:
        header = _encode({"journal": JOURNAL_FORMAT, "generation": generation})
        self._journal_inode = write_atomically(
            self.journal_path, header, durable=self._durable_snapshot
        )
        self._offset = len(header)
        self._records = 0
        self._torn_at = None

    def move_aside(self, *, snapshot: bool = True, journal: bool = True) -> list[Path]:
        """Rename the snapshot and/or the journal to ``<name>.corrupt-<UTC timestamp>``.

        Returns the new paths of the files that existed. The lock must be held.
        """
        self._forget()
        moved = []
        for wanted, path in ((snapshot, self.path), (journal, self.journal_path)):
            if wanted and path.exists():
                moved.append(move_aside(path))
        return moved


def _snapshot_generation(document: Any) -> int:
    generation = document.get("generation", 0) if isinstance(document, dict) else 0
    require(isinstance(generation, int) and generation >= 0, "generation is not a count")
    return generation
