"""The file backend: the run index and the version counter as JSON files on one machine.

Each is a :class:`~resume_ner.tracking.index.journal.JournaledDocument`: a JSON snapshot
(``mlflow_index.json``, ``run_name_counter.json``) plus an append-only journal of the changes
since (``<file>.journal``), guarded by a ``filelock.FileLock`` on ``<file>.lock``. Reads take the
lock as well. A change appends one line, so recording a run costs the same with ten entries as
with ten thousand; handing out a version flushes that line to disk (one ``fdatasync``) before
the version is returned, other changes are left to the operating system (losing them to a power
cut only leaves a reservation that cleanup reclaims, or a cache entry that a tag search
replaces). When a lock cannot be taken in time, nothing is read or written
(:class:`IndexLockTimeoutError`).

The index is a cache: an unreadable snapshot or journal is moved aside with a warning and the
index goes on without it. The counter is not: an unreadable counter raises
:class:`IndexCorruptError`, because starting the versions again would hand out names that runs
already have.
"""

from __future__ import annotations

import heapq
import logging
import os
import re
import socket
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from resume_ner.tracking.index.base import (
    REBUILD_COMMAND,
    IndexBackend,
    IndexCorruptError,
    IndexEntry,
    Lease,
    ProcessId,
    Reservation,
    newest_entries,
    normalize_utc_iso,
    parse_utc_iso,
    utc_now_iso,
    with_normalized_time,
)
from resume_ner.tracking.index.journal import (
    DEFAULT_COMPACT_AFTER,
    CorruptFileError,
    JournaledDocument,
    require,
)
from resume_ner.tracking.locks import FileProcessLock, ProcessLock

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
DEFAULT_LOCK_TIMEOUT_S = 30.0
#: Changes the index journal collects before it is folded into the JSON file: a lookup in a
#: fresh process reads the journal too, so it is kept short (folding 10,000 entries every 128
#: changes costs a fraction of a millisecond per change).
INDEX_COMPACT_AFTER = 128
#: Changes the counter journal collects before it is folded (only writers read it).
COUNTER_COMPACT_AFTER = DEFAULT_COMPACT_AFTER

#: The leases and heartbeats, beside the counter file unless the backend is told otherwise.
LIVENESS_FILE_NAME = "liveness.json"

_ENTRY_FIELDS = ("run_id", "experiment_id", "tracking_uri")

_T = TypeVar("_T")


# --- the run index ---------------------------------------------------------------------------


def _index_entries_object(document: Any) -> dict[str, Any]:
    require(isinstance(document, dict), "the document is not a JSON object")
    require(document.get("format") == FORMAT_VERSION, f"format is not {FORMAT_VERSION}")
    raw_entries = document.get("entries")
    require(isinstance(raw_entries, dict), "'entries' is not an object")
    return raw_entries


def _parse_entry(run_key_hash: str, raw: Any) -> IndexEntry:
    require(isinstance(raw, dict), f"entry {run_key_hash!r} is not an object")
    for name in (*_ENTRY_FIELDS, "updated_at"):
        require(isinstance(raw.get(name), str), f"entry {run_key_hash!r} has no {name}")
    run_name = raw.get("run_name")
    require(run_name is None or isinstance(run_name, str), "run_name is not text")
    try:
        parse_utc_iso(raw["updated_at"])
    except ValueError:
        raise CorruptFileError(f"entry {run_key_hash!r} has no ISO updated_at") from None
    return IndexEntry(
        run_key_hash=run_key_hash,
        run_id=raw["run_id"],
        experiment_id=raw["experiment_id"],
        tracking_uri=raw["tracking_uri"],
        run_name=run_name,
        updated_at=raw["updated_at"],
    )


def _entry_fields(entry: IndexEntry) -> dict[str, Any]:
    return {
        "run_id": entry.run_id,
        "experiment_id": entry.experiment_id,
        "tracking_uri": entry.tracking_uri,
        "run_name": entry.run_name,
        "updated_at": entry.updated_at,
    }


