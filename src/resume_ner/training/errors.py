"""Errors raised while building, training or loading a model."""

from __future__ import annotations

from resume_ner.errors import InputError, ResumeNerError


class BackboneError(InputError):
    """A backbone cannot be built or loaded (missing package, bad path, not offline)."""


class CheckpointError(InputError):
    """A checkpoint folder is missing, incomplete or not a resume-ner checkpoint."""


class TrainingDivergedError(ResumeNerError, RuntimeError):
    """The training loss became NaN or infinite (learning rate too high, bad data)."""


class SplitOverlapError(InputError, ValueError):
    """A document given for validation or testing is also among the training documents."""
