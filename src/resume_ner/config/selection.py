"""The model of ``selection.yaml``: how the best model is chosen among the sweeps of a study family.

One rule decides: every eligible candidate (the champion sweep of a backbone) gets the composite
score ``w_f1 * norm_objective + w_latency * (1 - norm_latency)``, min-max normalised over the
candidates, and the highest wins. Objective scores within ``f1_tolerance`` of the best count as
tied (they all normalise to the top), so that among models equally accurate within noise the
faster one wins, while a real accuracy gap still counts in full.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from resume_ner.config.base import StrictModel
from resume_ner.config.benchmark import RuntimeName
from resume_ner.config.hpo import ObjectiveConfig
from resume_ner.config.loader import load_config_file

LatencyQuantity = Literal["p50_ms", "p95_ms", "p99_ms", "mean_ms"]


class LatencySource(StrictModel):
    """Which benchmark metric is a candidate's latency: runtime, shape and statistic.

    The metric is the one the benchmark tracker logs for ``runtime`` at ``batch_size`` texts of
    ``seq_len`` tokens, e.g. ``onnx_fp32/latency_b1_s256_p50_ms``.
    """

    runtime: RuntimeName = "onnx_fp32"
    batch_size: int = Field(1, ge=1)
    seq_len: int = Field(256, ge=3)
    quantity: LatencyQuantity = "p50_ms"


class SelectionConfig(StrictModel):
    """Everything ``selection.yaml`` holds (see the module docstring for the rule)."""

    objective: ObjectiveConfig = Field(default_factory=ObjectiveConfig)
    f1_weight: float = Field(0.7, ge=0.0)
    latency_weight: float = Field(0.3, ge=0.0)
    latency: LatencySource = Field(default_factory=LatencySource)
    #: A sweep with fewer finished trials is not compared (one lucky trial is not evidence).
    min_trials_per_group: int = Field(3, ge=1)
    #: A sweep's stable score is the median objective of its best this-many trials.
    top_k_for_stable_score: int = Field(3, ge=1)
    #: Stable scores this close to the best count as tied on the objective.
    f1_tolerance: float = Field(0.01, ge=0.0)

    @model_validator(mode="after")
    def _some_weight(self) -> SelectionConfig:
        if self.f1_weight + self.latency_weight <= 0:
            raise ValueError("f1_weight and latency_weight must not both be 0")
        return self

    @property
    def weights(self) -> tuple[float, float]:
        """``(f1_weight, latency_weight)`` normalised to sum to 1."""
        total = self.f1_weight + self.latency_weight
        return self.f1_weight / total, self.latency_weight / total

    @property
    def uses_latency(self) -> bool:
        """Whether latency enters the score (``latency_weight`` above 0)."""
        return self.latency_weight > 0

    @property
    def maximize(self) -> bool:
        """Whether a higher objective value is better."""
        return self.objective.direction == "maximize"


def load_selection_config(config_dir: Path | None = None) -> SelectionConfig:
    """Load ``selection.yaml`` from ``config_dir`` (or the shipped default).

    Raises :class:`resume_ner.config.errors.ConfigError` naming the file and key of any problem.
    """
    return load_config_file("selection.yaml", SelectionConfig, config_dir)
