"""Turns at the model, handed out in arrival order, and a bounded pool for parsing uploads.

:class:`FairQueue` gives ``concurrency`` turns at once to whoever asked first. A request holds a
turn for one inference call only, so a batch run in several groups asks again for each group
and goes behind whoever arrived meanwhile: a short request waits for at most one group of each
request ahead of it. At most ``max_waiting`` requests wait (one more is refused at once) and
each waits at most ``deadline_s`` (then it is refused): both raise :class:`ServerBusyError`,
which the API answers 503 with ``Retry-After``.

:class:`DocumentPool` parses uploaded files in threads of its own, so that parsing never takes a
turn at the model and never holds more than ``workers`` threads; ``max_waiting`` more files may
wait for a thread, beyond that it raises :class:`ServerBusyError` too.

Both live in the server's event loop (one per worker process) and are not thread-safe.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import TypeVar

from resume_ner.serve.errors import ServerBusyError

T = TypeVar("T")


class FairQueue:
    """Turns at the model in arrival order (see the module docstring)."""

    def __init__(
        self, concurrency: int, *, max_waiting: int, deadline_s: float, retry_after_s: int
    ) -> None:
        self.max_waiting = max_waiting
        self.deadline_s = deadline_s
        self.retry_after_s = retry_after_s
        self._free = concurrency
        self._waiting: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        """Requests waiting for a turn now."""
        return sum(1 for future in self._waiting if not future.done())

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for a turn and hold it inside the ``async with`` block.

        Raises :class:`ServerBusyError` when the queue is full or the wait passes the deadline.
        """
        if self._free > 0 and not self.waiting:
            self._free -= 1
        else:
            await self._wait()
        try:
            yield
        finally:
            self._hand_on()

    async def _wait(self) -> None:
        if self.waiting >= self.max_waiting:
            raise ServerBusyError(
                f"{self.max_waiting} requests are already waiting; retry later",
                retry_after_s=self.retry_after_s,
            )
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(future)
        try:
            await asyncio.wait_for(asyncio.shield(future), self.deadline_s)
        except (TimeoutError, asyncio.CancelledError) as exc:
            if future.done():
                self._hand_on()  # the turn came as the wait ended: pass it on
            else:
                future.cancel()
            if isinstance(exc, TimeoutError):
                raise ServerBusyError(
                    f"no turn at the model within {self.deadline_s:g} s; retry later",
                    retry_after_s=self.retry_after_s,
                ) from exc
            raise

    def _hand_on(self) -> None:
        while self._waiting:
            future = self._waiting.popleft()
            if not future.done():
                future.set_result(None)
                return
        self._free += 1


class DocumentPool:
    """Threads of their own for parsing uploads (see the module docstring)."""

    def __init__(self, workers: int, *, max_waiting: int, retry_after_s: int) -> None:
        self.capacity = workers + max_waiting
        self.retry_after_s = retry_after_s
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="resume-ner-documents")
        self._admitted = 0

    async def run(self, function: Callable[..., T], *args: object) -> T:
        """``function(*args)`` in a parser thread; raises :class:`ServerBusyError` when full."""
        if self._admitted >= self.capacity:
            raise ServerBusyError(
                "too many files are being read; retry later", retry_after_s=self.retry_after_s
            )
        self._admitted += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, function, *args)
        finally:
            self._admitted -= 1
