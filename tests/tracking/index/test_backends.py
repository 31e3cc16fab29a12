"""Opening the backend that ``mlflow.yaml`` names, and what importing the index costs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from resume_ner.config.errors import ConfigError
from resume_ner.config.mlflow import IndexConfig
from resume_ner.config.paths import ProjectPaths
from resume_ner.tracking.index.backends import open_index_backend
from resume_ner.tracking.index.file import FileIndexBackend
from resume_ner.tracking.index.sql import SqlIndexBackend
from resume_ner.tracking.index.version_counter import reserve_run_name_version


def test_default_backend_keeps_both_files_in_the_cache_folder(tmp_path: Path):
    paths = ProjectPaths.at(tmp_path)
    backend = open_index_backend(IndexConfig(), paths)
    assert isinstance(backend, FileIndexBackend)
    reserve_run_name_version(backend, "k")
    assert backend.index_path == paths.cache_dir / "mlflow_index.json"
    assert (paths.cache_dir / "run_name_counter.json").exists()


def test_file_names_come_from_the_config(tmp_path: Path):
    paths = ProjectPaths.at(tmp_path)
    config = IndexConfig(file_name="idx.json", counter_file_name="versions.json")
    backend = open_index_backend(config, paths)
    reserve_run_name_version(backend, "k")
    assert (paths.cache_dir / "versions.json").exists()
    assert backend.index_path == paths.cache_dir / "idx.json"


def test_sql_backend_opens_the_configured_database(tmp_path: Path):
    config = IndexConfig(backend="sql", sql_url=f"sqlite:///{tmp_path / 'index.db'}")
    backend = open_index_backend(config, ProjectPaths.at(tmp_path))
    try:
        assert isinstance(backend, SqlIndexBackend)
        assert reserve_run_name_version(backend, "k") == 1
    finally:
        backend.close()


@pytest.mark.parametrize(
    ("sql_url", "problem"),
    [
        (None, "required"),
        ("not a url", "not a database URL"),
        ("mysql+pymysql://user:secret@host/db", "supports postgresql, sqlite"),
    ],
)
def test_bad_sql_url_is_a_config_error_naming_the_key(tmp_path: Path, sql_url, problem):
    config = IndexConfig(backend="sql", sql_url=sql_url)
    with pytest.raises(ConfigError, match=problem) as raised:
        open_index_backend(config, ProjectPaths.at(tmp_path))
    assert raised.value.key == "index.sql_url"
    assert raised.value.file.name == "mlflow.yaml"
    assert "secret" not in str(raised.value)


def test_same_name_for_index_and_counter_is_a_config_error(tmp_path: Path):
    config = IndexConfig(file_name="one.json", counter_file_name="one.json")
    with pytest.raises(ConfigError) as raised:
        open_index_backend(config, ProjectPaths.at(tmp_path))
    assert raised.value.key == "index.counter_file_name"


def test_index_modules_import_without_mlflow_or_sqlalchemy():
    code = (
        "import sys\n"
        "import resume_ner.tracking.index.backends, resume_ner.tracking.index.file\n"
        "import resume_ner.tracking.index.run_index, resume_ner.tracking.index.version_counter\n"
        "loaded = [m for m in ('mlflow', 'sqlalchemy', 'torch', 'transformers') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
