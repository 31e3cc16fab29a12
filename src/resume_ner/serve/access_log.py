"""One log line per request: its id, method, path, status, duration and body sizes, and nothing
else.

Resumes are personal data, so the access log never holds a body, a query string, a header or
the client's address: :class:`AccessLog` sees the bodies only to count their bytes, and parts of
the path shaped like a token (:mod:`resume_ner.naming.secrets`) are redacted. Records go
to the ``resume_ner.serve.access`` logger at INFO, with the same values as attributes
(``request_id``, ``method``, ``path``, ``status``, ``duration_ms``, ``request_bytes``,
``response_bytes``) for structured handlers.
"""

from __future__ import annotations

import logging
import time

from resume_ner.naming.secrets import redact_secret_value
from resume_ner.serve.limits import ASGIApp, Message, Receive, Scope, Send
from resume_ner.serve.request_id import request_id_of

ACCESS_LOGGER = "resume_ner.serve.access"


class AccessLog:
    """ASGI middleware logging each HTTP request once it is answered (see the module docstring).

    A request whose handling raised is logged with status 500 (or the status already sent)
    and the exception is re-raised.
    """

    def __init__(self, app: ASGIApp, logger: logging.Logger | None = None) -> None:
        self.app = app
        self.logger = logger or logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        counts = {"status": 0, "request": 0, "response": 0}

        async def counting_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                counts["request"] += len(message.get("body", b""))
            return message

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                counts["status"] = int(message["status"])
            elif message["type"] == "http.response.body":
                counts["response"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, counting_receive, counting_send)
        except BaseException:
            counts["status"] = counts["status"] or 500
            raise
        finally:
            self._log(scope, counts, time.perf_counter() - started)

    def _log(self, scope: Scope, counts: dict[str, int], seconds: float) -> None:
        duration_ms = seconds * 1000.0
        # A token pasted into a URL (a client that put its key in the path) must not be logged.
        path = redact_secret_value("path", scope["path"])
        request_id = request_id_of(scope)
        self.logger.info(
            "%s %s %s %d %.1f ms request=%dB response=%dB",
            request_id,
            scope["method"],
            path,
            counts["status"],
            duration_ms,
            counts["request"],
            counts["response"],
            extra={
                "request_id": request_id,
                "method": scope["method"],
                "path": path,
                "status": counts["status"],
                "duration_ms": round(duration_ms, 3),
                "request_bytes": counts["request"],
                "response_bytes": counts["response"],
            },
        )
