"""Fitting a bundle's calibration on held-out annotated documents, and the precision/recall a
threshold gives.

For each label the predicted spans are paired with the gold spans strictly (same start, end and
label): a span is right or wrong. :func:`fit_span_calibration` fits Platt scaling of the raw
score to that outcome (a one-feature logistic regression on ``logit(raw score)``, by Newton's
method, with Platt's smoothed targets so that a label with no wrong span does not get an
infinite slope), then picks the threshold on the calibrated score that maximises the label's
F-beta (``beta`` < 1 weighs precision above recall: a recruiter forgives a missed skill sooner
than ordinary words labelled as entities). A label with fewer than ``min_spans`` predicted spans
gets a constant probability (its smoothed precision) and no threshold. A label whose spans never
reach ``min_precision`` at any threshold is not served: its spans would be noise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from resume_ner.data.documents import SpanLike
from resume_ner.serve.calibration import LabelCalibration, SpanCalibration, logit, sigmoid

#: Thresholds at which :func:`precision_recall_curve` reports precision and recall.
CURVE_THRESHOLDS: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
#: Newton steps of the Platt fit (it converges in a handful).
NEWTON_STEPS = 50
#: A small ridge on the slope and intercept keeps the Newton step defined on separable data.
RIDGE = 1e-3


@dataclass(frozen=True)
class ScoredOutcome:
    """A predicted span's score and whether a gold span matches it strictly."""

    score: float
    correct: bool


@dataclass(frozen=True)
class CurvePoint:
    """Precision, recall and F1 of one label's spans scoring at least ``threshold``."""

    threshold: float
    precision: float
    recall: float
    f1: float
    predicted: int


class ScoredSpanLike(SpanLike, Protocol):
    """A span with a score (the engine's entities)."""

    @property
    def score(self) -> float: ...


