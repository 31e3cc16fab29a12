"""Running trials: in this process, in worker processes, and waiting for other workers.

One process owns a sweep: it takes over or starts the sweep run, and after the trials it runs
the refit and ends the sweep run. Trials may run in that process or in worker processes
(``--workers N``); a worker only runs trials, attaching them to the sweep run it is given, so a
sweep has one sweep run however many workers join it. Every worker claims its trials through the
:class:`~resume_ner.hpo.budget.TrialBudget`, so the study ends with exactly its target number of
finished trials.
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

from resume_ner.config.mlflow import MlflowConfig
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


def close_runs_of_failed_trial(tracking: TrackingContext, trial: FrozenTrial) -> None:
    """Close the MLflow runs of ``trial``, which Optuna failed because its process stopped."""
    run_id = trial.user_attrs.get(RUN_ID_ATTR)
    if not run_id:
        return
    where = (
        f"process {trial.user_attrs.get(PID_ATTR, '?')} on {trial.user_attrs.get(HOST_ATTR, '?')}"
    )
    close_trial_runs(
        tracking, str(run_id), f"trial {trial.number} failed: {where} stopped running it"
    )


def run_trials(study: optuna.Study, objective: TrialObjective, budget: TrialBudget) -> int:
    """Run trials one at a time while ``budget`` has room; return how many this process ran.

    ``objective`` must release ``budget`` when its trial starts (``TrialObjective`` does when
    given the budget). A trial that fails raises out of here after its runs are ended FAILED;
    pruned trials do not.
    """
    ran = 0
    while budget.claim():
        try:
            study.optimize(objective, n_trials=1, catch=(), gc_after_trial=False)
        finally:
            budget.release()
        ran += 1
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
    run_more: Callable[[], int],
    *,
    on_failed_trial: Callable[[FrozenTrial], None] | None = None,
    poll_s: float = POLL_INTERVAL_S,
) -> None:
    """Return once no trial of ``study`` is RUNNING, running re-queued ones on the way.

    Trials of dead processes of this machine are failed at once, those of silent workers
    elsewhere when their heartbeat is older than the grace period; either kind is re-queued as
    WAITING and ``run_more`` (which runs trials in this process) picks it up.
    """
    while True:
        fail_dead_local_trials(study, storage, hpo, on_failed_trial)
        fail_stale_trials(study)
        counts = count_trials(study)
        if counts.waiting and run_more():
            continue
        if counts.running == 0:
            return
        time.sleep(poll_s)


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker process needs to run trials of one sweep (picklable)."""

    index: int
    root: Path
    config_dir: Path | None
    mlflow_config: MlflowConfig
    tracking_uri: str
    configs: SweepConfigs
    backbone: str
    storage_url: str
    study_name: str
    target: int
    remaining_s: float | None
    sweep_run_id: str | None
    sweep_context: NamingContext
    lock_path: Path
    trainer_factory: TrainerFactory


def worker_main(spec: WorkerSpec, events: Any) -> None:
    """The body of a worker process: open tracking and the study, run trials, report events."""
    from resume_ner.config.paths import ProjectPaths
    from resume_ner.hpo.folds import load_hpo_data
    from resume_ner.hpo.objective import TrialObjective

    quiet_optuna()
    deadline = None if spec.remaining_s is None else time.monotonic() + spec.remaining_s
    tracking = TrackingContext.open(
        ProjectPaths.at(spec.root),
        config_dir=spec.config_dir,
        config=spec.mlflow_config,
        tracking_uri=spec.tracking_uri,
    )
    hpo = spec.configs.hpo
    storage = open_storage(
        spec.storage_url,
        hpo,
        on_failed_trial=functools.partial(close_runs_of_failed_trial, tracking),
    )
    existing = count_trials(load_existing_study(storage, spec.study_name)).total
    study = open_study(storage, spec.study_name, hpo, stream=f"worker-{spec.index}:{existing}")
    budget = TrialBudget(study, spec.target, spec.lock_path, deadline=deadline)
    objective = TrialObjective(
        tracking=tracking,
        sweep_run_id=spec.sweep_run_id,
        sweep_context=spec.sweep_context,
        hpo=hpo,
        data=load_hpo_data(spec.configs.data, hpo.cv),
        trainer=spec.trainer_factory(spec.backbone, spec.configs),
        progress=QueueProgress(events),
        budget=budget,
    )
    run_trials(study, objective, budget)


def run_worker_processes(
    specs: list[WorkerSpec], progress: SweepProgress, *, poll_s: float = 0.2
) -> None:
    """Start one process per spec, relay their events to ``progress``, wait for them all.

    Processes are spawned (not forked), so each starts clean of this process's threads and
    connections. Raises :class:`HpoError` naming the workers that exited with an error.
    """
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    events = context.Queue()
    processes = [
        context.Process(target=worker_main, args=(spec, events), name=f"hpo-worker-{spec.index}")
        for spec in specs
    ]
    for process in processes:
        process.start()
    try:
        while any(process.is_alive() for process in processes):
            forward_events(events, progress, timeout_s=poll_s)
        for process in processes:
            process.join()
        forward_events(events, progress, timeout_s=0)
    except BaseException:
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=30)
        raise
    failed = [f"{p.name} (exit code {p.exitcode})" for p in processes if p.exitcode != 0]
    if failed:
        raise HpoError(f"sweep workers failed: {', '.join(failed)}")
