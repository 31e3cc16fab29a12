"""Running trials: in this process, in worker processes, and waiting for other workers.

One process owns a sweep: it takes over or starts the sweep run, and after the trials it runs
the refit and ends the sweep run. Trials may run in that process or in worker processes
(``--workers N``); a worker only runs trials, attaching them to the sweep run it is given, so a
sweep has one sweep run however many workers join it. Every worker claims its trials through the
:class:`~resume_ner.hpo.budget.TrialBudget`, so the study ends with exactly its target number of
finished trials.

A worker that dies (killed, out of memory, its machine gone) leaves its trial RUNNING. Its
heartbeat stops, so after the grace period another worker fails that trial, closes its runs as
KILLED and runs it again with the same hyperparameters: workers that have no trial left to
start keep watching the study for such trials until none is running (or nothing has changed for
a while, when the sweep's owner takes over and also fails at once the trials of dead processes
of its own machine). A killed worker does not fail the sweep; one that exits with an error does.
"""

from __future__ import annotations

import functools
import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from resume_ner.config.project import ProjectConfig
from resume_ner.hpo.budget import TrialBudget
from resume_ner.hpo.errors import HpoError
from resume_ner.hpo.progress import QueueProgress, SweepProgress, forward_events
from resume_ner.hpo.storage import (
    HOST_ATTR,
    PID_ATTR,
    RUN_ID_ATTR,
    fail_dead_local_trials,
    open_storage,
)
from resume_ner.hpo.study import count_trials, load_existing_study, open_study, quiet_optuna
from resume_ner.naming.context import NamingContext
from resume_ner.tracking.context import TrackingContext
from resume_ner.tracking.hpo import close_trial_runs
from resume_ner.tracking.liveness import HOST_ENV, Heartbeat

if TYPE_CHECKING:
    import optuna
    from optuna.storages import RDBStorage
    from optuna.trial import FrozenTrial

    from resume_ner.config.hpo import HpoConfig
    from resume_ner.hpo.configs import SweepConfigs
    from resume_ner.hpo.objective import TrialObjective
    from resume_ner.hpo.trainer import TrainerFactory

logger = logging.getLogger(__name__)

#: Seconds between looks at the study while other workers finish their trials.
POLL_INTERVAL_S = 1.0
#: A worker stops watching the study after this many grace periods without any change.
WORKER_PATIENCE_GRACE_PERIODS = 3
#: What Optuna raises when a trial ends after another worker failed it.
_LATE_TRIAL_MESSAGE = "Cannot tell a FAIL trial"


def close_runs_of_failed_trial(
    tracking: TrackingContext, trial: FrozenTrial, cause: str = "it stopped"
) -> None:
    """Close the MLflow runs of ``trial``, which Optuna failed because its process stopped.

    The runs end KILLED, tagged interrupted with a reason naming the process, its host and
    ``cause`` (no heartbeat, or the process is gone).
    """
    run_id = trial.user_attrs.get(RUN_ID_ATTR)
    if not run_id:
        return
    where = (
        f"process {trial.user_attrs.get(PID_ATTR, '?')} on {trial.user_attrs.get(HOST_ATTR, '?')}"
    )
    close_trial_runs(
        tracking,
        str(run_id),
        f"trial {trial.number} failed: {where} stopped running it ({cause})",
    )


def run_trials(study: optuna.Study, objective: TrialObjective, budget: TrialBudget) -> int:
    """Run trials one at a time while ``budget`` has room; return how many this process ran.

    ``objective`` must release ``budget`` when its trial starts (``TrialObjective`` does when
    given the budget). A trial that fails raises out of here after its runs are ended FAILED;
    pruned trials do not. Tracking work still queued is written before this returns or raises.
    """
    ran = 0
    try:
        while budget.claim():
            try:
                study.optimize(objective, n_trials=1, catch=(), gc_after_trial=False)
            except ValueError as exc:
                if _LATE_TRIAL_MESSAGE not in str(exc):
                    raise
                # Another worker failed this trial as stale while it ran (its heartbeats came
                # late: an overloaded machine, or a grace period too short) and re-queued it.
                logger.warning(
                    "a trial of this process was failed by another worker while it ran (%s); "
                    "raise grace_period_s in hpo.yaml if this repeats",
                    exc,
                )
            finally:
                budget.release()
            ran += 1
    finally:
        objective.finish_tracking()
    return ran


def fail_stale_trials(study: optuna.Study) -> None:
    """Fail (and re-queue) trials whose heartbeat stopped: Optuna's own stale-trial check."""
    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


