"""Errors raised by the tracking layer, so that callers can catch what they mean."""

from __future__ import annotations

from resume_ner.errors import InputError, ResumeNerError


class TrackingError(ResumeNerError, RuntimeError):
    """Base class of every tracking-layer error."""


class TrackingSetupError(InputError, TrackingError):
    """The tracking URI, store or experiment could not be set up (a user-fixable problem)."""


class RunCreationError(TrackingError):
    """An MLflow run could not be created."""


class RunNotFoundError(TrackingError):
    """A strict lookup found no run with the requested identity."""

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report


class ArtifactUploadError(TrackingError):
    """An artifact could not be uploaded to a run (after retrying what was worth retrying)."""

    def __init__(self, message: str, *, run_id: str, local_path: str, attempts: int) -> None:
        super().__init__(message)
        self.run_id = run_id
        self.local_path = local_path
        self.attempts = attempts


class TrackingUnavailableError(TrackingError):
    """The tracking store did not answer within the retry policy, or calls are held while it is
    down (:class:`~resume_ner.tracking.breaker.CircuitBreaker`)."""


class UnsentValuesError(TrackingError):
    """A command ended with values its tracking store has not taken; they wait in spool files
    (``spools``) until ``resume-ner runs sync`` or a later command sends them."""

    def __init__(self, message: str, *, spools: list[str]) -> None:
        super().__init__(message)
        self.spools = spools


def store_errors() -> tuple[type[BaseException], ...]:
    """The exceptions a call to the tracking store raises when it refuses or cannot be reached.

    MLflow's own errors, HTTP transport and SQLAlchemy errors, OS errors (file stores, sockets)
    and resume-ner's own. Use as ``except store_errors():`` (the expression is evaluated only
    when an exception is raised, so MLflow is imported only then).
    """
    from mlflow.exceptions import MlflowException
    from requests import RequestException
    from sqlalchemy.exc import SQLAlchemyError

    return (MlflowException, RequestException, SQLAlchemyError, OSError, ResumeNerError)
