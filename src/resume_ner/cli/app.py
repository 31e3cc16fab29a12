"""The root ``resume-ner`` command and its error handling.

Exit codes, decided by the exception's type: 0 on success, 2 on bad input or configuration
(:class:`resume_ner.errors.InputError` and usage errors), 1 on any other failure
(:class:`resume_ner.errors.ResumeNerError` with its message, anything else as an internal error).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from resume_ner.cli import data as data_cli
from resume_ner.cli import demo as demo_cli
from resume_ner.cli import doctor as doctor_cli
from resume_ner.cli import hpo as hpo_cli
from resume_ner.cli import index as index_cli
from resume_ner.cli import models as models_cli
from resume_ner.cli import pipeline as pipeline_cli
from resume_ner.cli import runs as runs_cli
from resume_ner.cli import select as select_cli
from resume_ner.cli import serve as serve_cli
from resume_ner.cli import train as train_cli
from resume_ner.cli.preflight import check_group_configuration
from resume_ner.cli.state import get_state, resolve_state
from resume_ner.errors import InputError, ResumeNerError

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2

app = typer.Typer(
    name="resume-ner",
    help="Train, tune, select, convert, benchmark and serve a resume NER model, tracked in MLflow.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(data_cli.app, name="data")
app.add_typer(runs_cli.app, name="runs", callback=check_group_configuration)
app.add_typer(index_cli.app, name="index", callback=check_group_configuration)
demo_cli.register(app)
doctor_cli.register(app)
hpo_cli.register(app)
models_cli.register(app)
pipeline_cli.register(app)
select_cli.register(app)
serve_cli.register(app)
train_cli.register(app)


@app.callback()
def root(
    ctx: typer.Context,
    root_dir: Annotated[
        Path | None,
        typer.Option(
            "--root", help="Project folder (MLflow store, outputs). Default: the working directory."
        ),
    ] = None,
    config_dir: Annotated[
        Path | None,
        typer.Option(
            "--config-dir",
            help="Config folder. Default: ./config if present, else the shipped defaults.",
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug messages.")] = False,
) -> None:
    """resume-ner: a tracked pipeline for named-entity recognition on resumes."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        # MLflow sets its logger's level from this variable when it is imported, and reports
        # store migrations at INFO; alembic logs through its own handler.
        os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
        for name in ("mlflow", "alembic"):
            logging.getLogger(name).setLevel(logging.WARNING)
    ctx.obj = resolve_state(root_dir, config_dir)


@app.command()
def init(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that exist.")] = False,
) -> None:
    """Write the default configuration files into ./config (or --config-dir) for editing."""
    from resume_ner.cli.console import console
    from resume_ner.config.loader import write_default_configs

    state = get_state(ctx)
    target = state.config_dir or state.root / "config"
    written = write_default_configs(target, overwrite=force)
    for path in written:
        console.print(f"wrote {path}")
    if not written:
        console.print(f"{target} already holds every config file (use --force to overwrite)")


def run(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv`` and return its exit code (see the module docstring)."""
    try:
        result = app(args=argv, prog_name="resume-ner", standalone_mode=False)
    except InputError as exc:
        _print_error(str(exc))
        return EXIT_BAD_INPUT
    except ResumeNerError as exc:
        logging.getLogger("resume_ner").debug("command failed", exc_info=True)
        _print_error(str(exc))
        return EXIT_FAILURE
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        _print_error("aborted")
        return EXIT_FAILURE
    except typer.TyperException as exc:  # usage errors carry exit code 2
        _print_error(exc.format_message())
        return exc.exit_code
    except KeyboardInterrupt:
        _print_error("interrupted")
        return 130
    except Exception as exc:  # the edge: any other failure is reported in one line, not a traceback
        logging.getLogger("resume_ner").debug("command failed", exc_info=True)
        _print_error(f"internal error, {type(exc).__name__}: {exc} (--verbose shows where)")
        return EXIT_FAILURE
    return result if isinstance(result, int) else 0


def _print_error(message: str) -> None:
    from resume_ner.cli.console import err_console

    err_console.print("[bold red]error:[/] ", end="", highlight=False)
    err_console.print(message, markup=False, highlight=False, soft_wrap=True)


def main() -> None:
    """Console-script entry point."""
    # OpenMP threads that spin while waiting slow training several-fold as soon as another
    # process (an HPO worker, a test) shares the cores; set before torch is imported.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # MLflow retries a request to a server 7 times over about 4 minutes by default, inside our
    # own bounded retries; a short budget lets a long outage reach the tracker's outbox soon
    # (training goes on and the values are sent when the server is back).
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
    sys.exit(run(sys.argv[1:]))
