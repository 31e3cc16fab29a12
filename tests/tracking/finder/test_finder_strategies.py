"""find_mlflow_run: each strategy, in priority order, on a real SQLite MLflow store."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from finder_helpers import experiment_name_of, run_key_hash_of, training_context

from resume_ner.tracking.finder import find_mlflow_run
from resume_ner.tracking.index.run_index import find_in_mlflow_index, update_mlflow_index
from resume_ner.tracking.index.sql import SqlIndexBackend
from resume_ner.tracking.stage_runs import start_stage_run


def find(tracking, **lookup):
    lookup.setdefault("registry", tracking.registry)
    lookup.setdefault("strict", False)
    return find_mlflow_run(tracking.reader, experiment_name_of(tracking), **lookup)


def write_metadata(folder: Path, run_id: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metadata.json").write_text(json.dumps({"mlflow": {"run_id": run_id}}))
    return folder


def test_finder_takes_the_explicit_run_id_first(tracking, make_run, tmp_path):
    wanted = make_run(training_context())
    other = make_run(training_context())
    output_dir = write_metadata(tmp_path / "out", other.info.run_id)

    report = find(tracking, run_id=wanted.info.run_id, output_dir=output_dir)

    assert report.found
    assert report.run_id == wanted.info.run_id
    assert report.strategy_used == "direct_run_id"
    assert report.strategies_attempted == ["direct_run_id"]
    assert report.errors == []
    assert report.run is not None and report.run.info.run_id == wanted.info.run_id


def test_finder_reads_the_run_id_from_metadata_json(tracking, make_run, tmp_path):
    run = make_run(training_context())
    output_dir = write_metadata(tmp_path / "out", run.info.run_id)

    report = find(tracking, output_dir=output_dir, context=training_context(), index=tracking.index)

    assert report.run_id == run.info.run_id
    assert report.strategy_used == "metadata_json"
    assert report.strategies_attempted == ["metadata_json"]


def test_finder_uses_the_run_index_when_the_output_folder_has_no_metadata(tracking, tmp_path):
    stage_run = start_stage_run(tracking, training_context())

    report = find(
        tracking, output_dir=tmp_path / "empty", context=training_context(), index=tracking.index
    )

    assert report.run_id == stage_run.run_id
    assert report.strategy_used == "local_index"
    assert report.strategies_attempted == ["metadata_json", "local_index"]
    assert report.errors == []


def test_finder_searches_the_run_key_hash_tag_when_the_index_has_no_entry(tracking, make_run):
    run = make_run(training_context())

    report = find(tracking, context=training_context(), index=tracking.index)

    assert report.run_id == run.info.run_id
    assert report.strategy_used == "tag_run_key_hash"
    assert report.strategies_attempted == ["local_index", "tag_run_key_hash"]


def test_finder_takes_the_newest_run_with_the_run_key_hash(tracking, make_run):
    make_run(training_context())
    newest = make_run(training_context())

    report = find(tracking, run_key_hash=run_key_hash_of(training_context()))

    assert report.run_id == newest.info.run_id
    assert report.strategy_used == "tag_run_key_hash"


def test_finder_replaces_a_stale_index_entry_by_the_run_its_tag_search_finds(tracking, make_run):
    context = training_context()
    stage_run = start_stage_run(tracking, context)
    tracking.client.delete_run(stage_run.run_id)
    survivor = make_run(context)

    report = find(tracking, context=context, index=tracking.index)

    assert report.run_id == survivor.info.run_id
    assert report.strategy_used == "tag_run_key_hash"
    assert report.strategies_attempted == ["local_index", "tag_run_key_hash"]
    assert any("local_index" in e and "stale" in e and stage_run.run_id in e for e in report.errors)
    entry = find_in_mlflow_index(tracking.index, stage_run.run_key_hash)
    assert entry.run_id == survivor.info.run_id


def test_finder_replaces_an_index_entry_whose_run_never_existed(tracking, make_run):
    context = training_context()
    key_hash = run_key_hash_of(context)
    experiment_id = tracking.experiment_id_for("final_training")
    update_mlflow_index(tracking.index, key_hash, "0" * 32, experiment_id)
    run = make_run(context)

    report = find(tracking, run_key_hash=key_hash, index=tracking.index, strict=True)

    assert report.run_id == run.info.run_id
    assert report.strategy_used == "tag_run_key_hash"
    assert any("does not exist" in e for e in report.errors)
    assert find_in_mlflow_index(tracking.index, key_hash).run_id == run.info.run_id


def test_finder_keeps_an_index_entry_that_belongs_to_another_experiment(tracking, make_run):
    context = training_context()
    stage_run = start_stage_run(tracking, context)
    other_experiment = tracking.client.create_experiment("elsewhere")

    report = find_mlflow_run(
        tracking.reader,
        "elsewhere",
        registry=tracking.registry,
        context=context,
        index=tracking.index,
        strict=False,
    )

    assert not report.found
    assert other_experiment
    assert find_in_mlflow_index(tracking.index, stage_run.run_key_hash).run_id == stage_run.run_id


def test_finder_matches_stage_model_env_spec_and_variant_tags_when_not_strict(tracking, make_run):
    same_spec = make_run(training_context(exec_fp="c" * 64))
    make_run(training_context(exec_fp="d" * 64, variant=2))

    report = find(tracking, context=training_context(), index=tracking.index)

    assert report.run_id == same_spec.info.run_id
    assert report.strategy_used == "tag_context"
    assert report.strategies_attempted == ["local_index", "tag_run_key_hash", "tag_context"]


def test_finder_matches_the_run_name_when_the_context_tags_do_not_match(tracking, make_run):
    named = make_run(training_context(model="bert-base"), run_name="my-training-run")
    make_run(training_context(model="bert-base"), run_name="another-run")

    report = find(tracking, context=training_context(run_name="my-training-run"))

    assert report.run_id == named.info.run_id
    assert report.strategy_used == "run_name"
    assert report.strategies_attempted == ["tag_run_key_hash", "tag_context", "run_name"]


def test_finder_falls_back_to_the_newest_run_of_the_same_stage(tracking, make_run):
    older = make_run(training_context(model="roberta"))
    newest = make_run(training_context(model="deberta"))

    report = find(tracking, context=training_context())

    assert report.run_id == newest.info.run_id != older.info.run_id
    assert report.strategy_used == "most_recent"
    assert report.strategies_attempted == ["tag_run_key_hash", "tag_context", "most_recent"]


def test_most_recent_never_attaches_to_a_newer_run_of_another_stage(tracking, make_run):
    training = make_run(training_context(model="roberta"))
    conversion = training_context(
        process_type="conversion", parent_training_id="p", conv_fp="e" * 64
    )
    newer_of_another_stage = make_run(
        conversion, experiment_id=tracking.experiment_id_for("final_training")
    )

    report = find(tracking, context=training_context())

    assert newer_of_another_stage.info.start_time > training.info.start_time
    assert report.run_id == training.info.run_id
    assert report.strategy_used == "most_recent"


def test_most_recent_finds_nothing_when_only_other_stages_have_runs(tracking, make_run):
    sweep_context = training_context(process_type="hpo_sweep", study_key_hash="9" * 64)
    make_run(training_context())

    report = find_mlflow_run(
        tracking.reader,
        experiment_name_of(tracking),
        registry=tracking.registry,
        context=sweep_context,
        strict=False,
    )

    assert not report.found
    assert report.strategies_attempted == ["tag_run_key_hash", "tag_context", "most_recent"]


def test_a_failing_strategy_is_recorded_and_the_next_one_is_tried(tracking, make_run, tmp_path):
    run = make_run(training_context())
    output_dir = tmp_path / "out"
    output_dir.mkdir()
    (output_dir / "metadata.json").write_text("{not json")

    report = find(tracking, output_dir=output_dir, context=training_context())

    assert report.run_id == run.info.run_id
    assert report.strategy_used == "tag_run_key_hash"
    assert report.strategies_attempted == ["metadata_json", "tag_run_key_hash"]
    assert len(report.errors) == 1 and report.errors[0].startswith("metadata_json: JSONDecodeError")


def test_an_unknown_run_id_is_recorded_and_the_search_goes_on(tracking, make_run):
    run = make_run(training_context())

    report = find(tracking, run_id="f" * 32, context=training_context(), strict=True)

    assert report.run_id == run.info.run_id
    assert report.strategies_attempted == ["direct_run_id", "tag_run_key_hash"]
    assert report.errors[0] == f"direct_run_id: run {'f' * 32} does not exist"


def test_a_run_id_from_another_experiment_is_not_accepted(tracking, make_run, project):
    stranger = project.client.create_run(project.experiment("other-experiment"))
    run = make_run(training_context())

    report = find(tracking, run_id=stranger.info.run_id, context=training_context())

    assert report.run_id == run.info.run_id
    assert report.strategy_used == "tag_run_key_hash"
    assert any("direct_run_id" in e and "not" in e and "experiment" in e for e in report.errors)


def test_a_deleted_run_is_not_found_by_its_id(tracking, make_run):
    run = make_run(training_context())
    tracking.client.delete_run(run.info.run_id)

    report = find(tracking, run_id=run.info.run_id)

    assert not report.found
    assert report.errors == [f"direct_run_id: run {run.info.run_id} is deleted"]


def test_a_deleted_run_is_not_found_by_its_tags(tracking, make_run):
    run = make_run(training_context())
    tracking.client.delete_run(run.info.run_id)

    report = find(tracking, context=training_context())

    assert not report.found
    assert report.strategies_attempted == ["tag_run_key_hash", "tag_context", "most_recent"]


def test_an_incomplete_context_is_reported_and_the_fallbacks_still_run(tracking, make_run):
    run = make_run(training_context())

    report = find(tracking, context=training_context(exec_fp=None))

    assert report.run_id == run.info.run_id
    assert report.strategy_used == "tag_context"
    assert report.strategies_attempted == ["tag_context"]
    assert report.errors and report.errors[0].startswith("run key:")


@pytest.mark.parametrize("status", ["RUNNING", "FAILED", "KILLED"])
def test_the_run_key_hash_finds_runs_in_any_status(tracking, make_run, status):
    run = make_run(training_context(), status=None if status == "RUNNING" else status)

    report = find(tracking, context=training_context(), strict=True)

    assert report.run_id == run.info.run_id
    assert report.run.info.status == status


def test_a_locked_index_is_recorded_and_the_tag_search_goes_on(tracking, make_run, tmp_path):
    index = SqlIndexBackend(f"sqlite:///{tmp_path / 'index.db'}", busy_timeout_s=0.2)
    run = make_run(training_context())
    writer = sqlite3.connect(tmp_path / "index.db", isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")  # another process is writing the index
    try:
        report = find(tracking, context=training_context(), index=index, strict=True)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        index.close()

    assert report.run_id == run.info.run_id
    assert report.strategies_attempted == ["local_index", "tag_run_key_hash"]
    assert report.errors[0].startswith("local_index: IndexBackendError")
