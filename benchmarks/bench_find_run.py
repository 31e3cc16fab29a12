"""Finding a run by its identity: the run index against MLflow's tag search.

For each store size (``--sizes``, default 1,000 and 10,000 runs) this fills a temporary SQLite
MLflow store with runs tagged as stages tag them (each with its own run-key hash), fills the run
index (the index database on SQLite) with an entry per run, and then looks up random runs by
their run-key hash:

- index hit, then the run read without MLflow (the store reader: SQLite schema or REST);
- index hit, then the run read with ``MlflowClient.get_run``;
- ``MlflowClient.search_runs`` filtered on the run-key hash tag, ``max_results=1``;
- the whole finder (``find_mlflow_run``, strict, through the store reader) with the index, and
  without it (tag search through the reader).

Each is measured on the SQLite store directly and through a local ``mlflow server``
(``--workers 1``) started on the same database. The table shows the median milliseconds per
lookup and how many times slower the tag search is. The kinds of lookup take turns on each
run, so that load from other processes affects them alike; the load average is printed.

Run: ``.venv/bin/python benchmarks/bench_find_run.py [--sizes 1000 10000] [--no-server]``
(about five minutes on 2 cores with the defaults).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXPERIMENT = "resume-ner-training"
SERVER_START_TIMEOUT_S = 120.0
#: ``mlflow server``'s environment: without its job runner, which starts about eight processes
#: that each import MLflow (some 25 s of CPU at every start) for GenAI jobs these runs never use.
SERVER_ENV = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
WARM_UP_LOOKUPS = 5


@dataclass
class Store:
    """A populated SQLite MLflow store and the run-key hashes of its runs."""

    db: Path
    experiment_id: str
    key_hashes: list[str]
    run_ids: list[str]


@dataclass
class Row:
    store: str
    runs: int
    lookup: str
    median_ms: float


def populate(folder: Path, size: int) -> Store:
    """A new SQLite store in ``folder`` with ``size`` final-training runs, each its own identity."""
    from mlflow.tracking import MlflowClient

    from resume_ner.config.tags import load_tags_config
    from resume_ner.naming.context import NamingContext
    from resume_ner.naming.keys import build_mlflow_run_key, build_mlflow_run_key_hash
    from resume_ner.naming.tags import TagsRegistry, build_mlflow_tags
    from resume_ner.tracking.setup import initialize_store

    db = folder / "mlflow.db"
    uri = f"sqlite:///{db}"
    initialize_store(uri, folder / "artifacts")
    client = MlflowClient(uri)
    experiment_id = client.create_experiment(
        EXPERIMENT, artifact_location=(folder / "artifacts").as_uri()
    )
    registry = TagsRegistry(load_tags_config())
    key_hashes, run_ids = [], []
    started = time.perf_counter()
    for number in range(size):
        context = NamingContext(
            "final_training",
            random.choice(["distilbert", "deberta", "roberta"]),
            spec_fp=f"{number:064x}",
            exec_fp="e" * 64,
        )
        run_key = build_mlflow_run_key(context)
        key_hash = build_mlflow_run_key_hash(run_key)
        tags = build_mlflow_tags(
            registry, context, project_name="resume-ner", run_key=run_key, run_key_hash=key_hash
        )
        run = client.create_run(experiment_id, tags=tags, run_name=f"run-{number}")
        key_hashes.append(key_hash)
        run_ids.append(run.info.run_id)
    print(f"  populated {size} runs in {time.perf_counter() - started:.0f} s", flush=True)
    return Store(db, experiment_id, key_hashes, run_ids)


def fill_index(folder: Path, store: Store, tracking_uri: str) -> Any:
    """An index database holding an entry per run."""
    from resume_ner.tracking.index.base import IndexEntry, utc_now_iso
    from resume_ner.tracking.index.sql import SqlIndexBackend

    tag = "server" if tracking_uri.startswith("http") else "sqlite"
    entries = [
        IndexEntry(key_hash, run_id, store.experiment_id, None, utc_now_iso())
        for key_hash, run_id in zip(store.key_hashes, store.run_ids, strict=True)
    ]
    backend = SqlIndexBackend(f"sqlite:///{folder / f'index-{tag}.db'}")
    backend.replace_entries(entries, len(entries))
    return backend


def median_ms_each(
    lookups: list[tuple[str, Callable[[str], object]]], key_hashes: list[str]
) -> dict[str, float]:
    """Median milliseconds of each lookup; the kinds take turns on every key, so that load
    from other processes on the machine spreads evenly over them."""
    for _, lookup in lookups:
        for key_hash in key_hashes[:WARM_UP_LOOKUPS]:
            lookup(key_hash)
    times: dict[str, list[float]] = {name: [] for name, _ in lookups}
    for turn, key_hash in enumerate(key_hashes):
        shift = turn % len(lookups)
        for name, lookup in lookups[shift:] + lookups[:shift]:
            started = time.perf_counter()
            lookup(key_hash)
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def measure(
    label: str, store: Store, tracking_uri: str, index: Any, samples: list[str]
) -> list[Row]:
    """Median milliseconds per lookup of each kind against ``tracking_uri``."""
    from mlflow.tracking import MlflowClient

    from resume_ner.config.tags import load_tags_config
    from resume_ner.naming.tags import TagsRegistry
    from resume_ner.tracking.filters import tag_equals
    from resume_ner.tracking.finder import find_mlflow_run
    from resume_ner.tracking.index.run_index import find_in_mlflow_index
    from resume_ner.tracking.store.base import open_store_reader

    client = MlflowClient(tracking_uri)
    reader = open_store_reader(tracking_uri)
    registry = TagsRegistry(load_tags_config())
    hash_key = registry.key("grouping", "run_key_hash")

    def index_then_reader(key_hash: str) -> object:
        entry = find_in_mlflow_index(index, key_hash)
        assert entry is not None
        return reader.get_run(entry.run_id).info.run_id

    def index_then_get_run(key_hash: str) -> object:
        entry = find_in_mlflow_index(index, key_hash)
        assert entry is not None
        return client.get_run(entry.run_id).info.run_id

    def tag_search(key_hash: str) -> object:
        runs = client.search_runs(
            [store.experiment_id], tag_equals(hash_key, key_hash), max_results=1
        )
        assert len(runs) == 1
        return runs[0].info.run_id

    def finder(with_index: Any) -> Callable[[str], object]:
        def lookup(key_hash: str) -> object:
            report = find_mlflow_run(
                reader,
                EXPERIMENT,
                registry=registry,
                run_key_hash=key_hash,
                index=with_index,
                strict=True,
            )
            return report.run_id

        return lookup

    lookups: list[tuple[str, Callable[[str], object]]] = [
        ("index + store reader (no MLflow)", index_then_reader),
        ("index + client.get_run", index_then_get_run),
        ("search_runs by run_key_hash tag", tag_search),
        ("find_mlflow_run, index", finder(index)),
        ("find_mlflow_run, tag search", finder(None)),
    ]
    rows = []
    for name, value in median_ms_each(lookups, samples).items():
        rows.append(Row(label, len(store.key_hashes), name, value))
        print(f"  {label:6} {name:34} {value:9.2f} ms", flush=True)
    return rows


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def mlflow_server(db: Path, folder: Path) -> Iterator[str]:
    """An ``mlflow server --workers 1`` on ``db``; its process group is killed on exit."""
    port = free_port()
    log_path = folder / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "mlflow", "server",
                "--workers", "1",
                "--host", "127.0.0.1",
                "--port", str(port),
                "--backend-store-uri", f"sqlite:///{db}",
                "--artifacts-destination", str(folder / "artifacts"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=folder,
            env=SERVER_ENV,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT_S
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"mlflow server exited: {log_path.read_text()[-2000:]}")
                try:
                    with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("mlflow server did not start in time")
                time.sleep(0.5)
            yield url
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def print_table(rows: list[Row]) -> None:
    search = {
        (row.store, row.runs): row.median_ms for row in rows if row.lookup.startswith("search_runs")
    }
    widths = (6, 6, 34, 9, 13)
    print()
    print(
        f"| {'store':6} | {'runs':>6} | {'lookup':34} | {'median ms':>9} | {'search / this':>13} |"
    )
    print("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    for row in rows:
        ratio = search[(row.store, row.runs)] / row.median_ms
        print(
            f"| {row.store:6} | {row.runs:>6} | {row.lookup:34} | {row.median_ms:9.2f} "
            f"| {ratio:12.1f}x |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--lookups", type=int, default=51, help="random runs looked up per kind")
    parser.add_argument("--no-server", action="store_true", help="only the SQLite store")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    random.seed(args.seed)

    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)", flush=True)
    rows: list[Row] = []
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix=f"bench-find-{size}-") as tmp:
            folder = Path(tmp)
            print(f"{size} runs:", flush=True)
            store = populate(folder, size)
            samples = random.sample(store.key_hashes, min(args.lookups, size))
            sqlite_uri = f"sqlite:///{store.db}"
            rows += measure(
                "sqlite", store, sqlite_uri, fill_index(folder, store, sqlite_uri), samples
            )
            if not args.no_server:
                with mlflow_server(store.db, folder) as url:
                    rows += measure("server", store, url, fill_index(folder, store, url), samples)
    print_table(rows)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
