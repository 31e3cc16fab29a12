"""``resume-ner select``: rank the backbones of a study family and name the model to train on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from resume_ner.cli.preflight import checked_state

if TYPE_CHECKING:
    from rich.console import Console

    from resume_ner.selection.scoring import ScoredCandidate


def register(app: typer.Typer) -> None:
    """Add the ``select`` command to ``app``."""
    app.command("select")(select)


def select(
    ctx: typer.Context,
    study_family: Annotated[
        str | None,
        typer.Option(
            "--study-family",
            "-f",
            help="Study-family hash (or a unique prefix of 6+ hex digits) whose sweeps are "
            "compared. Default: the family of the sweep that finished last.",
        ),
    ] = None,
    log_to_run: Annotated[
        str | None,
        typer.Option(
            "--log-to-run",
            help="Also log the ranking (selection/selection.json and selection.md) into this run.",
        ),
    ] = None,
) -> None:
    """Rank the backbones swept on one study family by accuracy and latency; name the winner.

    Each backbone's best sweep is scored by the median of its best trials and by its refit's
    benchmarked latency (selection.yaml); the table shows why each candidate ranks where it does
    or why it was left out.
    """
    from resume_ner.cli.console import console
    from resume_ner.selection.candidates import resolve_study_family
    from resume_ner.selection.errors import SelectionError
    from resume_ner.selection.report import log_selection_report
    from resume_ner.selection.select import find_best_model_from_mlflow
    from resume_ner.tracking.context import TrackingContext

    state = checked_state(ctx)
    config = state.project.selection
    tracking = ctx.with_resource(
        TrackingContext.open(state.paths, state.project, environ=state.environ)
    )
    choice = resolve_study_family(tracking, study_family)
    if choice.message:
        console.print(choice.message, markup=False, highlight=False, soft_wrap=True)
    try:
        result = find_best_model_from_mlflow(tracking, choice.study_family_hash, config)
    except SelectionError as exc:
        if exc.ranking:
            _print_ranking(console, exc.ranking, config.objective.metric, choice.study_family_hash)
        raise
    _print_ranking(console, result.ranking, config.objective.metric, result.study_family_hash)
    console.print(result.explanation, markup=False, highlight=False, soft_wrap=True)
    for note in result.notes:
        console.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
    if log_to_run:
        paths = log_selection_report(tracking.client, log_to_run, result)
        console.print(
            f"logged {', '.join(paths)} into run {log_to_run}", markup=False, highlight=False
        )


def _print_ranking(
    console: Console, ranking: Sequence[ScoredCandidate], metric: str, study_family_hash: str
) -> None:
    from rich.table import Table
    from rich.text import Text

    from resume_ner.selection.report import format_row, ranking_rows, table_columns

    table = Table(title=f"study family {study_family_hash[:12]}", show_lines=False)
    for title in table_columns(metric):
        table.add_column(title, overflow="fold")
    for row in ranking_rows(ranking):
        cells = [Text(text) for text in format_row(row)]
        table.add_row(*cells, style=None if row["included"] else "dim")
    console.print(table)
