"""Secret values never reach MLflow: token-shaped params and tags are stored redacted, with a
warning naming the key."""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing

import pytest

from resume_ner.naming.context import NamingContext
from resume_ner.naming.secrets import redact_secret_text
from resume_ner.tracking.batching import log_batch_chunked
from resume_ner.tracking.lifecycle import terminate_run_safe
from resume_ner.tracking.runs import create_run_safe
from resume_ner.tracking.trackers.training import MLflowTrainingTracker

# Built from parts so that no scanner mistakes this file for a leak. Each shape: the text
# logged, and the part of it that must not reach the store.
SHAPES = {
    "openai": ("sk-" + "proj-" + "Xq7Lm2Np9Rt4Vw8Yz3Bc6Df1Gh5Jk0", "Yz3Bc6Df1Gh5Jk0"),
    "anthropic": ("sk-" + "ant-api03-" + "Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz2", "Df5Gh7Jk9Lz2"),
    "aws": ("AKIA" + "Z7QW3ER5TY7UI9OP", "Z7QW3ER5TY7UI9OP"),
    "bearer": ("Bearer " + "a1b2c3d4e5f6g7h8i9j0k1l2m3n4", "a1b2c3d4e5f6g7h8"),
    "github": ("ghp_" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2", "Qr9St0Uv1Wx2"),
    "github_pat": (
        "github_pat_" + "11ABCDEFG0" + "abcdefghijklmnopqrstuv_wxyz0123456789",
        "wxyz0123456789",
    ),
    "private_key": (
        "-----BEGIN OPENSSH " + "PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
        "-----END OPENSSH " + "PRIVATE KEY-----",
        "b3BlbnNzaC1rZXktdjEAAAAA",
    ),
    "jwt": (
        "eyJ" + "hbGciOiJIUzI1NiJ9.eyJ" + "zdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
        "dozjgNryP4J3jVmNHl0w5N",
    ),
    "url_password": ("postgresql://u:" + "hunter2" + "@h/db", "hunter2"),
    "stripe": ("sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zdp7dc"),
    "aws_secret": (
        "aws_secret_access_key=" + "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "bPxRfiCYEXAMPLEKEY",
    ),
    "basic": ("Authorization: Basic " + "dXNlcjpwYXNz", "dXNlcjpwYXNz"),
    "azure": (
        "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey="
        + "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHB=="
        + ";EndpointSuffix=core.windows.net",
        "Eby8vdM02xNOcqFlqUwJPLlm",
    ),
    "private_key_without_end": (
        "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEowIBAAKCAQEAx9qLm2Np9Rt4\nVw8Yz3Bc6Df1Gh5",
        "Vw8Yz3Bc6Df1Gh5",
    ),
    "openai_glued_to_a_word": (
        "key_sk-" + "proj-" + "Rt4Vw8Yz3Bc6Df1Gh5Jk0Xq7Lm2",
        "Df1Gh5Jk0Xq7Lm2",
    ),
    "github_glued_to_a_word": (
        "tokenghp_" + "Zz1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2",
        "Op8Qr9St0Uv1Wx2",
    ),
    "bearer_in_capitals": ("BEARER " + "z9y8x7w6v5u4t3s2r1q0", "z9y8x7w6v5u4t3s2r1q0"),
    "password_assignment": ("--db-url x --password " + "correct-horse-42", "correct-horse-42"),
}
TOKENS = {name: text for name, (text, _) in SHAPES.items()}
SECRET_PARTS = {name: part for name, (_, part) in SHAPES.items()}

#: Param names that say they hold a secret, in the spellings people use.
SECRET_NAMES = (
    "dbPassword",
    "openaiApiKey",
    "githubToken",
    "passphrase",
    "authorization",
    "connection_string",
    "AZURE_STORAGE_CONNECTION_STRING",
    "aws_secret_access_key",
    "hf_token",
    "client.secret",
)


@pytest.fixture
def run_id(project) -> str:
    return create_run_safe(project.client, project.experiment(), "secrets").info.run_id


@pytest.mark.parametrize("shape", sorted(TOKENS))
def test_each_token_shape_is_recognised(shape):
    redacted, kinds = redact_secret_text(f"note: {TOKENS[shape]} end")

    assert kinds
    assert SECRET_PARTS[shape] not in redacted


@pytest.mark.parametrize(
    "value",
    [
        "0.001",
        "distilbert-base-uncased",
        "task-classification",
        "task-classification-model-finetuned-2024",
        "mlruns/mlflow.db",
        "http://127.0.0.1:5000/#/experiments/1",
        "Basic tokenization",
        "Bearer authentication",
        "tokenizer=bert-base-cased",
        '{"hub_token": null, "pad_token": "[PAD]"}',
        "t03 · tiny · sweep 0ca6e7f0.1",
        "2d711642b726b04401627ca9fbac32f5c8530fb1",
    ],
)
def test_ordinary_values_are_not_secrets(value):
    assert redact_secret_text(value) == (value, [])


@pytest.mark.parametrize("shape", sorted(TOKENS))
def test_param_and_tag_with_a_token_are_stored_redacted_with_a_warning_naming_the_key(
    project, run_id, caplog, shape
):
    caplog.set_level(logging.WARNING)
    value = f"run note {TOKENS[shape]}"
    name = f"note_{sorted(TOKENS).index(shape)}"

    log_batch_chunked(
        project.client,
        run_id,
        params={name: value},
        tags={f"custom.{name}": value},
    )

    data = project.client.get_run(run_id).data
    assert "[REDACTED:" in data.params[name]
    assert "[REDACTED:" in data.tags[f"custom.{name}"]
    assert data.params[name].startswith("run note")
    stored = str(data.params) + str(data.tags)
    assert SECRET_PARTS[shape] not in stored
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"'{name}'" in m and "secret" in m for m in warnings)
    assert any(f"custom.{name}" in m and "secret" in m for m in warnings)


