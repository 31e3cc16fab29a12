"""Code that test processes run: each opens its own backend from a picklable description.

Kept free of pytest, so that the processes the tests start import little.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from resume_ner.tracking.index.base import IndexBackend


@dataclass(frozen=True)
class BackendSpec:
    """How to open one backend again in another process."""

    url: str

    def open(self) -> IndexBackend:
        from resume_ner.tracking.index.sql import SqlIndexBackend

        return SqlIndexBackend(self.url)


def reserve_and_commit(
    spec: BackendSpec, counter_key: str, count: int, start: Any, out: Any
) -> None:
    """Wait for the start signal, then reserve and commit ``count`` versions; report them."""
    from resume_ner.tracking.index.version_counter import (
        commit_run_name_version,
        reserve_run_name_version,
    )

    backend = spec.open()
    start.wait()
    versions = []
    for number in range(count):
        version = reserve_run_name_version(backend, counter_key)
        commit_run_name_version(backend, counter_key, f"run-{os.getpid()}-{number}", version)
        versions.append(version)
    backend.close()
    out.put(versions)


def update_index(spec: BackendSpec, worker: int, count: int, start: Any, out: Any) -> None:
    """Wait for the start signal, then write ``count`` index entries of its own."""
    from resume_ner.tracking.index.run_index import update_mlflow_index

    backend = spec.open()
    start.wait()
    for number in range(count):
        update_mlflow_index(backend, f"hash-{worker}-{number}", f"run-{worker}-{number}", "1")
    backend.close()
    out.put(worker)


def open_only(spec: BackendSpec, start: Any, out: Any) -> None:
    """Wait for the start signal, then open the backend (creating its tables) and use it once."""
    start.wait()
    backend = spec.open()
    backend.list_entries()
    backend.close()
    out.put(os.getpid())


def claim_lease_once(spec: BackendSpec, name: str, start: Any, out: Any) -> None:
    """Wait for the start signal, then claim the lease ``name``; report whether it got it."""
    from resume_ner.tracking.liveness import claim_lease

    backend = spec.open()
    start.wait()
    lease = claim_lease(backend, name, grace_s=60)
    out.put(lease.holder == backend.process)
    # Stay alive while the others claim: a holder whose process is gone may rightly be replaced.
    time.sleep(3)
    backend.close()


RESERVE_AND_SLEEP = """
import sys, time
from resume_ner.tracking.index.version_counter import reserve_run_name_version
sys.path.insert(0, {workers_dir!r})
from index_workers import BackendSpec
backend = BackendSpec(**{spec!r}).open()
print(reserve_run_name_version(backend, {counter_key!r}, "doomed-run"), flush=True)
time.sleep(600)
"""


def reserve_and_sleep_command(spec: BackendSpec, counter_key: str) -> list[str]:
    """A command line that reserves one version, prints it and sleeps (to be killed)."""
    code = RESERVE_AND_SLEEP.format(
        workers_dir=str(Path(__file__).parent), spec=spec.__dict__, counter_key=counter_key
    )
    return [sys.executable, "-c", code]


def run_together(
    target: Any, per_worker_args: list[tuple[Any, ...]], timeout: float = 60.0
) -> list[Any]:
    """Start one spawned process per argument tuple, release them at once, collect their results.

    Each process gets its arguments plus a start barrier and a result queue; it must put one
    result. Raises ``AssertionError`` when a process fails or does not report within ``timeout``.
    """
    import multiprocessing
    import queue

    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(per_worker_args) + 1)
    out = context.Queue()
    processes = [
        context.Process(target=target, args=(*args, start, out), daemon=True)
        for args in per_worker_args
    ]
    for process in processes:
        process.start()
    try:
        start.wait(timeout=timeout)  # every process is ready: let them race
        results = []
        for _ in processes:
            try:
                results.append(out.get(timeout=timeout))
            except queue.Empty:
                codes = [process.exitcode for process in processes]
                raise AssertionError(f"a worker did not report (exit codes {codes})") from None
        for process in processes:
            process.join(timeout=timeout)
            assert process.exitcode == 0, f"worker exited with {process.exitcode}"
        return results
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join()
