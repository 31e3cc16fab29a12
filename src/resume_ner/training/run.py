"""Train a model on documents and evaluate it: the one entry point for the CLI, HPO folds, the
refit and final training.

:func:`train_and_evaluate` resolves the settings (:func:`resolve_settings`), builds the backbone,
encodes the training windows, runs the loop (:func:`resume_ner.training.loop.fit`) with
validation after every epoch, scores the best epoch's model on the test documents, saves a
checkpoint and ``metrics.json`` when given an output folder, and logs into an MLflow training run
when given a tracker and a run id. The caller owns the run (starts and ends it).

Metric names logged to the run: per epoch (step = epoch) the loop's metrics (``train_loss``,
``lr_at_epoch_end``, ``epoch_seconds``, ``val_macro_f1``, ...); once at the end ``best_epoch``,
``train_seconds``, the best epoch's validation averages as ``best_val_*``, the test averages
as ``test_*``, and per-entity scores as ``<ENTITY>_test_f1`` (or ``<ENTITY>_val_f1`` without a
test split). No value is logged twice.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from resume_ner.config.data import DataConfig
from resume_ner.config.model import ModelConfig
from resume_ner.config.train import TrainConfig
from resume_ner.data.alignment import encode_documents
from resume_ner.data.documents import Document
from resume_ner.data.labels import LabelSchema
from resume_ner.tracking.errors import store_errors
from resume_ner.training.backbones import Backbone, load_backbone
from resume_ner.training.checkpoint import save_checkpoint
from resume_ner.training.errors import SplitOverlapError
from resume_ner.training.evaluation import Evaluator
from resume_ner.training.features import training_loader
from resume_ner.training.loop import EpochCallback, EpochRecord, fit
from resume_ner.training.metrics import EntityMetrics

if TYPE_CHECKING:
    from resume_ner.tracking.trackers.training import MLflowTrainingTracker

logger = logging.getLogger(__name__)

CHECKPOINT_DIR_NAME = "checkpoint"
METRICS_FILE_NAME = "metrics.json"
#: Tokens of each window taken by [CLS] and [SEP] plus at least one new token.
_WINDOW_OVERHEAD = 3


@dataclass(frozen=True)
class TrainingSettings:
    """The values training really uses, after presets and ``data.yaml`` filled the gaps.

    ``max_length`` is the smaller of ``data.yaml``'s and the preset's; ``stride`` is
    ``data.yaml``'s, lowered when the shorter window leaves no room for it.
    """

    backbone: str
    preset: str | None
    learning_rate: float
    dropout: float
    max_length: int
    stride: int
    label_all_subwords: bool

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON-ready mapping."""
        return {
            "backbone": self.backbone,
            "preset": self.preset,
            "learning_rate": self.learning_rate,
            "dropout": self.dropout,
            "max_length": self.max_length,
            "stride": self.stride,
            "label_all_subwords": self.label_all_subwords,
        }


def resolve_settings(
    backbone: str | None,
    data_config: DataConfig,
    model_config: ModelConfig,
    train_config: TrainConfig,
) -> TrainingSettings:
    """The effective backbone, learning rate, dropout and windows (see :class:`TrainingSettings`).

    ``backbone`` ``None`` means the configured default. The training config's
    ``learning_rate``/``dropout`` win over the preset's, its ``label_all_subwords`` over
    ``data.yaml``'s.
    """
    preset_name, preset = model_config.resolve(backbone)
    max_length = min(data_config.max_length, preset.max_length)
    stride = min(data_config.stride, max_length - _WINDOW_OVERHEAD)
    if stride != data_config.stride:
        logger.warning(
            "stride %d does not fit windows of %d tokens; using %d",
            data_config.stride,
            max_length,
            stride,
        )
    return TrainingSettings(
        backbone=preset_name or (backbone or model_config.default_backbone).strip(),
        preset=preset_name,
        learning_rate=train_config.learning_rate or preset.learning_rate,
        dropout=preset.dropout if train_config.dropout is None else train_config.dropout,
        max_length=max_length,
        stride=stride,
        label_all_subwords=(
            data_config.label_all_subwords
            if train_config.label_all_subwords is None
            else train_config.label_all_subwords
        ),
    )


