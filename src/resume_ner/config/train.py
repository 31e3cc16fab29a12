"""The model of ``train.yaml``: optimisation, regularisation, early stopping and threads.

``learning_rate``, ``dropout`` and ``label_all_subwords`` may be left unset (``null``): the
backbone preset then gives the learning rate and dropout, and ``data.yaml`` gives the subword
labelling. Whatever value results is the one the model and the loop use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from resume_ner.config.base import StrictModel
from resume_ner.config.loader import load_config_file

#: Validation metrics early stopping (and model selection by epoch) can follow.
EarlyStoppingMetric = Literal["macro_f1", "micro_f1"]


class EarlyStoppingConfig(StrictModel):
    """Stop when the validation metric has not improved by ``min_delta`` for ``patience`` epochs.

    Whether or not it is enabled, training with a validation split keeps the weights of the
    epoch with the best value of ``metric``.
    """

    enabled: bool = True
    patience: int = Field(3, ge=1)
    min_delta: float = Field(0.001, ge=0.0)
    metric: EarlyStoppingMetric = "macro_f1"


class TrainConfig(StrictModel):
    """Everything ``train.yaml`` holds."""

    epochs: int = Field(5, ge=1, le=10_000)
    batch_size: int = Field(16, ge=1)
    eval_batch_size: int = Field(64, ge=1)
    learning_rate: float | None = Field(None, gt=0.0, lt=1.0)
    weight_decay: float = Field(0.01, ge=0.0)
    warmup_ratio: float = Field(0.1, ge=0.0, lt=1.0)
    max_grad_norm: float | None = Field(1.0, gt=0.0)
    dropout: float | None = Field(None, ge=0.0, lt=1.0)
    seed: int = 42
    num_threads: int | None = Field(2, ge=1)
    label_all_subwords: bool | None = None
    early_stopping: EarlyStoppingConfig = Field(default_factory=EarlyStoppingConfig)


def load_train_config(config_dir: Path | None = None) -> TrainConfig:
    """Load ``train.yaml`` from ``config_dir`` (or the shipped default).

    Raises :class:`resume_ner.config.errors.ConfigError` naming the file and key of any problem.
    """
    return load_config_file("train.yaml", TrainConfig, config_dir)
