"""Fixtures for the several-machines set-up: the session's PostgreSQL server, an ``mlflow
server`` whose backend store is a database on it, and projects configured to use both (study
storage and run index on PostgreSQL, runs on the server)."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "hpo"))

from hpo_helpers import write_config_dir

from postgres_server import MlflowServer, PostgresServer, postgres  # noqa: F401
from resume_ner.config.project import ProjectConfig
from resume_ner.naming.policy import NamingPolicy, build_mlflow_experiment_name


@pytest.fixture(scope="session")
def pg_mlflow_server(
    postgres: PostgresServer,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[MlflowServer]:
    """``mlflow server`` with its backend store on the session's PostgreSQL (costs ~10-25 s)."""
    server = MlflowServer(
        tmp_path_factory.mktemp("pg-mlflow-server"), postgres.create_database("mlflow")
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class ScaleoutProject:
    """A project folder whose config puts runs on the server and the rest on PostgreSQL."""

    root: Path
    config_dir: Path
    tracking_uri: str
    study_storage: str
    index_url: str

    def experiment_name(self, process_type: str = "hpo_sweep") -> str:
        policy = NamingPolicy.from_project(ProjectConfig.load(self.config_dir))
        return build_mlflow_experiment_name(process_type, policy)


@pytest.fixture
def scaleout_project(
    tmp_path: Path,
    postgres: PostgresServer,  # noqa: F811
    pg_mlflow_server: MlflowServer,
) -> Iterator[ScaleoutProject]:
    """A project with its own study and index databases and its own project name (so its
    experiments are its own on the shared server); heartbeat every second, grace period 10 s
    (shorter fails live trials of workers slowed down by a busy machine)."""
    study_storage = postgres.create_database("optuna")
    index_url = postgres.create_database("index")
    config_dir = write_config_dir(
        tmp_path / "config",
        hpo={
            "storage": study_storage,
            "heartbeat_interval_s": 1,
            "grace_period_s": 10,
            "cv": {"k_folds": 2, "seed": 42},
        },
    )
    mlflow_yaml = {
        "tracking_uri": pg_mlflow_server.url,
        "naming": {"project_name": f"so-{uuid.uuid4().hex[:8]}"},
        "index": {"sql_url": index_url},
    }
    (config_dir / "mlflow.yaml").write_text(yaml.safe_dump(mlflow_yaml), encoding="utf-8")
    project = ScaleoutProject(
        tmp_path / "project", config_dir, pg_mlflow_server.url, study_storage, index_url
    )
    project.root.mkdir()
    try:
        yield project
    finally:
        postgres.drop_database(study_storage)
        postgres.drop_database(index_url)
