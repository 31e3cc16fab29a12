"""Whether a store's database schema and the installed MLflow or Optuna agree, and which to upgrade.

MLflow and Optuna both record their schema in the database as an alembic revision
(``alembic_version``) and ship the migrations that lead to the revision they expect. A store
whose revision is one of those migrations but not the newest was written by an older release:
the store is upgraded (``mlflow db upgrade URI``, ``optuna storage upgrade --storage URL``). A
store whose revision the installation does not know at all was written by a newer release: no
command of this installation can open it, and the installation is what must be upgraded. Both
libraries report either case with the store-side advice, which is the wrong fix for the second.

The check reads the revision (with :mod:`sqlite3` for SQLite files) and the installed library's
migration files as text: neither MLflow nor Optuna is imported.
"""

from __future__ import annotations

import importlib.util
import re
import sqlite3
import sys
import urllib.parse
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from resume_ner.tracking.errors import TrackingSetupError

#: The table alembic records a database's schema revision in.
ALEMBIC_VERSION_TABLE = "alembic_version"
_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")


class StoreSchemaError(TrackingSetupError):
    """A store's schema and the installed MLflow or Optuna disagree (the message says which to
    upgrade and how)."""


@dataclass(frozen=True)
class SchemaOwner:
    """A library that keeps its schema with alembic: its distribution name, the folder of its
    migrations inside the installed package, and the commands that upgrade a store."""

    name: str
    distribution: str
    migrations: tuple[str, ...]
    upgrade_store: str

    def migrations_dir(self) -> Path | None:
        """The installed package's migration folder, ``None`` when it is not installed."""
        spec = importlib.util.find_spec(self.distribution)
        if spec is None or not spec.submodule_search_locations:
            return None
        return Path(next(iter(spec.submodule_search_locations)), *self.migrations)


MLFLOW = SchemaOwner(
    "MLflow", "mlflow", ("store", "db_migrations", "versions"), "mlflow db upgrade"
)
OPTUNA = SchemaOwner(
    "Optuna",
    "optuna",
    ("storages", "_rdb", "alembic", "versions"),
    "optuna storage upgrade --storage",
)


@dataclass(frozen=True)
class Revisions:
    """The schema revisions an installed library's migrations know, and the newest of them."""

    known: frozenset[str]
    heads: frozenset[str]


def installed_revisions(owner: SchemaOwner) -> Revisions | None:
    """The revisions ``owner``'s installed migrations define, ``None`` when it is not installed."""
    folder = owner.migrations_dir()
    if folder is None or not folder.is_dir():
        return None
    known: set[str] = set()
    parents: set[str] = set()
    for script in folder.glob("*.py"):
        text = script.read_text(encoding="utf-8")
        revision = _REVISION.search(text)
        if revision is None:
            continue
        known.add(revision.group(1))
        down = _DOWN_REVISION.search(text)
        if down is not None:
            parents.update(_QUOTED.findall(down.group(1)))
    return Revisions(frozenset(known), frozenset(known - parents))


def stored_revision(url: str) -> str | None:
    """The alembic revision recorded in the database at SQLAlchemy ``url``, ``None`` when it has
    none yet (a new or empty database, one that does not exist, an SQLite file that is not a
    database). Raises what SQLAlchemy raises for a server database that cannot be read."""
    from resume_ner.tracking.setup import sqlite_path

    path = sqlite_path(url)
    if path is not None:
        if not path.is_file():
            return None
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            found = connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?",
                (ALEMBIC_VERSION_TABLE,),
            ).fetchone()
            if found is None:
                return None
            row = connection.execute(f"SELECT version_num FROM {ALEMBIC_VERSION_TABLE}").fetchone()
        except sqlite3.DatabaseError:
            return None  # not a readable database: opening it reports that
        finally:
            connection.close()
        return str(row[0]) if row else None
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        if not sa.inspect(engine).has_table(ALEMBIC_VERSION_TABLE):
            return None
        with engine.connect() as connection:
            row = connection.execute(
                sa.text(f"SELECT version_num FROM {ALEMBIC_VERSION_TABLE}")
            ).first()
    finally:
        engine.dispose()
    return str(row[0]) if row else None


def hide_password(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _installed_version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "(not installed)"


def _requirement_of_this_package(distribution: str) -> str:
    """``distribution`` with the version range resume-ner requires of it (``mlflow<4,>=3.10``),
    so that the upgrade stays within what resume-ner supports; the bare name otherwise."""
    try:
        requirements = metadata.requires("resume-ner") or []
    except metadata.PackageNotFoundError:
        return distribution
    for requirement in requirements:
        if ";" in requirement:
            continue
        match = re.match(r"^([A-Za-z0-9._-]+)\s*(.*)$", requirement)
        if match and match.group(1).lower() == distribution:
            return f"{distribution}{match.group(2).replace(' ', '')}"
    return distribution


def _command(command: str) -> str:
    """``command`` with its program as installed beside this interpreter, when it is there (a
    virtual environment that is not activated is not on ``PATH``)."""
    program, _, rest = command.partition(" ")
    installed = Path(sys.executable).with_name(program)
    return f"{installed} {rest}" if installed.is_file() else command


def schema_mismatch(url: str, owner: SchemaOwner, *, shown: str | None = None) -> str | None:
    """One line saying how the store at ``url`` and the installed ``owner`` disagree and which
    side to upgrade with which command; ``None`` when they agree, the store has no schema yet, or
    ``owner`` is not installed. ``shown`` is how the store is named (``url`` with any password
    hidden by default). Raises what :func:`stored_revision` raises."""
    revisions = installed_revisions(owner)
    if revisions is None:
        return None
    stored = stored_revision(url)
    if stored is None or stored in revisions.heads:
        return None
    where = shown or hide_password(url)
    installed = f"{owner.name} {_installed_version(owner.distribution)}"
    expected = ", ".join(sorted(revisions.heads))
    if stored not in revisions.known:
        requirement = _requirement_of_this_package(owner.distribution)
        return (
            f"the {owner.name} store at {where} has schema revision {stored}, which "
            f"{installed} installed here does not know (it expects {expected}): the store was "
            f"written by a newer {owner.name}; upgrade this installation, not the store: "
            f"{sys.executable} -m pip install --upgrade '{requirement}'"
        )
    return (
        f"the {owner.name} store at {where} has schema revision {stored}, older than "
        f"{installed} installed here expects ({expected}): back the store up, then upgrade "
        f"it: {_command(owner.upgrade_store)} {hide_password(url)}"
    )


def check_store_schema(url: str, owner: SchemaOwner, *, shown: str | None = None) -> None:
    """Raise :class:`StoreSchemaError` with :func:`schema_mismatch`'s line when the store at
    ``url`` and the installed ``owner`` disagree."""
    problem = schema_mismatch(url, owner, shown=shown)
    if problem is not None:
        raise StoreSchemaError(problem)
