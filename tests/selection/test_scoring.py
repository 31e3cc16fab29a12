"""Scoring rules on plain numbers: stable score, normalisation and the tolerance tie."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resume_ner.selection.scoring import min_max, normalise_objective, stable_score


def test_stable_score_is_the_median_of_the_best_k_values():
    assert stable_score([0.95, 0.70, 0.71, 0.72, 0.10], 3) == 0.72
    assert stable_score([0.80, 0.90], 3) == pytest.approx(0.85)


def test_stable_score_takes_the_lowest_values_when_minimising():
    assert stable_score([0.1, 0.5, 0.2, 0.3], 3, maximize=False) == 0.2


def test_min_max_gives_one_half_when_all_values_are_equal():
    assert min_max([12.0, 12.0]) == [0.5, 0.5]
    assert min_max([10.0, 20.0, 15.0]) == [0.0, 1.0, 0.5]


def test_scores_within_tolerance_of_the_best_normalise_as_tied_with_it():
    # 0.86 - 0.85 is 0.010000000000000009 in floating point: still within a 0.01 tolerance.
    assert normalise_objective([0.86, 0.85, 0.70], maximize=True, tolerance=0.01) == [
        1.0,
        1.0,
        0.0,
    ]


def test_scores_all_within_tolerance_normalise_to_one_half():
    assert normalise_objective([0.851, 0.846], maximize=True, tolerance=0.01) == [0.5, 0.5]


def test_gap_beyond_tolerance_is_min_max_normalised():
    assert normalise_objective([0.9, 0.8, 0.7], maximize=True, tolerance=0.01) == pytest.approx(
        [1.0, 0.5, 0.0]
    )
    assert normalise_objective([0.2, 0.4], maximize=False, tolerance=0.0) == [1.0, 0.0]


@given(
    st.lists(st.floats(0.0, 1.0), min_size=1, max_size=8),
    st.floats(0.0, 0.2),
)
def test_normalised_objective_stays_in_range_and_the_best_gets_the_top(scores, tolerance):
    normalised = normalise_objective(scores, maximize=True, tolerance=tolerance)
    assert all(0.0 <= value <= 1.0 for value in normalised)
    assert normalised[scores.index(max(scores))] == max(normalised)
