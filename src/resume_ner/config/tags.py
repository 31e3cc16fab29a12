"""The model of ``tags.yaml``: the registry of every tag key, grouped by purpose."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import RootModel, field_validator

from resume_ner.config.loader import load_config_file

_SECTION = re.compile(r"^[a-z][a-z0-9_]*$")
_TAG_KEY = re.compile(r"^[A-Za-z0-9_.\-/ ]{1,250}$")


class TagsConfig(RootModel[dict[str, dict[str, str]]]):
    """``section -> name -> tag key``; every key must be a valid MLflow tag key."""

    @field_validator("root")
    @classmethod
    def _valid_keys(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        seen: dict[str, str] = {}
        for section, names in value.items():
            if not _SECTION.match(section):
                raise ValueError(f"section name {section!r} must be lower_snake_case")
            for name, key in names.items():
                if not _TAG_KEY.match(key):
                    raise ValueError(f"{section}.{name}: {key!r} is not a valid MLflow tag key")
                if key in seen and seen[key] != f"{section}.{name}":
                    raise ValueError(
                        f"{section}.{name}: key {key!r} is already used by {seen[key]}"
                    )
                seen[key] = f"{section}.{name}"
        return value


def load_tags_config(config_dir: Path | None = None) -> TagsConfig:
    """Load ``tags.yaml`` from ``config_dir`` (or the shipped default)."""
    return load_config_file("tags.yaml", TagsConfig, config_dir)
