"""``resume-ner data``: generate synthetic resumes and validate annotated data files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from resume_ner.data.errors import DataFormatError
    from resume_ner.data.validation import ValidationReport

EXIT_BAD_INPUT = 2

app = typer.Typer(
    help="Generate synthetic resumes and validate annotated data files.", no_args_is_help=True
)


def register(root: typer.Typer) -> None:
    """Add the ``data`` command group to the ``root`` app."""
    root.add_typer(app, name="data")


def _fail(message: str) -> typer.Exit:
    from rich.markup import escape

    from resume_ner.cli.console import err_console

    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_BAD_INPUT)


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", help="File to write: .json or .jsonl.")],
    n: Annotated[int, typer.Option("--n", min=0, help="Number of resumes.")] = 400,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed; the same seed gives the same data.")
    ] = 13,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite the file if it exists.")
    ] = False,
    profile: Annotated[
        str,
        typer.Option(
            "--profile",
            help="Generator profile: default (the training data) or varied (people of more "
            "countries, spaced headings and OCR noise the default never writes).",
        ),
    ] = "default",
) -> None:
    """Write N synthetic resumes with entity spans (JSON span format), atomically."""
    from resume_ner.cli.console import console
    from resume_ner.data.splits import data_fingerprint
    from resume_ner.data.synthetic import PROFILES, generate_documents
    from resume_ner.data.writers import write_documents
    from resume_ner.errors import InputError

    if out.suffix.lower() not in (".json", ".jsonl"):
        raise _fail(f"{out}: use a .json or .jsonl file name")
    if profile not in PROFILES:
        raise _fail(f"unknown profile {profile!r}; choose one of {', '.join(sorted(PROFILES))}")
    documents = generate_documents(n, seed, profile)
    try:
        write_documents(documents, out, overwrite=force)
    except InputError as exc:
        raise _fail(str(exc)) from exc
    spans = sum(len(d.spans) for d in documents)
    console.print(
        f"wrote {n} documents with {spans} spans to {out} "
        f"(profile {profile}, seed {seed}, data fingerprint {data_fingerprint(documents)[:12]})",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def validate(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Annotated data file.")],
    format: Annotated[
        str,
        typer.Option("--format", help="auto, json, jsonl, label_studio, doccano or conll."),
    ] = "auto",
) -> None:
    """Check every record of PATH against the labels of data.yaml; list every problem.

    Exit code 0 when the data is usable (warnings allowed), 2 when any record is invalid.
    """
    from resume_ner.cli.console import console
    from resume_ner.cli.state import get_state
    from resume_ner.data.errors import DataFormatError
    from resume_ner.data.readers import load_documents
    from resume_ner.data.validation import validate_documents
    from resume_ner.errors import InputError

    try:
        config = get_state(ctx).project.data
        documents = load_documents(path, format)
    except DataFormatError as exc:
        _print_format_problems(exc)
        raise _fail(f"{path} cannot be read (format {format})") from exc
    except InputError as exc:
        raise _fail(str(exc)) from exc
    report = validate_documents(documents, config.labels, config.label_map)
    if report.problems:
        _print_report(report)
    if not report.ok:
        raise _fail(
            f"{path}: {len(report.errors)} error(s) in {len(report.bad_documents())} of "
            f"{report.n_documents} documents"
        )
    spans = sum(len(d.spans) for d in documents)
    console.print(
        f"{path}: {len(documents)} documents, {spans} spans, valid"
        + (f" ({len(report.warnings)} warning(s))" if report.warnings else ""),
        highlight=False,
        soft_wrap=True,
    )


def _print_report(report: ValidationReport) -> None:
    from rich.table import Table
    from rich.text import Text

    from resume_ner.cli.console import console

    table = Table(title="Data problems", show_lines=False)
    for column in ("index", "id", "severity", "kind", "start", "end", "label", "problem"):
        table.add_column(column, overflow="fold")
    for p in report.problems:
        table.add_row(
            str(p.index),
            Text(p.doc_id or ""),
            p.severity,
            p.kind.value,
            "" if p.start is None else str(p.start),
            "" if p.end is None else str(p.end),
            Text(p.label or ""),
            Text(p.message),
        )
    console.print(table)


def _print_format_problems(error: DataFormatError) -> None:
    from rich.table import Table
    from rich.text import Text

    from resume_ner.cli.console import console

    table = Table(title=Text(f"Format problems in {error.source}"))
    for column in ("record", "line", "problem"):
        table.add_column(column, overflow="fold")
    for p in error.problems:
        table.add_row(
            "" if p.record is None else str(p.record),
            "" if p.line is None else str(p.line),
            Text(p.message),
        )
    console.print(table)
