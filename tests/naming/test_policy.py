"""The naming policy: run names from patterns, versions, limits and experiment names."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from resume_ner.config.project import ProjectConfig
from resume_ner.naming.context import PROCESS_TYPES, NamingContext
from resume_ner.naming.errors import NamingError
from resume_ner.naming.policy import (
    NamingPolicy,
    build_mlflow_experiment_name,
    build_mlflow_run_name,
    build_parent_training_id,
    format_run_name,
    parse_parent_training_id,
    validate_run_name,
)

H = "0123456789abcdef" * 4
FULL = {
    "study_key_hash": H,
    "trial_key_hash": H,
    "trial_number": 3,
    "fold_idx": 1,
    "refit_protocol_fp": H,
    "spec_fp": H,
    "exec_fp": H,
    "conv_fp": H,
    "benchmark_config_hash": H,
    "parent_training_id": build_parent_training_id(H, H, 2),
    "target": "onnx_int8",
}


@pytest.fixture
def policy():
    return NamingPolicy.from_project(ProjectConfig.load())


def test_trial_name_starts_with_the_padded_trial_number_then_model_and_short_sweep_hash(policy):
    context = NamingContext("hpo_trial", "Org/Model Name", study_key_hash=H, trial_number=3)
    assert format_run_name(context, policy) == "t03 · org-model_name · sweep 01234567"


def test_version_is_appended_in_the_configured_format(policy):
    context = NamingContext("hpo_trial", "tiny", study_key_hash=H, trial_number=3)
    assert build_mlflow_run_name(context, policy, version=2) == "t03 · tiny · sweep 01234567.2"


@pytest.mark.parametrize(
    ("process_type", "expected"),
    [
        ("hpo_sweep", "sweep 01234567 · tiny.1"),
        ("hpo_trial", "t03 · tiny · sweep 01234567.1"),
        ("hpo_trial_fold", "t03/fold1 · tiny · sweep 01234567.1"),
        ("hpo_refit", "refit t03 · tiny · sweep 01234567.1"),
        ("final_training", "final · tiny · spec 01234567 exec 01234567.1"),
        ("conversion", "onnx · tiny · spec 01234567 · conv 01234567.1"),
        ("benchmarking", "bench onnx_int8 · tiny · spec 01234567 · cfg 01234567.1"),
    ],
)
def test_every_process_type_gets_a_name_that_starts_with_what_tells_it_apart(
    policy, process_type, expected
):
    name = build_mlflow_run_name(NamingContext(process_type, "tiny", **FULL), policy, version=1)
    assert name == expected
    assert set(PROCESS_TYPES) == set(policy.naming.run_names)


def test_conversion_name_takes_the_spec_from_the_parent_training_id(policy):
    context = NamingContext(
        "conversion", "tiny", **{**FULL, "parent_training_id": "spec_ab12:exec_cd34:v1"}
    )
    assert build_mlflow_run_name(context, policy).startswith("onnx · tiny · spec ab12 ·")


def test_a_pattern_whose_version_is_not_last_is_rejected(tmp_path):
    from resume_ner.config.errors import ConfigError

    text = (Path(__file__).parents[2] / "src/resume_ner/config/defaults/naming.yaml").read_text(
        encoding="utf-8"
    )
    (tmp_path / "naming.yaml").write_text(
        text.replace('"sweep {study_hash} · {model}{version}"', '"sweep{version} {study_hash}"'),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="must end with"):
        ProjectConfig.load(tmp_path)


def test_missing_field_for_the_pattern_is_an_error(policy):
    with pytest.raises(NamingError, match="study_hash"):
        format_run_name(NamingContext("hpo_sweep", "tiny"), policy)


def test_names_over_the_limit_or_with_forbidden_characters_are_rejected(policy):
    with pytest.raises(NamingError, match="longer than"):
        validate_run_name("x" * 251, policy)
    with pytest.raises(NamingError, match="forbidden"):
        validate_run_name("a|b", policy)


def test_long_names_warn(policy, caplog):
    with caplog.at_level(logging.WARNING):
        validate_run_name("x" * 200, policy)
    assert "200 characters" in caplog.text


def test_parent_training_id_round_trips_and_rejects_garbage():
    parsed = parse_parent_training_id(build_parent_training_id("ab12", "cd34", 3))
    assert parsed == {"spec_fp": "ab12", "exec_fp": "cd34", "variant": 3}
    with pytest.raises(NamingError):
        parse_parent_training_id("spec-ab12")


def test_experiments_are_one_per_project_and_stage_group(policy):
    assert build_mlflow_experiment_name("hpo_trial", policy) == "resume-ner-hpo"
    assert build_mlflow_experiment_name("hpo_refit", policy) == "resume-ner-hpo"
    assert build_mlflow_experiment_name("final_training", policy) == "resume-ner-training"


def test_training_name_falls_back_to_the_identity_form_for_an_unusable_model_name(policy):
    from resume_ner.naming.policy import build_training_run_name_with_fallback

    context = NamingContext(
        "final_training", "/very/long/path/" + "m" * 300 + "|x", spec_fp=H, exec_fp=H
    )
    name = build_training_run_name_with_fallback(context, policy, "f" * 64, version=3)
    assert name.startswith("final · ")
    assert name.endswith(" · key ffffffff.3")
    assert len(name) < 100
    assert "|" not in name


def test_training_name_follows_the_pattern_when_it_can(policy):
    from resume_ner.naming.policy import build_training_run_name_with_fallback

    context = NamingContext("final_training", "tiny", spec_fp=H, exec_fp=H)
    assert build_training_run_name_with_fallback(
        context, policy, "f" * 64
    ) == build_mlflow_run_name(context, policy)
