"""The root of every error resume-ner raises, and the error every user-fixable problem derives
from.

The CLI decides the exit code by type alone: :class:`InputError` exits with code 2, any other
:class:`ResumeNerError` with code 1 and its message, anything else with code 1 as an internal
error.
"""

from __future__ import annotations


class ResumeNerError(Exception):
    """Base class of every exception type resume-ner defines."""


class InputError(ResumeNerError):
    """Bad input or configuration: the user can fix it, and the CLI exits with code 2."""
