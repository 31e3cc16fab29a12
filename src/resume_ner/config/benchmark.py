"""The model of ``benchmark.yaml``: which runtimes are timed, on which shapes, how often.

Every runtime gets the same texts (``sequence_lengths`` tokens each, ``batch_sizes`` texts per
call) and does the whole job a caller needs: text in, entities with character offsets out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from resume_ner.config.base import StrictModel
from resume_ner.config.loader import load_config_file

RuntimeName = Literal["eager", "onnx_fp32", "onnx_int8", "hf_pipeline"]
RUNTIME_NAMES: tuple[RuntimeName, ...] = ("eager", "onnx_fp32", "onnx_int8", "hf_pipeline")


class BenchmarkConfig(StrictModel):
    """Everything ``benchmark.yaml`` holds."""

    batch_sizes: list[int] = Field(default_factory=lambda: [1, 8], min_length=1)
    sequence_lengths: list[int] = Field(default_factory=lambda: [128, 256], min_length=1)
    runtimes: list[RuntimeName] = Field(default_factory=lambda: list(RUNTIME_NAMES), min_length=1)
    baseline_runtime: RuntimeName = "eager"
    warmup_iterations: int = Field(2, ge=0)
    iterations: int = Field(10, ge=1)
    #: Stop timing one runtime on one shape after this many seconds (``min_iterations`` are
    #: always run); ``null`` runs every iteration.
    max_seconds_per_case: float | None = Field(60.0, gt=0)
    min_iterations: int = Field(5, ge=1)
    #: Threads of every runtime (torch and ONNX Runtime alike); ``null``: one per physical core.
    threads: int | None = Field(None, ge=1)
    #: Seed of the synthetic texts the inputs are cut from.
    seed: int = 7

    @field_validator("batch_sizes", "sequence_lengths")
    @classmethod
    def _positive_and_unique(cls, value: list[int]) -> list[int]:
        if any(item < 1 for item in value):
            raise ValueError(f"must be positive, got {value}")
        if len(set(value)) != len(value):
            raise ValueError(f"must not repeat a value, got {value}")
        return value

    @field_validator("runtimes")
    @classmethod
    def _unique_runtimes(cls, value: list[RuntimeName]) -> list[RuntimeName]:
        if len(set(value)) != len(value):
            raise ValueError(f"must not repeat a runtime, got {value}")
        return value

    @model_validator(mode="after")
    def _sequences_fit_special_tokens(self) -> BenchmarkConfig:
        if min(self.sequence_lengths) < 3:
            raise ValueError("sequence_lengths must be at least 3 ([CLS], one token, [SEP])")
        if self.min_iterations > self.iterations:
            raise ValueError(
                f"min_iterations ({self.min_iterations}) must not exceed iterations "
                f"({self.iterations})"
            )
        return self


def load_benchmark_config(config_dir: Path | None = None) -> BenchmarkConfig:
    """Load ``benchmark.yaml`` from ``config_dir`` (or the shipped default).

    Raises :class:`resume_ner.config.errors.ConfigError` naming the file and key of any problem.
    """
    return load_config_file("benchmark.yaml", BenchmarkConfig, config_dir)
