"""tracking.hpo: the sweep run is found, taken over or started; trial runs without CV."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from hpo_helpers import dead_pid

from resume_ner.naming.context import NamingContext
from resume_ner.tracking.hpo import (
    SweepRunInUseError,
    claim_sweep,
    find_sweep_run,
    setup_hpo_mlflow_run,
    sweep_lease_name,
)
from resume_ner.tracking.index.base import ProcessId

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


def _setup(tracking, **changes) -> tuple[str | None, bool]:
    claim = setup_hpo_mlflow_run(tracking, CONTEXT, **{**SWEEP, **changes})
    assert claim.owner
    return claim.run_id, claim.resumed


def test_setup_starts_the_sweep_run_once_and_takes_it_over_afterwards(tracking):
    run_id, resumed = _setup(tracking)
    assert not resumed
    tracking.client.set_terminated(run_id, "KILLED")
    again, resumed = _setup(tracking)
    assert (again, resumed) == (run_id, True)
    run = tracking.client.get_run(run_id)
    assert run.info.status == "RUNNING"
    assert run.data.tags[tracking.registry.key("hpo", "resumed")] == "true"
    assert "after KILLED" in run.data.tags[tracking.registry.key("process", "status_note")]


def test_the_sweep_run_is_found_by_its_run_key_and_says_how(tracking):
    run_id, _ = _setup(tracking)
    lookup = find_sweep_run(tracking, CONTEXT)
    assert lookup is not None and lookup.run_id == run_id
    assert lookup.matched_by in ("local_index", "tag_run_key_hash")
    other = CONTEXT.with_changes(study_key_hash="e" * 64)
    assert find_sweep_run(tracking, other) is None


def test_a_running_sweep_run_whose_owner_died_is_taken_over(tracking):
    run_id, _ = _setup(tracking)
    gone = ProcessId(tracking.host, dead_pid())
    lease_name = sweep_lease_name(CONTEXT)
    tracking.index.release_lease(lease_name, tracking.process)
    tracking.index.claim_lease(lease_name, gone)
    tracking.client.set_tag(run_id, tracking.registry.key("process", "pid"), str(gone.pid))
    assert find_sweep_run(tracking, CONTEXT).action == "take_over"
    again, resumed = _setup(tracking)
    assert (again, resumed) == (run_id, True)
    tags = tracking.client.get_run(run_id).data.tags
    assert tags[tracking.registry.key("process", "pid")] == str(os.getpid())
    assert tracking.index.get_lease(lease_name).holder == tracking.process


def test_a_second_process_joins_the_sweep_of_a_live_owner_instead_of_failing(tracking):
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lease_name = sweep_lease_name(CONTEXT)
        holder = ProcessId(tracking.host, owner.pid)
        tracking.index.claim_lease(lease_name, holder)
        tracking.index.set_lease_value(lease_name, holder, "run-of-the-owner")
        claim = setup_hpo_mlflow_run(tracking, CONTEXT, **SWEEP)
        assert find_sweep_run(tracking, CONTEXT) is None  # nothing was created here
        with pytest.raises(SweepRunInUseError):
            setup_hpo_mlflow_run(tracking, CONTEXT, force=True, **SWEEP)
    finally:
        owner.kill()
        owner.wait()
    assert (claim.owner, claim.run_id, claim.holder) == (False, "run-of-the-owner", holder)


def test_the_sweep_of_a_silent_owner_on_another_machine_is_taken_over_after_the_grace_period(
    tracking,
):
    lease_name = sweep_lease_name(CONTEXT)
    elsewhere = ProcessId("another-machine", 4242)
    tracking.index.beat(elsewhere)
    tracking.index.claim_lease(lease_name, elsewhere)
    tracking.index.set_lease_value(lease_name, elsewhere, "remote-run")
    assert not claim_sweep(tracking, CONTEXT, grace_s=60).owner
    time.sleep(1.2)
    claim = claim_sweep(tracking, CONTEXT, grace_s=1)
    assert claim.owner
    assert tracking.index.get_lease(lease_name).holder == tracking.process


def test_force_starts_a_second_version_of_the_sweep_run(tracking):
    first, _ = _setup(tracking)
    second, resumed = _setup(tracking, force=True)
    assert second != first and not resumed
    names = {tracking.client.get_run(r).info.run_name for r in (first, second)}
    assert len(names) == 2
