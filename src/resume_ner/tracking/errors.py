"""Errors raised by the tracking layer, so that callers can catch what they mean."""

from __future__ import annotations


class TrackingError(RuntimeError):
    """Base class of every tracking-layer error."""


class TrackingSetupError(TrackingError):
    """The tracking URI, store or experiment could not be set up (a user-fixable problem)."""


class RunCreationError(TrackingError):
    """An MLflow run could not be created."""


class RunNotFoundError(TrackingError):
    """A strict lookup found no run with the requested identity."""

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report
