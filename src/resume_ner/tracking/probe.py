"""Asking whether a run exists without importing MLflow (which takes seconds to import).

Used on fast paths, such as answering a lookup from the run index: an embedded SQLite store is
read directly (read-only), a tracking server is asked over its REST API. Whatever cannot be
answered this way is reported as unknown, and the caller asks MLflow.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import urllib.parse
from typing import Any

from resume_ner.tracking.setup import sqlite_path

logger = logging.getLogger(__name__)

HTTP_TIMEOUT_S = 5.0
SQLITE_TIMEOUT_S = 5.0
ACTIVE = "active"

# The SQLite probe reads MLflow's own schema, which is not a public API: MLflow's supported
# readers (``MlflowClient``, ``SqlAlchemyStore``, or its SQLAlchemy models) take about 3 s to
# import on a 2-core machine (2.7-3.5 s measured, against 0.2 s for this module with its
# imports), which is the whole cost of ``runs find`` answered from the run index. The table,
# columns and "active" value read here are checked against ``SqlRun`` and against a store
# MLflow creates, by tests/tracking/finder/test_probe_contract.py, so that an MLflow upgrade
# that changes them fails the tests instead of silently sending lookups to the slow path.
RUNS_TABLE = "runs"
RUN_ID_COLUMN = "run_uuid"
LIFECYCLE_COLUMN = "lifecycle_stage"
_RUN_QUERY = f"SELECT {LIFECYCLE_COLUMN} FROM {RUNS_TABLE} WHERE {RUN_ID_COLUMN} = ?"
_NOT_FOUND_CODES = {"RESOURCE_DOES_NOT_EXIST"}


def run_exists_without_mlflow(tracking_uri: str, run_id: str) -> bool | None:
    """Whether run ``run_id`` exists in ``tracking_uri`` and is not deleted; ``None`` if unknown.

    ``sqlite:///`` stores are opened read-only with the standard library; ``http(s)://`` servers
    are asked ``GET /api/2.0/mlflow/runs/get`` (5 s time-out; "not found" answers ``False``).
    Any other URI, and any error on the way, gives ``None`` (logged at debug level): the answer
    is then MLflow's to give. Never raises and never imports MLflow.
    """
    if not run_id:
        return False
    scheme = urllib.parse.urlsplit(tracking_uri).scheme.lower()
    if scheme == "sqlite":
        return _sqlite_run_exists(tracking_uri, run_id)
    if scheme in ("http", "https"):
        return _server_run_exists(tracking_uri, run_id)
    return None


def _sqlite_run_exists(tracking_uri: str, run_id: str) -> bool | None:
    path = sqlite_path(tracking_uri)
    if path is None or not path.is_file():
        return None
    # mode=ro never creates or migrates the file, and the URI form needs the path escaped.
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=SQLITE_TIMEOUT_S)
        try:
            row = connection.execute(_RUN_QUERY, (run_id,)).fetchone()
        finally:
            connection.close()
    except sqlite3.Error as exc:
        logger.debug("cannot read run %s from %s: %s", run_id, path, exc)
        return None
    return row is not None and row[0] == ACTIVE


def _server_run_exists(tracking_uri: str, run_id: str) -> bool | None:
    import urllib.error  # only the server path pays for the HTTP client's import
    import urllib.request

    query = urllib.parse.urlencode({"run_id": run_id})
    url = f"{tracking_uri.rstrip('/')}/api/2.0/mlflow/runs/get?{query}"
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
            payload = json.load(response)
    except urllib.error.HTTPError as exc:
        if exc.code == 404 or _error_code(exc) in _NOT_FOUND_CODES:
            return False
        logger.debug("run %s: %s answered HTTP %s", run_id, tracking_uri, exc.code)
        return None
    except (OSError, ValueError) as exc:
        logger.debug("cannot ask %s about run %s: %s", tracking_uri, run_id, exc)
        return None
    try:
        return payload["run"]["info"]["lifecycle_stage"] == ACTIVE
    except (KeyError, TypeError):
        logger.debug("unexpected answer from %s for run %s: %r", tracking_uri, run_id, payload)
        return None


def _error_code(exc: Any) -> str | None:
    try:
        body = json.loads(exc.read() or b"{}")
    except (OSError, ValueError):
        return None
    return body.get("error_code") if isinstance(body, dict) else None
