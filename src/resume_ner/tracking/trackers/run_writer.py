"""The background run writer: one daemon thread per tracking session that performs tracking calls
in order.

A tracker in background mode hands its MLflow work (create a run, log a batch, end a run, and
the run index and version counter work that goes with them) to its session's writer
(:meth:`~resume_ner.tracking.context.TrackingContext.run_writer`) and goes on; the writer
performs the operations one after the other, in the order they were submitted, so a run is
always created before it is logged into and ended. :class:`QueuedRun` stands for a run whose
creation is queued: its id is there once the writer has created it.

Nothing queued is lost when the session is closed: :meth:`RunWriter.close` performs what is
queued before it stops. A process killed outright, or one that never closes its session, loses
what was still queued; the runs already created are left RUNNING with this process's host and
pid tags, which is what :func:`~resume_ner.tracking.cleanup.cleanup_interrupted_runs` looks for.
"""

from __future__ import annotations

import queue
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, TypeVar

from resume_ner.tracking.errors import TrackingError

if TYPE_CHECKING:
    from resume_ner.tracking.stage_runs import StageRun

#: Operations that may wait in the queue before submitting blocks (a brake when the store is
#: far slower than the program producing the work).
DEFAULT_MAX_PENDING = 10_000

T = TypeVar("T")


class QueuedRun:
    """A run whose creation was submitted to the background writer.

    ``key`` names the run inside its tracker until (and after) it exists. :attr:`run_id` and
    :meth:`stage_run` wait for the writer to create the run.
    """

    def __init__(self, future: Future[StageRun], key: str | None = None) -> None:
        self.key = key or new_handle_key()
        self._future = future

    @classmethod
    def of(cls, stage_run: StageRun, key: str | None = None) -> QueuedRun:
        """A handle for a run that already exists."""
        future: Future[StageRun] = Future()
        future.set_result(stage_run)
        return cls(future, key)

    def add_done_callback(self, callback: Callable[[Future[StageRun]], object]) -> None:
        """Call ``callback`` with the creation's future once it is done (at once if it is)."""
        self._future.add_done_callback(callback)

    def done(self) -> bool:
        """Whether the writer has tried to create the run (successfully or not)."""
        return self._future.done()

    def failed(self) -> bool:
        """Whether creating the run was tried and failed."""
        return self._future.done() and self._future.exception() is not None

    def stage_run(self, timeout: float | None = None) -> StageRun:
        """The created run, waiting up to ``timeout`` seconds (``None``: as long as it takes).

        Raises what creating the run raised (for example
        :class:`~resume_ner.tracking.errors.RunCreationError`) and :class:`TimeoutError`.
        """
        return self._future.result(timeout)

    @property
    def run_id(self) -> str:
        """The MLflow run id, waiting for the run to be created (see :meth:`stage_run`)."""
        return self.stage_run().run_id

    def __repr__(self) -> str:
        if not self._future.done():
            return f"QueuedRun({self.key}, pending)"
        if self._future.exception() is not None:
            return f"QueuedRun({self.key}, failed)"
        return f"QueuedRun({self.key}, run_id={self._future.result().run_id})"


def new_handle_key() -> str:
    """A fresh name for a run whose MLflow id is not known yet."""
    return f"pending-{uuid.uuid4().hex}"


class RunWriter:
    """A daemon thread that performs submitted operations one at a time, in submission order.

    ``max_pending`` bounds the queue: submitting waits while it is full.
    """

    def __init__(self, *, max_pending: int = DEFAULT_MAX_PENDING) -> None:
        self._queue: queue.Queue[tuple[Future, Callable[[], object]] | None] = queue.Queue(
            maxsize=max_pending
        )
        self._closed = False
        # Closing and queueing exclude each other, so nothing is queued behind the stop marker.
        self._closing = threading.Lock()
        self._thread = threading.Thread(
            target=self._work, name="resume-ner-run-writer", daemon=True
        )
        self._thread.start()

    def submit(self, operation: Callable[[], T]) -> Future[T]:
        """Queue ``operation``; the returned future holds its result or its exception.

        An operation submitted from the writer's own thread runs at once (it would otherwise
        wait for itself). Raises :class:`~resume_ner.tracking.errors.TrackingError` once the
        writer is closed.
        """
        future: Future[T] = Future()
        if threading.current_thread() is self._thread:
            _run(future, operation)
            return future
        with self._closing:
            if self._closed:
                raise TrackingError(
                    "the tracking session is closed: its run writer takes no more work"
                )
            self._queue.put((future, operation))
        return future

    def pending(self) -> int:
        """About how many operations wait in the queue."""
        return self._queue.qsize()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every operation submitted before this call is done; whether it was in time."""
        if threading.current_thread() is self._thread or self._closed:
            return True
        marker = self.submit(lambda: None)
        try:
            marker.result(timeout)
        except TimeoutError:
            return False
        return True

    def close(self, timeout: float | None = None) -> bool:
        """Perform what is queued, then stop the thread; whether it finished in time."""
        with self._closing:
            if self._closed:
                return True
            self._closed = True
            self._queue.put(None)
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            future, operation = item
            _run(future, operation)


def _run(future: Future, operation: Callable[[], object]) -> None:
    if not future.set_running_or_notify_cancel():
        return
    try:
        result = operation()
    except BaseException as exc:
        future.set_exception(exc)
    else:
        future.set_result(result)
