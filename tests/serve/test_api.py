"""The REST API's endpoints against a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from resume_ner.data.synthetic import generate_document
from resume_ner.serve.bundle import read_manifest
from torch_blocker import BLOCK_TORCH_PREAMBLE

TEXT = "Jane Doe\njane.doe@example.com\nSenior Python developer in Berlin, 5 years of experience."


def _expected(served, texts):
    return [
        [
            {"start": e.start, "end": e.end, "label": e.label, "text": e.text, "score": e.score}
            for e in entities
        ]
        for entities in served.engine.extract(texts)
    ]


def _approx(entities):
    return [{**e, "score": round(e["score"], 5)} for e in entities]


def test_health_answers_ok(client):
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_extract_returns_the_engines_entities_with_offsets_into_the_text(client, served):
    response = client.post("/v1/extract", json={"text": TEXT})

    assert response.status_code == 200
    entities = response.json()["entities"]
    (expected,) = _expected(served, [TEXT])
    assert _approx(entities) == _approx(expected)
    assert entities, "the model finds entities in a resume"
    for entity in entities:
        assert TEXT[entity["start"] : entity["end"]] == entity["text"]
        assert 0.0 < entity["score"] <= 1.0


def test_extract_of_an_empty_text_finds_nothing(client):
    response = client.post("/v1/extract", json={"text": ""})

    assert response.status_code == 200
    assert response.json() == {"entities": []}


def test_batch_answers_each_text_in_order(client, served):
    texts = [generate_document(1, 5).text, "", TEXT]

    response = client.post("/v1/extract/batch", json={"texts": texts})

    assert response.status_code == 200
    results = response.json()["results"]
    assert [_approx(r["entities"]) for r in results] == [
        _approx(e) for e in _expected(served, texts)
    ]
    assert results[1] == {"entities": []}


def test_file_endpoint_reads_a_text_file_and_returns_its_text(client, served):
    response = client.post(
        "/v1/extract/file", files={"file": ("resume.txt", TEXT.encode(), "text/plain")}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["filename"], body["media_type"], body["text"]) == (
        "resume.txt",
        "text/plain",
        TEXT,
    )
    assert _approx(body["entities"]) == _approx(_expected(served, [TEXT])[0])


def test_file_of_another_type_is_415(client):
    response = client.post(
        "/v1/extract/file", files={"file": ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00", "image/png")}
    )

    assert response.status_code == 415
    assert "not a PDF, DOCX or text" in response.json()["detail"]


def test_unreadable_file_is_422_naming_the_problem(client):
    response = client.post(
        "/v1/extract/file", files={"file": ("cv.pdf", b"%PDF-1.7\nbroken", "application/pdf")}
    )

    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", "file"]
    assert "the PDF cannot be read" in problem["msg"]


def test_model_describes_the_served_bundle(client, served, bundle_dir):
    response = client.get("/v1/model")

    assert response.status_code == 200
    body = response.json()
    manifest = read_manifest(bundle_dir)
    assert body["source"] == "bundle"
    assert body["format"] == served.engine.model_format == manifest.format
    assert body["model_sha256"] == manifest.models[manifest.format].sha256
    assert (body["max_length"], body["stride"]) == (manifest.max_length, manifest.stride)
    assert body["backbone"] == manifest.backbone
    assert body["labels"] == sorted(
        {"SKILL", "EDUCATION", "DESIGNATION", "EXPERIENCE", "NAME", "EMAIL", "PHONE", "LOCATION"}
    )
    assert body["lineage"] == dict(manifest.lineage)


def test_openapi_schema_states_the_limits(client, api_config):
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]

    text = components["ExtractRequest"]["properties"]["text"]
    texts = components["BatchExtractRequest"]["properties"]["texts"]
    assert text["maxLength"] == api_config.limits.max_text_chars
    assert texts["maxItems"] == api_config.limits.max_batch_texts
    assert texts["items"]["maxLength"] == api_config.limits.max_text_chars
    for path in ("/v1/extract", "/v1/extract/batch", "/v1/extract/file"):
        responses = schema["paths"][path]["post"]["responses"]
        assert {"200", "413", "422"} <= set(responses), path
    assert "415" in schema["paths"]["/v1/extract/file"]["post"]["responses"]
    assert "securitySchemes" not in schema.get("components", {}), "no key on this server"


def test_validation_errors_do_not_echo_the_text_back(client, api_config):
    secret = "Personal Name 555-0100 " * 10
    text = secret * (api_config.limits.max_text_chars // len(secret) + 1)

    response = client.post("/v1/extract", json={"text": text})

    assert response.status_code == 422
    assert "Personal Name" not in response.text
    assert json.loads(response.text)["detail"][0]["type"] == "string_too_long"


BLOCK_TORCH_AND_SERVE = BLOCK_TORCH_PREAMBLE + textwrap.dedent(
    """
    import httpx
    from resume_ner.cli import serve
    from resume_ner.config.serve import ServeConfig
    from resume_ner.serve.app import create_app
    from resume_ner.serve.server import BackgroundServer
    from resume_ner.serve.source import ModelSource, load_served_model

    served = load_served_model(ModelSource(bundle_dir=sys.argv[1]))
    with BackgroundServer(create_app(served, ServeConfig())) as server:
        response = httpx.post(f"{server.url}/v1/extract", json={"text": "Jane Doe"}, timeout=60)
    heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"torch", "transformers"})
    assert not heavy, heavy
    print(response.status_code)
    """
)


def test_the_api_serves_without_torch_or_transformers(bundle_dir):
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_TORCH_AND_SERVE, str(bundle_dir)],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "200"
