"""The trial budget: a study gets exactly its target number of finished trials.

Optuna's ``n_trials`` counts the trials one ``optimize`` call runs, not the trials a study
holds; a resumed sweep or several workers would overshoot. Here a worker *claims* a trial
before Optuna creates it: under a lock held in the index backend, shared by every worker on
every machine, it counts the trials that are finished (COMPLETE, PRUNED) or under way (RUNNING)
and only starts another while that count is below the target. The count is read from the study
itself, so it is never out of step with it: a trial failed by a dead worker stops counting the
moment it fails. A WAITING trial (a failed trial re-queued with the same
hyperparameters) is what Optuna starts first, but it obeys the same count: the trial it replaces
no longer counts once failed, and a second retry of one failure (two processes failing the same
stale trial at once) must not push the study past its target. The lock is released as
soon as the new trial exists in the storage (first thing in the objective), so trials run in
parallel and only their creation is serialised.

The lock is the backend's (:meth:`~resume_ner.tracking.index.base.IndexBackend.lock`): a file
lock for the file backend (one machine), a PostgreSQL advisory lock for the SQL backend (any
number of machines). Both are freed when their process dies, so a worker killed while it
claims blocks no one.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from resume_ner.hpo.study import TrialCounts, count_trials
from resume_ner.tracking.locks import ProcessLock

if TYPE_CHECKING:
    import optuna

    from resume_ner.tracking.index.base import IndexBackend

#: Seconds a worker waits for another worker to create its trial.
CLAIM_TIMEOUT_S = 600.0


def budget_lock_name(study_name: str) -> str:
    """The name of the backend lock that guards the trial budget of ``study_name``."""
    return f"hpo-budget:{study_name}"


class TrialBudget:
    """Claims trials of ``study`` for this worker until ``target`` trials are finished or under way.

    ``lock`` is the budget's lock, the same for every worker of the study (see
    :func:`budget_lock_name`); ``deadline`` (a ``time.monotonic()`` value) stops further
    claims once passed.
    """

    def __init__(
        self,
        study: optuna.Study,
        target: int,
        lock: ProcessLock,
        *,
        deadline: float | None = None,
    ) -> None:
        self.study = study
        self.target = target
        self.deadline = deadline
        self._lock = lock
        self._held = False

    @classmethod
    def in_backend(
        cls,
        study: optuna.Study,
        target: int,
        backend: IndexBackend,
        *,
        deadline: float | None = None,
    ) -> TrialBudget:
        """The budget of ``study`` guarded by its lock in the index ``backend``."""
        lock = backend.lock(budget_lock_name(study.study_name), timeout_s=CLAIM_TIMEOUT_S)
        return cls(study, target, lock, deadline=deadline)

    def counts(self) -> TrialCounts:
        """The study's trial counts now."""
        return count_trials(self.study)

    def has_room(self, counts: TrialCounts | None = None) -> bool:
        """Whether another trial may start: finished plus running trials are below the target
        (and the deadline, if any, has not passed)."""
        if self.expired():
            return False
        counts = counts or self.counts()
        return counts.finished + counts.running < self.target

    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return self.deadline is not None and time.monotonic() >= self.deadline

    def claim(self) -> bool:
        """Take the lock and keep it when there is room for a trial; return whether there is.

        The caller starts exactly one trial after a successful claim and calls :meth:`release`
        as soon as that trial exists (and in any case when it is done). Raises
        ``TimeoutError`` when another worker holds the lock for too long.
        """
        self._lock.acquire()
        self._held = True
        if self.has_room():
            return True
        self.release()
        return False

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the lock without claiming a trial: failing a stale trial and re-queueing it must
        not interleave with a claim, or a worker could count the failed trial as gone before
        its retry exists, start a new trial in its place, and leave the retry WAITING forever.
        """
        with self._lock:
            yield

    def release(self) -> None:
        """Release the claim (does nothing when none is held)."""
        if self._held:
            self._held = False
            self._lock.release()
