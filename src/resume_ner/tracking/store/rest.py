"""Reading a tracking server through MLflow's documented REST API, over plain HTTP.

Only the endpoints of MLflow's REST API reference are used (``/api/2.0/mlflow/...``:
``experiments/get-by-name``, ``runs/get``, ``runs/search``, ``registered-models/alias``,
``model-versions/get``), with the standard library's HTTP client, so that a read command does not
pay for importing MLflow.
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from resume_ner.tracking.store.base import (
    ACTIVE,
    RunQuery,
    StoredRun,
    StoredRunData,
    StoredRunInfo,
    StoreReader,
    StoreReadError,
)

logger = logging.getLogger(__name__)

TIMEOUT_S = 10.0
#: Runs per ``runs/search`` request (the most the server hands out at once).
PAGE_SIZE = 1000
_NOT_FOUND = "RESOURCE_DOES_NOT_EXIST"


class _AnswerError(StoreReadError):
    """The server answered with an error (``error_code``: MLflow's code of it, if any)."""

    def __init__(self, message: str, error_code: str | None) -> None:
        super().__init__(message)
        self.error_code = error_code


class _NotFoundError(_AnswerError):
    """The server answered that the thing asked for does not exist."""


def auth_headers(environ: Mapping[str, str]) -> dict[str, str]:
    """The ``Authorization`` header MLflow's own client would send, from the environment it
    reads: ``MLFLOW_TRACKING_TOKEN`` (bearer), else ``MLFLOW_TRACKING_USERNAME`` and
    ``MLFLOW_TRACKING_PASSWORD`` (basic); none without them."""
    token = environ.get("MLFLOW_TRACKING_TOKEN")
    if token:
        return {"Authorization": f"Bearer {token}"}
    user, password = (
        environ.get("MLFLOW_TRACKING_USERNAME"),
        environ.get("MLFLOW_TRACKING_PASSWORD"),
    )
    if user and password:
        pair = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}
    return {}


class RestStoreReader(StoreReader):
    """The tracking server at ``tracking_uri`` (``http://host:port``), sending ``headers`` (its
    credentials, :func:`auth_headers`) with every request."""

    def __init__(self, tracking_uri: str, *, headers: Mapping[str, str] | None = None) -> None:
        self.tracking_uri = tracking_uri
        self._base = tracking_uri.rstrip("/") + "/api/2.0/mlflow/"
        self._headers = dict(headers or {})

    def __repr__(self) -> str:
        return f"RestStoreReader({self.tracking_uri!r})"

    def _request(
        self, endpoint: str, params: dict[str, Any] | None = None, body: Any = None
    ) -> dict[str, Any]:
        url = self._base + endpoint
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json", **self._headers}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                payload = json.load(response)
        except urllib.error.HTTPError as exc:
            code, message = _error_of(exc)
            if exc.code == 404 or code == _NOT_FOUND:
                raise _NotFoundError(message or f"{endpoint}: not found", code) from exc
            raise _AnswerError(
                f"{self.tracking_uri} answered {endpoint} with HTTP {exc.code}: {message}", code
            ) from exc
        except (OSError, ValueError) as exc:
            raise StoreReadError(f"cannot ask {self.tracking_uri} ({endpoint}): {exc}") from exc
        if not isinstance(payload, dict):
            raise StoreReadError(f"{self.tracking_uri} answered {endpoint} with {payload!r}")
        return payload

    def experiment_ids(self, names: Iterable[str]) -> dict[str, str]:
        found = {}
        for name in sorted(set(names)):
            try:
                answer = self._request("experiments/get-by-name", {"experiment_name": name})
            except _NotFoundError:
                continue
            experiment = answer.get("experiment") or {}
            if experiment.get("lifecycle_stage") == ACTIVE:
                found[name] = str(experiment["experiment_id"])
        return found

    def get_run(self, run_id: str) -> StoredRun | None:
        try:
            answer = self._request("runs/get", {"run_id": run_id})
        except _NotFoundError:
            return None
        return _run_of(answer.get("run"))

    def search_runs(self, experiment_ids: Sequence[str], query: RunQuery) -> list[StoredRun]:
        if not experiment_ids:
            return []
        filter_string, checked_here = query.filter_string()
        page_size = min(PAGE_SIZE, query.max_results or PAGE_SIZE)

        def pages() -> Iterator[StoredRun]:
            token = None
            while True:
                body = {
                    "experiment_ids": list(experiment_ids),
                    "filter": filter_string,
                    "run_view_type": "ALL" if query.include_deleted else "ACTIVE_ONLY",
                    "max_results": page_size,
                    "order_by": query.order_by(),
                }
                if token:
                    body["page_token"] = token
                answer = self._request("runs/search", body=body)
                for raw in answer.get("runs") or []:
                    yield _run_of(raw)
                token = answer.get("next_page_token")
                if not token:
                    return

        return query.take(pages(), checked_here=bool(checked_here))

    def model_version_run(
        self, model_name: str, *, alias: str | None = None, version: str | None = None
    ) -> tuple[str, str | None] | None:
        try:
            if alias is not None:
                answer = self._request(
                    "registered-models/alias", {"name": model_name, "alias": alias}
                )
            else:
                answer = self._request(
                    "model-versions/get", {"name": model_name, "version": str(version)}
                )
        except _AnswerError as exc:
            # A missing alias is an invalid parameter to the server, a missing model not found.
            if exc.error_code in (_NOT_FOUND, "INVALID_PARAMETER_VALUE"):
                return None
            raise
        found = answer.get("model_version") or {}
        return str(found.get("version")), found.get("run_id") or None


def _run_of(raw: Any) -> StoredRun:
    """A run of MLflow's REST JSON (``{"info": {...}, "data": {"tags": [...], ...}}``)."""
    try:
        info, data = raw["info"], raw.get("data") or {}
        start = info.get("start_time")
        return StoredRun(
            StoredRunInfo(
                run_id=info["run_id"],
                run_name=info.get("run_name"),
                experiment_id=str(info["experiment_id"]),
                status=info.get("status", ""),
                start_time=None if start is None else int(start),
                lifecycle_stage=info.get("lifecycle_stage", ACTIVE),
            ),
            StoredRunData(
                {tag["key"]: tag.get("value", "") for tag in data.get("tags") or []},
                {metric["key"]: float(metric["value"]) for metric in data.get("metrics") or []},
            ),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise StoreReadError(f"not a run in MLflow's REST format: {raw!r:.200}") from exc


def _error_of(exc: urllib.error.HTTPError) -> tuple[str | None, str]:
    """The ``error_code`` and ``message`` of an MLflow error answer (``None``, text otherwise)."""
    try:
        text = exc.read().decode("utf-8", "replace")
    except OSError:
        return None, ""
    try:
        body = json.loads(text)
    except ValueError:
        return None, text[:200]
    if not isinstance(body, dict):
        return None, text[:200]
    return body.get("error_code"), str(body.get("message", ""))
