"""Backends for the index tests: the index database on SQLite, and on PostgreSQL (a fresh database per test on the session's real server, see
``tests/postgres_server.py``)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from index_params import BACKEND_KINDS
from index_workers import BackendSpec

from postgres_server import PostgresServer, postgres  # noqa: F401  (the session's server)
from resume_ner.tracking.index.base import IndexBackend


@pytest.fixture
def sqlite_spec(tmp_path: Path) -> BackendSpec:
    return BackendSpec(url=f"sqlite:///{tmp_path / 'index.db'}")


@pytest.fixture
def postgresql_spec(postgres: PostgresServer) -> Iterator[BackendSpec]:  # noqa: F811
    url = postgres.create_database("resume_ner_index")
    try:
        yield BackendSpec(url=url)
    finally:
        postgres.drop_database(url)


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
