"""``resume-ner doctor``: each thing the configuration names is checked, and each failure is
named with what to do about it, with exit code 2."""

from __future__ import annotations

import http.server
import importlib.util
import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from postgres_server import PostgresServer, free_port
from resume_ner.cli import console as console_module
from resume_ner.cli.app import run
from resume_ner.config.project import LOADERS


def _doctor(root: Path, config_dir: Path) -> tuple[int, str, str]:
    """Run ``resume-ner doctor`` here; return its exit code, output and error output."""
    out, err = io.StringIO(), io.StringIO()
    console_module.console.file, console_module.err_console.file = out, err
    try:
        code = run(["--root", str(root), "--config-dir", str(config_dir), "doctor"])
    finally:
        console_module.console.file = console_module.err_console.file = None
    return code, out.getvalue(), " ".join(err.getvalue().split())


def _config(folder: Path, *, mlflow: dict | None = None, hpo: dict | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mlflow.yaml").write_text(yaml.safe_dump(mlflow or {}), encoding="utf-8")
    (folder / "hpo.yaml").write_text(yaml.safe_dump(hpo or {}), encoding="utf-8")
    return folder


class _NotFound(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_error(404)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def not_mlflow() -> Iterator[str]:
    """An HTTP server on 127.0.0.1 that answers every request with 404, as a wrong port would."""
    server = http.server.HTTPServer(("127.0.0.1", 0), _NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.postgres
@pytest.mark.server
def test_doctor_passes_when_server_study_storage_and_index_answer(scaleout_project):
    code, out, err = _doctor(scaleout_project.root, scaleout_project.config_dir)

    assert code == 0, out + err
    # every configuration file, the data, then the server, the study storage, its schema and
    # the index
    assert out.count(" ok ") == len(LOADERS) + 1 + 4
    assert "MLflow server answers" in out and "postgresql" in out


def test_a_tracking_uri_with_an_unknown_scheme_exits_2_naming_the_scheme(tmp_path):
    config_dir = _config(tmp_path / "config", mlflow={"tracking_uri": "htp://127.0.0.1:5000"})

    code, _, err = _doctor(tmp_path, config_dir)

    assert code == 2
    assert "unknown scheme 'htp'" in err and "http(s)://HOST:PORT" in err


def test_a_tracking_uri_where_something_else_answers_exits_2(tmp_path, not_mlflow):
    config_dir = _config(tmp_path / "config", mlflow={"tracking_uri": not_mlflow})

    code, _, err = _doctor(tmp_path, config_dir)

    assert code == 2
    assert "not an MLflow tracking server" in err and "HTTP 404" in err


def test_a_stopped_tracking_server_exits_2_saying_nothing_listens(tmp_path):
    uri = f"http://127.0.0.1:{free_port()}"
    config_dir = _config(tmp_path / "config", mlflow={"tracking_uri": uri})

    code, _, err = _doctor(tmp_path, config_dir)

    assert code == 2
    assert f"tracking server ({uri}): nothing listens" in err and "mlflow server" in err


def test_an_unreachable_study_database_exits_2_and_hides_the_password(tmp_path):
    url = f"postgresql+psycopg://optuna:s3cret@127.0.0.1:{free_port()}/optuna"
    config_dir = _config(tmp_path / "config", hpo={"storage": url})

    code, out, err = _doctor(tmp_path, config_dir)

    assert code == 2
    assert "study storage" in err and "connection refused" in err
    assert "is the database server running" in err
    assert "s3cret" not in out + err


@pytest.mark.postgres
def test_a_missing_index_database_exits_2_saying_to_create_it(
    tmp_path,
    postgres: PostgresServer,
):
    config_dir = _config(
        tmp_path / "config",
        mlflow={"index": {"sql_url": postgres.url("no_such_database")}},
    )

    code, _, err = _doctor(tmp_path, config_dir)

    assert code == 2
    assert "run index" in err and '"no_such_database" does not exist' in err
    assert "createdb" in err


def test_the_removed_index_backend_setting_exits_2_saying_what_to_do(tmp_path):
    config_dir = _config(tmp_path / "config", mlflow={"index": {"backend": "file"}})

    code, _, err = _doctor(tmp_path, config_dir)

    assert code == 2 and "index.backend" in err and "delete index.backend" in err


@pytest.mark.skipif(
    importlib.util.find_spec("azureml") is not None, reason="the Azure extra is installed here"
)
def test_azure_ml_without_the_extra_exits_2_naming_what_to_install(tmp_path):
    azure = {"enabled": True, "subscription_id": "s", "resource_group": "g", "workspace_name": "w"}
    config_dir = _config(tmp_path / "config", mlflow={"azure_ml": azure})

    code, _, err = _doctor(tmp_path, config_dir)

    assert code == 2
    assert "tracking URI" in err and "pip install 'resume-ner[azure]'" in err
