"""The API key: required on every /v1 endpoint when set, compared exactly, and required before the
server may listen beyond loopback."""

from __future__ import annotations

import httpx
import pytest
from serve_helpers import API_KEY

from resume_ner.cli.app import EXIT_BAD_INPUT, run
from resume_ner.serve.app import create_app
from resume_ner.serve.auth import API_KEY_HEADER, check_bind, is_loopback_host
from resume_ner.serve.errors import InsecureBindError
from resume_ner.serve.server import BackgroundServer

V1_REQUESTS = [
    ("GET", "/v1/model", {}),
    ("POST", "/v1/extract", {"json": {"text": "Jane Doe"}}),
    ("POST", "/v1/extract/batch", {"json": {"texts": ["Jane Doe"]}}),
    ("POST", "/v1/extract/file", {"files": {"file": ("cv.txt", b"Jane Doe", "text/plain")}}),
]


@pytest.fixture
def keyed(keyed_api_url):
    with httpx.Client(base_url=keyed_api_url, timeout=60) as http:
        yield http


@pytest.mark.parametrize(("method", "path", "payload"), V1_REQUESTS)
def test_v1_without_the_key_is_401(keyed, method, path, payload):
    response = keyed.request(method, path, **payload)

    assert response.status_code == 401
    assert API_KEY_HEADER in response.json()["detail"]


@pytest.mark.parametrize(("method", "path", "payload"), V1_REQUESTS)
def test_v1_with_a_wrong_key_is_401(keyed, method, path, payload):
    wrong = API_KEY[:-1] + ("x" if API_KEY[-1] != "x" else "y")

    response = keyed.request(method, path, headers={API_KEY_HEADER: wrong}, **payload)

    assert response.status_code == 401


@pytest.mark.parametrize(("method", "path", "payload"), V1_REQUESTS)
def test_v1_with_the_key_is_answered(keyed, method, path, payload):
    response = keyed.request(method, path, headers={API_KEY_HEADER: API_KEY}, **payload)

    assert response.status_code == 200


def test_the_key_is_checked_before_the_body(keyed):
    response = keyed.post("/v1/extract", json={"wrong": "shape"})

    assert response.status_code == 401


def test_health_and_the_schema_need_no_key(keyed):
    assert keyed.get("/health").status_code == 200
    schema = keyed.get("/openapi.json").json()
    (scheme,) = schema["components"]["securitySchemes"].values()
    assert scheme == {
        "type": "apiKey",
        "in": "header",
        "name": API_KEY_HEADER,
        "description": "The API key the server was started with.",
    }
    assert "401" in schema["paths"]["/v1/extract"]["post"]["responses"]


def test_a_server_without_a_key_refuses_to_listen_beyond_loopback(served, api_config):
    app = create_app(served, api_config)

    with pytest.raises(InsecureBindError, match=r"refusing to serve on 0\.0\.0\.0"):
        BackgroundServer(app, host="0.0.0.0")


def test_cli_refuses_a_non_loopback_host_without_a_key_with_exit_2(bundle_dir, capsys, monkeypatch):
    monkeypatch.delenv("RESUME_NER_API_KEY", raising=False)

    code = run(["serve", "--bundle", str(bundle_dir), "--host", "0.0.0.0", "--port", "0"])

    assert code == EXIT_BAD_INPUT
    err = " ".join(capsys.readouterr().err.split())
    assert "refusing to serve on 0.0.0.0" in err
    assert "RESUME_NER_API_KEY" in err


def test_cli_refuses_a_short_key_with_exit_2(bundle_dir, capsys):
    code = run(["serve", "--bundle", str(bundle_dir), "--api-key", "short", "--port", "0"])

    assert code == EXIT_BAD_INPUT
    assert "at least 16 characters" in " ".join(capsys.readouterr().err.split())


def test_a_short_key_is_refused(served, api_config):
    with pytest.raises(InsecureBindError, match="at least 16 characters"):
        create_app(served, api_config, api_key="0123456789")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.com", False),
    ],
)
def test_loopback_hosts(host, loopback):
    assert is_loopback_host(host) is loopback


def test_a_key_allows_any_host():
    check_bind("0.0.0.0", protected=True)
    with pytest.raises(InsecureBindError):
        check_bind("0.0.0.0", protected=False)
    check_bind("127.0.0.1", protected=False)
