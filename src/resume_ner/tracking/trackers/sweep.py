"""Tracking a hyperparameter sweep: the sweep run, its trials and folds, and the refit.

The run tree::

    hpo_sweep                 study identity, sampler/pruner, objective, search space, target
     ├─ hpo_trial             hyperparameters (params), objective and fold mean/std (metrics)
     │   └─ hpo_trial_fold    one per CV fold: the fold's metrics
     └─ hpo_refit             the best trial's hyperparameters retrained on all training data

A trial costs three MLflow calls: ``create_run`` with all its tags, one ``log_batch`` holding
its hyperparameters and results, one ``set_terminated``. With cross-validation the trial logs,
for every fold metric, the mean over folds under the metric's own name (so trials with and
without CV are compared by the same metric) and the population standard deviation as
``<name>_std``.

In background mode (``MLflowSweepTracker(tracking, synchronous=False)``),
:meth:`MLflowSweepTracker.submit_trial_run` and :meth:`MLflowSweepTracker.submit_fold_run` queue
those calls on the session's run writer, so that a trial is not held up by the tracking store
at all; ending the sweep run waits for them.

Sweep summaries are tags and metrics, never params: a resumed sweep logs a new summary, and
MLflow params cannot change once written.
"""

from __future__ import annotations

import json
import logging
import math
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from resume_ner.naming.context import NamingContext
from resume_ner.naming.keys import build_hpo_trial_key, build_hpo_trial_key_hash
from resume_ner.tracking.trackers.base import BaseTracker, RunRef
from resume_ner.tracking.trackers.run_writer import QueuedRun

logger = logging.getLogger(__name__)

SEARCH_SPACE_ARTIFACT_DIR = "search_space"
#: The search space also goes in as flat params when it has at most this many entries...
FLAT_SEARCH_SPACE_MAX_ENTRIES = 30
#: ... and each entry's JSON is at most this long (the oldest MLflow param limit).
FLAT_SEARCH_SPACE_MAX_CHARS = 250
STD_SUFFIX = "_std"


def _describe(value: str | Mapping[str, Any] | None) -> str | None:
    """A short text for a sampler or pruner given by name or as a config mapping."""
    if value is None or isinstance(value, str):
        return value
    name = value.get("name") or value.get("type")
    return str(name) if name else json.dumps(value, sort_keys=True, default=str)


def build_trial_context(
    sweep_context: NamingContext, trial_number: int, hyperparameters: Mapping[str, Any]
) -> NamingContext:
    """The naming context of trial ``trial_number`` of the sweep described by ``sweep_context``.

    The trial key hash is computed from the sweep's study key hash and ``hyperparameters``
    (:func:`build_hpo_trial_key`). Raises :class:`~resume_ner.naming.errors.NamingError` when
    the sweep context has no study key hash.
    """
    trial_key_hash = build_hpo_trial_key_hash(
        build_hpo_trial_key(sweep_context.study_key_hash or "", hyperparameters)
    )
    return sweep_context.with_changes(
        process_type="hpo_trial", trial_number=trial_number, trial_key_hash=trial_key_hash
    )


def build_fold_context(trial_context: NamingContext, fold_idx: int) -> NamingContext:
    """The naming context of CV fold ``fold_idx`` of a trial."""
    return trial_context.with_changes(process_type="hpo_trial_fold", fold_idx=fold_idx)


def build_refit_context(trial_context: NamingContext, refit_protocol_fp: str) -> NamingContext:
    """The naming context of the refit of a (best) trial under refit protocol ``refit_protocol_fp``."""
    return trial_context.with_changes(
        process_type="hpo_refit", fold_idx=None, refit_protocol_fp=refit_protocol_fp
    )


