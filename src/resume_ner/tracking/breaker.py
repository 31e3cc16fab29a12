"""A circuit breaker in front of a tracking server: one bounded retry per outage, then hold.

The first call that fails on a transient error is retried as
:data:`~resume_ner.tracking.retry.RETRY_POLICY` says (a bounded total time); when its retries
are spent the breaker *opens*. While it is open, calls fail at once with
:class:`~resume_ner.tracking.errors.TrackingUnavailableError` without reaching the server, so
that the caller holds their values instead of waiting; at most every ``probe_interval_s`` one
call is let through to see whether the server answers again (for an HTTP server a quick look at
its ``/health`` comes first, so a probe of a server that is still down costs milliseconds).
The first call that succeeds closes the breaker.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import TypeVar

from resume_ner.tracking.errors import TrackingUnavailableError, store_errors
from resume_ner.tracking.retry import (
    RETRY_POLICY,
    RetryPolicy,
    is_transient_error,
    retry_with_backoff,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Seconds between two calls let through while the breaker is open.
PROBE_INTERVAL_S = 10.0
#: Seconds a look at an HTTP server's ``/health`` may take.
HEALTH_TIMEOUT_S = 2.0


def health_probe(tracking_uri: str) -> Callable[[], bool] | None:
    """A check that the server at ``tracking_uri`` answers ``/health``; ``None`` when the URI
    is not an HTTP server's (the probe is then the held call itself)."""
    if not tracking_uri.startswith(("http://", "https://")):
        return None
    url = tracking_uri.rstrip("/") + "/health"

    def answers() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=HEALTH_TIMEOUT_S) as response:
                return bool(200 <= response.status < 300)
        except (urllib.error.URLError, OSError, ValueError):
            return False

    return answers


def _transient(exc: BaseException) -> bool:
    """Whether ``exc``, or the error it wraps (an upload that gave up), is worth holding for."""
    cause = exc.__cause__
    return is_transient_error(exc) or (cause is not None and is_transient_error(cause))


class CircuitBreaker:
    """Retries calls as ``policy`` says until one fails for good, then holds calls (see the
    module docstring). ``probe`` (optional) says whether the server answers before a held call
    is let through. Safe across threads."""

    def __init__(
        self,
        policy: RetryPolicy = RETRY_POLICY,
        *,
        probe: Callable[[], bool] | None = None,
        probe_interval_s: float = PROBE_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self.probe = probe
        self.probe_interval_s = probe_interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self._opened_at: float | None = None
        self._next_probe = 0.0
        self._last_error = ""

    @classmethod
    def for_uri(cls, tracking_uri: str) -> CircuitBreaker:
        """A breaker for the server at ``tracking_uri``, probing its ``/health`` when HTTP."""
        return cls(probe=health_probe(tracking_uri))

    @property
    def is_open(self) -> bool:
        """Whether calls are held (the server failed and has not answered since)."""
        with self._lock:
            return self._opened_at is not None

    def allows_call(self) -> bool:
        """Whether a call now would reach the server (closed, or a probe is due)."""
        with self._lock:
            return self._opened_at is None or self._clock() >= self._next_probe

    def open(self, error: BaseException | str) -> None:
        """Hold calls from now on, as after a call that failed for good with ``error``."""
        with self._lock:
            if self._opened_at is None:
                self._opened_at = self._clock()
                logger.warning("tracking store unreachable, holding calls: %s", error)
            self._next_probe = self._clock() + self.probe_interval_s
            self._last_error = str(error)

    def _close(self) -> None:
        with self._lock:
            if self._opened_at is not None:
                logger.warning(
                    "tracking store answers again after %.0f s", self._clock() - self._opened_at
                )
            self._opened_at = None

    def call(self, func: Callable[[], T], operation: str, *, retry: bool = True) -> T:
        """``func()`` through the breaker.

        Closed: retried on transient errors as the policy says (called once with ``retry``
        off, for a ``func`` that retries by itself); when it still fails the breaker
        opens and :class:`TrackingUnavailableError` is raised (from the last error). Open: one
        attempt when a probe is due and the probe (if any) says the server answers, else
        :class:`TrackingUnavailableError` at once. Errors that are not transient propagate as
        they are.
        """
        with self._lock:
            opened = self._opened_at is not None
            if opened:
                if self._clock() < self._next_probe:
                    raise TrackingUnavailableError(
                        f"{operation}: tracking store unreachable ({self._last_error})"
                    )
                self._next_probe = self._clock() + self.probe_interval_s
        if opened and self.probe is not None and not self.probe():
            raise TrackingUnavailableError(f"{operation}: tracking store still unreachable")
        try:
            if opened or not retry:
                result = func()
            else:
                result = retry_with_backoff(func, operation_name=operation, policy=self.policy)
        except store_errors() as exc:  # only transient errors are held; the others propagate
            if not _transient(exc):
                raise
            self.open(exc)
            raise TrackingUnavailableError(f"{operation}: {exc}") from exc
        self._close()
        return result
