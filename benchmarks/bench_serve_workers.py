"""Worker processes and fair turns: throughput of ``resume-ner serve --workers N`` and the wait of
a short request behind maximum batches, before and after fair scheduling.

Part 1 starts the real command with 1 and then 2 worker processes (ONNX Runtime threads per
worker: the cores divided among the workers, so both use the whole machine) and, for 1, 4 and 16
client threads (one keep-alive ``httpx.Client`` each), sends the same ``--requests`` synthetic
resumes to ``POST /v1/extract``: requests/s and p50/p95 latency per row, and the ratio of 2
workers' requests/s to 1 worker's at each client count.

Part 2 (with ``--baseline-python``, the interpreter of a checkout without fair scheduling, e.g.
the main branch's ``.venv/bin/python``) runs, side by side on the same bundle, the baseline's
command and this one: one client sends maximum batches (16 texts of 30,000 characters) without
pause while another sends ``--short`` short texts, one every 0.1 s; it prints each short
request's p50/p95/max wait and the ratio of the baseline's p95 to this one's.

Run: ``.venv/bin/python benchmarks/bench_serve_workers.py [--bundle DIR] [--requests 96]
[--baseline-python ../main/.venv/bin/python] [--short 10]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_serve_load import (
    START_TIMEOUT_S,
    build_tiny_bundle,
    free_port,
    percentile,
    run_load,
    stop_server,
)

CLIENTS = (1, 4, 16)


def start(
    python: str, bundle: Path, work: Path, *, workers: int = 1, threads: int | None = None
) -> tuple[subprocess.Popen, str]:
    """``python -m resume_ner serve --bundle`` (``--workers`` when > 1) until ``/health`` answers."""
    import httpx

    port = free_port()
    work.mkdir(parents=True, exist_ok=True)
    command = [python, "-m", "resume_ner", "--root", str(work)]
    if threads:
        (work / "config").mkdir(exist_ok=True)
        (work / "config" / "serve.yaml").write_text(f"model:\n  threads: {threads}\n")
        command += ["--config-dir", str(work / "config")]
    command += ["serve", "--bundle", str(bundle), "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    env = {**os.environ, "RESUME_NER_API_KEY": ""}
    with (work / "server.log").open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {(work / 'server.log').read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            stop_server(process)
            raise RuntimeError("the server did not answer in time")
        time.sleep(0.2)


def throughput(bundle: Path, work: Path, texts: list[str]) -> None:
    cores = os.cpu_count() or 1
    results: dict[tuple[int, int], tuple[float, float, float]] = {}
    for workers in (1, 2):
        threads = max(1, cores // workers)
        process, url = start(
            sys.executable, bundle, work / f"workers{workers}", workers=workers, threads=threads
        )
        try:
            run_load(url, texts[:16], 16)
            for clients in CLIENTS:
                latencies, wall = run_load(url, texts, clients)
                results[workers, clients] = (
                    len(latencies) / wall,
                    percentile(latencies, 50),
                    percentile(latencies, 95),
                )
        finally:
            stop_server(process)
    print()
    print("| workers x threads | clients | requests/s | p50 ms | p95 ms |")
    print("|---|---|---|---|---|")
    for (workers, clients), (rate, p50, p95) in sorted(results.items()):
        threads = max(1, cores // workers)
        print(f"| {workers} x {threads} | {clients} | {rate:.1f} | {p50:.0f} | {p95:.0f} |")
    print()
    for clients in CLIENTS:
        ratio = results[2, clients][0] / results[1, clients][0]
        print(f"2 workers / 1 worker, requests/s at {clients} clients: {ratio:.2f}x")


def short_behind_batches(url: str, short: int) -> list[float]:
    """Seconds each of ``short`` short requests waited while maximum batches kept coming."""
    import httpx

    batch = {"texts": [("Python developer in Berlin. " * 1_100)[:30_000]] * 16}
    stop = threading.Event()

    def batches() -> None:
        with httpx.Client(base_url=url, timeout=600) as client:
            while not stop.is_set():
                client.post("/v1/extract/batch", json=batch)

    sender = threading.Thread(target=batches)
    sender.start()
    waits = []
    try:
        time.sleep(1.0)
        with httpx.Client(base_url=url, timeout=600) as client:
            for _ in range(short):
                started = time.perf_counter()
                client.post("/v1/extract", json={"text": "Jane Doe, Python"}).raise_for_status()
                waits.append(time.perf_counter() - started)
                time.sleep(0.1)
    finally:
        stop.set()
        sender.join()
    return waits


def fairness(bundle: Path, work: Path, baseline_python: str, short: int) -> None:
    rows = {}
    for name, python in (("before (baseline)", baseline_python), ("after", sys.executable)):
        process, url = start(python, bundle, work / name.split()[0])
        try:
            rows[name] = short_behind_batches(url, short)
        finally:
            stop_server(process)
    print()
    print("| short request behind maximum batches | requests | p50 s | p95 s | max s |")
    print("|---|---|---|---|---|")
    for name, waits in rows.items():
        print(
            f"| {name} | {len(waits)} | {percentile(waits, 50):.2f} | "
            f"{percentile(waits, 95):.2f} | {max(waits):.2f} |"
        )
    before, after = (percentile(waits, 95) for waits in rows.values())
    print()
    print(f"short-request p95, before / after: {before / after:.1f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, help="model bundle to serve (default: build tiny)")
    parser.add_argument("--requests", type=int, default=96, help="requests per row of part 1")
    parser.add_argument("--baseline-python", help="interpreter of the checkout to compare with")
    parser.add_argument("--short", type=int, default=10, help="short requests of part 2")
    args = parser.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from resume_ner.data.synthetic import generate_document

    work = Path(tempfile.mkdtemp(prefix="resume-ner-bench-workers-"))
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    try:
        bundle = args.bundle or build_tiny_bundle(work)
        texts = [generate_document(index, 11).text for index in range(args.requests)]
        throughput(bundle, work, texts)
        if args.baseline_python:
            fairness(bundle, work, args.baseline_python, args.short)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
