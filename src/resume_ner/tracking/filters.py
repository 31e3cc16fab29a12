"""Building MLflow search filter strings from keys and values, safely quoted.

MLflow's filter grammar has no escape sequences: a value is whatever lies between its opening
and closing quote, single (``'...'``) or double (``"..."``), and a doubled or backslashed quote
is kept as it is. A value is therefore quoted with the quote character it does not contain; a
value containing both kinds cannot be written as an equality at all
(:class:`UnquotableValueError`), and :func:`tag_equals_superset` gives a clause that matches a
superset, for callers that check equality themselves. Keys go in backticks (double quotes when
they contain a backtick), so dots, spaces and hyphens in tag keys are safe. Clauses can only be
combined with ``AND``: the grammar has neither ``OR`` nor parentheses.
"""

from __future__ import annotations

import re

from resume_ner.errors import InputError
from resume_ner.tracking.errors import TrackingError

_ATTRIBUTE_NAME = re.compile(r"[a-z_]+")
# In a LIKE pattern these match themselves or are replaced by "_" (any one character): quotes
# cannot be written, and a backslash escapes the next character on PostgreSQL and MySQL.
_LIKE_UNSAFE = re.compile(r"['\"\\]")


class UnquotableValueError(InputError, TrackingError, ValueError):
    """A key or value contains every quote character MLflow's filter grammar allows (bad input:
    the CLI exits with code 2)."""


def can_quote(value: str) -> bool:
    """Whether ``value`` can be written in a filter string (it lacks ``'`` or ``"``)."""
    return "'" not in value or '"' not in value


def quote_value(value: object) -> str:
    """``value`` (as text) as a quoted literal of an MLflow filter string.

    Single quotes are used unless the value contains one, then double quotes. Raises
    :class:`UnquotableValueError` when it contains both.
    """
    text = str(value)
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    raise UnquotableValueError(
        f"the value {text!r} contains both ' and \", which an MLflow filter cannot express"
    )


def quote_key(key: str) -> str:
    """A tag, param or metric key as an identifier of an MLflow filter string.

    The key goes in backticks, or in double quotes when it contains a backtick. Raises
    :class:`UnquotableValueError` for an empty key or one containing both.
    """
    if not key:
        raise UnquotableValueError("a filter key must not be empty")
    if "`" not in key:
        return f"`{key}`"
    if '"' not in key:
        return f'"{key}"'
    raise UnquotableValueError(
        f'the key {key!r} contains both ` and ", which an MLflow filter cannot express'
    )


def tag_equals(key: str, value: object) -> str:
    """The clause ``tags.<key> = <value>``, quoted. Raises :class:`UnquotableValueError`."""
    return f"tags.{quote_key(key)} = {quote_value(value)}"


def tag_equals_superset(key: str, value: object) -> str:
    """A clause that every run whose tag ``key`` equals ``value`` satisfies, and maybe others.

    For values :func:`quote_value` cannot express: quotes and backslashes become the one-character
    wildcard of ``LIKE``. The caller must compare the tag value itself.
    """
    pattern = _LIKE_UNSAFE.sub("_", str(value))
    return f"tags.{quote_key(key)} LIKE '{pattern}'"


def attribute_equals(name: str, value: object) -> str:
    """The clause ``attributes.<name> = <value>`` (for example ``status``), quoted.

    Raises ``ValueError`` for a name that is not a plain attribute name and
    :class:`UnquotableValueError` for a value that cannot be quoted.
    """
    if not _ATTRIBUTE_NAME.fullmatch(name):
        raise ValueError(f"not an MLflow run attribute name: {name!r}")
    return f"attributes.{name} = {quote_value(value)}"


def and_filters(*clauses: str | None) -> str:
    """The non-empty ``clauses`` joined with ``AND`` (an empty string when there are none)."""
    return " AND ".join(clause.strip() for clause in clauses if clause and clause.strip())
