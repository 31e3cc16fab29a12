"""The web address where a run can be looked at: a tracking server, Azure ML studio, the local UI.

Database and file stores (``sqlite:``, ``file:``, ``postgresql:``, ...) have no web UI of their
own; ``mlflow ui --backend-store-uri <tracking uri>`` serves one, at ``mlflow.yaml``'s ``ui_url``
(``http://127.0.0.1:5000`` by default), and the URL points there. MLflow's pages are opened on
its "Model training" view (:data:`MODEL_TRAINING_VIEW_QUERY`); without it MLflow 3 may open its
GenAI view, which shows no runs table, metrics or charts.
"""

from __future__ import annotations

from urllib.parse import quote, urlparse

DEFAULT_LOCAL_UI_URL = "http://127.0.0.1:5000"
AZURE_STUDIO_URL = "https://ml.azure.com"
_SERVER_SCHEMES = ("http", "https")
_LOCAL_STORE_SCHEMES = ("sqlite", "file", "postgresql", "postgres", "mysql", "mssql")
#: The query that opens MLflow 3's UI on its "Model training" view rather than the GenAI one.
MODEL_TRAINING_VIEW_QUERY = "workflowType=machine_learning"


def _fragment(experiment_id: str, run_id: str) -> str:
    return (
        f"#/experiments/{quote(str(experiment_id), safe='')}/runs/{quote(str(run_id), safe='')}"
        f"?{MODEL_TRAINING_VIEW_QUERY}"
    )


def _azure_workspace_id(tracking_uri: str) -> tuple[str, str, str]:
    """Subscription, resource group and workspace named in an ``azureml://`` tracking URI."""
    segments = [part for part in urlparse(tracking_uri).path.split("/") if part]
    found: dict[str, str] = {}
    for index, segment in enumerate(segments[:-1]):
        key = segment.lower()
        if key in ("subscriptions", "resourcegroups", "workspaces") and key not in found:
            found[key] = segments[index + 1]
    missing = [key for key in ("subscriptions", "resourcegroups", "workspaces") if key not in found]
    if missing:
        raise ValueError(
            f"cannot read {', '.join(missing)} from the Azure ML tracking URI {tracking_uri!r}; "
            "expected azureml://<region>.api.azureml.ms/mlflow/v2.0/subscriptions/<id>/"
            "resourceGroups/<group>/providers/Microsoft.MachineLearningServices/workspaces/<name>"
        )
    return found["subscriptions"], found["resourcegroups"], found["workspaces"]


def get_mlflow_run_url(
    tracking_uri: str, experiment_id: str, run_id: str, *, ui_url: str | None = None
) -> str:
    """The URL of run ``run_id`` (in ``experiment_id``) in the UI that shows ``tracking_uri``.

    An ``http(s)`` tracking server: ``{uri}/#/experiments/{exp}/runs/{run}?workflowType=
    machine_learning`` (MLflow's "Model training" view). Azure ML (``azureml://``): the run's
    page in Azure ML studio (``ui_url`` replaces ``https://ml.azure.com``, e.g. for a sovereign
    cloud). A database or file store (or a plain path): the same page on the UI at ``ui_url``
    (``mlflow.yaml``'s, ``http://127.0.0.1:5000`` when not given), which
    ``mlflow ui --backend-store-uri <uri>`` serves. Raises :class:`ValueError` for empty ids, an
    Azure URI without subscription, resource group and workspace, or a scheme with no known UI
    and no ``ui_url``.
    """
    if not str(experiment_id) or not str(run_id):
        raise ValueError("experiment_id and run_id must not be empty")
    scheme = urlparse(tracking_uri).scheme.lower()
    fragment = _fragment(experiment_id, run_id)
    if scheme in _SERVER_SCHEMES:
        return f"{tracking_uri.rstrip('/')}/{fragment}"
    if scheme == "azureml":
        subscription, group, workspace = _azure_workspace_id(tracking_uri)
        base = (ui_url or AZURE_STUDIO_URL).rstrip("/")
        workspace_id = (
            f"/subscriptions/{subscription}/resourcegroups/{group}/workspaces/{workspace}"
        )
        return (
            f"{base}/experiments/id/{quote(str(experiment_id), safe='')}"
            f"/runs/{quote(str(run_id), safe='')}?wsid={workspace_id}"
        )
    # A plain path, or a Windows drive letter parsed as a scheme, is a file store.
    is_local = scheme.split("+", 1)[0] in _LOCAL_STORE_SCHEMES or len(scheme) <= 1
    if is_local or ui_url:
        return f"{(ui_url or DEFAULT_LOCAL_UI_URL).rstrip('/')}/{fragment}"
    raise ValueError(
        f"no known web UI for tracking URI scheme {scheme!r}; pass ui_url to name the UI"
    )


def get_mlflow_experiment_url(
    tracking_uri: str, experiment_id: str, *, ui_url: str | None = None
) -> str:
    """The URL of experiment ``experiment_id``'s runs table, on the "Model training" view.

    For an ``http(s)`` tracking server, the server itself; for a database or file store, the
    local UI (``ui_url`` or ``http://127.0.0.1:5000``). Raises :class:`ValueError` for an empty
    id and for a tracking URI with no UI of this kind (Azure ML has its own studio).
    """
    if not str(experiment_id):
        raise ValueError("experiment_id must not be empty")
    scheme = urlparse(tracking_uri).scheme.lower()
    route = f"#/experiments/{quote(str(experiment_id), safe='')}?{MODEL_TRAINING_VIEW_QUERY}"
    if scheme in _SERVER_SCHEMES:
        return f"{tracking_uri.rstrip('/')}/{route}"
    is_local = scheme.split("+", 1)[0] in _LOCAL_STORE_SCHEMES or len(scheme) <= 1
    if is_local or ui_url:
        return f"{(ui_url or DEFAULT_LOCAL_UI_URL).rstrip('/')}/{route}"
    raise ValueError(f"no MLflow UI address for tracking URI scheme {scheme!r}")
