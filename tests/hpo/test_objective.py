"""One trial: its runs, what they hold, what they cost, and how pruning ends them."""

from __future__ import annotations

import pytest
from hpo_helpers import TINY_DATA, FormulaTrainer

from resume_ner.config.data import DataConfig
from resume_ner.config.hpo import CvConfig, HpoConfig
from resume_ner.data.synthetic import generate_documents
from resume_ner.hpo.folds import build_hpo_data
from resume_ner.hpo.objective import TrialObjective
from resume_ner.hpo.study import build_pruner
from resume_ner.naming.context import NamingContext
from resume_ner.tracking.hpo import setup_hpo_mlflow_run

SEARCH_SPACE = {"learning_rate": {"type": "float", "low": 1e-4, "high": 1e-1, "log": True}}
PUBLIC_CLIENT_CALLS = (
    "create_run", "log_batch", "set_terminated", "get_run", "search_runs", "set_tag",
    "log_metric", "log_param", "update_run", "get_experiment", "get_experiment_by_name",
)  # fmt: skip


def _hpo(k_folds: int = 3, **changes) -> HpoConfig:
    return HpoConfig(search_space=SEARCH_SPACE, cv=CvConfig(k_folds=k_folds), **changes)


def _objective(project, hpo: HpoConfig, trainer=None):
    tracking = project.tracking_context()
    data = build_hpo_data(generate_documents(24, 13), DataConfig.model_validate(TINY_DATA), hpo.cv)
    context = NamingContext(
        "hpo_sweep", "tiny", study_key_hash="a" * 64, study_family_hash="b" * 64, study_name="s"
    )
    sweep_id = setup_hpo_mlflow_run(
        tracking,
        context,
        study_name="s",
        sampler="tpe",
        pruner=hpo.pruner.name,
        objective_metric="macro_f1",
        objective_direction="maximize",
        search_space=SEARCH_SPACE,
        n_trials=2,
        n_folds=hpo.cv.k_folds,
    ).run_id
    objective = TrialObjective(
        tracking=tracking,
        sweep_run_id=sweep_id,
        sweep_context=context,
        hpo=hpo,
        search_space=hpo.search_space,
        data=data,
        trainer=trainer or FormulaTrainer(n_epochs=2),
    )
    return tracking, objective


def _study(hpo: HpoConfig, *learning_rates: float):
    import optuna

    study = optuna.create_study(direction="maximize", pruner=build_pruner(hpo.pruner))
    for learning_rate in learning_rates:
        study.enqueue_trial({"learning_rate": learning_rate})
    return study


@pytest.fixture
def client_calls(monkeypatch):
    """Record the names of the MLflow client methods called through ``record(client)``."""
    calls: list[str] = []

    def record(client):
        for name in PUBLIC_CLIENT_CALLS:
            original = getattr(client, name)

            def wrapper(*args, __name=name, __original=original, **kwargs):
                calls.append(__name)
                return __original(*args, **kwargs)

            monkeypatch.setattr(client, name, wrapper)
        return calls

    return record


def test_a_cv_trial_and_each_of_its_folds_cost_three_mlflow_calls(project, client_calls):
    tracking, objective = _objective(project, _hpo(pruner={"name": "none"}))
    study = _study(objective.hpo, 3e-3, 4e-3)
    study.optimize(objective, n_trials=1)  # the process reads the sweep run's experiment once
    calls = client_calls(tracking.client)
    study.optimize(objective, n_trials=1)
    # 1 trial + 3 folds, each: create_run with its tags, one log_batch, one set_terminated.
    assert sorted(calls) == sorted(["create_run", "log_batch", "set_terminated"] * 4)


def test_a_trial_without_cv_costs_three_mlflow_calls(project, client_calls):
    tracking, objective = _objective(project, _hpo(k_folds=1, pruner={"name": "none"}))
    study = _study(objective.hpo, 3e-3, 4e-3)
    study.optimize(objective, n_trials=1)
    calls = client_calls(tracking.client)
    study.optimize(objective, n_trials=1)
    assert sorted(calls) == ["create_run", "log_batch", "set_terminated"]


def test_fold_runs_hold_per_epoch_curves_and_final_metrics(project):
    tracking, objective = _objective(project, _hpo(pruner={"name": "none"}))
    study = _study(objective.hpo, 3e-3)
    study.optimize(objective, n_trials=1)
    trial_run = study.trials[0].user_attrs["mlflow_run_id"]
    folds = tracking.client.search_runs(
        [tracking.client.get_run(trial_run).info.experiment_id],
        f"tags.`mlflow.parentRunId` = '{trial_run}'",
    )
    assert len(folds) == 3
    history = tracking.client.get_metric_history(folds[0].info.run_id, "val_macro_f1")
    assert sorted(m.step for m in history) == [1, 2]
    assert "macro_f1" in folds[0].data.metrics


