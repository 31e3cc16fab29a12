"""The sweep tracker: the sweep -> trials -> folds tree, the refit, and what each run holds."""

from __future__ import annotations

import json

import pytest
from tracker_helpers import code_tag_keys, make_tracking, with_stage_disabled

from resume_ner.naming.canonical import canonical_json, sha256_hex
from resume_ner.tracking.trackers.sweep import (
    MLflowSweepTracker,
    build_fold_context,
    build_refit_context,
    build_trial_context,
)

SEARCH_SPACE = {
    "learning_rate": {"type": "float", "low": 1e-5, "high": 1e-4, "log": True},
    "batch_size": {"type": "categorical", "choices": [8, 16]},
}
HYPERPARAMETERS = [
    {"learning_rate": 3e-5, "batch_size": 8},
    {"learning_rate": 5e-5, "batch_size": 16},
]
FOLD_METRICS = [{"macro_f1": 0.70, "loss": 0.5}, {"macro_f1": 0.80, "loss": 0.3}]


def _start_sweep(tracker: MLflowSweepTracker, context, **overrides) -> str | None:
    arguments = {
        "study_name": "resume-ner-hpo",
        "sampler": {"name": "tpe", "seed": 42},
        "pruner": "median",
        "objective_metric": "macro_f1",
        "objective_direction": "maximize",
        "search_space": SEARCH_SPACE,
        "n_trials": 2,
        "n_folds": 2,
    }
    arguments.update(overrides)
    return tracker.start_sweep_run(context, **arguments)


def _run_cv_trial(tracker, sweep_id, sweep_context, number, hyperparameters):
    trial_context = build_trial_context(sweep_context, number, hyperparameters)
    trial_id = tracker.start_trial_run(
        sweep_id, trial_context, hyperparameters=hyperparameters, n_folds=len(FOLD_METRICS)
    )
    fold_ids = []
    with tracker.managed_run(trial_id):
        for fold_idx, metrics in enumerate(FOLD_METRICS):
            fold_id = tracker.start_fold_run(trial_id, build_fold_context(trial_context, fold_idx))
            with tracker.managed_run(fold_id):
                tracker.log_fold_result(fold_id, metrics)
            fold_ids.append(fold_id)
        tracker.log_trial_result(trial_id, fold_metrics=FOLD_METRICS)
    return trial_context, trial_id, fold_ids


@pytest.fixture
def tracker(tracking) -> MLflowSweepTracker:
    return MLflowSweepTracker(tracking)


def test_sweep_makes_the_tree_sweep_trials_folds_with_the_refit_under_the_sweep(
    project, tracker, sweep_context
):
    sweep_id = _start_sweep(tracker, sweep_context)
    with tracker.managed_run(sweep_id):
        trials = [
            _run_cv_trial(tracker, sweep_id, sweep_context, number, hyperparameters)
            for number, hyperparameters in enumerate(HYPERPARAMETERS)
        ]
        best_context, best_id, _ = trials[1]
        refit_id = tracker.start_refit_run(
            sweep_id,
            build_refit_context(best_context, "9" * 64),
            of_trial_run_id=best_id,
            hyperparameters=HYPERPARAMETERS[1],
        )
        with tracker.managed_run(refit_id):
            tracker.log_metrics(refit_id, {"macro_f1": 0.82})

    client = project.client
    parent = {}
    for _, trial_id, fold_ids in trials:
        parent[trial_id] = sweep_id
        parent.update(dict.fromkeys(fold_ids, trial_id))
    parent[refit_id] = sweep_id
    for run_id, expected_parent in parent.items():
        assert client.get_run(run_id).data.tags["mlflow.parentRunId"] == expected_parent
    assert "mlflow.parentRunId" not in client.get_run(sweep_id).data.tags
    refit = client.get_run(refit_id)
    assert refit.data.tags["code.refit.of_trial_run_id"] == best_id
    assert refit.data.tags["code.stage"] == "hpo_refit"
    registered = {key for _, key in project.registry.all_keys()}
    every_run = [sweep_id, refit_id, *parent]
    for run_id in every_run:
        run = client.get_run(run_id)
        assert run.info.status == "FINISHED"
        assert code_tag_keys(run) <= registered, code_tag_keys(run) - registered


def test_trial_run_holds_mean_and_std_of_fold_metrics_and_its_hyperparameters(
    project, tracker, sweep_context
):
    sweep_id = _start_sweep(tracker, sweep_context)
    _, trial_id, _ = _run_cv_trial(tracker, sweep_id, sweep_context, 0, HYPERPARAMETERS[0])

    data = project.client.get_run(trial_id).data
    assert data.metrics["macro_f1"] == pytest.approx(0.75)
    assert data.metrics["macro_f1_std"] == pytest.approx(0.05)
    assert data.metrics["loss"] == pytest.approx(0.4)
    assert data.metrics["loss_std"] == pytest.approx(0.1)
    assert data.params == {"learning_rate": "3e-05", "batch_size": "8"}
    assert data.tags["code.hpo.trial_number"] == "0"
    assert data.tags["code.hpo.n_folds"] == "2"


def test_trial_run_costs_three_mlflow_calls(project, tracker, sweep_context, client_calls):
    sweep_id = _start_sweep(tracker, sweep_context)
    trial_context = build_trial_context(sweep_context, 0, HYPERPARAMETERS[0])
    client_calls.clear()

    trial_id = tracker.start_trial_run(sweep_id, trial_context, hyperparameters=HYPERPARAMETERS[0])
    with tracker.managed_run(trial_id):
        tracker.log_trial_result(trial_id, metrics={"macro_f1": 0.8, "loss": 0.3})

    assert client_calls.names == ["create_run", "log_batch", "set_terminated"]
    data = project.client.get_run(trial_id).data
    assert data.metrics == {"macro_f1": 0.8, "loss": 0.3}
    assert data.params == {"learning_rate": "3e-05", "batch_size": "8"}


