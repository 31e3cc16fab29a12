"""Running the API with uvicorn: in the foreground (``resume-ner serve``, one or more worker
processes) or from a background thread of this process (:class:`BackgroundServer`: load
benchmarks, tests, notebooks).

Both bind the listening socket themselves, so a port that is taken is a clear :class:`OSError`
and port 0 picks a free one, and both refuse an address beyond loopback when the app has no API
key (:func:`~resume_ner.serve.auth.check_bind`). uvicorn's own access log is off (it would log
query strings and client addresses): :class:`~resume_ner.serve.access_log.AccessLog` logs each
request instead, and uvicorn leaves the process's logging configuration alone.

The server's limits come from the app's ``serve.yaml`` (``app.state.serve_config``): uvicorn's
own settings for the keep-alive timeout, listen backlog and graceful shutdown, and
:class:`~resume_ner.serve.connections.GuardedH11Protocol` for the headers deadline and the
connection cap. SIGTERM and SIGINT drain open requests and end the process with exit code 0.

With ``workers`` > 1 (:func:`run_workers`) the parent binds the socket and forks that many
worker processes, each of which builds its own app (its own model and inference threads) and
accepts on the shared socket; a worker that dies is started again, and SIGTERM/SIGINT are passed
on to every worker, the parent returning once all have drained.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import uvicorn

from resume_ner.config.serve import ServeConfig
from resume_ner.serve.auth import check_bind
from resume_ner.serve.connections import GuardedH11Protocol, connection_cap

if TYPE_CHECKING:
    from fastapi import FastAPI

#: How often the parent of worker processes looks for one that died.
_WORKER_POLL_S = 0.5


def bind_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host``:``port`` (0: any free port), ready to hand to uvicorn.

    Raises :class:`OSError` naming the address when it cannot be bound.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.set_inheritable(True)
    return sock


def _config_of(app: FastAPI) -> ServeConfig:
    return getattr(app.state, "serve_config", None) or ServeConfig()


class _DrainingServer(uvicorn.Server):
    """uvicorn's server, except that a SIGTERM/SIGINT that stopped it gracefully is not raised
    again afterwards (uvicorn re-raises it, which ends the process with code 143)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {
            sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _server(app: FastAPI) -> uvicorn.Server:
    config = _config_of(app)
    timeouts, connections = config.timeouts, config.connections
    settings = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        lifespan="off",
        http=functools.partial(  # type: ignore[arg-type]
            GuardedH11Protocol,
            headers_s=timeouts.headers_s,
            max_open=connection_cap(connections.max_open, connections.backlog),
        ),
        backlog=connections.backlog,
        timeout_keep_alive=timeouts.keep_alive_s,  # type: ignore[arg-type]
        timeout_graceful_shutdown=timeouts.shutdown_s,  # type: ignore[arg-type]
    )
    return _DrainingServer(settings)


def _check(app: FastAPI, host: str) -> None:
    check_bind(host, protected=bool(getattr(app.state, "api_key_required", False)))


def base_url(host: str, sock: socket.socket) -> str:
    """``http://host:port`` of the socket ``sock`` bound to ``host``."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{sock.getsockname()[1]}"


def run_server(
    app: FastAPI,
    *,
    host: str,
    port: int,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Serve ``app`` on ``host``:``port`` until interrupted (SIGINT/SIGTERM stop it gracefully).

    ``announce`` is called with the base URL once the address is bound (port 0 picks a free
    port). Raises :class:`~resume_ner.serve.errors.InsecureBindError` for an address beyond
    loopback when ``app`` has no API key, and :class:`OSError` when the address cannot be bound.
    """
    _check(app, host)
    sock = bind_socket(host, port)
    try:
        if announce is not None:
            announce(base_url(host, sock))
        _server(app).run(sockets=[sock])
    finally:
        sock.close()


def run_workers(
    make_app: Callable[[], FastAPI],
    *,
    host: str,
    port: int,
    workers: int,
    protected: bool,
    announce: Callable[[str], None] | None = None,
) -> int:
    """Serve the apps ``make_app`` builds from ``workers`` forked processes sharing one socket.

    Each worker calls ``make_app`` itself (its own model and inference threads); ``protected``
    says whether the apps require an API key (checked against ``host`` before anything starts).
    ``announce`` is called with the base URL once every worker accepts connections. A worker
    that dies while serving is started again; SIGTERM/SIGINT drain every worker. Returns 0 after
    a signal, or the exit code of a worker that failed before it served (its error on stderr).
    Raises :class:`~resume_ner.serve.errors.InsecureBindError` and :class:`OSError` like
    :func:`run_server`.
    """
    check_bind(host, protected=protected)
    sock = bind_socket(host, port)
    context = multiprocessing.get_context("fork")
    stopping = threading.Event()

    def start() -> tuple[multiprocessing.process.BaseProcess, threading.Event]:
        ready = context.Event()
        process = context.Process(
            target=_worker, args=(make_app, sock, ready), name="resume-ner-worker", daemon=False
        )
        process.start()
        return process, ready  # type: ignore[return-value]

    def stop(sig: int, frame: object) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    pool = [start() for _ in range(workers)]
    try:
        while not all(ready.is_set() for _, ready in pool):
            failed = next((p for p, ready in pool if p.exitcode is not None), None)
            if failed is not None or stopping.is_set():
                return 0 if failed is None else (failed.exitcode or 1)
            time.sleep(0.05)
        if announce is not None:
            announce(base_url(host, sock))
        while not stopping.wait(_WORKER_POLL_S):
            pool = [entry if entry[0].exitcode is None else start() for entry in pool]
        return 0
    finally:
        for process, _ in pool:
            if process.exitcode is None:
                process.terminate()  # SIGTERM: the worker drains its open requests
        for process, _ in pool:
            process.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()


def _worker(make_app: Callable[[], FastAPI], sock: socket.socket, ready: threading.Event) -> None:
    """One worker process: build the app, serve on ``sock``, set ``ready`` once it accepts."""
    from resume_ner.errors import InputError, ResumeNerError

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    try:
        server = _server(make_app())
    except ResumeNerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2 if isinstance(exc, InputError) else 1)

    def watch() -> None:
        while not (server.started or server.should_exit):
            time.sleep(0.05)
        ready.set()

    threading.Thread(target=watch, daemon=True).start()
    server.run(sockets=[sock])


class BackgroundServer:
    """``app`` served by uvicorn from a daemon thread of this process; a context manager.

    ``port`` 0 picks a free port; :attr:`url` is the base URL once started. Raises
    :class:`~resume_ner.serve.errors.InsecureBindError` like :func:`run_server`.
    """

    def __init__(self, app: FastAPI, *, host: str = "127.0.0.1", port: int = 0) -> None:
        _check(app, host)
        self.app = app
        self.host = host
        self.port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        """``http://host:port`` of the running server."""
        if self._socket is None:
            raise RuntimeError("the server is not running")
        return base_url(self.host, self._socket)

    def start(self, timeout: float = 30.0) -> str:
        """Start serving and wait until the server accepts connections; return :attr:`url`.

        Raises :class:`OSError` when the address cannot be bound and :class:`RuntimeError`
        when the server does not start within ``timeout`` seconds.
        """
        if self._thread is not None:
            raise RuntimeError("the server is already running")
        self._socket = bind_socket(self.host, self.port)
        self._server = _server(self.app)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name="resume-ner-api",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the API server did not start within {timeout:g} s")
            time.sleep(0.01)
        return self.url

    def stop(self, timeout: float = 30.0) -> None:
        """Stop serving (open requests may finish) and wait for the thread to end."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> BackgroundServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
