"""The ``resume-ner serve`` process: SIGTERM drains open requests and exits 0, and ``--workers N``
runs N processes that share the port, each answering with its own model."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import httpx
from serve_helpers import serve_command

BATCH = {"texts": [("Python developer in Berlin. " * 400)[:12_000]] * 4}


def _children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


def test_sigterm_lets_an_open_request_finish_and_exits_0(bundle_dir, tmp_path):
    answers: list[int] = []
    args = ("serve", "--bundle", str(bundle_dir))
    with serve_command(tmp_path, *args, log=tmp_path / "server.log") as (url, process):
        sender = threading.Thread(
            target=lambda: answers.append(
                httpx.post(f"{url}/v1/extract/batch", json=BATCH, timeout=60).status_code
            )
        )
        sender.start()
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
        sender.join()

    assert code == 0
    assert answers == [200]


def test_two_workers_share_the_port_and_all_stop_on_sigterm(bundle_dir, tmp_path):
    args = ("serve", "--bundle", str(bundle_dir), "--workers", "2")
    with serve_command(tmp_path, *args, log=tmp_path / "server.log") as (url, process):
        workers = _children(process.pid)
        with httpx.Client(base_url=url, timeout=60) as client:
            answers = [client.post("/v1/extract", json={"text": "Jane Doe"}) for _ in range(4)]
        replaced = workers[0]
        os.kill(replaced, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while len(set(_children(process.pid)) - {replaced}) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        restarted = _children(process.pid)
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)

    assert len(workers) == 2
    assert {answer.status_code for answer in answers} == {200}
    assert len(restarted) == 2 and replaced not in restarted, "a dead worker is started again"
    assert code == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in restarted), "every worker ended"
    output = (tmp_path / "server.log").read_text()
    assert "2 worker processes" in output
