"""The error every user-fixable problem derives from."""

from __future__ import annotations


class InputError(Exception):
    """Bad input or configuration: the user can fix it, and the CLI exits with code 2."""
