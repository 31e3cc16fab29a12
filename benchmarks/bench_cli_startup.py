"""CLI start-up: ``resume-ner --help`` and ``resume-ner runs find`` by key, in fresh processes.

Each command is timed as a whole new process (wall clock, median of ``--repeat`` runs), side by
side with its baseline in the same run:

- ``resume-ner --help`` against a bare ``python -c pass`` and ``python -c "import mlflow"``
  (what an eager import of MLflow would add);
- ``resume-ner runs find --run-key-hash H`` answered from the run index (no MLflow import),
  against the same lookup through MLflow: a fresh process that opens the store with
  ``MlflowClient`` and runs a ``search_runs`` tag filter, and ``resume-ner runs find`` with the
  index switched off (the finder's MLflow path).

Targets: ``--help`` and the index lookup each under 0.5 s wall.
Run: ``.venv/bin/python benchmarks/bench_cli_startup.py`` (about a minute).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLI = [sys.executable, "-m", "resume_ner"]
IMPORT_MLFLOW = "python -c 'import mlflow'"


def wall_seconds(command: list[str], repeat: int) -> float:
    """Median wall time of ``command`` over ``repeat`` fresh processes (after one warm-up)."""
    subprocess.run(command, capture_output=True, check=True)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--trials", type=int, default=10, help="demo trials recorded in the store")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        subprocess.run(
            [*CLI, "--root", str(root), "demo", "--trials", str(args.trials), "--folds", "2"],
            capture_output=True,
            check=True,
        )
        from resume_ner.config.mlflow import load_mlflow_config
        from resume_ner.config.paths import ProjectPaths
        from resume_ner.tracking.index.backends import open_index_backend

        backend = open_index_backend(load_mlflow_config().index, ProjectPaths.at(root))
        run_key_hash = backend.list_entries()[0].run_key_hash
        uri = f"sqlite:///{root / 'mlruns' / 'mlflow.db'}"
        no_index = root / "no-index-config"
        no_index.mkdir()
        (no_index / "mlflow.yaml").write_text("index:\n  enabled: false\n")

        search = (
            "from mlflow.tracking import MlflowClient\n"
            f"c = MlflowClient({uri!r})\n"
            "e = c.get_experiment_by_name('resume-ner-hpo')\n"
            f"runs = c.search_runs([e.experiment_id], filter_string=\"tags.`code.run_key_hash` = '{run_key_hash}'\", max_results=1)\n"
            "assert runs\n"
        )
        rows = [
            ("python -c pass (interpreter start)", [sys.executable, "-c", "pass"]),
            (IMPORT_MLFLOW, [sys.executable, "-c", "import mlflow"]),
            ("resume-ner --help", [*CLI, "--help"]),
            (
                "resume-ner runs find (run index)",
                [*CLI, "--root", str(root), "runs", "find", "--run-key-hash", run_key_hash],
            ),
            ("MlflowClient search_runs tag filter", [sys.executable, "-c", search]),
            (
                "resume-ner runs find (index off: MLflow)",
                [
                    *CLI,
                    "--root",
                    str(root),
                    "--config-dir",
                    str(no_index),
                    "runs",
                    "find",
                    "--run-key-hash",
                    run_key_hash,
                ],
            ),
        ]
        results = {name: wall_seconds(command, args.repeat) for name, command in rows}

    baseline_find = results["MlflowClient search_runs tag filter"]
    print(f"{'command':45s} {'median wall s':>14s}")
    for name, seconds in results.items():
        print(f"{name:45s} {seconds:14.3f}")
    print()
    print(
        f"--help: {results['resume-ner --help']:.3f} s (target < 0.5 s); "
        f"import mlflow alone: {results[IMPORT_MLFLOW]:.3f} s"
    )
    index_find = results["resume-ner runs find (run index)"]
    print(
        f"runs find from the index: {index_find:.3f} s (target < 0.5 s); "
        f"ratio vs MlflowClient tag search in a fresh process: {index_find / baseline_find:.2f}x "
        f"({baseline_find / index_find:.1f}x faster)"
    )
    print(
        f"runs find through MLflow (index off): {results['resume-ner runs find (index off: MLflow)']:.3f} s"
    )


if __name__ == "__main__":
    main()
