"""Load on the REST API: latency and throughput of ``POST /v1/extract`` at concurrency 1 and 8.

Starts the real command, ``resume-ner serve --bundle DIR``, on 127.0.0.1 (a separate process, as
in production, so the load generator does not share its interpreter), waits for ``/health``,
then for each concurrency sends the same fixed number of requests from that many client threads
(one keep-alive ``httpx.Client`` each), every request one synthetic resume (seeded, so every run
sends the same texts). Before timing, a warm-up round. It prints a markdown table: per
concurrency the p50/p95/max latency a client waits and the requests per second the server
completes, beside the served path called directly in this process (no HTTP, one text per call)
at concurrency 1, so the cost of HTTP, JSON and the server is the difference of the first two
rows.

Without ``--bundle`` a tiny bundle is built first (the ``tiny`` preset trained for 2 epochs on 80
synthetic resumes and converted, about 1 minute): enough to check that the script works; the
figures that matter come from a real model, e.g. a MiniLM bundle.

Run: ``.venv/bin/python benchmarks/bench_serve_load.py [--bundle DIR] [--requests 200]
[--concurrency 1 8] [--threads N]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SEED = 11
START_TIMEOUT_S = 120.0


def build_tiny_bundle(work: Path) -> Path:
    """Train the tiny preset briefly on synthetic resumes and convert it; return the bundle."""
    from resume_ner.config.conversion import ConversionConfig
    from resume_ner.config.data import DataConfig
    from resume_ner.config.model import load_model_config
    from resume_ner.config.train import TrainConfig
    from resume_ner.conversion.build import build_bundle
    from resume_ner.data.synthetic import generate_documents
    from resume_ner.training.run import train_and_evaluate

    started = time.perf_counter()
    documents = generate_documents(100, 13)
    result = train_and_evaluate(
        documents[:80],
        data_config=DataConfig(),
        model_config=load_model_config(),
        train_config=TrainConfig(epochs=2, batch_size=8),
        output_dir=work / "training",
    )
    assert result.checkpoint_dir is not None
    bundle = build_bundle(
        result.checkpoint_dir, work / "bundle", ConversionConfig(), documents=documents[80:]
    )
    print(f"built a tiny bundle in {time.perf_counter() - started:.0f} s ({bundle.served_format})")
    return bundle.bundle_dir


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(bundle: Path, port: int, threads: int | None, log: Path) -> subprocess.Popen:
    """``resume-ner serve --bundle`` on 127.0.0.1:``port``; returns once ``/health`` answers."""
    import httpx

    work = log.parent
    env = {**os.environ, "RESUME_NER_API_KEY": ""}
    if threads:
        (work / "config").mkdir(exist_ok=True)
        (work / "config" / "serve.yaml").write_text(f"model:\n  threads: {threads}\n")
    command = [sys.executable, "-m", "resume_ner", "--root", str(work)]
    if threads:
        command += ["--config-dir", str(work / "config")]
    command += ["serve", "--bundle", str(bundle), "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            stop_server(process)
            raise RuntimeError("the server did not answer in time")
        time.sleep(0.2)


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run_load(url: str, texts: list[str], concurrency: int) -> tuple[list[float], float]:
    """Send one request per text from ``concurrency`` threads; latencies (ms) and wall seconds."""
    import httpx

    def worker(share: list[str]) -> list[float]:
        latencies = []
        with httpx.Client(base_url=url, timeout=120) as client:
            for text in share:
                started = time.perf_counter()
                response = client.post("/v1/extract", json={"text": text})
                latencies.append((time.perf_counter() - started) * 1000.0)
                response.raise_for_status()
        return latencies

    shares = [texts[index::concurrency] for index in range(concurrency)]
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(worker, shares))
    wall = time.perf_counter() - started
    return [latency for share in results for latency in share], wall


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, help="model bundle to serve (default: build tiny)")
    parser.add_argument("--requests", type=int, default=200, help="requests per concurrency")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--threads", type=int, help="ONNX Runtime threads (default: per core)")
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: temporary)")
    args = parser.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

    from resume_ner.data.synthetic import generate_document
    from resume_ner.serve.engine import InferenceEngine
    from resume_ner.serve.session import physical_core_count

    work = args.keep or Path(tempfile.mkdtemp(prefix="resume-ner-bench-serve-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    try:
        bundle = args.bundle or build_tiny_bundle(work)
        texts = [generate_document(index, SEED).text for index in range(args.requests)]
        chars = statistics.mean(len(text) for text in texts)
        engine = InferenceEngine.load(bundle, threads=args.threads)
        print(
            f"bundle {bundle}: {engine.model_format}, backbone {engine.manifest.backbone}, "
            f"max_length {engine.manifest.max_length}; {engine.threads} threads "
            f"({physical_core_count()} physical cores); {args.requests} resumes of "
            f"{chars:.0f} characters on average"
        )
        for text in texts[:5]:
            engine.extract([text])
        direct = []
        started = time.perf_counter()
        for text in texts:
            call = time.perf_counter()
            engine.extract([text])
            direct.append((time.perf_counter() - call) * 1000.0)
        direct_wall = time.perf_counter() - started
        del engine

        port = free_port()
        process = start_server(bundle, port, args.threads, work / "server.log")
        url = f"http://127.0.0.1:{port}"
        try:
            run_load(url, texts[: max(8, max(args.concurrency))], max(args.concurrency))
            rows = [("served path, direct (no HTTP)", 1, direct, direct_wall)]
            for concurrency in args.concurrency:
                latencies, wall = run_load(url, texts, concurrency)
                rows.append(("POST /v1/extract", concurrency, latencies, wall))
        finally:
            stop_server(process)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    print()
    print("| path | concurrency | requests | p50 ms | p95 ms | max ms | requests/s |")
    print("|---|---|---|---|---|---|---|")
    for label, concurrency, latencies, wall in rows:
        print(
            f"| {label} | {concurrency} | {len(latencies)} | {percentile(latencies, 50):.1f} | "
            f"{percentile(latencies, 95):.1f} | {max(latencies):.1f} | "
            f"{len(latencies) / wall:.1f} |"
        )
    sequential = [row for row in rows[1:] if row[1] == 1]
    if sequential:
        http_p50, direct_p50 = percentile(sequential[0][2], 50), percentile(direct, 50)
        print()
        print(
            f"HTTP, JSON and server overhead at concurrency 1: {http_p50 - direct_p50:.1f} ms "
            f"per request at p50 ({http_p50 / direct_p50:.2f}x the direct call)"
        )
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
