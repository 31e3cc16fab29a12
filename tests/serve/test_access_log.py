"""Request logging: one line per request with method, path, status, duration and sizes, and never
the resume text (personal data), neither in the access log nor in any other log line."""

from __future__ import annotations

import logging
import re
import signal
import time

import httpx
import pytest
from serve_helpers import serve_command

from resume_ner.serve.access_log import ACCESS_LOGGER

SECRET_NAME = "Zebulon Quastlewhite"
SECRET_EMAIL = "zebulon.q@secret-mail.example"
SECRET_TEXT = f"{SECRET_NAME}\n{SECRET_EMAIL}\n+44 7700 900123\nData engineer in Reykjavik."
SECRETS = (SECRET_NAME, "Quastlewhite", SECRET_EMAIL, "secret-mail", "7700 900123", "Reykjavik")


def _access_records(caplog, count: int, timeout: float = 10.0) -> list[logging.LogRecord]:
    """The access records, once ``count`` of them arrived (the line is logged after the answer)."""
    deadline = time.monotonic() + timeout
    while True:
        records = [r for r in caplog.records if r.name == ACCESS_LOGGER]
        if len(records) >= count or time.monotonic() > deadline:
            return records
        time.sleep(0.01)


def _everything_logged(caplog) -> str:
    return "\n".join([caplog.text] + [f"{r.getMessage()} {r.__dict__}" for r in caplog.records])


def test_each_request_is_logged_with_its_id_method_path_status_duration_and_sizes(client, caplog):
    caplog.set_level(logging.DEBUG)

    response = client.post("/v1/extract", json={"text": SECRET_TEXT})
    (record,) = _access_records(caplog, 1)

    assert response.status_code == 200
    assert record.levelno == logging.INFO
    assert (record.method, record.path, record.status) == ("POST", "/v1/extract", 200)
    assert record.request_bytes == len(response.request.content)
    assert record.response_bytes == len(response.content)
    assert record.duration_ms > 0
    assert record.request_id == response.headers["x-request-id"]
    assert re.fullmatch(
        rf"{record.request_id} POST /v1/extract 200 \d+\.\d ms request={record.request_bytes}B "
        rf"response={record.response_bytes}B",
        record.getMessage(),
    )


def test_no_log_line_holds_resume_text_on_any_endpoint_or_error(client, api_config, caplog):
    caplog.set_level(logging.DEBUG)
    too_long = SECRET_TEXT * (api_config.limits.max_text_chars // len(SECRET_TEXT) + 1)

    answers = [
        client.post("/v1/extract", json={"text": SECRET_TEXT}),
        client.post("/v1/extract/batch", json={"texts": [SECRET_TEXT, SECRET_TEXT]}),
        client.post(
            "/v1/extract/file", files={"file": ("zq.txt", SECRET_TEXT.encode(), "text/plain")}
        ),
        client.post("/v1/extract", json={"text": too_long}),
        client.post("/v1/extract", json={"text": SECRET_TEXT, "note": SECRET_NAME}),
        client.post(
            "/v1/extract/file",
            files={"file": ("zq.pdf", b"%PDF-1.7\n" + SECRET_TEXT.encode(), "application/pdf")},
        ),
    ]
    records = _access_records(caplog, len(answers))

    assert [a.status_code for a in answers] == [200, 200, 200, 422, 422, 422]
    assert [r.status for r in records] == [a.status_code for a in answers]
    logged = _everything_logged(caplog)
    assert "/v1/extract/file" in logged
    for secret in SECRETS:
        assert secret not in logged


@pytest.fixture
def cli_server(bundle_dir, tmp_path):
    """``resume-ner -v serve --bundle`` in a subprocess (debug logging: the most it ever logs).

    About 2-5 s: the command itself must start in a fresh interpreter.
    """
    log = tmp_path / "server.log"
    with serve_command(tmp_path, "-v", "serve", "--bundle", str(bundle_dir), log=log) as (
        url,
        process,
    ):
        yield url, process, log


def test_serve_command_serves_a_bundle_logs_requests_and_exits_0_on_ctrl_c(cli_server, bundle_dir):
    url, process, log = cli_server

    response = httpx.post(f"{url}/v1/extract", json={"text": SECRET_TEXT}, timeout=60)
    model = httpx.get(f"{url}/v1/model", timeout=60).json()
    process.send_signal(signal.SIGINT)
    code = process.wait(timeout=30)

    assert code == 0
    assert response.status_code == 200
    assert response.json()["entities"], "the model finds entities"
    assert model["source"] == "bundle"
    output = log.read_text()
    assert f"serving bundle {bundle_dir} (" in output
    assert f"on {url} (try it at {url}/, API docs at {url}/docs)" in output
    assert re.search(
        r"INFO resume_ner\.serve\.access: [0-9a-f]{32} POST /v1/extract 200 [\d.]+ ms", output
    )
    assert "GET /v1/model 200" in output
    for secret in SECRETS:
        assert secret not in output


def test_a_token_in_the_request_path_is_redacted_in_the_access_log(caplog):
    import asyncio

    from resume_ner.serve.access_log import AccessLog

    async def not_found(scope, receive, send):
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        return None

    token = "ghp_" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2"
    caplog.set_level(logging.INFO)
    scope = {"type": "http", "method": "GET", "path": f"/v1/models/{token}"}

    asyncio.run(AccessLog(not_found)(scope, receive, send))

    (record,) = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    assert token not in record.getMessage()
    assert token not in record.path
    assert "[REDACTED:GitHub token]" in record.path
    assert any("'path'" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_a_clients_request_id_is_kept_in_the_response_and_the_log(client, caplog):
    caplog.set_level(logging.DEBUG)

    response = client.post(
        "/v1/extract", json={"text": "Jane"}, headers={"X-Request-ID": "order-42.a:b_c"}
    )
    (record,) = _access_records(caplog, 1)

    assert response.headers["x-request-id"] == "order-42.a:b_c"
    assert record.request_id == "order-42.a:b_c"


@pytest.mark.parametrize("sent", [None, "", "x" * 129, "has space", "ünïcode"])
def test_a_missing_or_implausible_request_id_is_replaced_by_a_new_one(client, sent):
    headers = {} if sent is None else {"X-Request-ID": sent.encode("utf-8")}
    first = client.get("/health", headers=headers)
    second = client.get("/health", headers=headers)

    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


def test_refused_requests_carry_a_request_id_too(client, api_config):
    response = client.post(
        "/v1/extract",
        content=b"a" * (api_config.limits.max_body_bytes + 1),
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 413
    assert response.headers["x-request-id"]
