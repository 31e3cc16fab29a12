"""A command line imports the module of the command it runs, and reads the configuration files
that command needs: reading runs neither imports the training commands nor stops at a
half-edited training file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import typer.main

from resume_ner.cli.app import COMMAND_MODULES, EXIT_BAD_INPUT, build_app, command_name

#: Runs the CLI with ``sys.argv[1:]``; its last line lists the resume_ner modules imported.
CLI_THEN_MODULES = (
    "import json, sys\n"
    "from resume_ner.cli.app import run\n"
    "code = run(sys.argv[1:])\n"
    "print(json.dumps([code, sorted(m for m in sys.modules if m.startswith('resume_ner'))]))\n"
)
TRAINING_COMMANDS = {
    "resume_ner.cli.demo",
    "resume_ner.cli.evaluate",
    "resume_ner.cli.hpo",
    "resume_ner.cli.models",
    "resume_ner.cli.pipeline",
    "resume_ner.cli.serve",
    "resume_ner.cli.train",
}
TRAINING_CONFIG = {
    "resume_ner.config.benchmark",
    "resume_ner.config.conversion",
    "resume_ner.config.data",
    "resume_ner.config.hpo",
    "resume_ner.config.model",
    "resume_ner.config.serve",
    "resume_ner.config.train",
}


def _cli(root: Path, *args: str) -> tuple[int, set[str], str]:
    """Exit code, the resume_ner modules imported, stderr."""
    result = subprocess.run(
        [sys.executable, "-c", CLI_THEN_MODULES, "--root", str(root), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    code, modules = json.loads(result.stdout.rstrip("\n").rsplit("\n", 1)[-1])
    return code, set(modules), result.stderr


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["runs", "ls"], "runs"),
        (["--root", "runs", "-v", "train", "--epochs", "1"], "train"),
        (["--config-dir", "x", "--root=y", "-vv", "index", "rebuild"], "index"),
        (["--help"], None),
        ([], None),
    ],
)
def test_the_command_name_is_the_first_word_that_is_no_root_option_or_its_value(argv, expected):
    assert command_name(argv) == expected


def test_the_whole_app_has_every_command_and_a_command_line_only_its_own():
    def names(app: typer.Typer) -> set[str]:
        return set(typer.main.get_command(app).commands)

    assert names(build_app()) == set(COMMAND_MODULES) | {"init"}
    assert names(build_app("runs")) == {"runs", "init"}
    assert names(build_app("benchmark")) == {"convert", "benchmark", "init"}


def test_reading_runs_imports_neither_the_training_commands_nor_their_configuration(
    tmp_path: Path,
):
    code, modules, err = _cli(tmp_path, "runs", "ls")

    assert code == 0, err
    assert "resume_ner.cli.runs" in modules
    assert not modules & TRAINING_COMMANDS
    assert not modules & TRAINING_CONFIG


def test_a_half_edited_training_file_does_not_stop_reading_runs(tmp_path: Path):
    config = tmp_path / "config"
    config.mkdir()
    (config / "hpo.yaml").write_text("n_trials: [\n", encoding="utf-8")

    code, _, err = _cli(tmp_path, "--config-dir", str(config), "runs", "ls")
    assert code == 0, err

    code, _, err = _cli(tmp_path, "--config-dir", str(config), "hpo", "--plan")
    assert code == EXIT_BAD_INPUT
    assert "hpo.yaml" in err


def test_a_bad_file_that_reading_runs_needs_stops_it_naming_the_file_and_key(tmp_path: Path):
    config = tmp_path / "config"
    config.mkdir()
    (config / "mlflow.yaml").write_text("tracking_uri: 42\n", encoding="utf-8")

    code, _, err = _cli(tmp_path, "--config-dir", str(config), "runs", "ls")

    assert code == EXIT_BAD_INPUT
    assert "mlflow.yaml" in err
    assert not (tmp_path / "mlruns").exists()
