"""The interface every index backend implements, the records it stores, and its errors."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from resume_ner.tracking.errors import TrackingError
from resume_ner.tracking.locks import ProcessLock

#: The tables of the run index and of the index's own state (``built_at``); the run index's
#: columns are the fields of :class:`IndexEntry`.
RUN_KEYS_TABLE = "resume_ner_run_keys"
STATE_TABLE = "resume_ner_index_state"
BUILT_AT = "built_at"


class IndexBackendError(TrackingError):
    """The run index or version counter could not be read or written."""


def utc_now_iso() -> str:
    """The current time as an ISO 8601 UTC timestamp."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def normalize_utc_iso(timestamp: str) -> str:
    """``timestamp`` (ISO 8601) as a UTC timestamp with microseconds; empty means now.

    Every stored timestamp has this one form, so that ordering the text orders the times. A
    timestamp without a zone is taken as UTC. Raises ``ValueError`` for text that is not ISO 8601.
    """
    if not timestamp:
        return utc_now_iso()
    moment = datetime.fromisoformat(timestamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_utc_iso(timestamp: str) -> datetime:
    """The aware UTC time of an ISO 8601 timestamp (one without a zone is taken as UTC)."""
    moment = datetime.fromisoformat(timestamp)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class IndexEntry:
    """Where the run with a given identity (run-key hash) lives: its experiment and run ids,
    which stay the same when the project or its store moves."""

    run_key_hash: str
    run_id: str
    experiment_id: str
    run_name: str | None = None
    updated_at: str = ""


@dataclass(frozen=True)
class Reservation:
    """A run-name version handed out and not yet committed."""

    counter_key: str
    version: int
    run_id: str | None
    host: str
    pid: int
    reserved_at: str


@dataclass(frozen=True, order=True)
class ProcessId:
    """A process on some machine: the host name it records and its pid."""

    host: str
    pid: int

    def __str__(self) -> str:
        return f"process {self.pid} on {self.host}"


@dataclass(frozen=True)
class Lease:
    """Who holds the claim called ``name`` (a sweep's ownership), since when, and its value.

    ``value`` is what the holder published for the others (the sweep run's id), ``None`` until
    it does.
    """

    name: str
    holder: ProcessId
    value: str | None
    claimed_at: str


def newest_entries(entries: Iterable[IndexEntry], max_entries: int) -> list[IndexEntry]:
    """One entry per run-key hash (the most recently updated), at most ``max_entries`` of them.

    Timestamps are normalised to UTC (:func:`normalize_utc_iso`); the result is ordered newest
    first. Raises ``ValueError`` when ``max_entries`` is below 1.
    """
    if max_entries < 1:
        raise ValueError(f"max_entries must be at least 1, got {max_entries}")
    latest: dict[str, IndexEntry] = {}
    for entry in entries:
        entry = with_normalized_time(entry)
        known = latest.get(entry.run_key_hash)
        if known is None or entry.updated_at > known.updated_at:
            latest[entry.run_key_hash] = entry
    ordered = sorted(latest.values(), key=lambda e: (e.updated_at, e.run_key_hash), reverse=True)
    return ordered[:max_entries]


def with_normalized_time(entry: IndexEntry) -> IndexEntry:
    """``entry`` with its ``updated_at`` in the stored UTC form (now when empty)."""
    stamp = normalize_utc_iso(entry.updated_at)
    if stamp == entry.updated_at:
        return entry
    return IndexEntry(
        entry.run_key_hash,
        entry.run_id,
        entry.experiment_id,
        entry.run_name,
        stamp,
    )


class IndexBackend(ABC):
    """Storage for the run index and the version counter.

    Implementations must be safe for concurrent use by several processes: every method is
    atomic with respect to the others. Timestamps are stored as UTC ISO 8601 text. ``host`` is
    the name this machine records (reservations, heartbeats, leases), given when it is opened.
    """

    host: str

    @property
    def process(self) -> ProcessId:
        """This process as others see it through this backend: ``host`` and its pid."""
        return ProcessId(self.host, os.getpid())

    # --- run index -------------------------------------------------------------------------

    @abstractmethod
    def put_entry(self, entry: IndexEntry, max_entries: int) -> None:
        """Insert or replace ``entry``; then evict the least recently updated entries so that at
        most ``max_entries`` remain."""

    @abstractmethod
    def get_entry(self, run_key_hash: str) -> IndexEntry | None:
        """The entry for ``run_key_hash``, or ``None``."""

    @abstractmethod
    def remove_entry(self, run_key_hash: str) -> bool:
        """Remove the entry for ``run_key_hash``; whether there was one."""

    @abstractmethod
    def list_entries(self) -> list[IndexEntry]:
        """Every entry."""

    @abstractmethod
    def replace_entries(self, entries: Iterable[IndexEntry], max_entries: int) -> None:
        """Replace the whole index with ``entries`` (newest kept when over ``max_entries``)."""

    # --- version counter -------------------------------------------------------------------

    @abstractmethod
    def reserve_version(self, counter_key: str, run_id: str | None) -> int:
        """Hand out the next version of ``counter_key`` and record the reservation.

        Versions only ever grow, so a version is never handed out twice. A ``run_id`` that
        already holds a live reservation of ``counter_key`` gets that version back.
        """

    @abstractmethod
    def commit_version(self, counter_key: str, run_id: str, version: int) -> bool:
        """Mark the reservation of ``version`` as used by ``run_id``; whether it was held.

        A reservation recorded for another run id is left alone (``False``). Committing also
        raises the counter past ``version``, so the version is never handed out again.
        """

    @abstractmethod
    def release_version(self, counter_key: str, version: int) -> bool:
        """Drop the reservation of ``version`` (its run was never created); whether it was held.

        The version stays used: it is never handed out again.
        """

    @abstractmethod
    def list_reservations(self) -> list[Reservation]:
        """Every live (uncommitted) reservation."""

    @abstractmethod
    def drop_reservations(self, reservations: Iterable[Reservation]) -> int:
        """Forget the given reservations (their versions stay used); how many were dropped.

        A reservation is identified by its counter key and version.
        """

    @abstractmethod
    def ensure_versions_at_least(self, floors: Mapping[str, int]) -> None:
        """Make the next version of each counter key greater than its floor (never lower it)."""

    def ensure_version_at_least(self, counter_key: str, version: int) -> None:
        """Make the next version of ``counter_key`` greater than ``version`` (never lower it)."""
        self.ensure_versions_at_least({counter_key: version})

    # --- liveness: heartbeats, leases, locks ------------------------------------------------

    @abstractmethod
    def beat(self, process: ProcessId) -> None:
        """Record that ``process`` is alive now (its heartbeat)."""

    @abstractmethod
    def forget_beat(self, process: ProcessId) -> None:
        """Drop the heartbeat of ``process`` (it ended cleanly)."""

    @abstractmethod
    def list_beats(self) -> dict[ProcessId, str]:
        """The last heartbeat of every process that has one."""

    @abstractmethod
    def forget_beats(self, beats: Mapping[ProcessId, str]) -> int:
        """Drop each heartbeat of ``beats`` whose last beat is still the time given; how many.

        Compare and delete: a process that beat again since ``beats`` was read keeps its
        heartbeat, so a beat judged stale is never dropped in place of a fresh one.
        """

    @abstractmethod
    def claim_lease(
        self, name: str, holder: ProcessId, *, take_from: ProcessId | None = None
    ) -> Lease:
        """Claim the lease ``name`` for ``holder``; return the lease as it stands afterwards.

        Atomic: a free lease becomes ``holder``'s; a held one stays with its holder unless that
        is ``take_from`` (compare and swap: the caller found it silent), whose lease passes to
        ``holder`` with its value. The caller holds it when the returned holder is ``holder``.
        """

    @abstractmethod
    def get_lease(self, name: str) -> Lease | None:
        """The lease ``name``, or ``None`` when nobody holds it."""

    @abstractmethod
    def set_lease_value(self, name: str, holder: ProcessId, value: str) -> bool:
        """Publish ``value`` on the lease ``name`` if ``holder`` holds it; whether it does."""

    @abstractmethod
    def release_lease(self, name: str, holder: ProcessId) -> bool:
        """Give up the lease ``name`` if ``holder`` holds it; whether it did."""

    @abstractmethod
    def lock(self, name: str, *, timeout_s: float) -> ProcessLock:
        """A lock called ``name`` shared by every process using this backend.

        It is released when its process dies (a file lock, a database session's lock), so it
        needs no heartbeat; ``acquire`` raises ``TimeoutError`` after ``timeout_s``.
        """

    # --- the rebuild from MLflow ------------------------------------------------------------

    @abstractmethod
    def built_at(self) -> str | None:
        """When the index was last filled from the tracking store; ``None`` when it never was
        (a new, deleted or set-aside index file), so that it is rebuilt before use."""

    @abstractmethod
    def mark_built(self) -> None:
        """Record that the index was filled from the tracking store now."""

    @abstractmethod
    def close(self) -> None:
        """Release what the backend holds open (connections); it is not used afterwards."""
