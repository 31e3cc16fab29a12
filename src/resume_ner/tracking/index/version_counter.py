"""The run-name version counter: the ``.N`` suffix that keeps auto-incremented names unique.

A version is reserved before the run is created, committed once the run exists, or released
when creating it failed. Versions only ever grow: a released or reclaimed version is never
handed out again, so no two runs can share a name, even with many processes at once. A
reservation whose process is gone (dead on this machine, silent past the grace period on
another, or older than the stale limit when its process writes no heartbeat) is reclaimed by
:func:`cleanup_stale_reservations`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from resume_ner.tracking.index.base import IndexBackend, ProcessId, Reservation, parse_utc_iso
from resume_ner.tracking.liveness import is_gone, is_process_alive

logger = logging.getLogger(__name__)

DEFAULT_STALE_MINUTES = 30.0


def _require_counter_key(counter_key: str) -> None:
    if not counter_key:
        raise ValueError("counter_key must not be empty")


def reserve_run_name_version(
    backend: IndexBackend, counter_key: str, run_id: str | None = None
) -> int:
    """Reserve the next version of ``counter_key`` (the first is 1) and return it.

    A ``run_id`` that already holds a live reservation of ``counter_key`` gets the same version
    back, so a retried call does not use up versions. Raises ``ValueError`` for an empty
    ``counter_key`` and :class:`~resume_ner.tracking.index.base.IndexBackendError` when the
    backend fails.
    """
    _require_counter_key(counter_key)
    return backend.reserve_version(counter_key, run_id)


def commit_run_name_version(
    backend: IndexBackend, counter_key: str, run_id: str, version: int
) -> bool:
    """Record that run ``run_id`` now carries ``version``; whether the reservation was held.

    ``False`` means the reservation was already gone (reclaimed as stale) or belongs to another
    run; the version is still never handed out again, so the name stays unique. Raises
    ``ValueError`` for an empty ``counter_key`` or ``run_id`` or a version below 1.
    """
    _require_counter_key(counter_key)
    if not run_id:
        raise ValueError("run_id must not be empty")
    if version < 1:
        raise ValueError(f"version must be at least 1, got {version}")
    committed = backend.commit_version(counter_key, run_id, version)
    if not committed:
        logger.warning(
            "version %d of %s was not reserved when run %s committed it (reclaimed or held by "
            "another run); it is never handed out again",
            version,
            counter_key,
            run_id,
        )
    return committed


def release_run_name_version(backend: IndexBackend, counter_key: str, version: int) -> bool:
    """Drop the reservation of ``version`` whose run was never created; whether it was held.

    The version stays used (the next reservation gets a higher one). Raises ``ValueError`` for
    an empty ``counter_key``.
    """
    _require_counter_key(counter_key)
    return backend.release_version(counter_key, version)


def reservation_is_stale(
    reservation: Reservation,
    *,
    stale_minutes: float,
    now: datetime,
    host: str,
    last_beat: str | None = None,
    grace_s: float | None = None,
) -> bool:
    """Whether ``reservation`` can be reclaimed: its process is gone, or it is too old.

    A process of ``host`` (this machine) is asked directly. One of another machine
    that writes a heartbeat (``last_beat``) is judged by it: gone once silent for more than
    ``grace_s``, alive otherwise. Any other reservation is reclaimed once older than
    ``stale_minutes`` at ``now``.
    """
    if reservation.host == host:
        if not is_process_alive(reservation.pid):
            return True
    elif last_beat is not None and grace_s is not None:
        return is_gone(
            ProcessId(reservation.host, reservation.pid),
            host=host,
            grace_s=grace_s,
            last_beat=last_beat,
            now=now,
        )
    try:
        reserved_at = parse_utc_iso(reservation.reserved_at)
    except ValueError:
        return True  # an unreadable time cannot prove the reservation is fresh
    return now - reserved_at > timedelta(minutes=stale_minutes)


def cleanup_stale_reservations(
    backend: IndexBackend,
    stale_minutes: float = DEFAULT_STALE_MINUTES,
    *,
    grace_s: float | None = None,
) -> int:
    """Drop the reservations whose process is gone (see :func:`reservation_is_stale`).

    ``grace_s`` is how long a process with a heartbeat may stay silent; ``stale_minutes`` the
    age after which a reservation of a process without one is reclaimed
    (``index.stale_reservation_minutes``). Their versions are never handed out again. Returns
    how many reservations were dropped and logs each one. Raises ``ValueError`` when
    ``stale_minutes`` is not positive.
    """
    if stale_minutes <= 0:
        raise ValueError(f"stale_minutes must be positive, got {stale_minutes}")
    now = datetime.now(UTC)
    reservations = backend.list_reservations()
    if not reservations:
        return 0
    beats = backend.list_beats()
    stale = [
        reservation
        for reservation in reservations
        if reservation_is_stale(
            reservation,
            stale_minutes=stale_minutes,
            now=now,
            host=backend.host,
            last_beat=beats.get(ProcessId(reservation.host, reservation.pid)),
            grace_s=grace_s,
        )
    ]
    if not stale:
        return 0
    dropped = backend.drop_reservations(stale)
    for reservation in stale:
        logger.info(
            "reclaimed version %d of %s (run %s, pid %d on %s, reserved at %s)",
            reservation.version,
            reservation.counter_key,
            reservation.run_id or "not created",
            reservation.pid,
            reservation.host,
            reservation.reserved_at,
        )
    if dropped != len(stale):
        logger.info(
            "%d of those reservations were committed or released meanwhile", len(stale) - dropped
        )
    return dropped
