"""Errors raised by the naming layer."""

from __future__ import annotations

from resume_ner.errors import InputError, ResumeNerError


class NamingError(InputError, ValueError):
    """A run name or key cannot be built from the given context (a field is missing or invalid)."""


class TagKeyError(ResumeNerError, KeyError):
    """A tag key was asked for by a section or name that the tag registry does not hold."""

    def __str__(self) -> str:  # KeyError quotes its argument; show the sentence as it is
        return str(self.args[0]) if self.args else "unknown tag key"