def aggregate_fold_metrics(fold_metrics: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Mean (under the metric's name) and population std (``<name>_std``) of each fold metric.

    A metric missing from some folds, or not finite in some, is aggregated over the folds that
    have a finite value. Raises :class:`ValueError` when ``fold_metrics`` is empty.
    """
    if not fold_metrics:
        raise ValueError("fold_metrics must hold at least one fold")
    values: dict[str, list[float]] = {}
    for fold in fold_metrics:
        for name, value in fold.items():
            number = float(value)
            if math.isfinite(number):
                values.setdefault(name, []).append(number)
    aggregated: dict[str, float] = {}
    for name, numbers in values.items():
        aggregated[name] = statistics.fmean(numbers)
        aggregated[f"{name}{STD_SUFFIX}"] = statistics.pstdev(numbers)
    return aggregated


def aggregate_epoch_metrics(
    fold_epochs: Sequence[Mapping[int, Mapping[str, float]]],
) -> list[tuple[str, float, int]]:
    """Each epoch's metrics averaged over the folds that reached it, as ``(name, mean, epoch)``.

    ``fold_epochs`` holds, per fold, epoch -> that epoch's metrics. Logged on a trial run they
    draw its per-epoch curves (MLflow charts a metric over its steps). Values that are not
    finite are left out of a mean; a metric no fold has a finite value for is left out.
    """
    values: dict[tuple[int, str], list[float]] = {}
    for epochs in fold_epochs:
        for epoch, metrics in epochs.items():
            for name, value in metrics.items():
                number = float(value)
                if math.isfinite(number):
                    values.setdefault((int(epoch), name), []).append(number)
    return [
        (name, statistics.fmean(numbers), epoch)
        for (epoch, name), numbers in sorted(values.items())
    ]


class MLflowSweepTracker(BaseTracker):
    """Runs of a hyperparameter sweep (``tracking.hpo`` in ``mlflow.yaml``)."""

    stage = "hpo"

    def start_sweep_run(
        self,
        context: NamingContext,
        *,
        study_name: str,
        sampler: str | Mapping[str, Any],
        pruner: str | Mapping[str, Any] | None,
        objective_metric: str,
        objective_direction: str,
        search_space: Mapping[str, Any],
        n_trials: int,
        n_folds: int | None = None,
        output_dir: Path | str | None = None,
    ) -> str | None:
        """Create the sweep's parent run; return its id (``None`` when HPO tracking is off).

        Tags: study key and family hashes and study name (from ``context``, which gets
        ``study_name`` unless it has one), sampler, pruner,
        objective metric and direction, number of folds. The search space goes in as a hashed
        JSON artifact (``search_space/<hash>.json``, its hash as param ``search_space_hash``)
        and, when short, also as flat ``search_space.<name>`` params; ``n_trials_target`` and
        the sampler/pruner configurations are params. Raises what
        :meth:`BaseTracker.start_run` raises, and
        :class:`~resume_ner.tracking.errors.ArtifactUploadError` (after ending the run
        FAILED) when the search space cannot be stored.
        """
        tags = {
            "study.sampler": _describe(sampler),
            "study.pruner": _describe(pruner) or "none",
            "objective.metric": objective_metric,
            "objective.direction": objective_direction,
            "hpo.n_folds": n_folds,
        }
        stage_run = self.start_run(
            context.with_changes(study_name=context.study_name or study_name),
            tags=tags,
            output_dir=output_dir,
        )
        if stage_run is None:
            return None
        run_id = stage_run.run_id
        try:
            search_space_hash = self.uploader(run_id).upload_hashed_json(
                dict(search_space), SEARCH_SPACE_ARTIFACT_DIR
            )
            params: dict[str, Any] = {
                "backbone": context.model,
                "study_name": study_name,
                "n_trials_target": n_trials,
                "n_folds": n_folds,
                "objective_metric": objective_metric,
                "objective_direction": objective_direction,
                "sampler": sampler,
                "pruner": pruner,
                "search_space_hash": search_space_hash,
            }
            params.update(self._flat_search_space(search_space))
            self.log(run_id, params=params)
        except BaseException as exc:
            self._end_after_error(run_id, exc)
            raise
        return run_id

    @staticmethod
    def _flat_search_space(search_space: Mapping[str, Any]) -> dict[str, str]:
        if len(search_space) > FLAT_SEARCH_SPACE_MAX_ENTRIES:
            return {}
        flat = {
            f"search_space.{name}": json.dumps(spec, sort_keys=True, default=str)
            for name, spec in search_space.items()
        }
        if any(len(text) > FLAT_SEARCH_SPACE_MAX_CHARS for text in flat.values()):
            return {}
        return flat

    def start_trial_run(
        self,
        sweep_run_id: str | None,
        context: NamingContext,
        *,
        hyperparameters: Mapping[str, Any],
        n_folds: int | None = None,
    ) -> str | None:
        """Create a trial run under the sweep; return its id (``None`` when not tracked).

        ``context`` is the trial's (see :func:`build_trial_context`): its trial number and
        trial key hash become tags in the creating call. The hyperparameters are deferred to
        the trial's result batch (:meth:`log_trial_result`), or to its end. Returns ``None``
        when ``sweep_run_id`` is ``None`` (the sweep is not tracked).
        """
        if sweep_run_id is None:
            return None
        stage_run = self.start_run(
            context,
            parent_run_id=sweep_run_id,
            tags={"hpo.n_folds": n_folds},
            params=hyperparameters,
            defer_params=True,
        )
        return stage_run.run_id if stage_run else None

    def submit_trial_run(
        self,
        sweep_run_id: str | None,
        context: NamingContext,
        *,
        hyperparameters: Mapping[str, Any],
        n_folds: int | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> QueuedRun | None:
        """Have a trial run created under the sweep; return its handle at once in background
        mode (see :meth:`BaseTracker.submit_run`), else once it exists.

        As :meth:`start_trial_run`, with ``tags`` (registry names) joining the creating call.
        Returns ``None`` when ``sweep_run_id`` is ``None`` (the sweep is not tracked).
        """
        if sweep_run_id is None:
            return None
        return self.submit_run(
            context,
            parent=sweep_run_id,
            tags={"hpo.n_folds": n_folds, **(tags or {})},
            params=hyperparameters,
            defer_params=True,
        )

    def log_trial_result(
        self,
        trial_run_id: RunRef | None,
        *,
        metrics: Mapping[str, float] | None = None,
        fold_metrics: Sequence[Mapping[str, float]] | None = None,
        fold_epochs: Sequence[Mapping[int, Mapping[str, float]]] | None = None,
        step: int | None = None,
    ) -> dict[str, float]:
        """Log a trial's results, with its deferred hyperparameters, in one batch.

        ``fold_metrics`` (one mapping per fold) become each metric's mean and ``<name>_std``
        (:func:`aggregate_fold_metrics`); ``metrics`` are logged as given and win over an
        aggregate of the same name. ``fold_epochs`` (per fold, epoch -> metrics) become the
        trial's per-epoch curves, each epoch's mean over folds at step ``epoch``
        (:func:`aggregate_epoch_metrics`). Returns the metrics logged at ``step`` (also when
        not tracked).
        """
        logged = aggregate_fold_metrics(fold_metrics) if fold_metrics else {}
        logged.update(metrics or {})
        curves = aggregate_epoch_metrics(fold_epochs) if fold_epochs else []
        at_step = [(name, value, step or 0) for name, value in logged.items()]
        self.log(trial_run_id, metrics=[*curves, *at_step])
        return logged

    def start_fold_run(self, trial_run_id: str | None, context: NamingContext) -> str | None:
        """Create a CV fold run under its trial; return its id (``None`` when not tracked).

        ``context`` is the fold's (see :func:`build_fold_context`).
        """
        if trial_run_id is None:
            return None
        stage_run = self.start_run(context, parent_run_id=trial_run_id)
        return stage_run.run_id if stage_run else None

    def submit_fold_run(self, trial_run: RunRef | None, context: NamingContext) -> QueuedRun | None:
        """Have a CV fold run created under its trial (given by id or handle); return its
        handle at once in background mode, else once it exists (``None`` when not tracked)."""
        if trial_run is None:
            return None
        return self.submit_run(context, parent=trial_run)

    def log_fold_result(
        self, fold_run_id: RunRef | None, metrics: Mapping[str, float], step: int | None = None
    ) -> None:
        """Log a fold's metrics in one batch."""
        self.log(fold_run_id, metrics=metrics, step=step)

    def start_refit_run(
        self,
        sweep_run_id: str | None,
        context: NamingContext,
        *,
        of_trial_run_id: str,
        hyperparameters: Mapping[str, Any],
        has_validation: bool = False,
    ) -> str | None:
        """Create the refit run under the sweep; return its id (``None`` when not tracked).

        ``context`` is the refit's (see :func:`build_refit_context`). Tags
        ``refit.of_trial_run_id`` (the trial it retrains), ``refit.has_validation`` and
        ``training.trained_on_full_data``; the hyperparameters are logged at once, since a
        refit trains for long.
        """
        if sweep_run_id is None:
            return None
        stage_run = self.start_run(
            context,
            parent_run_id=sweep_run_id,
            tags={
                "refit.of_trial_run_id": of_trial_run_id,
                "refit.has_validation": str(has_validation).lower(),
                "training.trained_on_full_data": "true",
            },
            params=hyperparameters,
        )
        return stage_run.run_id if stage_run else None

    def log_sweep_summary(
        self,
        sweep_run_id: str | None,
        *,
        best_trial_number: int | None,
        best_value: float | None,
        best_trial_run_id: str | None,
        n_trials: int,
        n_completed_trials: int,
        refit_completed: bool | None = None,
    ) -> None:
        """Log the sweep's outcome in one batch.

        Tags ``hpo.best_trial_number``, ``hpo.best_trial_run_id`` (and ``hpo.refit_completed``
        when given); metrics ``n_trials``, ``n_completed_trials`` and ``best_value`` (a
        missing or non-finite best value is left out). Safe to call again when a resumed sweep
        improves: tags are replaced and metrics get a new value.
        """
        metrics: dict[str, float] = {
            "n_trials": float(n_trials),
            "n_completed_trials": float(n_completed_trials),
        }
        if best_value is not None:
            metrics["best_value"] = float(best_value)
        tags: dict[str, Any] = {
            "hpo.best_trial_number": best_trial_number,
            "hpo.best_trial_run_id": best_trial_run_id,
        }
        if refit_completed is not None:
            tags["hpo.refit_completed"] = str(refit_completed).lower()
        self.log(sweep_run_id, metrics=metrics, tags=tags)
