"""The tracking context: everything a stage needs to create and find its runs, opened once.

A :class:`TrackingContext` is the tracking session of a command or a worker process: it owns
the MLflow client, the index backend, the background run writer and the shared sweep tracker,
and it is the only holder of that state. Open it with :meth:`TrackingContext.open` and close it
(it is a context manager): closing writes what its background trackers queued, then releases
the index backend.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from resume_ner.config.mlflow import MlflowConfig
from resume_ner.config.paths import ProjectPaths
from resume_ner.config.project import ProjectConfig
from resume_ner.naming.policy import NamingPolicy, build_mlflow_experiment_name
from resume_ner.naming.tags import TagsRegistry
from resume_ner.tracking.errors import TrackingError
from resume_ner.tracking.index.base import IndexBackend, ProcessId
from resume_ner.tracking.liveness import host_name, login_name
from resume_ner.tracking.liveness import process_tags as read_process_tags
from resume_ner.tracking.trackers.run_writer import RunWriter

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

    from resume_ner.tracking.store.client import ClientStoreReader
    from resume_ner.tracking.trackers.sweep import MLflowSweepTracker

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class TrackingContext:
    """An MLflow client with the configuration, naming policy, tag registry and index it uses.

    Library code receives this object instead of reading configuration, the environment or
    MLflow's global state itself. ``index`` holds both the run index and the version counter,
    and knows the machine name this session records (:attr:`host`); ``process_tags`` (host,
    pid, start time: read once) go on every run this session creates; ``environ`` is the
    command's environment it was opened with (what a benchmark's fingerprint records), and
    ``user`` the login name taken from it (each run's ``created_by`` tag).
    The run writer and the sweep tracker are created on first use. Use it as a context
    manager, or call :meth:`close`; once closed, it takes no more background work.
    """

    client: MlflowClient
    tracking_uri: str
    project: ProjectConfig
    policy: NamingPolicy
    registry: TagsRegistry
    index: IndexBackend
    paths: ProjectPaths
    artifact_root: Path | None = None
    is_azure: bool = False
    process_tags: Mapping[str, str] = field(default_factory=dict, repr=False)
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)
    user: str = ""
    _experiment_ids: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False)
    _writer: RunWriter | None = field(default=None, init=False, repr=False)
    _sweep_tracker: MLflowSweepTracker | None = field(default=None, init=False, repr=False)
    _closed: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.process_tags:
            self.process_tags = read_process_tags(self.host)
        if not self.user:
            self.user = login_name(self.environ)

    @classmethod
    def open(
        cls,
        paths: ProjectPaths,
        project: ProjectConfig,
        *,
        environ: Mapping[str, str],
        tracking_uri: str | None = None,
    ) -> TrackingContext:
        """Set MLflow up for ``project``'s ``mlflow.yaml`` and open the index backend, rebuilding
        the index from the store when it was never built (new, deleted or set aside as damaged).

        ``environ`` (the command's environment, read here once) may name the tracking store
        (``MLFLOW_TRACKING_URI``, Azure ML settings), this machine (``RESUME_NER_HOST``,
        else its host name) and the user (``LOGNAME``, ``USER``, ...).
        The caller closes the session it opened (``with TrackingContext.open(...) as tracking``).
        """
        from mlflow.tracking import MlflowClient

        from resume_ner.tracking.index.backends import open_index_backend
        from resume_ner.tracking.index.run_index import ensure_index_built
        from resume_ner.tracking.setup import setup_mlflow

        config = project.mlflow
        setup = setup_mlflow(config, paths=paths, tracking_uri=tracking_uri, environ=environ)
        session = cls(
            client=MlflowClient(tracking_uri=setup.tracking_uri),
            tracking_uri=setup.tracking_uri,
            project=project,
            policy=NamingPolicy.from_project(project),
            registry=TagsRegistry(project.tags),
            index=open_index_backend(config.index, paths, host=host_name(environ)),
            paths=paths,
            artifact_root=setup.artifact_root,
            is_azure=setup.is_azure,
            environ=dict(environ),
            user=login_name(environ),
        )
        try:
            ensure_index_built(
                session.index,
                session.reader,
                registry=session.registry,
                policy=session.policy,
                max_entries=config.index.max_entries,
            )
        except BaseException:
            session.close()
            raise
        return session

    @property
    def host(self) -> str:
        """The machine name this session records (run tags, heartbeats, leases)."""
        return self.index.host

    @property
    def process(self) -> ProcessId:
        """This process as others see it through this session: :attr:`host` and its pid."""
        return self.index.process

    @property
    def reader(self) -> ClientStoreReader:
        """The store reader of this session's client (runs as MLflow returns them)."""
        from resume_ner.tracking.store.client import ClientStoreReader

        return ClientStoreReader(self.client)

    @property
    def config(self) -> MlflowConfig:
        """The project's ``mlflow.yaml``."""
        return self.project.mlflow

    def experiment_id_for(self, process_type: str) -> str:
        """The id of the experiment runs of ``process_type`` belong to (created when missing)."""
        from resume_ner.tracking.experiments import experiment_description
        from resume_ner.tracking.runs import get_or_create_experiment
        from resume_ner.tracking.setup import experiment_artifact_location

        name = build_mlflow_experiment_name(process_type, self.policy)
        if name not in self._experiment_ids:
            self._experiment_ids[name] = get_or_create_experiment(
                self.client,
                name,
                artifact_location=experiment_artifact_location(self.artifact_root, name),
                description=experiment_description(name, self.policy),
            )
        return self._experiment_ids[name]

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def run_writer(self) -> RunWriter:
        """This session's background run writer, started on first use.

        Raises :class:`~resume_ner.tracking.errors.TrackingError` once the session is closed.
        """
        with self._lock:
            self._check_open()
            if self._writer is None:
                self._writer = RunWriter()
            return self._writer

    def sweep_tracker(self) -> MLflowSweepTracker:
        """This session's sweep tracker (synchronous), created on first use.

        A trial's hyperparameters wait in its tracker for the trial's one result batch; code
        that starts and ends the same trial must therefore use the same tracker, which this
        returns. Raises :class:`~resume_ner.tracking.errors.TrackingError` once the session is
        closed.
        """
        from resume_ner.tracking.trackers.sweep import MLflowSweepTracker

        with self._lock:
            self._check_open()
            if self._sweep_tracker is None:
                self._sweep_tracker = MLflowSweepTracker(self)
            return self._sweep_tracker

    def close(self) -> None:
        """Write what the background trackers queued, stop the run writer and release the
        index backend. Closing again does nothing."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            writer, self._writer = self._writer, None
        if writer is not None:
            pending = writer.pending()
            if pending:
                logger.info("writing %d queued tracking operations before closing", pending)
            writer.close()
        self.index.close()

    def __enter__(self) -> TrackingContext:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise TrackingError("the tracking session is closed: open a new one to track more")