def test_a_cv_trial_run_draws_each_epochs_mean_over_its_folds_as_a_curve(project):
    tracking, objective = _objective(project, _hpo(pruner={"name": "none"}))
    study = _study(objective.hpo, 3e-3)
    study.optimize(objective, n_trials=1)
    trial_run = study.trials[0].user_attrs["mlflow_run_id"]
    folds = tracking.client.search_runs(
        [tracking.client.get_run(trial_run).info.experiment_id],
        f"tags.`mlflow.parentRunId` = '{trial_run}'",
    )

    history = tracking.client.get_metric_history(trial_run, "val_macro_f1")

    assert sorted(m.step for m in history) == [1, 2]
    for metric in history:
        values = [
            next(m.value for m in tracking.client.get_metric_history(f.info.run_id, "val_macro_f1")
                 if m.step == metric.step)
            for f in folds
        ]  # fmt: skip
        assert metric.value == pytest.approx(sum(values) / len(values))
    assert tracking.client.get_run(trial_run).data.metrics["macro_f1"] is not None


def test_a_pruned_cv_trial_run_keeps_the_curve_of_the_epochs_it_reached(project):
    hpo = _hpo(pruner={"name": "median", "n_startup_trials": 1, "n_warmup_steps": 0})
    tracking, objective = _objective(project, hpo)
    study = _study(hpo, 3e-3, 1e-4)
    study.optimize(objective, n_trials=2)

    run_id = study.trials[1].user_attrs["mlflow_run_id"]

    history = tracking.client.get_metric_history(run_id, "val_macro_f1")
    assert [(m.step, m.value) for m in history] == [(1, study.trials[1].intermediate_values[0])]


def test_a_pruned_trial_ends_its_run_and_its_fold_run_killed_with_a_note(project):
    hpo = _hpo(pruner={"name": "median", "n_startup_trials": 1, "n_warmup_steps": 0})
    tracking, objective = _objective(project, hpo)
    study = _study(hpo, 3e-3, 1e-4)  # the second scores far lower from its first epoch on
    study.optimize(objective, n_trials=2)
    assert [t.state.name for t in study.trials] == ["COMPLETE", "PRUNED"]
    pruned_run = tracking.client.get_run(study.trials[1].user_attrs["mlflow_run_id"])
    note = project.registry.key("process", "status_note")
    assert pruned_run.info.status == "KILLED"
    assert pruned_run.data.tags[note].startswith("pruned: trial 1 at step 0")
    folds = tracking.client.search_runs(
        [pruned_run.info.experiment_id], f"tags.`mlflow.parentRunId` = '{pruned_run.info.run_id}'"
    )
    assert [(f.info.status, f.data.tags[note][:7]) for f in folds] == [("KILLED", "pruned:")]


def test_a_pruned_trial_run_says_why_in_mlflows_note_and_logs_its_last_value(project):
    hpo = _hpo(pruner={"name": "median", "n_startup_trials": 1, "n_warmup_steps": 0})
    tracking, objective = _objective(project, hpo)
    study = _study(hpo, 3e-3, 1e-4)
    study.optimize(objective, n_trials=2)
    pruned = study.trials[1]
    run = tracking.client.get_run(pruned.user_attrs["mlflow_run_id"])
    best_first_step = study.trials[0].intermediate_values[0]
    assert run.data.tags["mlflow.note.content"] == (
        f"Pruned: trial 1 at step 0 (fold 0, epoch 1): val_macro_f1 "
        f"{pruned.intermediate_values[0]:.4f} is below the median {best_first_step:.4f} of 1 "
        "completed trials at that step"
    )
    history = tracking.client.get_metric_history(run.info.run_id, "last_reported_macro_f1")
    assert [(m.value, m.step) for m in history] == [(pruned.intermediate_values[0], 0)]


def test_each_trial_records_its_fold_steps_and_fold_values(project):
    _, objective = _objective(project, _hpo(k_folds=2, pruner={"name": "none"}))
    study = _study(objective.hpo, 3e-3)
    study.optimize(objective, n_trials=1)
    attrs = study.trials[0].user_attrs
    assert attrs["fold0_steps"] == [0, 1] and attrs["fold1_steps"] == [2, 3]
    assert attrs["fold0_macro_f1"] == study.trials[0].intermediate_values[1]
    assert attrs["fold1_macro_f1"] == study.trials[0].intermediate_values[3]


