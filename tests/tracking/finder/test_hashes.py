"""Hash readers: a run's tags first, recomputed only from what the caller supplies."""

from __future__ import annotations

import pytest
from mlflow.exceptions import MlflowException

from resume_ner.naming.context import NamingContext
from resume_ner.naming.keys import (
    build_hpo_study_family_hash,
    build_hpo_study_family_key,
    build_hpo_study_key,
    build_hpo_study_key_hash,
    build_hpo_trial_key,
    build_hpo_trial_key_hash,
)
from resume_ner.tracking.hashes import (
    get_study_family_hash_from_run,
    get_study_key_hash_from_run,
    get_trial_key_hash_from_run,
)

FAMILY = {
    "data_fingerprint": "d" * 64,
    "search_space": {"learning_rate": {"type": "loguniform", "low": 1e-5, "high": 1e-3}},
    "objective": {"metric": "macro-f1", "direction": "maximize"},
    "cv": {"k_fold": 3},
    "sampler": {"name": "tpe"},
    "pruner": {"name": "median"},
}
STUDY_INPUTS = {"backbone": "distilbert", **FAMILY}
STUDY_HASH = build_hpo_study_key_hash(build_hpo_study_key(**STUDY_INPUTS))
FAMILY_HASH = build_hpo_study_family_hash(build_hpo_study_family_key(**FAMILY))
TRIAL_INPUTS = {"study_key_hash": STUDY_HASH, "hyperparameters": {"learning_rate": 3e-5}}
TRIAL_HASH = build_hpo_trial_key_hash(build_hpo_trial_key(**TRIAL_INPUTS))


def trial_context() -> NamingContext:
    return NamingContext(
        "hpo_trial",
        "distilbert",
        study_key_hash=STUDY_HASH,
        study_family_hash=FAMILY_HASH,
        trial_key_hash=TRIAL_HASH,
        trial_number=0,
    )


@pytest.fixture
def tagged_run(make_run):
    return make_run(trial_context())


@pytest.fixture
def untagged_run(tracking):
    return tracking.client.create_run(tracking.experiment_id_for("hpo_trial"))


@pytest.mark.parametrize(
    ("reader", "expected"),
    [
        (get_study_key_hash_from_run, STUDY_HASH),
        (get_study_family_hash_from_run, FAMILY_HASH),
        (get_trial_key_hash_from_run, TRIAL_HASH),
    ],
)
def test_readers_return_the_tag_of_a_run_given_by_id(tracking, tagged_run, reader, expected):
    assert reader(tagged_run.info.run_id, tracking.client, tracking.registry) == expected


def test_a_tag_wins_over_recomputation(tracking, tagged_run):
    other_inputs = {**STUDY_INPUTS, "backbone": "roberta"}

    value = get_study_key_hash_from_run(tagged_run, None, tracking.registry, recompute=other_inputs)

    assert value == STUDY_HASH


@pytest.mark.parametrize(
    "reader",
    [get_study_key_hash_from_run, get_study_family_hash_from_run, get_trial_key_hash_from_run],
)
def test_a_missing_tag_without_recompute_inputs_reads_as_none(tracking, untagged_run, reader):
    assert reader(untagged_run.info.run_id, tracking.client, tracking.registry) is None


@pytest.mark.parametrize(
    ("reader", "inputs", "expected"),
    [
        (get_study_key_hash_from_run, STUDY_INPUTS, STUDY_HASH),
        (get_study_family_hash_from_run, FAMILY, FAMILY_HASH),
        (get_trial_key_hash_from_run, TRIAL_INPUTS, TRIAL_HASH),
    ],
)
def test_a_missing_tag_is_recomputed_from_the_key_inputs(
    tracking, untagged_run, reader, inputs, expected
):
    value = reader(untagged_run.info.run_id, tracking.client, tracking.registry, recompute=inputs)

    assert value == expected


def test_a_missing_tag_is_recomputed_by_a_function_of_the_run(tracking, untagged_run):
    seen = []

    def from_run(run):
        seen.append(run.info.run_id)
        return "computed"

    value = get_trial_key_hash_from_run(untagged_run, None, tracking.registry, recompute=from_run)

    assert value == "computed"
    assert seen == [untagged_run.info.run_id]


def test_a_missing_run_raises_mlflows_error(tracking):
    with pytest.raises(MlflowException, match="not found"):
        get_study_key_hash_from_run("0" * 32, tracking.client, tracking.registry)


def test_bad_recompute_inputs_raise(tracking, untagged_run):
    from resume_ner.naming.errors import NamingError

    with pytest.raises(NamingError):
        get_trial_key_hash_from_run(
            untagged_run,
            None,
            tracking.registry,
            recompute={"study_key_hash": "short", "hyperparameters": {}},
        )
