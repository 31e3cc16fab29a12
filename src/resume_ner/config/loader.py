"""Load YAML configuration files into their typed models.

Each configuration file has one pydantic model. A file found in the user's config folder is
validated against it. Defaults have one source: for the files of :data:`MODEL_DEFAULTS` it is
the model's field defaults (the shipped file is only the commented template ``init`` fills with
them, :func:`render_defaults`); ``naming.yaml`` and ``tags.yaml`` are their shipped files. Every
problem surfaces as :class:`ConfigError` naming the file, the key and what was expected.
"""

from __future__ import annotations

import difflib
import importlib
import re
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from resume_ner.config.errors import ConfigError

if TYPE_CHECKING:
    import yaml
    from pydantic import BaseModel

# yaml and pydantic are imported where a file is read: ``--help`` and the command tree need
# neither, and together they are a third of the command line's start-up.
ModelT = TypeVar("ModelT", bound="BaseModel")

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

#: Suffixes of files a configuration folder may hold besides its configuration files without
#: a word: editor backups. Hidden files, subfolders and files whose names neither end in
#: ``.yaml``/``.yml`` nor are spelt almost like a configuration file are left alone too.
_BACKUP_SUFFIXES = ("~", ".bak", ".orig", ".swp")
_YAML_SUFFIXES = (".yaml", ".yml")
# How alike (difflib's ratio) a name must be to a configuration file's to count as a misspelling.
_CLOSE_NAME = 0.8
# A misspelt name is matched to the closest configuration file at this looser ratio.
_CLOSEST_NAME = 0.7

_KEY_LINE = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z0-9_.\-]+):(?P<rest>.*)$")
_COMMENT = re.compile(r"\s+#.*$")


def default_config_dir() -> Path:
    """Return the folder holding the configuration defaults shipped with the package."""
    return Path(str(resources.files("resume_ner.config") / "defaults"))


def _key_name(node: yaml.Node) -> str:
    import yaml

    return str(node.value) if isinstance(node, yaml.ScalarNode) else f"<{node.tag}>"


def _duplicate_keys(node: yaml.Node, path: str = "") -> Iterator[tuple[str, int, int]]:
    """``(dotted key, first line, second line)`` for every key a mapping under ``node`` holds
    twice (YAML's loaders keep the last value without a word)."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        seen: dict[tuple[str, str], int] = {}
        for key, value in node.value:
            name = _key_name(key)
            dotted = f"{path}.{name}" if path else name
            line = key.start_mark.line + 1
            identity = (key.tag, name)
            if name != "<<" and identity in seen:
                yield dotted, seen[identity], line
            seen.setdefault(identity, line)
            yield from _duplicate_keys(value, dotted)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(item, f"{path}[{index}]")


def read_yaml(path: Path) -> dict[str, Any]:
    """Parse a YAML mapping from ``path``; raise :class:`ConfigError` when it is not one, or
    when a mapping holds a key twice (the error names the key and both lines)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, None, f"cannot be read ({exc.strerror or exc})") from exc
    import yaml

    # libyaml's parser when PyYAML has it: the pure-Python one is most of a read command's
    # time spent on configuration.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        for key, first, second in _duplicate_keys(node):
            raise ConfigError(
                path,
                key,
                f"appears twice, at line {first} and line {second}; keep one of them",
            )
        data = None if node is None else loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(path, None, f"is not valid YAML{where}: {problem}") from exc
    finally:
        loader.dispose()
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            path, None, f"expected a mapping at the top level, got {type(data).__name__}"
        )
    return data


def validate_mapping(path: Path, data: dict[str, Any], model: type[ModelT]) -> ModelT:
    """Validate ``data`` (read from ``path``) into ``model``, translating pydantic errors."""
    from pydantic import ValidationError

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
    import yaml

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


def _is_misspelt(name: str) -> bool:
    """Whether ``name`` (not a configuration file) reads as a configuration file's name: it
    ends in ``.yaml``/``.yml`` or is spelt almost like one (``mlflow.ymal``)."""
    lowered = name.lower()
    if name.startswith(".") or lowered.endswith(_BACKUP_SUFFIXES):
        return False
    if lowered.endswith(_YAML_SUFFIXES):
        return True
    return bool(difflib.get_close_matches(lowered, CONFIG_FILES, n=1, cutoff=_CLOSE_NAME))


def _closest_config_file(name: str) -> str | None:
    # Stems are compared, since a shared ".yaml" makes any two names look alike.
    lowered = name.lower()
    stem = lowered.split(".", 1)[0]
    stems = {file.removesuffix(".yaml"): file for file in CONFIG_FILES}
    match = difflib.get_close_matches(stem, stems, n=1, cutoff=_CLOSEST_NAME)
    return stems[match[0]] if match else None


def config_folder_problems(config_dir: Path) -> list[ConfigError]:
    """One :class:`ConfigError` for each file of ``config_dir`` that would be ignored although
    it looks like configuration: a name ending in ``.yaml``/``.yml`` that is none of
    :data:`CONFIG_FILES`, or one spelt almost like one of them. Each names the closest
    configuration file. Hidden files, editor backups (``~``, ``.bak``), other files (a README)
    and subfolders are left alone: that is where extra files are kept.
    """
    try:
        entries = sorted(config_dir.iterdir())
    except OSError as exc:
        return [ConfigError(config_dir, None, f"cannot be read ({exc.strerror or exc})")]
    problems = []
    for entry in entries:
        if entry.name in CONFIG_FILES or not _is_misspelt(entry.name) or entry.is_dir():
            continue
        closest = _closest_config_file(entry.name)
        hint = f"did you mean {closest}? " if closest else ""
        problems.append(
            ConfigError(
                entry,
                None,
                f"is not a configuration file resume-ner reads, so its settings would be "
                f"ignored; {hint}(the files read are {', '.join(CONFIG_FILES)}; keep other "
                "YAML files in a subfolder)",
            )
        )
    return problems


def check_config_folder(config_dir: Path | None) -> None:
    """Raise the first of :func:`config_folder_problems` for ``config_dir``, if any."""
    if config_dir is None:
        return
    problems = config_folder_problems(Path(config_dir))
    if problems:
        raise problems[0]


def _holds_configuration(folder: Path) -> bool:
    """Whether ``folder`` holds a configuration file, or a file misspelt like one."""
    try:
        names = [entry.name for entry in folder.iterdir()] if folder.is_dir() else []
    except OSError:
        return False
    return any(
        name in CONFIG_FILES or (_is_misspelt(name) and _closest_config_file(name) is not None)
        for name in names
    )


def infer_config_dir_from_path(path: Path | str | None) -> Path | None:
    """Find the config folder for ``path`` by walking up its parents.

    A folder counts when it is named ``config`` and holds one of :data:`CONFIG_FILES` or a
    file spelt almost like one (so that a misspelt file is reported, not ignored), or when a
    parent has such a ``config`` subfolder. Returns ``None`` when nothing is found.
    """
    if path is None:
        return None
    start = Path(path).resolve()
    for candidate in (start, *start.parents):
        if candidate.name == "config" and _holds_configuration(candidate):
            return candidate
        sub = candidate / "config"
        if _holds_configuration(sub):
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
