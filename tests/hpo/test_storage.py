"""Which RUNNING trials count as dead: by their process on this machine, or never started."""

from __future__ import annotations

import os

import optuna
from hpo_helpers import dead_pid

from resume_ner.hpo.storage import HOST_ATTR, PID_ATTR, is_dead_local_trial
from resume_ner.tracking.liveness import this_host


def _running(**attrs) -> optuna.trial.FrozenTrial:
    study = optuna.create_study()
    trial = study.ask()
    for name, value in attrs.items():
        trial.set_user_attr(name, value)
    return study.trials[0]


def test_a_trial_of_a_gone_process_here_is_dead_and_of_a_live_one_is_not():
    assert is_dead_local_trial(_running(**{HOST_ATTR: this_host(), PID_ATTR: dead_pid()}))
    assert not is_dead_local_trial(_running(**{HOST_ATTR: this_host(), PID_ATTR: os.getpid()}))


def test_a_trial_of_another_host_is_left_to_the_heartbeat():
    assert not is_dead_local_trial(_running(**{HOST_ATTR: "elsewhere", PID_ATTR: dead_pid()}))


def test_a_trial_that_never_recorded_its_process_is_dead_only_after_the_grace_period():
    trial = _running()
    assert not is_dead_local_trial(trial)
    assert not is_dead_local_trial(trial, grace_period_s=60)
    assert is_dead_local_trial(trial, grace_period_s=-1)
