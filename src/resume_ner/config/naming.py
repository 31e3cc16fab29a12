"""The model of ``naming.yaml``: run-name patterns, experiment names, normalisation, limits.

The shipped ``naming.yaml`` is the one source of its defaults: a user's file is merged over it
key by key at the top level (a section the user's file holds replaces the shipped one whole).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator, model_validator

from resume_ner.config.base import StrictModel
from resume_ner.config.loader import (
    default_config_dir,
    read_yaml,
    resolve_config_file,
    validate_mapping,
)
from resume_ner.config.mlflow import PROCESS_TYPES


class NormalizeConfig(StrictModel):
    replace: dict[str, str]
    lowercase: bool


#: MLflow stores a run name in a column of this many characters (``runs.name``).
MLFLOW_RUN_NAME_MAX_LENGTH = 250


class ValidateConfig(StrictModel):
    max_length: int = Field(ge=16, le=MLFLOW_RUN_NAME_MAX_LENGTH)
    warn_length: int = Field(ge=1)
    forbidden_chars: list[str]

    @model_validator(mode="after")
    def _warn_below_max(self) -> ValidateConfig:
        if self.warn_length > self.max_length:
            raise ValueError("warn_length must not exceed max_length")
        return self


class NamingConfig(StrictModel):
    """Everything ``naming.yaml`` holds."""

    schema_version: int
    hash_length: int = Field(ge=4, le=64)
    trial_number_padding: int = Field(ge=1, le=6)
    normalize: NormalizeConfig
    validate_: ValidateConfig = Field(alias="validate")
    experiment_name: str
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
    """Load ``naming.yaml`` from ``config_dir`` merged over the shipped file (see the module
    docstring). Raises :class:`~resume_ner.config.errors.ConfigError` naming the file and key."""
    shipped = default_config_dir() / "naming.yaml"
    path = resolve_config_file("naming.yaml", config_dir)
    data = read_yaml(shipped)
    if path != shipped:
        data = {**data, **read_yaml(path)}
    return validate_mapping(path, data, NamingConfig)
