"""Each experiment the project creates says in MLflow's UI which runs it holds."""

from __future__ import annotations

NOTE = "mlflow.note.content"


def test_a_new_experiment_describes_the_runs_of_its_stages(tracking):
    experiment_id = tracking.experiment_id_for("hpo_trial")

    note = tracking.client.get_experiment(experiment_id).tags[NOTE]

    assert "**hpo_sweep**" in note and "**hpo_trial_fold**" in note and "**hpo_refit**" in note
    assert "final_training" not in note
    assert tracking.policy.project in note


def test_an_existing_experiment_without_a_description_gets_one(tracking):
    name = f"{tracking.policy.project}-training"
    experiment_id = tracking.client.create_experiment(name)

    assert tracking.experiment_id_for("final_training") == experiment_id
    assert "**final_training**" in tracking.client.get_experiment(experiment_id).tags[NOTE]


def test_a_description_written_by_hand_is_kept(tracking):
    name = f"{tracking.policy.project}-benchmark"
    experiment_id = tracking.client.create_experiment(name, tags={NOTE: "Our benchmarks."})

    tracking.experiment_id_for("benchmarking")

    assert tracking.client.get_experiment(experiment_id).tags[NOTE] == "Our benchmarks."
