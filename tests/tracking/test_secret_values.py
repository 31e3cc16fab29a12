"""Secret values never reach MLflow: token-shaped params and tags are stored redacted, with a
warning naming the key."""

from __future__ import annotations

import logging

import pytest

from resume_ner.naming.secrets import redact_secret_text
from resume_ner.tracking.batching import log_batch_chunked
from resume_ner.tracking.lifecycle import terminate_run_safe
from resume_ner.tracking.runs import create_run_safe

# Built from parts so that no scanner mistakes this file for a leak.
TOKENS = {
    "openai": "sk-" + "proj-" + "Xq7Lm2Np9Rt4Vw8Yz3Bc6Df1Gh5Jk0",
    "anthropic": "sk-" + "ant-api03-" + "Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz2",
    "aws": "AKIA" + "Z7QW3ER5TY7UI9OP",
    "bearer": "Bearer " + "a1b2c3d4e5f6g7h8i9j0k1l2m3n4",
    "github": "ghp_" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2",
    "github_pat": "github_pat_" + "11ABCDEFG0" + "abcdefghijklmnopqrstuv_wxyz0123456789",
    "private_key": "-----BEGIN OPENSSH " + "PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
    "-----END OPENSSH " + "PRIVATE KEY-----",
    "jwt": "eyJ" + "hbGciOiJIUzI1NiJ9.eyJ" + "zdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
}

SECRET_PARTS = {name: token.split()[-1][-12:] for name, token in TOKENS.items()}


@pytest.fixture
def run_id(project) -> str:
    return create_run_safe(project.client, project.experiment(), "secrets").info.run_id


@pytest.mark.parametrize("shape", sorted(TOKENS))
def test_each_token_shape_is_recognised(shape):
    redacted, kinds = redact_secret_text(f"note: {TOKENS[shape]} end")

    assert kinds
    assert SECRET_PARTS[shape] not in redacted


@pytest.mark.parametrize(
    "value", ["0.001", "distilbert-base-uncased", "task-classification", "mlruns/mlflow.db"]
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
