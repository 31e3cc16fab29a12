"""The champion rule: a new model takes the alias only when the selection rule ranks it first."""

from __future__ import annotations

from resume_ner.config.selection import SelectionConfig
from resume_ner.selection.champion import ModelScore, decide_champion

CONFIG = SelectionConfig()  # 0.7 / 0.3, tolerance 0.01


def test_the_first_model_becomes_champion():
    decision = decide_champion(ModelScore(0.5, 20.0), None, CONFIG)

    assert decision.promote
    assert "no model was champion before" in decision.reason


def test_a_clearly_more_accurate_model_wins_even_when_slower():
    decision = decide_champion(ModelScore(0.90, 30.0), ModelScore(0.80, 10.0), CONFIG)

    assert decision.promote
    assert "0.9000 vs 0.8000" in decision.reason


def test_within_tolerance_the_faster_model_wins():
    assert decide_champion(ModelScore(0.855, 10.0), ModelScore(0.85, 20.0), CONFIG).promote
    assert not decide_champion(ModelScore(0.855, 20.0), ModelScore(0.85, 10.0), CONFIG).promote


def test_an_equal_model_does_not_move_the_alias():
    decision = decide_champion(ModelScore(0.85, 10.0), ModelScore(0.85, 10.0), CONFIG)

    assert not decision.promote
    assert "does not beat" in decision.reason


def test_a_less_accurate_model_does_not_win():
    assert not decide_champion(ModelScore(0.70, 5.0), ModelScore(0.85, 50.0), CONFIG).promote


def test_without_both_latencies_the_objective_alone_decides():
    assert decide_champion(ModelScore(0.90, None), ModelScore(0.85, 1.0), CONFIG).promote
    assert not decide_champion(ModelScore(0.85, 1.0), ModelScore(0.85, None), CONFIG).promote


def test_latency_is_ignored_when_it_has_no_weight():
    config = SelectionConfig(latency_weight=0.0)

    assert not decide_champion(ModelScore(0.855, 1.0), ModelScore(0.85, 50.0), config).promote
