"""What only the JSON-file backend does: locks, atomic files, corrupt files, bounded counter."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from filelock import FileLock

from resume_ner.tracking.index.base import IndexCorruptError, IndexLockTimeoutError
from resume_ner.tracking.index.file import FileIndexBackend
from resume_ner.tracking.index.run_index import (
    find_in_mlflow_index,
    update_mlflow_index,
)
from resume_ner.tracking.index.version_counter import (
    commit_run_name_version,
    reserve_run_name_version,
)

URI = "sqlite:///mlflow.db"
KEY = "resume-ner:final_training:" + "c" * 64 + ":local"


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "outputs" / "cache"


@pytest.fixture
def backend(cache: Path) -> FileIndexBackend:
    return FileIndexBackend(cache / "mlflow_index.json", cache / "run_name_counter.json")


def _quarantined(cache: Path, name: str) -> list[Path]:
    return sorted(cache.glob(f"{name}.corrupt-*"))


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda text: text[: len(text) // 2], id="truncated"),
        pytest.param(lambda text: "", id="empty"),
        pytest.param(lambda text: "\x00\xff garbage", id="garbage"),
        pytest.param(lambda text: json.dumps([1, 2, 3]), id="not-an-index"),
        pytest.param(
            lambda text: json.dumps({"format": 1, "entries": {"a" * 64: {"run_id": 5}}}),
            id="entry-missing-fields",
        ),
    ],
)
def test_corrupt_index_file_is_moved_aside_with_a_warning_and_lookups_go_on(
    backend: FileIndexBackend, cache: Path, caplog: pytest.LogCaptureFixture, damage
):
    update_mlflow_index(backend, "a" * 64, "run-a", "1", URI)
    index_file = cache / "mlflow_index.json"
    index_file.write_text(damage(index_file.read_text()), encoding="latin-1")

    with caplog.at_level(logging.WARNING):
        assert find_in_mlflow_index(backend, "a" * 64, URI) is None

    assert str(index_file) in caplog.text
    assert len(_quarantined(cache, "mlflow_index.json")) == 1
    update_mlflow_index(backend, "b" * 64, "run-b", "1", URI)
    assert find_in_mlflow_index(backend, "b" * 64, URI).run_id == "run-b"
    assert find_in_mlflow_index(backend, "a" * 64, URI) is None


def test_a_damaged_entry_of_another_key_is_caught_by_the_next_write(
    backend: FileIndexBackend, cache: Path, caplog: pytest.LogCaptureFixture
):
    update_mlflow_index(backend, "a" * 64, "run-a", "1", URI)
    index_file = cache / "mlflow_index.json"
    document = json.loads(index_file.read_text())
    document["entries"]["h" * 64] = {"run_id": 5}
    index_file.write_text(json.dumps(document))

    assert find_in_mlflow_index(backend, "a" * 64, URI).run_id == "run-a"  # only this entry is read
    with caplog.at_level(logging.WARNING):
        update_mlflow_index(backend, "b" * 64, "run-b", "1", URI)
    assert len(_quarantined(cache, "mlflow_index.json")) == 1
    assert find_in_mlflow_index(backend, "b" * 64, URI).run_id == "run-b"


def test_corrupt_counter_file_raises_and_is_left_in_place(backend: FileIndexBackend, cache: Path):
    reserve_run_name_version(backend, KEY)
    counter_file = cache / "run_name_counter.json"
    counter_file.write_text(counter_file.read_text()[:10])

    with pytest.raises(IndexCorruptError, match="resume-ner index rebuild") as raised:
        reserve_run_name_version(backend, KEY)

    assert str(counter_file) in str(raised.value)
    assert counter_file.read_text().startswith("{")
    assert _quarantined(cache, "run_name_counter.json") == []


def test_counter_with_a_negative_version_is_corrupt(backend: FileIndexBackend, cache: Path):
    (cache / "run_name_counter.json").parent.mkdir(parents=True)
    (cache / "run_name_counter.json").write_text(
        json.dumps({"format": 1, "counters": {KEY: {"next_version": -3, "reservations": {}}}})
    )
    with pytest.raises(IndexCorruptError):
        reserve_run_name_version(backend, KEY)


def test_discarding_a_corrupt_counter_moves_it_aside(backend: FileIndexBackend, cache: Path):
    (cache / "run_name_counter.json").parent.mkdir(parents=True)
    (cache / "run_name_counter.json").write_text("{")
    assert backend.discard_corrupt_counters() is True
    assert len(_quarantined(cache, "run_name_counter.json")) == 1
    assert reserve_run_name_version(backend, KEY) == 1
    assert backend.discard_corrupt_counters() is False


def test_counter_file_keeps_only_the_next_version_and_live_reservations(
    backend: FileIndexBackend, cache: Path
):
    for number in range(30):
        version = reserve_run_name_version(backend, KEY)
        commit_run_name_version(backend, KEY, f"run-{number}", version)
    reserve_run_name_version(backend, KEY, run_id="in-flight")
    backend.compact()

    stored = json.loads((cache / "run_name_counter.json").read_text())
    assert stored["counters"] == {
        KEY: {
            "next_version": 32,
            "reservations": {"31": stored["counters"][KEY]["reservations"]["31"]},
        }
    }
    assert stored["counters"][KEY]["reservations"]["31"]["run_id"] == "in-flight"


def test_lock_files_are_kept_after_release(backend: FileIndexBackend, cache: Path):
    update_mlflow_index(backend, "a" * 64, "run-a", "1", URI)
    reserve_run_name_version(backend, KEY)
    assert (cache / "mlflow_index.json.lock").exists()
    assert (cache / "run_name_counter.json.lock").exists()


def test_writes_leave_no_temporary_files(backend: FileIndexBackend, cache: Path):
    for number in range(5):
        update_mlflow_index(backend, f"{number:064x}", "run", "1", URI)
        reserve_run_name_version(backend, KEY)
    assert sorted(path.name for path in cache.iterdir()) == [
        "mlflow_index.json",
        "mlflow_index.json.journal",
        "mlflow_index.json.lock",
        "run_name_counter.json",
        "run_name_counter.json.journal",
        "run_name_counter.json.lock",
    ]


def test_lock_held_elsewhere_times_out_and_nothing_is_written(cache: Path):
    backend = FileIndexBackend(
        cache / "mlflow_index.json", cache / "run_name_counter.json", lock_timeout=0.2
    )
    cache.mkdir(parents=True)
    other_holder = FileLock(cache / "run_name_counter.json.lock")  # a descriptor of its own
    with other_holder, pytest.raises(IndexLockTimeoutError, match=r"run_name_counter\.json\.lock"):
        reserve_run_name_version(backend, KEY)
    assert not (cache / "run_name_counter.json").exists()
    assert reserve_run_name_version(backend, KEY) == 1


def test_reads_wait_for_the_lock_too(cache: Path):
    backend = FileIndexBackend(
        cache / "mlflow_index.json", cache / "run_name_counter.json", lock_timeout=0.2
    )
    update_mlflow_index(backend, "a" * 64, "run-a", "1", URI)
    with FileLock(cache / "mlflow_index.json.lock"), pytest.raises(IndexLockTimeoutError):
        find_in_mlflow_index(backend, "a" * 64, URI)


def test_index_update_that_cannot_take_the_lock_warns_and_writes_nothing(
    cache: Path, caplog: pytest.LogCaptureFixture
):
    backend = FileIndexBackend(
        cache / "mlflow_index.json", cache / "run_name_counter.json", lock_timeout=0.2
    )
    cache.mkdir(parents=True)
    with FileLock(cache / "mlflow_index.json.lock"), caplog.at_level(logging.WARNING):
        update_mlflow_index(backend, "a" * 64, "run-a", "1", URI)
    assert "run-a was not recorded" in caplog.text
    assert not (cache / "mlflow_index.json").exists()


def test_index_and_counter_need_two_files(cache: Path):
    with pytest.raises(ValueError, match="two different files"):
        FileIndexBackend(cache / "same.json", cache / "same.json")


# --- the journal ---------------------------------------------------------------------------


def _paths(cache: Path) -> tuple[Path, Path]:
    return cache / "mlflow_index.json", cache / "run_name_counter.json"


def _journal_records(path: Path) -> list[dict]:
    lines = path.read_text().splitlines()
    return [json.loads(line) for line in lines[1:]]  # the first line is the header


def test_recording_a_run_appends_to_the_journal_without_rewriting_the_index_file(
    backend: FileIndexBackend, cache: Path
):
    update_mlflow_index(backend, "a" * 64, "run-a", "1", URI)
    index_file = cache / "mlflow_index.json"
    before = index_file.stat()

    for number in range(20):
        update_mlflow_index(backend, f"{number:064x}", f"run-{number}", "1", URI)

    after = index_file.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert len(_journal_records(cache / "mlflow_index.json.journal")) == 20
    assert find_in_mlflow_index(backend, f"{7:064x}", URI).run_id == "run-7"


def test_a_journal_is_folded_into_its_json_file_once_it_holds_compact_after_changes(
    cache: Path,
):
    backend = FileIndexBackend(*_paths(cache), compact_after=5)
    for number in range(12):
        version = reserve_run_name_version(backend, KEY)
        commit_run_name_version(backend, KEY, f"run-{number}", version)

    assert len(_journal_records(cache / "run_name_counter.json.journal")) < 5
    stored = json.loads((cache / "run_name_counter.json").read_text())
    assert stored["counters"][KEY]["next_version"] >= 11
    assert reserve_run_name_version(backend, KEY) == 13


def test_each_backend_on_the_same_files_sees_the_others_changes(cache: Path):
    first, second = (FileIndexBackend(*_paths(cache), compact_after=3) for _ in range(2))
    versions = []
    for number in range(8):
        writer, reader = (first, second) if number % 2 else (second, first)
        versions.append(reserve_run_name_version(writer, KEY))
        update_mlflow_index(writer, f"{number:064x}", f"run-{number}", "1", URI)
        assert find_in_mlflow_index(reader, f"{number:064x}", URI).run_id == f"run-{number}"

    assert versions == list(range(1, 9))
    assert len(first.list_reservations()) == len(second.list_reservations()) == 8


def test_eviction_keeps_the_same_entries_for_every_reader(cache: Path):
    writer = FileIndexBackend(*_paths(cache))
    for number in range(10):
        update_mlflow_index(writer, f"{number:064x}", f"run-{number}", "1", URI, max_entries=4)

    reader = FileIndexBackend(*_paths(cache))
    kept = sorted(entry.run_id for entry in reader.list_entries())
    assert kept == sorted(entry.run_id for entry in writer.list_entries())
    assert kept == ["run-6", "run-7", "run-8", "run-9"]


def test_a_last_line_cut_short_by_a_killed_writer_is_ignored_and_cut_off(
    backend: FileIndexBackend, cache: Path
):
    reserve_run_name_version(backend, KEY)
    reserve_run_name_version(backend, KEY)
    journal = cache / "run_name_counter.json.journal"
    with journal.open("ab") as stream:
        stream.write(b'{"op":"reserve","key":"')  # no newline: the process died mid-write

    fresh = FileIndexBackend(*_paths(cache))
    assert reserve_run_name_version(fresh, KEY) == 3
    assert reserve_run_name_version(backend, KEY) == 4
    reservations = FileIndexBackend(*_paths(cache)).list_reservations()
    assert [reservation.version for reservation in reservations] == [1, 2, 3, 4]


def test_a_journal_older_than_its_json_file_is_not_applied_again(
    backend: FileIndexBackend, cache: Path
):
    version = reserve_run_name_version(backend, KEY)
    journal = cache / "run_name_counter.json.journal"
    reserved_only = journal.read_bytes()
    commit_run_name_version(backend, KEY, "run-a", version)
    backend.compact()
    # Folding was interrupted after the JSON file was written, before the new journal was.
    journal.write_bytes(reserved_only)

    fresh = FileIndexBackend(*_paths(cache))
    assert fresh.list_reservations() == []
    assert reserve_run_name_version(fresh, KEY) == version + 1


def test_a_damaged_counter_journal_line_raises_and_names_the_journal(
    backend: FileIndexBackend, cache: Path
):
    reserve_run_name_version(backend, KEY)
    reserve_run_name_version(backend, KEY)
    journal = cache / "run_name_counter.json.journal"
    journal.write_text(journal.read_text().replace('"reserve"', '"reserv"', 1))

    with pytest.raises(IndexCorruptError, match="resume-ner index rebuild") as raised:
        reserve_run_name_version(FileIndexBackend(*_paths(cache)), KEY)
    assert str(journal) in str(raised.value)


def test_a_damaged_index_journal_is_moved_aside_and_the_index_file_still_answers(
    backend: FileIndexBackend, cache: Path, caplog: pytest.LogCaptureFixture
):
    update_mlflow_index(backend, "a" * 64, "run-a", "1", URI)  # goes into the JSON file
    update_mlflow_index(backend, "b" * 64, "run-b", "1", URI)  # goes into the journal
    journal = cache / "mlflow_index.json.journal"
    journal.write_text(journal.read_text() + "not json\n")

    with caplog.at_level(logging.WARNING):
        fresh = FileIndexBackend(*_paths(cache))
        assert find_in_mlflow_index(fresh, "a" * 64, URI).run_id == "run-a"

    assert find_in_mlflow_index(fresh, "b" * 64, URI) is None
    assert len(sorted(cache.glob("mlflow_index.json.journal.corrupt-*"))) == 1
    assert str(journal) in caplog.text
    update_mlflow_index(fresh, "c" * 64, "run-c", "1", URI)
    assert find_in_mlflow_index(backend, "c" * 64, URI).run_id == "run-c"
