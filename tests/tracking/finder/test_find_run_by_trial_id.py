"""find_run_by_trial_id: the trial's FINISHED run, else its newest run, interrupted runs skipped."""

from __future__ import annotations

import pytest

from resume_ner.naming.context import NamingContext
from resume_ner.tracking.finder import find_run_by_trial_id

STUDY = "5" * 64
TRIAL = "7" * 64


def trial_context(**changes) -> NamingContext:
    base = NamingContext(
        "hpo_trial", "distilbert", study_key_hash=STUDY, trial_key_hash=TRIAL, trial_number=3
    )
    return base.with_changes(**changes)


def lookup(tracking, value: str):
    return find_run_by_trial_id(
        tracking.reader,
        value,
        registry=tracking.registry,
        experiment_ids=[tracking.experiment_id_for("hpo_trial")],
    )


def test_finds_the_trial_run_by_its_trial_key_hash(tracking, make_run):
    trial = make_run(trial_context())

    report = lookup(tracking, TRIAL)

    assert report.run_id == trial.info.run_id
    assert report.strategy_used == "tag_trial_key_hash"
    assert report.strategies_attempted == ["tag_trial_key_hash"]


def test_skips_interrupted_runs_and_takes_the_newest_other(tracking, make_run):
    finished = make_run(trial_context())
    make_run(trial_context(), extra={"process.interrupted": "true"}, status="KILLED")

    report = lookup(tracking, TRIAL)

    assert report.run_id == finished.info.run_id


def test_folds_and_refits_with_the_same_trial_key_are_not_the_trial(tracking, make_run):
    make_run(trial_context(process_type="hpo_trial_fold", fold_idx=0))

    report = lookup(tracking, TRIAL)

    assert not report.found
    assert report.strategies_attempted == ["tag_trial_key_hash", "tag_trial_id"]
    assert report.errors == []


def test_finds_the_trial_run_by_its_trial_id_tag(tracking, make_run):
    trial = make_run(trial_context(), extra={"hpo.trial_id": "trial_3_20260101"})

    report = lookup(tracking, "trial_3_20260101")

    assert report.run_id == trial.info.run_id
    assert report.strategy_used == "tag_trial_id"
    assert report.strategies_attempted == ["tag_trial_id"]


def test_only_interrupted_runs_means_not_found(tracking, make_run):
    make_run(trial_context(), extra={"process.interrupted": "True"})

    assert not lookup(tracking, TRIAL).found


def test_needs_the_experiments_to_search(tracking):
    with pytest.raises(ValueError, match="experiment ids"):
        find_run_by_trial_id(tracking.reader, TRIAL, registry=tracking.registry, experiment_ids=[])


def test_prefers_the_finished_run_over_a_newer_running_orphan_and_a_pruned_run(tracking, make_run):
    finished = make_run(trial_context(), status="FINISHED")
    make_run(
        trial_context(),
        status="KILLED",
        extra={"process.status_note": "pruned: trial was pruned at step 1"},
    )
    make_run(trial_context(), status=None)  # RUNNING: its process died without ending it

    report = lookup(tracking, TRIAL)

    assert report.run_id == finished.info.run_id


def test_without_a_finished_run_takes_the_newest_run_not_interrupted(tracking, make_run):
    make_run(
        trial_context(),
        status="KILLED",
        extra={"process.status_note": "pruned: trial was pruned at step 1"},
    )
    orphan = make_run(trial_context(), status=None)
    make_run(trial_context(), status="KILLED", extra={"process.interrupted": "true"})

    report = lookup(tracking, TRIAL)

    assert report.run_id == orphan.info.run_id
