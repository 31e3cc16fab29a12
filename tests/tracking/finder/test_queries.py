"""Run queries: every page is read, tags and status are filtered by the server."""

from __future__ import annotations

import pytest
from mlflow.entities import Metric, Run, RunData, RunInfo, RunTag
from mlflow.tracking import MlflowClient

from resume_ner.tracking.filters import tag_equals
from resume_ner.tracking.queries import (
    query_runs_by_tags,
    search_all_runs,
)


class CountingClient(MlflowClient):
    """A real client that counts its ``search_runs`` requests and the page sizes asked for."""

    def __init__(self, tracking_uri: str) -> None:
        super().__init__(tracking_uri=tracking_uri)
        self.page_sizes: list[int] = []

    def search_runs(self, *args, **kwargs):
        self.page_sizes.append(kwargs["max_results"])
        return super().search_runs(*args, **kwargs)


@pytest.fixture
def client(project) -> CountingClient:
    return CountingClient(project.tracking_uri)


def make_runs(client, experiment_id: str, count: int, tags: dict[str, str], status="FINISHED"):
    ids = []
    for _ in range(count):
        run_id = client.create_run(experiment_id, tags=tags).info.run_id
        client.set_terminated(run_id, status)
        ids.append(run_id)
    return ids


def test_search_all_runs_follows_page_tokens_past_the_first_page(client, project):
    experiment = project.experiment()
    ids = make_runs(client, experiment, 7, {"group": "a"})

    runs = search_all_runs(client, [experiment], page_size=3)

    assert sorted(run.info.run_id for run in runs) == sorted(ids)
    assert client.page_sizes == [3, 3, 3]


def test_search_all_runs_stops_at_max_results_and_asks_for_no_more(client, project):
    experiment = project.experiment()
    make_runs(client, experiment, 7, {"group": "a"})

    runs = search_all_runs(client, [experiment], max_results=4, page_size=3)

    assert len(runs) == 4
    assert len(client.page_sizes) == 2


def test_search_all_runs_keeps_the_requested_order(client, project):
    experiment = project.experiment()
    for name in ("b", "c", "a"):
        client.create_run(experiment, run_name=name)

    runs = search_all_runs(client, [experiment], order_by=["attributes.run_name ASC"], page_size=2)

    assert [run.info.run_name for run in runs] == ["a", "b", "c"]


def test_search_all_runs_of_no_experiment_is_empty(client):
    assert search_all_runs(client, []) == []
    assert client.page_sizes == []


def test_query_by_tags_reads_every_page_of_matching_runs(client, project):
    experiment = project.experiment()
    wanted = make_runs(client, experiment, 5, {"code.stage": "hpo_trial", "code.model": "bert"})
    make_runs(client, experiment, 3, {"code.stage": "hpo_trial", "code.model": "roberta"})

    runs = query_runs_by_tags(
        client, [experiment], {"code.stage": "hpo_trial", "code.model": "bert"}, page_size=2
    )

    assert sorted(run.info.run_id for run in runs) == sorted(wanted)
    assert len(client.page_sizes) == 3  # 2 + 2 + 1: the server filtered, nothing else came back


def test_query_by_tags_returns_finished_runs_by_default(client, project):
    experiment = project.experiment()
    finished = make_runs(client, experiment, 2, {"code.stage": "hpo_trial"})
    failed = make_runs(client, experiment, 1, {"code.stage": "hpo_trial"}, status="FAILED")

    by_default = query_runs_by_tags(client, [experiment], {"code.stage": "hpo_trial"})
    any_status = query_runs_by_tags(client, [experiment], {"code.stage": "hpo_trial"}, status=None)

    assert sorted(r.info.run_id for r in by_default) == sorted(finished)
    assert sorted(r.info.run_id for r in any_status) == sorted(finished + failed)


def test_query_by_tags_combines_with_a_caller_filter(client, project):
    experiment = project.experiment()
    make_runs(client, experiment, 2, {"code.stage": "hpo_trial", "code.env": "local"})
    (wanted,) = make_runs(client, experiment, 1, {"code.stage": "hpo_trial", "code.env": "azure"})

    runs = query_runs_by_tags(
        client,
        [experiment],
        {"code.stage": "hpo_trial"},
        filter_string=tag_equals("code.env", "azure"),
    )

    assert [run.info.run_id for run in runs] == [wanted]


def run_with(
    run_id: str, metrics: dict[str, float] | None = None, tags: dict[str, str] | None = None
):
    info = RunInfo(run_id, "0", "u", "FINISHED", 0, 0, "active")
    data = RunData(
        metrics=[Metric(k, v, 0, 0) for k, v in (metrics or {}).items()],
        tags=[RunTag(k, v) for k, v in (tags or {}).items()],
    )
    return Run(info, data)
