"""Heartbeats of gone processes are pruned, in every index backend; live ones never are."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from index_workers import BackendSpec

from resume_ner.tracking.index.base import IndexBackend, ProcessId
from resume_ner.tracking.liveness import Heartbeat, claim_lease, prune_beats

ELSEWHERE = ProcessId("another-machine", 4242)

BEATING_PROCESS = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from index_workers import BackendSpec
from resume_ner.tracking.liveness import Heartbeat

Heartbeat(BackendSpec(**json.loads(sys.argv[2])).open(), interval_s=0.2).start()
print("beating", flush=True)
time.sleep(600)
"""


@pytest.fixture
def beating(backend_spec: BackendSpec) -> Iterator:
    """Starts real processes that write heartbeats into the backend; kills what is left."""
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                BEATING_PROCESS,
                str(Path(__file__).parent),
                json.dumps(asdict(backend_spec)),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        # The first beat is written before this line; a process that fails closes its output.
        assert process.stdout.readline().strip() == "beating"
        return process

    yield start
    for process in started:
        process.kill()
        process.wait()


def _kill(process: subprocess.Popen) -> ProcessId:
    process.send_signal(signal.SIGKILL)
    process.wait()
    return ProcessId(socket.gethostname(), process.pid)  # the host the child's backend records


def test_a_killed_processs_heartbeat_is_gone_after_the_next_prune_and_a_live_ones_stays(
    backend: IndexBackend, beating
):
    live = beating()
    killed = _kill(beating())
    assert killed in backend.list_beats()  # a killed process never drops its own heartbeat

    assert prune_beats(backend) == 1

    beats = backend.list_beats()
    assert killed not in beats
    assert ProcessId(backend.host, live.pid) in beats


def test_a_live_processs_heartbeat_prunes_the_beats_of_killed_ones(backend: IndexBackend, beating):
    killed = _kill(beating())

    with Heartbeat(backend, interval_s=60) as heartbeat:
        beats = backend.list_beats()

    assert killed not in beats
    assert heartbeat.process in beats


def test_another_machines_heartbeat_is_pruned_only_when_silent_past_the_maximum(
    backend: IndexBackend,
):
    backend.beat(ELSEWHERE)
    later = datetime.now(UTC) + timedelta(hours=2)

    assert prune_beats(backend) == 0  # this machine cannot tell whether it is gone
    assert prune_beats(backend, max_silence_s=3 * 3600, now=later) == 0
    assert ELSEWHERE in backend.list_beats()

    assert prune_beats(backend, max_silence_s=3600, now=later) == 1
    assert ELSEWHERE not in backend.list_beats()


def test_a_heartbeat_written_again_after_it_was_read_is_not_dropped(backend: IndexBackend):
    backend.beat(ELSEWHERE)
    seen = backend.list_beats()
    time.sleep(0.01)
    backend.beat(ELSEWHERE)

    assert backend.forget_beats(seen) == 0
    assert backend.list_beats()[ELSEWHERE] > seen[ELSEWHERE]


def test_pruning_a_silent_lease_holders_beat_does_not_change_who_takes_the_lease(
    backend: IndexBackend,
):
    backend.beat(ELSEWHERE)
    backend.claim_lease("hpo_sweep:abc", ELSEWHERE)
    time.sleep(0.3)

    assert prune_beats(backend, max_silence_s=0.2) == 1

    # Silent past the grace period with its beat or without it: the lease passes on.
    assert claim_lease(backend, "hpo_sweep:abc", grace_s=0.1).holder == backend.process
