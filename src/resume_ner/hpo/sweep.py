"""Running a sweep per backbone, resuming where it stopped, and planning one without running it.

For each backbone :func:`run_sweep`:

1. computes the study key from the HPO pool's fingerprint, ``hpo.yaml``, the training settings
   and the backbone, and names the study after it;
2. finds the sweep run of that identity (strict: run index, then the run-key hash tag). When the
   run FINISHED, the study holds its target number of finished trials and the refit exists,
   nothing is created: the sweep is *already complete*;
3. claims the sweep's ownership in the index backend (one owner however many processes start
   at once, on however many machines; see :func:`~resume_ner.tracking.hpo.claim_sweep`). A
   process that does not get it *joins*: it runs trials under the owner's sweep run and leaves
   the rest to the owner. An owner that died, or on another machine fell silent for longer
   than the grace period, loses the sweep to the next process that claims it;
4. as the owner, closes the project's runs left RUNNING by processes that are gone (KILLED,
   tagged ``process.interrupted``), reclaims their run-name reservations, fails the study's
   trials they left RUNNING and re-queues them with the same hyperparameters, then takes the
   sweep run over (or starts it; ``--force`` starts a new version with a new study revision);
5. runs trials until the study holds exactly ``n_trials`` COMPLETE or PRUNED trials (here or in
   ``workers`` processes), waits for trials other workers still run, refits the best trial,
   logs the plots and the summary, and ends the sweep run FINISHED.

:func:`plan_sweep` answers, reading only, what :func:`run_sweep` would reuse, create, resume or
clean up, and which key matched.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from resume_ner.hpo.budget import TrialBudget
from resume_ner.hpo.configs import SweepConfigs, training_identity
from resume_ner.hpo.folds import HpoData, load_hpo_data
from resume_ner.hpo.objective import TrialObjective, run_ending
from resume_ner.hpo.plots import log_study_plots
from resume_ner.hpo.progress import SweepProgress
from resume_ner.hpo.refit import RefitOutcome, build_refit_naming, run_refit
from resume_ner.hpo.storage import (
    RUN_ID_ATTR,
    DeadTrial,
    fail_dead_local_trials,
    find_dead_local_trials,
    open_existing_storage,
    open_storage,
    storage_url,
)
from resume_ner.hpo.study import (
    StudyIdentity,
    TrialCounts,
    build_study_identity,
    count_trials,
    describe_study,
    load_existing_study,
    next_revision_name,
    open_study,
)
from resume_ner.hpo.trainer import TrainerFactory
from resume_ner.hpo.workers import (
    WorkerSpec,
    close_runs_of_failed_trial,
    run_trials,
    run_worker_processes,
    wait_for_running_trials,
)
from resume_ner.naming.context import NamingContext
from resume_ner.tracking.cleanup import InterruptedRun, cleanup_interrupted_runs
from resume_ner.tracking.context import TrackingContext
from resume_ner.tracking.errors import store_errors
from resume_ner.tracking.experiments import project_experiment_ids
from resume_ner.tracking.hpo import (
    SweepClaim,
    SweepRunLookup,
    claim_sweep,
    find_sweep_run,
    release_sweep,
    setup_hpo_mlflow_run,
)
from resume_ner.tracking.index.version_counter import cleanup_stale_reservations
from resume_ner.tracking.liveness import (
    BEAT_MAX_SILENCE_S,
    Heartbeat,
    lease_holder_is_gone,
    prune_beats,
)
from resume_ner.tracking.reuse import find_finished_stage_run

if TYPE_CHECKING:
    import optuna
    from optuna.storages import BaseStorage

logger = logging.getLogger(__name__)

SweepStatus = Literal["complete", "already complete", "incomplete", "joined"]


@dataclass(frozen=True)
class TrialSummary:
    """One trial of a study as the sweep reports it."""

    number: int
    state: str
    value: float | None
    params: dict[str, Any]
    run_id: str | None


@dataclass
class SweepOutcome:
    """What a sweep of one backbone did.

    ``status``: ``complete`` (the study reached its target and the sweep run ended FINISHED),
    ``already complete`` (nothing was run or created), ``incomplete`` (the timeout stopped it
    first; running it again continues), ``joined`` (this process ran trials of a sweep another
    process owns).
    """

    backbone: str
    study_name: str
    study_key_hash: str
    status: SweepStatus
    target: int
    sweep_run_id: str | None
    experiment_id: str | None
    resumed: bool
    counts: TrialCounts
    trials: list[TrialSummary]
    best_trial_number: int | None = None
    best_value: float | None = None
    refit: RefitOutcome | None = None
    refit_run_id: str | None = None
    cleaned: list[InterruptedRun] = field(default_factory=list)
    dead_trials: list[DeadTrial] = field(default_factory=list)


@dataclass(frozen=True)
class SweepState:
    """Where the sweep of one backbone stands, read from the MLflow store and the study."""

    identity: StudyIdentity
    sweep_context: NamingContext
    lookup: SweepRunLookup | None
    study: optuna.Study | None
    counts: TrialCounts
    target: int
    refit_context: NamingContext | None
    refit_run_id: str | None

    @property
    def study_name(self) -> str:
        return self.sweep_context.study_name or self.identity.base_study_name

    @property
    def trials_done(self) -> bool:
        """Whether the study holds its target number of finished trials."""
        return self.counts.finished >= self.target

    def is_complete(self, refit_enabled: bool) -> bool:
        """Whether nothing is left to do: run FINISHED, trials done, refit there if wanted."""
        return (
            self.lookup is not None
            and self.lookup.status == "FINISHED"
            and self.trials_done
            and (not refit_enabled or self.refit_run_id is not None)
        )


@dataclass(frozen=True)
class RunPlan:
    """What would happen to one run (or group of runs), and why."""

    action: str
    run_id: str | None = None
    reason: str = ""
    matched_by: str | None = None


@dataclass
class SweepPlan:
    """What :func:`run_sweep` would do for one backbone (see :func:`plan_sweep`)."""

    backbone: str
    study_name: str
    study_key_hash: str
    study_exists: bool
    counts: TrialCounts
    target: int
    trials_to_run: int
    sweep: RunPlan
    refit: RunPlan
    cleanup: list[InterruptedRun]
    dead_trials: list[int]
    complete: bool


def _sweep_naming(tracking: TrackingContext, identity: StudyIdentity) -> NamingContext:
    return NamingContext(
        "hpo_sweep",
        identity.backbone,
        environment=tracking.policy.env,
        study_key_hash=identity.study_key_hash,
        study_family_hash=identity.study_family_hash,
    )


def read_sweep_state(
    tracking: TrackingContext | None,
    storage: BaseStorage | None,
    identity: StudyIdentity,
    configs: SweepConfigs,
    data: HpoData,
    *,
    target: int,
    force: bool = False,
) -> SweepState:
    """Where the sweep of ``identity`` stands (reads only; ``None`` stores hold nothing yet).

    The study to continue is the one the sweep run names (tag ``study.name``), so a sweep that
    was forced to a new revision goes on with that revision; with ``force`` (or without a
    run) it is the next free revision (or the base name).
    """
    sweep_context = _sweep_naming(tracking, identity) if tracking else None
    lookup = None
    if tracking is not None and not force:
        lookup = find_sweep_run(tracking, sweep_context, grace_s=configs.hpo.grace_period)
    study_name = identity.base_study_name
    if lookup is not None:
        study_name = lookup.run.data.tags.get(tracking.registry.key("study", "name"), study_name)
    elif force and storage is not None:
        study_name = next_revision_name(storage, identity.base_study_name)
    if sweep_context is None:
        sweep_context = NamingContext(
            "hpo_sweep",
            identity.backbone,
            study_key_hash=identity.study_key_hash,
            study_family_hash=identity.study_family_hash,
        )
    sweep_context = sweep_context.with_changes(study_name=study_name)
    study = load_existing_study(storage, study_name) if storage is not None and not force else None
    counts = count_trials(study)
    refit_context = refit_run_id = None
    if study is not None and counts.complete and configs.hpo.refit.enabled:
        refit_context = build_refit_naming(
            sweep_context, study.best_trial, configs, data.fingerprint
        )
        if tracking is not None:
            refit_run_id = find_finished_stage_run(tracking, refit_context)
    return SweepState(
        identity, sweep_context, lookup, study, counts, target, refit_context, refit_run_id
    )


def _trial_summaries(study: optuna.Study) -> list[TrialSummary]:
    return [
        TrialSummary(
            trial.number,
            trial.state.name,
            trial.value if trial.state.name == "COMPLETE" else None,
            dict(trial.params),
            trial.user_attrs.get(RUN_ID_ATTR),
        )
        for trial in study.get_trials(deepcopy=False)
    ]


def _best(study: optuna.Study) -> optuna.trial.FrozenTrial | None:
    from optuna.trial import TrialState

    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return None
    return study.best_trial


class SweepRunner:
    """Runs the sweeps of ``configs`` into ``tracking``; see :func:`run_sweep`."""

    def __init__(
        self,
        tracking: TrackingContext,
        configs: SweepConfigs,
        *,
        trainer_factory: TrainerFactory | None = None,
        progress: SweepProgress | None = None,
        workers: int = 1,
        force: bool = False,
        target: int | None = None,
        timeout_s: float | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.tracking = tracking
        self.configs = configs
        if trainer_factory is None:
            from resume_ner.hpo.trainer import default_trainer_factory

            trainer_factory = default_trainer_factory
        self.trainer_factory = trainer_factory
        self.progress = progress or SweepProgress()
        self.workers = workers
        self.force = force
        self.target = target or configs.hpo.n_trials
        self.timeout_s = timeout_s if timeout_s is not None else configs.hpo.timeout_s
        self.storage_url = storage_url(configs.hpo, tracking.paths)

    def run(self, backbone: str, data: HpoData) -> SweepOutcome:
        """Run, resume, join or find complete the sweep of ``backbone`` on ``data``.

        This process writes its heartbeat through the index backend while it works, so that
        what it owns (the sweep, reservations, runs) passes on if it dies.
        """
        hpo = self.configs.hpo
        tracking = self.tracking
        identity = build_study_identity(
            project=tracking.policy.project,
            backbone=backbone,
            data_fingerprint=data.fingerprint,
            hpo=hpo,
            training=training_identity(self.configs, backbone),
        )
        on_failed_trial = functools.partial(close_runs_of_failed_trial, tracking)
        storage = open_storage(self.storage_url, hpo, on_failed_trial=on_failed_trial)
        with Heartbeat(tracking.index, hpo.heartbeat_interval_s):
            while True:
                state = self._read_state(storage, identity, data)
                if state.is_complete(hpo.refit.enabled):
                    return self._already_complete(state)
                claim = claim_sweep(tracking, state.sweep_context, grace_s=hpo.grace_period)
                try:
                    outcome = self._run_claimed(backbone, data, identity, storage, claim)
                finally:
                    release_sweep(tracking, claim)
                if outcome.status != "joined" or not self._owner_gone(claim):
                    return outcome
                # A joiner outliving a dead owner finishes the sweep instead of leaving it.
                self.progress.note(
                    f"the sweep's owner ({claim.holder}) is gone: this process takes it over"
                )

    def _owner_gone(self, claim: SweepClaim) -> bool:
        lease = self.tracking.index.get_lease(claim.lease_name)
        return (
            lease is not None
            and lease.holder != self.tracking.process
            and lease_holder_is_gone(self.tracking.index, lease, self.configs.hpo.grace_period)
        )

    def _read_state(self, storage: Any, identity: StudyIdentity, data: HpoData) -> SweepState:
        return read_sweep_state(
            self.tracking,
            storage,
            identity,
            self.configs,
            data,
            target=self.target,
            force=self.force,
        )

    def _run_claimed(
        self,
        backbone: str,
        data: HpoData,
        identity: StudyIdentity,
        storage: Any,
        claim: SweepClaim,
    ) -> SweepOutcome:
        hpo = self.configs.hpo
        tracking = self.tracking
        on_failed_trial = functools.partial(close_runs_of_failed_trial, tracking)
        # Read again under the claim: the sweep may have been started, or finished, meanwhile.
        state = self._read_state(storage, identity, data)
        owner = claim.owner
        if owner and state.is_complete(hpo.refit.enabled):
            return self._already_complete(state)
        deadline = None if self.timeout_s is None else time.monotonic() + self.timeout_s
        cleaned = self._cleanup(state) if owner else []
        claim = self._sweep_run(state, data, claim)
        sweep_run_id, resumed = claim.run_id, claim.resumed
        dead: list[DeadTrial] = []
        if owner and state.study is not None:
            dead = fail_dead_local_trials(state.study, storage, hpo, tracking.host, on_failed_trial)
        # Each process samples from its own stream: a resumed or joining one does not replay
        # the proposals of the first.
        who = "owner" if owner else f"joiner-{tracking.host}-{os.getpid()}"
        study = open_study(
            storage, state.study_name, hpo, stream=f"{who}:{count_trials(state.study).total}"
        )
        tracker = tracking.sweep_tracker()
        if owner:
            describe_study(
                study,
                backbone=backbone,
                data_fingerprint=data.fingerprint,
                experiment_id=tracking.experiment_id_for("hpo_sweep") if sweep_run_id else None,
                sweep_run_id=sweep_run_id,
            )
        try:
            self.progress.sweep_started(
                backbone,
                state.study_name,
                target=self.target,
                finished=count_trials(study).finished,
                n_folds=len(data.folds),
            )
            for trial in dead:
                self.progress.note(
                    f"trial {trial.number} was left RUNNING by process {trial.pid}, which is "
                    f"gone: failed{' and re-queued' if trial.retried else ''}"
                )
            self._run_trials(
                backbone, study, storage, sweep_run_id, state.sweep_context, data, deadline, owner
            )
            counts = count_trials(study)
            outcome = SweepOutcome(
                backbone=backbone,
                study_name=state.study_name,
                study_key_hash=identity.study_key_hash,
                status="complete" if counts.finished >= self.target else "incomplete",
                target=self.target,
                sweep_run_id=sweep_run_id,
                experiment_id=None,
                resumed=resumed,
                counts=counts,
                trials=_trial_summaries(study),
                cleaned=cleaned,
                dead_trials=dead,
            )
            if not owner:
                outcome.status = "joined"
                return outcome
            self._finish(outcome, study, sweep_run_id, state.sweep_context, data, backbone)
        except BaseException as exc:
            if owner:
                status, tags = run_ending(exc)
                try:
                    tracker.end_run(sweep_run_id, status, tags=tags)
                except store_errors():
                    logger.exception("could not record the end of sweep run %s", sweep_run_id)
            raise
        tracker.end_run(sweep_run_id, "FINISHED")
        return outcome

    def _already_complete(self, state: SweepState) -> SweepOutcome:
        assert state.study is not None and state.lookup is not None
        best = _best(state.study)
        return SweepOutcome(
            backbone=state.identity.backbone,
            study_name=state.study_name,
            study_key_hash=state.identity.study_key_hash,
            status="already complete",
            target=self.target,
            sweep_run_id=state.lookup.run_id,
            experiment_id=state.lookup.run.info.experiment_id,
            resumed=False,
            counts=state.counts,
            trials=_trial_summaries(state.study),
            best_trial_number=best.number if best else None,
            best_value=best.value if best else None,
            refit_run_id=state.refit_run_id,
        )

    def _cleanup(self, state: SweepState) -> list[InterruptedRun]:
        """Close the project's runs left RUNNING by processes that are gone, here or on
        machines whose heartbeat stopped (not the sweep run, which this process takes over),
        and reclaim their run-name reservations."""
        hpo = self.configs.hpo
        if not hpo.cleanup.enabled:
            return []
        tracking = self.tracking
        cleanup_stale_reservations(
            tracking.index,
            tracking.config.index.stale_reservation_minutes,
            grace_s=hpo.grace_period,
        )
        closed = cleanup_interrupted_runs(
            tracking.client,
            list(project_experiment_ids(tracking.client, tracking.policy).values()),
            registry=tracking.registry,
            project=tracking.policy.project,
            host=tracking.host,
            current_run_ids=frozenset({state.lookup.run_id}) if state.lookup else frozenset(),
            beats=tracking.index.list_beats(),
            grace_s=hpo.grace_period,
        )
        # Only now: other machines' heartbeats were the evidence for closing their runs.
        prune_beats(
            tracking.index,
            max_silence_s=max(
                BEAT_MAX_SILENCE_S,
                hpo.grace_period,
                tracking.config.index.stale_reservation_minutes * 60,
            ),
        )
        return closed

    def _sweep_run(self, state: SweepState, data: HpoData, claim: SweepClaim) -> SweepClaim:
        hpo = self.configs.hpo
        return setup_hpo_mlflow_run(
            self.tracking,
            state.sweep_context,
            study_name=state.study_name,
            sampler=hpo.sampler.model_dump(),
            pruner=hpo.pruner.model_dump(),
            objective_metric=hpo.objective.metric,
            objective_direction=hpo.objective.direction,
            search_space={
                name: p.identity()
                for name, p in hpo.search_space_for(state.identity.backbone).items()
            },
            n_trials=self.target,
            n_folds=len(data.folds) if data.uses_cv else None,
            force=self.force,
            lookup=state.lookup,
            claim=claim,
            grace_s=hpo.grace_period,
        )

    def _run_trials(
        self,
        backbone: str,
        study: optuna.Study,
        storage: Any,
        sweep_run_id: str | None,
        sweep_context: NamingContext,
        data: HpoData,
        deadline: float | None,
        owner: bool,
    ) -> None:
        hpo = self.configs.hpo
        budget = TrialBudget.in_backend(study, self.target, self.tracking.index, deadline=deadline)
        objective = TrialObjective(
            tracking=self.tracking,
            sweep_run_id=sweep_run_id,
            sweep_context=sweep_context,
            hpo=hpo,
            search_space=hpo.search_space_for(backbone),
            data=data,
            trainer=self.trainer_factory(backbone, self.configs),
            progress=self.progress,
            budget=budget,
        )
        if self.workers == 1:
            run_trials(study, objective, budget)
        else:
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            specs = [
                WorkerSpec(
                    index=index,
                    root=self.tracking.paths.root,
                    project=self.tracking.project,
                    tracking_uri=self.tracking.tracking_uri,
                    host=self.tracking.host,
                    configs=self.configs,
                    backbone=backbone,
                    storage_url=self.storage_url,
                    study_name=study.study_name,
                    target=self.target,
                    remaining_s=remaining,
                    sweep_run_id=sweep_run_id,
                    sweep_context=sweep_context,
                    trainer_factory=self.trainer_factory,
                )
                for index in range(self.workers)
            ]
            run_worker_processes(specs, self.progress)
        if owner and not budget.expired():
            wait_for_running_trials(
                study,
                storage,
                hpo,
                objective,
                budget,
                host=self.tracking.host,
                on_failed_trial=functools.partial(close_runs_of_failed_trial, self.tracking),
            )

    def _finish(
        self,
        outcome: SweepOutcome,
        study: optuna.Study,
        sweep_run_id: str | None,
        sweep_context: NamingContext,
        data: HpoData,
        backbone: str,
    ) -> None:
        hpo = self.configs.hpo
        tracker = self.tracking.sweep_tracker()
        best = _best(study)
        if best is not None:
            outcome.best_trial_number = best.number
            outcome.best_value = best.value
            if hpo.refit.enabled:
                outcome.refit = run_refit(
                    tracking=self.tracking,
                    sweep_run_id=sweep_run_id,
                    sweep_context=sweep_context,
                    best=best,
                    configs=self.configs,
                    data=data,
                    trainer=self.trainer_factory(backbone, self.configs),
                    output_dir=self.tracking.paths.outputs_dir / "hpo" / study.study_name / "refit",
                    force=self.force,
                )
                outcome.refit_run_id = outcome.refit.run_id
                if outcome.refit.reused:
                    self.progress.note(
                        f"refit run {outcome.refit.run_id} exists: not trained again"
                    )
        if sweep_run_id is not None and hpo.plots.enabled:
            log_study_plots(study, tracker.uploader(sweep_run_id))
        tracker.log_sweep_summary(
            sweep_run_id,
            best_trial_number=outcome.best_trial_number,
            best_value=outcome.best_value,
            best_trial_run_id=best.user_attrs.get(RUN_ID_ATTR) if best else None,
            n_trials=self.target,
            n_completed_trials=outcome.counts.complete,
            refit_completed=outcome.refit_run_id is not None if hpo.refit.enabled else None,
        )


def run_sweep(
    tracking: TrackingContext,
    configs: SweepConfigs,
    *,
    backbones: Sequence[str] | None = None,
    n_trials: int | None = None,
    timeout_s: float | None = None,
    workers: int = 1,
    force: bool = False,
    progress: SweepProgress | None = None,
    trainer_factory: TrainerFactory | None = None,
) -> list[SweepOutcome]:
    """Run (or resume, or find complete) the sweep of each backbone; see the module docstring.

    ``backbones`` default to ``hpo.yaml``'s, ``n_trials`` (the target number of finished trials)
    and ``timeout_s`` to its values. ``workers`` > 1 runs trials in that many processes (which
    receive ``tracking``'s parsed configuration). ``trainer_factory`` builds the trainer of a
    backbone (default: :func:`resume_ner.training.run.train_and_evaluate`). Raises
    :class:`~resume_ner.hpo.errors.HpoInputError` for unusable data, and what training and
    tracking raise; a failing sweep ends its run FAILED (KILLED when interrupted).
    """
    runner = SweepRunner(
        tracking,
        configs,
        trainer_factory=trainer_factory,
        progress=progress,
        workers=workers,
        force=force,
        target=n_trials,
        timeout_s=timeout_s,
    )
    data = load_hpo_data(configs.data, configs.hpo.cv)
    outcomes = []
    for backbone in backbones or configs.hpo.backbones:
        outcome = runner.run(backbone, data)
        if outcome.sweep_run_id and outcome.experiment_id is None:
            outcome.experiment_id = tracking.client.get_run(outcome.sweep_run_id).info.experiment_id
        outcomes.append(outcome)
    return outcomes


def plan_sweep(
    tracking: TrackingContext | None,
    configs: SweepConfigs,
    *,
    project: str,
    backbones: Sequence[str] | None = None,
    n_trials: int | None = None,
    force: bool = False,
    storage: str | None = None,
    host: str | None = None,
) -> list[SweepPlan]:
    """What :func:`run_sweep` would do for each backbone, without writing to MLflow or the study.

    ``tracking`` is ``None`` when the MLflow store does not exist yet (then every run would be
    created); ``storage`` is the study storage URL (default: as ``run_sweep`` picks it, which
    needs ``tracking``). Reports per backbone the sweep run to reuse, take over, join or create
    (and the finder strategy that matched its run key), the trials to run, the study's trials
    and MLflow runs left RUNNING by dead processes that would be failed or closed, and the
    refit to reuse or create. ``host`` names this machine, whose dead trials are told at once
    (default: the session's; without either, no trial is judged dead).
    """
    hpo = configs.hpo
    target = n_trials or hpo.n_trials
    host = host or (tracking.host if tracking is not None else None)
    if storage is None:
        if tracking is None:
            raise ValueError("plan_sweep needs the storage URL when there is no tracking context")
        storage = storage_url(hpo, tracking.paths)
    study_storage = open_existing_storage(storage, hpo)
    data = load_hpo_data(configs.data, hpo.cv)
    plans = []
    for backbone in backbones or hpo.backbones:
        identity = build_study_identity(
            project=project,
            backbone=backbone,
            data_fingerprint=data.fingerprint,
            hpo=hpo,
            training=training_identity(configs, backbone),
        )
        state = read_sweep_state(
            tracking, study_storage, identity, configs, data, target=target, force=force
        )
        plans.append(_plan_from_state(tracking, state, configs, backbone, target, force, host))
    return plans


def _plan_from_state(
    tracking: TrackingContext | None,
    state: SweepState,
    configs: SweepConfigs,
    backbone: str,
    target: int,
    force: bool,
    host: str | None,
) -> SweepPlan:
    hpo = configs.hpo
    complete = state.is_complete(hpo.refit.enabled)
    lookup = state.lookup
    if force:
        sweep = RunPlan("create", reason="--force: a new version of the sweep and a new study")
    elif lookup is None:
        sweep = RunPlan("create", reason="no sweep run carries this study's run key")
    elif complete:
        sweep = RunPlan(
            "reuse", lookup.run_id, "study complete and refit present", lookup.matched_by
        )
    elif lookup.action == "join":
        sweep = RunPlan("join", lookup.run_id, lookup.reason, lookup.matched_by)
    else:
        sweep = RunPlan("resume", lookup.run_id, lookup.reason, lookup.matched_by)
    dead = []
    if state.study is not None and not complete and host is not None:
        dead = [
            trial.number for trial in find_dead_local_trials(state.study, host, hpo.grace_period)
        ]
    counts = state.counts
    to_run = 0 if complete else max(target - counts.finished - counts.running + len(dead), 0)
    if not hpo.refit.enabled:
        refit = RunPlan("skip", reason="refit.enabled is false")
    elif state.refit_run_id is not None and not force:
        if to_run:
            refit = RunPlan(
                "reuse or create",
                state.refit_run_id,
                "a FINISHED refit run has the current best trial's refit key; reused unless a "
                "new trial does better",
            )
        else:
            refit = RunPlan(
                "reuse", state.refit_run_id, "a FINISHED refit run has the best trial's refit key"
            )
    else:
        refit = RunPlan("create", reason="after the trials, for the best trial")
    cleanup: list[InterruptedRun] = []
    if tracking is not None and not complete and hpo.cleanup.enabled:
        cleanup = cleanup_interrupted_runs(
            tracking.client,
            list(project_experiment_ids(tracking.client, tracking.policy).values()),
            registry=tracking.registry,
            project=tracking.policy.project,
            host=tracking.host,
            current_run_ids=frozenset({lookup.run_id}) if lookup else frozenset(),
            dry_run=True,
            beats=tracking.index.list_beats(),
            grace_s=hpo.grace_period,
        )
    return SweepPlan(
        backbone=backbone,
        study_name=state.study_name,
        study_key_hash=state.identity.study_key_hash,
        study_exists=state.study is not None,
        counts=counts,
        target=target,
        trials_to_run=to_run,
        sweep=sweep,
        refit=refit,
        cleanup=cleanup,
        dead_trials=dead,
        complete=complete,
    )
