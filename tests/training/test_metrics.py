"""Entity-level scores (seqeval strict, IOB2) from character spans, on hand-built examples."""

from __future__ import annotations

import pytest

from resume_ner.data.alignment import PredictedSpan
from resume_ner.data.documents import Span
from resume_ner.training.metrics import bio_sequences, score_spans

TEXT = "Ada Lovelace knows Python and Java"
NAME = Span(0, 12, "NAME")
PYTHON = Span(19, 25, "SKILL")
JAVA = Span(30, 34, "SKILL")


def test_exact_spans_score_one():
    metrics = score_spans([TEXT], [[NAME, PYTHON, JAVA]], [[NAME, PYTHON, JAVA]])

    assert (metrics.precision, metrics.recall, metrics.micro_f1, metrics.macro_f1) == (1, 1, 1, 1)


def test_a_partially_overlapping_span_is_wrong():
    partial = PredictedSpan(0, 3, "NAME")  # "Ada" instead of "Ada Lovelace"

    metrics = score_spans([TEXT], [[NAME]], [[partial]])

    assert metrics.per_entity["NAME"].f1 == 0.0
    assert metrics.precision == 0.0 and metrics.recall == 0.0


def test_a_span_with_the_right_edges_but_wrong_type_is_wrong():
    metrics = score_spans([TEXT], [[PYTHON]], [[Span(19, 25, "NAME")]])

    assert metrics.per_entity["SKILL"].recall == 0.0
    assert metrics.per_entity["NAME"].precision == 0.0


def test_per_entity_support_counts_gold_entities_only():
    metrics = score_spans([TEXT, TEXT], [[NAME, PYTHON, JAVA], [PYTHON]], [[], [NAME]])

    assert metrics.per_entity["SKILL"].support == 3
    assert metrics.per_entity["NAME"].support == 1
    assert metrics.support == 4


def test_macro_f1_averages_entity_types_and_leaves_out_o():
    # NAME found exactly, SKILL missed: most tokens are O and correctly so, which would lift a
    # token-level macro-F1 that counts O; the entity-level macro is the mean of 1 and 0.
    metrics = score_spans([TEXT], [[NAME, PYTHON]], [[NAME]])

    assert "O" not in metrics.per_entity
    assert set(metrics.per_entity) == {"NAME", "SKILL"}
    assert metrics.macro_f1 == pytest.approx(0.5)
    assert metrics.micro_f1 == pytest.approx(2 * 0.5 * 1.0 / 1.5)


def test_spans_differing_only_by_edge_whitespace_match():
    text = "Skills:  Python  "
    metrics = score_spans([text], [[Span(9, 15, "SKILL")]], [[Span(8, 17, "SKILL")]])

    assert metrics.micro_f1 == 1.0


def test_spans_inside_one_whitespace_word_are_separate_entities():
    text = "Python/Java"
    gold = [Span(0, 6, "SKILL"), Span(7, 11, "SKILL")]

    true_tags, _ = bio_sequences(text, gold, [])
    one_span = score_spans([text], [gold], [[Span(0, 11, "SKILL")]])

    assert true_tags == ["B-SKILL", "O", "B-SKILL"]
    assert one_span.micro_f1 == 0.0


def test_adjacent_spans_of_one_type_are_two_entities():
    text = "Python Java"
    gold = [Span(0, 6, "SKILL"), Span(7, 11, "SKILL")]

    merged = score_spans([text], [gold], [[Span(0, 11, "SKILL")]])

    assert merged.per_entity["SKILL"].support == 2
    assert merged.micro_f1 == 0.0


def test_overlapping_predicted_spans_are_rejected():
    with pytest.raises(ValueError, match="overlaps"):
        score_spans([TEXT], [[NAME]], [[Span(0, 12, "NAME"), Span(4, 12, "NAME")]])


def test_a_span_of_only_whitespace_is_rejected():
    with pytest.raises(ValueError, match="non-whitespace"):
        score_spans(["a   b"], [[Span(1, 4, "SKILL")]], [[]])


def test_no_entities_anywhere_scores_zero_without_error():
    metrics = score_spans(["nothing here"], [[]], [[]])

    assert metrics.macro_f1 == 0.0 and metrics.per_entity == {}
