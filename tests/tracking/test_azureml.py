"""Azure ML: workspace settings, the workspace's tracking URI and the missing-extra message.

Only the Azure boundary is replaced: a small object stands in for ``azure.ai.ml.MLClient``
(``.workspaces.get(name)``), and, where a test needs the optional extra to be present, an
empty module stands in for ``azureml.mlflow``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import types
from dataclasses import dataclass, field

import pytest

from resume_ner.cli.app import ARTIFACT_TIMEOUT_ENV
from resume_ner.config.mlflow import AzureMLConfig
from resume_ner.tracking.azureml import (
    apply_azureml_artifact_patch,
    azureml_tracking_uri,
    is_azureml_uri,
    workspace_settings,
)
from resume_ner.tracking.errors import TrackingSetupError

WORKSPACE_URI = (
    "azureml://westeurope.api.azureml.ms/mlflow/v2.0/subscriptions/sub-1"
    "/resourceGroups/rg-1/providers/Microsoft.MachineLearningServices/workspaces/ws-1"
)
FULL_CONFIG = AzureMLConfig(
    enabled=True, subscription_id="sub-1", resource_group="rg-1", workspace_name="ws-1"
)
AZURE_EXTRA_INSTALLED = importlib.util.find_spec("azureml") is not None


@dataclass
class FakeWorkspace:
    mlflow_tracking_uri: str | None


@dataclass
class FakeWorkspaces:
    workspace: FakeWorkspace | None = None
    error: Exception | None = None
    requested: list[str] = field(default_factory=list)

    def get(self, name: str) -> FakeWorkspace:
        self.requested.append(name)
        if self.error is not None:
            raise self.error
        assert self.workspace is not None
        return self.workspace


@dataclass
class FakeMLClient:
    workspaces: FakeWorkspaces


def _unset_restoring(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Unset ``name`` now and restore its original state (set or not) after the test."""
    monkeypatch.setenv(name, "placeholder")
    monkeypatch.delenv(name)


