"""One trial: sample hyperparameters, train every fold in its own run, score, report, prune.

The runs of a trial (see :mod:`resume_ner.tracking.trackers.sweep`)::

    hpo_trial         under the sweep run: hyperparameters, mean and std of the fold metrics
     └─ hpo_trial_fold   one per fold: the fold's per-epoch and final metrics

A trial run ends FINISHED; KILLED when the pruner stops it (its fold run likewise), with why in
``process.status_note`` and in MLflow's own note (``mlflow.note.content``, the run's description
in the MLflow UI: the fold, epoch and step, the value and the median it lost to) and the last
value it reported as the metric ``last_reported_<metric>`` (at that step); KILLED and tagged
``process.interrupted`` when the process is interrupted; FAILED with the error in
``process.status_note`` and the note otherwise. The Optuna trial records its run id
(user attribute ``mlflow_run_id``), its trial key hash, and the host and pid of its process.
Without CV (``k_folds: 1``) the trial run itself holds the metrics and has no fold runs.
Every epoch's metrics are logged at step ``epoch`` on the run that trained it (the fold run, or
the trial run without CV), so that MLflow draws them as curves; under CV the trial run gets each
epoch's mean over its folds at that step as well.

Pruning: after every epoch of every fold the fold's validation objective (``val_<metric>``
among the epoch's metrics) is reported to Optuna at step ``fold_idx * epochs + epoch - 1``
(epochs count from 1). Every trial runs the same folds in the same order, so a
step means the same (fold, epoch) in every trial and the median pruner compares like with like;
a trial can be stopped at any epoch of any fold, not only during the first fold. (Folds train
one after the other, so a mean over folds at an epoch exists only once the last fold reaches
it: reporting that mean would leave the pruner idle until the last fold. A running mean would
mix folds of different difficulty at one step.) An intermediate-value curve therefore restarts
at every fold; the study says so in its ``intermediate_step`` user attribute (see
:func:`~resume_ner.hpo.study.describe_study`) and each trial records, per fold, the steps it
covers and its final value (user attributes ``fold<i>_steps`` and ``fold<i>_<metric>``).

Each run costs the three-call minimum in MLflow: created with all its tags, one batch (the
hyperparameters, the per-epoch metrics and the result travel together at the end), ended. With
``tracking.hpo.background`` (the default) the tracker works in background mode: the session's
run writer creates, logs into and ends the runs in order while the trial trains, and a trial
waits only for what is still queued when it has its result (its own result batch and end, and
its last fold's), so that Optuna never records a trial whose runs are not written yet. The
trial run's id reaches the Optuna trial as soon as the writer has created the run.
"""

from __future__ import annotations

import logging
import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from resume_ner.config.hpo import HpoConfig, SearchParameter
from resume_ner.hpo.errors import (
    ObjectiveMetricMissingError,
    TrialTakenOverError,
    study_storage_errors,
)
from resume_ner.hpo.folds import FoldSplit, HpoData
from resume_ner.hpo.progress import SweepProgress
from resume_ner.hpo.search_space import suggest_params
from resume_ner.hpo.storage import RUN_ID_ATTR, record_trial_process
from resume_ner.hpo.trainer import EpochCallback, FoldTrainer
from resume_ner.naming.context import NamingContext
from resume_ner.tracking.context import TrackingContext
from resume_ner.tracking.errors import store_errors
from resume_ner.tracking.trackers.sweep import (
    MLflowSweepTracker,
    aggregate_epoch_metrics,
    build_fold_context,
    build_trial_context,
)

if TYPE_CHECKING:
    from concurrent.futures import Future

    import optuna

    from resume_ner.hpo.budget import TrialBudget
    from resume_ner.tracking.stage_runs import StageRun
    from resume_ner.tracking.trackers.run_writer import QueuedRun

logger = logging.getLogger(__name__)

TRIAL_KEY_ATTR = "trial_key_hash"
#: Prefix of the validation scores among an epoch's metrics.
EPOCH_METRIC_PREFIX = "val_"
STATUS_NOTE_MAX_LENGTH = 200
#: Prefix of the metric that holds a pruned trial's last reported value.
LAST_REPORTED_PREFIX = "last_reported_"


