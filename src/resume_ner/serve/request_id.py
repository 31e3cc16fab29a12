"""Request ids: every request gets one, every response carries it in ``X-Request-ID``.

A client's own ``X-Request-ID`` is kept when it is a plausible id (1-128 letters, digits and
``-_.:``), so that a caller can follow its request through its own logs and ours; otherwise a
new random one is made. The id is put in the ASGI scope's ``state`` (``request_id``), where the
access log (:mod:`resume_ner.serve.access_log`) finds it.
"""

from __future__ import annotations

import re
import uuid

from resume_ner.serve.limits import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-request-id"
_VALID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


def request_id_of(scope: Scope) -> str:
    """The id :class:`RequestId` gave the request of ``scope`` (``-`` before it did)."""
    return str(scope.get("state", {}).get("request_id", "-"))


class RequestId:
    """ASGI middleware giving each HTTP request an id and each response its header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = next((value for name, value in scope.get("headers", ()) if name == HEADER), b"")
        request_id = sent.decode("ascii") if _VALID.fullmatch(sent) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        header = (HEADER, request_id.encode("ascii"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(n, v) for n, v in message.get("headers", ()) if n.lower() != HEADER]
                message["headers"] = [*headers, header]
            await send(message)

        await self.app(scope, receive, send_with_id)