def label_outcomes(
    gold: Sequence[Sequence[SpanLike]], predicted: Sequence[Sequence[ScoredSpanLike]]
) -> tuple[dict[str, list[ScoredOutcome]], dict[str, int]]:
    """Every predicted span's score and strict outcome, by label, and each label's gold count.

    Raises :class:`ValueError` when the sequences differ in length.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold documents but {len(predicted)} predictions")
    outcomes: dict[str, list[ScoredOutcome]] = {}
    gold_counts: dict[str, int] = {}
    for gold_spans, predicted_spans in zip(gold, predicted, strict=True):
        keys = {(s.start, s.end, s.label) for s in gold_spans}
        for span in gold_spans:
            gold_counts[span.label] = gold_counts.get(span.label, 0) + 1
        for span in predicted_spans:
            correct = (span.start, span.end, span.label) in keys
            outcomes.setdefault(span.label, []).append(ScoredOutcome(span.score, correct))
    return outcomes, gold_counts


def _platt_loss(points: Sequence[tuple[float, float]], slope: float, intercept: float) -> float:
    """The cross-entropy of the smoothed targets under the fit, plus its ridge."""
    total = RIDGE * (slope * slope + intercept * intercept) / 2
    for x, target in points:
        z = slope * x + intercept
        # log(1 + exp(z)) - target * z, without overflow
        total += max(z, 0.0) + math.log1p(math.exp(-abs(z))) - target * z
    return total


def fit_platt(outcomes: Sequence[ScoredOutcome]) -> tuple[float, float]:
    """``(slope, intercept)`` of the logistic fit of ``logit(score)`` to the outcomes (Newton's
    method with a backtracking step, so that it never climbs)."""
    positives = sum(o.correct for o in outcomes)
    negatives = len(outcomes) - positives
    high, low = (positives + 1) / (positives + 2), 1 / (negatives + 2)
    points = [(logit(o.score), high if o.correct else low) for o in outcomes]
    slope, intercept = 1.0, 0.0
    loss = _platt_loss(points, slope, intercept)
    for _ in range(NEWTON_STEPS):
        g_slope, g_intercept = RIDGE * slope, RIDGE * intercept
        h_ss, h_si, h_ii = RIDGE, 0.0, RIDGE
        for x, target in points:
            p = sigmoid(slope * x + intercept)
            error, weight = p - target, p * (1.0 - p)
            g_slope += error * x
            g_intercept += error
            h_ss += weight * x * x
            h_si += weight * x
            h_ii += weight
        determinant = h_ss * h_ii - h_si * h_si
        if determinant <= 0:
            break
        step_slope = (h_ii * g_slope - h_si * g_intercept) / determinant
        step_intercept = (h_ss * g_intercept - h_si * g_slope) / determinant
        size = 1.0
        while size > 1e-6:
            trial = (slope - size * step_slope, intercept - size * step_intercept)
            trial_loss = _platt_loss(points, *trial)
            if trial_loss <= loss:
                break
            size /= 2
        else:
            break
        slope, intercept = trial
        improvement, loss = loss - trial_loss, trial_loss
        if improvement < 1e-10:
            break
    return slope, intercept


def _f_beta(tp: int, predicted: int, gold: int, beta: float) -> float:
    if tp == 0:
        return 0.0
    precision, recall = tp / predicted, tp / gold
    b2 = beta * beta
    return (1 + b2) * precision * recall / (b2 * precision + recall)


def best_threshold(
    scored: Sequence[ScoredOutcome], gold: int, beta: float, min_precision: float = 0.0
) -> float | None:
    """The calibrated-score threshold that maximises F-beta among those whose precision
    (Laplace-smoothed, ``(tp + 1) / (kept + 2)``, so that a handful of lucky spans does not
    count) reaches ``min_precision``; the lowest of equals, 0.0 when keeping every span is best,
    ``None`` when no threshold reaches ``min_precision``."""
    ranked = sorted(scored, key=lambda o: -o.score)
    best_value, best = -1.0, None
    tp = 0
    for kept, outcome in enumerate(ranked, start=1):
        tp += outcome.correct
        if kept < len(ranked) and ranked[kept].score == outcome.score:
            continue  # a threshold keeps every span of the same score or none
        if (tp + 1) / (kept + 2) < min_precision:
            continue
        value = _f_beta(tp, kept, gold, beta) if gold else 0.0
        if value > best_value + 1e-12:
            best_value, best = value, outcome.score
    if best is not None and best == (ranked[-1].score if ranked else None):
        return 0.0
    return best


def fit_span_calibration(
    gold: Sequence[Sequence[SpanLike]],
    predicted: Sequence[Sequence[ScoredSpanLike]],
    *,
    beta: float = 0.5,
    min_precision: float = 0.0,
    min_spans: int = 10,
    data: str = "",
) -> SpanCalibration:
    """A :class:`SpanCalibration` fitted on ``predicted`` (raw scores) against ``gold``.

    ``beta`` weighs precision against recall when thresholds are chosen; a label none of whose
    thresholds reaches ``min_precision`` is not served at all; ``min_spans`` is the
    fewest predicted spans of a label that get a fit of their own, ``data`` names what the fit
    saw (stored with it). See the module docstring.
    """
    outcomes, gold_counts = label_outcomes(gold, predicted)
    labels: dict[str, LabelCalibration] = {}
    for label, scored in sorted(outcomes.items()):
        if len(scored) < min_spans:
            right = sum(o.correct for o in scored)
            labels[label] = LabelCalibration(
                slope=0.0, intercept=logit((right + 1) / (len(scored) + 2)), spans=len(scored)
            )
            continue
        slope, intercept = fit_platt(scored)
        calibration = LabelCalibration(slope=slope, intercept=intercept, spans=len(scored))
        calibrated = [ScoredOutcome(calibration.probability(o.score), o.correct) for o in scored]
        threshold = best_threshold(calibrated, gold_counts.get(label, 0), beta, min_precision)
        labels[label] = LabelCalibration(
            slope, intercept, threshold or 0.0, len(scored), served=threshold is not None
        )
    return SpanCalibration(labels=labels, data=data, beta=beta)


def precision_recall_curve(
    gold: Sequence[Sequence[SpanLike]],
    predicted: Sequence[Sequence[ScoredSpanLike]],
    thresholds: Sequence[float] = CURVE_THRESHOLDS,
) -> dict[str, list[CurvePoint]]:
    """Each label's strict precision, recall and F1 when only spans scoring at least each of
    ``thresholds`` are kept (``predicted`` with the scores to judge, calibrated or raw)."""
    outcomes, gold_counts = label_outcomes(gold, predicted)
    curves: dict[str, list[CurvePoint]] = {}
    for label in sorted(set(outcomes) | set(gold_counts)):
        scored = outcomes.get(label, [])
        n_gold = gold_counts.get(label, 0)
        points = []
        for threshold in thresholds:
            kept = [o for o in scored if o.score >= threshold]
            tp = sum(o.correct for o in kept)
            precision = tp / len(kept) if kept else (1.0 if n_gold == 0 else 0.0)
            recall = tp / n_gold if n_gold else (1.0 if not kept else 0.0)
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            points.append(CurvePoint(threshold, precision, recall, f1, len(kept)))
        curves[label] = points
    return curves


def expected_calibration_error(outcomes: Sequence[ScoredOutcome], bins: int = 10) -> float:
    """The mean gap between score and accuracy over equal-width score bins, weighted by size."""
    if not outcomes:
        return 0.0
    total = 0.0
    for index in range(bins):
        low, high = index / bins, (index + 1) / bins
        members = [
            o for o in outcomes if low <= o.score < high or (index == bins - 1 and o.score == 1.0)
        ]
        if members:
            confidence = sum(o.score for o in members) / len(members)
            accuracy = sum(o.correct for o in members) / len(members)
            total += len(members) * abs(confidence - accuracy)
    return total / len(outcomes)