def test_trial_interrupted_before_its_result_keeps_its_hyperparameters(
    project, tracker, sweep_context
):
    sweep_id = _start_sweep(tracker, sweep_context)
    trial_context = build_trial_context(sweep_context, 0, HYPERPARAMETERS[0])
    trial_id = tracker.start_trial_run(sweep_id, trial_context, hyperparameters=HYPERPARAMETERS[0])

    with pytest.raises(KeyboardInterrupt), tracker.managed_run(trial_id):
        raise KeyboardInterrupt

    run = project.client.get_run(trial_id)
    assert run.info.status == "KILLED"
    assert run.data.tags["code.interrupted"] == "true"
    assert run.data.params == {"learning_rate": "3e-05", "batch_size": "8"}


def test_sweep_run_holds_study_identity_objective_and_search_space(project, tracker, sweep_context):
    sweep_id = _start_sweep(tracker, sweep_context)

    client = project.client
    run = client.get_run(sweep_id)
    tags, params = run.data.tags, run.data.params
    assert tags["code.study_key_hash"] == sweep_context.study_key_hash
    assert tags["code.study_family_hash"] == sweep_context.study_family_hash
    assert tags["code.study.name"] == "resume-ner-hpo"
    assert tags["code.study.sampler"] == "tpe"
    assert tags["code.study.pruner"] == "median"
    assert tags["code.objective.metric"] == "macro_f1"
    assert tags["code.objective.direction"] == "maximize"
    assert params["n_trials_target"] == "2"
    digest = sha256_hex(canonical_json(SEARCH_SPACE))
    assert params["search_space_hash"] == digest
    stored = client.download_artifacts(sweep_id, f"search_space/{digest[:16]}.json")
    with open(stored, encoding="utf-8") as stream:
        assert json.load(stream) == json.loads(canonical_json(SEARCH_SPACE))
    assert json.loads(params["search_space.batch_size"]) == SEARCH_SPACE["batch_size"]


def test_long_search_space_goes_in_as_artifact_only(project, tracker, sweep_context):
    long_space = {"label_weights": {"type": "categorical", "choices": list(range(200))}}

    sweep_id = _start_sweep(tracker, sweep_context, search_space=long_space)

    params = project.client.get_run(sweep_id).data.params
    assert not any(name.startswith("search_space.") for name in params)
    assert params["search_space_hash"] == sha256_hex(canonical_json(long_space))


def test_sweep_summary_tags_the_best_trial_and_counts_trials(project, tracker, sweep_context):
    sweep_id = _start_sweep(tracker, sweep_context)

    tracker.log_sweep_summary(
        sweep_id,
        best_trial_number=1,
        best_value=0.8,
        best_trial_run_id="r1",
        n_trials=2,
        n_completed_trials=2,
        refit_completed=True,
    )
    tracker.log_sweep_summary(
        sweep_id,
        best_trial_number=3,
        best_value=0.85,
        best_trial_run_id="r3",
        n_trials=4,
        n_completed_trials=3,
    )

    data = project.client.get_run(sweep_id).data
    assert data.tags["code.hpo.best_trial_number"] == "3"
    assert data.tags["code.hpo.best_trial_run_id"] == "r3"
    assert data.tags["code.hpo.refit_completed"] == "true"
    assert data.metrics == {"n_trials": 4.0, "n_completed_trials": 3.0, "best_value": 0.85}


def test_disabled_hpo_tracking_creates_no_sweep_trial_or_fold(project, sweep_context):
    tracker = MLflowSweepTracker(make_tracking(project, with_stage_disabled(project.config, "hpo")))

    sweep_id = _start_sweep(tracker, sweep_context)
    trial_context = build_trial_context(sweep_context, 0, HYPERPARAMETERS[0])
    trial_id = tracker.start_trial_run(sweep_id, trial_context, hyperparameters=HYPERPARAMETERS[0])
    fold_id = tracker.start_fold_run(trial_id, build_fold_context(trial_context, 0))
    with tracker.managed_run(trial_id):
        logged = tracker.log_trial_result(trial_id, fold_metrics=FOLD_METRICS)

    assert (sweep_id, trial_id, fold_id) == (None, None, None)
    assert logged["macro_f1"] == pytest.approx(0.75)
    experiments = project.client.search_experiments()
    assert project.client.search_runs([e.experiment_id for e in experiments]) == []


def test_trials_under_a_sweep_started_elsewhere_read_the_sweep_only_once(
    project, tracking, sweep_context, client_calls
):
    sweep_id = _start_sweep(MLflowSweepTracker(tracking), sweep_context)
    worker = MLflowSweepTracker(tracking)
    client_calls.clear()

    for number, hyperparameters in enumerate(HYPERPARAMETERS):
        trial_context = build_trial_context(sweep_context, number, hyperparameters)
        trial_id = worker.start_trial_run(sweep_id, trial_context, hyperparameters=hyperparameters)
        with worker.managed_run(trial_id):
            worker.log_trial_result(trial_id, metrics={"macro_f1": 0.8})

    assert client_calls.counts()["get_run"] == 1
    assert client_calls.counts()["create_run"] == 2
