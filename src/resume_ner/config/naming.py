"""The model of ``naming.yaml``: run-name patterns, experiment names, normalisation, limits."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator, model_validator

from resume_ner.config.base import StrictModel
from resume_ner.config.loader import load_config_file
from resume_ner.config.mlflow import PROCESS_TYPES


class NormalizeConfig(StrictModel):
    replace: dict[str, str] = Field(default_factory=lambda: {"/": "-", " ": "_"})
    lowercase: bool = True


#: MLflow stores a run name in a column of this many characters (``runs.name``).
MLFLOW_RUN_NAME_MAX_LENGTH = 250


class ValidateConfig(StrictModel):
    max_length: int = Field(MLFLOW_RUN_NAME_MAX_LENGTH, ge=16, le=MLFLOW_RUN_NAME_MAX_LENGTH)
    warn_length: int = Field(150, ge=1)
    forbidden_chars: list[str] = Field(
        default_factory=lambda: ["\\", "?", "*", '"', "<", ">", "|", "\n"]
    )

    @model_validator(mode="after")
    def _warn_below_max(self) -> ValidateConfig:
        if self.warn_length > self.max_length:
            raise ValueError("warn_length must not exceed max_length")
        return self


class NamingConfig(StrictModel):
    """Everything ``naming.yaml`` holds."""

    schema_version: int = 1
    hash_length: int = Field(8, ge=4, le=64)
    trial_number_padding: int = Field(2, ge=1, le=6)
    normalize: NormalizeConfig = NormalizeConfig()
    validate_: ValidateConfig = Field(ValidateConfig(), alias="validate")
    experiment_name: str = "{project}-{stage_group}"
    stage_groups: dict[str, str]
    run_names: dict[str, str]

    @field_validator("run_names")
    @classmethod
    def _every_process_has_a_pattern(cls, value: dict[str, str]) -> dict[str, str]:
        missing = [p for p in PROCESS_TYPES if p not in value]
        if missing:
            raise ValueError(f"missing patterns for {missing}")
        unknown = sorted(set(value) - set(PROCESS_TYPES))
        if unknown:
            raise ValueError(f"unknown process types {unknown}; expected {list(PROCESS_TYPES)}")
        for process, pattern in value.items():
            if not pattern.strip():
                raise ValueError(f"pattern for {process!r} is empty")
            # The version counter's floors are read back from the end of run names.
            if "{version}" in pattern and not pattern.endswith("{version}"):
                raise ValueError(f"pattern for {process!r} must end with '{{version}}'")
        return value

    @field_validator("stage_groups")
    @classmethod
    def _every_process_has_a_group(cls, value: dict[str, str]) -> dict[str, str]:
        missing = [p for p in PROCESS_TYPES if p not in value]
        if missing:
            raise ValueError(f"missing stage groups for {missing}")
        return value

    @field_validator("experiment_name")
    @classmethod
    def _experiment_placeholders(cls, value: str) -> str:
        if "{stage_group}" not in value:
            raise ValueError("must contain '{stage_group}'")
        return value


def load_naming_config(config_dir: Path | None = None) -> NamingConfig:
    """Load ``naming.yaml`` from ``config_dir`` (or the shipped default)."""
    return load_config_file("naming.yaml", NamingConfig, config_dir)