@dataclass
class TrainingResult:
    """What :func:`train_and_evaluate` produced.

    ``backbone`` holds the trained model (best epoch's weights when there was a validation
    split); ``validation_metrics`` are the best epoch's, ``test_metrics`` those of that model on
    the test documents. ``tracking_errors`` lists tracking calls that failed (training went on;
    values a store that was down did not take wait in the run's spool file for the run's next
    call or ``resume-ner runs sync``). ``not_logged`` describes what was still not logged when
    training ended (the store stayed unreachable); each line is in ``tracking_errors`` too.
    """

    backbone: Backbone
    settings: TrainingSettings
    best_epoch: int
    stopped_early: bool
    history: list[EpochRecord]
    validation_metrics: EntityMetrics | None
    test_metrics: EntityMetrics | None
    checkpoint_dir: Path | None
    metrics_path: Path | None
    seconds: float
    tracking_errors: list[str] = field(default_factory=list)
    not_logged: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (the content of ``metrics.json``)."""
        return {
            "settings": self.settings.to_dict(),
            "best_epoch": self.best_epoch,
            "epochs_run": len(self.history),
            "stopped_early": self.stopped_early,
            "seconds": self.seconds,
            "history": [{"epoch": r.epoch, **r.metrics()} for r in self.history],
            "validation": None
            if self.validation_metrics is None
            else self.validation_metrics.to_dict(),
            "test": None if self.test_metrics is None else self.test_metrics.to_dict(),
        }


def _check_disjoint(train: Sequence[Document], other: Sequence[Document], name: str) -> None:
    seen = {document.text for document in train}
    shared = sum(1 for document in other if document.text in seen)
    if shared:
        raise SplitOverlapError(
            f"{shared} of the {len(other)} {name} documents are also training documents; "
            "split by document (resume_ner.data.splits) so that they are disjoint"
        )


class _TrackerCallback:
    """Logs each epoch's metrics in one batch; a tracking failure is recorded, not fatal."""

    def __init__(self, tracker: MLflowTrainingTracker, run_id: str, errors: list[str]) -> None:
        self.tracker = tracker
        self.run_id = run_id
        self.errors = errors

    def __call__(self, epoch: int, metrics: Mapping[str, float]) -> None:
        try:
            sent = self.tracker.log_epoch_metrics(self.run_id, metrics, epoch)
        except store_errors() as exc:
            self.errors.append(f"epoch {epoch}: {type(exc).__name__}: {exc}")
            logger.warning(
                "could not log epoch %d to run %s (kept for the next batch): %s",
                epoch,
                self.run_id,
                exc,
            )
            return
        if not sent:
            self.errors.append(
                f"epoch {epoch}: tracking store unreachable; metrics held for the next call"
            )


def _final_metrics(result: TrainingResult) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    metrics: dict[str, float] = {
        "best_epoch": float(result.best_epoch),
        "train_seconds": result.seconds,
    }
    if result.validation_metrics is not None:
        metrics.update(result.validation_metrics.summary("best_val_"))
    if result.test_metrics is not None:
        metrics.update(result.test_metrics.summary("test_"))
    scored, split = (
        (result.test_metrics, "test")
        if result.test_metrics is not None
        else (result.validation_metrics, "val")
    )
    per_entity: dict[str, dict[str, float]] = {}
    if scored is not None:
        for entity, values in scored.per_entity_dict().items():
            per_entity[entity] = {f"{split}_{name}": value for name, value in values.items()}
    return metrics, per_entity


def _log_final(tracker: MLflowTrainingTracker, run_id: str, result: TrainingResult) -> None:
    metrics, per_entity = _final_metrics(result)
    try:
        tracker.log_evaluation(run_id, metrics, per_entity=per_entity)
    except store_errors() as exc:
        result.tracking_errors.append(f"final metrics: {type(exc).__name__}: {exc}")
        logger.warning(
            "could not log the final metrics to run %s (kept for later): %s", run_id, exc
        )
    if result.checkpoint_dir is not None:
        try:
            tracker.log_training_artifacts(run_id, result.checkpoint_dir, result.metrics_path)
        except store_errors() as exc:
            result.tracking_errors.append(f"artifacts: {type(exc).__name__}: {exc}")
            logger.warning("could not upload the checkpoint to run %s: %s", run_id, exc)
    _report_unlogged(tracker, run_id, result)


def _report_unlogged(tracker: MLflowTrainingTracker, run_id: str, result: TrainingResult) -> None:
    """Send what the tracker still holds for the run; report whatever the store did not take."""
    try:
        tracker.flush(run_id)
    except store_errors() as exc:
        result.tracking_errors.append(f"held values: {type(exc).__name__}: {exc}")
        logger.warning("could not send the values held for run %s: %s", run_id, exc)
    result.not_logged = tracker.unlogged(run_id)
    if result.not_logged:
        result.tracking_errors.extend(f"not logged: {line}" for line in result.not_logged)
        logger.warning(
            "training finished, but the tracking store did not take everything for run %s:\n  %s",
            run_id,
            "\n  ".join(result.not_logged),
        )


