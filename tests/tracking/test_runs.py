"""Run creation, nesting and experiment resolution on a real MLflow store."""

from __future__ import annotations

import pytest

from resume_ner.tracking.errors import RunCreationError
from resume_ner.tracking.lifecycle import terminate_run_safe
from resume_ner.tracking.runs import (
    create_child_run_core,
    create_run_safe,
    get_or_create_experiment,
    resolve_experiment_id,
)


@pytest.fixture(params=["sqlite", pytest.param("server", marks=pytest.mark.server)])
def store_project(request):
    """The same test on the SQLite store and through a real ``mlflow server``."""
    return request.getfixturevalue("project" if request.param == "sqlite" else "server_project")


def _parent(project, name: str = "parent") -> str:
    return create_run_safe(project.client, project.experiment(), name).info.run_id


def test_child_run_is_nested_under_its_parent_with_name_and_trial_tags(store_project):
    parent_id = _parent(store_project)
    run_id, _run = create_child_run_core(
        parent_id,
        "child",
        client=store_project.client,
        registry=store_project.registry,
        trial_number=3,
        fold_idx=1,
    )
    stored = store_project.client.get_run(run_id)
    assert stored.data.tags["mlflow.parentRunId"] == parent_id
    assert stored.info.run_name == "child"
    assert stored.data.tags["code.hpo.trial_number"] == "3"
    assert stored.data.tags["code.hpo.fold_idx"] == "1"
    assert stored.info.experiment_id == store_project.client.get_run(parent_id).info.experiment_id
    assert "azureml.runType" not in stored.data.tags


def test_child_run_on_azure_carries_the_trial_run_type_tags(project):
    run_id, _ = create_child_run_core(
        _parent(project), "child", client=project.client, registry=project.registry, is_azure=True
    )
    tags = project.client.get_run(run_id).data.tags
    assert tags["azureml.runType"] == "trial"
    assert tags["azureml.trial"] == "true"


def test_child_run_for_a_missing_parent_raises_instead_of_creating_a_top_level_run(store_project):
    store_project.experiment()
    with pytest.raises(RunCreationError):
        create_child_run_core(
            "0" * 32, "orphan", client=store_project.client, registry=store_project.registry
        )
    runs = store_project.client.search_runs([store_project.experiment()])
    assert [r.info.run_name for r in runs] == []


def test_empty_run_name_is_refused(project):
    with pytest.raises(RunCreationError):
        create_run_safe(project.client, project.experiment(), "  ")


def test_experiment_resolution_prefers_parent_then_name_then_active_run(store_project):
    first = store_project.experiment("first")
    second = store_project.experiment("second")
    parent = create_run_safe(store_project.client, first, "p")
    assert (
        resolve_experiment_id(
            store_project.client, experiment_name="second", parent_run_id=parent.info.run_id
        )
        == first
    )
    assert (
        resolve_experiment_id(store_project.client, experiment_name="second", active_run=parent)
        == second
    )
    assert (
        resolve_experiment_id(store_project.client, experiment_name="missing", active_run=parent)
        == first
    )
    assert resolve_experiment_id(store_project.client, experiment_name="missing") is None


def test_get_or_create_experiment_is_idempotent_and_restores_a_deleted_one(project):
    first = get_or_create_experiment(project.client, "exp")
    assert get_or_create_experiment(project.client, "exp") == first
    project.client.delete_experiment(first)
    assert get_or_create_experiment(project.client, "exp") == first
    assert project.client.get_experiment(first).lifecycle_stage == "active"


def test_terminate_run_safe_sets_tags_even_on_an_already_ended_run(store_project):
    run_id = _parent(store_project)
    assert terminate_run_safe(store_project.client, run_id, "FINISHED")
    assert terminate_run_safe(store_project.client, run_id, "KILLED", tags={"code.note": "late"})
    run = store_project.client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags["code.note"] == "late"
