"""Identity keys: what changes a hash and what does not."""

from __future__ import annotations

import pytest

from resume_ner.naming.context import NamingContext
from resume_ner.naming.errors import NamingError
from resume_ner.naming.keys import (
    build_counter_key,
    build_hpo_study_family_hash,
    build_hpo_study_family_key,
    build_hpo_study_key,
    build_hpo_study_key_hash,
    build_hpo_trial_key,
    build_hpo_trial_key_hash,
    build_mlflow_run_key,
    build_mlflow_run_key_hash,
    compute_refit_protocol_fp,
)

STUDY_FIELDS = {
    "data_fingerprint": "d" * 64,
    "search_space": {"learning_rate": {"type": "loguniform", "min": 1e-5, "max": 1e-3}},
    "objective": {"metric": "macro_f1", "direction": "maximize"},
    "cv": {"k_folds": 3, "seed": 13},
    "sampler": {"name": "tpe", "seed": 42},
    "pruner": {"name": "median"},
}
HASH = "a" * 64


def test_hashes_are_64_hex_characters_and_deterministic():
    first = build_hpo_study_key_hash(build_hpo_study_key(backbone="tiny", **STUDY_FIELDS))
    second = build_hpo_study_key_hash(build_hpo_study_key(backbone="tiny", **STUDY_FIELDS))
    assert first == second
    assert len(first) == 64
    int(first, 16)


def test_study_key_normalises_the_backbone_name():
    assert build_hpo_study_key_hash(
        build_hpo_study_key(backbone=" Tiny ", **STUDY_FIELDS)
    ) == build_hpo_study_key_hash(build_hpo_study_key(backbone="tiny", **STUDY_FIELDS))


def test_study_family_key_ignores_the_backbone_but_the_study_key_does_not():
    tiny = build_hpo_study_key(backbone="tiny", **STUDY_FIELDS)
    minilm = build_hpo_study_key(backbone="minilm", **STUDY_FIELDS)
    assert build_hpo_study_key_hash(tiny) != build_hpo_study_key_hash(minilm)
    family = build_hpo_study_family_key(**STUDY_FIELDS)
    assert "model" not in family
    assert build_hpo_study_family_hash(family) == build_hpo_study_family_hash(
        build_hpo_study_family_key(**STUDY_FIELDS)
    )


def test_changing_the_data_or_the_search_space_changes_the_study_key():
    base = build_hpo_study_key_hash(build_hpo_study_key(backbone="tiny", **STUDY_FIELDS))
    other_data = {**STUDY_FIELDS, "data_fingerprint": "e" * 64}
    other_space = {
        **STUDY_FIELDS,
        "search_space": {"learning_rate": {"type": "loguniform", "min": 1e-5, "max": 1e-2}},
    }
    assert build_hpo_study_key_hash(build_hpo_study_key(backbone="tiny", **other_data)) != base
    assert build_hpo_study_key_hash(build_hpo_study_key(backbone="tiny", **other_space)) != base


def test_trial_key_ignores_trial_number_backbone_and_case_of_choices():
    first = build_hpo_trial_key(
        HASH, {"learning_rate": 3e-4, "scheduler": "Linear", "trial_number": 1}
    )
    second = build_hpo_trial_key(
        HASH, {"scheduler": " linear", "learning_rate": 3e-4, "backbone": "tiny"}
    )
    assert build_hpo_trial_key_hash(first) == build_hpo_trial_key_hash(second)


def test_trial_key_needs_a_full_study_hash():
    with pytest.raises(NamingError):
        build_hpo_trial_key("abc", {"learning_rate": 0.1})


def test_refit_protocol_fingerprint_changes_with_the_protocol():
    base = {"data_fingerprint": "d" * 64, "objective": {"metric": "macro_f1"}}
    assert compute_refit_protocol_fp(refit={"epochs": 3}, **base) != compute_refit_protocol_fp(
        refit={"epochs": 4}, **base
    )


@pytest.mark.parametrize(
    ("fields", "expected_prefix"),
    [
        ({"process_type": "hpo_sweep", "study_key_hash": HASH}, "hpo_sweep:tiny:study_"),
        (
            {"process_type": "hpo_trial", "study_key_hash": HASH, "trial_key_hash": HASH},
            "hpo_trial:tiny:study_",
        ),
        (
            {
                "process_type": "hpo_trial_fold",
                "study_key_hash": HASH,
                "trial_key_hash": HASH,
                "fold_idx": 0,
            },
            "hpo_trial_fold:tiny:",
        ),
        (
            {
                "process_type": "hpo_refit",
                "study_key_hash": HASH,
                "trial_key_hash": HASH,
                "refit_protocol_fp": HASH,
            },
            "hpo_refit:tiny:",
        ),
        (
            {"process_type": "final_training", "spec_fp": HASH, "exec_fp": HASH},
            "final_training:tiny:spec_",
        ),
        (
            {"process_type": "conversion", "parent_training_id": "p", "conv_fp": HASH},
            "conversion:tiny:parent_p",
        ),
        (
            {
                "process_type": "benchmarking",
                "parent_training_id": "p",
                "benchmark_config_hash": HASH,
            },
            "benchmarking:tiny:parent_p",
        ),
    ],
)
def test_every_process_type_has_a_run_key(fields, expected_prefix):
    key = build_mlflow_run_key(NamingContext(model="Tiny", **fields))
    assert key.startswith(expected_prefix)
    assert len(build_mlflow_run_key_hash(key)) == 64


def test_fold_runs_of_one_trial_have_distinct_keys():
    context = NamingContext(
        "hpo_trial_fold", "tiny", study_key_hash=HASH, trial_key_hash=HASH, fold_idx=0
    )
    assert build_mlflow_run_key(context) != build_mlflow_run_key(context.with_changes(fold_idx=1))


def test_a_run_key_without_its_identity_fields_is_an_error_naming_them():
    with pytest.raises(NamingError, match="trial_key_hash"):
        build_mlflow_run_key(NamingContext("hpo_trial", "tiny", study_key_hash=HASH))


def test_unknown_process_type_is_rejected():
    with pytest.raises(NamingError, match="unknown process type"):
        NamingContext("hpo", "tiny")


def test_counter_key_joins_project_process_hash_and_env():
    assert (
        build_counter_key("resume-ner", "hpo_trial", HASH, "local")
        == f"resume-ner:hpo_trial:{HASH}:local"
    )


def test_backbone_definition_separates_studies_but_not_their_family():
    tiny = build_hpo_study_key(
        backbone="tiny", backbone_config={"hidden_size": 128}, **STUDY_FIELDS
    )
    wider = build_hpo_study_key(
        backbone="tiny", backbone_config={"hidden_size": 256}, **STUDY_FIELDS
    )
    assert build_hpo_study_key_hash(tiny) != build_hpo_study_key_hash(wider)
    assert "model_config" not in build_hpo_study_family_key(**STUDY_FIELDS)
