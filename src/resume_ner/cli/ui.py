"""The line that tells a user how to look at their runs in MLflow's UI."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlparse

from resume_ner.tracking.urls import (
    AZURE_STUDIO_URL,
    DEFAULT_LOCAL_UI_URL,
    get_mlflow_experiment_url,
)


def _mlflow_command() -> str:
    """``mlflow`` as this environment runs it: the script beside Python, relative when it can."""
    script = Path(sys.executable).parent / "mlflow"
    if not script.exists():
        return "mlflow"
    try:
        return str(script.relative_to(Path.cwd()))
    except ValueError:
        return str(script)


def ui_hint(tracking_uri: str, experiment_id: str, *, ui_url: str | None = None) -> str:
    """One line on how to open the runs of experiment ``experiment_id`` in ``tracking_uri``.

    A tracking server is opened as it is; a database or file store needs ``mlflow ui`` first,
    on the host and port of ``ui_url`` (``mlflow.yaml``'s; ``http://127.0.0.1:5000`` when
    ``None``). The address opens MLflow 3's "Model training" view, which shows the runs table.
    """
    scheme = urlparse(tracking_uri).scheme.lower()
    if scheme == "azureml":
        studio = ui_url or AZURE_STUDIO_URL
        return f"runs: in Azure ML studio ({studio}), the workspace's Jobs page"
    try:
        address = get_mlflow_experiment_url(tracking_uri, experiment_id, ui_url=ui_url)
    except ValueError:
        return f"runs: tracked at {tracking_uri}"
    if scheme in ("http", "https"):
        return f'runs: open {address} ("Model training" view)'
    local = urlparse(ui_url or DEFAULT_LOCAL_UI_URL)
    port = local.port or (443 if local.scheme == "https" else 80)
    return (
        f"runs: {_mlflow_command()} ui --backend-store-uri {tracking_uri} --host {local.hostname} "
        f'--port {port}, then open {address} ("Model training" view)'
    )
