"""Calibrated span scores and per-label thresholds: fitting them on held-out documents, storing
them in the bundle, and the engine serving only spans above their label's threshold."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest

from resume_ner.config.conversion import CalibrationConfig
from resume_ner.conversion.calibrate import calibrate_bundle
from resume_ner.data.documents import Span
from resume_ner.evaluation.calibration import (
    best_threshold,
    expected_calibration_error,
    fit_span_calibration,
    label_outcomes,
    precision_recall_curve,
)
from resume_ner.serve.bundle import BundleError, read_manifest, write_manifest
from resume_ner.serve.calibration import LabelCalibration, SpanCalibration
from resume_ner.serve.engine import Entity, InferenceEngine


def _overconfident_predictions(
    n_documents: int = 150, seed: int = 3
) -> tuple[list[list[Span]], list[list[Entity]]]:
    """SKILL spans whose raw scores (0.9-1.0) overstate how often they are right: a span of raw
    score s is right with probability (s - 0.9) * 10."""
    rng = random.Random(seed)
    gold, predicted = [], []
    for _ in range(n_documents):
        doc_gold, doc_predicted = [], []
        for index in range(8):
            score = 0.9 + 0.1 * rng.random()
            entity = Entity(index * 10, index * 10 + 5, "SKILL", "xxxxx", score)
            doc_predicted.append(entity)
            if rng.random() < (score - 0.9) * 10:
                doc_gold.append(Span(entity.start, entity.end, "SKILL"))
        gold.append(doc_gold)
        predicted.append(doc_predicted)
    return gold, predicted


def test_calibrated_scores_match_how_often_spans_are_right() -> None:
    gold, predicted = _overconfident_predictions()
    calibration = fit_span_calibration(gold, predicted)
    raw, _ = label_outcomes(gold, predicted)
    calibrated, _ = label_outcomes(gold, [calibration.calibrated(p) for p in predicted])
    assert expected_calibration_error(raw["SKILL"]) > 0.3
    assert expected_calibration_error(calibrated["SKILL"]) < 0.08


def test_a_threshold_that_favours_precision_keeps_fewer_and_surer_spans() -> None:
    gold, predicted = _overconfident_predictions()
    precise = fit_span_calibration(gold, predicted, beta=0.5)
    balanced = fit_span_calibration(gold, predicted, beta=2.0)
    assert precise.labels["SKILL"].threshold > balanced.labels["SKILL"].threshold

    def precision(calibration: SpanCalibration) -> float:
        kept = [calibration.confident(calibration.calibrated(p)) for p in predicted]
        outcomes, _ = label_outcomes(gold, kept)
        return sum(o.correct for o in outcomes["SKILL"]) / len(outcomes["SKILL"])

    raw_outcomes, _ = label_outcomes(gold, predicted)
    raw_precision = sum(o.correct for o in raw_outcomes["SKILL"]) / len(raw_outcomes["SKILL"])
    assert precision(precise) > raw_precision + 0.2


def test_best_threshold_keeps_every_span_when_all_are_right() -> None:
    _, predicted = _overconfident_predictions()
    everything_right = [[Span(e.start, e.end, e.label) for e in p] for p in predicted]
    outcomes, counts = label_outcomes(everything_right, predicted)
    assert best_threshold(outcomes["SKILL"], counts["SKILL"], beta=0.5) == 0.0


def test_a_label_with_few_spans_gets_its_precision_as_score_and_no_threshold() -> None:
    gold = [[Span(0, 5, "NAME")], []]
    predicted = [[Entity(0, 5, "NAME", "Jane ", 0.99)], [Entity(0, 3, "NAME", "new", 0.98)]]
    calibration = fit_span_calibration(gold, predicted, min_spans=10)
    name = calibration.labels["NAME"]
    assert name.threshold == 0.0
    assert name.probability(0.99) == pytest.approx(0.5)
    assert name.probability(0.2) == pytest.approx(0.5)


def test_the_precision_recall_curve_trades_recall_for_precision() -> None:
    gold, predicted = _overconfident_predictions()
    calibration = fit_span_calibration(gold, predicted)
    points = precision_recall_curve(gold, [calibration.calibrated(p) for p in predicted])["SKILL"]
    assert points[0].threshold == 0.0 and points[0].recall == 1.0
    assert points[-1].precision > points[0].precision
    assert points[-1].recall < points[0].recall


def test_thresholds_are_stored_in_and_read_from_the_bundle(
    tmp_path: Path, bundle_dir: Path
) -> None:
    copy = tmp_path / "bundle"
    copy.mkdir()
    for item in bundle_dir.iterdir():
        (copy / item.name).write_bytes(item.read_bytes())
    calibration = SpanCalibration(
        labels={"SKILL": LabelCalibration(slope=1.5, intercept=-0.25, threshold=0.6, spans=42)},
        data="hand-written resumes",
        beta=0.5,
    )
    write_manifest(copy, replace(read_manifest(copy), calibration=calibration))
    stored = json.loads((copy / "bundle.json").read_text())["calibration"]
    assert stored["labels"]["SKILL"]["threshold"] == 0.6
    assert read_manifest(copy).calibration == calibration
    assert InferenceEngine.load(copy).calibration == calibration


def test_a_malformed_calibration_in_the_bundle_is_a_bundle_error(
    tmp_path: Path, bundle_dir: Path
) -> None:
    copy = tmp_path / "bundle"
    copy.mkdir()
    for item in bundle_dir.iterdir():
        (copy / item.name).write_bytes(item.read_bytes())
    manifest = json.loads((copy / "bundle.json").read_text())
    manifest["calibration"] = {"method": "platt", "labels": {"SKILL": {"slope": "steep"}}}
    (copy / "bundle.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match=r"bundle\.json.*calibration"):
        read_manifest(copy)


def test_the_engine_serves_only_spans_above_their_labels_threshold(bundle_dir: Path) -> None:
    engine = InferenceEngine.load(bundle_dir, recognizers=False)
    texts = [
        "Jane Doe\nSenior Data Engineer at Acme, Berlin\nSkills: Python, SQL, Docker, Kubernetes"
    ] * 3
    raw = engine.extract_model(texts)
    labels = sorted({entity.label for entities in raw for entity in entities})
    assert labels, "the tiny model predicts nothing to threshold"
    blocked = labels[0]
    engine.calibration = SpanCalibration(
        labels={blocked: LabelCalibration(slope=0.0, intercept=0.0, threshold=0.9)}
    )
    served = engine.extract_model(texts)
    assert all(entity.label != blocked for entities in served for entity in entities)
    kept = engine.extract_model(texts, confident_only=False)
    blocked_scores = {e.score for entities in kept for e in entities if e.label == blocked}
    assert blocked_scores == {0.5}
    others = [e for entities in raw for e in entities if e.label != blocked]
    assert [e for entities in served for e in entities] == others


def test_calibrating_a_bundle_fits_every_label_the_model_predicts(
    bundle_dir: Path, tiny_test_documents: list
) -> None:
    calibration = calibrate_bundle(
        bundle_dir, tiny_test_documents, CalibrationConfig(min_spans=3), "test split"
    )
    engine = InferenceEngine.load(bundle_dir, recognizers=False)
    engine.calibration = None
    predicted = {
        e.label for es in engine.extract_model([d.text for d in tiny_test_documents]) for e in es
    }
    assert set(calibration.labels) == predicted
    assert calibration.data == "test split"
    assert all(0.0 <= label.threshold <= 1.0 for label in calibration.labels.values())


def test_a_label_that_never_reaches_the_minimum_precision_is_not_served() -> None:
    gold, predicted = _overconfident_predictions()
    hopeless = [[replace(e, label="EDUCATION") for e in p[:2]] + list(p) for p in predicted]
    calibration = fit_span_calibration(gold, hopeless, min_precision=0.6)
    assert calibration.labels["EDUCATION"].served is False
    assert calibration.labels["SKILL"].served is True
    assert calibration.thresholds()["EDUCATION"] is None
    served = [calibration.confident(calibration.calibrated(p)) for p in hopeless]
    assert not any(e.label == "EDUCATION" for p in served for e in p)
    restored = SpanCalibration.from_dict(calibration.to_dict())
    assert restored.labels["EDUCATION"].served is False


def test_the_minimum_precision_holds_on_the_data_the_threshold_was_chosen_on() -> None:
    gold, predicted = _overconfident_predictions()
    calibration = fit_span_calibration(gold, predicted, beta=2.0, min_precision=0.8)
    kept = [calibration.confident(calibration.calibrated(p)) for p in predicted]
    outcomes, _ = label_outcomes(gold, kept)
    right = sum(o.correct for o in outcomes["SKILL"])
    assert (right + 1) / (len(outcomes["SKILL"]) + 2) >= 0.8
