"""What only the SQL backend does: its tables, creating them concurrently, its URL checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from index_params import BACKEND_KINDS
from index_workers import BackendSpec, open_only, run_together
from sqlalchemy import create_engine, inspect

from resume_ner.tracking.index.base import IndexBackendError
from resume_ner.tracking.index.sql import SqlIndexBackend
from resume_ner.tracking.index.version_counter import reserve_run_name_version


def test_tables_are_created_with_their_documented_names(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'index.db'}"
    SqlIndexBackend(url).close()
    engine = create_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {
        "resume_ner_run_keys",
        "resume_ner_index_state",
        "resume_ner_version_counter",
        "resume_ner_reservations",
    } <= tables


def test_reopening_a_database_keeps_its_counters(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'index.db'}"
    first = SqlIndexBackend(url)
    reserve_run_name_version(first, "k")
    first.close()
    second = SqlIndexBackend(url)
    try:
        assert reserve_run_name_version(second, "k") == 2
    finally:
        second.close()


@pytest.mark.parametrize("kind", BACKEND_KINDS)
def test_processes_opening_a_fresh_database_at_once_all_succeed(
    kind: str, request: pytest.FixtureRequest
):
    # 4 spawned processes create the tables of one new database at the same moment (~2 s).
    spec: BackendSpec = request.getfixturevalue(f"{kind}_spec")
    pids = run_together(open_only, [(spec,)] * 4, timeout=60)
    assert len(set(pids)) == 4


@pytest.mark.parametrize("url", ["mysql+pymysql://user@host/db", "oracle://user@host/db"])
def test_databases_without_an_atomic_returning_upsert_are_refused(url: str):
    with pytest.raises(IndexBackendError, match="supports postgresql, sqlite"):
        SqlIndexBackend(url)


def test_unreachable_database_raises_a_backend_error(tmp_path: Path):
    with pytest.raises(IndexBackendError, match="index"):
        SqlIndexBackend(f"sqlite:///{tmp_path / 'missing-folder' / 'index.db'}")
