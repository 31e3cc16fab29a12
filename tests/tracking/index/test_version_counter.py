"""The run-name version counter, on every backend."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest
from index_workers import BackendSpec, reserve_and_commit, reserve_and_sleep_command, run_together

from resume_ner.tracking.index.base import IndexBackend, Reservation, parse_utc_iso
from resume_ner.tracking.index.version_counter import (
    cleanup_stale_reservations,
    commit_run_name_version,
    release_run_name_version,
    reservation_is_stale,
    reserve_run_name_version,
)

KEY = "resume-ner:hpo_trial:" + "a" * 64 + ":local"
OTHER_KEY = "resume-ner:hpo_trial:" + "b" * 64 + ":local"


def test_first_version_of_a_counter_key_is_one(backend: IndexBackend):
    assert reserve_run_name_version(backend, KEY) == 1


def test_each_counter_key_counts_on_its_own(backend: IndexBackend):
    assert [reserve_run_name_version(backend, KEY) for _ in range(3)] == [1, 2, 3]
    assert reserve_run_name_version(backend, OTHER_KEY) == 1


def test_run_id_holding_a_live_reservation_gets_the_same_version_back(backend: IndexBackend):
    first = reserve_run_name_version(backend, KEY, run_id="run-a")
    again = reserve_run_name_version(backend, KEY, run_id="run-a")
    other = reserve_run_name_version(backend, KEY, run_id="run-b")
    assert again == first == 1
    assert other == 2
    assert len(backend.list_reservations()) == 2


def test_run_id_gets_a_new_version_once_its_reservation_is_committed(backend: IndexBackend):
    version = reserve_run_name_version(backend, KEY, run_id="run-a")
    commit_run_name_version(backend, KEY, "run-a", version)
    assert reserve_run_name_version(backend, KEY, run_id="run-a") == version + 1


def test_commit_removes_the_reservation_and_the_version_is_not_handed_out_again(
    backend: IndexBackend,
):
    version = reserve_run_name_version(backend, KEY)
    assert commit_run_name_version(backend, KEY, "run-a", version) is True
    assert backend.list_reservations() == []
    assert reserve_run_name_version(backend, KEY) == version + 1


def test_commit_of_a_version_never_reserved_returns_false_and_raises_the_counter(
    backend: IndexBackend, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.WARNING):
        assert commit_run_name_version(backend, KEY, "run-a", 5) is False
    assert "version 5" in caplog.text
    assert reserve_run_name_version(backend, KEY) == 6


def test_commit_of_a_version_reserved_for_another_run_is_refused(backend: IndexBackend):
    version = reserve_run_name_version(backend, KEY, run_id="run-a")
    assert commit_run_name_version(backend, KEY, "run-b", version) is False
    assert [r.run_id for r in backend.list_reservations()] == ["run-a"]


def test_released_version_is_dropped_and_never_handed_out_again(backend: IndexBackend):
    version = reserve_run_name_version(backend, KEY)
    assert release_run_name_version(backend, KEY, version) is True
    assert release_run_name_version(backend, KEY, version) is False
    assert backend.list_reservations() == []
    assert reserve_run_name_version(backend, KEY) == version + 1


def test_reservation_records_host_pid_run_and_utc_time(backend: IndexBackend):
    before = datetime.now(UTC)
    reserve_run_name_version(backend, KEY, run_id="run-a")
    (held,) = backend.list_reservations()
    assert (held.counter_key, held.version, held.run_id) == (KEY, 1, "run-a")
    assert (held.host, held.pid) == (socket.gethostname(), os.getpid())
    assert held.reserved_at.endswith("+00:00")
    assert before <= parse_utc_iso(held.reserved_at) <= datetime.now(UTC)


def test_version_floor_is_raised_but_never_lowered(backend: IndexBackend):
    backend.ensure_version_at_least(KEY, 7)
    backend.ensure_versions_at_least({KEY: 3, OTHER_KEY: 2})
    assert reserve_run_name_version(backend, KEY) == 8
    assert reserve_run_name_version(backend, OTHER_KEY) == 3


def test_empty_counter_key_is_rejected(backend: IndexBackend):
    with pytest.raises(ValueError, match="counter_key"):
        reserve_run_name_version(backend, "")


def test_eight_processes_reserving_at_once_get_400_distinct_versions(backend_spec: BackendSpec):
    # 8 spawned processes x 50 reserve+commit, released together by a barrier (~5-15 s).
    results = run_together(reserve_and_commit, [(backend_spec, KEY, 50)] * 8, timeout=60)
    versions = [version for worker in results for version in worker]
    assert len(versions) == 400
    assert sorted(versions) == list(range(1, 401))
    backend = backend_spec.open()
    try:
        assert backend.list_reservations() == []
        assert reserve_run_name_version(backend, KEY) == 401
    finally:
        backend.close()


def test_reservation_of_a_killed_process_is_reclaimed_and_its_version_not_reused(
    backend_spec: BackendSpec, backend: IndexBackend, caplog: pytest.LogCaptureFixture
):
    reserve_run_name_version(backend, KEY)  # version 1, held by this (live) process
    holder = subprocess.Popen(
        reserve_and_sleep_command(backend_spec, KEY), stdout=subprocess.PIPE, text=True
    )
    try:
        line = holder.stdout.readline()
        assert line.strip(), f"the holder printed nothing (exit code {holder.poll()})"
        doomed = int(line)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        holder.stdout.close()
    assert doomed == 2
    assert {r.version for r in backend.list_reservations()} == {1, 2}

    with caplog.at_level(logging.INFO):
        assert cleanup_stale_reservations(backend, stale_minutes=30.0) == 1

    assert "reclaimed version 2" in caplog.text
    assert [r.version for r in backend.list_reservations()] == [1]
    assert reserve_run_name_version(backend, KEY) == 3


def test_cleanup_keeps_a_fresh_reservation_of_a_live_process(backend: IndexBackend):
    reserve_run_name_version(backend, KEY)
    assert cleanup_stale_reservations(backend, stale_minutes=30.0) == 0
    assert len(backend.list_reservations()) == 1


def test_cleanup_reclaims_a_reservation_older_than_the_stale_limit(backend: IndexBackend):
    reserve_run_name_version(backend, KEY)
    time.sleep(0.05)
    assert cleanup_stale_reservations(backend, stale_minutes=0.0005) == 1  # 30 ms
    assert backend.list_reservations() == []
    assert reserve_run_name_version(backend, KEY) == 2


def _reservation(*, host: str, pid: int, age: timedelta, now: datetime) -> Reservation:
    return Reservation(KEY, 1, None, host, pid, (now - age).isoformat())


def test_reservation_from_another_machine_is_judged_by_age_alone():
    now = datetime.now(UTC)
    fresh = _reservation(host="elsewhere", pid=999_999_999, age=timedelta(minutes=1), now=now)
    old = _reservation(host="elsewhere", pid=999_999_999, age=timedelta(minutes=31), now=now)
    assert not reservation_is_stale(fresh, stale_minutes=30, now=now, host="here")
    assert reservation_is_stale(old, stale_minutes=30, now=now, host="here")


def test_reservation_of_a_dead_process_on_this_machine_is_stale_however_young():
    now = datetime.now(UTC)
    dead = subprocess.Popen(["true"])
    dead.wait()
    held = _reservation(host="here", pid=dead.pid, age=timedelta(seconds=1), now=now)
    alive = _reservation(host="here", pid=os.getpid(), age=timedelta(seconds=1), now=now)
    assert reservation_is_stale(held, stale_minutes=30, now=now, host="here")
    assert not reservation_is_stale(alive, stale_minutes=30, now=now, host="here")
