"""Run URLs for a tracking server, Azure ML studio and the local UI of a database store."""

from __future__ import annotations

import pytest

from resume_ner.tracking.urls import get_mlflow_run_url

AZURE_URI = (
    "azureml://westeurope.api.azureml.ms/mlflow/v2.0/subscriptions/sub-123"
    "/resourceGroups/rg-ner/providers/Microsoft.MachineLearningServices/workspaces/ws-ner"
)


def test_tracking_server_url_points_at_the_run_in_its_own_ui():
    url = get_mlflow_run_url("http://mlflow.internal:5000/", "7", "abc123")

    assert url == (
        "http://mlflow.internal:5000/#/experiments/7/runs/abc123?workflowType=machine_learning"
    )


def test_https_server_under_a_path_keeps_the_path():
    url = get_mlflow_run_url("https://example.org/mlflow", "1", "r1")

    assert url == "https://example.org/mlflow/#/experiments/1/runs/r1?workflowType=machine_learning"


def test_azure_ml_url_points_at_the_run_in_azure_ml_studio():
    url = get_mlflow_run_url(AZURE_URI, "exp-guid", "run-42")

    assert url == (
        "https://ml.azure.com/experiments/id/exp-guid/runs/run-42"
        "?wsid=/subscriptions/sub-123/resourcegroups/rg-ner/workspaces/ws-ner"
    )


def test_azure_ml_uri_with_a_query_string_is_still_understood():
    url = get_mlflow_run_url(AZURE_URI + "?api-version=2023", "e", "r")

    assert url.endswith("?wsid=/subscriptions/sub-123/resourcegroups/rg-ner/workspaces/ws-ner")


def test_azure_ml_uri_without_a_workspace_raises_value_error():
    broken = "azureml://westeurope.api.azureml.ms/mlflow/v2.0/subscriptions/sub-123"

    with pytest.raises(ValueError, match="resourcegroups, workspaces"):
        get_mlflow_run_url(broken, "e", "r")


@pytest.mark.parametrize(
    "uri",
    [
        "sqlite:////home/me/project/mlruns/mlflow.db",
        "file:///home/me/project/mlruns",
        "postgresql+psycopg://user@db:5432/mlflow",
        "/home/me/project/mlruns",
    ],
)
def test_store_without_a_ui_points_at_the_local_mlflow_ui(uri):
    url = get_mlflow_run_url(uri, "3", "r9")

    assert url == "http://127.0.0.1:5000/#/experiments/3/runs/r9?workflowType=machine_learning"
    assert uri not in url


def test_local_ui_address_can_be_given():
    url = get_mlflow_run_url("sqlite:///mlflow.db", "3", "r9", ui_url="http://localhost:8080/")

    assert url == "http://localhost:8080/#/experiments/3/runs/r9?workflowType=machine_learning"


def test_a_tracking_server_is_linked_at_its_own_address_whatever_ui_url_says():
    url = get_mlflow_run_url("http://mlflow.team:8443", "7", "r1", ui_url="http://127.0.0.1:5000")

    assert url.startswith("http://mlflow.team:8443/#/experiments/7/runs/r1?")


def test_every_mlflow_ui_link_opens_the_model_training_view():
    for uri in ("http://mlflow.team:8443", "sqlite:///mlflow.db", "/srv/mlruns"):
        url = get_mlflow_run_url(uri, "7", "r1")

        assert url.endswith("/runs/r1?workflowType=machine_learning")


def test_unknown_scheme_without_a_ui_url_raises_value_error():
    with pytest.raises(ValueError, match="ui_url"):
        get_mlflow_run_url("databricks://profile", "1", "r")
