"""Where studies live, and how trials of dead processes are failed and retried.

Studies go to an Optuna ``RDBStorage``: SQLite at ``mlruns/optuna.db`` in the project by
default, or any SQLAlchemy URL (PostgreSQL for workers on several machines). The storage runs
Optuna's heartbeat: a RUNNING trial whose process stops beating for ``grace_period`` seconds is
failed by the next worker that starts a trial and re-queued with the same hyperparameters
(:class:`optuna.storages.RetryHeartbeatStaleTrialCallback`).

On one machine there is no need to wait for the grace period: every trial records the host and
pid of its process (user attributes), so :func:`fail_dead_local_trials` fails at once the
RUNNING trials whose process on this machine is gone, and re-queues them the same way. Either
way the failed trial's MLflow runs can be closed first (``on_failed_trial``), so that a trial
run never stays RUNNING after its Optuna trial failed.
"""

from __future__ import annotations

import copy
import logging
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from resume_ner.config.hpo import HpoConfig
from resume_ner.config.paths import ProjectPaths
from resume_ner.tracking.errors import store_errors
from resume_ner.tracking.liveness import is_process_alive
from resume_ner.tracking.locks import store_init_lock
from resume_ner.tracking.schema import OPTUNA, check_store_schema
from resume_ner.tracking.setup import SQLITE_PREFIX, sqlite_path

if TYPE_CHECKING:
    import optuna
    from optuna.storages import RDBStorage
    from optuna.trial import FrozenTrial

logger = logging.getLogger(__name__)

#: Seconds an SQLite connection waits for another writer before giving up.
SQLITE_BUSY_TIMEOUT_S = 60
#: User attributes every trial records about the process running it.
HOST_ATTR = "process.host"
PID_ATTR = "process.pid"
#: User attribute holding the id of the trial's MLflow run.
RUN_ID_ATTR = "mlflow_run_id"
#: The table Optuna's RDB schema records its version in; a database without it holds no study.
OPTUNA_VERSION_TABLE = "version_info"


@dataclass(frozen=True)
class DeadTrial:
    """A RUNNING trial whose process on this machine is gone."""

    number: int
    pid: int
    retried: bool


def storage_url(config: HpoConfig, paths: ProjectPaths) -> str:
    """The study storage: ``config.storage``, else SQLite at ``paths.optuna_db``."""
    return config.storage or f"{SQLITE_PREFIX}{paths.optuna_db}"


class StaleTrialCallback:
    """What happens to a trial failed because its process died: its runs are closed, it is retried.

    ``on_failed`` (when given) gets the failed trial and ``cause`` (why it counts as dead, in
    words) first, to close its MLflow runs; then the trial is re-queued as WAITING with the same
    hyperparameters by Optuna's :class:`~optuna.storages.RetryHeartbeatStaleTrialCallback`, at
    most ``max_trial_retries`` times per original trial, without the dead process's attributes
    and run id. ``cause`` defaults to the heartbeat's: silent for longer than the grace period.
    """

    def __init__(
        self,
        config: HpoConfig,
        on_failed: Callable[[FrozenTrial, str], None] | None = None,
        *,
        cause: str | None = None,
    ) -> None:
        import optuna

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            self._retry = optuna.storages.RetryHeartbeatStaleTrialCallback(
                max_retry=config.max_trial_retries
            )
        self.on_failed = on_failed
        self.cause = cause or f"no heartbeat for more than {config.grace_period} s"

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        if self.on_failed is not None:
            try:
                self.on_failed(trial, self.cause)
            except store_errors():
                logger.exception("could not close the runs of failed trial %d", trial.number)
        retried = copy.deepcopy(trial)
        for name in (HOST_ATTR, PID_ATTR, RUN_ID_ATTR):
            retried.user_attrs.pop(name, None)
        self._retry(study, retried)


def _engine_kwargs(url: str) -> dict[str, Any]:
    if sqlite_path(url) is None:
        return {}
    return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}}


def _rdb_storage(
    url: str,
    config: HpoConfig,
    on_failed_trial: Callable[[FrozenTrial, str], None] | None,
    *,
    skip_table_creation: bool,
) -> RDBStorage:
    import optuna

    # Optuna answers a store written by a newer Optuna with "optuna storage upgrade", which
    # cannot help: say which side to upgrade first.
    check_store_schema(url, OPTUNA)

    with warnings.catch_warnings():
        # Optuna marks the heartbeat experimental; it is what makes dead workers' trials retried.
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.RDBStorage(
            url,
            engine_kwargs=_engine_kwargs(url),
            heartbeat_interval=config.heartbeat_interval_s,
            grace_period=config.grace_period,
            heartbeat_stale_trial_callback=StaleTrialCallback(config, on_failed_trial),
            skip_table_creation=skip_table_creation,
        )


