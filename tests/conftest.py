"""Shared fixtures: a real MLflow store in a temporary folder, and a real ``mlflow server``."""

from __future__ import annotations

import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pytest

from resume_ner.config.mlflow import MlflowConfig
from resume_ner.config.paths import ProjectPaths
from resume_ner.config.project import ProjectConfig
from resume_ner.naming.policy import NamingPolicy
from resume_ner.naming.tags import TagsRegistry
from resume_ner.tracking.setup import initialize_store

SERVER_START_TIMEOUT_S = 90.0
#: ``mlflow server``'s environment: without its job runner, which starts about eight processes
#: that each import MLflow (some 25 s of CPU at every start) for GenAI jobs these runs never use.
SERVER_ENV = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}

# Training in tests shares the cores with server and worker subprocesses: OpenMP threads that
# spin while waiting would slow it several-fold (set before torch is imported).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# As the command line does: MLflow would otherwise read every run again when it ends, to print
# its URL, and the tests count the calls a run costs.
os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")


@dataclass
class TrackingProject:
    """A project folder with its own MLflow store, and what the tracking layer needs for it."""

    paths: ProjectPaths
    project: ProjectConfig
    tracking_uri: str
    #: Experiment used when a test names none; unique per test on the shared server.
    default_experiment: str = "resume-ner-test"
    #: The tracking contexts made by :meth:`tracking_context`, closed by :meth:`close`.
    sessions: list = field(default_factory=list)

    @property
    def config(self) -> MlflowConfig:
        return self.project.mlflow

    @property
    def policy(self) -> NamingPolicy:
        return NamingPolicy.from_project(self.project)

    @property
    def registry(self) -> TagsRegistry:
        return TagsRegistry(self.project.tags)

    @cached_property
    def client(self):
        from mlflow.tracking import MlflowClient

        return MlflowClient(tracking_uri=self.tracking_uri)

    def tracking_context(self, config: MlflowConfig | None = None):
        """A tracking context on this project's store (with ``config`` instead, if given),
        closed with the project (:meth:`close`)."""

        from resume_ner.tracking.context import TrackingContext
        from resume_ner.tracking.index.backends import open_index_backend

        config = config or self.config
        session = TrackingContext(
            client=self.client,
            tracking_uri=self.tracking_uri,
            project=self.project.replace(mlflow=config),
            policy=self.policy,
            registry=self.registry,
            index=open_index_backend(config.index, self.paths),
            paths=self.paths,
            artifact_root=self.paths.artifacts_dir
            if self.tracking_uri.startswith("sqlite")
            else None,
        )
        self.sessions.append(session)
        return session

    def close(self) -> None:
        """Close every tracking context made on this project (what they queued is written)."""
        for session in self.sessions:
            session.close()

    def experiment(self, name: str | None = None) -> str:
        """The id of experiment ``name`` in this project's store (created when missing)."""
        name = name or self.default_experiment
        from resume_ner.tracking.runs import get_or_create_experiment
        from resume_ner.tracking.setup import experiment_artifact_location, is_direct_store

        root = self.paths.artifacts_dir if is_direct_store(self.tracking_uri) else None
        return get_or_create_experiment(
            self.client, name, artifact_location=experiment_artifact_location(root, name)
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the caller's MLflow settings from leaking into tests, and a test's into the next.

    Each name is set before it is deleted so that the monkeypatch records it and unsets it again
    after the test, even when the test (``mlflow.set_tracking_uri`` exports the URI) set it.
    """
    for name in (
        "MLFLOW_TRACKING_URI",
        "MLFLOW_RUN_ID",
        "MLFLOW_EXPERIMENT_NAME",
        "MLFLOW_EXPERIMENT_ID",
    ):
        monkeypatch.setenv(name, "unset")
        monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def template_mlflow_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An initialised (migrated) SQLite MLflow store, copied by each test that needs a store."""
    db = tmp_path_factory.mktemp("template") / "mlflow.db"
    initialize_store(f"sqlite:///{db}")
    return db


@functools.cache
def _default_project() -> ProjectConfig:
    return ProjectConfig.load(None)


def make_project(root: Path, tracking_uri: str | None, template_db: Path) -> TrackingProject:
    paths = ProjectPaths.at(root)
    root_is_local = tracking_uri is None
    if tracking_uri is None:
        paths.mlflow_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template_db, paths.mlflow_db)
        tracking_uri = f"sqlite:///{paths.mlflow_db}"
    import uuid

    return TrackingProject(
        default_experiment="resume-ner-test"
        if root_is_local
        else f"resume-ner-test-{uuid.uuid4().hex[:12]}",
        paths=paths,
        project=_default_project(),
        tracking_uri=tracking_uri,
    )


@pytest.fixture(scope="session")
def new_project(template_mlflow_db: Path):
    """Makes a project with a real SQLite store in a given folder (for module-scoped fixtures)."""

    def _new_project(root: Path) -> TrackingProject:
        return make_project(root, None, template_mlflow_db)

    return _new_project


@pytest.fixture
def project(tmp_path: Path, template_mlflow_db: Path) -> Iterator[TrackingProject]:
    """A project in a temporary folder with a real SQLite MLflow store."""
    made = make_project(tmp_path / "project", None, template_mlflow_db)
    yield made
    made.close()


@pytest.fixture
def tracking(project: TrackingProject):
    """A tracking context on the ``project`` store (closed after the test)."""
    return project.tracking_context()


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``mlflow server`` on 127.0.0.1 for the whole test session; yields its URL."""
    root = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    log = (root / "server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "mlflow", "server",
            "--workers", "1",
            "--host", "127.0.0.1",
            "--port", str(port),
            "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
            "--artifacts-destination", str(root / "artifacts"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=root,
        env=SERVER_ENV,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"mlflow server exited early: {(root / 'server.log').read_text()[-2000:]}"
                )
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("mlflow server did not answer within the time limit")
            time.sleep(0.5)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


@pytest.fixture
def server_project(
    tmp_path: Path, mlflow_server: str, template_mlflow_db: Path
) -> Iterator[TrackingProject]:
    """A project whose runs go to the session's ``mlflow server``."""
    made = make_project(tmp_path / "project", mlflow_server, template_mlflow_db)
    yield made
    made.close()
