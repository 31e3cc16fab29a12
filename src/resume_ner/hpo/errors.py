"""Errors raised by the hyperparameter search, so that callers can catch what they mean."""

from __future__ import annotations

from resume_ner.errors import InputError, ResumeNerError


class HpoError(ResumeNerError, RuntimeError):
    """Base class of the sweep's own failures (not the user's input)."""


class HpoInputError(InputError, HpoError):
    """The sweep cannot run on this input: too few documents for the folds, no validation split
    without CV, an unknown backbone, a search-space name training does not know."""


class ObjectiveMetricMissingError(HpoError):
    """Training did not report the metric the sweep optimises."""


class TrialTakenOverError(HpoError):
    """Another worker failed this trial (its heartbeat looked stale) and will retry it; the
    work of this process for it is dropped so that the trial keeps one tracked run."""


def study_storage_errors() -> tuple[type[BaseException], ...]:
    """The exceptions an Optuna study storage raises when it refuses or cannot be reached
    (Optuna's and SQLAlchemy's errors, OS errors); Optuna is imported only when called."""
    from optuna.exceptions import OptunaError
    from sqlalchemy.exc import SQLAlchemyError

    return (OptunaError, SQLAlchemyError, OSError, ResumeNerError)
