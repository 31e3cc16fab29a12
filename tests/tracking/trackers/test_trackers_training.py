"""The training tracker: params, metrics per epoch and entity, label schema, checkpoint, metadata."""

from __future__ import annotations

import json

import pytest
from mlflow.utils.validation import MAX_PARAM_VAL_LENGTH
from tracker_helpers import code_tag_keys, make_tracking, with_stage_disabled

from resume_ner.naming.canonical import canonical_json, sha256_hex
from resume_ner.tracking.trackers.training import MLflowTrainingTracker

ID2LABEL = {0: "O", 1: "B-SKILLS", 2: "I-SKILLS", 3: "B-EMAIL", 4: "I-EMAIL"}
TRAINING_PARAMS = {
    "learning_rate": 5e-5,
    "batch_size": 16,
    "epochs": 3,
    "weight_decay": 0.01,
    "warmup_ratio": 0.1,
    "backbone": "tiny-bert",
    "seed": 42,
    "max_length": 256,
}


@pytest.fixture
def tracker(tracking) -> MLflowTrainingTracker:
    return MLflowTrainingTracker(tracking)


def test_training_params_are_logged_as_given(project, tracker, training_context):
    run_id = tracker.start_training_run(training_context, params=TRAINING_PARAMS)

    params = project.client.get_run(run_id).data.params
    assert params == {name: str(value) for name, value in TRAINING_PARAMS.items()}


def test_label_schema_is_a_hashed_artifact_with_its_hash_as_tag_never_a_param(
    project, tracker, training_context
):
    label2id = {label: index for index, label in ID2LABEL.items()}
    run_id = tracker.start_training_run(
        training_context, params={**TRAINING_PARAMS, "id2label": ID2LABEL, "label2id": label2id}
    )

    run = project.client.get_run(run_id)
    assert not {"id2label", "label2id"} & set(run.data.params)
    assert not any("B-SKILLS" in value for value in run.data.params.values())
    schema = {str(index): label for index, label in ID2LABEL.items()}
    digest = sha256_hex(canonical_json(schema))
    assert run.data.tags["code.artifact.label_schema_hash"] == digest
    path = project.client.download_artifacts(run_id, f"label_schema/{digest[:16]}.json")
    with open(path, encoding="utf-8") as stream:
        assert json.load(stream) == schema


def test_no_param_value_exceeds_mlflows_param_limit(project, tracker, training_context):
    run_id = tracker.start_training_run(
        training_context,
        params={**TRAINING_PARAMS, "notes": "n" * (2 * MAX_PARAM_VAL_LENGTH)},
    )

    params = project.client.get_run(run_id).data.params
    assert max(len(value) for value in params.values()) <= MAX_PARAM_VAL_LENGTH
    assert params["notes"].startswith("nnn")


def test_params_that_look_like_secrets_are_never_logged(project, tracker, training_context):
    run_id = tracker.start_training_run(
        training_context,
        params={
            **TRAINING_PARAMS,
            "api_key": "sk-1",
            "password": "hunter2",
            "token": "hf_2",
            "hub": {"token": "hf_3", "repo_id": "org/model"},
        },
    )

    params = project.client.get_run(run_id).data.params
    assert not {"api_key", "password", "token", "hub.token"} & set(params)
    assert params["hub.repo_id"] == "org/model"
    assert not any(value in {"sk-1", "hunter2", "hf_2", "hf_3"} for value in params.values())


def test_epoch_metrics_carry_the_epoch_as_step(project, tracker, training_context):
    run_id = tracker.start_training_run(training_context, params=TRAINING_PARAMS)

    for epoch, loss in enumerate([0.9, 0.5, 0.3]):
        tracker.log_epoch_metrics(
            run_id, {"train_loss": loss, "eval_macro_f1": 0.5 + epoch / 10}, epoch
        )

    history = project.client.get_metric_history(run_id, "train_loss")
    assert [(m.step, m.value) for m in sorted(history, key=lambda m: m.step)] == [
        (0, 0.9),
        (1, 0.5),
        (2, 0.3),
    ]


def test_per_entity_metrics_are_named_entity_underscore_metric(project, tracker, training_context):
    run_id = tracker.start_training_run(training_context, params=TRAINING_PARAMS)

    tracker.log_evaluation(
        run_id,
        {"macro_f1": 0.7},
        per_entity={"SKILLS": {"f1": 0.8, "precision": 0.9}, "EMAIL": {"f1": 0.95}},
    )

    metrics = project.client.get_run(run_id).data.metrics
    assert metrics == {"macro_f1": 0.7, "SKILLS_f1": 0.8, "SKILLS_precision": 0.9, "EMAIL_f1": 0.95}


def test_lineage_and_training_tags_are_set_from_registry_names(project, tracker, training_context):
    run_id = tracker.start_training_run(
        training_context,
        params=TRAINING_PARAMS,
        lineage={"source": "hpo", "hpo_refit_run_id": "refit123"},
        training_type="final",
        trained_on_full_data=True,
    )

    run = project.client.get_run(run_id)
    assert run.data.tags["code.lineage.source"] == "hpo"
    assert run.data.tags["code.lineage.hpo_refit_run_id"] == "refit123"
    assert run.data.tags["code.training_type"] == "final"
    assert run.data.tags["code.trained_on_full_data"] == "true"
    assert code_tag_keys(run) <= {key for _, key in project.registry.all_keys()}


