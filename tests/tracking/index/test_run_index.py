"""The run index (run-key hash -> run), on every backend."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from index_workers import BackendSpec, run_together, update_index

from resume_ner.tracking.index.base import IndexBackend, IndexEntry, parse_utc_iso
from resume_ner.tracking.index.run_index import (
    find_in_mlflow_index,
    remove_from_mlflow_index,
    update_mlflow_index,
)


def _hash(number: int) -> str:
    return f"{number:064x}"


def test_entry_is_found_by_its_run_key_hash(backend: IndexBackend):
    update_mlflow_index(backend, _hash(1), "run-1", "7", run_name="local_x.1")
    entry = find_in_mlflow_index(backend, _hash(1))
    assert entry is not None
    assert (entry.run_id, entry.experiment_id, entry.run_name) == ("run-1", "7", "local_x.1")
    assert find_in_mlflow_index(backend, _hash(2)) is None


def test_an_entry_names_no_tracking_uri_so_it_survives_a_move_of_the_store():
    assert "tracking_uri" not in IndexEntry.__dataclass_fields__


@pytest.mark.parametrize("missing", ["run_key_hash", "run_id", "experiment_id"])
def test_update_requires_hash_run_and_experiment(backend: IndexBackend, missing: str):
    values = {"run_key_hash": _hash(1), "run_id": "run-1", "experiment_id": "7"}
    values[missing] = ""
    with pytest.raises(ValueError, match=missing):
        update_mlflow_index(backend, **values)
    assert backend.list_entries() == []


def test_update_replaces_the_entry_of_the_same_hash(backend: IndexBackend):
    update_mlflow_index(backend, _hash(1), "run-old", "7")
    update_mlflow_index(backend, _hash(1), "run-new", "7")
    assert [entry.run_id for entry in backend.list_entries()] == ["run-new"]


def test_remove_reports_whether_there_was_an_entry(backend: IndexBackend):
    update_mlflow_index(backend, _hash(1), "run-1", "7")
    assert remove_from_mlflow_index(backend, _hash(1)) is True
    assert remove_from_mlflow_index(backend, _hash(1)) is False
    assert find_in_mlflow_index(backend, _hash(1)) is None


def test_entries_are_stamped_with_utc_time(backend: IndexBackend):
    before = datetime.now(UTC)
    update_mlflow_index(backend, _hash(1), "run-1", "7")
    stamp = find_in_mlflow_index(backend, _hash(1)).updated_at
    assert stamp.endswith("+00:00")
    assert before <= parse_utc_iso(stamp) <= datetime.now(UTC)


def test_index_never_exceeds_max_entries_and_keeps_the_most_recently_updated(
    backend: IndexBackend,
):
    for number in range(12):
        update_mlflow_index(backend, _hash(number), f"run-{number}", "7", max_entries=5)
        assert len(backend.list_entries()) <= 5
    kept = {entry.run_key_hash for entry in backend.list_entries()}
    assert kept == {_hash(number) for number in range(7, 12)}


def test_updating_an_old_entry_saves_it_from_eviction(backend: IndexBackend):
    for number in range(3):
        update_mlflow_index(backend, _hash(number), f"run-{number}", "7", max_entries=3)
    update_mlflow_index(backend, _hash(0), "run-0", "7", max_entries=3)
    update_mlflow_index(backend, _hash(3), "run-3", "7", max_entries=3)
    kept = {entry.run_key_hash for entry in backend.list_entries()}
    assert kept == {_hash(0), _hash(2), _hash(3)}


def test_replacing_the_index_keeps_the_newest_entry_per_hash_within_the_bound(
    backend: IndexBackend,
):
    def entry(number: int, run_id: str, day: int) -> IndexEntry:
        return IndexEntry(_hash(number), run_id, "7", None, f"2025-01-{day:02d}T00:00:00+00:00")

    update_mlflow_index(backend, _hash(9), "run-9", "7")
    backend.replace_entries(
        [entry(1, "old", 1), entry(1, "new", 5), entry(2, "two", 3), entry(3, "three", 2)],
        max_entries=2,
    )
    assert {(e.run_key_hash, e.run_id) for e in backend.list_entries()} == {
        (_hash(1), "new"),
        (_hash(2), "two"),
    }


def test_four_processes_updating_the_index_at_once_lose_no_entry(backend_spec: BackendSpec):
    # 4 spawned processes x 25 distinct entries, released together by a barrier (~3-5 s).
    run_together(update_index, [(backend_spec, worker, 25) for worker in range(4)], timeout=60)
    backend = backend_spec.open()
    try:
        stored = {entry.run_key_hash: entry.run_id for entry in backend.list_entries()}
    finally:
        backend.close()
    expected = {
        f"hash-{worker}-{number}": f"run-{worker}-{number}"
        for worker in range(4)
        for number in range(25)
    }
    assert stored == expected
