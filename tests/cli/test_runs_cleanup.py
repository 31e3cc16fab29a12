"""``resume-ner runs cleanup`` also drops the heartbeats this machine's killed processes left."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from resume_ner.cli.app import run
from resume_ner.config.mlflow import load_mlflow_config
from resume_ner.config.paths import ProjectPaths
from resume_ner.tracking.index.backends import open_index_backend
from resume_ner.tracking.index.base import ProcessId


def _dead_process() -> ProcessId:
    finished = subprocess.Popen(["true"])
    finished.wait()
    return ProcessId(socket.gethostname(), finished.pid)


def test_runs_cleanup_drops_the_heartbeat_of_a_dead_process_and_dry_run_does_not(tmp_path: Path):
    backend = open_index_backend(load_mlflow_config().index, ProjectPaths.at(tmp_path))
    dead = _dead_process()
    backend.beat(dead)

    assert run(["--root", str(tmp_path), "runs", "cleanup", "--dry-run"]) == 0
    assert dead in backend.list_beats()

    assert run(["--root", str(tmp_path), "runs", "cleanup"]) == 0
    assert dead not in backend.list_beats()
