"""Entity scores: strict and lenient counting, micro and macro, label errors, worst documents,
each checked against figures worked out by hand."""

from __future__ import annotations

import pytest

from resume_ner.data.documents import Span
from resume_ner.evaluation.scoring import NONE, Counts, score_documents

# Document 0: NAME right; EMAIL cut in two; LOCATION predicted as NAME; a spurious SKILL.
# Document 1: no entity and nothing predicted. Document 2: a SKILL missed.
GOLD = [
    [Span(0, 8, "NAME"), Span(10, 20, "EMAIL"), Span(22, 28, "LOCATION")],
    [],
    [Span(0, 6, "SKILL")],
]
PREDICTED = [
    [
        Span(0, 8, "NAME"),
        Span(10, 15, "EMAIL"),
        Span(16, 20, "EMAIL"),
        Span(22, 28, "NAME"),
        Span(30, 35, "SKILL"),
    ],
    [],
    [],
]


@pytest.fixture
def scores():
    return score_documents(GOLD, PREDICTED, ["a", "empty", "c"])


def test_strict_counts_only_exact_spans_with_their_label(scores):
    strict = scores.strict
    assert strict.per_label == {
        "EMAIL": Counts(tp=0, predicted=2, gold=1),
        "LOCATION": Counts(tp=0, predicted=0, gold=1),
        "NAME": Counts(tp=1, predicted=2, gold=1),
        "SKILL": Counts(tp=0, predicted=1, gold=1),
    }
    assert strict.per_label["NAME"].precision == pytest.approx(1 / 2)
    assert strict.per_label["NAME"].recall == pytest.approx(1.0)
    assert strict.per_label["NAME"].f1 == pytest.approx(2 / 3)
    # micro: 1 right of 5 predicted and 4 gold -> P 0.2, R 0.25, F1 2*0.2*0.25/0.45
    assert strict.micro.precision == pytest.approx(0.2)
    assert strict.micro.recall == pytest.approx(0.25)
    assert strict.micro.f1 == pytest.approx(0.1 / 0.45)
    # macro: (2/3 + 0 + 0 + 0) / 4
    assert strict.macro("f1") == pytest.approx(1 / 6)
    assert strict.macro("recall") == pytest.approx(1 / 4)


def test_lenient_pairs_overlapping_spans_of_the_same_label_one_to_one(scores):
    lenient = scores.lenient
    # One of the two EMAIL pieces pairs with the gold EMAIL, the other is a false positive.
    assert lenient.per_label["EMAIL"] == Counts(tp=1, predicted=2, gold=1)
    assert lenient.per_label["EMAIL"].f1 == pytest.approx(2 / 3)
    # The NAME over the LOCATION overlaps no gold NAME: still wrong.
    assert lenient.per_label["NAME"] == Counts(tp=1, predicted=2, gold=1)
    # micro: 2 right of 5 predicted and 4 gold -> P 0.4, R 0.5
    assert lenient.micro.precision == pytest.approx(0.4)
    assert lenient.micro.recall == pytest.approx(0.5)
    assert lenient.micro.f1 == pytest.approx(0.4 / 0.9)
    assert lenient.macro("f1") == pytest.approx((2 / 3 + 2 / 3) / 4)


def test_confusion_pairs_each_gold_span_with_its_best_overlap(scores):
    assert scores.label_errors() == {
        ("LOCATION", "NAME"): 1,
        ("SKILL", NONE): 1,
        (NONE, "SKILL"): 1,
    }
    assert scores.confusion[("NAME", "NAME")] == 1
    assert scores.confusion[("EMAIL", "EMAIL")] == 1


def test_worst_documents_rank_by_strict_errors_and_leave_out_perfect_ones(scores):
    worst = scores.worst_documents(5)
    # document 0: 4 false positives + 2 false negatives; document 2: 1 false negative
    assert [(d.doc_id, d.errors) for d in worst] == [("a", 6), ("c", 1)]
    assert scores.worst_documents(1) == worst[:1]
    empty = scores.documents[1]
    assert (empty.strict.f1, empty.lenient.f1) == (1.0, 1.0)


def test_nothing_to_find_and_nothing_found_scores_one_and_anything_found_scores_zero():
    assert score_documents([[]], [[]]).strict.micro.f1 == 1.0
    assert score_documents([[]], [[]]).strict.macro("f1") == 1.0
    spurious = score_documents([[]], [[Span(0, 3, "NAME")]])
    assert (spurious.strict.micro.precision, spurious.strict.micro.recall) == (0.0, 0.0)
    missed = score_documents([[Span(0, 3, "NAME")]], [[]])
    assert (missed.strict.micro.precision, missed.strict.micro.recall) == (0.0, 0.0)


def test_gold_and_predictions_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="2 gold documents but 1 predictions"):
        score_documents([[], []], [[]])
