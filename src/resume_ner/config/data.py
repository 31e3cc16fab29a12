"""The model of ``data.yaml``: where documents come from, the label set, splits and windowing."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from resume_ner.config.base import StrictModel
from resume_ner.config.loader import load_config_file

#: The canonical entity types of resume-ner.
DEFAULT_LABELS = (
    "SKILL",
    "EDUCATION",
    "DESIGNATION",
    "EXPERIENCE",
    "NAME",
    "EMAIL",
    "PHONE",
    "LOCATION",
)

#: Common source labels of public resume data sets and NER tools, and their canonical labels.
DEFAULT_LABEL_MAP = {
    "PERSON": "NAME",
    "PER": "NAME",
    "CANDIDATE_NAME": "NAME",
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "LOC": "LOCATION",
    "GPE": "LOCATION",
    "ADDRESS": "LOCATION",
    "JOB_TITLE": "DESIGNATION",
    "TITLE": "DESIGNATION",
    "DEGREE": "EDUCATION",
    "COLLEGE_NAME": "EDUCATION",
    "SKILLS": "SKILL",
    "YEARS_OF_EXPERIENCE": "EXPERIENCE",
}

#: Label-map target that drops a source label on purpose (it is never applied implicitly).
DROP_LABEL = "O"

DataFormat = Literal["auto", "json", "jsonl", "label_studio", "doccano", "conll"]

_LABEL_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


class SyntheticSource(StrictModel):
    """Documents from the seeded synthetic resume generator shipped with the package."""

    type: Literal["synthetic"] = "synthetic"
    n_documents: int = Field(800, ge=1, le=1_000_000)
    seed: int = 13


class FileSource(StrictModel):
    """Documents read from an annotated file (relative paths are taken from the caller's cwd)."""

    type: Literal["file"]
    path: Path
    format: DataFormat = "auto"


class SplitConfig(StrictModel):
    """Fractions of the documents for train, validation and test, and the seed of the split."""

    train: float = Field(0.8, gt=0, le=1)
    validation: float = Field(0.1, ge=0, lt=1)
    test: float = Field(0.1, ge=0, lt=1)
    seed: int = 42
    stratify: bool = True

    @model_validator(mode="after")
    def _fractions_sum_to_one(self) -> SplitConfig:
        total = self.train + self.validation + self.test
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"train + validation + test must be 1 (got {total:g})")
        return self


class DataConfig(StrictModel):
    """Everything ``data.yaml`` holds."""

    source: Annotated[SyntheticSource | FileSource, Field(discriminator="type")] = Field(
        default_factory=SyntheticSource
    )
    labels: list[str] = Field(default_factory=lambda: list(DEFAULT_LABELS), min_length=1)
    label_map: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_LABEL_MAP))
    split: SplitConfig = Field(default_factory=SplitConfig)
    max_length: int = Field(128, ge=8, le=8192)
    stride: int = Field(32, ge=0)
    label_all_subwords: bool = False

    @field_validator("labels")
    @classmethod
    def _labels_are_plain_and_unique(cls, value: list[str]) -> list[str]:
        for label in value:
            if label == DROP_LABEL or not _LABEL_PATTERN.match(label):
                raise ValueError(
                    f"{label!r} is not a valid entity type (letters, digits, '_', '.', '-'; "
                    f"not {DROP_LABEL!r})"
                )
            if label[:2] in ("B-", "I-"):
                raise ValueError(f"{label!r}: give entity types without a B-/I- prefix")
        duplicates = sorted({label for label in value if value.count(label) > 1})
        if duplicates:
            raise ValueError(f"duplicate entity types {duplicates}")
        return value

    @model_validator(mode="after")
    def _check_map_and_windows(self) -> DataConfig:
        allowed = {*self.labels, DROP_LABEL}
        for source, target in self.label_map.items():
            if not source:
                raise ValueError("label_map has an empty source label")
            if target not in allowed:
                raise ValueError(
                    f"label_map maps {source!r} to {target!r}, which is neither one of the "
                    f"labels {self.labels} nor {DROP_LABEL!r} (drop)"
                )
        # Each window holds [CLS] and [SEP]; the overlap must leave room for new tokens.
        if self.stride > self.max_length - 3:
            raise ValueError(
                f"stride ({self.stride}) must be at most max_length - 3 ({self.max_length - 3})"
            )
        return self


def load_data_config(config_dir: Path | None = None) -> DataConfig:
    """Load ``data.yaml`` from ``config_dir`` (or the shipped default).

    Raises :class:`resume_ner.config.errors.ConfigError` naming the file and key of any problem.
    """
    return load_config_file("data.yaml", DataConfig, config_dir)