class _IndexState:
    """The index in memory: entries as stored, checked only when a write needs all of them.

    A lookup checks only the entry it reads, so that a hit on a large index costs little more
    than parsing the file. Eviction takes the least recently updated entry from a heap, built
    the first time the index is full.
    """

    def __init__(self, raw: dict[str, Any], *, checked: bool) -> None:
        self.raw = raw
        self.checked = checked
        self._heap: list[tuple[str, str]] | None = None

    def check_all(self) -> None:
        """Check every entry (raises :class:`CorruptFileError`), normalising its time."""
        if self.checked:
            return
        for key, raw in self.raw.items():
            _parse_entry(key, raw)
            raw["updated_at"] = normalize_utc_iso(raw["updated_at"])
        self.checked = True

    def entry(self, run_key_hash: str) -> IndexEntry | None:
        raw = self.raw.get(run_key_hash)
        return None if raw is None else _parse_entry(run_key_hash, raw)

    def entries(self) -> list[IndexEntry]:
        self.check_all()
        return [_parse_entry(key, raw) for key, raw in self.raw.items()]

    def put(self, entry: IndexEntry, max_entries: int) -> None:
        """Insert or replace ``entry`` (stored time), then evict the least recently updated
        others until at most ``max_entries`` remain."""
        self.raw[entry.run_key_hash] = _entry_fields(entry)
        if self._heap is not None:
            heapq.heappush(self._heap, (entry.updated_at, entry.run_key_hash))
        while len(self.raw) > max_entries:
            self._evict_oldest(keep=entry.run_key_hash)

    def remove(self, run_key_hash: str) -> bool:
        return self.raw.pop(run_key_hash, None) is not None

    def _evict_oldest(self, keep: str) -> None:
        self.check_all()
        if self._heap is None:
            self._heap = [(raw["updated_at"], key) for key, raw in self.raw.items()]
            heapq.heapify(self._heap)
        kept_back = []
        while self._heap:
            updated_at, key = heapq.heappop(self._heap)
            raw = self.raw.get(key)
            if raw is None or raw["updated_at"] != updated_at:
                continue  # removed or updated since it was pushed
            if key == keep:
                kept_back.append((updated_at, key))
                continue
            del self.raw[key]
            break
        for item in kept_back:
            heapq.heappush(self._heap, item)


class _IndexCodec:
    """Journal records of the index: ``put`` (an entry and the size bound) and ``remove``."""

    def empty(self) -> _IndexState:
        return _IndexState({}, checked=True)

    def load(self, document: Any) -> _IndexState:
        return _IndexState(dict(_index_entries_object(document)), checked=False)

    def apply(self, state: _IndexState, record: Any) -> None:
        require(isinstance(record, dict), "the record is not an object")
        operation = record.get("op")
        if operation == "put":
            raw = record.get("entry")
            require(isinstance(raw, dict), "the put has no entry")
            key = raw.get("run_key_hash")
            require(isinstance(key, str) and bool(key), "the entry has no run_key_hash")
            bound = record.get("max")
            require(isinstance(bound, int) and bound >= 1, "the put has no size bound")
            state.put(_parse_entry(key, raw), bound)
        elif operation == "remove":
            key = record.get("run_key_hash")
            require(isinstance(key, str), "the remove has no run_key_hash")
            state.remove(key)
        else:
            raise CorruptFileError(f"unknown operation {operation!r}")

    def dump(self, state: _IndexState) -> dict[str, Any]:
        state.check_all()
        return {"format": FORMAT_VERSION, "entries": state.raw}


# --- the version counter ---------------------------------------------------------------------


def _new_counter() -> dict[str, Any]:
    return {"next_version": 1, "reservations": {}}


def _raise_floor(counter: dict[str, Any], version: int) -> bool:
    """Make ``counter`` hand out versions above ``version``; whether that changed it."""
    if counter["next_version"] > version:
        return False
    counter["next_version"] = version + 1
    return True


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _check_reservation(key: str, version: str, held: Any) -> None:
    require(isinstance(held, dict), f"reservation {key!r}/{version} is not an object")
    require(
        isinstance(held.get("host"), str)
        and isinstance(held.get("reserved_at"), str)
        and isinstance(held.get("pid"), int)
        and (held.get("run_id") is None or isinstance(held.get("run_id"), str)),
        f"reservation {key!r}/{version} is incomplete",
    )


