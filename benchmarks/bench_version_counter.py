"""Run-name versions per second: the version counter against finding the version in MLflow.

Without a counter, a user finds the next free version of a run name by counting the runs that
already carry it (``MlflowClient.search_runs``, count + 1) and then creates the run. This
measures that on a real temporary SQLite MLflow store with ``--existing`` runs of the name,
side by side with reserve + commit on the index database (SQLite, the default; a PostgreSQL URL
given with ``--postgres-url`` too), in one process and with 8 processes at once (checking that no version is handed out twice, and
showing how many duplicate names the search-based approach gives under the same race).

Run: ``.venv/bin/python benchmarks/bench_version_counter.py`` (about a minute on 2 cores).
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

COUNTER_KEY = "resume-ner:hpo_trial:" + "a" * 64 + ":local"
RUN_BASE = "local_distilbert_hpo_trial_study-aaaaaaaa_t000"


# --- backends ----------------------------------------------------------------------------------


def open_backend(url: str, folder: str) -> Any:
    """The index database at ``url``; an empty ``url`` is an SQLite file in ``folder``."""
    from resume_ner.tracking.index.sql import SqlIndexBackend

    return SqlIndexBackend(url or f"sqlite:///{Path(folder) / 'index.db'}")


def counter_rate(url: str, folder: str, operations: int) -> tuple[float, list[int]]:
    """Seconds for ``operations`` reserve + commit pairs in this process, and the versions."""
    from resume_ner.tracking.index.version_counter import (
        commit_run_name_version,
        reserve_run_name_version,
    )

    backend = open_backend(url, folder)
    reserve_run_name_version(backend, "warm-up")
    versions = []
    started = time.perf_counter()
    for number in range(operations):
        version = reserve_run_name_version(backend, COUNTER_KEY)
        commit_run_name_version(backend, COUNTER_KEY, f"run-{number}", version)
        versions.append(version)
    elapsed = time.perf_counter() - started
    backend.close()
    return elapsed, versions


def _counter_worker(url: str, folder: str, count: int, start: Any, out: Any) -> None:
    from resume_ner.tracking.index.version_counter import (
        commit_run_name_version,
        reserve_run_name_version,
    )

    backend = open_backend(url, folder)
    start.wait()
    versions = []
    for number in range(count):
        version = reserve_run_name_version(backend, COUNTER_KEY)
        commit_run_name_version(backend, COUNTER_KEY, f"run-{number}", version)
        versions.append(version)
    backend.close()
    out.put(versions)


# --- baseline: search_runs count + 1, then create the run ---------------------------------------


def _count_runs_named(client: Any, experiment_id: str) -> int:
    count, token = 0, None
    while True:
        page = client.search_runs(
            [experiment_id],
            filter_string=f"attributes.run_name LIKE '{RUN_BASE}.%'",
            max_results=1000,
            page_token=token,
        )
        count += len(page)
        token = page.token
        if not token:
            return count


def make_store(folder: Path, existing: int) -> tuple[str, str]:
    """A migrated SQLite MLflow store with ``existing`` runs named ``RUN_BASE.N``."""
    from mlflow.tracking import MlflowClient

    from resume_ner.tracking.setup import initialize_store

    uri = f"sqlite:///{folder / 'mlflow.db'}"
    initialize_store(uri, folder / "artifacts")
    client = MlflowClient(tracking_uri=uri)
    experiment_id = client.create_experiment(
        "bench", artifact_location=(folder / "artifacts").as_uri()
    )
    for version in range(1, existing + 1):
        client.create_run(experiment_id, run_name=f"{RUN_BASE}.{version}")
    return uri, experiment_id


def baseline_rate(uri: str, experiment_id: str, operations: int, create: bool) -> float:
    """Seconds for ``operations`` next-version lookups by search (and run creations)."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    started = time.perf_counter()
    for _ in range(operations):
        version = _count_runs_named(client, experiment_id) + 1
        if create:
            client.create_run(experiment_id, run_name=f"{RUN_BASE}.{version}")
    return time.perf_counter() - started


def _baseline_worker(uri: str, experiment_id: str, count: int, start: Any, out: Any) -> None:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    _count_runs_named(client, experiment_id)  # warm-up: connections, imports
    start.wait()
    names = []
    for _ in range(count):
        version = _count_runs_named(client, experiment_id) + 1
        client.create_run(experiment_id, run_name=f"{RUN_BASE}.{version}")
        names.append(f"{RUN_BASE}.{version}")
    out.put(names)


