"""The file backend: the run index and the version counter as JSON files on one machine.

Each file is guarded by a ``filelock.FileLock`` on ``<file>.lock``, which is never deleted
(deleting it would let a waiter lock a stale inode while a newcomer locks a new one). Reads take
the lock as well, and writes go to a temporary file in the same folder that is flushed, synced
and then renamed over the old one, so a reader never sees half a file. When the lock cannot be
taken in time, nothing is read or written (:class:`IndexLockTimeoutError`).

The index is a cache: an unreadable index file is moved aside with a warning and the index
starts empty. The counter is not: an unreadable counter file raises :class:`IndexCorruptError`,
because starting the versions again would hand out names that runs already have.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
import os
import socket
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock, Timeout

from resume_ner.tracking.index.base import (
    REBUILD_COMMAND,
    IndexBackend,
    IndexCorruptError,
    IndexEntry,
    IndexLockTimeoutError,
    Reservation,
    newest_entries,
    parse_utc_iso,
    utc_now_iso,
    with_normalized_time,
)

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
DEFAULT_LOCK_TIMEOUT_S = 30.0

_ENTRY_FIELDS = ("run_id", "experiment_id", "tracking_uri")

# Newer filelock releases can promise never to unlink the lock file (and never to fall back to
# a marker-file lock that is released by deleting it); older ones never unlink it on Unix.
_LOCK_OPTIONS: dict[str, Any] = (
    {"preserve_lock_file": True}
    if "preserve_lock_file" in inspect.signature(FileLock).parameters
    else {}
)


_T = TypeVar("_T")


def _new_counter() -> dict[str, Any]:
    return {"next_version": 1, "reservations": {}}


def _raise_floor(counter: dict[str, Any], version: int) -> bool:
    """Make ``counter`` hand out versions above ``version``; whether that changed it."""
    if counter["next_version"] > version:
        return False
    counter["next_version"] = version + 1
    return True


class _CorruptFileError(ValueError):
    """A JSON file holds something other than what this backend writes."""


class _LockedJsonFile:
    """One JSON document on disk, read and replaced only while holding its lock."""

    def __init__(self, path: Path, lock_timeout: float) -> None:
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")
        self._lock = FileLock(self.lock_path, timeout=lock_timeout, **_LOCK_OPTIONS)
        self._lock_timeout = lock_timeout

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the file's lock; raise :class:`IndexLockTimeoutError` when it is not obtained."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire()
        except Timeout:
            raise IndexLockTimeoutError(
                f"could not lock {self.lock_path} within {self._lock_timeout:g} s; another "
                "process holds it (nothing was read or written)"
            ) from None
        try:
            yield
        finally:
            self._lock.release()

    def read(self) -> Any | None:
        """The parsed document, ``None`` when the file does not exist; the lock must be held.

        Raises :class:`_CorruptFileError` when the file is empty or not JSON.
        """
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        if not raw.strip():
            raise _CorruptFileError("the file is empty")
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise _CorruptFileError(str(exc)) from exc

    def write(self, document: Any, *, durable: bool = True) -> None:
        """Replace the file with ``document`` atomically; the lock must be held.

        The rename is atomic either way, so a killed process never leaves a torn file.
        ``durable`` also flushes the data and the rename to disk, so that they survive a
        power loss; each flush costs milliseconds, so only writes whose loss would matter
        (handing out a version) ask for it.
        """
        payload = json.dumps(document, separators=(",", ":"), sort_keys=True).encode("utf-8")
        fd, temp_name = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
        )
        try:
            os.fchmod(fd, self._file_mode())
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                if durable:
                    os.fsync(handle.fileno())
            os.replace(temp_name, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp_name)
            raise
        if durable:
            _fsync_directory(self.path.parent)

    def _file_mode(self) -> int:
        # Keep the permissions a replaced file had (the temporary file starts owner-only).
        try:
            return stat.S_IMODE(self.path.stat().st_mode)
        except FileNotFoundError:
            return 0o644

    def move_aside(self) -> Path:
        """Rename the file to ``<name>.corrupt-<UTC timestamp>``; the lock must be held."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        os.replace(self.path, target)
        return target


def _fsync_directory(folder: Path) -> None:
    # Makes the rename itself durable; some platforms cannot open a folder, which is harmless.
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


def _require(condition: bool, problem: str) -> None:
    if not condition:
        raise _CorruptFileError(problem)


def _index_entries_object(document: Any) -> dict[str, Any]:
    _require(isinstance(document, dict), "the document is not a JSON object")
    _require(document.get("format") == FORMAT_VERSION, f"format is not {FORMAT_VERSION}")
    raw_entries = document.get("entries")
    _require(isinstance(raw_entries, dict), "'entries' is not an object")
    return raw_entries


