"""Soak: ``resume-ner serve`` under mixed ordinary and hostile traffic for a fixed time, its
resident memory at the start and the end.

Starts the real command on a bundle (``--bundle``, or a tiny one built first, see
``bench_serve_load.py``), then for ``--minutes`` keeps four client threads busy: short texts,
maximum batches (16 texts of 30,000 characters), uploads (a DOCX resume and a 190 MB-inflating
DOCX, which must be refused), and hostile connections (a lying ``Content-Length``, an idle
connection). Every 10 s it samples the server's RSS (``/proc``); it prints the RSS at the start
(after a warm-up round of every kind of request) and at the end, the largest seen, the answers
by status, and a ratio end/start. Memory that an adversarial request took and did not give back
would show as growth.

Run: ``.venv/bin/python benchmarks/bench_serve_soak.py [--bundle DIR] [--minutes 10]``.
"""

from __future__ import annotations

import argparse
import collections
import io
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_serve_load import build_tiny_bundle, free_port, start_server, stop_server

MB = 1024 * 1024
SAMPLE_S = 10.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def bomb_docx(inflated: int) -> bytes:
    """A DOCX whose ``word/document.xml`` inflates to ``inflated`` bytes of markup."""
    buffer = io.BytesIO()
    unit = b'<w:bookmarkStart w:id="0" w:name="x"/>'
    block = unit * (MB // len(unit))
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("word/document.xml", "w", force_zip64=True) as part,
    ):
        part.write(b'<w:document xmlns:w="http://schemas.openxmlformats.org/')
        part.write(b'wordprocessingml/2006/main"><w:body>')
        for _ in range(inflated // len(block)):
            part.write(block)
        part.write(b"</w:body></w:document>")
    return buffer.getvalue()


def resume_docx(text: str) -> bytes:
    import docx

    document = docx.Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, help="model bundle to serve (default: build tiny)")
    parser.add_argument("--minutes", type=float, default=10.0)
    args = parser.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import httpx

    from resume_ner.data.synthetic import generate_document

    work = Path(tempfile.mkdtemp(prefix="resume-ner-bench-soak-"))
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    try:
        bundle = args.bundle or build_tiny_bundle(work)
        texts = [generate_document(index, 7).text for index in range(50)]
        long_text = ("".join(texts) * 4)[:30_000]
        batch = {"texts": [long_text] * 16}
        files = [("cv.docx", resume_docx(texts[0])), ("bomb.docx", bomb_docx(190 * MB))]
        port = free_port()
        process = start_server(bundle, port, None, work / "server.log")
        url = f"http://127.0.0.1:{port}"
        answers: collections.Counter[str] = collections.Counter()
        stop = threading.Event()

        def short_texts() -> None:
            with httpx.Client(base_url=url, timeout=60) as client:
                index = 0
                while not stop.is_set():
                    response = client.post("/v1/extract", json={"text": texts[index % 50]})
                    answers[f"text {response.status_code}"] += 1
                    index += 1

        def batches() -> None:
            with httpx.Client(base_url=url, timeout=120) as client:
                while not stop.is_set():
                    response = client.post("/v1/extract/batch", json=batch)
                    answers[f"batch {response.status_code}"] += 1

        def uploads() -> None:
            with httpx.Client(base_url=url, timeout=60) as client:
                index = 0
                while not stop.is_set():
                    name, data = files[index % 2]
                    response = client.post("/v1/extract/file", files={"file": (name, data)})
                    answers[f"{name} {response.status_code}"] += 1
                    index += 1

        def hostile() -> None:
            address = ("127.0.0.1", port)
            while not stop.is_set():
                with socket.create_connection(address) as sock:
                    sock.settimeout(30)
                    sock.sendall(
                        b"POST /v1/extract HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                        b"Content-Type: application/json\r\n\r\n{"
                    )
                    answer = sock.recv(64)
                    answers[f"lying length {answer[9:12].decode() or 'closed'}"] += 1
                with socket.create_connection(address) as sock:
                    sock.settimeout(30)
                    answer = sock.recv(64)
                    answers[f"idle {answer[9:12].decode() or 'closed'}"] += 1

        try:
            with httpx.Client(base_url=url, timeout=120) as client:
                client.post("/v1/extract", json={"text": texts[0]})
                client.post("/v1/extract/batch", json=batch)
                for name, data in files:
                    client.post("/v1/extract/file", files={"file": (name, data)})
            start_rss = rss_mb(process.pid)
            samples = [start_rss]
            threads = [threading.Thread(target=f) for f in (short_texts, batches, uploads, hostile)]
            for thread in threads:
                thread.start()
            started = time.monotonic()
            while time.monotonic() - started < args.minutes * 60:
                time.sleep(SAMPLE_S)
                samples.append(rss_mb(process.pid))
            stop.set()
            for thread in threads:
                thread.join()
            end_rss = rss_mb(process.pid)
        finally:
            stop_server(process)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"soak of {args.minutes:g} min against {url} ({bundle})")
    print(f"RSS start {start_rss:.0f} MB, end {end_rss:.0f} MB, largest {max(samples):.0f} MB")
    print(f"end/start: {end_rss / start_rss:.3f}")
    print("samples (MB, every 10 s): " + " ".join(f"{value:.0f}" for value in samples))
    for name, count in sorted(answers.items()):
        print(f"  {name}: {count}")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