def test_output_dir_gets_metadata_json_with_the_run_identity(
    project, tracker, training_context, tmp_path
):
    output_dir = tmp_path / "final_training"
    output_dir.mkdir()
    (output_dir / "metadata.json").write_text(json.dumps({"data": {"version": "v1"}}))

    run_id = tracker.start_training_run(
        training_context, params=TRAINING_PARAMS, output_dir=output_dir
    )

    metadata = json.loads((output_dir / "metadata.json").read_text())
    run = project.client.get_run(run_id)
    assert metadata["data"] == {"version": "v1"}
    assert metadata["mlflow"]["run_id"] == run_id
    assert metadata["mlflow"]["experiment_id"] == run.info.experiment_id
    # The store inside the project is recorded relative to it, so that the file survives a move.
    assert metadata["mlflow"]["tracking_uri"] == "sqlite:///mlruns/mlflow.db"
    assert metadata["mlflow"]["run_key_hash"] == run.data.tags["code.run_key_hash"]
    assert metadata["mlflow"]["run_key"].startswith("final_training:tiny-bert:")


def test_checkpoint_goes_in_as_an_archive_through_the_uploader(
    project, tracker, training_context, tmp_path
):
    checkpoint = tmp_path / "checkpoint"
    checkpoint.mkdir()
    (checkpoint / "model.safetensors").write_bytes(b"\x01" * 1024)
    (checkpoint / "config.json").write_text("{}")
    run_id = tracker.start_training_run(training_context, params=TRAINING_PARAMS)

    uploaded = tracker.log_training_artifacts(run_id, checkpoint)

    assert uploaded["checkpoint"].file_count == 2
    names = {info.path for info in project.client.list_artifacts(run_id, "checkpoint")}
    assert "checkpoint/checkpoint.tar.gz" in names


def test_disabled_training_tracking_creates_no_run(project, training_context, tmp_path):
    config = with_stage_disabled(project.config, "training")
    tracker = MLflowTrainingTracker(make_tracking(project, config))

    run_id = tracker.start_training_run(
        training_context, params=TRAINING_PARAMS, id2label=ID2LABEL, output_dir=tmp_path / "out"
    )
    with tracker.managed_run(run_id):
        tracker.log_epoch_metrics(run_id, {"train_loss": 0.5}, 0)

    assert run_id is None
    experiments = project.client.search_experiments()
    assert project.client.search_runs([e.experiment_id for e in experiments]) == []
    assert not (tmp_path / "out" / "metadata.json").exists()


def test_label_schema_given_as_a_label_list_hashes_like_the_mapping(
    project, tracker, training_context
):
    run_id = tracker.start_training_run(training_context, params=TRAINING_PARAMS)

    digest = tracker.log_label_schema(run_id, [ID2LABEL[index] for index in sorted(ID2LABEL)])

    schema = {str(index): label for index, label in ID2LABEL.items()}
    assert digest == sha256_hex(canonical_json(schema))
    assert project.client.get_run(run_id).data.tags["code.artifact.label_schema_hash"] == digest


class Outage:
    """Switches a tracker between its store and a tracking server that is down (nothing listens
    on its port); MLflow's own HTTP retries are off, so each call fails fast. The tracker's
    breaker lets a held call through at once (no probe interval), so that the first call after
    :meth:`back` reaches the store."""

    def __init__(self, tracker, monkeypatch: pytest.MonkeyPatch) -> None:
        import dataclasses
        import socket

        from mlflow.tracking import MlflowClient

        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        from resume_ner.tracking.breaker import CircuitBreaker

        tracker.breaker = CircuitBreaker(probe_interval_s=0.0)
        self.tracker = tracker
        self.reachable = tracker.tracking
        self.down_context = dataclasses.replace(
            self.reachable, client=MlflowClient(tracking_uri=f"http://127.0.0.1:{port}")
        )

    def down(self) -> None:
        self.tracker.tracking = self.down_context

    def back(self) -> None:
        self.tracker.tracking = self.reachable


@pytest.fixture
def outage(tracker, monkeypatch: pytest.MonkeyPatch) -> Outage:
    return Outage(tracker, monkeypatch)


def test_epochs_a_down_server_missed_are_sent_first_by_the_next_call_with_their_time(
    project, tracker, training_context, outage
):
    """About 4 s: the failing batch is retried with backoff before its values are held."""
    run_id = tracker.start_training_run(training_context)
    assert tracker.log_epoch_metrics(run_id, {"train_loss": 0.9}, epoch=1)
    outage.down()

    assert tracker.log_epoch_metrics(run_id, {"train_loss": 0.7}, epoch=2) is False
    assert tracker.unlogged(run_id)[0] == "metric train_loss at step 2"

    outage.back()
    assert tracker.log_epoch_metrics(run_id, {"train_loss": 0.5}, epoch=3)
    assert tracker.unlogged(run_id) == []
    history = project.client.get_metric_history(run_id, "train_loss")
    assert [(m.step, m.value) for m in history] == [(1, 0.9), (2, 0.7), (3, 0.5)]
    stamps = [m.timestamp for m in history]
    assert stamps == sorted(stamps)


def test_ending_a_run_while_the_server_is_down_reports_instead_of_raising(
    project, tracker, training_context, outage
):
    """About 8 s: two batches are retried with backoff before their values are held."""
    run_id = tracker.start_training_run(training_context)
    outage.down()
    tracker.log_epoch_metrics(run_id, {"train_loss": 0.7}, epoch=1)

    with tracker.managed_run(run_id):
        pass

    assert "metric train_loss at step 1" in tracker.unlogged(run_id)
    outage.back()
    assert tracker.flush(run_id) is True
    assert [m.step for m in project.client.get_metric_history(run_id, "train_loss")] == [1]


def test_a_value_the_store_refuses_still_raises(project, tracker, training_context):
    run_id = tracker.start_training_run(training_context)

    with pytest.raises(ValueError, match="not a number"):
        tracker.log_epoch_metrics(run_id, {"train_loss": "high"}, epoch=1)
    assert tracker.unlogged(run_id) == []
