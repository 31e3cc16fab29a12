"""What every stage tracker shares: starting, logging into and ending its runs.

A tracker starts runs through :func:`~resume_ner.tracking.stage_runs.start_stage_run`, logs
through :func:`~resume_ner.tracking.batching.log_batch_chunked` and ends runs through
:func:`~resume_ner.tracking.lifecycle.terminate_run_safe`. Values a stage knows early but need
not store at once (a trial's hyperparameters) can be *deferred*: they travel with the run's next
batch or with its end, so that a short run costs the minimum of MLflow calls: ``create_run``
with all tags, one ``log_batch``, one ``set_terminated``.

In *background mode* (``synchronous=False``) all of that MLflow work is done by the tracking
session's :mod:`run writer <resume_ner.tracking.trackers.run_writer>`, in the order it was asked
for; closing the session writes what is still queued.
:meth:`BaseTracker.submit_run` queues a run's creation and returns a
:class:`~resume_ner.tracking.trackers.run_writer.QueuedRun` at once; logging into and ending a
run given by its handle is queued too, so the caller is not held up by the store at all. Work on
a run given by its id is queued as well and waited for, so it keeps its place in the order and
its errors reach the caller.

Tags are named by their tag-registry name (``"section.name"``, see ``tags.yaml``); an unknown
name raises :class:`~resume_ner.naming.errors.TagKeyError`.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from resume_ner.config.mlflow import StageTracking
from resume_ner.naming.context import NamingContext
from resume_ner.tracking.artifacts.uploader import ArtifactUploader
from resume_ner.tracking.batching import MetricsInput, log_batch_chunked
from resume_ner.tracking.context import TrackingContext
from resume_ner.tracking.errors import RunCreationError, store_errors
from resume_ner.tracking.lifecycle import terminate_run_safe
from resume_ner.tracking.setup import portable_tracking_uri
from resume_ner.tracking.spool import PendingValues, stamp_metrics
from resume_ner.tracking.stage_runs import StageRun, start_stage_run
from resume_ner.tracking.trackers.run_writer import (
    QueuedRun,
    RunWriter,
    new_handle_key,
)

if TYPE_CHECKING:
    from concurrent.futures import Future

    from mlflow.tracking import MlflowClient

    from resume_ner.tracking.breaker import CircuitBreaker

logger = logging.getLogger(__name__)

METADATA_FILE_NAME = "metadata.json"
#: Azure ML refuses more params than this on one run.
AZURE_MAX_PARAMS_PER_RUN = 200
#: Longest text of a failure kept in the ``process.status_note`` tag.
STATUS_NOTE_MAX_LENGTH = 200

#: A run a tracker works on: its MLflow run id, or the handle of a run whose creation it queued.
RunRef = str | QueuedRun

_T = TypeVar("_T")


def write_run_metadata(output_dir: Path | str, stage_run: StageRun, tracking_uri: str) -> Path:
    """Record the run a stage output folder belongs to in ``<output_dir>/metadata.json``.

    Writes the ``mlflow`` block (``run_id``, ``experiment_id``, ``tracking_uri``, ``run_key``,
    ``run_key_hash``, ``run_name``) and keeps every other key of an existing file; a file that
    is not a JSON object is replaced (with a warning). The write is atomic: readers see the
    old or the new file, never half of one. Raises :class:`OSError` when the folder cannot be
    written.
    """
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / METADATA_FILE_NAME
    document: dict[str, Any] = {}
    if path.exists():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            logger.warning("replacing unreadable %s: %s", path, exc)
        else:
            if isinstance(loaded, dict):
                document = loaded
            else:
                logger.warning("replacing %s: it does not hold a JSON object", path)
    document["mlflow"] = {
        "run_id": stage_run.run_id,
        "experiment_id": stage_run.experiment_id,
        "tracking_uri": tracking_uri,
        "run_key": stage_run.run_key,
        "run_key_hash": stage_run.run_key_hash,
        "run_name": stage_run.run_name,
    }
    handle, temporary = tempfile.mkstemp(prefix=f".{METADATA_FILE_NAME}.", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(document, stream, indent=2, sort_keys=True)
            stream.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


class BaseTracker:
    """Starts, logs into and ends the runs of one pipeline stage.

    ``stage`` names the stage's switches in ``mlflow.yaml`` (``tracking.<stage>``). When the
    stage is disabled every ``start_*`` and ``submit_*`` method returns ``None`` and every
    method given a ``None`` run does nothing, so callers need no branches. With
    ``synchronous=False`` the tracker works in background mode (see the module docstring):
    creating, logging into and ending runs given by a :class:`QueuedRun` never waits for the
    store, and :meth:`drain` waits for what is queued. Methods taking a run accept its id or
    the handle :meth:`submit_run` returned; refer to a run by its handle throughout once it was
    submitted. One tracker may be used from several threads.
    """

    stage: ClassVar[str] = ""
    #: Holds calls while the store is down; trackers that spool what they owe set one.
    breaker: CircuitBreaker | None = None

    def __init__(self, tracking: TrackingContext, *, synchronous: bool = True) -> None:
        if not self.stage:
            raise TypeError(f"{type(self).__name__} must set the class attribute 'stage'")
        tracking.config.tracking.for_stage(self.stage)
        self.tracking = tracking
        self.synchronous = synchronous
        self._writer: RunWriter | None = None if synchronous else tracking.run_writer()
        self._lock = threading.Lock()
        self._runs: dict[str, StageRun] = {}
        self._experiment_ids: dict[str, str] = {}
        self._pending: dict[str, PendingValues] = {}
        self._param_counts: dict[str, int] = {}
        # Run id -> handle key of runs created from a handle, so that either names the run.
        self._aliases: dict[str, str] = {}
        self._failures: list[BaseException] = []

    # --- configuration ---------------------------------------------------------------------

    @property
    def client(self) -> MlflowClient:
        """The MLflow client runs are created and logged through."""
        return self.tracking.client

    @property
    def switches(self) -> StageTracking:
        """This stage's switches (``tracking.<stage>`` in ``mlflow.yaml``)."""
        return self.tracking.config.tracking.for_stage(self.stage)

    @property
    def enabled(self) -> bool:
        """Whether this stage creates runs at all."""
        return self.switches.enabled

    @property
    def background(self) -> bool:
        """Whether MLflow work is done by the session's run writer (``synchronous=False``)."""
        return self._writer is not None

    def uploader(self, run_id: str) -> ArtifactUploader:
        """An :class:`ArtifactUploader` for ``run_id`` honouring this stage's switches."""
        return ArtifactUploader(
            self.client,
            run_id,
            self.switches,
            secret_file_patterns=self.tracking.config.artifacts.secret_file_patterns,
        )

    def stage_run(self, run: RunRef) -> StageRun | None:
        """The identity of a run this tracker started and has not ended yet, else ``None``
        (also for a handle whose run is not created yet)."""
        if isinstance(run, QueuedRun):
            if not run.done() or run.failed():
                return None
            run = run.run_id
        with self._lock:
            return self._runs.get(run)

    # --- starting --------------------------------------------------------------------------

    def start_run(
        self,
        context: NamingContext,
        *,
        parent_run_id: str | None = None,
        tags: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        defer_params: bool = False,
        output_dir: Path | str | None = None,
    ) -> StageRun | None:
        """Create the run of ``context`` (nested under ``parent_run_id`` when given).

        A child of a run whose experiment this tracker knows (one it started, or the parent of
        an earlier child) is created in one MLflow call, without reading the parent.

        ``tags`` (registry names) are set in the creating call. ``params`` are logged in one
        batch right away, or with the run's next batch when ``defer_params`` is set. With
        ``output_dir`` the run is recorded in ``<output_dir>/metadata.json``. Returns ``None``
        when the stage is disabled; in background mode it waits for the writer to create the
        run. Raises what :func:`start_stage_run` raises; when a step after the run's creation
        fails, the run is ended FAILED before the error propagates.
        """
        if not self.enabled:
            return None
        folder = Path(output_dir) if output_dir is not None else None
        stage_run = self._perform(
            "",
            lambda: self._create(context, parent_run_id, tags, folder, key=None),
            "create a run",
        )
        assert stage_run is not None
        try:
            if params:
                if defer_params:
                    self.defer(stage_run.run_id, params=params)
                else:
                    self.log(stage_run.run_id, params=params)
            if output_dir is not None:
                write_run_metadata(
                    output_dir,
                    stage_run,
                    portable_tracking_uri(self.tracking.tracking_uri, self.tracking.paths),
                )
        except BaseException as exc:
            self._end_after_error(stage_run.run_id, exc)
            raise
        return stage_run

    def submit_run(
        self,
        context: NamingContext,
        *,
        parent: RunRef | None = None,
        tags: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        defer_params: bool = False,
    ) -> QueuedRun | None:
        """Have the run of ``context`` created (nested under ``parent``); return its handle.

        In background mode the creation is queued and this returns at once; the run's name
        version, tags and index entry are as :meth:`start_run` makes them. A failed creation is
        logged, kept for :meth:`drain`, and raised by the handle's
        :attr:`~QueuedRun.run_id`; work queued for the run afterwards is skipped. Otherwise the
        run is created before this returns (and errors propagate as from :meth:`start_run`).
        ``params`` are deferred to the run's next batch with ``defer_params``, else logged
        once it exists. Returns ``None`` when the stage is disabled.
        """
        if not self.enabled:
            return None
        key = new_handle_key()
        if params and defer_params:
            self._defer(key, params=params)

        def create() -> StageRun:
            parent_run_id = None if parent is None else self._parent_run_id(parent)
            return self._create(context, parent_run_id, tags, None, key=key)

        if self._writer is None:
            try:
                handle = QueuedRun.of(create(), key)
            except BaseException:
                with self._lock:
                    self._pending.pop(key, None)
                raise
        else:
            handle = QueuedRun(self._writer.submit(create), key)
            handle.add_done_callback(
                lambda future: self._creation_done(future, key, context.process_type)
            )
        if params and not defer_params:
            self.log(handle, params=params)
        return handle

    def _parent_run_id(self, parent: RunRef) -> str:
        if not isinstance(parent, QueuedRun):
            return parent
        try:
            return parent.run_id
        except store_errors() as exc:
            raise RunCreationError(f"its parent run {parent.key} was not created: {exc}") from exc

    def _create(
        self,
        context: NamingContext,
        parent_run_id: str | None,
        tags: Mapping[str, Any] | None,
        output_dir: Path | None,
        *,
        key: str | None,
    ) -> StageRun:
        with self._lock:
            parent_experiment_id = self._experiment_ids.get(parent_run_id or "")
        stage_run = start_stage_run(
            self.tracking,
            context,
            parent_run_id=parent_run_id,
            parent_experiment_id=parent_experiment_id,
            extra_tags=tags,
            output_dir=output_dir,
        )
        with self._lock:
            self._runs[stage_run.run_id] = stage_run
            self._experiment_ids[stage_run.run_id] = stage_run.experiment_id
            if parent_run_id:
                # A child lives in its parent's experiment, so its siblings (a sweep started by
                # another worker included) need not read the parent run to learn it.
                self._experiment_ids[parent_run_id] = stage_run.experiment_id
            if key is not None:
                self._aliases[stage_run.run_id] = key
        return stage_run

    def _creation_done(self, future: Future[StageRun], key: str, process_type: str) -> None:
        exc = future.exception()
        if exc is None:
            return
        with self._lock:
            self._pending.pop(key, None)
            self._failures.append(exc)
        logger.error("could not create the %s run %s: %s", process_type, key, exc, exc_info=exc)

    # --- background work -------------------------------------------------------------------

    def _perform(self, run: RunRef, operation: Callable[[], _T], what: str) -> _T | None:
        """Do ``operation`` now, or in background mode on the run writer: waited for unless
        ``run`` is a handle, whose failures are logged and kept for :meth:`drain` instead."""
        if self._writer is None:
            return operation()
        future = self._writer.submit(operation)
        if not isinstance(run, QueuedRun):
            return future.result()
        future.add_done_callback(lambda done: self._background_done(done, run, what))
        return None

    def _background_done(self, future: Future[Any], run: QueuedRun, what: str) -> None:
        exc = future.exception()
        if exc is None:
            return
        with self._lock:
            self._failures.append(exc)
        logger.error("could not %s run %s: %s", what, run, exc, exc_info=exc)

    def drain(self, timeout: float | None = None) -> list[BaseException]:
        """Wait until the run writer has done everything queued so far; return the errors of
        background work since the last call (each was logged when it happened).

        Nothing to wait for outside background mode. Raises :class:`TimeoutError` when the
        writer is not done within ``timeout`` seconds.
        """
        if self._writer is not None and not self._writer.flush(timeout):
            raise TimeoutError(f"tracking work still queued after {timeout} s")
        with self._lock:
            failures, self._failures = self._failures, []
        return failures

    def _key(self, run: RunRef) -> str:
        if isinstance(run, QueuedRun):
            return run.key
        with self._lock:
            return self._aliases.get(run, run)

    @staticmethod
    def _created(run: RunRef) -> str | None:
        """The run id, or ``None`` for a handle whose creation failed (already reported)."""
        if isinstance(run, QueuedRun):
            if run.failed():
                logger.debug("skipping work for run %s, which was not created", run.key)
                return None
            return run.run_id
        return run

    # --- logging ---------------------------------------------------------------------------

    def defer(
        self,
        run: RunRef | None,
        *,
        params: Mapping[str, Any] | None = None,
        metrics: MetricsInput | None = None,
        step: int | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> None:
        """Keep values for the run's next batch (or its end) instead of logging them now."""
        if run is None:
            return
        self._defer(self._key(run), params=params, metrics=metrics, step=step, tags=tags)

    def _defer(
        self,
        key: str,
        *,
        params: Mapping[str, Any] | None = None,
        metrics: MetricsInput | None = None,
        step: int | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> None:
        key_tags = self._tag_keys(tags)
        with self._lock:
            pending = self._pending.setdefault(key, PendingValues())
            pending.add(params=params, metrics=stamp_metrics(metrics, step), tags=key_tags)

    def log(
        self,
        run: RunRef | None,
        *,
        params: Mapping[str, Any] | None = None,
        metrics: MetricsInput | None = None,
        step: int | None = None,
        tags: Mapping[str, Any] | None = None,
    ) -> None:
        """Log values, together with everything deferred for the run, in one batch.

        ``metrics`` is a mapping (all at ``step``, default 0) or ``(name, value, step)``
        tuples; ``tags`` use registry names. Values are prepared as
        :func:`log_batch_chunked` describes. When the batch fails, the deferred values are
        kept for the next attempt and the error propagates (for a handle in background mode it
        is logged and kept for :meth:`drain`).
        """
        if run is None:
            return
        key = self._key(run)
        key_tags = self._tag_keys(tags)
        with self._lock:
            pending = self._pending.pop(key, None) or PendingValues()
        pending.add(params=params, metrics=stamp_metrics(metrics, step), tags=key_tags)

        def send() -> None:
            run_id = self._created(run)
            if run_id is None:
                return
            try:
                self._send(run_id, pending)
            except BaseException:
                with self._lock:
                    self._pending[key] = pending.then(self._pending.pop(key, None))
                raise

        self._perform(run, send, "log into")

    def log_params(self, run: RunRef | None, params: Mapping[str, Any]) -> None:
        """Log ``params`` (with anything deferred) in one batch."""
        self.log(run, params=params)

    def log_metrics(
        self, run: RunRef | None, metrics: MetricsInput, step: int | None = None
    ) -> None:
        """Log ``metrics`` at ``step`` (with anything deferred) in one batch."""
        self.log(run, metrics=metrics, step=step)

    def log_tags(self, run: RunRef | None, tags: Mapping[str, Any]) -> None:
        """Set ``tags`` (registry names; with anything deferred) in one batch."""
        self.log(run, tags=tags)

    def _tag_keys(self, tags: Mapping[str, Any] | None) -> dict[str, Any]:
        registry = self.tracking.registry
        return {registry[name]: value for name, value in (tags or {}).items()}

    def _send(self, run_id: str, pending: PendingValues) -> None:
        if not pending:
            return
        params = self._within_param_cap(run_id, pending.params)
        self._write(run_id, PendingValues(params, pending.metrics, pending.tags))
        with self._lock:
            self._param_counts[run_id] = self._param_counts.get(run_id, 0) + len(params)

    def _write(self, run_id: str, values: PendingValues) -> None:
        """Log ``values`` into the run in as few requests as possible."""
        log_batch_chunked(
            self.client,
            run_id,
            params=values.params,
            metrics=values.metrics,
            tags=values.tags,
            tag_max_length=self.tracking.config.naming.tags.max_length,
            breaker=self.breaker,
        )

    def _terminate(self, run_id: str, status: str, *, check_status: bool) -> bool:
        """End the run with ``status`` (see :func:`terminate_run_safe`); whether MLflow took it."""
        return terminate_run_safe(self.client, run_id, status=status, check_status=check_status)

    def _within_param_cap(self, run_id: str, params: dict[str, Any]) -> dict[str, Any]:
        if not self.tracking.is_azure or not params:
            return params
        with self._lock:
            room = AZURE_MAX_PARAMS_PER_RUN - self._param_counts.get(run_id, 0)
        if len(params) <= room:
            return params
        kept = dict(list(params.items())[: max(room, 0)])
        logger.warning(
            "Azure ML keeps at most %d params per run: not logging %s on run %s",
            AZURE_MAX_PARAMS_PER_RUN,
            sorted(set(params) - set(kept)),
            run_id,
        )
        return kept

    # --- ending ----------------------------------------------------------------------------

    def end_run(
        self,
        run: RunRef | None,
        status: str = "FINISHED",
        *,
        tags: Mapping[str, Any] | None = None,
    ) -> bool:
        """Send what is deferred for the run plus ``tags`` in one batch, then end it.

        A run this tracker started ends with one ``set_terminated`` call; any other run keeps
        its status if it has already ended (:func:`terminate_run_safe`). When the final batch
        fails the run is ended FAILED and the error propagates (for a handle in background
        mode: is logged and kept for :meth:`drain`). Returns whether MLflow accepted the
        status (``True`` for a ``None`` run, and for a handle whose end was queued).
        """
        if run is None:
            return True
        key = self._key(run)
        key_tags = self._tag_keys(tags)
        with self._lock:
            pending = self._pending.pop(key, None) or PendingValues()
        pending.add(tags=key_tags)

        def finish() -> bool:
            run_id = self._created(run)
            if run_id is None:
                return False
            with self._lock:
                owned = self._runs.pop(run_id, None) is not None
                self._experiment_ids.pop(run_id, None)
                self._aliases.pop(run_id, None)
            try:
                self._send(run_id, pending)
            except BaseException:
                self._terminate(run_id, "FAILED", check_status=not owned)
                raise
            finally:
                with self._lock:
                    self._param_counts.pop(run_id, None)
            return self._terminate(run_id, status, check_status=not owned)

        accepted = self._perform(run, finish, f"end ({status})")
        return True if accepted is None else accepted

    def _end_after_error(self, run: RunRef, exc: BaseException) -> None:
        """End a run whose work raised ``exc``: KILLED and tagged when interrupted, else FAILED."""
        note = f"{type(exc).__name__}: {exc}"[:STATUS_NOTE_MAX_LENGTH]
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            status = "KILLED"
            tags = {
                "process.interrupted": "true",
                "process.interrupted_reason": type(exc).__name__,
            }
        else:
            status = "FAILED"
            tags = {"process.status_note": note}
        try:
            self.end_run(run, status, tags=tags)
        except store_errors():
            logger.exception("could not record the end of run %s as %s", run, status)

    @contextmanager
    def managed_run(self, run: RunRef | None) -> Iterator[RunRef | None]:
        """End ``run`` when the block ends: FINISHED, FAILED when it raised, KILLED when
        interrupted.

        A ``KeyboardInterrupt`` or ``SystemExit`` ends the run KILLED with the tags
        ``process.interrupted`` and ``process.interrupted_reason``; any other exception ends
        it FAILED with ``process.status_note``; the exception always propagates. Deferred
        values are sent in every case. Yields ``run`` (``None`` does nothing).
        """
        if run is None:
            yield None
            return
        try:
            yield run
        except BaseException as exc:
            self._end_after_error(run, exc)
            raise
        self.end_run(run, "FINISHED")
