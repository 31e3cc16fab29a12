"""What the sweep trains with: a fold trainer, and the default one built on training.run.

The sweep only needs to train a model with some hyperparameters on some documents, hear about
each epoch (to report and prune), and get the final validation metrics back; a
:class:`FoldTrainer` is exactly that. :class:`TrainAndEvaluateTrainer` is the product's, built
on :func:`resume_ner.training.run.train_and_evaluate`; tests give the sweep a stand-in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from resume_ner.hpo.configs import SweepConfigs, trial_epochs
from resume_ner.hpo.errors import HpoInputError
from resume_ner.hpo.folds import FoldSplit

if TYPE_CHECKING:
    from resume_ner.config.train import TrainConfig

#: Called after each epoch with the epoch number (from 1) and its metrics, validation scores
#: prefixed ``val_`` (``val_macro_f1``); raising ``optuna.TrialPruned`` stops training.
EpochCallback = Callable[[int, Mapping[str, float]], None]


@dataclass(frozen=True)
class FoldOutcome:
    """What training one fold produced: its final metrics, and where the model was saved."""

    metrics: Mapping[str, float]
    checkpoint_dir: Path | None = None


class FoldTrainer(Protocol):
    """Trains one model with ``params`` on ``split.train``, scoring it on ``split.validation``.

    ``on_epoch`` is called after every epoch with that epoch's validation metrics; it raises
    :class:`optuna.TrialPruned` to stop training, which the trainer lets through. ``epochs``
    returns how many epochs a model with ``params`` trains for. An empty ``split.validation``
    (the refit) means no scoring. With ``output_dir`` the trained model is saved there.
    """

    def epochs(self, params: Mapping[str, Any]) -> int: ...

    def __call__(
        self,
        params: Mapping[str, Any],
        split: FoldSplit,
        *,
        on_epoch: EpochCallback | None = None,
        output_dir: Path | None = None,
    ) -> FoldOutcome: ...


#: Builds the trainer of one backbone; must be picklable (a module-level function) so that
#: worker processes can build their own.
TrainerFactory = Callable[[str, SweepConfigs], FoldTrainer]


@dataclass(frozen=True)
class TrainAndEvaluateTrainer:
    """The product's fold trainer: :func:`resume_ner.training.run.train_and_evaluate`.

    Sampled hyperparameters override ``train.yaml`` settings of the same name (validated like
    the file); a trial trains for :func:`~resume_ner.hpo.configs.trial_epochs`. Epoch
    callbacks get the loop's metrics (epochs from 1, validation scores prefixed ``val_``); the
    outcome holds the best epoch's validation averages under their plain names (``macro_f1``,
    ``micro_f1``, ...), per-entity F1 as ``<ENTITY>_f1``, ``best_epoch`` and ``train_seconds``
    (``train_loss`` of the last epoch when there is no validation split).
    """

    backbone: str
    configs: SweepConfigs

    def epochs(self, params: Mapping[str, Any]) -> int:
        return trial_epochs(self.configs, params)

    def train_config(self, params: Mapping[str, Any]) -> TrainConfig:
        """``train.yaml`` with ``params`` and the trial's epochs applied.

        Raises :class:`~resume_ner.hpo.errors.HpoInputError` when a value is out of range.
        """
        from pydantic import ValidationError

        from resume_ner.config.train import TrainConfig

        values = self.configs.train.model_dump()
        values.update(params)
        values["epochs"] = self.epochs(params)
        try:
            return TrainConfig.model_validate(values)
        except ValidationError as exc:
            raise HpoInputError(
                f"sampled hyperparameters {dict(params)} are invalid: {exc}"
            ) from exc

    def __call__(
        self,
        params: Mapping[str, Any],
        split: FoldSplit,
        *,
        on_epoch: EpochCallback | None = None,
        output_dir: Path | None = None,
    ) -> FoldOutcome:
        from resume_ner.tracking.trackers.training import entity_metric_name
        from resume_ner.training.run import train_and_evaluate

        result = train_and_evaluate(
            list(split.train),
            data_config=self.configs.data,
            model_config=self.configs.model,
            train_config=self.train_config(params),
            validation_documents=list(split.validation) or None,
            backbone=self.backbone,
            output_dir=output_dir,
            callbacks=[on_epoch] if on_epoch is not None else (),
        )
        metrics: dict[str, float] = {
            "best_epoch": float(result.best_epoch),
            "train_seconds": result.seconds,
        }
        if result.validation_metrics is not None:
            metrics.update(result.validation_metrics.summary())
            for entity, scores in result.validation_metrics.per_entity_dict().items():
                metrics[entity_metric_name(entity, "f1")] = scores["f1"]
        elif result.history:
            metrics["train_loss"] = result.history[-1].train_loss
        return FoldOutcome(metrics, result.checkpoint_dir)


def default_trainer_factory(backbone: str, configs: SweepConfigs) -> FoldTrainer:
    """The product's trainer for ``backbone`` (see :class:`TrainAndEvaluateTrainer`)."""
    return TrainAndEvaluateTrainer(backbone, configs)
