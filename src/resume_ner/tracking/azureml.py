"""Azure ML: the workspace's MLflow tracking URI and the artifact-repository patch.

The Azure SDKs are an optional extra (``pip install resume-ner[azure]``); everything here
raises :class:`TrackingSetupError` with the install command when they are missing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from resume_ner.config.mlflow import AzureMLConfig
from resume_ner.tracking.errors import TrackingSetupError

logger = logging.getLogger(__name__)

AZURE_EXTRA_HINT = "install the Azure extra: pip install 'resume-ner[azure]'"
_PATCH_MARKER = "_resume_ner_patched"


def _workspace_errors() -> tuple[type[BaseException], ...]:
    """What reading a workspace raises for bad credentials, a missing workspace or no network:
    azure-core's errors (when installed), OS errors, and the value and runtime errors that token
    acquisition (msal) raises for credentials it cannot use."""
    try:
        from azure.core.exceptions import AzureError
    except ImportError:
        return (OSError, ValueError, RuntimeError)
    return (AzureError, OSError, ValueError, RuntimeError)


def is_azureml_uri(tracking_uri: str | None) -> bool:
    """Whether ``tracking_uri`` points at an Azure ML workspace."""
    return bool(tracking_uri) and tracking_uri.lower().startswith("azureml:")


def workspace_settings(config: AzureMLConfig, environ: Mapping[str, str]) -> dict[str, str]:
    """Subscription, resource group and workspace name from the config, else the environment.

    Raises :class:`TrackingSetupError` naming what is missing.
    """
    settings = {
        "subscription_id": config.subscription_id or environ.get("AZURE_SUBSCRIPTION_ID"),
        "resource_group": config.resource_group or environ.get("AZURE_RESOURCE_GROUP"),
        "workspace_name": config.workspace_name or environ.get("AZUREML_WORKSPACE_NAME"),
    }
    missing = [name for name, value in settings.items() if not value]
    if missing:
        raise TrackingSetupError(
            "azure_ml.enabled is true in mlflow.yaml but "
            + ", ".join(f"azure_ml.{name}" for name in missing)
            + " is not set (in mlflow.yaml or as AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP, "
            "AZUREML_WORKSPACE_NAME)"
        )
    return settings  # type: ignore[return-value]


def build_ml_client(settings: Mapping[str, str]) -> Any:
    """An ``azure.ai.ml.MLClient`` for the workspace, with ``DefaultAzureCredential``."""
    try:
        from azure.ai.ml import MLClient
        from azure.identity import DefaultAzureCredential
    except ImportError as exc:
        raise TrackingSetupError(
            f"Azure ML tracking needs azure-ai-ml and azure-identity: {AZURE_EXTRA_HINT}"
        ) from exc
    return MLClient(
        credential=DefaultAzureCredential(),
        subscription_id=settings["subscription_id"],
        resource_group_name=settings["resource_group"],
        workspace_name=settings["workspace_name"],
    )


def azureml_tracking_uri(
    config: AzureMLConfig,
    environ: Mapping[str, str],
    ml_client: Any | None = None,
) -> str:
    """The MLflow tracking URI of the configured Azure ML workspace (settings missing from the
    config come from ``environ``, the command's environment).

    ``ml_client`` replaces the Azure client boundary (for tests); otherwise one is built from
    the configuration. Raises :class:`TrackingSetupError` for a missing extra, missing
    settings or credentials that do not work.
    """
    settings = workspace_settings(config, environ)
    try:
        import azureml.mlflow  # noqa: F401  (registers the azureml:// tracking store)
    except ImportError as exc:
        raise TrackingSetupError(
            f"Azure ML tracking needs azureml-mlflow: {AZURE_EXTRA_HINT}"
        ) from exc
    client = ml_client if ml_client is not None else build_ml_client(settings)
    try:
        workspace = client.workspaces.get(settings["workspace_name"])
    except _workspace_errors() as exc:
        raise TrackingSetupError(
            f"cannot read Azure ML workspace {settings['workspace_name']!r} "
            f"(check credentials: az login, or AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET): {exc}"
        ) from exc
    uri = getattr(workspace, "mlflow_tracking_uri", None)
    if not uri:
        raise TrackingSetupError(
            f"Azure ML workspace {settings['workspace_name']!r} has no MLflow tracking URI"
        )
    return uri


def apply_azureml_artifact_patch() -> bool:
    """Make the ``azureml`` artifact repository builder tolerate MLflow 3's extra arguments.

    azureml-mlflow's builder does not accept ``tracking_uri``/``registry_uri`` in some
    versions; the wrapper retries without them. Idempotent; returns whether a patch is in
    place (``False`` when azureml-mlflow is not installed). Call it explicitly at setup; it is
    never applied on import.
    """
    try:
        import azureml.mlflow  # noqa: F401
        from mlflow.store.artifact.artifact_repository_registry import _artifact_repository_registry
    except ImportError:
        return False
    registry = _artifact_repository_registry._registry
    builder = registry.get("azureml")
    if builder is None:
        return False
    if getattr(builder, _PATCH_MARKER, False):
        return True

    def tolerant_builder(artifact_uri: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return builder(artifact_uri, *args, **kwargs)
        except TypeError as exc:
            logger.debug("azureml artifact builder rejected extra arguments (%s); retrying", exc)
            return builder(artifact_uri)

    setattr(tolerant_builder, _PATCH_MARKER, True)
    registry["azureml"] = tolerant_builder
    return True
