"""Checking that what the configuration names can be reached: tracking URI, study storage, index.

Each check answers with a :class:`CheckResult` (what was checked, whether it is usable and, in
words, what is wrong and what to do) and creates nothing: a tracking server is asked
``GET /health`` and one read of its API, a database is connected to and asked ``SELECT 1``, an
SQLite file or a folder that does not exist yet only needs a writable folder to be created in.
A database's schema revision is compared with the installed MLflow's or Optuna's
(:mod:`resume_ner.tracking.schema`). MLflow is not imported; SQLAlchemy only for server
databases.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from resume_ner.config.mlflow import IndexConfig, MlflowConfig
from resume_ner.config.paths import ProjectPaths
from resume_ner.tracking.errors import TrackingSetupError
from resume_ner.tracking.index.backends import DEFAULT_INDEX_FILE
from resume_ner.tracking.schema import MLFLOW, OPTUNA, SchemaOwner, hide_password, schema_mismatch
from resume_ner.tracking.setup import is_direct_store, resolve_tracking_uri, sqlite_path

DEFAULT_TIMEOUT_S = 5.0
POSTGRES_EXTRA_HINT = "install the PostgreSQL driver: pip install 'resume-ner[postgres]'"
_SERVER_DATABASES = ("postgresql", "mysql", "mssql")
_HEALTH_ANSWER = "OK"


@dataclass(frozen=True)
class CheckResult:
    """One check: ``name`` of the thing checked, ``target`` (its URL, password hidden), whether
    it is ``ok``, and ``detail``: what was found, or what is wrong and how to fix it."""

    name: str
    target: str
    ok: bool
    detail: str


def _writable_folder(path: Path) -> tuple[bool, str]:
    """Whether ``path`` (a folder, existing or to be created) can be written, and why not."""
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return False, f"{existing} is not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return False, f"{existing} is not writable"
    return True, "" if existing == path else f"{path} will be created"


def _connection_problem(reason: object, where: str) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return f"nothing listens at {where} (connection refused)"
    if isinstance(reason, socket.gaierror):
        return f"unknown host in {where} ({reason})"
    if isinstance(reason, TimeoutError | socket.timeout):
        return f"no answer from {where} in time"
    return f"cannot connect to {where}: {reason}"


def _http_get(url: str, timeout_s: float) -> tuple[int, str]:
    """Status and body of ``GET url``; an HTTP error status is an answer, not an exception."""
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return response.status, response.read(4096).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(4096).decode("utf-8", "replace")


def _error_message(body: str) -> str:
    """The ``message`` of an MLflow JSON error answer, else the answer itself."""
    try:
        answer = json.loads(body)
    except ValueError:
        return body.strip()
    return str(answer.get("message", body) if isinstance(answer, dict) else body).strip()


def check_tracking_server(uri: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> CheckResult:
    """Whether an MLflow tracking server answers at ``uri`` and can read its backend store.

    Asks ``GET /health`` (a server that is not MLflow's answers something else), then searches
    one experiment (a server whose database is down answers that with an error).
    """
    name, target = "tracking server", hide_password(uri)
    base = uri.rstrip("/")
    start_hint = (
        "start it (mlflow server --host HOST --port PORT --backend-store-uri ...) "
        "or fix tracking_uri in mlflow.yaml / MLFLOW_TRACKING_URI"
    )
    try:
        status, body = _http_get(f"{base}/health", timeout_s)
    except urllib.error.URLError as exc:
        return CheckResult(
            name, target, False, f"{_connection_problem(exc.reason, target)}: {start_hint}"
        )
    except OSError as exc:
        return CheckResult(name, target, False, f"{_connection_problem(exc, target)}: {start_hint}")
    if status != 200 or body.strip() != _HEALTH_ANSWER:
        return CheckResult(
            name,
            target,
            False,
            f"something answers at {target}, but not an MLflow tracking server "
            f"(GET /health gave HTTP {status}): check the host, port and path of tracking_uri",
        )
    query = urllib.parse.urlencode({"max_results": 1})
    try:
        status, body = _http_get(f"{base}/api/2.0/mlflow/experiments/search?{query}", timeout_s)
    except OSError as exc:
        return CheckResult(name, target, False, f"the server stopped answering: {exc}")
    if status != 200:
        return CheckResult(
            name,
            target,
            False,
            f"the server answers, but reading its store failed (HTTP {status}): "
            f"{_error_message(body)[:300]} — check its --backend-store-uri database",
        )
    return CheckResult(name, target, True, "MLflow server answers and reads its store")


def check_sqlite_file(name: str, url: str) -> CheckResult:
    """Whether the SQLite database of ``url`` is readable, or its folder lets it be created."""
    path = sqlite_path(url)
    target = url
    if path is None:
        return CheckResult(name, target, False, "not an sqlite:/// URL")
    if path.exists():
        if not path.is_file():
            return CheckResult(name, target, False, f"{path} is not a file")
        try:
            connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            try:
                tables = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            finally:
                connection.close()
        except sqlite3.Error as exc:
            return CheckResult(name, target, False, f"{path} is not a readable SQLite file: {exc}")
        if not os.access(path, os.W_OK):
            return CheckResult(name, target, False, f"{path} is read-only")
        return CheckResult(name, target, True, f"SQLite file with {tables} tables")
    ok, why = _writable_folder(path.parent)
    if not ok:
        return CheckResult(name, target, False, f"{path} cannot be created: {why}")
    return CheckResult(name, target, True, f"{path} will be created on first use")


def _database_problem(exc: BaseException, target: str) -> str:
    """The first line of what the database driver said, with a hint for the usual causes."""
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()[0] if str(original).strip() else type(exc).__name__
    lowered = text.lower()
    if "connection refused" in lowered:
        return (
            f"nothing listens at {target} (connection refused): is the database server "
            "running and accepting TCP connections on that host and port?"
        )
    if "timeout" in lowered or "timed out" in lowered:
        return f"no answer from {target} in time: check the host, port and firewall"
    if "does not exist" in lowered:
        return f"{text}: create it (createdb NAME) or fix the database name in the URL"
    if "authentication" in lowered or "password" in lowered:
        return f"{text}: check the user and password in the URL"
    return text


def check_database(name: str, url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> CheckResult:
    """Whether the database at SQLAlchemy ``url`` can be connected to and queried.

    ``sqlite:///`` URLs are checked as files (:func:`check_sqlite_file`); a server database
    gets one connection (``connect_timeout`` ``timeout_s``) and ``SELECT 1``.
    """
    if url.startswith("sqlite:"):
        return check_sqlite_file(name, url)
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError
    from sqlalchemy.pool import NullPool

    try:
        parsed = make_url(url)
    except ArgumentError:
        return CheckResult(
            name,
            hide_password(url),
            False,
            "not a database URL of the form dialect+driver://user@host:port/database",
        )
    target = parsed.render_as_string(hide_password=True)
    dialect = parsed.get_backend_name()
    connect_args = {"connect_timeout": max(int(timeout_s), 1)} if dialect == "postgresql" else {}
    try:
        engine = create_engine(parsed, poolclass=NullPool, connect_args=connect_args)
    except ImportError as exc:
        hint = POSTGRES_EXTRA_HINT if dialect == "postgresql" else f"install its driver ({exc})"
        return CheckResult(name, target, False, f"no driver for {dialect}: {hint}")
    except (ArgumentError, SQLAlchemyError) as exc:
        return CheckResult(name, target, False, f"cannot use this URL: {exc}")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            version = conn.dialect.server_version_info
    except SQLAlchemyError as exc:
        return CheckResult(name, target, False, _database_problem(exc, target))
    finally:
        engine.dispose()
    shown = ".".join(str(part) for part in version or ())
    return CheckResult(name, target, True, f"{dialect} {shown} answers".replace("  ", " "))


def check_tracking_uri(
    uri: str, *, paths: ProjectPaths, timeout_s: float = DEFAULT_TIMEOUT_S
) -> CheckResult:
    """Whether the MLflow store at tracking ``uri`` can be used (see the module docstring).

    ``http(s)``: :func:`check_tracking_server`; ``sqlite``: :func:`check_sqlite_file`; a server
    database: :func:`check_database`; ``file:`` or a plain path: a writable folder; ``azureml``:
    accepted once resolved (the workspace answered). Any other scheme is reported as unknown.
    """
    scheme = urllib.parse.urlsplit(uri).scheme.lower()
    if scheme in ("http", "https"):
        return check_tracking_server(uri, timeout_s=timeout_s)
    if scheme == "sqlite":
        return check_sqlite_file("tracking store", uri)
    if scheme.split("+", 1)[0] in _SERVER_DATABASES:
        return check_database("tracking store", uri, timeout_s=timeout_s)
    if scheme in ("file", "") or len(scheme) == 1:  # a one-letter scheme is a Windows drive
        folder = Path(urllib.parse.urlsplit(uri).path if scheme == "file" else uri)
        folder = folder if folder.is_absolute() else paths.root / folder
        ok, why = _writable_folder(folder)
        detail = (why or f"file store in {folder}") if ok else why
        return CheckResult("tracking store", uri, ok, detail)
    if scheme == "azureml":
        return CheckResult("tracking store", uri, True, "Azure ML workspace tracking URI")
    return CheckResult(
        "tracking URI",
        hide_password(uri),
        False,
        f"unknown scheme {scheme!r}: use http(s)://HOST:PORT of an mlflow server, "
        "sqlite:///PATH, postgresql+psycopg://USER@HOST:PORT/DB or the Azure ML workspace",
    )


def check_schema(name: str, url: str, owner: SchemaOwner) -> CheckResult | None:
    """Whether the schema of the database at ``url`` is the one the installed ``owner`` (MLflow,
    Optuna) expects; ``None`` when there is nothing to compare (no database or schema yet)."""
    unreachable: tuple[type[Exception], ...] = ()
    if sqlite_path(url) is None:
        from sqlalchemy.exc import SQLAlchemyError

        unreachable = (SQLAlchemyError,)
    try:
        problem = schema_mismatch(url, owner)
    except unreachable:
        return None  # unreachable: the connection check says so
    if problem is not None:
        return CheckResult(name, hide_password(url), False, problem)
    return CheckResult(name, hide_password(url), True, f"matches the installed {owner.name}")


def check_index(
    config: IndexConfig, paths: ProjectPaths, *, timeout_s: float = DEFAULT_TIMEOUT_S
) -> CheckResult:
    """Whether the run index and version counter database of ``mlflow.yaml`` can be used."""
    name = "run index"
    if not config.enabled:
        return CheckResult(name, "-", True, "disabled (index.enabled is false)")
    if config.sql_url:
        return check_database(name, config.sql_url, timeout_s=timeout_s)
    folder = paths.mlflow_dir
    ok, why = _writable_folder(folder)
    return CheckResult(name, str(folder / DEFAULT_INDEX_FILE), ok, why or "index file writable")


def run_checks(
    config: MlflowConfig,
    paths: ProjectPaths,
    *,
    study_storage: str | None,
    environ: Mapping[str, str],
    tracking_uri: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> list[CheckResult]:
    """Check the tracking URI, the study storage (``study_storage``, skipped when ``None``) and
    the run index that ``config`` names; return one result per check, failures included.

    The tracking URI is resolved as every command resolves it (``tracking_uri`` > ``mlflow.yaml``
    > ``environ``'s ``MLFLOW_TRACKING_URI`` > Azure ML > the project's SQLite store); a URI that
    cannot be resolved (Azure ML settings, extra or credentials missing) is a failed check. A
    database store (tracking or study) whose schema the installed MLflow or Optuna does not
    expect is a failed check saying which side to upgrade.
    """
    results: list[CheckResult | None] = []
    try:
        uri = resolve_tracking_uri(config, paths, tracking_uri=tracking_uri, environ=environ)
    except TrackingSetupError as exc:
        results.append(CheckResult("tracking URI", "-", False, str(exc)))
    else:
        results.append(check_tracking_uri(uri, paths=paths, timeout_s=timeout_s))
        if results[-1].ok and is_direct_store(uri):
            results.append(check_schema("tracking store schema", uri, MLFLOW))
    if study_storage is not None:
        results.append(check_database("study storage", study_storage, timeout_s=timeout_s))
        if results[-1].ok:
            results.append(check_schema("study storage schema", study_storage, OPTUNA))
    results.append(check_index(config.index, paths, timeout_s=timeout_s))
    return [result for result in results if result is not None]
