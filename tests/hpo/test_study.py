"""Study identity and name, seeded samplers, and the trial budget."""

from __future__ import annotations

import optuna
import pytest

from resume_ner.config.hpo import HpoConfig, SamplerConfig
from resume_ner.hpo.budget import TrialBudget
from resume_ner.hpo.study import build_sampler, build_study_identity, next_revision_name
from resume_ner.tracking.locks import FileProcessLock


def _lock(tmp_path):
    return FileProcessLock(tmp_path / "budget.lock", timeout_s=30)


def _identity(**changes):
    fields = {
        "project": "resume-ner",
        "backbone": "tiny",
        "data_fingerprint": "f" * 64,
        "hpo": HpoConfig(),
        "training": {"train": {"epochs": 1}},
    }
    fields.update(changes)
    return build_study_identity(**fields)


def test_the_study_is_named_after_project_backbone_and_study_key_hash():
    identity = _identity(backbone="Org/Model Name")
    assert identity.base_study_name == (f"resume-ner-org-model-name-{identity.study_key_hash[:16]}")


def test_same_inputs_give_the_same_study_and_any_identity_change_another():
    same = _identity()
    assert _identity().study_key_hash == same.study_key_hash
    assert _identity(backbone="minilm").study_key_hash != same.study_key_hash
    assert _identity(data_fingerprint="e" * 64).study_key_hash != same.study_key_hash
    assert _identity(training={"train": {"epochs": 2}}).study_key_hash != same.study_key_hash
    # The family hash ignores the backbone, so studies of two backbones can be compared.
    assert _identity(backbone="minilm").study_family_hash == same.study_family_hash


def test_forced_revisions_take_the_next_free_name():
    storage = optuna.storages.InMemoryStorage()
    assert next_revision_name(storage, "base") == "base"
    optuna.create_study(storage=storage, study_name="base")
    optuna.create_study(storage=storage, study_name="base-r2")
    assert next_revision_name(storage, "base") == "base-r3"


def _proposals(sampler, n: int = 3) -> list[float]:
    study = optuna.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=n)
    return [t.params["x"] for t in study.trials]


@pytest.mark.parametrize("name", ["tpe", "random"])
def test_seeded_samplers_repeat_a_stream_and_never_replay_another_one(name):
    config = SamplerConfig(name=name, seed=7)
    first = _proposals(build_sampler(config, stream="owner:0"))
    assert _proposals(build_sampler(config, stream="owner:0")) == first
    # A resumed sweep (2 trials already) or a second worker does not propose the same values.
    assert _proposals(build_sampler(config, stream="owner:2")) != first
    assert _proposals(build_sampler(config, stream="worker-1:0")) != first


def test_the_budget_refuses_a_trial_once_finished_and_running_trials_reach_the_target(tmp_path):
    study = optuna.create_study()
    study.optimize(lambda t: 1.0, n_trials=2)
    running = study.ask()
    budget = TrialBudget(study, 3, _lock(tmp_path))
    assert not budget.claim()
    study.tell(running, 1.0)
    assert not budget.claim()
    assert TrialBudget(study, 4, _lock(tmp_path)).claim()


def test_the_budget_takes_a_waiting_retry_below_the_target_but_never_past_it(tmp_path):
    study = optuna.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    study.enqueue_trial({"x": 0.5})
    below = TrialBudget(study, 3, _lock(tmp_path))
    assert below.claim()
    below.release()
    # A second retry of one failure (two processes failed the same stale trial) stays queued.
    assert not TrialBudget(study, 2, _lock(tmp_path)).claim()


def test_the_budget_stops_claiming_after_its_deadline(tmp_path):
    import time

    study = optuna.create_study()
    budget = TrialBudget(study, 10, _lock(tmp_path), deadline=time.monotonic() - 1)
    assert not budget.claim()
