"""``resume-ner doctor``: is the configured tracking URI, study storage and run index usable?"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from resume_ner.cli.state import get_state
from resume_ner.config.loader import config_folder_problems, resolve_config_file
from resume_ner.errors import InputError

#: Exit code when any check fails (as for bad configuration).
EXIT_PROBLEMS = 2


@dataclass(frozen=True)
class ConfigCheck:
    """One check: what was checked (``data.yaml``, ``data``), the file, what it loaded (``None``
    when it failed) and the problem if any."""

    name: str
    target: Path
    value: Any = None
    error: InputError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _check(name: str, target: Path, action: Callable[[], object]) -> ConfigCheck:
    try:
        return ConfigCheck(name, target, action())
    except InputError as exc:
        return ConfigCheck(name, target, error=exc)


def check_configuration(config_dir: Path | None) -> list[ConfigCheck]:
    """One check per configuration file, each loaded on its own so that every bad file is
    reported, one per file of the folder that looks like configuration but is none, and one of the documents ``data.yaml`` names (read and validated as training
    would) when ``data.yaml`` is valid. Reads files only; creates nothing."""
    from resume_ner.config.project import LOADERS

    checks = []
    if config_dir is not None:
        checks += [
            ConfigCheck("config folder", problem.file, error=problem)
            for problem in config_folder_problems(config_dir)
        ]
    checks += [
        _check(name, resolve_config_file(name, config_dir), lambda load=load: load(config_dir))
        for name, load in LOADERS.items()
    ]
    data = next(check for check in checks if check.name == "data.yaml")
    if data.ok:
        from resume_ner.data.corpus import load_corpus

        checks.append(
            _check("data", data.target, lambda: load_corpus(data.value, config_file=data.target))
        )
    return checks


def register(app: typer.Typer) -> None:
    """Add the ``doctor`` command to ``app``."""
    app.command("doctor")(doctor)


def doctor(
    ctx: typer.Context,
    timeout: Annotated[
        float,
        typer.Option("--timeout", min=0.1, help="Seconds to wait for each server to answer."),
    ] = 5.0,
) -> None:
    """Check every configuration file, the data, and that the tracking URI, the Optuna study
    storage and the run index can be reached.

    Reads the configuration files (and MLFLOW_TRACKING_URI) and the data as the other commands
    do, creates nothing, prints one line per check and exits with code 2 when any check fails.
    """
    from rich.table import Table
    from rich.text import Text

    from resume_ner.cli.console import console, err_console
    from resume_ner.hpo.storage import storage_url
    from resume_ner.tracking.doctor import CheckResult, run_checks

    state = get_state(ctx)
    config_checks = check_configuration(state.config_dir)
    results = [
        CheckResult(
            f"config {check.name}" if check.name.endswith(".yaml") else check.name,
            str(check.target),
            check.ok,
            "valid" if check.error is None else str(check.error),
        )
        for check in config_checks
    ]
    loaded = {check.name: check.value for check in config_checks if check.ok}
    if "mlflow.yaml" in loaded and "hpo.yaml" in loaded:
        results += run_checks(
            loaded["mlflow.yaml"],
            state.paths,
            study_storage=storage_url(loaded["hpo.yaml"], state.paths),
            environ=os.environ,
            timeout_s=timeout,
        )
    table = Table(title="resume-ner doctor")
    for column in ("check", "target", "status", "detail"):
        table.add_column(column, overflow="fold")
    for result in results:
        status = Text("ok", style="green") if result.ok else Text("FAIL", style="bold red")
        table.add_row(Text(result.name), Text(result.target), status, Text(result.detail))
    console.print(table)
    problems = [result for result in results if not result.ok]
    if problems:
        for result in problems:
            err_console.print("[bold red]error:[/] ", end="", highlight=False)
            err_console.print(
                f"{result.name} ({result.target}): {result.detail}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        raise typer.Exit(code=EXIT_PROBLEMS)
