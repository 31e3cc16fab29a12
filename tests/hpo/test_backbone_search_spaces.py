"""Per-backbone search spaces: a pretrained backbone's study searches its own learning-rate range,
while backbones swept under one configuration stay one study family that selection compares."""

from __future__ import annotations

import optuna
import pytest
from pydantic import ValidationError

from resume_ner.config.hpo import HpoConfig, SearchParameter
from resume_ner.hpo.search_space import suggest_params
from resume_ner.hpo.study import build_study_identity

TRAINING = {"epochs": 2, "backbone_preset": {"type": "tiny"}}


def _identity(hpo: HpoConfig, backbone: str):
    return build_study_identity(
        project="resume-ner",
        backbone=backbone,
        data_fingerprint="data-1",
        hpo=hpo,
        training=TRAINING,
    )


def test_the_shipped_configuration_fine_tunes_minilm_with_a_smaller_learning_rate() -> None:
    hpo = HpoConfig()
    tiny, minilm = hpo.search_space_for("tiny"), hpo.search_space_for("minilm")
    assert tiny == hpo.search_space
    assert minilm["learning_rate"].high is not None and tiny["learning_rate"].low is not None
    assert minilm["learning_rate"].high <= tiny["learning_rate"].low
    assert {k: v for k, v in minilm.items() if k != "learning_rate"} == {
        k: v for k, v in tiny.items() if k != "learning_rate"
    }


def test_a_trial_of_minilm_samples_from_minilms_range() -> None:
    hpo = HpoConfig()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    for _ in range(20):
        params = suggest_params(study.ask(), hpo.search_space_for("minilm"))
        assert 5e-5 <= params["learning_rate"] <= 5e-4


def test_backbones_with_their_own_ranges_stay_one_study_family() -> None:
    hpo = HpoConfig()
    tiny, minilm = _identity(hpo, "tiny"), _identity(hpo, "minilm")
    assert tiny.study_family_hash == minilm.study_family_hash
    assert tiny.study_key_hash != minilm.study_key_hash
    assert minilm.study_key["hpo"]["search_space"]["learning_rate"]["high"] == pytest.approx(5e-4)


def test_a_backbones_range_decides_its_own_study_only() -> None:
    narrower = HpoConfig(
        backbone_search_spaces={
            "minilm": {
                "learning_rate": SearchParameter(type="float", low=1e-4, high=3e-4, log=True)
            }
        }
    )
    assert (
        _identity(narrower, "tiny").study_key_hash == _identity(HpoConfig(), "tiny").study_key_hash
    )
    assert (
        _identity(narrower, "minilm").study_key_hash
        != _identity(HpoConfig(), "minilm").study_key_hash
    )
    assert (
        _identity(narrower, "tiny").study_family_hash
        != _identity(HpoConfig(), "tiny").study_family_hash
    )


def test_a_backbone_range_for_a_parameter_the_search_does_not_have_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"backbone_search_spaces\.minilm names \['lr'\]"):
        HpoConfig(
            backbone_search_spaces={
                "minilm": {"lr": SearchParameter(type="float", low=1e-4, high=3e-4)}
            }
        )


def test_a_users_search_space_without_the_learning_rate_keeps_it_unsearched_for_every_backbone() -> (
    None
):
    hpo = HpoConfig(search_space={"dropout": SearchParameter(type="float", low=0.0, high=0.2)})
    assert hpo.search_space_for("minilm") == hpo.search_space
