"""Load YAML configuration files into their typed models.

Each configuration file has one pydantic model. A file found in the user's config folder is
validated against it; a file that is absent there falls back to the shipped default. Every
problem surfaces as :class:`ConfigError` naming the file, the key and what was expected.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from resume_ner.config.errors import ConfigError

ModelT = TypeVar("ModelT", bound=BaseModel)

#: The configuration files; any of them makes a folder a resume-ner config folder, so that a
#: folder holding only ``data.yaml`` is not silently ignored.
CONFIG_FILES = (
    "benchmark.yaml",
    "conversion.yaml",
    "data.yaml",
    "hpo.yaml",
    "mlflow.yaml",
    "model.yaml",
    "naming.yaml",
    "selection.yaml",
    "serve.yaml",
    "tags.yaml",
    "train.yaml",
)


def default_config_dir() -> Path:
    """Return the folder holding the configuration defaults shipped with the package."""
    return Path(str(resources.files("resume_ner.config") / "defaults"))


def read_yaml(path: Path) -> dict[str, Any]:
    """Parse a YAML mapping from ``path``; raise :class:`ConfigError` when it is not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, None, f"cannot be read ({exc.strerror or exc})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(path, None, f"is not valid YAML{where}: {problem}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            path, None, f"expected a mapping at the top level, got {type(data).__name__}"
        )
    return data


def validate_mapping(path: Path, data: dict[str, Any], model: type[ModelT]) -> ModelT:
    """Validate ``data`` (read from ``path``) into ``model``, translating pydantic errors."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or None
        problem = first["msg"]
        if "input" in first and first["type"] != "missing":
            problem += f" (got {first['input']!r})"
        more = exc.error_count() - 1
        if more:
            problem += f"; and {more} more problem{'s' if more > 1 else ''} in this file"
        raise ConfigError(path, key, problem) from exc


def resolve_config_file(file_name: str, config_dir: Path | None) -> Path:
    """Return the user's ``config_dir/file_name`` when it exists, else the shipped default."""
    if config_dir is not None:
        candidate = Path(config_dir) / file_name
        if candidate.exists():
            return candidate
    return default_config_dir() / file_name


def load_config_file(file_name: str, model: type[ModelT], config_dir: Path | None) -> ModelT:
    """Load ``file_name`` from ``config_dir`` (or the shipped default) into ``model``."""
    path = resolve_config_file(file_name, config_dir)
    return validate_mapping(path, read_yaml(path), model)


def infer_config_dir_from_path(path: Path | str | None) -> Path | None:
    """Find the config folder for ``path`` by walking up its parents.

    A folder counts when it is named ``config`` and holds one of :data:`CONFIG_FILES`, or when
    a parent has such a ``config`` subfolder. Returns ``None`` when nothing is found.
    """
    if path is None:
        return None
    start = Path(path).resolve()
    for candidate in (start, *start.parents):
        if candidate.name == "config" and any((candidate / m).exists() for m in CONFIG_FILES):
            return candidate
        sub = candidate / "config"
        if sub.is_dir() and any((sub / m).exists() for m in CONFIG_FILES):
            return sub
    return None


def write_default_configs(target: Path, *, overwrite: bool = False) -> list[Path]:
    """Copy every shipped default configuration file into ``target``.

    Existing files are left alone unless ``overwrite`` is true. Returns the files written.
    """
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sorted(default_config_dir().glob("*.yaml")):
        destination = target / source.name
        if destination.exists() and not overwrite:
            continue
        shutil.copyfile(source, destination)
        written.append(destination)
    return written
