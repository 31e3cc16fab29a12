"""Checking the configuration (and the data ``data.yaml`` names) before a command starts.

Commands that track anything call :func:`checked_state` before they create a store, a run or
an output folder, so that a bad file stops them with exit code 2 and nothing written; it loads
every configuration file once (:attr:`CliState.project`), which the command then reads from.
"""

from __future__ import annotations

import typer

from resume_ner.cli.state import CliState, get_state
from resume_ner.config.loader import resolve_config_file


def checked_state(ctx: typer.Context, *, data: bool = False) -> CliState:
    """The command's :class:`CliState`, once every configuration file loaded and validated
    (and with ``data`` the documents ``data.yaml`` names, read and validated as training
    would). Raises the first :class:`~resume_ner.errors.InputError` naming the file and key."""
    state = get_state(ctx)
    project = state.project
    project.check()
    if data:
        from resume_ner.data.corpus import load_corpus

        load_corpus(project.data, config_file=resolve_config_file("data.yaml", state.config_dir))
    return state


#: The configuration files the ``runs`` and ``index`` commands read: they find and list runs,
#: and a half-edited training file should not stop them.
READ_SECTIONS = ("mlflow", "naming", "tags")


def check_read_configuration(ctx: typer.Context) -> None:
    """Callback of the ``runs`` and ``index`` groups: check the files their commands read."""
    get_state(ctx).project.check(*READ_SECTIONS)
