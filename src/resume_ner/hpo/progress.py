"""What a sweep reports while it runs: trials and folds starting and ending.

The sweep calls a :class:`SweepProgress`; the CLI draws progress bars from it, library callers
may ignore it (the base class does nothing). Worker processes forward their events through a
queue to the process that shows them (:class:`QueueProgress`, :func:`forward_events`).
"""

from __future__ import annotations

import queue
from collections.abc import Mapping
from typing import Any


class SweepProgress:
    """Receives a sweep's events; every method does nothing unless overridden."""

    def sweep_started(
        self, backbone: str, study_name: str, *, target: int, finished: int, n_folds: int
    ) -> None:
        """The sweep of ``backbone`` starts with ``finished`` of ``target`` trials done."""

    def trial_started(self, number: int, params: Mapping[str, Any]) -> None:
        """Trial ``number`` starts with ``params``."""

    def fold_finished(self, number: int, fold_idx: int, value: float | None) -> None:
        """Fold ``fold_idx`` of trial ``number`` ended with objective ``value``."""

    def trial_finished(self, number: int, state: str, value: float | None) -> None:
        """Trial ``number`` ended in ``state`` (COMPLETE, PRUNED, FAIL) with ``value``."""

    def note(self, text: str) -> None:
        """Something worth telling (a resumed run, a re-queued trial, a skipped refit)."""


class QueueProgress(SweepProgress):
    """Forwards every event into a (multiprocessing) queue as ``(method name, args, kwargs)``."""

    def __init__(self, events: Any) -> None:
        self.events = events

    def _put(self, name: str, *args: Any, **kwargs: Any) -> None:
        self.events.put((name, args, kwargs))

    def sweep_started(
        self, backbone: str, study_name: str, *, target: int, finished: int, n_folds: int
    ) -> None:
        self._put(
            "sweep_started", backbone, study_name, target=target, finished=finished, n_folds=n_folds
        )

    def trial_started(self, number: int, params: Mapping[str, Any]) -> None:
        self._put("trial_started", number, dict(params))

    def fold_finished(self, number: int, fold_idx: int, value: float | None) -> None:
        self._put("fold_finished", number, fold_idx, value)

    def trial_finished(self, number: int, state: str, value: float | None) -> None:
        self._put("trial_finished", number, state, value)

    def note(self, text: str) -> None:
        self._put("note", text)


def forward_events(events: Any, progress: SweepProgress, *, timeout_s: float = 0.2) -> int:
    """Replay the events waiting in ``events`` on ``progress``; return how many there were.

    Waits up to ``timeout_s`` for the first event, then takes what is there without waiting.
    """
    forwarded = 0
    wait = timeout_s
    while True:
        try:
            name, args, kwargs = events.get(timeout=wait) if wait else events.get_nowait()
        except queue.Empty:
            return forwarded
        getattr(progress, name)(*args, **kwargs)
        forwarded += 1
        wait = 0