def open_storage(
    url: str,
    config: HpoConfig,
    *,
    on_failed_trial: Callable[[FrozenTrial, str], None] | None = None,
) -> RDBStorage:
    """Open the RDB storage at ``url`` (creating its tables once) with heartbeat and retries.

    Optuna's tables are created under :func:`~resume_ner.tracking.locks.store_init_lock`, so
    any number of processes may open a new storage at once. A trial whose heartbeat is older
    than the grace period is failed by the next worker that starts a trial and handled by
    :class:`StaleTrialCallback` (``on_failed_trial`` gets the trial and the cause, and closes
    its runs). SQLite connections wait :data:`SQLITE_BUSY_TIMEOUT_S` for other writers.
    Raises :class:`~resume_ner.tracking.schema.StoreSchemaError` when the storage's schema and
    the installed Optuna disagree, what :class:`optuna.storages.RDBStorage` raises for an
    unreachable or incompatible
    database, ``TimeoutError`` when another process holds the lock for too long.
    """
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    with store_init_lock(url):
        return _rdb_storage(url, config, on_failed_trial, skip_table_creation=False)


def open_existing_storage(url: str, config: HpoConfig) -> RDBStorage | None:
    """The storage at ``url`` when it holds Optuna's tables, else ``None`` (reads only).

    For ``--plan``: an SQLite file that does not exist is not created, and a database without
    Optuna's schema (a new PostgreSQL database) holds no study yet. Raises
    :class:`~resume_ner.tracking.schema.StoreSchemaError` as :func:`open_storage` does, and what
    SQLAlchemy and
    Optuna raise for an unreachable or incompatible database.
    """
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return None
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool, **_engine_kwargs(url))
    try:
        has_schema = inspect(engine).has_table(OPTUNA_VERSION_TABLE)
    finally:
        engine.dispose()
    if not has_schema:
        return None
    return _rdb_storage(url, config, None, skip_table_creation=True)


def record_trial_process(trial: optuna.Trial, host: str) -> None:
    """Record this process's ``host`` and pid on ``trial`` so that its death can be told."""
    trial.set_user_attr(HOST_ATTR, host)
    trial.set_user_attr(PID_ATTR, os.getpid())


def is_dead_local_trial(
    trial: FrozenTrial, host: str, *, grace_period_s: float | None = None
) -> bool:
    """Whether RUNNING ``trial`` was started by a process of this machine (``host``) that is gone.

    A trial of another host is not judged here (the heartbeat covers it). A trial without a
    recorded process (its process died between creating it and starting it, before even a
    heartbeat) counts as dead once it is older than ``grace_period_s``: Optuna's heartbeat
    never fails a trial that never beat.
    """
    from optuna.trial import TrialState

    if trial.state != TrialState.RUNNING:
        return False
    started = (
        trial.datetime_start.timestamp() if isinstance(trial.datetime_start, datetime) else None
    )
    pid = trial.user_attrs.get(PID_ATTR)
    if HOST_ATTR not in trial.user_attrs and pid is None:
        return (
            grace_period_s is not None
            and started is not None
            and time.time() - started > grace_period_s
        )
    if trial.user_attrs.get(HOST_ATTR) != host or not isinstance(pid, int):
        return False
    return not is_process_alive(pid, started_before_s=started)


def find_dead_local_trials(
    study: optuna.Study, host: str, grace_period_s: float | None = None
) -> list[FrozenTrial]:
    """The RUNNING trials of ``study`` whose process on this machine (``host``) is gone (reads
    only).

    With ``grace_period_s``, also those that never recorded a process and are older than that.
    """
    from optuna.trial import TrialState

    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    return [
        trial
        for trial in running
        if is_dead_local_trial(trial, host, grace_period_s=grace_period_s)
    ]


def fail_dead_local_trials(
    study: optuna.Study,
    storage: RDBStorage,
    config: HpoConfig,
    host: str,
    on_failed_trial: Callable[[FrozenTrial, str], None] | None = None,
) -> list[DeadTrial]:
    """Fail the RUNNING trials whose process on this machine (``host``) died, and re-queue each
    one.

    Each is set FAIL and handed to :class:`StaleTrialCallback` (``on_failed_trial`` first,
    then a WAITING retry with the same hyperparameters). A trial another process failed first
    is skipped. Returns what was done.
    """
    import optuna
    from optuna.trial import TrialState

    callback = StaleTrialCallback(config, on_failed_trial, cause="its process is gone")
    study_id = storage.get_study_id_from_name(study.study_name)
    done = []
    for trial in find_dead_local_trials(study, host, config.grace_period):
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
        try:
            if not storage.set_trial_state_values(trial_id, state=TrialState.FAIL):
                continue
        except optuna.exceptions.UpdateFinishedTrialError:
            continue
        failed = copy.deepcopy(storage.get_trial(trial_id))
        pid = int(failed.user_attrs.get(PID_ATTR, 0))
        before = len(study.get_trials(deepcopy=False, states=(TrialState.WAITING,)))
        callback(study, failed)
        retried = len(study.get_trials(deepcopy=False, states=(TrialState.WAITING,))) > before
        logger.warning(
            "trial %d of study %s was RUNNING in process %d, which is gone: failed%s",
            trial.number,
            study.study_name,
            pid,
            " and re-queued" if retried else "",
        )
        done.append(DeadTrial(trial.number, pid, retried))
    return done
