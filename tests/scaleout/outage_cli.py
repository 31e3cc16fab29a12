"""Running the real ``resume-ner`` entry point against a real ``mlflow server`` that a test
stops while the command works."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from postgres_server import MlflowServer


@dataclass
class Finished:
    returncode: int
    output: str
    seconds: float


def resume_ner(
    root: Path, server: MlflowServer, *args: str, on_line: Callable[[str], None] | None = None
) -> Finished:
    """Run the real entry point; ``on_line`` sees each output line as it is printed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(MLFLOW_TRACKING_URI=server.url, PYTHONUNBUFFERED="1", COLUMNS="200")
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "resume_ner", "--root", str(root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if on_line is not None:
            on_line(line)
    returncode = process.wait(timeout=600)
    return Finished(returncode, "".join(lines), time.monotonic() - started)


@contextmanager
def own_server(root: Path) -> Iterator[MlflowServer]:
    """A started ``mlflow server`` of its own (SQLite store in ``root``), which a test may stop
    and start again; stopped at the end."""
    server = MlflowServer(root, f"sqlite:///{root / 'mlflow.db'}")
    server.start()
    try:
        yield server
    finally:
        server.stop()
