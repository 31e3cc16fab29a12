"""The read commands in fresh processes on a 1,000-run store, against ``import mlflow``.

A demo sweep with its refit registered as the ``champion``, plus tagged runs up to ``--runs``,
fills a temporary SQLite store. Each command is then run as a whole new process (wall clock and
CPU seconds of the child, medians of ``--repeat`` rounds in which the commands take turns, so
that load from other processes falls on all of them alike), side by side with the baseline
``python -c "import mlflow"`` in the same run:

- ``resume-ner --help``;
- ``resume-ner runs ls``, ``runs tree``, ``runs lineage champion`` and ``runs find
  --run-key-hash H`` (answered from the run index), on the SQLite store and through an
  ``mlflow server --workers 1`` on the same database.

Targets: each read command at most 0.5 s wall and at most 0.2x the time of ``import mlflow``.
Run: ``.venv/bin/python benchmarks/bench_cli_startup.py [--runs 1000] [--repeat 5]`` (a few
minutes on 2 cores, most of it filling the store).
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench_find_run import mlflow_server

CLI = [sys.executable, "-m", "resume_ner"]
BASELINE = 'python -c "import mlflow"'


def fill_store(root: Path, runs: int) -> str:
    """A demo sweep, its refit as the champion, and tagged runs up to ``runs``; the sweep's
    run-key hash."""
    from mlflow.tracking import MlflowClient

    subprocess.run(
        [*CLI, "--root", str(root), "demo", "--trials", "20", "--folds", "2"],
        capture_output=True,
        check=True,
    )
    client = MlflowClient(tracking_uri=f"sqlite:///{root / 'mlruns' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("resume-ner-hpo").experiment_id
    (refit,) = client.search_runs([experiment], "tags.`code.stage` = 'hpo_refit'")
    client.create_registered_model("resume-ner")
    version = client.create_model_version(
        "resume-ner", f"runs:/{refit.info.run_id}/model", run_id=refit.info.run_id
    )
    client.set_registered_model_alias("resume-ner", "champion", version.version)
    have = len(client.search_runs([experiment], max_results=1000))
    for number in range(have, runs):
        run = client.create_run(
            experiment,
            run_name=f"extra {number}",
            tags={"code.stage": "hpo_trial_fold", "code.run_key_hash": f"{number:064x}"},
        )
        client.set_terminated(run.info.run_id, "FINISHED")
    with sqlite3.connect(root / "mlruns" / "mlflow.db") as db:
        (run_key_hash,) = db.execute(
            "SELECT t.value FROM tags t JOIN tags s ON s.run_uuid = t.run_uuid "
            "WHERE t.key = 'code.run_key_hash' AND s.key = 'code.stage' AND s.value = 'hpo_sweep'"
        ).fetchone()
    return run_key_hash


#: The commands' environment: Python writes bytecode caches, as it does on a user's machine
#: after the first run (``PYTHONDONTWRITEBYTECODE``, set on some build machines, would have
#: every run compile resume-ner's modules again while MLflow's come compiled by pip).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of ``command`` as a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True, env=CHILD_ENV)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="runs in the store")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-server", action="store_true", help="only the SQLite store")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-cli-") as folder:
        root = Path(folder) / "project"
        root.mkdir()
        print(f"filling a store with {args.runs} runs ...", flush=True)
        run_key_hash = fill_store(root, args.runs)
        db = root / "mlruns" / "mlflow.db"
        with sqlite3.connect(db) as connection:
            stored = connection.execute("SELECT count(*) FROM runs").fetchone()[0]
        reads = {
            "runs ls": ["runs", "ls"],
            "runs tree": ["runs", "tree"],
            "runs lineage champion": ["runs", "lineage", "champion"],
            "runs find (index)": ["runs", "find", "--run-key-hash", run_key_hash],
        }
        commands = {
            BASELINE: [sys.executable, "-c", "import mlflow"],
            "resume-ner --help": [*CLI, "--help"],
        }
        for name, read in reads.items():
            commands[f"{name} (sqlite)"] = [*CLI, "--root", str(root), *read]
        with mlflow_server(db, Path(folder)) if not args.no_server else _nothing() as url:
            if url:
                for name, read in reads.items():
                    commands[f"{name} (server)"] = [
                        *CLI, "--root", str(root), *read, "--tracking-uri", url,
                    ]  # fmt: skip
            # Warm-up: file and bytecode caches, the server's first answer.
            for command in commands.values():
                timed(command)
            walls: dict[str, list[float]] = {name: [] for name in commands}
            cpus: dict[str, list[float]] = {name: [] for name in commands}
            names = list(commands)
            for turn in range(args.repeat):
                shift = turn % len(names)
                for name in names[shift:] + names[:shift]:
                    wall, cpu = timed(commands[name])
                    walls[name].append(wall)
                    cpus[name].append(cpu)

    baseline = statistics.median(walls[BASELINE])
    load = os.getloadavg()[0]
    print(f"\n{stored} runs in the store; load average {load:.2f} ({os.cpu_count()} CPUs)")
    print(f"{'command':34} {'wall s':>8} {'CPU s':>7} {'vs import mlflow':>17} {'targets':>8}")
    for name in commands:
        wall = statistics.median(walls[name])
        cpu = statistics.median(cpus[name])
        ratio = wall / baseline
        met = "" if name == BASELINE else ("met" if wall <= 0.5 and ratio <= 0.2 else "MISSED")
        print(f"{name:34} {wall:8.3f} {cpu:7.3f} {ratio:16.2f}x {met:>8}")


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


if __name__ == "__main__":
    main()
