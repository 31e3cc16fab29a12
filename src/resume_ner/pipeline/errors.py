"""Errors of the pipeline as a whole (each stage raises its own)."""

from __future__ import annotations

from resume_ner.errors import ResumeNerError


class PipelineError(ResumeNerError, RuntimeError):
    """A stage cannot go on: a sweep stopped short of its target, or tracking is switched off."""
