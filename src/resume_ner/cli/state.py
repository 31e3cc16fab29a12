"""Options shared by every command: the project folder, the config folder and its files."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from resume_ner.config.loader import infer_config_dir_from_path
from resume_ner.config.paths import ProjectPaths

if TYPE_CHECKING:
    from resume_ner.config.project import ProjectConfig


@dataclass(frozen=True)
class CliState:
    """The project root and the config folder chosen on the command line."""

    root: Path
    config_dir: Path | None

    @property
    def paths(self) -> ProjectPaths:
        return ProjectPaths.at(self.root)

    @property
    def environ(self) -> Mapping[str, str]:
        """The command's environment: the one place the library's environment comes from."""
        return os.environ

    @cached_property
    def project(self) -> ProjectConfig:
        """The configuration, once per invocation: each file read and validated on first use.

        Raises :class:`~resume_ner.config.errors.ConfigError` naming a file of the folder that
        looks like configuration but is none, and later, on a section's first use, the file
        and key of its first problem.
        """
        from resume_ner.config.project import ProjectConfig

        return ProjectConfig.open(self.config_dir)


def resolve_state(root: Path | None, config_dir: Path | None) -> CliState:
    """The project root (default: the working directory) and its config folder.

    Without ``--config-dir`` the folder is inferred from the root (``<root>/config`` or a parent's);
    without one, the shipped defaults apply.
    """
    root = (root or Path.cwd()).resolve()
    if config_dir is None:
        config_dir = infer_config_dir_from_path(root)
    return CliState(root=root, config_dir=config_dir.resolve() if config_dir else None)


def get_state(ctx: typer.Context) -> CliState:
    """The :class:`CliState` the root callback stored on the context."""
    state = ctx.find_root().obj
    if not isinstance(state, CliState):
        state = resolve_state(None, None)
        ctx.find_root().obj = state
    return state
