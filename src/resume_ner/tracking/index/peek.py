"""Reading one run-index entry of an SQLite index with the standard library.

A lookup answered from the index is the whole work of ``resume-ner runs find`` by key; opening
the index through SQLAlchemy would cost more than the rest of the command. The tables read here
are the backend's own (:mod:`resume_ner.tracking.index.sql` defines them from the same names in
:mod:`resume_ner.tracking.index.base`). Anything this cannot answer (another database, a missing,
never built or unreadable file) raises :class:`IndexUnreadableError`, and the caller opens the
index backend, which repairs and rebuilds what needs it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import fields

from resume_ner.tracking.index.base import (
    BUILT_AT,
    RUN_KEYS_TABLE,
    STATE_TABLE,
    IndexBackendError,
    IndexEntry,
)
from resume_ner.tracking.setup import sqlite_path

_COLUMNS = [field.name for field in fields(IndexEntry)]


class IndexUnreadableError(IndexBackendError):
    """The index cannot be read without its backend (not SQLite, missing, never built, damaged)."""


def peek_index_entry(url: str, run_key_hash: str) -> IndexEntry | None:
    """The entry for ``run_key_hash`` in the SQLite index at ``url``, or ``None``.

    Raises :class:`IndexUnreadableError` when the standard library cannot answer.
    """
    path = sqlite_path(url)
    if path is None or not path.is_file():
        raise IndexUnreadableError(f"no SQLite index file at {url}")
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
        try:
            built = connection.execute(
                f"SELECT value FROM {STATE_TABLE} WHERE name = ?", (BUILT_AT,)
            ).fetchone()
            if built is None:
                raise IndexUnreadableError(f"the index {path} was never built")
            row = connection.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM {RUN_KEYS_TABLE} WHERE run_key_hash = ?",
                (run_key_hash,),
            ).fetchone()
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise IndexUnreadableError(f"cannot read the index {path}: {exc}") from exc
    return None if row is None else IndexEntry(*row)
