"""The store readers: SQLite through MLflow's schema and a tracking server over REST answer as
MLflow's own client does, and neither imports MLflow."""

from __future__ import annotations

import subprocess
import sys

import pytest

from resume_ner.tracking.store.base import RunQuery, open_store_reader
from resume_ner.tracking.store.client import ClientStoreReader
from resume_ner.tracking.store.rest import RestStoreReader
from resume_ner.tracking.store.sqlite import SqliteStoreReader

READ_IN_A_FRESH_PROCESS = """
import sys
from resume_ner.tracking.store.base import RunQuery, open_store_reader
reader = open_store_reader(sys.argv[1])
run = reader.get_run(sys.argv[2])
print(run.info.lifecycle_stage, len(reader.search_runs([run.info.experiment_id], RunQuery())))
print(sorted(m for m in sys.modules if m == "mlflow" or m.startswith("mlflow.")))
"""


@pytest.fixture(params=["sqlite", "server"])
def store(request):
    """A project on SQLite or on the session's server, with its reader."""
    project = request.getfixturevalue("project" if request.param == "sqlite" else "server_project")
    return project, open_store_reader(project.tracking_uri)


def _tagged_runs(project):
    experiment = project.experiment()
    client = project.client
    first = client.create_run(experiment, run_name="first", tags={"k": "a", "stage": "x"})
    second = client.create_run(experiment, run_name="second", tags={"k": "b", "stage": "x"})
    client.log_metric(second.info.run_id, "f1", 0.5)
    client.log_metric(second.info.run_id, "f1", 0.75)
    client.set_terminated(second.info.run_id, "FINISHED")
    deleted = client.create_run(experiment, run_name="gone", tags={"k": "a", "stage": "x"})
    client.delete_run(deleted.info.run_id)
    return experiment, first.info.run_id, second.info.run_id, deleted.info.run_id


def test_the_uri_picks_the_reader(project, server_project):
    assert isinstance(open_store_reader(project.tracking_uri), SqliteStoreReader)
    assert isinstance(open_store_reader(server_project.tracking_uri), RestStoreReader)


def test_a_run_is_read_with_its_tags_metrics_and_state(store):
    project, reader = store
    _, _, second, deleted = _tagged_runs(project)

    run = reader.get_run(second)

    assert (run.info.run_name, run.info.status, run.info.lifecycle_stage) == (
        "second",
        "FINISHED",
        "active",
    )
    assert run.data.tags["k"] == "b"
    assert run.data.metrics == {"f1": 0.75}
    assert reader.get_run(deleted).info.lifecycle_stage == "deleted"
    assert reader.get_run("0" * 32) is None


def test_experiments_are_found_by_name_and_missing_ones_left_out(store):
    project, reader = store
    experiment = project.experiment()
    assert reader.experiment_ids([project.default_experiment, "no-such-experiment"]) == {
        project.default_experiment: experiment
    }


def test_a_search_selects_by_tags_status_and_deletion_in_start_order(store):
    project, reader = store
    experiment, first, second, deleted = _tagged_runs(project)

    def ids(**query) -> list[str]:
        return [run.info.run_id for run in reader.search_runs([experiment], RunQuery(**query))]

    assert ids() == [second, first]
    assert ids(oldest_first=True) == [first, second]
    assert ids(tags={"k": "a"}) == [first]
    assert ids(status="FINISHED") == [second]
    assert ids(has_tag="k", include_deleted=True) == [deleted, second, first]
    assert ids(max_results=1) == [second]


def test_the_readers_agree_with_mlflows_client(store):
    project, reader = store
    experiment, *_ = _tagged_runs(project)
    through_client = ClientStoreReader(project.client)

    def view(runs):
        return [
            (r.info.run_id, r.info.status, dict(r.data.tags), dict(r.data.metrics)) for r in runs
        ]

    for query in (RunQuery(), RunQuery(tags={"stage": "x"}, include_deleted=True)):
        assert view(reader.search_runs([experiment], query)) == view(
            through_client.search_runs([experiment], query)
        )


def test_a_model_alias_and_version_name_their_run(store):
    project, reader = store
    run = project.client.create_run(project.experiment())
    name = f"model-{project.default_experiment}"
    project.client.create_registered_model(name)
    version = project.client.create_model_version(
        name, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id
    )
    project.client.set_registered_model_alias(name, "champion", version.version)

    number = str(version.version)
    assert reader.model_version_run(name, alias="champion") == (number, run.info.run_id)
    assert reader.model_version_run(name, version=number) == (number, run.info.run_id)
    assert reader.model_version_run(name, alias="nobody") is None


def test_reading_never_imports_mlflow(store):
    project, _ = store
    run = project.client.create_run(project.experiment())
    result = subprocess.run(
        [sys.executable, "-c", READ_IN_A_FRESH_PROCESS, project.tracking_uri, run.info.run_id],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split("\n")[:2] == ["active 1", "[]"]


@pytest.mark.parametrize(
    ("environ", "header"),
    [
        ({"MLFLOW_TRACKING_TOKEN": "t0k"}, {"Authorization": "Bearer t0k"}),
        (
            {"MLFLOW_TRACKING_USERNAME": "user", "MLFLOW_TRACKING_PASSWORD": "pass"},
            {"Authorization": "Basic dXNlcjpwYXNz"},
        ),
        ({"MLFLOW_TRACKING_USERNAME": "user"}, {}),
        ({}, {}),
    ],
    ids=["token", "user-and-password", "user-alone", "none"],
)
def test_a_server_is_sent_the_credentials_mlflow_would_send(environ, header):
    from resume_ner.tracking.store.rest import auth_headers

    assert auth_headers(environ) == header