def _validate_counters(document: Any) -> dict[str, dict[str, Any]]:
    require(isinstance(document, dict), "the document is not a JSON object")
    require(document.get("format") == FORMAT_VERSION, f"format is not {FORMAT_VERSION}")
    counters = document.get("counters")
    require(isinstance(counters, dict), "'counters' is not an object")
    for key, counter in counters.items():
        require(isinstance(counter, dict), f"counter {key!r} is not an object")
        require(_is_count(counter.get("next_version")), f"counter {key!r} has no next_version")
        reservations = counter.get("reservations")
        require(isinstance(reservations, dict), f"counter {key!r} has no reservations object")
        for version, held in reservations.items():
            require(version.isdigit(), f"counter {key!r} holds a non-numeric version")
            _check_reservation(key, version, held)
    return counters


def _reserve(
    counters: dict[str, dict[str, Any]], key: str, version: int, held: dict[str, Any]
) -> None:
    counter = counters.setdefault(key, _new_counter())
    _raise_floor(counter, version)
    counter["reservations"][str(version)] = held


def _commit(counters: dict[str, dict[str, Any]], key: str, run_id: str, version: int) -> bool:
    """Raise the floor past ``version`` and drop its reservation when ``run_id`` may hold it;
    whether it was held."""
    counter = counters.setdefault(key, _new_counter())
    _raise_floor(counter, version)
    held = counter["reservations"].get(str(version))
    if held is None or held["run_id"] not in (None, run_id):
        return False
    del counter["reservations"][str(version)]
    return True


def _drop(counters: dict[str, dict[str, Any]], key: str, version: int) -> bool:
    counter = counters.get(key)
    return counter is not None and counter["reservations"].pop(str(version), None) is not None


