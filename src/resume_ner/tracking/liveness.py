"""Is a process still alive, on this machine or another?

On this machine the answer comes from ``/proc`` (host and pid tags of a run, of a reservation).
A process on another machine cannot be asked: processes that own something others wait for
(a sweep, reservations, trials) write a *heartbeat* through the index backend, as Optuna's RDB
storage does for trials, and one silent for longer than the grace period counts as gone
(:class:`Heartbeat`, :func:`is_gone`). Clocks of the machines are assumed in step (NTP).

A *lease* names the one process that owns something contended, such as a sweep:
:func:`claim_lease` takes it when it is free or when its holder is gone, atomically through the
backend, so two processes never both own it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from resume_ner.naming.tags import TagsRegistry
from resume_ner.tracking.errors import store_errors
from resume_ner.tracking.index.base import Lease, ProcessId, parse_utc_iso

if TYPE_CHECKING:
    from resume_ner.tracking.index.base import IndexBackend

logger = logging.getLogger(__name__)

#: The machine name this process records, when set (containers often share one host name).
HOST_ENV = "RESUME_NER_HOST"
#: Where the login name is looked up, in :func:`getpass.getuser`'s order.
LOGIN_ENV = ("LOGNAME", "USER", "LNAME", "USERNAME")

#: Seconds between two prunes of gone processes' heartbeats by a live process's heartbeat.
PRUNE_EVERY_S = 300.0
#: Seconds a process of another machine may stay silent before a cleanup drops its heartbeat:
#: far past any grace period, so that what reads heartbeats has long judged it gone.
BEAT_MAX_SILENCE_S = 24 * 3600.0

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _boot_time_s() -> float | None:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        return None
    return None


def process_start_time_s(pid: int) -> float | None:
    """When process ``pid`` started (Unix seconds), from ``/proc``; ``None`` when unknown."""
    boot = _boot_time_s()
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    if boot is None:
        return None
    # The command name may hold spaces and parentheses; fields resume after the last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    return boot + int(fields[19]) / _CLOCK_TICKS


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    # The state follows the parenthesised command name, which may itself hold spaces.
    fields = stat.rpartition(")")[2].split()
    return bool(fields) and fields[0] == "Z"


def is_process_alive(pid: int, *, started_before_s: float | None = None) -> bool:
    """Whether process ``pid`` on this machine is running (a zombie counts as dead).

    With ``started_before_s`` (by when the owner had started), a live process that started
    later is a different process that reuses the pid, so the owner counts as dead.
    """
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    if _is_zombie(pid):
        return False
    if started_before_s is not None:
        started = process_start_time_s(pid)
        if started is not None and started > started_before_s + 1.0:
            return False
    return True


def login_name(environ: Mapping[str, str]) -> str:
    """The user this process runs for (the ``created_by`` tag): ``environ``'s ``LOGNAME``,
    ``USER``, ``LNAME`` or ``USERNAME`` (the order of :func:`getpass.getuser`), else the
    account of this process's user id. The tracking session asks once, when it opens."""
    for variable in LOGIN_ENV:
        if environ.get(variable):
            return environ[variable]
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        return "unknown"


def host_name(environ: Mapping[str, str]) -> str:
    """The name this machine records (host tags, heartbeats): ``environ``'s ``RESUME_NER_HOST``,
    else the machine's host name. The tracking session asks once, when it opens."""
    return environ.get(HOST_ENV) or socket.gethostname()


def seconds_since(timestamp: str, now: datetime | None = None) -> float:
    """Seconds from ``timestamp`` (ISO 8601 UTC) to ``now``; unreadable text counts as long ago."""
    try:
        moment = parse_utc_iso(timestamp)
    except ValueError:
        return float("inf")
    return ((now or datetime.now(UTC)) - moment).total_seconds()


