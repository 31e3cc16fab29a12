"""Training runs are found again instead of repeated; lineage ties them to their sweep."""

from __future__ import annotations

from resume_ner.naming.context import NamingContext
from resume_ner.tracking.lifecycle import terminate_run_safe
from resume_ner.tracking.lineage import (
    Lineage,
)
from resume_ner.tracking.trackers.training import MLflowTrainingTracker
from resume_ner.tracking.training_runs import create_training_mlflow_run

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
