"""Real services for tests on several machines' set-up: PostgreSQL and ``mlflow server``.

PostgreSQL comes from the Debian packages (``apt-get install postgresql``; ``scripts/test.sh``
installs it when missing), whose ``initdb`` and ``pg_ctl`` live outside PATH in
``/usr/lib/postgresql/<version>/bin``. The server is initialised into a fresh temporary folder
(as the ``postgres`` user when running as root: PostgreSQL refuses to run as root), listens on
127.0.0.1 on a free port with its Unix socket in that folder, and is stopped and removed at the
end. The ``postgres`` fixture starts one server for the whole session however many test folders
use it (:func:`acquire_postgres`).

``mlflow server`` runs as a subprocess on 127.0.0.1 (:class:`MlflowServer`), with any backend
store; it can be stopped and started again on the same port and store, as a server that goes
away and comes back.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

POSTGRES_BIN_GLOB = "/usr/lib/postgresql/*/bin"
POSTGRES_USER = "postgres"
POSTGRES_START_TIMEOUT_S = 60
MLFLOW_START_TIMEOUT_S = 120.0
#: ``mlflow server``'s environment: without its job runner, which starts about eight processes
#: that each import MLflow (some 25 s of CPU at every start) for GenAI jobs these runs never use.
SERVER_ENV = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
MLFLOW_STOP_TIMEOUT_S = 5.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_postgres_bin() -> Path | None:
    """The newest Debian PostgreSQL ``bin`` folder holding ``initdb`` and ``pg_ctl``, if any."""
    found = [
        Path(folder)
        for folder in glob.glob(POSTGRES_BIN_GLOB)
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists()
    ]

    def version(folder: Path) -> tuple[int, ...]:
        digits = folder.parent.name.split(".")
        return tuple(int(part) for part in digits if part.isdigit())

    return max(found, key=version) if found else None


class PostgresServer:
    """A throw-away PostgreSQL server in ``folder`` on 127.0.0.1:``port`` (trust authentication)."""

    def __init__(self, bin_dir: Path, folder: Path, port: int) -> None:
        self.bin_dir = bin_dir
        self.folder = folder
        self.port = port
        self.data_dir = folder / "data"
        self.log_path = folder / "postgres.log"

    def _command(self, *args: str) -> list[str]:
        # PostgreSQL refuses to run as root; the Debian package creates the postgres user.
        if os.geteuid() == 0:
            return ["runuser", "-u", POSTGRES_USER, "--", *args]
        return list(args)

    def _run(self, *args: str, timeout: float = POSTGRES_START_TIMEOUT_S) -> None:
        result = subprocess.run(
            self._command(*args), capture_output=True, text=True, timeout=timeout, check=False
        )
        if result.returncode != 0:
            log = self.log_path.read_text() if self.log_path.exists() else ""
            raise RuntimeError(
                f"{' '.join(args[:2])} failed ({result.returncode}): {result.stdout}"
                f"{result.stderr}{log[-2000:]}"
            )

    def start(self) -> None:
        """initdb into the folder, then start the server and wait until it accepts connections."""
        if os.geteuid() == 0:
            shutil.chown(self.folder, POSTGRES_USER, POSTGRES_USER)
        self._run(
            str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-A", "trust",
            "-U", POSTGRES_USER, "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c max_connections=300 -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off"
        )
        self._run(
            str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-o", options,
            "-l", str(self.log_path), "-w", "-t", str(POSTGRES_START_TIMEOUT_S), "start",
        )  # fmt: skip

    def stop(self) -> None:
        """Stop the server (fast shutdown: open sessions are ended)."""
        self._run(
            str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"
        )

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` on this server."""
        return f"postgresql+psycopg://{POSTGRES_USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "test") -> str:
        """Create a database with a fresh name starting with ``prefix``; return its URL."""
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=POSTGRES_USER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop the database ``url`` names, ending its sessions first."""
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=POSTGRES_USER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_shared: PostgresServer | None = None
_users = 0
_shared_lock = threading.Lock()


def acquire_postgres() -> PostgresServer:
    """The session's PostgreSQL server, started on first use; pair with :func:`release_postgres`.

    Skips the test when the Debian binaries are absent (``scripts/test.sh`` installs them).
    """
    global _shared, _users
    with _shared_lock:
        if _shared is None:
            bin_dir = find_postgres_bin()
            if bin_dir is None:
                pytest.skip(
                    f"PostgreSQL is not installed (no initdb under {POSTGRES_BIN_GLOB}); "
                    "scripts/test.sh installs it: apt-get install postgresql"
                )
            # Not under pytest's tmp folder: the postgres user cannot enter root's 0700 folders.
            folder = Path(tempfile.mkdtemp(prefix="resume-ner-pg-"))
            server = PostgresServer(bin_dir, folder, free_port())
            try:
                server.start()
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            _shared = server
        _users += 1
        return _shared


def release_postgres() -> None:
    """Give the session's server back; the last user stops it and removes its folder."""
    global _shared, _users
    with _shared_lock:
        _users -= 1
        if _users > 0 or _shared is None:
            return
        server, _shared = _shared, None
    try:
        server.stop()
    finally:
        shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server on 127.0.0.1 for the session (one, shared by every folder)."""
    server = acquire_postgres()
    try:
        yield server
    finally:
        release_postgres()


class MlflowServer:
    """``mlflow server`` on 127.0.0.1:``port`` with ``backend_store_uri``, artifacts in ``root``."""

    def __init__(self, root: Path, backend_store_uri: str, port: int | None = None) -> None:
        self.root = root
        self.backend_store_uri = backend_store_uri
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = root / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def is_healthy(self) -> bool:
        """Whether the server answers ``/health`` right now."""
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def start(self, timeout_s: float = MLFLOW_START_TIMEOUT_S) -> None:
        """Start the server and wait until it answers (it takes 9-13 s here)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "mlflow", "server",
                    "--workers", "1",
                    "--host", "127.0.0.1",
                    "--port", str(self.port),
                    "--backend-store-uri", self.backend_store_uri,
                    "--artifacts-destination", str(self.root / "artifacts"),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.root,
                env=SERVER_ENV,
            )  # fmt: skip
        deadline = time.monotonic() + timeout_s
        while not self.is_healthy():
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"mlflow server exited early: {self.log_path.read_text()[-3000:]}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("mlflow server did not answer within the time limit")
            time.sleep(0.3)

    def stop(self) -> None:
        """Stop the server and every process it started; wait until the port is free."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=MLFLOW_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        # Its worker processes share the group; make sure none still holds the port.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