def is_gone(
    process: ProcessId,
    *,
    host: str,
    grace_s: float,
    last_beat: str | None,
    since: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Whether ``process`` is gone: dead on this machine, or silent for more than ``grace_s``.

    ``host`` names this machine. A process of this machine is asked directly (``/proc``),
    whatever its heartbeat says. One of another machine is gone when its ``last_beat`` (else
    ``since``, when it took what it holds) is older than ``grace_s``; with neither it cannot be
    judged and counts as alive.
    """
    if process.host == host:
        return not is_process_alive(process.pid)
    seen = last_beat or since
    return seen is not None and seconds_since(seen, now) > grace_s


def prune_beats(
    backend: IndexBackend, *, max_silence_s: float | None = None, now: datetime | None = None
) -> int:
    """Drop the heartbeats of processes that are gone for good; how many were dropped.

    A process of this machine that no longer runs loses its heartbeat: only this machine can
    tell, and every decision about its own processes asks ``/proc``, not the heartbeat. With
    ``max_silence_s``, a process of another machine silent for longer loses it too; that age
    must exceed every grace period and reclaim age in use, so that whatever reads heartbeats
    (lease take-over, reservations, interrupted runs) judges such a process gone with or
    without its heartbeat. A heartbeat written again since it was read is kept. Raises
    :class:`~resume_ner.tracking.index.base.IndexBackendError` when the backend fails.
    """
    host = backend.host
    gone = {
        process: at
        for process, at in backend.list_beats().items()
        if (
            not is_process_alive(process.pid)
            if process.host == host
            else max_silence_s is not None and seconds_since(at, now) > max_silence_s
        )
    }
    dropped = backend.forget_beats(gone) if gone else 0
    if dropped:
        logger.info(
            "dropped %d heartbeats of gone processes (of %s)",
            dropped,
            ", ".join(str(process) for process in gone),
        )
    return dropped


class Heartbeat:
    """Writes this process's heartbeat (``backend.process``) through ``backend`` every
    ``interval_s`` seconds.

    Used as a context manager (or :meth:`start` and :meth:`stop`): it beats once on entering,
    then from a daemon thread, and drops the heartbeat on a clean exit. A failed beat is logged
    and tried again at the next interval: a short outage of the backend costs nothing unless it
    outlasts the grace period. On its first beat, and then every ``prune_every_s``, it also
    drops the heartbeats that killed processes of this machine left (:func:`prune_beats`).
    """

    def __init__(
        self, backend: IndexBackend, interval_s: float, *, prune_every_s: float = PRUNE_EVERY_S
    ) -> None:
        self.backend = backend
        self.interval_s = interval_s
        self.prune_every_s = prune_every_s
        self.process = backend.process
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pruned_at: float | None = None

    def _beat(self) -> None:
        try:
            self.backend.beat(self.process)
        except store_errors() as exc:  # the next beat tries again
            logger.warning("could not write the heartbeat of %s: %s", self.process, exc)
            return
        if self._pruned_at is None or time.monotonic() - self._pruned_at >= self.prune_every_s:
            self._pruned_at = time.monotonic()
            try:
                prune_beats(self.backend)
            except store_errors() as exc:  # left for the next prune
                logger.warning("could not drop the heartbeats of gone processes: %s", exc)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._beat()

    def start(self) -> Heartbeat:
        """Beat now and every ``interval_s`` from a daemon thread."""
        self._beat()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="resume-ner-heartbeat", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop beating and drop the heartbeat (nothing this process owned is left behind)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval_s + 5)
            self._thread = None
        try:
            self.backend.forget_beat(self.process)
        except store_errors() as exc:
            logger.warning("could not drop the heartbeat of %s: %s", self.process, exc)

    def __enter__(self) -> Heartbeat:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def lease_holder_is_gone(backend: IndexBackend, lease: Lease, grace_s: float) -> bool:
    """Whether the holder of ``lease`` is gone (see :func:`is_gone`)."""
    beat = backend.list_beats().get(lease.holder)
    return is_gone(
        lease.holder, host=backend.host, grace_s=grace_s, last_beat=beat, since=lease.claimed_at
    )


def claim_lease(backend: IndexBackend, name: str, grace_s: float) -> Lease:
    """Claim the lease ``name`` for this process unless a live process holds it.

    A holder that is gone (:func:`lease_holder_is_gone`) loses the lease to this process by
    compare and swap, so of several processes finding it gone only one takes it. Returns the
    lease as it stands: this process holds it when ``lease.holder == backend.process``. Raises
    :class:`~resume_ner.tracking.index.base.IndexBackendError` when the backend fails.
    """
    me = backend.process
    lease = backend.claim_lease(name, me)
    while lease.holder != me and lease_holder_is_gone(backend, lease, grace_s):
        logger.warning("%s holds %s and is gone: taking it over", lease.holder, name)
        lease = backend.claim_lease(name, me, take_from=lease.holder)
    return lease


def wait_for_lease_value(
    backend: IndexBackend,
    name: str,
    grace_s: float,
    *,
    timeout_s: float,
    poll_s: float = 0.5,
) -> Lease:
    """Wait until the holder of lease ``name`` publishes its value, or this process holds it.

    While waiting, a holder that is gone is replaced by this process (:func:`claim_lease`), and
    a lease released meanwhile is claimed. Returns the lease with a value, or the lease this
    process now holds. Raises ``TimeoutError`` after ``timeout_s``.
    """
    deadline = time.monotonic() + timeout_s
    me = backend.process
    while True:
        lease = claim_lease(backend, name, grace_s)
        if lease.holder == me or lease.value is not None:
            return lease
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"{lease.holder} holds {name} and published nothing within {timeout_s:g} s"
            )
        time.sleep(poll_s)


def process_tags(host: str) -> dict[str, str]:
    """Tags (registry names) that tell which process of machine ``host`` owns a run: host, pid
    and its start time."""
    pid = os.getpid()
    started = process_start_time_s(pid)
    return {
        "process.host": host,
        "process.pid": str(pid),
        "process.pid_started": "" if started is None else f"{started:.2f}",
    }


def owner_started_before_s(
    tags: Mapping[str, str], registry: TagsRegistry, run_start_ms: int | None
) -> float | None:
    """By when the process that owns a run had started: its recorded start time, else the run's."""
    recorded = tags.get(registry.key("process", "pid_started"), "")
    try:
        return float(recorded)
    except ValueError:
        return run_start_ms / 1000 if run_start_ms else None
