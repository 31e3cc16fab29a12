"""The circuit breaker: one bounded retry per outage, then calls held until a probe succeeds."""

from __future__ import annotations

import time

import pytest

from resume_ner.tracking.breaker import CircuitBreaker
from resume_ner.tracking.errors import TrackingUnavailableError
from resume_ner.tracking.retry import RetryPolicy


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Server:
    """A call that fails while ``down`` (a refused connection); counts its calls."""

    def __init__(self) -> None:
        self.down = False
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.down:
            raise ConnectionError("connection refused")
        return "ok"


FAST = RetryPolicy(max_retries=3, base_delay_s=0.001, max_total_s=1.0)


def test_the_first_failure_opens_the_breaker_and_later_calls_are_held_without_a_call():
    server, clock = Server(), Clock()
    breaker = CircuitBreaker(FAST, probe_interval_s=10.0, clock=clock)
    server.down = True

    with pytest.raises(TrackingUnavailableError):
        breaker.call(server, "log")
    assert server.calls == 4 and breaker.is_open

    for _ in range(5):
        with pytest.raises(TrackingUnavailableError):
            breaker.call(server, "log")
    assert server.calls == 4


def test_a_due_probe_lets_one_call_through_and_success_closes_the_breaker():
    server, clock = Server(), Clock()
    breaker = CircuitBreaker(FAST, probe_interval_s=10.0, clock=clock)
    server.down = True
    with pytest.raises(TrackingUnavailableError):
        breaker.call(server, "log")
    calls = server.calls

    clock.now = 10.0
    with pytest.raises(TrackingUnavailableError):
        breaker.call(server, "log")
    assert server.calls == calls + 1  # one attempt, not retried

    server.down = False
    clock.now = 20.0
    assert breaker.call(server, "log") == "ok"
    assert not breaker.is_open


def test_a_failing_health_probe_holds_the_call_without_making_it():
    server, clock = Server(), Clock()
    breaker = CircuitBreaker(FAST, probe=lambda: False, probe_interval_s=1.0, clock=clock)
    breaker.open(ConnectionError("refused"))
    clock.now = 5.0

    with pytest.raises(TrackingUnavailableError, match="still unreachable"):
        breaker.call(server, "log")
    assert server.calls == 0


def test_retrying_one_outage_takes_no_longer_than_the_policy_allows():
    server = Server()
    server.down = True
    breaker = CircuitBreaker(RetryPolicy(max_retries=100, base_delay_s=0.05, max_total_s=0.5))

    started = time.monotonic()
    with pytest.raises(TrackingUnavailableError):
        breaker.call(server, "log")

    assert time.monotonic() - started < 1.5
    assert 2 <= server.calls < 100


def test_an_error_a_retry_cannot_mend_propagates_and_keeps_the_breaker_closed():
    breaker = CircuitBreaker(FAST)

    def refuse() -> None:
        raise ValueError("bad value")

    with pytest.raises(ValueError):
        breaker.call(refuse, "log")
    assert not breaker.is_open