def _parse_entry(run_key_hash: str, raw: Any) -> IndexEntry:
    _require(isinstance(raw, dict), f"entry {run_key_hash!r} is not an object")
    for name in (*_ENTRY_FIELDS, "updated_at"):
        _require(isinstance(raw.get(name), str), f"entry {run_key_hash!r} has no {name}")
    run_name = raw.get("run_name")
    _require(run_name is None or isinstance(run_name, str), "run_name is not text")
    try:
        parse_utc_iso(raw["updated_at"])
    except ValueError:
        raise _CorruptFileError(f"entry {run_key_hash!r} has no ISO updated_at") from None
    return IndexEntry(
        run_key_hash=run_key_hash,
        run_id=raw["run_id"],
        experiment_id=raw["experiment_id"],
        tracking_uri=raw["tracking_uri"],
        run_name=run_name,
        updated_at=raw["updated_at"],
    )


def _parse_index(document: Any) -> dict[str, IndexEntry]:
    return {key: _parse_entry(key, raw) for key, raw in _index_entries_object(document).items()}


def _parse_one_entry(document: Any, run_key_hash: str) -> IndexEntry | None:
    # A lookup validates only the entry it reads: checking all of them would make a hit on a
    # large index slower than MLflow's own tag search.
    raw = _index_entries_object(document).get(run_key_hash)
    return None if raw is None else _parse_entry(run_key_hash, raw)


def _index_document(entries: Mapping[str, IndexEntry]) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "entries": {
            key: {
                "run_id": entry.run_id,
                "experiment_id": entry.experiment_id,
                "tracking_uri": entry.tracking_uri,
                "run_name": entry.run_name,
                "updated_at": entry.updated_at,
            }
            for key, entry in entries.items()
        },
    }


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _validate_counters(document: Any) -> dict[str, dict[str, Any]]:
    _require(isinstance(document, dict), "the document is not a JSON object")
    _require(document.get("format") == FORMAT_VERSION, f"format is not {FORMAT_VERSION}")
    counters = document.get("counters")
    _require(isinstance(counters, dict), "'counters' is not an object")
    for key, counter in counters.items():
        _require(isinstance(counter, dict), f"counter {key!r} is not an object")
        _require(_is_count(counter.get("next_version")), f"counter {key!r} has no next_version")
        reservations = counter.get("reservations")
        _require(isinstance(reservations, dict), f"counter {key!r} has no reservations object")
        for version, held in reservations.items():
            _require(version.isdigit(), f"counter {key!r} holds a non-numeric version")
            _require(isinstance(held, dict), f"reservation {key!r}/{version} is not an object")
            _require(
                isinstance(held.get("host"), str)
                and isinstance(held.get("reserved_at"), str)
                and isinstance(held.get("pid"), int)
                and (held.get("run_id") is None or isinstance(held.get("run_id"), str)),
                f"reservation {key!r}/{version} is incomplete",
            )
    return counters