def counter_then_create_rate(url: str, folder: str, uri: str, experiment_id: str, n: int) -> float:
    """Seconds for ``n`` reserve + create_run + commit sequences (the end-to-end counter path)."""
    from mlflow.tracking import MlflowClient

    from resume_ner.tracking.index.version_counter import (
        commit_run_name_version,
        reserve_run_name_version,
    )

    client = MlflowClient(tracking_uri=uri)
    backend = open_backend(url, folder)
    started = time.perf_counter()
    for _ in range(n):
        version = reserve_run_name_version(backend, COUNTER_KEY + ":e2e")
        run = client.create_run(experiment_id, run_name=f"{RUN_BASE}-e2e.{version}")
        commit_run_name_version(backend, COUNTER_KEY + ":e2e", run.info.run_id, version)
    elapsed = time.perf_counter() - started
    backend.close()
    return elapsed


# --- running processes together ------------------------------------------------------------------


def race(target: Callable[..., None], args: tuple[Any, ...], processes: int) -> tuple[float, list]:
    """Start ``processes`` spawned workers, release them together; wall seconds and results."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes + 1)
    out = context.Queue()
    workers = [
        context.Process(target=target, args=(*args, start, out), daemon=True)
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    start.wait(timeout=300)
    began = time.perf_counter()
    results = [out.get(timeout=300) for _ in workers]
    elapsed = time.perf_counter() - began
    for worker in workers:
        worker.join(timeout=60)
    return elapsed, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--operations", type=int, default=300, help="counter operations per backend"
    )
    parser.add_argument("--baseline-operations", type=int, default=60)
    parser.add_argument("--existing", type=int, default=200, help="runs of the name already stored")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--postgres-url", default="", help="also race on this (empty) PostgreSQL database"
    )
    args = parser.parse_args()

    rows: list[tuple[str, int, float]] = []
    with tempfile.TemporaryDirectory(prefix="bench-version-counter-") as tmp:
        root = Path(tmp)
        timings = []
        for repeat in range(args.repeats):
            folder = root / f"sqlite-{repeat}"
            folder.mkdir()
            elapsed, versions = counter_rate("", str(folder), args.operations)
            assert versions == list(range(1, args.operations + 1)), "versions not 1..N"
            timings.append(elapsed)
        rows.append(
            (
                "index database (SQLite): reserve + commit",
                args.operations,
                statistics.median(timings),
            )
        )

        store = root / "store"
        store.mkdir()
        print(f"creating an MLflow store with {args.existing} runs of the name ...", flush=True)
        uri, experiment_id = make_store(store, args.existing)
        baseline_rate(uri, experiment_id, 3, create=False)  # warm-up
        search_only = baseline_rate(uri, experiment_id, args.baseline_operations, create=False)
        search_create = baseline_rate(uri, experiment_id, args.baseline_operations, create=True)
        baseline_label = (
            f"baseline: search_runs count+1 and create_run ({args.existing} existing runs)"
        )
        rows.append((baseline_label, args.baseline_operations, search_create))
        rows.append(("baseline: search_runs count+1 only", args.baseline_operations, search_only))
        e2e_folder = root / "e2e"
        e2e_folder.mkdir()
        e2e = counter_then_create_rate(
            "", str(e2e_folder), uri, experiment_id, args.baseline_operations
        )
        rows.append(
            (
                "index database (SQLite): reserve + create_run + commit",
                args.baseline_operations,
                e2e,
            )
        )

        print()
        baseline_per_s = args.baseline_operations / search_create
        print(f"{'method':<78} {'ops':>5} {'seconds':>8} {'ops/s':>9} {'vs baseline':>12}")
        for label, operations, seconds in rows:
            per_s = operations / seconds
            print(
                f"{label:<78} {operations:>5} {seconds:>8.3f} {per_s:>9.1f} "
                f"{per_s / baseline_per_s:>11.1f}x"
            )

        print("\n8 processes x 50 reservations at once (spawned, released by a barrier):")
        databases = [("", "SQLite")] + (
            [(args.postgres_url, "PostgreSQL")] if args.postgres_url else []
        )
        for url, label in databases:
            folder = root / f"race-{label}"
            folder.mkdir()
            elapsed, results = race(_counter_worker, (url, str(folder), 50), 8)
            versions = [version for worker in results for version in worker]
            duplicates = len(versions) - len(set(versions))
            print(
                f"  {label:<22} {len(versions)} versions in {elapsed:.2f} s "
                f"({len(versions) / elapsed:.0f}/s), duplicates: {duplicates}, "
                f"1..400 exactly: {sorted(versions) == list(range(1, 401))}"
            )

        elapsed, results = race(_baseline_worker, (uri, experiment_id, 10), 4)
        names = [name for worker in results for name in worker]
        repeated = sum(count - 1 for count in Counter(names).values() if count > 1)
        print(
            f"  {'baseline (4 x 10)':<22} {len(names)} runs in {elapsed:.2f} s, "
            f"runs sharing a name with another: {repeated}"
        )


if __name__ == "__main__":
    main()
