"""``resume-ner runs sync``: send what runs were owed while their tracking server was down.

A command whose tracking server stopped answering keeps the values it could not send (metrics
with the time they were produced, params, tags, the checkpoint upload, the run's end) in spool
files ``tracking-spool-<run_id>.jsonl`` beside the run's outputs, and exits with
:data:`~resume_ner.cli.app.EXIT_UNSENT`. This command sends them once the server answers again;
``resume-ner train`` and ``resume-ner pipeline`` also send the project's spools before they
start.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from resume_ner.cli.state import CliState, get_state

if TYPE_CHECKING:
    from rich.console import Console

    from resume_ner.tracking.spool import SyncResult


def register(app: typer.Typer) -> None:
    """Add the ``sync`` command to the ``runs`` group ``app``."""
    app.command("sync")(sync)


def sync(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Spool files, or folders searched for them. Default: the project's outputs."
        ),
    ] = None,
) -> None:
    """Send the values held while the tracking server was down to their runs."""
    from resume_ner.cli.console import console
    from resume_ner.tracking.spool import Spool, find_spools, raise_if_unsent, sync_spools

    state = get_state(ctx)
    spools = find_spools(paths or [state.paths.outputs_dir])
    if not spools:
        console.print("nothing to send: no spool files found")
        return
    results = sync_spools(spools)
    _print_results(results)
    raise_if_unsent([Spool(r.path) for r in results if not r.sent], root=state.root)


def _print_results(results: list[SyncResult]) -> None:
    from rich.table import Table

    from resume_ner.cli.console import console

    table = Table("run id", "spool", "result")
    for result in results:
        table.add_row(
            result.run_id or "-",
            str(result.path),
            "sent" if result.sent else f"[yellow]not sent[/] ({result.error})",
        )
    console.print(table)


def send_held_values(state: CliState, shown_on: Console | None = None) -> None:
    """Send the spools under the project's outputs before a command starts; say what was sent
    and what is still waiting on ``shown_on`` (default: the CLI's console). Never raises for a
    store that is still down."""
    from resume_ner.cli.console import console as default_console
    from resume_ner.tracking.spool import find_spools, sync_spools

    console = shown_on or default_console

    spools = find_spools([state.paths.outputs_dir])
    if not spools:
        return
    for result in sync_spools(spools):
        if result.sent:
            console.print(
                f"sent the values run {result.run_id} was owed ({result.path.name})",
                highlight=False,
            )
        else:
            console.print(
                f"[yellow]still not sent:[/] {result.path} ({result.error})", highlight=False
            )
