"""Options shared by every command: the project folder and the config folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from resume_ner.config.loader import infer_config_dir_from_path
from resume_ner.config.paths import ProjectPaths


@dataclass(frozen=True)
class CliState:
    """The project root and the config folder chosen on the command line."""

    root: Path
    config_dir: Path | None

    @property
    def paths(self) -> ProjectPaths:
        return ProjectPaths.at(self.root)


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
