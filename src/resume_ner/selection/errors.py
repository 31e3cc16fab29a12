"""Errors raised while selecting the best model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from resume_ner.errors import InputError


class SelectionError(InputError):
    """No model can be selected: no sweep, no eligible candidate, or no latency to compare.

    The message says what is missing and how to fix it. ``ranking`` holds the candidates
    considered so far (with their exclusion reasons), so that a caller can still show them.
    """

    def __init__(self, message: str, *, ranking: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.ranking = list(ranking)
