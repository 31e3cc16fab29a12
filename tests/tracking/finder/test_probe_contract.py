"""The SQLite probe reads MLflow's private schema: the table, columns and values it reads must be
the ones MLflow's own models declare and the ones a store MLflow creates holds."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from resume_ner.tracking.probe import (
    ACTIVE,
    LIFECYCLE_COLUMN,
    RUN_ID_COLUMN,
    RUNS_TABLE,
    run_exists_without_mlflow,
)
from resume_ner.tracking.setup import initialize_store


def test_the_probed_table_and_columns_are_those_of_mlflows_run_model():
    from mlflow.store.tracking.dbmodels.models import SqlRun

    table = SqlRun.__table__

    assert table.name == RUNS_TABLE
    assert RUN_ID_COLUMN in table.columns and table.columns[RUN_ID_COLUMN].primary_key
    assert LIFECYCLE_COLUMN in table.columns


def test_the_active_value_is_mlflows_active_lifecycle_stage():
    from mlflow.entities import LifecycleStage

    assert ACTIVE == LifecycleStage.ACTIVE


def test_a_store_mlflow_creates_has_the_probed_columns_and_values(tmp_path: Path):
    from mlflow.tracking import MlflowClient

    db = tmp_path / "mlflow.db"
    uri = f"sqlite:///{db}"
    initialize_store(uri, tmp_path / "artifacts")
    client = MlflowClient(uri)
    experiment_id = client.create_experiment("contract")
    kept = client.create_run(experiment_id).info.run_id
    deleted = client.create_run(experiment_id).info.run_id
    client.delete_run(deleted)

    with sqlite3.connect(db) as connection:
        columns = {row[1] for row in connection.execute(f"PRAGMA table_info({RUNS_TABLE})")}
        stages = dict(
            connection.execute(f"SELECT {RUN_ID_COLUMN}, {LIFECYCLE_COLUMN} FROM {RUNS_TABLE}")
        )

    assert {RUN_ID_COLUMN, LIFECYCLE_COLUMN} <= columns
    assert stages[kept] == ACTIVE
    assert stages[deleted] != ACTIVE
    assert run_exists_without_mlflow(uri, kept) is True
    assert run_exists_without_mlflow(uri, deleted) is False
