"""log_batch_chunked: everything arrives, in the fewest requests MLflow's limits allow."""

from __future__ import annotations

import logging
import math

import pytest
from mlflow.utils.validation import MAX_PARAM_VAL_LENGTH, MAX_TAG_VAL_LENGTH

from resume_ner.tracking.batching import log_batch_chunked
from resume_ner.tracking.runs import create_run_safe


@pytest.fixture
def run_id(project) -> str:
    return create_run_safe(project.client, project.experiment(), "batching").info.run_id


@pytest.fixture
def log_batch_calls(project, monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Every ``client.log_batch`` request, as the sizes of what it carried."""
    client = project.client
    real = client.log_batch
    calls: list[dict] = []

    def counting(run_id, metrics=(), params=(), tags=(), synchronous=None):
        calls.append({"params": len(params), "metrics": len(metrics), "tags": len(tags)})
        return real(run_id, metrics=metrics, params=params, tags=tags, synchronous=synchronous)

    monkeypatch.setattr(client, "log_batch", counting)
    return calls


def test_large_payload_arrives_completely_in_the_fewest_requests(project, run_id, log_batch_calls):
    params = {f"param_{i:03d}": i for i in range(250)}
    metrics = {f"metric_{i:04d}": i / 7 for i in range(2500)}
    tags = {f"custom.tag_{i:03d}": f"value {i}" for i in range(150)}

    log_batch_chunked(project.client, run_id, params=params, metrics=metrics, tags=tags)

    # 250 params need 3 requests of at most 100, and 2,900 entities 3 requests of at most 1,000.
    assert len(log_batch_calls) == 3
    data = project.client.get_run(run_id).data
    assert data.params == {name: str(value) for name, value in params.items()}
    assert data.metrics == pytest.approx(metrics)
    assert {key: data.tags[key] for key in tags} == tags


def test_metric_history_with_steps_arrives_in_the_fewest_requests(project, run_id, log_batch_calls):
    history = [("loss", 1.0 / (step + 1), step) for step in range(1500)]

    log_batch_chunked(project.client, run_id, metrics=history)

    assert len(log_batch_calls) == math.ceil(1500 / 1000)
    stored = project.client.get_metric_history(run_id, "loss")
    assert sorted(m.step for m in stored) == list(range(1500))


def test_small_payload_goes_in_exactly_one_request(project, run_id, log_batch_calls):
    log_batch_chunked(
        project.client,
        run_id,
        params={"learning_rate": 3e-5, "batch_size": 16},
        metrics=[("f1", 0.8, 1), ("loss", 0.3, 1)],
        tags={"code.stage": "hpo_trial"},
    )

    assert len(log_batch_calls) == 1
    data = project.client.get_run(run_id).data
    assert data.params == {"learning_rate": "3e-05", "batch_size": "16"}
    assert data.metrics == {"f1": 0.8, "loss": 0.3}
    assert data.tags["code.stage"] == "hpo_trial"


def test_nothing_to_log_sends_no_request(project, run_id, log_batch_calls):
    log_batch_chunked(project.client, run_id, params={}, metrics={}, tags={})

    assert log_batch_calls == []


def test_requests_are_split_by_size_when_values_are_long(project, run_id, log_batch_calls):
    # 100 params of 6,000 and 100 tags of 8,000 characters: 1.4 MB, over one request's 1 MB.
    params = {f"config_{i:03d}": "p" * MAX_PARAM_VAL_LENGTH for i in range(100)}
    tags = {f"custom.note_{i:03d}": "t" * MAX_TAG_VAL_LENGTH for i in range(100)}

    log_batch_chunked(
        project.client, run_id, params=params, tags=tags, tag_max_length=MAX_TAG_VAL_LENGTH
    )

    assert len(log_batch_calls) == 2
    data = project.client.get_run(run_id).data
    assert data.params == params
    assert {key: data.tags[key] for key in tags} == tags


def test_long_param_values_are_cut_to_mlflows_param_limit(project, run_id):
    log_batch_chunked(
        project.client, run_id, params={"search_space": "x" * (3 * MAX_PARAM_VAL_LENGTH)}
    )

    value = project.client.get_run(run_id).data.params["search_space"]
    assert len(value) == MAX_PARAM_VAL_LENGTH
    assert value.endswith("...")


def test_mappings_and_lists_become_json_param_values(project, run_id):
    log_batch_chunked(project.client, run_id, params={"layers": [1, 2], "opt": {"b": 2, "a": 1}})

    params = project.client.get_run(run_id).data.params
    assert params == {"layers": "[1, 2]", "opt": '{"a": 1, "b": 2}'}


def test_secrets_are_never_logged(project, run_id):
    log_batch_chunked(
        project.client,
        run_id,
        params={
            "api_key": "sk-123",
            "password": "hunter2",
            "token": "hf_abc",
            "hub": {"token": "hf_nested", "repo": "org/model"},
            "max_tokens": 512,
        },
        tags={"custom.secret": "s3cr3t", "custom.owner": "ml-team"},
    )

    data = project.client.get_run(run_id).data
    assert data.params == {"hub": '{"repo": "org/model"}', "max_tokens": "512"}
    assert "custom.secret" not in data.tags
    assert data.tags["custom.owner"] == "ml-team"


def test_tag_values_are_sanitised_and_cut_to_the_tag_limit(project, run_id):
    log_batch_chunked(
        project.client,
        run_id,
        tags={"custom.note": "line\x00one\nline two " + "y" * 500},
        tag_max_length=64,
    )

    value = project.client.get_run(run_id).data.tags["custom.note"]
    assert len(value) <= 64
    assert "\x00" not in value and "\n" not in value
    assert value.startswith("line one line two")


def test_non_finite_metrics_are_skipped_with_a_warning(project, run_id, caplog):
    with caplog.at_level(logging.WARNING, logger="resume_ner.tracking.batching"):
        log_batch_chunked(
            project.client,
            run_id,
            metrics={"f1": 0.5, "loss": float("nan"), "grad_norm": float("inf")},
        )

    assert project.client.get_run(run_id).data.metrics == {"f1": 0.5}
    assert "grad_norm" in caplog.text and "loss" in caplog.text


def test_a_non_numeric_metric_raises_before_anything_is_sent(project, run_id, log_batch_calls):
    with pytest.raises(ValueError, match="accuracy"):
        log_batch_chunked(project.client, run_id, params={"seed": 1}, metrics={"accuracy": "high"})

    assert log_batch_calls == []
    assert project.client.get_run(run_id).data.params == {}


def test_an_overlong_name_raises_before_anything_is_sent(project, run_id, log_batch_calls):
    with pytest.raises(ValueError, match="param name"):
        log_batch_chunked(project.client, run_id, params={"p" * 300: 1})

    assert log_batch_calls == []


def test_a_transient_failure_is_retried_and_the_batch_arrives(project, run_id, monkeypatch):
    client = project.client
    real = client.log_batch
    attempts = []

    def flaky(*args, **kwargs):
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("connection reset by peer")
        return real(*args, **kwargs)

    monkeypatch.setattr(client, "log_batch", flaky)

    log_batch_chunked(client, run_id, metrics={"f1": 0.9})

    assert len(attempts) == 2
    assert client.get_run(run_id).data.metrics == {"f1": 0.9}


def test_asynchronous_logging_returns_operations_that_complete(project, run_id):
    operations = log_batch_chunked(
        project.client,
        run_id,
        params={"seed": 7},
        metrics={"f1": 0.7},
        synchronous=False,
    )

    assert operations is not None
    operations.wait()
    data = project.client.get_run(run_id).data
    assert data.params == {"seed": "7"}
    assert data.metrics == {"f1": 0.7}
