"""The project's experiment ids: existing, active, of this project only, never created."""

from __future__ import annotations

from resume_ner.naming.policy import build_mlflow_experiment_name
from resume_ner.tracking.experiments import project_experiment_ids


def _names(client) -> set[str]:
    from mlflow.entities import ViewType

    return {e.name for e in client.search_experiments(view_type=ViewType.ALL)}


def test_the_project_experiments_that_exist_are_found_by_name(project):
    hpo = project.experiment(build_mlflow_experiment_name("hpo_sweep", project.policy))
    training = project.experiment(build_mlflow_experiment_name("final_training", project.policy))

    found = project_experiment_ids(project.client, project.policy)

    assert found == {"resume-ner-hpo": hpo, "resume-ner-training": training}


def test_a_deleted_experiment_of_the_project_is_left_out(project):
    project.experiment("resume-ner-hpo")
    deleted = project.experiment("resume-ner-training")
    project.client.delete_experiment(deleted)

    assert list(project_experiment_ids(project.client, project.policy)) == ["resume-ner-hpo"]
    assert (
        project_experiment_ids(project.client, project.policy, names=["resume-ner-training"]) == {}
    )


def test_another_projects_experiment_is_left_out(project):
    project.experiment("other-project-hpo")
    project.experiment("resume-ner-hpo-copy")
    ours = project.experiment("resume-ner-hpo")

    assert project_experiment_ids(project.client, project.policy) == {"resume-ner-hpo": ours}


def test_process_types_narrow_the_search_to_their_stage_groups(project):
    project.experiment("resume-ner-hpo")
    training = project.experiment("resume-ner-training")

    found = project_experiment_ids(project.client, project.policy, process_types=["final_training"])

    assert found == {"resume-ner-training": training}


def test_nothing_is_created_or_restored(project):
    deleted = project.experiment("resume-ner-conversion")
    project.client.delete_experiment(deleted)
    before = _names(project.client)

    assert project_experiment_ids(project.client, project.policy) == {}
    assert project_experiment_ids(project.client, project.policy, names=["resume-ner-new"]) == {}

    assert _names(project.client) == before
    assert project.client.get_experiment(deleted).lifecycle_stage == "deleted"
