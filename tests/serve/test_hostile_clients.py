"""Hostile clients against the real command: ``resume-ner serve`` in its own process, with a
file-descriptor limit of 1,024 and short timeouts, attacked over real sockets.

Each test states the bound it holds (seconds, bytes of the server's resident memory): these are
the limits the server promises under attack, not speed measurements.
"""

from __future__ import annotations

import io
import socket
import statistics
import struct
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from serve_helpers import docx_bytes, rss_bytes, serve_command

MAX_OPEN_FILES = 1_024
SERVE_YAML = """
limits:
  max_body_bytes: 1048576
  max_text_chars: 30000
  max_batch_texts: 16
  max_file_bytes: 4194304
timeouts:
  headers_s: 4
  body_idle_s: 2
  body_s: 8
  keep_alive_s: 3
"""
MB = 1024 * 1024
_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


@pytest.fixture(scope="module")
def server(bundle_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """The command on the tiny bundle; yields its URL, process and log file."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "config").mkdir()
    (root / "config" / "serve.yaml").write_text(SERVE_YAML)
    log = root / "server.log"
    args = ("--config-dir", str(root / "config"), "serve", "--bundle", str(bundle_dir))
    with serve_command(root, *args, log=log, max_open_files=MAX_OPEN_FILES) as (url, process):
        yield url, process, log


def _address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def _read_until_closed(sock: socket.socket, timeout: float) -> tuple[bytes, float]:
    """What the server sends until it closes the connection, and the seconds that took."""
    started = time.monotonic()
    sock.settimeout(timeout)
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        received += chunk
    return received, time.monotonic() - started


def _status(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


@pytest.mark.parametrize(
    ("declared", "expected"), [(1_000, 408), (10_000_000, 413)], ids=["within", "over-limit"]
)
def test_a_body_shorter_than_its_content_length_is_answered_within_10_s(server, declared, expected):
    url = server[0]
    with socket.create_connection(_address(url)) as sock:
        sock.sendall(
            b"POST /v1/extract HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(declared).encode() + b"\r\n\r\n" + b'{"text": "'
        )
        response, seconds = _read_until_closed(sock, timeout=15)

    assert _status(response) == expected
    assert seconds < 10


def test_a_trickled_header_is_answered_408_and_closed_within_15_s(server):
    url = server[0]
    closed_after = None
    with socket.create_connection(_address(url)) as sock:
        started = time.monotonic()
        sock.settimeout(0.5)
        received = b""
        for byte in b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 40:
            try:
                sock.sendall(bytes([byte]))
                chunk = sock.recv(4096)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed_after = time.monotonic() - started
                break
            received += chunk
            if not chunk:
                closed_after = time.monotonic() - started
                break
            time.sleep(0.5)

    assert closed_after is not None and closed_after < 15
    assert received.startswith(b"HTTP/1.1 408")


def test_an_idle_connection_is_closed_after_the_headers_deadline(server):
    with socket.create_connection(_address(server[0])) as sock:
        received, seconds = _read_until_closed(sock, timeout=15)

    assert received.startswith(b"HTTP/1.1 408")
    assert seconds < 6


def test_1100_idle_connections_under_a_1024_descriptor_limit_leave_room_for_a_request(server):
    url, _, log = server
    idle: list[socket.socket] = []
    try:
        for _ in range(1_100):
            idle.append(socket.create_connection(_address(url)))
        started = time.monotonic()
        response = httpx.post(f"{url}/v1/extract", json={"text": "Jane Doe, Python"}, timeout=10)
        seconds = time.monotonic() - started
    finally:
        for sock in idle:
            sock.close()

    assert response.status_code == 200
    assert seconds < 5
    assert "Too many open files" not in log.read_text()


def _bomb_docx(inflated_bytes: int, unit: bytes) -> bytes:
    """A DOCX whose ``word/document.xml`` inflates to about ``inflated_bytes`` of ``unit``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(f"<w:document {_W}><w:body>".encode())
            block = unit * (MB // len(unit))
            for _ in range(inflated_bytes // len(block)):
                part.write(block)
            part.write(b"</w:body></w:document>")
    return buffer.getvalue()


def _lie_about_sizes(data: bytes, member: str, claimed: int) -> bytes:
    """``data`` (a ZIP) whose local and central headers claim ``member`` inflates to
    ``claimed`` bytes (ZIP64 extra fields left as they are)."""
    patched = bytearray(data)
    name = member.encode()
    at = 0
    while (at := patched.find(b"PK\x03\x04", at)) != -1:
        length = struct.unpack_from("<H", patched, at + 26)[0]
        if patched[at + 30 : at + 30 + length] == name:
            struct.pack_into("<I", patched, at + 22, claimed)
        at += 4
    at = 0
    while (at := patched.find(b"PK\x01\x02", at)) != -1:
        length = struct.unpack_from("<H", patched, at + 28)[0]
        if patched[at + 46 : at + 46 + length] == name:
            struct.pack_into("<I", patched, at + 24, claimed)
        at += 4
    return bytes(patched)


def _refused_quickly_and_lightly(server, data: bytes) -> httpx.Response:
    url, process, _ = server
    before = rss_bytes(process.pid)
    peak = [before]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_bytes(process.pid))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    started = time.monotonic()
    try:
        response = httpx.post(
            f"{url}/v1/extract/file", files={"file": ("cv.docx", data)}, timeout=30
        )
    finally:
        seconds = time.monotonic() - started
        done.set()
        watcher.join()
    assert seconds < 2, f"answered after {seconds:.1f} s"
    assert peak[0] - before < 100 * MB, f"memory grew by {(peak[0] - before) / MB:.0f} MB"
    return response


BOMBS = {
    "markup": b'<w:bookmarkStart w:id="0" w:name="x"/>',
    "paragraphs": b"<w:p/>",
    "text": b"<w:p><w:r><w:t>Python SQL Berlin </w:t></w:r></w:p>",
    "whitespace": b" " * 64,
}


@pytest.mark.parametrize("unit", BOMBS.values(), ids=BOMBS.keys())
def test_a_docx_inflating_to_190_mb_is_refused_within_2_s_and_100_mb(server, unit):
    data = _bomb_docx(190 * MB, unit)
    assert len(data) < 4 * MB

    response = _refused_quickly_and_lightly(server, data)

    assert response.status_code in (413, 422)


@pytest.mark.parametrize("claimed", [1_000, 0xFFFF_FFFE], ids=["claims-small", "claims-huge"])
def test_a_docx_whose_zip_headers_lie_about_sizes_is_refused_within_2_s_and_100_mb(server, claimed):
    data = _lie_about_sizes(_bomb_docx(190 * MB, BOMBS["markup"]), "word/document.xml", claimed)

    response = _refused_quickly_and_lightly(server, data)

    assert response.status_code == 422


def test_a_docx_of_a_resume_is_still_read(server):
    response = httpx.post(
        f"{server[0]}/v1/extract/file",
        files={"file": ("cv.docx", docx_bytes(["Jane Doe", "Python, SQL", "Berlin"]))},
        timeout=30,
    )

    assert response.status_code == 200
    assert response.json()["text"] == "Jane Doe\nPython, SQL\nBerlin"


def _best_of_three(url: str, text: str) -> float:
    """The shortest of three answers to ``text``, in seconds: the machine is shared, and a
    neighbour's burst is not the server's cost."""
    seconds = []
    with httpx.Client(base_url=url, timeout=60) as client:
        client.post("/v1/extract", json={"text": "warm up 555-0132"})
        for _ in range(3):
            started = time.monotonic()
            response = client.post("/v1/extract", json={"text": text})
            seconds.append(time.monotonic() - started)
            assert response.status_code == 200
    return min(seconds)


def _flood(unit: str) -> str:
    return (unit * (30_000 // len(unit) + 1))[:30_000]


@pytest.mark.parametrize("unit", ["555-0132 ", "+1 (555) 012-3456 "], ids=str.strip)
def test_a_30000_character_phone_like_text_is_answered_within_1_s(server, unit):
    seconds = _best_of_three(server[0], _flood(unit))

    assert seconds < 1, f"answered after {seconds:.2f} s at best"


#: Floods of what the patterns look for, each beside a text of as many characters and words
#: that no pattern matches: the model's share of the time is the same for both.
FLOODS = {
    "digits": ("1-2-3-4-", "a-b-c-d-"),
    "nines": ("0" * 9 + " ", "o" * 9 + " "),
    "e-mails": ("a@b.co ", "a b co "),
    "urls": ("www.a.io/x ", "www a io x "),
}


@pytest.mark.parametrize(("unit", "plain"), FLOODS.values(), ids=FLOODS.keys())
def test_a_30000_character_pattern_flood_costs_under_1_s_more_than_plain_text(server, unit, plain):
    flood = _best_of_three(server[0], _flood(unit))
    baseline = _best_of_three(server[0], _flood(plain))

    assert flood - baseline < 1, f"{flood:.2f} s against {baseline:.2f} s for plain text"


def test_short_requests_wait_under_1_s_at_p95_while_a_client_sends_maximum_batches(server):
    url = server[0]
    batch = {"texts": ["Python developer in Berlin. " * 1_071] * 16}
    assert len(batch["texts"][0]) <= 30_000
    stop = threading.Event()
    batches: list[int] = []

    def send_batches() -> None:
        with httpx.Client(base_url=url, timeout=120) as client:
            while not stop.is_set():
                batches.append(client.post("/v1/extract/batch", json=batch).status_code)

    sender = threading.Thread(target=send_batches)
    sender.start()
    waits = []
    try:
        time.sleep(1.0)
        with httpx.Client(base_url=url, timeout=60) as client:
            for _ in range(20):
                started = time.monotonic()
                response = client.post("/v1/extract", json={"text": "Jane Doe, Python"})
                waits.append(time.monotonic() - started)
                assert response.status_code == 200
                time.sleep(0.1)
    finally:
        stop.set()
        sender.join()

    p95 = statistics.quantiles(waits, n=20)[-1]
    assert p95 < 1, f"p95 {p95:.2f} s"
    assert batches and set(batches) == {200}


def test_60000_unknown_keys_give_a_compact_422(server):
    body = "{" + ", ".join(f'"k{i}": 0' for i in range(60_000)) + ', "text": "Jane"}'
    assert len(body) < MB

    response = httpx.post(
        f"{server[0]}/v1/extract",
        content=body,
        headers={"content-type": "application/json"},
        timeout=30,
    )

    assert response.status_code == 422
    assert len(response.json()["detail"]) == 20
    assert len(response.content) < 10_000


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data; boundary=xyz", b"--abc\r\nnot a part\r\n--abc--\r\n"),
        ("multipart/form-data", b"--xyz\r\n\r\n--xyz--\r\n"),
        ("application/json", b'{"file": "cv.pdf"}'),
    ],
    ids=["wrong-boundary", "no-boundary", "not-multipart"],
)
def test_a_malformed_multipart_body_is_400(server, content_type, body):
    response = httpx.post(
        f"{server[0]}/v1/extract/file",
        content=body,
        headers={"content-type": content_type},
        timeout=30,
    )

    assert response.status_code == 400
    assert "multipart" in response.json()["detail"]
