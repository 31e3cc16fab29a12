"""Connection-level guards uvicorn has no setting for: a deadline on request headers and a cap on
open connections.

uvicorn closes idle keep-alive connections (``timeout_keep_alive``) and bounds the size of
incomplete headers (``h11_max_incomplete_event_size``), but a client that opens a connection and
sends nothing, or one header byte every few seconds, is kept forever, and connections are
accepted until the process runs out of file descriptors. :class:`GuardedH11Protocol` is
uvicorn's h11 protocol with both added:

- headers: from the moment a connection opens, or the first byte of a further request on a
  kept-alive connection, the request headers must be complete within ``headers_s``; otherwise
  the client is answered 408 and the connection closed;
- connections: past ``max_open`` open connections the oldest idle one (no request in progress)
  is closed to make room; when every one is busy, the newcomer is answered 503 and closed.

:func:`connection_cap` fits the cap under the process's file-descriptor limit.
"""

from __future__ import annotations

import asyncio
import json
import resource
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

#: Descriptors kept free for what the process opens besides connections (logs, libraries).
FD_RESERVE = 64
#: Accept batches that can be in flight before the connections they push out are closed: a
#: connection accepted now is made (and closes the oldest idle one) a few event-loop turns later,
#: and every turn can accept another ``backlog`` connections.
ACCEPT_BATCHES_IN_FLIGHT = 3


def _raw_response(status: bytes, detail: str, *headers: bytes) -> bytes:
    body = json.dumps({"detail": detail}).encode()
    head = [
        b"HTTP/1.1 " + status,
        b"content-type: application/json",
        *headers,
        b"connection: close",
        b"content-length: " + str(len(body)).encode(),
    ]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


_TIMEOUT_RESPONSE = _raw_response(
    b"408 Request Timeout", "the request headers did not arrive in time"
)
_BUSY_RESPONSE = _raw_response(
    b"503 Service Unavailable", "too many open connections; retry later", b"retry-after: 1"
)


def connection_cap(max_open: int, backlog: int) -> int:
    """``max_open`` lowered so that open connections, :data:`ACCEPT_BATCHES_IN_FLIGHT` accept
    batches (``backlog`` each) and :data:`FD_RESERVE` fit under this process's soft
    file-descriptor limit (at least 1)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return max_open
    in_flight = ACCEPT_BATCHES_IN_FLIGHT * backlog
    return max(1, min(max_open, soft - in_flight - FD_RESERVE))


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a headers deadline and a connection cap (module docstring).

    uvicorn builds it with its own arguments; ``headers_s`` and ``max_open`` come bound by
    ``functools.partial`` (uvicorn's ``http`` setting takes any protocol factory).
    """

    def __init__(self, *args: Any, headers_s: float, max_open: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.headers_s = headers_s
        self.max_open = max_open
        self._headers_timer: asyncio.TimerHandle | None = None
        self._opened = 0.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._opened = self.loop.time()
        if len(self.connections) > self.max_open and not self._close_oldest_idle():
            transport.write(_BUSY_RESPONSE)
            transport.close()
            return
        self._arm_headers_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            if self._headers_timer is None:
                self._arm_headers_timer()
        else:
            self._cancel_headers_timer()

    def on_response_complete(self) -> None:
        self._cancel_headers_timer()
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_headers_timer()
        super().connection_lost(exc)

    def _idle(self) -> bool:
        return (
            self.cycle is None or self.cycle.response_complete
        ) and not self.transport.is_closing()

    def _close_oldest_idle(self) -> bool:
        # Connections are kept in a set: the oldest is the one that opened first.
        idle = [
            connection
            for connection in self.connections
            if connection is not self
            and isinstance(connection, GuardedH11Protocol)
            and connection._idle()
        ]
        if not idle:
            return False
        oldest = min(idle, key=lambda connection: connection._opened)
        oldest.transport.close()
        return True

    def _arm_headers_timer(self) -> None:
        self._cancel_headers_timer()
        self._headers_timer = self.loop.call_later(self.headers_s, self._headers_timed_out)

    def _cancel_headers_timer(self) -> None:
        if self._headers_timer is not None:
            self._headers_timer.cancel()
            self._headers_timer = None

    def _headers_timed_out(self) -> None:
        self._headers_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.write(_TIMEOUT_RESPONSE)
            self.transport.close()
