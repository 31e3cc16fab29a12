"""Constants and builders shared by the serving tests: the test API key, the small limits of the
test servers, resume files (PDF with fpdf2, DOCX with python-docx) made from plain text, and the
``resume-ner serve`` command run in a subprocess."""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from resume_ner.config.serve import ServeLimits

API_KEY = "test-key-0123456789abcdef"
LIMITS = ServeLimits(
    max_body_bytes=64 * 1024,
    max_text_chars=12_000,
    max_batch_texts=4,
    max_file_bytes=96 * 1024,
)
SERVE_START_TIMEOUT_S = 120.0
#: Characters the PDF core fonts cannot draw (they cover Latin-1), and their stand-ins.
_NOT_LATIN_1 = str.maketrans({"\u2014": "-", "\u2013": "-", "\u2022": "*", "\u00b7": "*"})


def printable_lines(text: str) -> list[str]:
    """``text`` as the non-empty lines a PDF or DOCX shows: tabs and runs of spaces become one
    space, lines are stripped, characters outside Latin-1 are replaced."""
    latin_1 = text.translate(_NOT_LATIN_1).encode("latin-1", "replace").decode("latin-1")
    lines = (re.sub(r"[ \t]+", " ", line).strip() for line in latin_1.splitlines())
    return [line for line in lines if line]


def pdf_bytes(lines: list[str]) -> bytes:
    """A PDF showing ``lines``, one per line (fpdf2, core font)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=8)
    for line in lines:
        pdf.cell(text=line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def docx_bytes(lines: list[str]) -> bytes:
    """A Word document with one paragraph per line (python-docx)."""
    import docx

    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@contextmanager
def serve_command(
    root: Path, *args: str, log: Path, max_open_files: int | None = None
) -> Iterator[tuple[str, subprocess.Popen]]:
    """``resume-ner --root ROOT ARGS... --port P`` in a subprocess until it answers ``/health``;
    yields its URL and process (killed on exit if still running). Output goes to ``log``;
    ``max_open_files`` sets the process's file-descriptor limit."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "resume_ner", "--root", str(root), *args, "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "RESUME_NER_API_KEY": ""},
            preexec_fn=None if max_open_files is None else lambda: _limit_files(max_open_files),
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVE_START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"serve exited early: {log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"serve did not answer: {log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield url, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _limit_files(count: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_NOFILE, (count, count))


def rss_bytes(pid: int) -> int:
    """The resident memory of process ``pid`` now (Linux ``/proc``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")
