"""train_and_evaluate: seeding, dropout, split checks, refit without validation, MLflow logging."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from resume_ner.config.train import TrainConfig
from resume_ner.naming.context import NamingContext
from resume_ner.tracking.context import TrackingContext
from resume_ner.tracking.trackers.training import MLflowTrainingTracker
from resume_ner.training.errors import SplitOverlapError
from resume_ner.training.run import train_and_evaluate


def run(small_split, data_config, model_config, train_config, **kwargs):
    return train_and_evaluate(
        small_split["train"],
        validation_documents=small_split["validation"],
        data_config=data_config,
        model_config=model_config,
        train_config=train_config,
        **kwargs,
    )


def test_two_runs_with_the_same_seed_give_identical_metrics(
    small_split, data_config, model_config, train_config
):
    first = run(small_split, data_config, model_config, train_config)
    second = run(small_split, data_config, model_config, train_config)

    def figures(result):
        return [
            (r.train_loss, r.validation.to_dict() if r.validation else None) for r in result.history
        ]

    assert figures(first) == figures(second)
    assert first.history[0].train_loss > 0


def test_a_different_seed_gives_different_training(
    small_split, data_config, model_config, train_config
):
    first = run(small_split, data_config, model_config, train_config)
    other = run(
        small_split, data_config, model_config, train_config.model_copy(update={"seed": 99})
    )

    assert first.history[0].train_loss != other.history[0].train_loss


def test_the_train_configs_dropout_reaches_the_trained_model(
    small_split, data_config, model_config, train_config
):
    result = run(
        small_split,
        data_config,
        model_config,
        train_config.model_copy(update={"dropout": 0.23, "epochs": 1}),
    )

    assert result.settings.dropout == 0.23
    assert result.backbone.model.config.hidden_dropout_prob == 0.23
    assert result.backbone.model.config.attention_probs_dropout_prob == 0.23


def test_validation_documents_that_are_also_training_documents_are_refused(
    small_split, data_config, model_config, train_config
):
    leaky = [*small_split["validation"], small_split["train"][0]]

    with pytest.raises(SplitOverlapError, match="1 of the 5 validation"):
        train_and_evaluate(
            small_split["train"],
            validation_documents=leaky,
            data_config=data_config,
            model_config=model_config,
            train_config=train_config,
        )


def test_without_validation_every_epoch_runs_and_the_last_is_kept(
    small_split, data_config, model_config, train_config
):
    config = train_config.model_copy(update={"epochs": 2})

    result = train_and_evaluate(
        small_split["train"],
        test_documents=small_split["test"],
        data_config=data_config,
        model_config=model_config,
        train_config=config,
    )

    assert result.best_epoch == 2 and len(result.history) == 2
    assert result.validation_metrics is None
    assert result.test_metrics is not None


def test_torch_threads_are_restored_after_training(
    small_split, data_config, model_config, train_config
):
    import torch

    torch.set_num_threads(2)  # the autouse fixture puts back what it found
    run(
        small_split,
        data_config,
        model_config,
        train_config.model_copy(update={"epochs": 1, "num_threads": 1}),
    )

    assert torch.get_num_threads() == 2


def test_output_dir_gets_a_checkpoint_and_metrics_json(
    tmp_path: Path, small_split, data_config, model_config, train_config
):
    result = run(
        small_split,
        data_config,
        model_config,
        train_config,
        test_documents=small_split["test"],
        output_dir=tmp_path,
    )

    summary = json.loads((tmp_path / "metrics.json").read_text())
    assert result.checkpoint_dir == tmp_path / "checkpoint"
    assert (tmp_path / "checkpoint" / "config.json").is_file()
    assert summary["best_epoch"] == result.best_epoch
    assert summary["test"]["macro_f1"] == result.test_metrics.macro_f1
    assert len(summary["history"]) == len(result.history)


@pytest.fixture
def opened(project) -> Iterator[TrackingContext]:
    """The project's store opened as the command line opens it."""
    with TrackingContext.open(
        project.paths, project.project, tracking_uri=project.tracking_uri, environ={}
    ) as tracking:
        yield tracking


def test_each_metric_is_logged_once_per_epoch_and_the_final_scores_once(
    project, opened, tmp_path: Path, small_split, data_config, model_config, train_config
):
    tracker = MLflowTrainingTracker(opened)
    context = NamingContext(
        process_type="final_training", model="tiny", spec_fp="a" * 64, exec_fp="b" * 64
    )
    run_id = tracker.start_training_run(context, params={"epochs": 3})
    config = train_config.model_copy(
        update={"epochs": 3, "early_stopping": TrainConfig().early_stopping}
    )

    with tracker.managed_run(run_id):
        result = run(
            small_split,
            data_config,
            model_config,
            config,
            test_documents=small_split["test"],
            output_dir=tmp_path,
            tracker=tracker,
            run_id=run_id,
        )

    client = project.client
    history = client.get_metric_history(run_id, "val_macro_f1")
    assert [m.step for m in history] == [1, 2, 3]
    assert [m.value for m in history] == [r.validation.macro_f1 for r in result.history]
    assert len(client.get_metric_history(run_id, "train_loss")) == 3
    finals = client.get_run(run_id).data.metrics
    assert len(client.get_metric_history(run_id, "test_macro_f1")) == 1
    assert finals["test_macro_f1"] == result.test_metrics.macro_f1
    assert finals["best_epoch"] == result.best_epoch
    assert "SKILL_test_f1" in finals
    assert result.tracking_errors == []
    assert client.get_run(run_id).info.status == "FINISHED"


def test_no_training_metric_has_the_name_of_a_training_param(
    project, opened, small_split, data_config, model_config, train_config
):
    tracker = MLflowTrainingTracker(opened)
    context = NamingContext(
        process_type="final_training", model="tiny", spec_fp="c" * 64, exec_fp="d" * 64
    )
    params = {"learning_rate": 1e-3, "epochs": train_config.epochs, "batch_size": 8}
    run_id = tracker.start_training_run(context, params=params)
    with tracker.managed_run(run_id):
        run(small_split, data_config, model_config, train_config, tracker=tracker, run_id=run_id)

    logged = project.client.get_run(run_id).data
    assert "lr_at_epoch_end" in logged.metrics
    assert not set(logged.metrics) & set(logged.params)