@dataclass
class LastReport:
    """The last value a trial reported to Optuna, and its step (``None`` before any); and,
    per fold position, each epoch's metrics (the trial run's per-epoch curves under CV)."""

    value: float | None = None
    step: int | None = None
    fold_epochs: dict[int, dict[int, dict[str, float]]] = field(default_factory=dict)


def prune_reason(trial: optuna.Trial, step: int, value: float, where: str, metric: str) -> str:
    """Why the pruner stops ``trial`` at ``step`` (``where``: its fold and epoch), with the
    median it lost to when the pruner is Optuna's ``MedianPruner``."""
    import optuna
    from optuna.trial import TrialState

    reason = f"trial {trial.number} at step {step} ({where}): {metric} {value:.4f}"
    pruner = trial.study.pruner
    if not isinstance(pruner, optuna.pruners.MedianPruner):
        return f"{reason}, stopped by {type(pruner).__name__}"
    earlier = [
        t.intermediate_values[step]
        for t in trial.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if step in t.intermediate_values and not math.isnan(t.intermediate_values[step])
    ]
    if not earlier:
        return f"{reason}, stopped by MedianPruner"
    median = statistics.median(earlier)
    side = "below" if trial.study.direction == optuna.study.StudyDirection.MAXIMIZE else "above"
    return (
        f"{reason} is {side} the median {median:.4f} of {len(earlier)} completed trials "
        "at that step"
    )


def run_ending(exc: BaseException) -> tuple[str, dict[str, str]]:
    """The end status and tags (registry names) of a run whose work raised ``exc``.

    Pruned: KILLED with a note; interrupted (``KeyboardInterrupt``, ``SystemExit``): KILLED
    and tagged interrupted; anything else: FAILED with the error as a note.
    """
    import optuna

    if isinstance(exc, optuna.TrialPruned):
        return "KILLED", {
            "process.status_note": f"pruned: {exc}"[:STATUS_NOTE_MAX_LENGTH],
            "mlflow.note": f"Pruned: {exc}",
        }
    if isinstance(exc, KeyboardInterrupt | SystemExit):
        return "KILLED", {
            "process.interrupted": "true",
            "process.interrupted_reason": type(exc).__name__,
        }
    if isinstance(exc, TrialTakenOverError):
        return "KILLED", {
            "process.interrupted": "true",
            "process.interrupted_reason": str(exc)[:STATUS_NOTE_MAX_LENGTH],
        }
    note = f"{type(exc).__name__}: {exc}"
    return "FAILED", {"process.status_note": note[:STATUS_NOTE_MAX_LENGTH], "mlflow.note": note}


def taken_over(trial: optuna.Trial) -> TrialTakenOverError:
    """The error saying that another worker failed ``trial`` while this process ran it."""
    return TrialTakenOverError(
        f"trial {trial.number} was failed by another worker while this one ran it"
    )


def check_still_running(trial: optuna.Trial) -> None:
    """Raise :class:`TrialTakenOverError` when the study no longer has ``trial`` RUNNING:
    another worker failed it (a heartbeat that looked stale) and closed its runs, so finishing
    them here would give the trial a second tracked run beside its retry's."""
    from optuna.trial import TrialState

    for frozen in trial.study.get_trials(deepcopy=False, states=(TrialState.FAIL,)):
        if frozen.number == trial.number:
            raise taken_over(trial)


