"""Heartbeats, leases and locks in every index backend (file, SQL on SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest
from index_workers import BackendSpec, claim_lease_once, run_together

from resume_ner.tracking.index.base import IndexBackend, ProcessId, Reservation
from resume_ner.tracking.index.version_counter import (
    cleanup_stale_reservations,
    reservation_is_stale,
)
from resume_ner.tracking.liveness import (
    Heartbeat,
    claim_lease,
    is_gone,
    wait_for_lease_value,
)

ELSEWHERE = ProcessId("another-machine", 4242)
LEASE = "hpo_sweep:abc"


def test_a_free_lease_goes_to_the_first_claimant_and_stays_with_it(backend: IndexBackend):
    me = backend.process
    assert backend.claim_lease(LEASE, me).holder == me
    assert backend.claim_lease(LEASE, ELSEWHERE).holder == me
    assert backend.get_lease(LEASE).holder == me


def test_a_held_lease_passes_only_to_a_claimant_naming_its_current_holder(backend: IndexBackend):
    third = ProcessId("third-machine", 7)
    backend.claim_lease(LEASE, ELSEWHERE)
    backend.set_lease_value(LEASE, ELSEWHERE, "run-1")
    assert backend.claim_lease(LEASE, third, take_from=ProcessId("x", 1)).holder == ELSEWHERE
    taken = backend.claim_lease(LEASE, third, take_from=ELSEWHERE)
    assert (taken.holder, taken.value) == (third, "run-1")
    # A second process that also found the old holder silent does not take it from the new one.
    assert backend.claim_lease(LEASE, backend.process, take_from=ELSEWHERE).holder == third


def test_only_the_holder_publishes_a_value_or_releases_the_lease(backend: IndexBackend):
    me = backend.process
    backend.claim_lease(LEASE, me)
    assert not backend.set_lease_value(LEASE, ELSEWHERE, "theirs")
    assert not backend.release_lease(LEASE, ELSEWHERE)
    assert backend.set_lease_value(LEASE, me, "mine")
    assert backend.get_lease(LEASE).value == "mine"
    assert backend.release_lease(LEASE, me)
    assert backend.get_lease(LEASE) is None
    assert backend.claim_lease(LEASE, ELSEWHERE).holder == ELSEWHERE


def test_a_heartbeat_is_written_while_it_runs_and_dropped_after(backend: IndexBackend):
    with Heartbeat(backend, interval_s=0.05) as heartbeat:
        first = backend.list_beats()[heartbeat.process]
        time.sleep(0.3)
        assert backend.list_beats()[heartbeat.process] > first
    assert heartbeat.process not in backend.list_beats()


def test_one_of_many_processes_claiming_a_lease_at_once_gets_it(backend_spec: BackendSpec):
    results = run_together(claim_lease_once, [(backend_spec, LEASE)] * 4)
    assert sorted(results) == [False] * 3 + [True]


def test_a_lease_of_a_silent_holder_on_another_machine_is_taken_after_the_grace_period(
    backend: IndexBackend,
):
    backend.beat(ELSEWHERE)
    backend.claim_lease(LEASE, ELSEWHERE)
    assert claim_lease(backend, LEASE, grace_s=30).holder == ELSEWHERE
    time.sleep(0.3)
    assert claim_lease(backend, LEASE, grace_s=0.2).holder == backend.process


def test_a_lease_of_a_dead_process_on_this_machine_is_taken_at_once(backend: IndexBackend):
    finished = subprocess.Popen(["true"])
    finished.wait()
    dead = ProcessId(backend.process.host, finished.pid)
    backend.claim_lease(LEASE, dead)
    assert claim_lease(backend, LEASE, grace_s=3600).holder == backend.process


def test_a_joiner_waits_for_the_value_the_holder_publishes(backend: IndexBackend):
    backend.beat(ELSEWHERE)
    backend.claim_lease(LEASE, ELSEWHERE)
    with pytest.raises(TimeoutError):
        wait_for_lease_value(backend, LEASE, grace_s=60, timeout_s=0.2, poll_s=0.05)
    backend.set_lease_value(LEASE, ELSEWHERE, "run-7")
    lease = wait_for_lease_value(backend, LEASE, grace_s=60, timeout_s=5, poll_s=0.05)
    assert (lease.holder, lease.value) == (ELSEWHERE, "run-7")


def test_a_backend_lock_excludes_every_other_holder_until_released(backend: IndexBackend):
    first = backend.lock("hpo-budget:study", timeout_s=5)
    second = backend.lock("hpo-budget:study", timeout_s=0.2)
    other_name = backend.lock("hpo-budget:another-study", timeout_s=0.2)
    with first:
        with pytest.raises(TimeoutError):
            second.acquire()
        other_name.acquire()
        other_name.release()
    second.acquire()
    second.release()


def test_a_reservation_of_another_machine_is_judged_by_its_heartbeat_not_its_age():
    now = datetime.now(UTC)
    held = Reservation("k", 1, None, ELSEWHERE.host, ELSEWHERE.pid, now.isoformat())
    silent = (now - timedelta(seconds=90)).isoformat()
    old = Reservation(
        "k", 2, None, ELSEWHERE.host, ELSEWHERE.pid, (now - timedelta(hours=2)).isoformat()
    )
    assert reservation_is_stale(
        held, stale_minutes=30, now=now, host="here", last_beat=silent, grace_s=60
    )
    assert not reservation_is_stale(
        old, stale_minutes=30, now=now, host="here", last_beat=now.isoformat(), grace_s=60
    )


def test_cleanup_reclaims_the_reservations_of_a_machine_whose_heartbeat_stopped(
    backend: IndexBackend,
):
    backend.host = "silent-machine"
    silent = backend.reserve_version("k", None)
    backend.beat(backend.process)
    backend.host = "beating-machine"
    beating = backend.reserve_version("k", None)
    backend.host = "this-machine"
    time.sleep(0.5)
    backend.beat(ProcessId("beating-machine", os.getpid()))

    assert cleanup_stale_reservations(backend, 30, grace_s=0.3) == 1

    assert [r.version for r in backend.list_reservations()] == [beating]
    assert silent != beating


def test_a_process_of_another_machine_without_any_heartbeat_cannot_be_judged():
    assert not is_gone(ELSEWHERE, host="here", grace_s=1, last_beat=None)
    old = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    assert is_gone(ELSEWHERE, host="here", grace_s=1, last_beat=old)
    assert not is_gone(ELSEWHERE, host="here", grace_s=60, last_beat=old)
