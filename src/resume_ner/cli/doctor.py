"""``resume-ner doctor``: is the configured tracking URI, study storage and run index usable?"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from resume_ner.cli.state import get_state

#: Exit code when any check fails (as for bad configuration).
EXIT_PROBLEMS = 2


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
    from resume_ner.cli.preflight import check_configuration
    from resume_ner.config.hpo import load_hpo_config
    from resume_ner.config.mlflow import load_mlflow_config
    from resume_ner.hpo.storage import storage_url
    from resume_ner.tracking.doctor import CheckResult, run_checks

    state = get_state(ctx)
    config_checks = check_configuration(state.config_dir, data=True)
    results = [
        CheckResult(
            f"config {check.name}" if check.name.endswith(".yaml") else check.name,
            str(check.target),
            check.ok,
            "valid" if check.error is None else str(check.error),
        )
        for check in config_checks
    ]
    broken = {check.name for check in config_checks if not check.ok}
    if not broken & {"mlflow.yaml", "hpo.yaml"}:
        results += run_checks(
            load_mlflow_config(state.config_dir),
            state.paths,
            study_storage=storage_url(load_hpo_config(state.config_dir), state.paths),
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
