"""Every limit of the API gives a clear 413 or 422 (real uvicorn server, small limits)."""

from __future__ import annotations

import json

import pytest

from resume_ner.serve.app import MULTIPART_OVERHEAD_BYTES


def _json_body(size: int) -> bytes:
    """A valid extract request of exactly ``size`` bytes."""
    head, tail = b'{"text": "', b'"}'
    return head + b"a" * (size - len(head) - len(tail)) + tail


@pytest.mark.parametrize("path", ["/v1/extract", "/v1/extract/batch"])
def test_body_over_the_limit_is_413_before_it_is_parsed(client, api_config, path):
    limit = api_config.limits.max_body_bytes

    response = client.post(
        path,
        content=_json_body(limit + 1),
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 413
    assert response.json() == {
        "detail": f"request body of {limit + 1} bytes is over the limit of {limit} bytes"
    }


def test_chunked_body_over_the_limit_is_413(client, api_config):
    limit = api_config.limits.max_body_bytes
    body = _json_body(limit + 10_000)

    def chunks():
        for start in range(0, len(body), 8192):
            yield body[start : start + 8192]

    response = client.post(
        "/v1/extract", content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413
    assert f"over the limit of {limit} bytes" in response.json()["detail"]


def test_body_at_the_limit_is_accepted_whole(client, api_config):
    limits = api_config.limits
    text_chars = limits.max_text_chars
    body = json.dumps({"texts": ["a" * text_chars] * 2}).encode()
    padding = limits.max_body_bytes - len(body)
    assert padding >= 0
    body = body[:-1] + b" " * padding + b"}"

    response = client.post(
        "/v1/extract/batch", content=body, headers={"content-type": "application/json"}
    )

    assert len(body) == limits.max_body_bytes
    assert response.status_code == 200
    assert len(response.json()["results"]) == 2


def test_text_over_the_limit_is_422_naming_the_field(client, api_config):
    limit = api_config.limits.max_text_chars

    response = client.post("/v1/extract", json={"text": "a" * (limit + 1)})

    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", "text"]
    assert problem["msg"] == f"String should have at most {limit} characters"


def test_batch_with_too_many_texts_is_422(client, api_config):
    limit = api_config.limits.max_batch_texts

    response = client.post("/v1/extract/batch", json={"texts": ["Jane"] * (limit + 1)})

    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", "texts"]
    assert (
        problem["msg"]
        == f"List should have at most {limit} items after validation, not {limit + 1}"
    )


def test_batch_text_over_the_limit_is_422_naming_its_index(client, api_config):
    limit = api_config.limits.max_text_chars

    response = client.post("/v1/extract/batch", json={"texts": ["Jane", "a" * (limit + 1)]})

    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", "texts", 1]


def test_file_over_the_limit_is_413(client, api_config):
    limit = api_config.limits.max_file_bytes

    response = client.post(
        "/v1/extract/file", files={"file": ("cv.txt", b"a" * (limit + 1), "text/plain")}
    )

    assert response.status_code == 413
    assert response.json() == {"detail": f"the file is over the limit of {limit} bytes"}


def test_file_far_over_the_limit_is_413_before_it_is_parsed(client, api_config):
    limit = api_config.limits.max_file_bytes + MULTIPART_OVERHEAD_BYTES

    response = client.post(
        "/v1/extract/file", files={"file": ("cv.txt", b"a" * (limit + 1), "text/plain")}
    )

    assert response.status_code == 413
    assert f"over the limit of {limit} bytes" in response.json()["detail"]


def test_file_whose_text_is_too_long_is_413(client, api_config):
    limit = api_config.limits.max_text_chars
    assert limit + 1 <= api_config.limits.max_file_bytes

    response = client.post(
        "/v1/extract/file", files={"file": ("cv.txt", b"a" * (limit + 1), "text/plain")}
    )

    assert response.status_code == 413
    assert f"longer than the limit of {limit} characters" in response.json()["detail"]


def test_file_without_text_is_422(client):
    response = client.post("/v1/extract/file", files={"file": ("cv.txt", b" \n\n ", "text/plain")})

    assert response.status_code == 422
    assert "no text found" in response.json()["detail"][0]["msg"]


def test_missing_file_field_is_422(client):
    response = client.post("/v1/extract/file", data={"other": "x"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "file"]


def test_unknown_fields_are_422(client):
    response = client.post("/v1/extract", json={"text": "Jane", "language": "en"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "language"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/extract", b'{"text": "Jane \\ud800 Doe"}'),
        ("/v1/extract/batch", b'{"texts": ["Jane", "Jane \\ud800 Doe"]}'),
    ],
)
def test_text_with_an_unpaired_surrogate_is_422_not_a_server_error(client, path, body):
    response = client.post(path, content=body, headers={"content-type": "application/json"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "string_unicode"


def test_malformed_json_is_422(client):
    response = client.post(
        "/v1/extract", content=b'{"text": ', headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"