@pytest.fixture
def azureml_mlflow_present(monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty ``azureml.mlflow`` module, as if the Azure extra were installed."""
    package = types.ModuleType("azureml")
    package.__path__ = []
    module = types.ModuleType("azureml.mlflow")
    package.mlflow = module
    monkeypatch.setitem(sys.modules, "azureml", package)
    monkeypatch.setitem(sys.modules, "azureml.mlflow", module)


@pytest.mark.skipif(AZURE_EXTRA_INSTALLED, reason="the Azure extra is installed here")
def test_missing_azureml_mlflow_names_the_extra_to_install():
    client = FakeMLClient(FakeWorkspaces(FakeWorkspace(WORKSPACE_URI)))

    with pytest.raises(TrackingSetupError, match=r"pip install 'resume-ner\[azure\]'"):
        azureml_tracking_uri(FULL_CONFIG, environ={}, ml_client=client)
    assert client.workspaces.requested == []


def test_missing_settings_are_named_in_the_error():
    config = AzureMLConfig(enabled=True, subscription_id="sub-1")

    with pytest.raises(TrackingSetupError) as raised:
        workspace_settings(config, {})

    message = str(raised.value)
    assert "azure_ml.resource_group" in message
    assert "azure_ml.workspace_name" in message
    assert "azure_ml.subscription_id" not in message


def test_missing_settings_are_reported_before_the_extra_is_needed():
    with pytest.raises(TrackingSetupError, match=r"azure_ml\.subscription_id"):
        azureml_tracking_uri(AzureMLConfig(enabled=True), environ={})


def test_workspace_settings_fall_back_to_the_environment():
    environ = {
        "AZURE_SUBSCRIPTION_ID": "env-sub",
        "AZURE_RESOURCE_GROUP": "env-rg",
        "AZUREML_WORKSPACE_NAME": "env-ws",
    }

    settings = workspace_settings(AzureMLConfig(enabled=True), environ)

    assert settings == {
        "subscription_id": "env-sub",
        "resource_group": "env-rg",
        "workspace_name": "env-ws",
    }


def test_workspace_settings_prefer_the_config_to_the_environment():
    environ = {"AZURE_SUBSCRIPTION_ID": "env-sub", "AZUREML_WORKSPACE_NAME": "env-ws"}
    config = AzureMLConfig(enabled=True, subscription_id="cfg-sub", resource_group="cfg-rg")

    settings = workspace_settings(config, environ)

    assert settings["subscription_id"] == "cfg-sub"
    assert settings["resource_group"] == "cfg-rg"
    assert settings["workspace_name"] == "env-ws"


def test_tracking_uri_is_read_from_the_configured_workspace(azureml_mlflow_present):
    client = FakeMLClient(FakeWorkspaces(FakeWorkspace(WORKSPACE_URI)))

    uri = azureml_tracking_uri(FULL_CONFIG, environ={}, ml_client=client)

    assert uri == WORKSPACE_URI
    assert client.workspaces.requested == ["ws-1"]


def test_unreadable_workspace_raises_setup_error_about_credentials(azureml_mlflow_present):
    client = FakeMLClient(FakeWorkspaces(error=PermissionError("AuthorizationFailed")))

    with pytest.raises(TrackingSetupError, match="check credentials") as raised:
        azureml_tracking_uri(FULL_CONFIG, environ={}, ml_client=client)
    assert isinstance(raised.value.__cause__, PermissionError)


def test_workspace_without_a_tracking_uri_raises_setup_error(azureml_mlflow_present):
    client = FakeMLClient(FakeWorkspaces(FakeWorkspace(None)))

    with pytest.raises(TrackingSetupError, match="no MLflow tracking URI"):
        azureml_tracking_uri(FULL_CONFIG, environ={}, ml_client=client)


@pytest.mark.parametrize(
    ("uri", "expected"),
    [(WORKSPACE_URI, True), ("AzureML://x", True), ("http://127.0.0.1:5000", False), (None, False)],
)
def test_azureml_uris_are_recognised(uri, expected):
    assert is_azureml_uri(uri) is expected


@pytest.mark.skipif(AZURE_EXTRA_INSTALLED, reason="the Azure extra is installed here")
def test_artifact_patch_is_a_no_op_without_the_extra(monkeypatch):
    _unset_restoring(monkeypatch, ARTIFACT_TIMEOUT_ENV)

    assert apply_azureml_artifact_patch() is False
    assert ARTIFACT_TIMEOUT_ENV not in os.environ


def test_artifact_patch_retries_a_builder_that_rejects_extra_arguments_and_leaves_the_environment(
    azureml_mlflow_present, monkeypatch
):
    from mlflow.store.artifact.artifact_repository_registry import _artifact_repository_registry

    _unset_restoring(monkeypatch, ARTIFACT_TIMEOUT_ENV)
    built: list[str] = []

    def strict_builder(artifact_uri: str) -> str:
        built.append(artifact_uri)
        return f"repo:{artifact_uri}"

    monkeypatch.setitem(_artifact_repository_registry._registry, "azureml", strict_builder)

    assert apply_azureml_artifact_patch() is True
    assert apply_azureml_artifact_patch() is True  # idempotent: not wrapped twice
    patched = _artifact_repository_registry._registry["azureml"]
    repo = patched("azureml://artifacts", tracking_uri="azureml://t", registry_uri=None)

    assert repo == "repo:azureml://artifacts"
    assert built == ["azureml://artifacts"]
    assert ARTIFACT_TIMEOUT_ENV not in os.environ  # the command line sets it


@dataclass
class FakeAzureSdk:
    """What the stand-in ``azure.ai.ml.MLClient`` was built with and asked."""

    workspace: FakeWorkspace | None = None
    error: Exception | None = None
    built_with: list[dict] = field(default_factory=list)
    workspaces: FakeWorkspaces | None = None


@pytest.fixture
def azure_sdk(monkeypatch: pytest.MonkeyPatch, azureml_mlflow_present) -> FakeAzureSdk:
    """Stand-ins for ``azure.ai.ml.MLClient`` and ``azure.identity.DefaultAzureCredential``,
    as if the Azure extra were installed; the workspace answers with ``WORKSPACE_URI``."""
    sdk = FakeAzureSdk(workspace=FakeWorkspace(WORKSPACE_URI))

    class DefaultAzureCredential:
        pass

    class MLClient:
        def __init__(self, *, credential, subscription_id, resource_group_name, workspace_name):
            sdk.built_with.append(
                {
                    "credential": type(credential).__name__,
                    "subscription_id": subscription_id,
                    "resource_group_name": resource_group_name,
                    "workspace_name": workspace_name,
                }
            )
            sdk.workspaces = FakeWorkspaces(sdk.workspace, sdk.error)
            self.workspaces = sdk.workspaces

    modules = {
        "azure": types.ModuleType("azure"),
        "azure.ai": types.ModuleType("azure.ai"),
        "azure.ai.ml": types.ModuleType("azure.ai.ml"),
        "azure.identity": types.ModuleType("azure.identity"),
    }
    modules["azure"].__path__ = []
    modules["azure.ai"].__path__ = []
    modules["azure.ai.ml"].MLClient = MLClient
    modules["azure.identity"].DefaultAzureCredential = DefaultAzureCredential
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    return sdk


def _azure_mlflow_config():
    from resume_ner.config.mlflow import MlflowConfig

    return MlflowConfig(azure_ml=FULL_CONFIG)


def test_with_azure_ml_enabled_the_tracking_uri_comes_from_the_workspace(azure_sdk, tmp_path):
    from resume_ner.config.paths import ProjectPaths
    from resume_ner.tracking.setup import resolve_tracking_uri

    uri = resolve_tracking_uri(_azure_mlflow_config(), ProjectPaths.at(tmp_path), environ={})

    assert uri == WORKSPACE_URI
    assert azure_sdk.built_with == [
        {
            "credential": "DefaultAzureCredential",
            "subscription_id": "sub-1",
            "resource_group_name": "rg-1",
            "workspace_name": "ws-1",
        }
    ]


def test_setting_up_azure_ml_tracking_applies_the_artifact_patch(azure_sdk, tmp_path, monkeypatch):
    from mlflow.store.artifact.artifact_repository_registry import _artifact_repository_registry

    from resume_ner.config.paths import ProjectPaths
    from resume_ner.tracking.setup import setup_mlflow

    _unset_restoring(monkeypatch, ARTIFACT_TIMEOUT_ENV)
    monkeypatch.setitem(
        _artifact_repository_registry._registry, "azureml", lambda artifact_uri: artifact_uri
    )
    setup = setup_mlflow(_azure_mlflow_config(), paths=ProjectPaths.at(tmp_path), environ={})

    assert setup.is_azure and setup.tracking_uri == WORKSPACE_URI and setup.artifact_root is None
    builder = _artifact_repository_registry._registry["azureml"]
    assert builder("azureml://artifacts", tracking_uri=WORKSPACE_URI) == "azureml://artifacts"


def test_run_urls_of_the_workspace_point_at_azure_ml_studio(azure_sdk, tmp_path):
    from resume_ner.config.paths import ProjectPaths
    from resume_ner.tracking.setup import resolve_tracking_uri
    from resume_ner.tracking.urls import get_mlflow_run_url

    uri = resolve_tracking_uri(_azure_mlflow_config(), ProjectPaths.at(tmp_path), environ={})

    assert get_mlflow_run_url(uri, "exp-7", "run-9") == (
        "https://ml.azure.com/experiments/id/exp-7/runs/run-9"
        "?wsid=/subscriptions/sub-1/resourcegroups/rg-1/workspaces/ws-1"
    )


def test_missing_credentials_raise_setup_error_saying_how_to_sign_in(azure_sdk, tmp_path):
    from resume_ner.config.paths import ProjectPaths
    from resume_ner.tracking.setup import resolve_tracking_uri

    azure_sdk.error = RuntimeError(
        "DefaultAzureCredential failed to retrieve a token from the included credentials"
    )

    with pytest.raises(TrackingSetupError, match="az login") as raised:
        resolve_tracking_uri(_azure_mlflow_config(), ProjectPaths.at(tmp_path), environ={})
    assert "DefaultAzureCredential failed" in str(raised.value)


def test_missing_azure_ai_ml_names_the_extra_to_install(
    azureml_mlflow_present, monkeypatch, tmp_path
):
    from resume_ner.config.paths import ProjectPaths
    from resume_ner.tracking.setup import resolve_tracking_uri

    monkeypatch.setitem(sys.modules, "azure.ai.ml", None)  # import fails as if not installed

    with pytest.raises(TrackingSetupError, match=r"azure-ai-ml.*pip install 'resume-ner\[azure\]'"):
        resolve_tracking_uri(_azure_mlflow_config(), ProjectPaths.at(tmp_path), environ={})


@pytest.mark.skipif(AZURE_EXTRA_INSTALLED, reason="the Azure extra is installed here")
def test_opening_tracking_for_azure_ml_without_the_extra_fails_before_creating_anything(tmp_path):

    from resume_ner.config.paths import ProjectPaths
    from resume_ner.config.project import ProjectConfig
    from resume_ner.tracking.context import TrackingContext

    project = ProjectConfig.load().replace(mlflow=_azure_mlflow_config())
    with pytest.raises(TrackingSetupError, match=r"pip install 'resume-ner\[azure\]'"):
        TrackingContext.open(ProjectPaths.at(tmp_path / "project"), project, environ={})
    assert not (tmp_path / "project").exists()
