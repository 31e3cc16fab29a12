"""Request body limits of size and time, enforced before the application reads a byte of the
body.

:class:`BodySizeLimit` is ASGI middleware: a request whose ``Content-Length`` is over the limit
of its path is answered 413; any other body is read (also a chunked one, which declares no
length) while counting, and answered 413 as soon as it passes the limit. A body within the
limit is then handed to the application whole. The rest of a refused body is read and dropped,
up to :data:`DRAIN_LIMIT_BYTES`, so that the client, still sending, reads the 413 instead of a
broken connection.

Reading is timed: a body that pauses longer than ``idle_s`` or takes longer than ``total_s``
in all (a client that declared more than it sends, or trickles it) is answered 408 and its
connection closed; a refused body's drain stops at the same bounds and the 413 goes out then.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Beyond this many bytes past the limit a refused body is no longer read: the connection is
#: closed after the 413 instead.
DRAIN_LIMIT_BYTES = 16 * 1024 * 1024


class BodySizeLimit:
    """ASGI middleware refusing request bodies over a size limit with 413 (see the module doc).

    ``limits`` maps a path to its limit in bytes; other paths get ``default_limit``.
    ``idle_s`` and ``total_s`` bound the time a body may take (see the module docstring).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        default_limit: int,
        limits: Mapping[str, int] | None = None,
        idle_s: float = 5.0,
        total_s: float = 60.0,
    ) -> None:
        self.app = app
        self.default_limit = default_limit
        self.limits = dict(limits or {})
        self.idle_s = idle_s
        self.total_s = total_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.default_limit)
        timed = _timed(receive, self.idle_s, self.total_s)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            if declared <= limit + DRAIN_LIMIT_BYTES:
                await _drain(timed)
            await _refuse(
                send, 413, f"request body of {declared} bytes is over the limit of {limit} bytes"
            )
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                message = await timed()
            except TimeoutError:
                await _refuse(send, 408, "the request body did not arrive in time")
                return
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                if message.get("more_body", False):
                    size += await _drain(timed, DRAIN_LIMIT_BYTES)
                await _refuse(
                    send, 413, f"request body of {size} bytes is over the limit of {limit} bytes"
                )
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server rejects a malformed length itself
    return None


def _timed(receive: Receive, idle_s: float, total_s: float) -> Receive:
    """``receive`` raising :class:`TimeoutError` after a pause of ``idle_s`` or once ``total_s``
    have passed since the first call."""
    deadline: float | None = None

    async def timed() -> Message:
        nonlocal deadline
        now = time.monotonic()
        if deadline is None:
            deadline = now + total_s
        return await asyncio.wait_for(receive(), timeout=max(0.0, min(idle_s, deadline - now)))

    return timed


async def _drain(receive: Receive, cap: int | None = None) -> int:
    """Read and drop the rest of the body (at most ``cap`` bytes, until it stops arriving in
    time); return the bytes read."""
    read = 0
    while cap is None or read <= cap:
        try:
            message = await receive()
        except TimeoutError:
            break
        if message["type"] != "http.request":
            break
        read += len(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return read


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _replay(body: bytes, receive: Receive) -> Receive:
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
