"""tracking.hpo: the sweep run is found, taken over or started; trial runs without CV."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hpo_helpers import dead_pid

from resume_ner.naming.context import NamingContext
from resume_ner.tracking.hpo import (
    SweepRunInUseError,
    create_trial_run_no_cv,
    finalize_trial_run_no_cv,
    find_sweep_run,
    setup_hpo_mlflow_run,
)
from resume_ner.tracking.liveness import process_start_time_s
from resume_ner.tracking.trackers.sweep import build_trial_context

CONTEXT = NamingContext(
    "hpo_sweep", "tiny", study_key_hash="c" * 64, study_family_hash="d" * 64, study_name="s"
)
SWEEP = {
    "study_name": "s",
    "sampler": {"name": "tpe", "seed": 1},
    "pruner": "median",
    "objective_metric": "macro_f1",
    "objective_direction": "maximize",
    "search_space": {"learning_rate": {"type": "float", "low": 1e-4, "high": 1e-2}},
    "n_trials": 3,
    "n_folds": None,
}


def test_setup_starts_the_sweep_run_once_and_takes_it_over_afterwards(tracking):
    run_id, resumed = setup_hpo_mlflow_run(tracking, CONTEXT, **SWEEP)
    assert not resumed
    tracking.client.set_terminated(run_id, "KILLED")
    again, resumed = setup_hpo_mlflow_run(tracking, CONTEXT, **SWEEP)
    assert (again, resumed) == (run_id, True)
    run = tracking.client.get_run(run_id)
    assert run.info.status == "RUNNING"
    assert run.data.tags[tracking.registry.key("hpo", "resumed")] == "true"
    assert "after KILLED" in run.data.tags[tracking.registry.key("process", "status_note")]


def test_the_sweep_run_is_found_by_its_run_key_and_says_how(tracking):
    run_id, _ = setup_hpo_mlflow_run(tracking, CONTEXT, **SWEEP)
    lookup = find_sweep_run(tracking, CONTEXT)
    assert lookup is not None and lookup.run_id == run_id
    assert lookup.matched_by in ("local_index", "tag_run_key_hash")
    other = CONTEXT.with_changes(study_key_hash="e" * 64)
    assert find_sweep_run(tracking, other) is None


def test_a_running_sweep_run_of_a_dead_process_is_taken_over(tracking):
    run_id, _ = setup_hpo_mlflow_run(tracking, CONTEXT, **SWEEP)
    tracking.client.set_tag(run_id, tracking.registry.key("process", "pid"), str(dead_pid()))
    assert find_sweep_run(tracking, CONTEXT).action == "take_over"
    again, resumed = setup_hpo_mlflow_run(tracking, CONTEXT, **SWEEP)
    assert (again, resumed) == (run_id, True)
    tags = tracking.client.get_run(run_id).data.tags
    assert tags[tracking.registry.key("process", "pid")] == str(os.getpid())


def test_a_running_sweep_run_of_a_live_process_is_in_use(tracking):
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        run_id, _ = setup_hpo_mlflow_run(tracking, CONTEXT, **SWEEP)
        tracking.client.set_tag(run_id, tracking.registry.key("process", "pid"), str(owner.pid))
        started = process_start_time_s(owner.pid)
        tracking.client.set_tag(
            run_id, tracking.registry.key("process", "pid_started"), f"{started:.2f}"
        )
        with pytest.raises(SweepRunInUseError) as caught:
            setup_hpo_mlflow_run(tracking, CONTEXT, **SWEEP)
    finally:
        owner.kill()
        owner.wait()
    assert caught.value.run_id == run_id and caught.value.pid == str(owner.pid)


def test_force_starts_a_second_version_of_the_sweep_run(tracking):
    first, _ = setup_hpo_mlflow_run(tracking, CONTEXT, **SWEEP)
    second, resumed = setup_hpo_mlflow_run(tracking, CONTEXT, force=True, **SWEEP)
    assert second != first and not resumed
    names = {tracking.client.get_run(r).info.run_name for r in (first, second)}
    assert len(names) == 2


def test_a_trial_without_cv_logs_params_and_metrics_on_its_own_run(tracking):
    sweep_id, _ = setup_hpo_mlflow_run(tracking, CONTEXT, **SWEEP)
    trial_context = build_trial_context(CONTEXT, 0, {"learning_rate": 1e-3})
    run_id = create_trial_run_no_cv(tracking, sweep_id, trial_context, {"learning_rate": 1e-3})
    finalize_trial_run_no_cv(tracking, run_id, {"macro_f1": 0.5}, "FINISHED")
    run = tracking.client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params == {"learning_rate": "0.001"}
    assert run.data.metrics == {"macro_f1": 0.5}
    assert run.data.tags[tracking.registry.key("mlflow", "parent_run_id")] == sweep_id