def train_and_evaluate(
    train_documents: Sequence[Document],
    *,
    data_config: DataConfig,
    model_config: ModelConfig,
    train_config: TrainConfig,
    validation_documents: Sequence[Document] | None = None,
    test_documents: Sequence[Document] | None = None,
    backbone: str | None = None,
    output_dir: Path | str | None = None,
    callbacks: Sequence[EpochCallback] = (),
    tracker: MLflowTrainingTracker | None = None,
    run_id: str | None = None,
) -> TrainingResult:
    """Train ``backbone`` on ``train_documents`` and evaluate it; return a :class:`TrainingResult`.

    Labels are the BIO tags of ``data_config.labels``; settings come from
    :func:`resolve_settings`. torch runs on ``train_config.num_threads`` threads (restored
    afterwards) and everything random is seeded from ``train_config.seed``, so the same inputs
    give the same metrics. With ``validation_documents`` the model is scored after every
    epoch, early stopping applies and the best epoch's weights are kept; without them every
    epoch runs and the last weights are kept (as for a refit on all training data). The kept
    model is scored on ``test_documents`` when given. With ``output_dir``, the checkpoint goes
    to ``<output_dir>/checkpoint`` and the summary to ``<output_dir>/metrics.json``.
    ``callbacks`` get ``(epoch, metrics)`` after every epoch (after the tracker has logged
    them); what they raise (``optuna.TrialPruned``) propagates. With ``tracker`` and
    ``run_id`` each epoch, the final scores and the checkpoint are logged into that run; a
    tracking failure never stops training: values a store that is down did not take are held
    in the run's spool and sent with the run's next call the store answers, and what was still
    not logged at the end is reported (logged as a warning and in
    :attr:`TrainingResult.not_logged`).

    Raises :class:`SplitOverlapError` when a validation or test document is also a training
    document, :class:`~resume_ner.training.errors.BackboneError` when the backbone cannot be
    built, :class:`~resume_ner.training.errors.TrainingDivergedError` on a non-finite loss.
    """
    import torch

    started = time.perf_counter()
    _check_disjoint(train_documents, validation_documents or (), "validation")
    _check_disjoint(train_documents, test_documents or (), "test")
    settings = resolve_settings(backbone, data_config, model_config, train_config)
    schema = LabelSchema.from_entities(data_config.labels)
    previous_threads = torch.get_num_threads()
    if train_config.num_threads is not None:
        torch.set_num_threads(train_config.num_threads)
    tracking_errors: list[str] = []
    try:
        built = load_backbone(
            settings.backbone,
            model_config,
            schema,
            train_texts=[document.text for document in train_documents],
            dropout=settings.dropout,
            seed=train_config.seed,
        )
        windows = encode_documents(
            train_documents,
            built.tokenizer,
            schema.label2id,
            settings.max_length,
            settings.stride,
            label_all_subwords=settings.label_all_subwords,
            pad_to_max_length=False,
        )
        loader = training_loader(
            windows, built.tokenizer, train_config.batch_size, train_config.seed
        )
        evaluator = None
        if validation_documents:
            evaluator = Evaluator.for_documents(
                validation_documents,
                built.tokenizer,
                schema,
                settings.max_length,
                settings.stride,
                train_config.eval_batch_size,
            )
        all_callbacks: list[EpochCallback] = []
        if tracker is not None and run_id is not None:
            all_callbacks.append(_TrackerCallback(tracker, run_id, tracking_errors))
        all_callbacks.extend(callbacks)
        torch.manual_seed(train_config.seed)
        fitted = fit(
            built.model,
            loader,
            train_config,
            learning_rate=settings.learning_rate,
            evaluate=evaluator.evaluate if evaluator is not None else None,
            callbacks=all_callbacks,
        )
        test_metrics = None
        if test_documents:
            test_metrics = Evaluator.for_documents(
                test_documents,
                built.tokenizer,
                schema,
                settings.max_length,
                settings.stride,
                train_config.eval_batch_size,
            ).evaluate(built.model)
    finally:
        torch.set_num_threads(previous_threads)

    result = TrainingResult(
        backbone=built,
        settings=settings,
        best_epoch=fitted.best_epoch,
        stopped_early=fitted.stopped_early,
        history=fitted.history,
        validation_metrics=fitted.best.validation,
        test_metrics=test_metrics,
        checkpoint_dir=None,
        metrics_path=None,
        seconds=time.perf_counter() - started,
        tracking_errors=tracking_errors,
    )
    if output_dir is not None:
        folder = Path(output_dir)
        result.checkpoint_dir = save_checkpoint(
            built,
            folder / CHECKPOINT_DIR_NAME,
            stride=settings.stride,
            configs={
                "data": data_config.model_dump(mode="json"),
                "model": model_config.resolve(settings.backbone)[1].model_dump(mode="json"),
                "train": train_config.model_dump(mode="json"),
                "settings": settings.to_dict(),
            },
            overwrite=True,
        )
        result.metrics_path = folder / METRICS_FILE_NAME
        result.metrics_path.write_text(
            json.dumps(result.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
    if tracker is not None and run_id is not None:
        _log_final(tracker, run_id, result)
    return result