class FileIndexBackend(IndexBackend):
    """The run index and version counter as two JSON files, each guarded by a file lock.

    ``index_path`` maps run-key hashes to entries; ``counter_path`` holds, per counter key, only
    the next version and the live reservations (committed ones are removed), so it stays small.
    ``lock_timeout`` is how long an operation waits for a lock before raising
    :class:`IndexLockTimeoutError`.
    """

    def __init__(
        self,
        index_path: Path | str,
        counter_path: Path | str,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT_S,
    ) -> None:
        self.index_path = Path(index_path)
        self.counter_path = Path(counter_path)
        if self.index_path.resolve() == self.counter_path.resolve():
            raise ValueError("the index and the version counter need two different files")
        self._index = _LockedJsonFile(self.index_path, lock_timeout)
        self._counters = _LockedJsonFile(self.counter_path, lock_timeout)

    def __repr__(self) -> str:
        return f"FileIndexBackend({str(self.index_path)!r}, {str(self.counter_path)!r})"

    # --- run index -------------------------------------------------------------------------

    def _load_index(self) -> dict[str, IndexEntry]:
        return self._read_index(_parse_index, {})

    def _read_index(self, parse: Callable[[Any], _T], empty: _T) -> _T:
        try:
            document = self._index.read()
            return empty if document is None else parse(document)
        except _CorruptFileError as exc:
            moved = self._index.move_aside()
            logger.warning(
                "run index %s is corrupt (%s); moved it to %s and starting with an empty index "
                "(run `%s` to fill it from MLflow)",
                self.index_path,
                exc,
                moved.name,
                REBUILD_COMMAND,
            )
            return empty

    def _update_index(self, change: Callable[[dict[str, IndexEntry]], Any]) -> Any:
        with self._index.locked():
            entries = self._load_index()
            result = change(entries)
            self._index.write(_index_document(entries), durable=False)
            return result

    def put_entry(self, entry: IndexEntry, max_entries: int) -> None:
        entry = with_normalized_time(entry)

        def change(entries: dict[str, IndexEntry]) -> None:
            entries.pop(entry.run_key_hash, None)
            if len(entries) >= max_entries:
                kept = newest_entries(entries.values(), max_entries - 1) if max_entries > 1 else []
                entries.clear()
                entries.update((kept_entry.run_key_hash, kept_entry) for kept_entry in kept)
            entries[entry.run_key_hash] = entry

        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        self._update_index(change)

    def get_entry(self, run_key_hash: str) -> IndexEntry | None:
        with self._index.locked():
            return self._read_index(lambda document: _parse_one_entry(document, run_key_hash), None)

    def remove_entry(self, run_key_hash: str) -> bool:
        return self._update_index(lambda entries: entries.pop(run_key_hash, None) is not None)

    def list_entries(self) -> list[IndexEntry]:
        with self._index.locked():
            return list(self._load_index().values())

    def replace_entries(self, entries: Iterable[IndexEntry], max_entries: int) -> None:
        kept = newest_entries(entries, max_entries)
        with self._index.locked():
            self._index.write(
                _index_document({entry.run_key_hash: entry for entry in kept}), durable=False
            )

    # --- version counter -------------------------------------------------------------------

    def _load_counters(self) -> dict[str, dict[str, Any]]:
        try:
            document = self._counters.read()
            return {} if document is None else _validate_counters(document)
        except _CorruptFileError as exc:
            raise IndexCorruptError(
                f"the run-name version counter {self.counter_path} cannot be read ({exc}); "
                f"versions are not restarted, since that would repeat run names. Run "
                f"`{REBUILD_COMMAND}` to restore the counters from the run names in MLflow."
            ) from exc

    def _update_counters(
        self,
        change: Callable[[dict[str, dict[str, Any]]], tuple[_T, bool]],
        *,
        durable: bool = True,
    ) -> _T:
        """Apply ``change`` under the lock; it returns its result and whether it changed
        anything (the file is rewritten only then). ``durable``: see ``_LockedJsonFile.write``."""
        with self._counters.locked():
            counters = self._load_counters()
            result, changed = change(counters)
            if changed:
                self._counters.write(
                    {"format": FORMAT_VERSION, "counters": counters}, durable=durable
                )
            return result

    def reserve_version(self, counter_key: str, run_id: str | None) -> int:
        def change(counters: dict[str, dict[str, Any]]) -> tuple[int, bool]:
            counter = counters.setdefault(counter_key, _new_counter())
            if run_id is not None:
                for version, held in counter["reservations"].items():
                    if held["run_id"] == run_id:
                        return int(version), False
            version = counter["next_version"]
            counter["next_version"] = version + 1
            counter["reservations"][str(version)] = {
                "run_id": run_id,
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "reserved_at": utc_now_iso(),
            }
            return version, True

        return self._update_counters(change)

    def commit_version(self, counter_key: str, run_id: str, version: int) -> bool:
        def change(counters: dict[str, dict[str, Any]]) -> tuple[bool, bool]:
            counter = counters.setdefault(counter_key, _new_counter())
            raised = _raise_floor(counter, version)
            held = counter["reservations"].get(str(version))
            if held is None or held["run_id"] not in (None, run_id):
                return False, raised
            del counter["reservations"][str(version)]
            return True, True

        # The version was made durable when it was reserved; losing the commit only leaves
        # a reservation that cleanup reclaims.
        return self._update_counters(change, durable=False)

    def release_version(self, counter_key: str, version: int) -> bool:
        def change(counters: dict[str, dict[str, Any]]) -> tuple[bool, bool]:
            counter = counters.get(counter_key)
            if counter is None or str(version) not in counter["reservations"]:
                return False, False
            del counter["reservations"][str(version)]
            return True, True

        return self._update_counters(change, durable=False)

    def list_reservations(self) -> list[Reservation]:
        with self._counters.locked():
            counters = self._load_counters()
        return [
            Reservation(
                counter_key=key,
                version=int(version),
                run_id=held["run_id"],
                host=held["host"],
                pid=held["pid"],
                reserved_at=held["reserved_at"],
            )
            for key, counter in counters.items()
            for version, held in counter["reservations"].items()
        ]

    def drop_reservations(self, reservations: Iterable[Reservation]) -> int:
        targets = [(r.counter_key, str(r.version)) for r in reservations]
        if not targets:
            return 0

        def change(counters: dict[str, dict[str, Any]]) -> tuple[int, bool]:
            dropped = 0
            for key, version in targets:
                counter = counters.get(key)
                if counter is not None and counter["reservations"].pop(version, None) is not None:
                    dropped += 1
            return dropped, dropped > 0

        return self._update_counters(change)

    def ensure_versions_at_least(self, floors: Mapping[str, int]) -> None:
        if not floors:
            return

        def change(counters: dict[str, dict[str, Any]]) -> tuple[None, bool]:
            raised = False
            for key, floor in floors.items():
                raised |= _raise_floor(counters.setdefault(key, _new_counter()), floor)
            return None, raised

        self._update_counters(change)

    def discard_corrupt_counters(self) -> bool:
        with self._counters.locked():
            try:
                self._load_counters()
            except IndexCorruptError as exc:
                moved = self._counters.move_aside()
                logger.warning(
                    "moved the unreadable version counter %s to %s (%s)",
                    self.counter_path,
                    moved.name,
                    exc.__cause__,
                )
                return True
        return False

    def close(self) -> None:
        """Nothing stays open between operations."""
