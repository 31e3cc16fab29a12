"""The interface every index backend implements, and the records it stores."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime


def utc_now_iso() -> str:
    """The current time as an ISO 8601 UTC timestamp."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class IndexEntry:
    """Where the run with a given identity (run-key hash) lives."""

    run_key_hash: str
    run_id: str
    experiment_id: str
    tracking_uri: str
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


class IndexBackend(ABC):
    """Storage for the run index and the version counter.

    Implementations must be safe for concurrent use by several processes: every method is
    atomic with respect to the others.
    """

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
        """Mark the reservation of ``version`` as used by ``run_id``; whether it was held."""

    @abstractmethod
    def list_reservations(self) -> list[Reservation]:
        """Every live (uncommitted) reservation."""

    @abstractmethod
    def drop_reservations(self, reservations: Iterable[Reservation]) -> int:
        """Forget the given reservations (their versions stay used); how many were dropped."""
