"""Checking every configuration file (and the data ``data.yaml`` names) before a command starts.

Commands that track anything call :func:`require_valid_configuration` before they create a
store, a run or an output folder, so that a bad file stops them with exit code 2 and nothing
written; ``resume-ner doctor`` shows the same checks (:func:`check_configuration`) one per line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import typer

from resume_ner.cli.state import CliState, get_state
from resume_ner.config.benchmark import load_benchmark_config
from resume_ner.config.conversion import load_conversion_config
from resume_ner.config.data import load_data_config
from resume_ner.config.hpo import load_hpo_config
from resume_ner.config.loader import resolve_config_file
from resume_ner.config.mlflow import load_mlflow_config
from resume_ner.config.model import load_model_config
from resume_ner.config.naming import load_naming_config
from resume_ner.config.selection import load_selection_config
from resume_ner.config.serve import load_serve_config
from resume_ner.config.tags import load_tags_config
from resume_ner.config.train import load_train_config
from resume_ner.errors import InputError

#: The loader of each configuration file.
LOADERS: dict[str, Callable[[Path | None], object]] = {
    "benchmark.yaml": load_benchmark_config,
    "conversion.yaml": load_conversion_config,
    "data.yaml": load_data_config,
    "hpo.yaml": load_hpo_config,
    "mlflow.yaml": load_mlflow_config,
    "model.yaml": load_model_config,
    "naming.yaml": load_naming_config,
    "selection.yaml": load_selection_config,
    "serve.yaml": load_serve_config,
    "tags.yaml": load_tags_config,
    "train.yaml": load_train_config,
}


@dataclass(frozen=True)
class ConfigCheck:
    """One check: what was checked (``data.yaml``, ``data``), the file, and the problem if any."""

    name: str
    target: Path
    error: InputError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _check(name: str, target: Path, action: Callable[[], object]) -> ConfigCheck:
    try:
        action()
    except InputError as exc:
        return ConfigCheck(name, target, exc)
    return ConfigCheck(name, target)


def check_configuration(config_dir: Path | None, *, data: bool = False) -> list[ConfigCheck]:
    """One check per configuration file, and with ``data`` one of the documents ``data.yaml``
    names (read and validated as training would). Reads files only; creates nothing."""
    checks = [
        _check(name, resolve_config_file(name, config_dir), lambda load=load: load(config_dir))
        for name, load in LOADERS.items()
    ]
    data_file = resolve_config_file("data.yaml", config_dir)
    if data and all(check.ok for check in checks if check.name == "data.yaml"):
        from resume_ner.data.corpus import load_corpus

        checks.append(
            _check(
                "data",
                data_file,
                lambda: load_corpus(load_data_config(config_dir), config_file=data_file),
            )
        )
    return checks


def require_valid_configuration(config_dir: Path | None, *, data: bool = False) -> None:
    """Raise the first problem :func:`check_configuration` finds (an :class:`InputError` naming
    the file and the key), or return when every file (and with ``data`` the data) is usable."""
    for check in check_configuration(config_dir, data=data):
        if check.error is not None:
            raise check.error


def checked_state(ctx: typer.Context, *, data: bool = False) -> CliState:
    """The command's :class:`CliState`, once every configuration file (and with ``data`` the
    data) passed :func:`require_valid_configuration`."""
    state = get_state(ctx)
    require_valid_configuration(state.config_dir, data=data)
    return state


def check_group_configuration(ctx: typer.Context) -> None:
    """Callback of a command group: check every configuration file before any of its commands."""
    checked_state(ctx)
