"""Opening the index database that ``mlflow.yaml`` names, and what importing the index costs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from resume_ner.config.errors import ConfigError
from resume_ner.config.loader import load_config_file
from resume_ner.config.mlflow import IndexConfig, MlflowConfig
from resume_ner.config.paths import ProjectPaths
from resume_ner.tracking.index.backends import open_index_backend
from resume_ner.tracking.index.sql import SqlIndexBackend
from resume_ner.tracking.index.version_counter import reserve_run_name_version


def test_the_default_index_is_an_sqlite_file_beside_the_mlflow_store(tmp_path: Path):
    paths = ProjectPaths.at(tmp_path)
    backend = open_index_backend(IndexConfig(), paths)
    try:
        assert isinstance(backend, SqlIndexBackend)
        assert reserve_run_name_version(backend, "k") == 1
    finally:
        backend.close()
    assert (paths.mlflow_dir / "index.db").is_file()


def test_sql_url_names_another_database(tmp_path: Path):
    config = IndexConfig(sql_url=f"sqlite:///{tmp_path / 'elsewhere.db'}")
    backend = open_index_backend(config, ProjectPaths.at(tmp_path))
    try:
        assert reserve_run_name_version(backend, "k") == 1
    finally:
        backend.close()
    assert (tmp_path / "elsewhere.db").is_file()
    assert not (tmp_path / "mlruns" / "index.db").exists()


@pytest.mark.parametrize(
    ("sql_url", "problem"),
    [
        ("not a url", "not a database URL"),
        ("mysql+pymysql://user:secret@host/db", "supports postgresql, sqlite"),
    ],
)
def test_bad_sql_url_is_a_config_error_naming_the_key(tmp_path: Path, sql_url, problem):
    config = IndexConfig(sql_url=sql_url)
    with pytest.raises(ConfigError, match=problem) as raised:
        open_index_backend(config, ProjectPaths.at(tmp_path))
    assert raised.value.key == "index.sql_url"
    assert raised.value.file.name == "mlflow.yaml"
    assert "secret" not in str(raised.value)


@pytest.mark.parametrize(
    ("setting", "advice"),
    [
        ("backend: file", "delete index.backend"),
        ("backend: sql", "delete index.backend"),
        ("file_name: mlflow_index.json", "mlruns/index.db"),
        ("counter_file_name: run_name_counter.json", "counter lives in the index database"),
    ],
)
def test_a_setting_of_the_removed_file_backend_is_a_config_error_saying_what_to_do(
    tmp_path: Path, setting: str, advice: str
):
    (tmp_path / "mlflow.yaml").write_text(f"index:\n  {setting}\n")
    with pytest.raises(ConfigError) as raised:
        load_config_file("mlflow.yaml", MlflowConfig, tmp_path)
    message = " ".join(str(raised.value).split())
    assert "mlflow.yaml" in message
    assert f"index.{setting.split(':')[0]}" in message
    assert advice in message


def test_index_lookups_import_neither_mlflow_nor_sqlalchemy():
    code = (
        "import sys\n"
        "import resume_ner.tracking.index.backends, resume_ner.tracking.index.peek\n"
        "import resume_ner.tracking.index.run_index, resume_ner.tracking.index.version_counter\n"
        "loaded = [m for m in ('mlflow', 'sqlalchemy', 'torch', 'transformers') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
