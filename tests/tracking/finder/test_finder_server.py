"""The finder and the probe against a real ``mlflow server`` (REST store)."""

from __future__ import annotations

import pytest
from finder_helpers import experiment_name_of, training_context

from resume_ner.tracking.finder import find_mlflow_run
from resume_ner.tracking.stage_runs import start_stage_run

pytestmark = pytest.mark.server


def find(tracking, **lookup):
    return find_mlflow_run(
        tracking.reader,
        experiment_name_of(tracking),
        registry=tracking.registry,
        strict=True,
        **lookup,
    )


def test_server_lookup_by_run_id(server_tracking, make_server_run):
    run = make_server_run(training_context())

    report = find(server_tracking, run_id=run.info.run_id)

    assert report.run_id == run.info.run_id
    assert report.strategy_used == "direct_run_id"


def test_server_lookup_of_an_unknown_run_id_goes_on_to_the_tag_search(
    server_tracking, make_server_run
):
    run = make_server_run(training_context(model="server-tag"))

    report = find(server_tracking, run_id="0" * 32, context=training_context(model="server-tag"))

    assert report.run_id == run.info.run_id
    assert report.strategies_attempted == ["direct_run_id", "tag_run_key_hash"]
    assert report.errors[0].startswith("direct_run_id: ")
    assert report.errors[0].endswith("does not exist")


def test_server_lookup_through_the_index(server_tracking):
    context = training_context(model="server-index")
    stage_run = start_stage_run(server_tracking, context)

    report = find(server_tracking, context=context, index=server_tracking.index)

    assert report.run_id == stage_run.run_id
    assert report.strategy_used == "local_index"


def test_server_lookup_past_a_stale_index_entry(server_tracking, make_server_run):
    context = training_context(model="server-stale")
    stage_run = start_stage_run(server_tracking, context)
    server_tracking.client.delete_run(stage_run.run_id)
    survivor = make_server_run(context)

    report = find(server_tracking, context=context, index=server_tracking.index)

    assert report.run_id == survivor.info.run_id
    assert report.strategies_attempted == ["local_index", "tag_run_key_hash"]
