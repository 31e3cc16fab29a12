"""The root ``resume-ner`` command and its error handling.

Exit codes, decided by the exception's type: 0 on success, 2 on bad input or configuration
(:class:`resume_ner.errors.InputError` and usage errors), 3 when the command finished but its
tracking store did not take everything (:class:`resume_ner.tracking.errors.UnsentValuesError`:
the values wait in spool files for ``resume-ner runs sync``), 1 on any other failure
(:class:`resume_ner.errors.ResumeNerError` with its message, anything else as an internal error).
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
import sys
import warnings
from pathlib import Path
from typing import Annotated, Any, get_args

import typer
import typer.main

from resume_ner.cli.state import get_state, resolve_state
from resume_ner.errors import InputError, ResumeNerError
from resume_ner.tracking.errors import UnsentValuesError

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_UNSENT = 3
#: azureml-mlflow's upload time-out (seconds), which large checkpoints outlast.
ARTIFACT_TIMEOUT_ENV = "AZUREML_ARTIFACTS_DEFAULT_TIMEOUT"

#: The module that adds each command (or command group) to the root app with its
#: ``register(app)``, in the order ``--help`` lists them. A command line imports only the module
#: of the command it runs, so that reading runs does not pay for importing the training commands.
COMMAND_MODULES = {
    "demo": "resume_ner.cli.demo",
    "doctor": "resume_ner.cli.doctor",
    "evaluate": "resume_ner.cli.evaluate",
    "hpo": "resume_ner.cli.hpo",
    "convert": "resume_ner.cli.models",
    "benchmark": "resume_ner.cli.models",
    "pipeline": "resume_ner.cli.pipeline",
    "select": "resume_ner.cli.select",
    "serve": "resume_ner.cli.serve",
    "train": "resume_ner.cli.train",
    "data": "resume_ner.cli.data",
    "runs": "resume_ner.cli.runs",
    "index": "resume_ner.cli.index",
}

#: Options of the root command that take a value (the value is not a command name).
_ROOT_VALUE_OPTIONS = ("--root", "--config-dir")


def build_app(command: str | None = None) -> typer.Typer:
    """The root ``resume-ner`` app: with every command, or with ``command`` (a name of
    :data:`COMMAND_MODULES`) and ``init`` only."""
    app = typer.Typer(
        name="resume-ner",
        help="Train, tune, select, convert, benchmark and serve a resume NER model, "
        "tracked in MLflow.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    app.callback()(root)
    modules = [COMMAND_MODULES[command]] if command in COMMAND_MODULES else COMMAND_MODULES.values()
    for module in dict.fromkeys(modules):
        importlib.import_module(module).register(app)
    app.command()(init)
    return app


def command_name(argv: list[str]) -> str | None:
    """The command ``argv`` runs: its first word that is neither a root option nor its value."""
    words = iter(argv)
    for word in words:
        if word in _ROOT_VALUE_OPTIONS:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


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
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            show_default=False,
            help="-v: resume-ner's debug messages and the libraries' warnings and progress bars; "
            "-vv: every library's debug messages too.",
        ),
    ] = 0,
) -> None:
    """resume-ner: a tracked pipeline for named-entity recognition on resumes."""
    quiet_libraries(verbose)
    ctx.obj = resolve_state(root_dir, config_dir)


#: Loggers of the libraries resume-ner drives (some set up handlers of their own, which the
#: root logger's level does not reach).
_LIBRARY_LOGGERS = (
    "mlflow",
    "alembic",
    "torch",
    "transformers",
    "huggingface_hub",
    "optuna",
    "onnxruntime",
    "onnxscript",
    "urllib3",
    "filelock",
)

#: Switches, read by the libraries when they start or draw, for their progress bars and logs.
_QUIET_LIBRARY_ENV = {
    "MLFLOW_LOGGING_LEVEL": "ERROR",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",  # "Downloading artifacts" bars
    "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",  # "View run ... at: http://..."
    "TQDM_DISABLE": "1",  # transformers' and other tqdm bars
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TORCH_LOGS": "-torch",  # torch.onnx's exporter logs warnings through its own handler
    "PYTHONWARNINGS": "ignore",  # for worker processes
}


def quiet_libraries(verbosity: int) -> None:
    """Set how much the libraries say: only errors at 0 (resume-ner's own warnings still
    show), warnings and progress bars at 1 (with resume-ner's debug messages), everything at 2.

    Called at the entry point, before torch, transformers or MLflow are imported: most of
    these switches are environment variables the libraries read when they start.
    """
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.DEBUG if verbosity >= 2 else logging.WARNING,
            format="%(levelname)s %(name)s: %(message)s",
        )
    if verbosity >= 1:
        logging.getLogger("resume_ner").setLevel(logging.DEBUG)
    if verbosity >= 2:
        return
    for name in _LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING if verbosity else logging.ERROR)
    if verbosity == 0:
        for key, value in _QUIET_LIBRARY_ENV.items():
            os.environ.setdefault(key, value)
        warnings.simplefilter("ignore")
    else:
        os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")


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


_VALUE_LABELS = {int: "N", float: "NUMBER"}


def _value_label(param: Any) -> str:
    """What an option takes, as a person reads it: nothing for a flag, N, NUMBER, PATH, TEXT."""
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return ""
    described = param.type_descriptor
    kind = described.annotation
    if described.is_list:
        kind = next(iter(get_args(kind)), str)
    label = "PATH" if described.is_path or described.is_file else _VALUE_LABELS.get(kind, "TEXT")
    return label


def _no_type_label(ctx: Any) -> None:
    return None


def _reflowed(text: str | None) -> str | None:
    """Help text with each paragraph on one line, so that the terminal's width alone decides
    where lines break (Typer keeps a docstring's own line breaks, which cut sentences in two
    at other widths). A paragraph starting with ``\\b`` keeps its lines, as in Click."""
    if not text:
        return text
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(
        paragraph if paragraph.startswith("\b") else " ".join(paragraph.split())
        for paragraph in paragraphs
    )


def build_command(argv: list[str] | None = None) -> Any:
    """The click command that runs ``argv`` (without it: every command), its options labelled
    with plain words (``N``, ``PATH``) instead of the Python types Typer shows (``<int>``,
    ``<list[str]>``)."""
    command = typer.main.get_command(build_app(command_name(argv or [])))

    def label(node: Any) -> None:
        node.help = _reflowed(node.help)
        for param in node.params:
            if param.param_type_name == "option" and param.metavar is None:
                param.metavar = _value_label(param)
            elif param.param_type_name == "argument":
                # An argument's name says what it takes; Typer would add its Python type.
                param.metavar = param.metavar or param.name.upper()
                param.display_type_rich = _no_type_label
        make_help_option = node.get_help_option

        def help_option(ctx: Any) -> Any:
            option = make_help_option(ctx)
            if option is not None:
                option.metavar = ""
            return option

        node.get_help_option = help_option
        for child in getattr(node, "commands", {}).values():
            label(child)

    label(command)
    return command


def run(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv`` and return its exit code (see the module docstring)."""
    try:
        result = build_command(argv)(args=argv, prog_name="resume-ner", standalone_mode=False)
    except InputError as exc:
        _print_error(str(exc))
        return EXIT_BAD_INPUT
    except UnsentValuesError as exc:
        _print_error(str(exc))
        return EXIT_UNSENT
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
    # own bounded retries (tracking/retry.py); 2 retries (about 4 s against a server that
    # refuses connections) let an outage open the circuit breaker after about 4 s, after which
    # values are held in the run's spool and sent when the server is back.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
    # MLflow otherwise prints a "View run" line, reading the run again, each time a run ends.
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    # Large checkpoints outlast azureml-mlflow's default upload time-out.
    os.environ.setdefault(ARTIFACT_TIMEOUT_ENV, "600")
    sys.exit(run(sys.argv[1:]))
