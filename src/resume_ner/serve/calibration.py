"""Calibrated entity scores and per-label thresholds, as a bundle stores and the engine applies
them.

A model's raw span score (the mean softmax probability of its words' tags) says little: a
randomly initialised model is 0.99 sure of "people" being a LOCATION. A bundle's calibration
maps each label's raw score to the probability that such a span is right, by Platt scaling
(``sigmoid(slope * logit(raw) + intercept)``, fitted on held-out annotated documents by
:mod:`resume_ner.evaluation.calibration`), and keeps a span only when that probability reaches
the label's threshold, chosen there to favour precision. Labels the calibration does not name
keep their raw score and no threshold.

The calibration lives in ``bundle.json`` under ``calibration``::

    {"method": "platt", "data": "<what it was fitted on>", "beta": 0.5,
     "labels": {"SKILL": {"slope": 1.3, "intercept": -0.4, "threshold": 0.55, "spans": 812,
                          "served": true}}}
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

#: Raw scores are clipped to [EPSILON, 1 - EPSILON] before their logit is taken.
EPSILON = 1e-6


class ScoredSpan(Protocol):
    """Anything with a label and a score that :func:`dataclasses.replace` can copy."""

    @property
    def label(self) -> str: ...

    @property
    def score(self) -> float: ...


SpanT = TypeVar("SpanT", bound=ScoredSpan)


def logit(probability: float) -> float:
    """``log(p / (1 - p))`` of ``probability`` clipped away from 0 and 1."""
    p = min(max(probability, EPSILON), 1.0 - EPSILON)
    return math.log(p / (1.0 - p))


def sigmoid(value: float) -> float:
    """The logistic function, without overflow for large negative values."""
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    exp = math.exp(value)
    return exp / (1.0 + exp)


@dataclass(frozen=True)
class LabelCalibration:
    """One label's Platt scaling (``slope``, ``intercept``), the calibrated score a span needs
    to be kept (``threshold``), how many predicted spans the fit saw (``spans``) and whether
    the label is served at all (``served``: false when no threshold made its spans precise
    enough to be worth returning)."""

    slope: float = 1.0
    intercept: float = 0.0
    threshold: float = 0.0
    spans: int = 0
    served: bool = True

    def probability(self, raw_score: float) -> float:
        """The calibrated probability that a span of raw score ``raw_score`` is right."""
        return sigmoid(self.slope * logit(raw_score) + self.intercept)


@dataclass(frozen=True)
class SpanCalibration:
    """Every label's :class:`LabelCalibration`, with what they were fitted on."""

    labels: Mapping[str, LabelCalibration]
    data: str = ""
    beta: float = 0.5
    method: str = field(default="platt")

    def calibrated(self, spans: Iterable[SpanT]) -> list[SpanT]:
        """``spans`` with calibrated scores (labels without a calibration keep theirs)."""
        result = []
        for span in spans:
            label = self.labels.get(span.label)
            result.append(
                span if label is None else replace(span, score=label.probability(span.score))  # type: ignore[type-var]
            )
        return result

    def confident(self, spans: Iterable[SpanT]) -> list[SpanT]:
        """The spans of ``spans`` (already calibrated) whose score reaches their label's
        threshold."""
        return [
            span
            for span in spans
            if span.label not in self.labels
            or (self.labels[span.label].served and span.score >= self.labels[span.label].threshold)
        ]

    def thresholds(self) -> dict[str, float | None]:
        """Each label's threshold (``None``: the label is not served)."""
        return {
            name: label.threshold if label.served else None
            for name, label in sorted(self.labels.items())
        }

    def to_dict(self) -> dict[str, Any]:
        """The ``bundle.json`` form (module docstring)."""
        return {
            "method": self.method,
            "data": self.data,
            "beta": self.beta,
            "labels": {
                name: {
                    "slope": label.slope,
                    "intercept": label.intercept,
                    "threshold": label.threshold,
                    "spans": label.spans,
                    "served": label.served,
                }
                for name, label in sorted(self.labels.items())
            },
        }

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> SpanCalibration:
        """Read :meth:`to_dict`'s form. Raises :class:`ValueError` naming what is wrong."""
        method = payload.get("method", "platt")
        if method != "platt":
            raise ValueError(f"calibration method {method!r} is not known (expected 'platt')")
        labels = payload.get("labels")
        if not isinstance(labels, Mapping):
            raise ValueError("calibration.labels must be an object of label -> settings")
        parsed: dict[str, LabelCalibration] = {}
        for name, settings in labels.items():
            try:
                parsed[str(name)] = LabelCalibration(
                    slope=float(settings["slope"]),
                    intercept=float(settings["intercept"]),
                    threshold=float(settings["threshold"]),
                    spans=int(settings.get("spans", 0)),
                    served=bool(settings.get("served", True)),
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"calibration.labels.{name}: {exc!r}") from exc
        return cls(
            labels=parsed,
            data=str(payload.get("data", "")),
            beta=float(payload.get("beta", 0.5)),
            method=method,
        )