class TrialObjective:
    """The objective ``study.optimize`` calls: one tracked, cross-validated, prunable trial.

    ``sweep_run_id`` is the run trials nest under (``None``: not tracked); ``search_space`` is
    the backbone's (:meth:`~resume_ner.config.hpo.HpoConfig.search_space_for`). ``budget``, when
    given, is released as soon as the trial exists (see :mod:`resume_ner.hpo.budget`).
    ``background`` (default: ``tracking.hpo.background`` of ``mlflow.yaml``) has the runs
    written while the trial trains; call :meth:`finish_tracking` when done with the objective.
    """

    def __init__(
        self,
        *,
        tracking: TrackingContext,
        sweep_run_id: str | None,
        sweep_context: NamingContext,
        hpo: HpoConfig,
        search_space: Mapping[str, SearchParameter],
        data: HpoData,
        trainer: FoldTrainer,
        progress: SweepProgress | None = None,
        budget: TrialBudget | None = None,
        background: bool | None = None,
    ) -> None:
        if background is None:
            background = tracking.config.tracking.hpo.background
        self.tracking = tracking
        self.tracker = MLflowSweepTracker(tracking, synchronous=not background)
        self.sweep_run_id = sweep_run_id
        self.sweep_context = sweep_context
        self.hpo = hpo
        self.search_space = search_space
        self.data = data
        self.trainer = trainer
        self.progress = progress or SweepProgress()
        self.budget = budget

    @property
    def metric(self) -> str:
        return self.hpo.objective.metric

    def __call__(self, trial: optuna.Trial) -> float:
        if self.budget is not None:
            self.budget.release()
        record_trial_process(trial, self.tracking.host)
        params = suggest_params(trial, self.search_space)
        context = build_trial_context(self.sweep_context, trial.number, params)
        trial.set_user_attr(TRIAL_KEY_ATTR, context.trial_key_hash)
        self.progress.trial_started(trial.number, params)
        last = LastReport()
        try:
            if self.data.uses_cv:
                value = self._cross_validate(trial, context, params, last)
            else:
                value = self._train_once(trial, context, params, last)
        except BaseException as exc:
            import optuna

            state = "PRUNED" if isinstance(exc, optuna.TrialPruned) else "FAIL"
            self.progress.trial_finished(trial.number, state, None)
            raise
        self.progress.trial_finished(trial.number, "COMPLETE", value)
        return value

    # --- with cross-validation -------------------------------------------------------------

    def _cross_validate(
        self,
        trial: optuna.Trial,
        context: NamingContext,
        params: Mapping[str, Any],
        last: LastReport,
    ) -> float:
        tracker = self.tracker
        trial_run = self._submit_trial_run(trial, context, params, n_folds=len(self.data.folds))
        try:
            fold_metrics = [
                self._run_fold(trial, context, trial_run, params, fold, last)
                for fold in self.data.folds
            ]
            check_still_running(trial)
            value = self._objective_value(
                tracker.log_trial_result(
                    trial_run,
                    fold_metrics=fold_metrics,
                    fold_epochs=list(last.fold_epochs.values()),
                )
            )
        except BaseException as exc:
            if last.fold_epochs:  # the curves of the epochs its folds reached
                tracker.defer(trial_run, metrics=aggregate_epoch_metrics(last.fold_epochs.values()))
            self._end_after(trial_run, exc, last)
            self._settle_after(exc)
            raise
        tracker.end_run(trial_run, "FINISHED")
        self._wait_for_tracking()
        return value

    def _run_fold(
        self,
        trial: optuna.Trial,
        trial_context: NamingContext,
        trial_run: QueuedRun | None,
        params: Mapping[str, Any],
        fold: FoldSplit,
        last: LastReport,
    ) -> Mapping[str, float]:
        assert fold.fold_idx is not None
        tracker = self.tracker
        epochs = max(self.trainer.epochs(params), 1)
        first_step = fold.fold_idx * epochs
        trial.set_user_attr(f"fold{fold.fold_idx}_steps", [first_step, first_step + epochs - 1])
        if trial_run is not None and trial_run.failed():
            trial_run.stage_run()  # raises why the trial run could not be created
        run = tracker.submit_fold_run(trial_run, build_fold_context(trial_context, fold.fold_idx))
        try:
            outcome = self.trainer(
                params,
                fold,
                on_epoch=self._epoch_reporter(trial, run, params, fold.fold_idx, last),
            )
            metrics = dict(outcome.metrics)
            value = self._objective_value(metrics)
            check_still_running(trial)
            tracker.defer(run, metrics=metrics)
            trial.set_user_attr(f"fold{fold.fold_idx}_{self.metric}", value)
        except BaseException as exc:
            self._end_after(run, exc)
            raise
        tracker.end_run(run, "FINISHED")
        self.progress.fold_finished(trial.number, fold.fold_idx, value)
        return metrics

    # --- without cross-validation ----------------------------------------------------------

    def _train_once(
        self,
        trial: optuna.Trial,
        context: NamingContext,
        params: Mapping[str, Any],
        last: LastReport,
    ) -> float:
        tracker = self.tracker
        run = self._submit_trial_run(trial, context, params)
        fold = self.data.folds[0]
        try:
            outcome = self.trainer(
                params, fold, on_epoch=self._epoch_reporter(trial, run, params, 0, last)
            )
            metrics = dict(outcome.metrics)
            value = self._objective_value(metrics)
            check_still_running(trial)
        except BaseException as exc:
            self._end_after(run, exc, last)
            self._settle_after(exc)
            raise
        tracker.defer(run, metrics=metrics)
        tracker.end_run(run, "FINISHED")
        self._wait_for_tracking()
        return value

    # --- shared ----------------------------------------------------------------------------

    def _submit_trial_run(
        self,
        trial: optuna.Trial,
        context: NamingContext,
        params: Mapping[str, Any],
        n_folds: int | None = None,
    ) -> QueuedRun | None:
        """Have the trial's run created under the sweep, its id recorded on the trial."""
        run = self.tracker.submit_trial_run(
            self.sweep_run_id,
            context,
            hyperparameters=params,
            n_folds=n_folds,
            tags={"hpo.trial_id": f"{self.sweep_context.study_name or 'study'}:{trial.number}"},
        )
        self._record_run(trial, run)
        return run

    @staticmethod
    def _record_run(trial: optuna.Trial, run: QueuedRun | None) -> None:
        """Give the Optuna trial its run's id as soon as the run exists (from the run writer's
        thread in background mode), so that a worker failing the trial can close its runs."""
        if run is None:
            return

        def record(created: Future[StageRun]) -> None:
            if created.exception() is not None:
                return  # reported by the tracker; the trial raises it at its next fold or end
            try:
                trial.set_user_attr(RUN_ID_ATTR, created.result().run_id)
            except study_storage_errors():
                logger.warning(
                    "could not record run %s on trial %d",
                    created.result().run_id,
                    trial.number,
                    exc_info=True,
                )

        run.add_done_callback(record)

    def _wait_for_tracking(self) -> None:
        """Wait until the trial's runs are written; raise the first error of that work."""
        failures = self.tracker.drain()
        if failures:
            raise failures[0]

    def _settle_after(self, exc: BaseException) -> None:
        """Before a pruned or failed trial is recorded, wait for its runs to be written (not
        when interrupted: what is queued is written when the tracking session closes); errors
        were logged already."""
        if not isinstance(exc, KeyboardInterrupt | SystemExit):
            self.tracker.drain()

    def finish_tracking(self) -> None:
        """Wait for tracking work still queued (the runs of an interrupted trial); its errors
        were logged when they happened."""
        self.tracker.drain()

    def _epoch_reporter(
        self,
        trial: optuna.Trial,
        run: QueuedRun | None,
        params: Mapping[str, Any],
        fold_position: int,
        last: LastReport,
    ) -> EpochCallback:
        epochs = max(self.trainer.epochs(params), 1)

        def on_epoch(epoch: int, metrics: Mapping[str, float]) -> None:
            import optuna

            self.tracker.defer(run, metrics=dict(metrics), step=epoch)
            last.fold_epochs.setdefault(fold_position, {})[epoch] = dict(metrics)
            value = metrics.get(f"{EPOCH_METRIC_PREFIX}{self.metric}", metrics.get(self.metric))
            if value is None:
                return
            step = fold_position * epochs + epoch - 1
            try:
                trial.report(float(value), step)
            except optuna.exceptions.UpdateFinishedTrialError as exc:
                raise taken_over(trial) from exc
            last.value, last.step = float(value), step
            if trial.should_prune():
                where = f"fold {fold_position}, epoch {epoch}"
                raise optuna.TrialPruned(
                    prune_reason(trial, step, float(value), where, f"val_{self.metric}")
                )

        return on_epoch

    def _objective_value(self, metrics: Mapping[str, float]) -> float:
        try:
            return float(metrics[self.metric])
        except KeyError:
            raise ObjectiveMetricMissingError(
                f"training reported no {self.metric!r} (the objective metric of hpo.yaml); "
                f"it reported {sorted(metrics)}"
            ) from None

    def _end_after(
        self, run: QueuedRun | None, exc: BaseException, last: LastReport | None = None
    ) -> None:
        import optuna

        status, tags = run_ending(exc)
        if last is not None and last.value is not None and isinstance(exc, optuna.TrialPruned):
            self.tracker.defer(
                run, metrics={f"{LAST_REPORTED_PREFIX}{self.metric}": last.value}, step=last.step
            )
        try:
            self.tracker.end_run(run, status, tags=tags)
        except store_errors():
            logger.exception("could not record the end of run %s as %s", run, status)
