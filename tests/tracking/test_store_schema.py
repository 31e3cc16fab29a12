"""A store whose schema the installed MLflow or Optuna does not expect: every command and
``doctor`` say in one line which side to upgrade, and with which command (exit 2)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from resume_ner.tracking.schema import MLFLOW, OPTUNA, installed_revisions, schema_mismatch

#: A revision no MLflow or Optuna release defines: what a newer release's store records.
UNKNOWN_REVISION = "0ddba11ca5e5"


def _set_revision(db: Path, revision: str) -> None:
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (revision,))


def _older_revision(owner) -> str:
    revisions = installed_revisions(owner)
    return sorted(revisions.known - revisions.heads)[0]


@pytest.fixture
def store(tmp_path: Path, template_mlflow_db: Path) -> Path:
    """A project folder whose embedded MLflow store is a real, migrated one."""
    (tmp_path / "mlruns").mkdir()
    shutil.copyfile(template_mlflow_db, tmp_path / "mlruns" / "mlflow.db")
    return tmp_path


def _resume_ner(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "resume_ner", "--root", str(root), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={"COLUMNS": "400", "PATH": "/usr/bin:/bin", "HOME": str(root)},
    )


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


@pytest.mark.parametrize("command", [["runs", "ls"], ["index", "rebuild"], ["demo"]])
def test_a_store_of_a_newer_mlflow_stops_the_command_saying_to_upgrade_the_installation(
    store, command
):
    _set_revision(store / "mlruns" / "mlflow.db", UNKNOWN_REVISION)
    (head,) = installed_revisions(MLFLOW).heads

    done = _resume_ner(store, *command)

    assert done.returncode == 2
    (line,) = _error_lines(done.stderr)
    assert UNKNOWN_REVISION in line and head in line
    assert f"MLflow {version('mlflow')}" in line
    assert "upgrade this installation" in line
    assert f"{sys.executable} -m pip install --upgrade 'mlflow" in line
    assert "mlflow db upgrade" not in line


def test_a_store_of_an_older_mlflow_is_told_to_be_upgraded_with_mlflow_db_upgrade(store):
    db = store / "mlruns" / "mlflow.db"
    older = _older_revision(MLFLOW)
    _set_revision(db, older)

    done = _resume_ner(store, "runs", "ls")

    assert done.returncode == 2
    (line,) = _error_lines(done.stderr)
    assert older in line
    assert line.endswith(f"mlflow db upgrade sqlite:///{db}")  # the command takes the URI
    assert "pip install" not in line


def test_doctor_names_the_store_that_is_newer_than_the_installation(store):
    _set_revision(store / "mlruns" / "mlflow.db", UNKNOWN_REVISION)

    done = _resume_ner(store, "doctor")

    assert done.returncode == 2
    (line,) = _error_lines(done.stderr)
    assert line.startswith("error: tracking store schema")
    assert UNKNOWN_REVISION in line and "upgrade this installation" in line


def test_doctor_passes_a_store_that_matches_the_installation(store):
    done = _resume_ner(store, "doctor")

    assert done.returncode == 0, done.stderr
    assert "matches the installed MLflow" in done.stdout


def test_a_study_storage_of_a_newer_optuna_names_both_sides(tmp_path):
    import optuna

    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    optuna.storages.RDBStorage(url)
    _set_revision(tmp_path / "optuna.db", "v9.9.9.a")

    line = schema_mismatch(url, OPTUNA)

    assert line is not None and "v9.9.9.a" in line
    assert f"Optuna {version('optuna')}" in line
    assert "upgrade this installation" in line and "pip install --upgrade 'optuna" in line


def test_a_new_store_has_no_schema_to_disagree_with(tmp_path):
    assert schema_mismatch(f"sqlite:///{tmp_path / 'none.db'}", MLFLOW) is None


def test_doctor_names_a_study_storage_of_a_newer_optuna(store):
    import optuna

    optuna_db = store / "mlruns" / "optuna.db"
    optuna.storages.RDBStorage(f"sqlite:///{optuna_db}")
    _set_revision(optuna_db, "v9.9.9.a")

    done = _resume_ner(store, "doctor")

    assert done.returncode == 2
    (line,) = _error_lines(done.stderr)
    assert line.startswith("error: study storage schema")
    assert "v9.9.9.a" in line and f"Optuna {version('optuna')}" in line
