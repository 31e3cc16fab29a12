"""Load YAML configuration files into their typed models.

Each configuration file has one pydantic model. A file found in the user's config folder is
validated against it. Defaults have one source: for the files of :data:`MODEL_DEFAULTS` it is
the model's field defaults (the shipped file is only the commented template ``init`` fills with
them, :func:`render_defaults`); ``naming.yaml`` and ``tags.yaml`` are their shipped files. Every
problem surfaces as :class:`ConfigError` naming the file, the key and what was expected.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
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

#: The files whose defaults are their model's field defaults, and that model.
MODEL_DEFAULTS = {
    "benchmark.yaml": "resume_ner.config.benchmark:BenchmarkConfig",
    "conversion.yaml": "resume_ner.config.conversion:ConversionConfig",
    "data.yaml": "resume_ner.config.data:DataConfig",
    "hpo.yaml": "resume_ner.config.hpo:HpoConfig",
    "mlflow.yaml": "resume_ner.config.mlflow:MlflowConfig",
    "model.yaml": "resume_ner.config.model:ModelConfig",
    "selection.yaml": "resume_ner.config.selection:SelectionConfig",
    "serve.yaml": "resume_ner.config.serve:ServeConfig",
    "train.yaml": "resume_ner.config.train:TrainConfig",
}

_KEY_LINE = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z0-9_.\-]+):(?P<rest>.*)$")
_COMMENT = re.compile(r"\s+#.*$")


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
    """Load ``file_name`` from ``config_dir`` into ``model``; without a user file, the defaults
    (the model's own for :data:`MODEL_DEFAULTS`, else the shipped file)."""
    path = resolve_config_file(file_name, config_dir)
    if file_name in MODEL_DEFAULTS and path == default_config_dir() / file_name:
        return model()
    return validate_mapping(path, read_yaml(path), model)


def _without_nulls(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


def _flow(value: Any) -> str:
    # Unset options inside a one-line mapping (a search parameter's ``step``) are left out.
    value = _without_nulls(value) if isinstance(value, Mapping) else value
    text = yaml.safe_dump(value, default_flow_style=True, width=10**6, sort_keys=False).strip()
    return text.removesuffix("...").strip()


def render_defaults(template: str, defaults: Mapping[str, Any], file_name: str) -> str:
    """``template`` (a shipped file: comments and keys) with every key's value taken from
    ``defaults`` (a model's ``model_dump(mode="json")``); comments stay where they were.

    Raises :class:`ConfigError` for a key of the template that ``defaults`` does not have.
    """
    lines: list[str] = []
    parents: list[tuple[int, str]] = []
    for line in template.splitlines():
        match = _KEY_LINE.match(line)
        if match is None or line.lstrip().startswith("#"):
            lines.append(line)
            continue
        indent, key, rest = match["indent"], match["key"], match["rest"]
        while parents and parents[-1][0] >= len(indent):
            parents.pop()
        value_text = _COMMENT.sub("", rest)
        if not value_text.strip():
            parents.append((len(indent), key))
            lines.append(line)
            continue
        path = [name for _, name in parents] + [key]
        value: Any = defaults
        for name in path:
            if not isinstance(value, Mapping) or name not in value:
                raise ConfigError(file_name, ".".join(path), "is not a key of the model")
            value = value[name]
        rendered = f"{indent}{key}: {_flow(value)}"
        comment = rest[len(value_text) :]
        if comment:
            column = len(line) - len(comment.lstrip()) - 1
            rendered = rendered.ljust(column) + " " + comment.lstrip()
        lines.append(rendered)
    return "\n".join(lines) + "\n"


def default_config_text(file_name: str) -> str:
    """The text ``init`` writes for ``file_name``: the shipped file, its values rendered from
    the model's defaults for the files of :data:`MODEL_DEFAULTS`."""
    template = (default_config_dir() / file_name).read_text(encoding="utf-8")
    if file_name not in MODEL_DEFAULTS:
        return template
    module, _, name = MODEL_DEFAULTS[file_name].partition(":")
    model = getattr(importlib.import_module(module), name)
    return render_defaults(template, model().model_dump(mode="json"), file_name)


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
    """Write every configuration file with its defaults (:func:`default_config_text`) into
    ``target``.

    Existing files are left alone unless ``overwrite`` is true. Returns the files written.
    """
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name in CONFIG_FILES:
        destination = target / name
        if destination.exists() and not overwrite:
            continue
        destination.write_text(default_config_text(name), encoding="utf-8")
        written.append(destination)
    return written