class _CounterCodec:
    """Journal records of the counter: ``reserve``, ``commit``, ``drop`` (released or reclaimed
    reservations) and ``floor``."""

    def empty(self) -> dict[str, dict[str, Any]]:
        return {}

    def load(self, document: Any) -> dict[str, dict[str, Any]]:
        return _validate_counters(document)

    def apply(self, state: dict[str, dict[str, Any]], record: Any) -> None:
        require(isinstance(record, dict), "the record is not an object")
        operation = record.get("op")
        if operation == "floor":
            floors = record.get("floors")
            require(isinstance(floors, dict), "the floor has no floors")
            for key, floor in floors.items():
                require(_is_count(floor), f"floor of {key!r} is not a count")
                _raise_floor(state.setdefault(key, _new_counter()), floor)
            return
        if operation == "drop":
            targets = record.get("targets")
            require(isinstance(targets, list), "the drop has no targets")
            for target in targets:
                require(
                    isinstance(target, list)
                    and len(target) == 2
                    and isinstance(target[0], str)
                    and _is_count(target[1]),
                    "a drop target is not [counter_key, version]",
                )
                _drop(state, target[0], target[1])
            return
        key, version = record.get("key"), record.get("version")
        require(isinstance(key, str) and bool(key), "the record has no counter key")
        require(_is_count(version), "the record has no version")
        if operation == "reserve":
            held = record.get("held")
            _check_reservation(key, str(version), held)
            _reserve(state, key, version, dict(held))
        elif operation == "commit":
            run_id = record.get("run_id")
            require(isinstance(run_id, str) and bool(run_id), "the commit has no run_id")
            _commit(state, key, run_id, version)
        else:
            raise CorruptFileError(f"unknown operation {operation!r}")

    def dump(self, state: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {"format": FORMAT_VERSION, "counters": state}


# --- liveness: heartbeats and leases --------------------------------------------------------


def _beat_key(process: ProcessId) -> str:
    return f"{process.pid}@{process.host}"


def _process_from_key(key: str) -> ProcessId:
    pid, _, host = key.partition("@")
    require(pid.isdigit() and bool(host), f"heartbeat key {key!r} is not pid@host")
    return ProcessId(host, int(pid))


def _lease_fields(lease: Lease) -> dict[str, Any]:
    return {
        "host": lease.holder.host,
        "pid": lease.holder.pid,
        "value": lease.value,
        "claimed_at": lease.claimed_at,
    }


def _parse_lease(name: str, raw: Any) -> Lease:
    require(isinstance(raw, dict), f"lease {name!r} is not an object")
    require(
        isinstance(raw.get("host"), str)
        and _is_count(raw.get("pid"))
        and isinstance(raw.get("claimed_at"), str)
        and (raw.get("value") is None or isinstance(raw.get("value"), str)),
        f"lease {name!r} is incomplete",
    )
    return Lease(name, ProcessId(raw["host"], raw["pid"]), raw["value"], raw["claimed_at"])


class _LivenessState:
    """Leases by name and the last heartbeat of each process."""

    def __init__(self, leases: dict[str, Lease], beats: dict[ProcessId, str]) -> None:
        self.leases = leases
        self.beats = beats


class _LivenessCodec:
    """Journal records: ``lease`` (set), ``unlease``, ``beat`` and ``forget`` (a heartbeat)."""

    def empty(self) -> _LivenessState:
        return _LivenessState({}, {})

    def load(self, document: Any) -> _LivenessState:
        require(isinstance(document, dict), "the document is not a JSON object")
        require(document.get("format") == FORMAT_VERSION, f"format is not {FORMAT_VERSION}")
        leases, beats = document.get("leases"), document.get("beats")
        require(isinstance(leases, dict) and isinstance(beats, dict), "no leases or beats")
        return _LivenessState(
            {name: _parse_lease(name, raw) for name, raw in leases.items()},
            {_process_from_key(key): str(at) for key, at in beats.items()},
        )

    def apply(self, state: _LivenessState, record: Any) -> None:
        require(isinstance(record, dict), "the record is not an object")
        operation = record.get("op")
        if operation == "lease":
            name = record.get("name")
            require(isinstance(name, str), "the lease has no name")
            state.leases[name] = _parse_lease(name, record.get("lease"))
        elif operation == "unlease":
            state.leases.pop(str(record.get("name")), None)
        elif operation in ("beat", "forget"):
            process = _process_from_key(str(record.get("process")))
            if operation == "beat":
                state.beats[process] = str(record.get("at"))
            else:
                state.beats.pop(process, None)
        else:
            raise CorruptFileError(f"unknown operation {operation!r}")

    def dump(self, state: _LivenessState) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "leases": {name: _lease_fields(lease) for name, lease in state.leases.items()},
            "beats": {_beat_key(process): at for process, at in state.beats.items()},
        }


# --- the backend -----------------------------------------------------------------------------


