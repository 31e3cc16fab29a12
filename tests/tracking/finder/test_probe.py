"""run_exists_without_mlflow: answers from SQLite directly, never imports MLflow."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from resume_ner.tracking.probe import run_exists_without_mlflow

PROBE_IN_A_FRESH_PROCESS = """
import sys
from resume_ner.tracking.probe import run_exists_without_mlflow
print(run_exists_without_mlflow(sys.argv[1], sys.argv[2]))
print(sorted(m for m in sys.modules if m == "mlflow" or m.startswith("mlflow.")))
"""


@pytest.fixture
def run_id(project) -> str:
    return project.client.create_run(project.experiment()).info.run_id


def test_an_active_run_in_sqlite_exists(project, run_id):
    assert run_exists_without_mlflow(project.tracking_uri, run_id) is True


def test_a_deleted_run_in_sqlite_does_not_exist(project, run_id):
    project.client.delete_run(run_id)

    assert run_exists_without_mlflow(project.tracking_uri, run_id) is False


def test_an_unknown_run_id_in_sqlite_does_not_exist(project, run_id):
    assert run_exists_without_mlflow(project.tracking_uri, "0" * 32) is False


def test_probing_leaves_mlflow_unimported(project, run_id):
    result = subprocess.run(
        [sys.executable, "-c", PROBE_IN_A_FRESH_PROCESS, project.tracking_uri, run_id],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split("\n")[:2] == ["True", "[]"]


def test_probing_never_creates_a_missing_database(tmp_path):
    db = tmp_path / "absent" / "mlflow.db"

    assert run_exists_without_mlflow(f"sqlite:///{db}", "0" * 32) is None
    assert not db.exists()


def test_a_file_that_is_not_an_mlflow_store_is_unknown(tmp_path):
    db = tmp_path / "other.db"
    db.write_bytes(b"not a database at all")

    assert run_exists_without_mlflow(f"sqlite:///{db}", "0" * 32) is None


@pytest.mark.parametrize(
    "uri",
    ["postgresql://user@localhost/mlflow", "file:///tmp/mlruns", "databricks", "azureml://x/y"],
)
def test_stores_it_cannot_read_are_unknown(uri):
    assert run_exists_without_mlflow(uri, "0" * 32) is None


def test_an_unreachable_server_is_unknown():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused

        assert run_exists_without_mlflow(f"http://127.0.0.1:{port}", "0" * 32) is None
