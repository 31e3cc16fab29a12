"""The SQLite store reader reads MLflow's private schema: every table and column it reads must be
one MLflow's own SQLAlchemy models declare and one a store MLflow creates holds, with the values
it compares against."""

from __future__ import annotations

import sqlite3

import pytest

from resume_ner.tracking.store.base import ACTIVE
from resume_ner.tracking.store.sqlite import DELETED_VERSION_STAGE, SCHEMA


def _mlflow_models() -> dict[str, set[str]]:
    from mlflow.store.model_registry.dbmodels.models import (
        SqlModelVersion,
        SqlRegisteredModelAlias,
    )
    from mlflow.store.tracking.dbmodels.models import (
        SqlExperiment,
        SqlLatestMetric,
        SqlRun,
        SqlTag,
    )

    models = (
        SqlExperiment,
        SqlRun,
        SqlTag,
        SqlLatestMetric,
        SqlRegisteredModelAlias,
        SqlModelVersion,
    )
    return {
        model.__tablename__: {column.name for column in model.__table__.columns} for model in models
    }


@pytest.mark.parametrize("table", sorted(SCHEMA))
def test_each_table_and_column_read_is_declared_by_mlflows_models(table: str):
    declared = _mlflow_models()
    assert table in declared
    assert set(SCHEMA[table]) <= declared[table]


@pytest.mark.parametrize("table", sorted(SCHEMA))
def test_a_store_mlflow_creates_holds_each_table_and_column_read(project, table: str):
    database = project.paths.mlflow_db
    with sqlite3.connect(database) as connection:
        columns = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
    assert set(SCHEMA[table]) <= columns


def test_the_active_value_is_mlflows_active_lifecycle_stage():
    from mlflow.entities import LifecycleStage

    assert ACTIVE == LifecycleStage.ACTIVE


def test_the_deleted_version_stage_is_mlflows():
    from mlflow.entities.model_registry.model_version_stages import STAGE_DELETED_INTERNAL

    assert DELETED_VERSION_STAGE == STAGE_DELETED_INTERNAL


def test_a_deleted_run_is_stored_with_another_lifecycle_stage(project):
    experiment_id = project.experiment()
    kept = project.client.create_run(experiment_id).info.run_id
    deleted = project.client.create_run(experiment_id).info.run_id
    project.client.delete_run(deleted)

    with sqlite3.connect(project.paths.mlflow_db) as connection:
        stages = dict(connection.execute("SELECT run_uuid, lifecycle_stage FROM runs"))

    assert stages[kept] == ACTIVE
    assert stages[deleted] != ACTIVE
