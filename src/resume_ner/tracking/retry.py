"""Bounded retry with exponential backoff for calls to a tracking server or store."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

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
    max_retries: int = 5,
    base_delay: float = 1.0,
    max_delay: float = 60.0,
    operation_name: str = "operation",
    retry_on: Callable[[BaseException], bool] = is_transient_error,
) -> T:
    """Call ``func`` and retry it on transient errors, waiting exponentially longer each time.

    At most ``max_retries`` retries (so ``max_retries + 1`` calls), with waits from
    ``base_delay`` doubling up to ``max_delay`` plus jitter. A non-transient error, or the last
    transient one, is raised as it is.
    """

    def log_retry(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        logger.warning(
            "%s failed (attempt %d of %d): %s; retrying",
            operation_name,
            state.attempt_number,
            max_retries + 1,
            exc,
        )

    retrying = Retrying(
        stop=stop_after_attempt(max_retries + 1),
        wait=wait_exponential_jitter(initial=base_delay, max=max_delay, jitter=base_delay / 10),
        retry=retry_if_exception(retry_on),
        before_sleep=log_retry,
        reraise=True,
    )
    return retrying(func)
