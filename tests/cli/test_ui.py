"""The closing line on how to open the runs in MLflow's UI, on its "Model training" view."""

from __future__ import annotations

from resume_ner.cli.ui import ui_hint
from resume_ner.tracking.urls import get_mlflow_experiment_url


def test_a_local_store_needs_mlflow_ui_with_its_store_and_the_training_view():
    hint = ui_hint("sqlite:////work/p/mlruns/mlflow.db", "3")

    assert (
        " ui --backend-store-uri sqlite:////work/p/mlruns/mlflow.db --host 127.0.0.1 --port 5000"
        in hint
    )
    assert hint.endswith(
        "then open http://127.0.0.1:5000/#/experiments/3?workflowType=machine_learning "
        '("Model training" view)'
    )


def test_a_tracking_server_is_opened_as_it_is():
    hint = ui_hint("http://mlflow.internal:5000/", "7")

    assert hint == (
        "runs: open http://mlflow.internal:5000/#/experiments/7?workflowType=machine_learning "
        '("Model training" view)'
    )


def test_azure_ml_points_at_its_studio():
    uri = "azureml://westeurope.api.azureml.ms/mlflow/v2.0/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w"

    assert "ml.azure.com" in ui_hint(uri, "1")


def test_experiment_url_quotes_the_id():
    assert get_mlflow_experiment_url("file:///tmp/mlruns", "a/b").endswith(
        "#/experiments/a%2Fb?workflowType=machine_learning"
    )


def test_a_local_store_is_served_and_opened_at_the_configured_ui_address():
    hint = ui_hint("sqlite:////work/p/mlruns/mlflow.db", "3", ui_url="http://127.0.0.1:8765")

    assert " --host 127.0.0.1 --port 8765, then open http://127.0.0.1:8765/#/experiments/3?" in hint
    assert ":5000" not in hint
