"""Calibrating a bundle's entity scores and choosing its per-label thresholds.

The bundle's own engine (the model format it serves, without the pattern recognizers) runs over
annotated documents the model was not trained on; :func:`~resume_ner.evaluation.calibration.
fit_span_calibration` turns its raw span scores into calibrated probabilities and thresholds,
which go into ``bundle.json``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from resume_ner.config.conversion import CalibrationConfig
from resume_ner.config.data import DataConfig
from resume_ner.data.development_set import development_set_path
from resume_ner.data.documents import Document
from resume_ner.evaluation.calibration import fit_span_calibration
from resume_ner.evaluation.run import BATCH_TEXTS, load_gold
from resume_ner.serve.calibration import SpanCalibration
from resume_ner.serve.engine import Entity, InferenceEngine

logger = logging.getLogger(__name__)


def calibration_documents(
    config: CalibrationConfig, data: DataConfig
) -> tuple[list[Document], str]:
    """The annotated documents ``config`` names (``data``, or the shipped development set) and
    how to name them. Raises what :func:`~resume_ner.evaluation.run.load_gold` raises."""
    path = config.data if config.data is not None else development_set_path("dev")
    label = str(config.data) if config.data is not None else "realistic development set (dev)"
    return load_gold(path, "auto", data), label


def calibrate_bundle(
    bundle_dir: Path | str,
    documents: Sequence[Document],
    config: CalibrationConfig,
    source: str,
) -> SpanCalibration:
    """The calibration of bundle ``bundle_dir`` fitted on ``documents`` (named ``source``)."""
    engine = InferenceEngine.load(bundle_dir, recognizers=False)
    engine.calibration = None
    texts = [document.text for document in documents]
    predicted: list[list[Entity]] = []
    for begin in range(0, len(texts), BATCH_TEXTS):
        predicted += engine.extract_model(texts[begin : begin + BATCH_TEXTS])
    gold = [document.spans for document in documents]
    calibration = fit_span_calibration(
        gold,
        predicted,
        beta=config.beta,
        min_precision=config.min_precision,
        min_spans=config.min_spans,
        data=source,
    )
    logger.info("calibrated on %s: thresholds %s", source, calibration.thresholds())
    return calibration
