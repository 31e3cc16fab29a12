"""Running the API with uvicorn: in the foreground (``resume-ner serve``) or from a background
thread of this process (:class:`BackgroundServer`: load benchmarks, tests, notebooks).

Both bind the listening socket themselves, so a port that is taken is a clear :class:`OSError`
and port 0 picks a free one, and both refuse an address beyond loopback when the app has no API
key (:func:`~resume_ner.serve.auth.check_bind`). uvicorn's own access log is off (it would log
query strings and client addresses): :class:`~resume_ner.serve.access_log.AccessLog` logs each
request instead, and uvicorn leaves the process's logging configuration alone.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from resume_ner.serve.auth import check_bind

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

#: Seconds open connections get to finish when the server stops.
GRACEFUL_SHUTDOWN_S = 10


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


def _server(app: FastAPI) -> uvicorn.Server:
    import uvicorn

    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
    return uvicorn.Server(config)


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
