"""The training loop: AdamW with linear warmup and decay, gradient clipping, evaluation after
every epoch, early stopping, and the best epoch's weights restored at the end.

The loop draws randomness only from torch's global generator (dropout) and the loader's own
generator (shuffling); the caller seeds both (see :func:`resume_ner.training.run.train_and_evaluate`),
so the same seed gives the same weights and metrics on the same machine and thread count.

After each epoch every callback gets ``(epoch, metrics)``: epochs count from 1 and ``metrics``
holds ``train_loss``, ``lr_at_epoch_end`` (the scheduler's rate; not ``learning_rate``, the
hyperparameter a run logs as a param), ``epoch_seconds`` and, with an
evaluator, the validation averages prefixed ``val_`` (``val_macro_f1``, ``val_micro_f1``,
``val_precision``, ``val_recall``, ``val_macro_precision``, ``val_macro_recall``). An exception
raised by a callback (``optuna.TrialPruned``, say) stops training and propagates.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from resume_ner.config.train import EarlyStoppingConfig, TrainConfig
from resume_ner.training.errors import TrainingDivergedError
from resume_ner.training.metrics import EntityMetrics

if TYPE_CHECKING:
    import torch
    from torch.utils.data import DataLoader
    from transformers import PreTrainedModel

logger = logging.getLogger(__name__)

#: Called after every epoch with the epoch number (from 1) and its metrics.
EpochCallback = Callable[[int, Mapping[str, float]], None]
#: Scores a model on the validation documents.
EvaluateFn = Callable[["PreTrainedModel"], EntityMetrics]

VALIDATION_PREFIX = "val_"
#: The metric of the learning rate at an epoch's end, named apart from the ``learning_rate`` param.
LR_METRIC = "lr_at_epoch_end"
#: Parameters that get no weight decay (biases and normalisation weights, as in BERT).
_NO_DECAY = ("bias", "LayerNorm.weight", "layer_norm.weight", "norm.weight")


@dataclass(frozen=True)
class EpochRecord:
    """What one epoch did: mean training loss, final learning rate, time, validation scores."""

    epoch: int
    train_loss: float
    learning_rate: float
    seconds: float
    validation: EntityMetrics | None = None

    def metrics(self) -> dict[str, float]:
        """The flat metrics callbacks receive (see the module docstring)."""
        values = {
            "train_loss": self.train_loss,
            LR_METRIC: self.learning_rate,
            "epoch_seconds": self.seconds,
        }
        if self.validation is not None:
            values.update(self.validation.summary(VALIDATION_PREFIX))
        return values


@dataclass(frozen=True)
class FitResult:
    """Every epoch's record, the epoch whose weights the model holds, and why training ended."""

    history: list[EpochRecord]
    best_epoch: int
    stopped_early: bool

    @property
    def best(self) -> EpochRecord:
        """The record of :attr:`best_epoch`."""
        return self.history[self.best_epoch - 1]


class EarlyStopping:
    """Tracks the best validation score and counts epochs without an improvement of ``min_delta``."""

    def __init__(self, config: EarlyStoppingConfig) -> None:
        self.config = config
        self.best_score = -math.inf
        self.best_epoch = 0
        self.epochs_without_improvement = 0

    def update(self, epoch: int, metrics: EntityMetrics) -> bool:
        """Record epoch ``epoch``'s scores; return whether it is the new best."""
        score = getattr(metrics, self.config.metric)
        if self.best_epoch == 0 or score > self.best_score + self.config.min_delta:
            self.best_score = score
            self.best_epoch = epoch
            self.epochs_without_improvement = 0
            return True
        self.epochs_without_improvement += 1
        return False

    @property
    def should_stop(self) -> bool:
        """Whether stopping is enabled and ``patience`` epochs passed without improvement."""
        return self.config.enabled and self.epochs_without_improvement >= self.config.patience


def _optimizer(
    model: PreTrainedModel, learning_rate: float, weight_decay: float
) -> torch.optim.Optimizer:
    import torch

    decay, no_decay = [], []
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        (no_decay if any(marker in name for marker in _NO_DECAY) else decay).append(parameter)
    return torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=learning_rate,
    )


def _snapshot(model: PreTrainedModel) -> dict[str, torch.Tensor]:
    return {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}


def fit(
    model: PreTrainedModel,
    loader: DataLoader,
    config: TrainConfig,
    *,
    learning_rate: float,
    evaluate: EvaluateFn | None = None,
    callbacks: Sequence[EpochCallback] = (),
) -> FitResult:
    """Train ``model`` on ``loader`` for up to ``config.epochs`` epochs.

    Uses AdamW (``learning_rate``, ``config.weight_decay``; no decay on biases and norms), a
    linear schedule warming up over ``config.warmup_ratio`` of the steps, and gradient clipping
    at ``config.max_grad_norm``. With ``evaluate``, the model is scored after every epoch;
    ``config.early_stopping`` may end training early, and the weights of the best epoch (by
    its ``metric``, ties to the earlier epoch) are loaded back at the end. Without it, every
    epoch runs and the last weights stay. Raises :class:`TrainingDivergedError` when the loss
    is not finite, and whatever a callback raises.
    """
    import torch
    from transformers import get_linear_schedule_with_warmup

    total_steps = config.epochs * len(loader)
    optimizer = _optimizer(model, learning_rate, config.weight_decay)
    scheduler = get_linear_schedule_with_warmup(
        optimizer, int(config.warmup_ratio * total_steps), total_steps
    )
    stopper = EarlyStopping(config.early_stopping)
    best_state: dict[str, torch.Tensor] | None = None
    history: list[EpochRecord] = []
    stopped_early = False
    for epoch in range(1, config.epochs + 1):
        started = time.perf_counter()
        model.train()
        loss_sum, batches = 0.0, 0
        for batch in loader:
            loss = model(**batch).loss
            if not math.isfinite(loss.item()):
                raise TrainingDivergedError(
                    f"the training loss became {loss.item()} in epoch {epoch} "
                    f"(learning rate {learning_rate:g})"
                )
            loss.backward()
            if config.max_grad_norm is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            loss_sum += loss.item()
            batches += 1
        validation = evaluate(model) if evaluate is not None else None
        record = EpochRecord(
            epoch=epoch,
            train_loss=loss_sum / max(batches, 1),
            learning_rate=scheduler.get_last_lr()[0],
            seconds=time.perf_counter() - started,
            validation=validation,
        )
        history.append(record)
        if validation is not None and stopper.update(epoch, validation):
            best_state = _snapshot(model)
        logger.info("epoch %d: %s", epoch, record.metrics())
        for callback in callbacks:
            callback(epoch, record.metrics())
        if validation is not None and stopper.should_stop:
            stopped_early = epoch < config.epochs
            break
    if best_state is not None and stopper.best_epoch != len(history):
        model.load_state_dict(best_state)
    best_epoch = stopper.best_epoch if evaluate is not None else len(history)
    return FitResult(history=history, best_epoch=best_epoch, stopped_early=stopped_early)