class FileIndexBackend(IndexBackend):
    """The run index and version counter as two journaled JSON files, each under a file lock.

    ``index_path`` maps run-key hashes to entries; ``counter_path`` holds, per counter key, only
    the next version and the live reservations (committed ones are removed), so it stays small.
    ``lock_timeout`` is how long an operation waits for a lock before raising
    :class:`IndexLockTimeoutError`; ``compact_after`` is how many changes a journal collects
    before it is folded into its JSON file (default :data:`INDEX_COMPACT_AFTER` and
    :data:`COUNTER_COMPACT_AFTER`). ``host`` is the name this machine records (default: its host
    name). One backend may be shared by several threads.
    """

    def __init__(
        self,
        index_path: Path | str,
        counter_path: Path | str,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT_S,
        *,
        compact_after: int | None = None,
        liveness_path: Path | str | None = None,
        host: str | None = None,
    ) -> None:
        self.host = host or socket.gethostname()
        self.index_path = Path(index_path)
        self.counter_path = Path(counter_path)
        if self.index_path.resolve() == self.counter_path.resolve():
            raise ValueError("the index and the version counter need two different files")
        self._index: JournaledDocument[_IndexState] = JournaledDocument(
            self.index_path,
            _IndexCodec(),
            lock_timeout=lock_timeout,
            durable_snapshot=False,
            compact_after=compact_after or INDEX_COMPACT_AFTER,
        )
        self._counters: JournaledDocument[dict[str, dict[str, Any]]] = JournaledDocument(
            self.counter_path,
            _CounterCodec(),
            lock_timeout=lock_timeout,
            durable_snapshot=True,
            compact_after=compact_after or COUNTER_COMPACT_AFTER,
        )
        self.liveness_path = (
            Path(liveness_path)
            if liveness_path is not None
            else self.counter_path.with_name(LIVENESS_FILE_NAME)
        )
        self._liveness: JournaledDocument[_LivenessState] = JournaledDocument(
            self.liveness_path,
            _LivenessCodec(),
            lock_timeout=lock_timeout,
            durable_snapshot=False,
            compact_after=compact_after or INDEX_COMPACT_AFTER,
        )

    def __repr__(self) -> str:
        return f"FileIndexBackend({str(self.index_path)!r}, {str(self.counter_path)!r})"

    def compact(self) -> None:
        """Fold both journals into their JSON files now (they are also folded on their own).

        Raises :class:`IndexCorruptError` when the counter cannot be read; an unreadable index
        is moved aside as on any write.
        """
        with self._index.locked():
            self._read_index(check_all=True)
            self._index.compact()
        with self._counters.locked():
            self._read_counters()
            self._counters.compact()

    # --- run index -------------------------------------------------------------------------

    def _read_index(self, *, check_all: bool = False) -> _IndexState:
        """The index (lock held); an unreadable part is moved aside and the rest is used."""
        try:
            return self._checked_index(check_all)
        except CorruptFileError as exc:
            self._set_aside_index(exc, everything=False)
        try:
            return self._checked_index(check_all)
        except CorruptFileError as exc:
            self._set_aside_index(exc, everything=True)
        return self._checked_index(check_all)

    def _checked_index(self, check_all: bool) -> _IndexState:
        state = self._index.read()
        if check_all:
            try:
                state.check_all()
            except CorruptFileError as exc:
                # Only entries of the snapshot are checked late; the journal's were on reading.
                raise CorruptFileError(str(exc), self.index_path) from None
        return state

    def _set_aside_index(self, exc: CorruptFileError, *, everything: bool) -> None:
        journal_only = not everything and exc.path == self._index.journal_path
        moved = self._index.move_aside(
            snapshot=not journal_only, journal=everything or journal_only
        )
        logger.warning(
            "run index %s is corrupt (%s); moved %s aside and going on without it "
            "(run `%s` to fill the index from MLflow)",
            exc.path or self.index_path,
            exc,
            ", ".join(path.name for path in moved) or "nothing",
            REBUILD_COMMAND,
        )

    def _update_index(self, change: Callable[[_IndexState], tuple[_T, list[Any]]]) -> _T:
        with self._index.locked():
            self._read_index(check_all=True)
            return self._index.change(lambda state: (*change(state), False))

    def put_entry(self, entry: IndexEntry, max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        entry = with_normalized_time(entry)
        record = {
            "op": "put",
            "entry": {"run_key_hash": entry.run_key_hash, **_entry_fields(entry)},
            "max": max_entries,
        }

        def change(state: _IndexState) -> tuple[None, list[Any]]:
            state.put(entry, max_entries)
            return None, [record]

        self._update_index(change)

    def get_entry(self, run_key_hash: str) -> IndexEntry | None:
        with self._index.locked():
            try:
                return self._index.read().entry(run_key_hash)
            except CorruptFileError as exc:
                self._set_aside_index(exc, everything=False)
                return self._read_index().entry(run_key_hash)

    def remove_entry(self, run_key_hash: str) -> bool:
        def change(state: _IndexState) -> tuple[bool, list[Any]]:
            removed = state.remove(run_key_hash)
            return removed, [{"op": "remove", "run_key_hash": run_key_hash}] if removed else []

        return self._update_index(change)

    def list_entries(self) -> list[IndexEntry]:
        with self._index.locked():
            return self._read_index(check_all=True).entries()

    def replace_entries(self, entries: Iterable[IndexEntry], max_entries: int) -> None:
        kept = newest_entries(entries, max_entries)
        state = _IndexState({e.run_key_hash: _entry_fields(e) for e in kept}, checked=True)
        with self._index.locked():
            self._index.replace(state)

    # --- version counter -------------------------------------------------------------------

    def _read_counters(self) -> dict[str, dict[str, Any]]:
        try:
            return self._counters.read()
        except CorruptFileError as exc:
            raise IndexCorruptError(
                f"the run-name version counter {exc.path or self.counter_path} cannot be read "
                f"({exc}); versions are not restarted, since that would repeat run names. Run "
                f"`{REBUILD_COMMAND}` to restore the counters from the run names in MLflow."
            ) from exc

    def _update_counters(
        self,
        change: Callable[[dict[str, dict[str, Any]]], tuple[_T, list[Any]]],
        *,
        durable: bool,
    ) -> _T:
        """Apply ``change`` under the lock; it returns its result and the records that redo it
        (none when nothing changed). ``durable`` records are on disk before this returns."""
        with self._counters.locked():
            self._read_counters()
            return self._counters.change(lambda counters: (*change(counters), durable))

    def reserve_version(self, counter_key: str, run_id: str | None) -> int:
        def change(counters: dict[str, dict[str, Any]]) -> tuple[int, list[Any]]:
            counter = counters.setdefault(counter_key, _new_counter())
            if run_id is not None:
                for version, held in counter["reservations"].items():
                    if held["run_id"] == run_id:
                        return int(version), []
            version = counter["next_version"]
            held = {
                "run_id": run_id,
                "host": self.host,
                "pid": os.getpid(),
                "reserved_at": utc_now_iso(),
            }
            _reserve(counters, counter_key, version, held)
            return version, [
                {"op": "reserve", "key": counter_key, "version": version, "held": held}
            ]

        return self._update_counters(change, durable=True)

    def commit_version(self, counter_key: str, run_id: str, version: int) -> bool:
        def change(counters: dict[str, dict[str, Any]]) -> tuple[bool, list[Any]]:
            counter = counters.get(counter_key)
            before = (
                None if counter is None else (counter["next_version"], len(counter["reservations"]))
            )
            committed = _commit(counters, counter_key, run_id, version)
            counter = counters[counter_key]
            if (counter["next_version"], len(counter["reservations"])) == before:
                return committed, []
            return committed, [
                {"op": "commit", "key": counter_key, "version": version, "run_id": run_id}
            ]

        # The version was made durable when it was reserved; losing the commit only leaves
        # a reservation that cleanup reclaims.
        return self._update_counters(change, durable=False)

    def release_version(self, counter_key: str, version: int) -> bool:
        def change(counters: dict[str, dict[str, Any]]) -> tuple[bool, list[Any]]:
            if not _drop(counters, counter_key, version):
                return False, []
            return True, [{"op": "drop", "targets": [[counter_key, version]]}]

        return self._update_counters(change, durable=False)

    def list_reservations(self) -> list[Reservation]:
        with self._counters.locked():
            counters = self._read_counters()
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
        targets = sorted({(r.counter_key, r.version) for r in reservations})
        if not targets:
            return 0

        def change(counters: dict[str, dict[str, Any]]) -> tuple[int, list[Any]]:
            dropped = [[key, version] for key, version in targets if _drop(counters, key, version)]
            return len(dropped), [{"op": "drop", "targets": dropped}] if dropped else []

        return self._update_counters(change, durable=True)

    def ensure_versions_at_least(self, floors: Mapping[str, int]) -> None:
        if not floors:
            return

        def change(counters: dict[str, dict[str, Any]]) -> tuple[None, list[Any]]:
            raised = {
                key: floor
                for key, floor in floors.items()
                if floor >= 1 and _raise_floor(counters.setdefault(key, _new_counter()), floor)
            }
            return None, [{"op": "floor", "floors": raised}] if raised else []

        self._update_counters(change, durable=True)

    def discard_corrupt_counters(self) -> bool:
        with self._counters.locked():
            try:
                self._counters.read()
            except CorruptFileError as exc:
                moved = self._counters.move_aside()
                logger.warning(
                    "moved the unreadable version counter %s aside (%s: %s)",
                    ", ".join(path.name for path in moved),
                    exc.path,
                    exc,
                )
                return True
        return False

    # --- liveness ---------------------------------------------------------------------------

    def _read_liveness(self) -> _LivenessState:
        """The leases and heartbeats (lock held); unreadable ones are moved aside: they only
        live as long as their processes, which write them again."""
        try:
            return self._liveness.read()
        except CorruptFileError as exc:
            moved = self._liveness.move_aside()
            logger.warning(
                "moved the unreadable leases and heartbeats %s aside (%s)",
                ", ".join(path.name for path in moved),
                exc,
            )
            return self._liveness.read()

    def _update_liveness(
        self, change: Callable[[_LivenessState], tuple[_T, list[Any]]], *, durable: bool
    ) -> _T:
        with self._liveness.locked():
            self._read_liveness()
            return self._liveness.change(lambda state: (*change(state), durable))

    def beat(self, process: ProcessId) -> None:
        def change(state: _LivenessState) -> tuple[None, list[Any]]:
            at = utc_now_iso()
            state.beats[process] = at
            return None, [{"op": "beat", "process": _beat_key(process), "at": at}]

        self._update_liveness(change, durable=False)

    def forget_beat(self, process: ProcessId) -> None:
        def change(state: _LivenessState) -> tuple[None, list[Any]]:
            if state.beats.pop(process, None) is None:
                return None, []
            return None, [{"op": "forget", "process": _beat_key(process)}]

        self._update_liveness(change, durable=False)

    def list_beats(self) -> dict[ProcessId, str]:
        with self._liveness.locked():
            return dict(self._read_liveness().beats)

    def forget_beats(self, beats: Mapping[ProcessId, str]) -> int:
        def change(state: _LivenessState) -> tuple[int, list[Any]]:
            stale = [p for p, at in beats.items() if p in state.beats and state.beats[p] == at]
            for process in stale:
                del state.beats[process]
            return len(stale), [{"op": "forget", "process": _beat_key(p)} for p in stale]

        if not beats:
            return 0
        return self._update_liveness(change, durable=False)

    def claim_lease(
        self, name: str, holder: ProcessId, *, take_from: ProcessId | None = None
    ) -> Lease:
        def change(state: _LivenessState) -> tuple[Lease, list[Any]]:
            lease = state.leases.get(name)
            if lease is not None and (lease.holder == holder or lease.holder != take_from):
                return lease, []
            value = None if lease is None else lease.value
            lease = Lease(name, holder, value, utc_now_iso())
            state.leases[name] = lease
            return lease, [{"op": "lease", "name": name, "lease": _lease_fields(lease)}]

        return self._update_liveness(change, durable=True)

    def get_lease(self, name: str) -> Lease | None:
        with self._liveness.locked():
            return self._read_liveness().leases.get(name)

    def set_lease_value(self, name: str, holder: ProcessId, value: str) -> bool:
        def change(state: _LivenessState) -> tuple[bool, list[Any]]:
            lease = state.leases.get(name)
            if lease is None or lease.holder != holder:
                return False, []
            lease = Lease(name, holder, value, lease.claimed_at)
            state.leases[name] = lease
            return True, [{"op": "lease", "name": name, "lease": _lease_fields(lease)}]

        return self._update_liveness(change, durable=True)

    def release_lease(self, name: str, holder: ProcessId) -> bool:
        def change(state: _LivenessState) -> tuple[bool, list[Any]]:
            lease = state.leases.get(name)
            if lease is None or lease.holder != holder:
                return False, []
            del state.leases[name]
            return True, [{"op": "unlease", "name": name}]

        return self._update_liveness(change, durable=True)

    def lock(self, name: str, *, timeout_s: float) -> ProcessLock:
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "lock"
        (self.counter_path.parent / "locks").mkdir(parents=True, exist_ok=True)
        return FileProcessLock(
            self.counter_path.parent / "locks" / f"{slug}.lock", timeout_s=timeout_s
        )

    def close(self) -> None:
        """Nothing stays open between operations."""
