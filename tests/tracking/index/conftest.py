"""Backends for the index tests: the file backend, the SQL backend on SQLite, and the SQL
backend on PostgreSQL when ``RESUME_NER_TEST_POSTGRES_URL`` names a server (a URL to a database
the tests may create databases from, e.g. ``postgresql+psycopg://postgres@127.0.0.1/postgres``)."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from index_params import BACKEND_KINDS, POSTGRES_URL_VARIABLE
from index_workers import BackendSpec

from resume_ner.tracking.index.base import IndexBackend


@pytest.fixture
def file_spec(tmp_path: Path) -> BackendSpec:
    cache = tmp_path / "outputs" / "cache"
    return BackendSpec(
        "file",
        index_path=str(cache / "mlflow_index.json"),
        counter_path=str(cache / "run_name_counter.json"),
    )


@pytest.fixture
def sqlite_spec(tmp_path: Path) -> BackendSpec:
    return BackendSpec("sql", url=f"sqlite:///{tmp_path / 'index.db'}")


@pytest.fixture
def postgresql_spec() -> Iterator[BackendSpec]:
    server_url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not server_url:
        pytest.skip(f"set {POSTGRES_URL_VARIABLE} to run the PostgreSQL index tests")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"resume_ner_index_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield BackendSpec("sql", url=url)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKEND_KINDS)
def backend_spec(request: pytest.FixtureRequest) -> BackendSpec:
    """Each backend in turn, as a description other processes can open too."""
    return request.getfixturevalue(f"{request.param}_spec")


@pytest.fixture
def backend(backend_spec: BackendSpec) -> Iterator[IndexBackend]:
    opened = backend_spec.open()
    try:
        yield opened
    finally:
        opened.close()