def wait_for_running_trials(
    study: optuna.Study,
    storage: RDBStorage,
    hpo: HpoConfig,
    objective: TrialObjective,
    budget: TrialBudget,
    *,
    host: str,
    on_failed_trial: Callable[[FrozenTrial, str], None] | None = None,
    local_processes: bool = True,
    patience_s: float | None = None,
    poll_s: float = POLL_INTERVAL_S,
) -> None:
    """Return once no trial of ``study`` is RUNNING, running re-queued or missing ones on the way.

    Trials of silent workers are failed when their heartbeat is older than the grace period;
    with ``local_processes`` the trials of dead processes of this machine (``host``) are failed at
    once too.
    Either kind is re-queued as WAITING, under ``budget``'s lock so that no claim sees the
    failure without its retry, and this process runs it when the budget allows. With ``patience_s``, also returns once the running trials
    and the study's trial count have not changed for that long.
    """
    last_change = time.monotonic()
    seen: tuple[int, frozenset[int]] | None = None
    while True:
        with budget.exclusive():
            if local_processes:
                fail_dead_local_trials(study, storage, hpo, host, on_failed_trial)
            fail_stale_trials(study)
        if run_trials(study, objective, budget):
            continue
        trials = study.get_trials(deepcopy=False)
        running = frozenset(t.number for t in trials if t.state.name == "RUNNING")
        if not running:
            return
        if (len(trials), running) != seen:
            seen, last_change = (len(trials), running), time.monotonic()
        elif patience_s is not None and time.monotonic() - last_change > patience_s:
            logger.info("trials %s still running elsewhere; leaving them", sorted(running))
            return
        time.sleep(poll_s)


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker process needs to run trials of one sweep (picklable): ``host`` is
    the machine name its tracking session records, the one of the session that started it."""

    index: int
    root: Path
    project: ProjectConfig
    tracking_uri: str
    host: str
    configs: SweepConfigs
    backbone: str
    storage_url: str
    study_name: str
    target: int
    remaining_s: float | None
    sweep_run_id: str | None
    sweep_context: NamingContext
    trainer_factory: TrainerFactory


def worker_main(spec: WorkerSpec, events: Any) -> None:
    """The body of a worker process: open tracking and the study, run trials, report events.

    The worker writes its heartbeat through the index backend while it runs, so that its runs
    can be closed from another machine if it dies. Closing its tracking session at the end
    writes whatever tracking work is still queued.
    """
    from resume_ner.config.paths import ProjectPaths

    quiet_optuna()
    deadline = None if spec.remaining_s is None else time.monotonic() + spec.remaining_s
    with (
        TrackingContext.open(
            ProjectPaths.at(spec.root),
            spec.project,
            tracking_uri=spec.tracking_uri,
            environ={HOST_ENV: spec.host},
        ) as tracking,
        Heartbeat(tracking.index, spec.configs.hpo.heartbeat_interval_s),
    ):
        _run_worker(spec, tracking, deadline, events)


def _run_worker(
    spec: WorkerSpec, tracking: TrackingContext, deadline: float | None, events: Any
) -> None:
    from resume_ner.hpo.folds import load_hpo_data
    from resume_ner.hpo.objective import TrialObjective

    hpo = spec.configs.hpo
    storage = open_storage(
        spec.storage_url,
        hpo,
        on_failed_trial=functools.partial(close_runs_of_failed_trial, tracking),
    )
    existing = count_trials(load_existing_study(storage, spec.study_name)).total
    study = open_study(storage, spec.study_name, hpo, stream=f"worker-{spec.index}:{existing}")
    budget = TrialBudget.in_backend(study, spec.target, tracking.index, deadline=deadline)
    objective = TrialObjective(
        tracking=tracking,
        sweep_run_id=spec.sweep_run_id,
        sweep_context=spec.sweep_context,
        hpo=hpo,
        search_space=hpo.search_space_for(spec.backbone),
        data=load_hpo_data(spec.configs.data, hpo.cv),
        trainer=spec.trainer_factory(spec.backbone, spec.configs),
        progress=QueueProgress(events),
        budget=budget,
    )
    run_trials(study, objective, budget)
    if not budget.expired():
        # Stay to take over the trials of workers that die: their heartbeat tells.
        wait_for_running_trials(
            study,
            storage,
            hpo,
            objective,
            budget,
            host=tracking.host,
            on_failed_trial=functools.partial(close_runs_of_failed_trial, tracking),
            local_processes=False,
            patience_s=WORKER_PATIENCE_GRACE_PERIODS * hpo.grace_period,
        )


def run_worker_processes(
    specs: list[WorkerSpec], progress: SweepProgress, *, poll_s: float = 0.2
) -> None:
    """Start one process per spec, relay their events to ``progress``, wait for them all.

    Processes are spawned (not forked), so each starts clean of this process's threads and
    connections; each has its own event queue, so that a worker killed while writing to it
    cannot block the others. A worker killed by a signal is reported (its trial is failed and
    retried through the heartbeat); raises :class:`HpoError` naming the workers that exited with
    an error.
    """
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    queues = [context.Queue() for _ in specs]
    processes = [
        context.Process(target=worker_main, args=(spec, queue), name=f"hpo-worker-{spec.index}")
        for spec, queue in zip(specs, queues, strict=True)
    ]
    for process in processes:
        process.start()
    try:
        while any(process.is_alive() for process in processes):
            if not sum(forward_events(queue, progress, timeout_s=0) for queue in queues):
                time.sleep(poll_s)
        for process in processes:
            process.join()
        for queue in queues:
            forward_events(queue, progress, timeout_s=0)
    except BaseException:
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=30)
        raise
    for process in processes:
        if process.exitcode is not None and process.exitcode < 0:
            message = (
                f"{process.name} (pid {process.pid}) was killed by signal {-process.exitcode}; "
                "its trial is failed and run again"
            )
            logger.warning(message)
            progress.note(message)
    failed = [
        f"{p.name} (exit code {p.exitcode})"
        for p in processes
        if p.exitcode is None or p.exitcode > 0
    ]
    if failed:
        raise HpoError(f"sweep workers failed: {', '.join(failed)}")
