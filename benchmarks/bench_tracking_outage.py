"""``resume-ner train`` while its tracking server stops for good, against the same with no outage.

Each round trains the tiny model twice with the real entry point (its own retry settings)
against a local ``mlflow server`` (``--workers 1``, SQLite store): once with the server up
throughout, once with the server stopped as soon as epoch ``--stop-after`` is printed (the
command then holds what it cannot send in its spool and exits 3). The two take turns, so that
load from other processes hits them alike; the server is started again between rounds. Printed:
the wall time of each command, the medians and the ratio outage / no outage, and the time
``resume-ner runs sync`` takes to send the spool once the server is back.

Run: ``.venv/bin/python benchmarks/bench_tracking_outage.py [--rounds 3] [--epochs 14]``
(about 5 minutes on 2 cores with the defaults).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "scaleout"))

from outage_cli import resume_ner as run_entry_point

from postgres_server import MlflowServer

MODEL_YAML = (
    "presets:\n  tiny:\n    type: tiny\n    max_length: 64\n    hidden_size: 32\n"
    "    num_hidden_layers: 1\n    num_attention_heads: 2\n    intermediate_size: 64\n"
    "    vocab_size: 600\n    learning_rate: 5.0e-3\n"
)


def make_project(root: Path, epochs: int, seed: int) -> Path:
    """A project training the tiny model; each ``seed`` is its own run identity on the server."""
    from resume_ner.config.loader import write_default_configs

    config = root / "config"
    write_default_configs(config)
    (config / "data.yaml").write_text(
        "source: {type: synthetic, n_documents: 40, seed: 3}\nmax_length: 64\nstride: 16\n"
    )
    (config / "train.yaml").write_text(
        f"epochs: {epochs}\nbatch_size: 4\nnum_threads: 1\nseed: {seed}\n"
        "early_stopping: {enabled: false}\n"
    )
    (config / "model.yaml").write_text(MODEL_YAML)
    return root


def resume_ner(
    root: Path, server: MlflowServer, *args: str, on_line: Callable[[str], None] | None = None
) -> tuple[int, float]:
    """Run the entry point (as the outage tests do); return its exit code and wall seconds."""
    finished = run_entry_point(root, server, *args, on_line=on_line)
    if finished.returncode not in (0, 3):
        raise RuntimeError(
            f"resume-ner {' '.join(args)} exited {finished.returncode}:\n{finished.output}"
        )
    return finished.returncode, finished.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=14)
    parser.add_argument("--stop-after", type=int, default=3, help="Epoch after which it stops.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-outage-") as tmp:
        folder = Path(tmp)
        server = MlflowServer(folder / "server", f"sqlite:///{folder / 'server' / 'mlflow.db'}")
        server.start()
        rows: list[tuple[int, float, float, int, float]] = []
        try:
            for number in range(1, args.rounds + 1):
                code, up = resume_ner(
                    make_project(folder / f"up-{number}", args.epochs, seed=2 * number),
                    server,
                    "train",
                )
                assert code == 0

                def stop(line: str) -> None:
                    if line.lstrip().startswith(f"epoch {args.stop_after:>3}/"):
                        server.stop()

                root = make_project(folder / f"down-{number}", args.epochs, seed=2 * number + 1)
                code, down = resume_ner(root, server, "train", on_line=stop)
                server.start()
                sync_code, sync = resume_ner(root, server, "runs", "sync")
                assert sync_code == 0
                rows.append((number, up, down, code, sync))
                print(
                    f"round {number}: no outage {up:6.1f} s   outage {down:6.1f} s "
                    f"(exit {code})   ratio {down / up:.2f}   runs sync {sync:5.1f} s",
                    flush=True,
                )
        finally:
            server.stop()

    up_median = statistics.median(row[1] for row in rows)
    down_median = statistics.median(row[2] for row in rows)
    print()
    print(f"{'case':40s} {'median wall s':>14s}")
    print(f"{'train, server up throughout':40s} {up_median:14.1f}")
    print(f"{'train, server stopped after epoch ' + str(args.stop_after):40s} {down_median:14.1f}")
    print(
        f"{'runs sync after the server is back':40s} {statistics.median(r[4] for r in rows):14.1f}"
    )
    print(
        f"ratio outage / no outage: {down_median / up_median:.2f} (target <= 1.5); "
        f"per round: {', '.join(f'{row[2] / row[1]:.2f}' for row in rows)}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
