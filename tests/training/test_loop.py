"""The training loop: early stopping, best-epoch weights, callbacks."""

from __future__ import annotations

from collections.abc import Mapping

import optuna
import pytest
import torch

from resume_ner.config.train import EarlyStoppingConfig, TrainConfig
from resume_ner.data.alignment import encode_documents
from resume_ner.data.labels import LabelSchema
from resume_ner.training.backbones import load_backbone
from resume_ner.training.features import training_loader
from resume_ner.training.loop import fit
from resume_ner.training.metrics import EntityMetrics


@pytest.fixture
def setup(small_split, data_config, model_config, train_config):
    schema = LabelSchema.from_entities(data_config.labels)
    backbone = load_backbone(
        "tiny",
        model_config,
        schema,
        train_texts=[d.text for d in small_split["train"]],
        seed=train_config.seed,
    )
    windows = encode_documents(
        small_split["train"][:6], backbone.tokenizer, schema.label2id, 64, 16
    )
    loader = training_loader(windows, backbone.tokenizer, 8, seed=0)
    return backbone.model, loader


def scripted(scores: list[float]):
    """An evaluator that returns the given macro-F1 values, one per epoch."""
    remaining = list(scores)

    def evaluate(model) -> EntityMetrics:
        score = remaining.pop(0)
        return EntityMetrics(score, score, score, score, score, score, support=1)

    return evaluate


class WeightsPerEpoch:
    """A callback keeping a copy of the model's weights after every epoch."""

    def __init__(self, model) -> None:
        self.model = model
        self.states: dict[int, dict[str, torch.Tensor]] = {}

    def __call__(self, epoch: int, metrics: Mapping[str, float]) -> None:
        self.states[epoch] = {k: v.clone() for k, v in self.model.state_dict().items()}


def same_weights(model, state) -> bool:
    return all(torch.equal(value, state[name]) for name, value in model.state_dict().items())


def config(epochs: int, **early_stopping) -> TrainConfig:
    return TrainConfig(
        epochs=epochs,
        batch_size=8,
        early_stopping=EarlyStoppingConfig(**early_stopping),
    )


def test_training_stops_after_patience_epochs_without_improvement(setup):
    model, loader = setup

    result = fit(
        model,
        loader,
        config(10, patience=2, min_delta=0.0),
        learning_rate=1e-3,
        evaluate=scripted([0.2, 0.5, 0.4, 0.45, 0.9, 0.9]),
    )

    assert [record.epoch for record in result.history] == [1, 2, 3, 4]
    assert result.stopped_early
    assert result.best_epoch == 2


def test_the_best_epochs_weights_are_restored_at_the_end(setup):
    model, loader = setup
    weights = WeightsPerEpoch(model)

    result = fit(
        model,
        loader,
        config(10, patience=2, min_delta=0.0),
        learning_rate=1e-3,
        evaluate=scripted([0.2, 0.5, 0.4, 0.45]),
        callbacks=[weights],
    )

    assert result.best_epoch == 2
    assert same_weights(model, weights.states[2])
    assert not same_weights(model, weights.states[4])


def test_an_improvement_smaller_than_min_delta_does_not_count(setup):
    model, loader = setup

    result = fit(
        model,
        loader,
        config(10, patience=2, min_delta=0.05),
        learning_rate=1e-3,
        evaluate=scripted([0.5, 0.53, 0.54, 0.9]),
    )

    assert result.best_epoch == 1
    assert len(result.history) == 3


def test_with_early_stopping_off_every_epoch_runs_and_the_best_is_kept(setup):
    model, loader = setup
    weights = WeightsPerEpoch(model)

    result = fit(
        model,
        loader,
        config(4, enabled=False, patience=1),
        learning_rate=1e-3,
        evaluate=scripted([0.2, 0.6, 0.3, 0.1]),
        callbacks=[weights],
    )

    assert len(result.history) == 4 and not result.stopped_early
    assert same_weights(model, weights.states[2])


def test_without_an_evaluator_the_last_epochs_weights_stay(setup):
    model, loader = setup
    weights = WeightsPerEpoch(model)

    result = fit(model, loader, config(2), learning_rate=1e-3, callbacks=[weights])

    assert result.best_epoch == 2
    assert same_weights(model, weights.states[2])
    assert "val_macro_f1" not in result.history[-1].metrics()


def test_callbacks_get_each_epochs_metrics_and_can_prune(setup):
    model, loader = setup
    seen: list[tuple[int, dict[str, float]]] = []

    def prune_at_two(epoch: int, metrics: Mapping[str, float]) -> None:
        seen.append((epoch, dict(metrics)))
        if epoch == 2:
            raise optuna.TrialPruned()

    with pytest.raises(optuna.TrialPruned):
        fit(
            model,
            loader,
            config(5),
            learning_rate=1e-3,
            evaluate=scripted([0.1, 0.2, 0.3, 0.4, 0.5]),
            callbacks=[prune_at_two],
        )

    assert [epoch for epoch, _ in seen] == [1, 2]
    assert seen[1][1]["val_macro_f1"] == 0.2
    assert {"train_loss", "lr_at_epoch_end", "epoch_seconds"} <= set(seen[0][1])
