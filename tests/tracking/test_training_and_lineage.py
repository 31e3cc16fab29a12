"""Training runs are found again instead of repeated; lineage ties them to their sweep."""

from __future__ import annotations

import pytest

from resume_ner.naming.context import NamingContext
from resume_ner.tracking.errors import RunNotFoundError
from resume_ner.tracking.lifecycle import terminate_run_safe
from resume_ner.tracking.lineage import (
    Lineage,
    add_training_tags,
    add_training_tags_with_lineage,
    apply_lineage_tags,
)
from resume_ner.tracking.trackers.training import MLflowTrainingTracker
from resume_ner.tracking.training_runs import create_training_child_run, create_training_mlflow_run

CONTEXT = NamingContext("final_training", "tiny", spec_fp="a" * 64, exec_fp="b" * 64)
LINEAGE = Lineage(
    hpo_study_key_hash="c" * 64,
    hpo_trial_key_hash="d" * 64,
    hpo_sweep_run_id="s",
    hpo_refit_run_id="r",
)


def test_a_finished_training_run_is_reused_instead_of_trained_again(tracking):
    tracker = MLflowTrainingTracker(tracking)
    first = create_training_mlflow_run(tracker, CONTEXT, params={"learning_rate": 0.1})
    assert not first.reused
    terminate_run_safe(tracking.client, first.run_id, "FINISHED")
    again = create_training_mlflow_run(tracker, CONTEXT)
    assert again.reused
    assert again.run_id == first.run_id


def test_an_unfinished_run_of_the_same_identity_is_not_reused(tracking):
    tracker = MLflowTrainingTracker(tracking)
    first = create_training_mlflow_run(tracker, CONTEXT)
    terminate_run_safe(tracking.client, first.run_id, "FAILED")
    second = create_training_mlflow_run(tracker, CONTEXT)
    assert not second.reused
    assert second.run_id != first.run_id
    names = {tracking.client.get_run(r).info.run_name for r in (first.run_id, second.run_id)}
    assert len(names) == 2, "the rerun gets the next version of the name"


def test_force_creates_a_new_version_even_when_one_finished(tracking):
    tracker = MLflowTrainingTracker(tracking)
    first = create_training_mlflow_run(tracker, CONTEXT)
    terminate_run_safe(tracking.client, first.run_id, "FINISHED")
    forced = create_training_mlflow_run(tracker, CONTEXT, force=True)
    assert not forced.reused
    assert tracking.client.get_run(forced.run_id).info.run_name.endswith(".2")


def test_training_child_run_gives_the_environment_of_its_run(tracking):
    tracker = MLflowTrainingTracker(tracking)
    parent = create_training_mlflow_run(tracker, CONTEXT).run_id
    fold = NamingContext(
        "hpo_trial_fold",
        "tiny",
        study_key_hash="c" * 64,
        trial_key_hash="d" * 64,
        trial_number=1,
        fold_idx=0,
    )
    run_id, env = create_training_child_run(tracker, parent, fold)
    assert env["MLFLOW_RUN_ID"] == run_id
    assert env["MLFLOW_TRACKING_URI"] == tracking.tracking_uri
    assert tracking.client.get_run(run_id).data.tags["mlflow.parentRunId"] == parent


def test_training_and_lineage_tags_are_registry_keys(tracking):
    run_id = MLflowTrainingTracker(tracking).start_training_run(CONTEXT)
    add_training_tags(
        tracking.client, run_id, tracking.registry, training_type="final", trained_on_full_data=True
    )
    add_training_tags_with_lineage(
        tracking.client, run_id, tracking.registry, LINEAGE, training_type="final"
    )
    tags = tracking.client.get_run(run_id).data.tags
    assert tags["code.training_type"] == "final"
    assert tags["code.trained_on_full_data"] == "true"
    assert Lineage.from_tags(tags, tracking.registry) == LINEAGE


def test_apply_lineage_tags_finds_the_run_by_identity(tracking):
    run_id = MLflowTrainingTracker(tracking).start_training_run(CONTEXT)
    report = apply_lineage_tags(
        tracking.client,
        tracking.registry,
        LINEAGE,
        experiment_name="resume-ner-training",
        context=CONTEXT,
    )
    assert report.run_id == run_id
    assert tracking.client.get_run(run_id).data.tags["code.lineage.hpo_refit_run_id"] == "r"


def test_apply_lineage_tags_never_guesses_a_run(tracking):
    MLflowTrainingTracker(tracking).start_training_run(CONTEXT)
    other = CONTEXT.with_changes(spec_fp="e" * 64)
    with pytest.raises(RunNotFoundError):
        apply_lineage_tags(
            tracking.client,
            tracking.registry,
            LINEAGE,
            experiment_name="resume-ner-training",
            context=other,
        )
