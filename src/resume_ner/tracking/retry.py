"""The one retry policy for calls to a tracking server or store: bounded retry with backoff.

:data:`RETRY_POLICY` says how often and how long a failing call is retried: a few retries with
exponentially longer waits, and never more than ``max_total_s`` in all, so that an outage costs
a call a bounded time. Every call the product retries goes through :func:`retry_with_backoff`
with this policy; :class:`~resume_ner.tracking.breaker.CircuitBreaker` adds what happens once
the retries of a call are spent (later calls are held instead of retried).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How a failing call is retried: at most ``max_retries`` retries, waits from
    ``base_delay_s`` doubling up to ``max_delay_s``, and no retry that would start more than
    ``max_total_s`` after the first attempt."""

    max_retries: int = 3
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    max_total_s: float = 4.0


#: The policy of every retried tracking call. Under the ``resume-ner`` entry point MLflow's own
#: HTTP retries are capped at 2 (about 4 s against a server that refuses connections), so a
#: call to a server that is down gives up after that one attempt, about 4 s.
RETRY_POLICY = RetryPolicy()

_TRANSIENT_CODES = {"TEMPORARILY_UNAVAILABLE", "RESOURCE_EXHAUSTED", "REQUEST_LIMIT_EXCEEDED"}
# Answers that a retry cannot change, whatever their text says.
_FINAL_CODES = {
    "RESOURCE_DOES_NOT_EXIST",
    "INVALID_PARAMETER_VALUE",
    "PERMISSION_DENIED",
    "UNAUTHENTICATED",
}
# HTTP statuses as whole numbers: "500" inside a run id such as 9f500c... is not one.
_TRANSIENT_STATUS = re.compile(r"\b(429|500|502|503|504)\b")
_TRANSIENT_TEXT = (
    "timed out",
    "timeout",
    "connection",
    "temporarily",
    "temporary",
    "rate limit",
    "database is locked",
    "max retries exceeded",
    "remote end closed",
)


def is_transient_error(exc: BaseException) -> bool:
    """Whether ``exc`` is worth retrying: a dropped connection, a time-out, 429/5xx, a busy store."""
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    error_code = getattr(exc, "error_code", None)
    if error_code in _FINAL_CODES:
        return False
    if isinstance(error_code, str) and error_code in _TRANSIENT_CODES:
        return True
    text = str(exc).lower()
    return bool(_TRANSIENT_STATUS.search(text)) or any(marker in text for marker in _TRANSIENT_TEXT)


def retry_with_backoff(
    func: Callable[[], T],
    *,
    operation_name: str = "operation",
    policy: RetryPolicy = RETRY_POLICY,
    retry_on: Callable[[BaseException], bool] = is_transient_error,
) -> T:
    """Call ``func`` and retry it on transient errors as ``policy`` says.

    At most ``policy.max_retries + 1`` calls, none started after ``policy.max_total_s``;
    waits from ``base_delay_s`` doubling up to ``max_delay_s`` plus jitter. A non-transient
    error, or the last transient one, is raised as it is.
    """

    def log_retry(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        logger.warning(
            "%s failed (attempt %d of at most %d): %s; retrying",
            operation_name,
            state.attempt_number,
            policy.max_retries + 1,
            exc,
        )

    retrying = Retrying(
        stop=stop_after_attempt(policy.max_retries + 1) | stop_before_delay(policy.max_total_s),
        wait=wait_exponential_jitter(
            initial=policy.base_delay_s, max=policy.max_delay_s, jitter=policy.base_delay_s / 10
        ),
        retry=retry_if_exception(retry_on),
        before_sleep=log_retry,
        reraise=True,
    )
    return retrying(func)