def test_pruning_steps_continue_across_folds(project):
    hpo = _hpo(pruner={"name": "none"})
    _, objective = _objective(project, hpo)
    study = _study(hpo, 3e-3)
    study.optimize(objective, n_trials=1)
    # 3 folds x 2 epochs: steps 0..5, so fold 1's first epoch is step 2 in every trial.
    assert sorted(study.trials[0].intermediate_values) == [0, 1, 2, 3, 4, 5]


def test_a_trainer_without_the_objective_metric_fails_the_trial_with_a_clear_error(project):
    class NoMetric(FormulaTrainer):
        def __call__(self, params, split, **kwargs):
            outcome = super().__call__(params, split, **kwargs)
            return type(outcome)({"accuracy": 1.0})

    from resume_ner.hpo.errors import ObjectiveMetricMissingError

    tracking, objective = _objective(project, _hpo(pruner={"name": "none"}), NoMetric())
    study = _study(objective.hpo, 3e-3)
    with pytest.raises(ObjectiveMetricMissingError, match="macro_f1"):
        study.optimize(objective, n_trials=1)
    run = tracking.client.get_run(study.trials[0].user_attrs["mlflow_run_id"])
    assert run.info.status == "FAILED"


def test_a_trial_failed_by_another_worker_keeps_its_run_killed_instead_of_finishing_it(project):
    """Another worker saw a stale heartbeat, failed the trial and will retry it: the late
    worker must not end the trial's run FINISHED beside the retry's run."""
    from optuna.trial import TrialState

    from resume_ner.hpo.errors import TrialTakenOverError

    holder = {}

    class FailedElsewhere(FormulaTrainer):
        def __call__(self, params, split, **kwargs):
            # A heartbeat goes stale seconds after the trial's run was created, never before.
            holder["objective"].tracker.drain()
            study = holder["study"]
            (running,) = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
            study._storage.set_trial_state_values(running._trial_id, TrialState.FAIL)
            return super().__call__(params, split, **kwargs)

    tracking, objective = _objective(project, _hpo(pruner={"name": "none"}), FailedElsewhere())
    holder["objective"] = objective
    study = holder["study"] = _study(objective.hpo, 3e-3)
    trial = study.ask()
    with pytest.raises(TrialTakenOverError, match="failed by another worker"):
        objective(trial)

    run = tracking.client.get_run(trial.user_attrs["mlflow_run_id"])
    assert run.info.status == "KILLED"
    assert run.data.tags[project.registry.key("process", "interrupted")] == "true"


def _threads_creating_runs(tracking, monkeypatch) -> list[str]:
    """The names of the threads that call ``create_run``, in order."""
    import threading

    threads: list[str] = []
    original = tracking.client.create_run

    def create_run(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return original(*args, **kwargs)

    monkeypatch.setattr(tracking.client, "create_run", create_run)
    return threads


def test_in_background_mode_runs_are_written_by_the_run_writer_while_the_trial_trains(
    project, monkeypatch
):
    tracking, objective = _objective(project, _hpo(pruner={"name": "none"}))
    assert objective.tracker.background  # the default of tracking.hpo.background
    threads = _threads_creating_runs(tracking, monkeypatch)
    study = _study(objective.hpo, 3e-3)
    study.optimize(objective, n_trials=1)
    assert threads == ["resume-ner-run-writer"] * 4


def test_a_trial_is_recorded_only_once_its_runs_are_written(project):
    tracking, objective = _objective(project, _hpo(pruner={"name": "none"}))
    study = _study(objective.hpo, 3e-3)
    study.optimize(objective, n_trials=1)
    # No drain: the objective waited for the trial's own runs before returning its value.
    trial_run = tracking.client.get_run(study.trials[0].user_attrs["mlflow_run_id"])
    assert trial_run.info.status == "FINISHED"
    assert trial_run.data.params["learning_rate"] == "0.003"
    assert "macro_f1" in trial_run.data.metrics
    folds = tracking.client.search_runs(
        [trial_run.info.experiment_id],
        f"tags.`mlflow.parentRunId` = '{trial_run.info.run_id}'",
    )
    assert sorted(f.info.status for f in folds) == ["FINISHED"] * 3


def test_in_synchronous_mode_the_trial_itself_writes_its_runs(project, monkeypatch):
    import threading

    tracking, objective = _objective(project, _hpo(pruner={"name": "none"}))
    objective = TrialObjective(
        tracking=tracking,
        sweep_run_id=objective.sweep_run_id,
        sweep_context=objective.sweep_context,
        hpo=objective.hpo,
        search_space=objective.search_space,
        data=objective.data,
        trainer=objective.trainer,
        background=False,
    )
    threads = _threads_creating_runs(tracking, monkeypatch)
    _study(objective.hpo, 3e-3).optimize(objective, n_trials=1)
    assert threads == [threading.current_thread().name] * 4