def test_tags_set_when_a_run_ends_are_redacted_too(project, run_id, caplog):
    caplog.set_level(logging.WARNING)

    terminate_run_safe(project.client, run_id, "FINISHED", {"custom.reason": TOKENS["aws"]})

    assert project.client.get_run(run_id).data.tags["custom.reason"].startswith("[REDACTED:")
    assert any("custom.reason" in r.getMessage() for r in caplog.records)


def test_secret_named_param_is_dropped_with_a_warning_naming_it(project, run_id, caplog):
    caplog.set_level(logging.WARNING)

    log_batch_chunked(project.client, run_id, params={"api_key": "hunter2", "lr": 0.1})

    assert project.client.get_run(run_id).data.params == {"lr": "0.1"}
    assert any("api_key" in r.getMessage() for r in caplog.records)


def _stored_text(tracking_uri: str) -> str:
    """Everything the SQLite MLflow store holds, read with sqlite3 (not through MLflow)."""
    database = tracking_uri.removeprefix("sqlite:///")
    with closing(sqlite3.connect(database)) as connection:
        return "\n".join(connection.iterdump())


def _stored_params_and_tags(tracking_uri: str, run_id: str) -> dict[str, str]:
    database = tracking_uri.removeprefix("sqlite:///")
    with closing(sqlite3.connect(database)) as connection:
        rows = connection.execute(
            "SELECT key, value FROM params WHERE run_uuid = ?"
            " UNION ALL SELECT key, value FROM tags WHERE run_uuid = ?",
            (run_id, run_id),
        ).fetchall()
    return dict(rows)


@pytest.mark.parametrize("shape", sorted(TOKENS))
def test_each_secret_shape_logged_through_a_tracker_is_stored_redacted(tracking, shape):
    """A training run through the product's tracker with the shape in a param, a tag and the
    run's description: the store, read back with sqlite3, does not hold it."""
    tracker = MLflowTrainingTracker(tracking)
    text = TOKENS[shape]
    run_id = tracker.start_training_run(
        NamingContext(
            "final_training",
            "tiny",
            spec_fp=f"{sorted(TOKENS).index(shape):064d}",
            exec_fp="b" * 64,
        ),
        params={"note": f"run note {text}", "learning_rate": 0.1},
    )
    tracker.log_tags(run_id, {"process.status_note": f"{shape}: {text}", "mlflow.note": text})
    tracker.end_run(run_id, "FINISHED")

    assert SECRET_PARTS[shape] not in _stored_text(tracking.tracking_uri)
    values = _stored_params_and_tags(tracking.tracking_uri, run_id)
    assert values["note"].startswith("run note ") and "[REDACTED:" in values["note"]
    assert values["code.status_note"].startswith(f"{shape}: ")
    assert "[REDACTED:" in values["mlflow.note.content"]


def test_params_with_secret_looking_names_never_reach_the_store(tracking):
    tracker = MLflowTrainingTracker(tracking)
    context = NamingContext("final_training", "tiny", spec_fp="c" * 64, exec_fp="d" * 64)
    params = {name: f"value-of-{name}" for name in SECRET_NAMES}
    run_id = tracker.start_training_run(
        context, params={**params, "learning_rate": 0.1, "max_tokens": 256}
    )
    tracker.end_run(run_id, "FINISHED")

    values = _stored_params_and_tags(tracking.tracking_uri, run_id)
    assert values["learning_rate"] == "0.1" and values["max_tokens"] == "256"
    stored = _stored_text(tracking.tracking_uri)
    assert [name for name in SECRET_NAMES if f"value-of-{name}" in stored] == []
