"""retry_with_backoff: which errors are retried, and how many calls are made."""

from __future__ import annotations

import pytest
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, TEMPORARILY_UNAVAILABLE

from resume_ner.tracking.retry import RetryPolicy, is_transient_error, retry_with_backoff


class FlakyCall:
    """A callable that raises ``errors`` in turn, then returns ``"ok"``; counts its calls."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def test_connection_errors_are_retried_until_the_call_succeeds():
    call = FlakyCall(ConnectionError("reset"), ConnectionError("reset"))

    assert retry_with_backoff(call, policy=RetryPolicy(max_retries=3, base_delay_s=0.001)) == "ok"
    assert call.calls == 3


def test_temporarily_unavailable_mlflow_error_is_retried():
    busy = MlflowException("backend busy", error_code=TEMPORARILY_UNAVAILABLE)
    call = FlakyCall(busy)

    assert retry_with_backoff(call, policy=RetryPolicy(max_retries=3, base_delay_s=0.001)) == "ok"
    assert call.calls == 2


def test_value_error_is_raised_at_once():
    call = FlakyCall(ValueError("bad input"))

    with pytest.raises(ValueError, match="bad input"):
        retry_with_backoff(call, policy=RetryPolicy(max_retries=3, base_delay_s=0.001))
    assert call.calls == 1


def test_invalid_parameter_mlflow_error_is_not_retried():
    call = FlakyCall(MlflowException("bad param", error_code=INVALID_PARAMETER_VALUE))

    with pytest.raises(MlflowException):
        retry_with_backoff(call, policy=RetryPolicy(max_retries=3, base_delay_s=0.001))
    assert call.calls == 1


def test_retrying_stops_after_max_retries_plus_one_calls_with_the_last_error():
    call = FlakyCall(*(ConnectionError(f"attempt {n}") for n in range(1, 10)))

    with pytest.raises(ConnectionError, match="attempt 4"):
        retry_with_backoff(call, policy=RetryPolicy(max_retries=3, base_delay_s=0.001))
    assert call.calls == 4


def test_zero_retries_makes_a_single_call():
    call = FlakyCall(ConnectionError("down"))

    with pytest.raises(ConnectionError):
        retry_with_backoff(call, policy=RetryPolicy(max_retries=0, base_delay_s=0.001))
    assert call.calls == 1


@pytest.mark.parametrize(
    "error",
    [
        TimeoutError("slow"),
        RuntimeError("HTTP 503 Service Unavailable"),
        RuntimeError("429 Too Many Requests"),
        RuntimeError("sqlite3.OperationalError: database is locked"),
    ],
)
def test_transient_errors_are_recognised(error):
    assert is_transient_error(error)


@pytest.mark.parametrize("error", [ValueError("bad"), KeyError("missing"), RuntimeError("boom")])
def test_other_errors_are_not_transient(error):
    assert not is_transient_error(error)


def test_a_run_id_containing_500_is_not_mistaken_for_a_server_error():
    from mlflow.exceptions import MlflowException

    from resume_ner.tracking.retry import is_transient_error

    missing = MlflowException(
        "Run with id=9f500c4e2d8b4f2b9a1c000000000000 not found",
        error_code="RESOURCE_DOES_NOT_EXIST",
    )
    assert not is_transient_error(missing)
    assert not is_transient_error(ValueError("run 12500ab failed"))
    assert is_transient_error(RuntimeError("API request failed with error code 503"))
