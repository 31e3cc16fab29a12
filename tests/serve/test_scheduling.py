"""Turns at the model in arrival order, bounded waiting with 503 + Retry-After, the bounded pool
for uploads, and the connection cap under the descriptor limit."""

from __future__ import annotations

import asyncio
import resource
import socket
import threading
import time

import httpx
import pytest

from resume_ner.config.serve import ServeConfig, ServeConnections, ServeQueue
from resume_ner.serve.app import create_app
from resume_ner.serve.connections import ACCEPT_BATCHES_IN_FLIGHT, FD_RESERVE, connection_cap
from resume_ner.serve.errors import ServerBusyError
from resume_ner.serve.scheduling import DocumentPool, FairQueue
from resume_ner.serve.server import BackgroundServer


def _queue(**overrides) -> FairQueue:
    settings = {"max_waiting": 8, "deadline_s": 5.0, "retry_after_s": 3, **overrides}
    return FairQueue(1, **settings)


def test_turns_are_given_in_arrival_order():
    async def scenario() -> list[str]:
        queue, served = _queue(), []
        release = asyncio.Event()

        async def request(name: str, hold: asyncio.Event | None = None) -> None:
            async with queue.turn():
                served.append(name)
                if hold is not None:
                    await hold.wait()

        first = asyncio.create_task(request("first", release))
        await asyncio.sleep(0)
        others = []
        for name in ("b", "c", "d"):
            others.append(asyncio.create_task(request(name)))
            await asyncio.sleep(0)
        release.set()
        await asyncio.gather(first, *others)
        return served

    assert asyncio.run(scenario()) == ["first", "b", "c", "d"]


def test_a_batch_asking_again_for_its_next_group_goes_behind_a_request_that_arrived_meanwhile():
    async def scenario() -> list[str]:
        queue, served = _queue(), []
        group_running = asyncio.Event()
        short_queued = asyncio.Event()

        async def batch() -> None:
            for group in ("batch group 1", "batch group 2"):
                async with queue.turn():
                    served.append(group)
                    group_running.set()
                    await short_queued.wait()

        async def short() -> None:
            await group_running.wait()
            waiting = asyncio.create_task(_short_turn())
            await asyncio.sleep(0)
            short_queued.set()
            await waiting

        async def _short_turn() -> None:
            async with queue.turn():
                served.append("short")

        await asyncio.gather(batch(), short())
        return served

    assert asyncio.run(scenario()) == ["batch group 1", "short", "batch group 2"]


def test_a_full_queue_refuses_at_once_with_its_retry_after():
    async def scenario() -> ServerBusyError:
        queue = _queue(max_waiting=1)
        release = asyncio.Event()

        async def hold() -> None:
            async with queue.turn():
                await release.wait()

        async def wait() -> None:
            async with queue.turn():
                pass

        holder = asyncio.create_task(hold())
        await asyncio.sleep(0)
        waiter = asyncio.create_task(wait())
        await asyncio.sleep(0)
        with pytest.raises(ServerBusyError) as refused:
            async with queue.turn():
                pass
        release.set()
        await asyncio.gather(holder, waiter)
        return refused.value

    error = asyncio.run(scenario())
    assert "1 requests are already waiting" in str(error)
    assert error.retry_after_s == 3


def test_a_wait_past_the_deadline_is_refused_and_gives_its_place_to_the_next():
    async def scenario() -> tuple[bool, list[str]]:
        queue, served = _queue(deadline_s=0.05), []
        release = asyncio.Event()

        async def hold() -> None:
            async with queue.turn():
                await release.wait()

        holder = asyncio.create_task(hold())
        await asyncio.sleep(0)
        try:
            async with queue.turn():
                served.append("late")
            refused = False
        except ServerBusyError:
            refused = True
        release.set()
        await holder
        async with queue.turn():
            served.append("next")
        return refused, served

    assert asyncio.run(scenario()) == (True, ["next"])


def test_the_document_pool_refuses_files_beyond_its_threads_and_waiting_room():
    async def scenario() -> list[str]:
        pool = DocumentPool(1, max_waiting=1, retry_after_s=2)
        gate = threading.Event()
        results = []

        async def read(name: str) -> None:
            try:
                results.append(await pool.run(lambda: gate.wait(5) and name))
            except ServerBusyError:
                results.append(f"{name} refused")

        tasks = [asyncio.create_task(read(name)) for name in ("a", "b", "c")]
        await asyncio.sleep(0.05)
        gate.set()
        await asyncio.gather(*tasks)
        return results

    assert sorted(asyncio.run(scenario())) == ["a", "b", "c refused"]


def test_the_connection_cap_fits_under_the_descriptor_limit():
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)

    assert connection_cap(10**9, 128) == soft - ACCEPT_BATCHES_IN_FLIGHT * 128 - FD_RESERVE
    assert connection_cap(100, 128) == 100


@pytest.fixture(scope="module")
def crowded_url(served):
    """The API with room for one waiting request, and a short deadline."""
    config = ServeConfig(queue=ServeQueue(max_waiting=1, deadline_s=0.5, retry_after_s=7))
    with BackgroundServer(create_app(served, config)) as server:
        yield server.url


def test_requests_beyond_the_queue_are_answered_503_with_retry_after(crowded_url):
    batch = {"texts": [("Python developer in Berlin. " * 1_071)[:30_000]] * 16}
    answers: list[httpx.Response] = []

    def send() -> None:
        answers.append(httpx.post(f"{crowded_url}/v1/extract/batch", json=batch, timeout=120))

    senders = [threading.Thread(target=send) for _ in range(4)]
    for sender in senders:
        sender.start()
        time.sleep(0.05)
    for sender in senders:
        sender.join()

    busy = [answer for answer in answers if answer.status_code == 503]
    assert busy, "a full queue refuses"
    assert {answer.status_code for answer in answers} <= {200, 503}
    assert all(answer.headers["retry-after"] == "7" for answer in busy)
    assert all("retry later" in answer.json()["detail"] for answer in busy)


@pytest.fixture(scope="module")
def two_connection_url(served):
    """The API holding at most two open connections."""
    config = ServeConfig(connections=ServeConnections(max_open=2))
    with BackgroundServer(create_app(served, config)) as server:
        yield server.url


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    sock = socket.create_connection((host, int(port)))
    sock.settimeout(10)
    return sock


def test_past_the_cap_the_oldest_idle_connection_makes_room(two_connection_url):
    oldest, newer = _connect(two_connection_url), _connect(two_connection_url)
    time.sleep(0.2)
    try:
        response = httpx.get(f"{two_connection_url}/health", timeout=10)
        closed = oldest.recv(1024)
        newer.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        still_served = newer.recv(1024)
    finally:
        oldest.close()
        newer.close()

    assert response.status_code == 200
    assert closed == b"", "the oldest idle connection was closed"
    assert still_served.startswith(b"HTTP/1.1 200")


def test_past_the_cap_with_every_connection_busy_the_newcomer_gets_503(two_connection_url):
    busy = [_connect(two_connection_url) for _ in range(2)]
    for sock in busy:
        # A request whose body is still arriving keeps its connection busy.
        sock.sendall(
            b"POST /v1/extract HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100\r\n\r\n{"
        )
    time.sleep(0.2)
    try:
        newcomer = _connect(two_connection_url)
        refused = newcomer.recv(4096)
        newcomer.close()
    finally:
        for sock in busy:
            sock.close()

    assert refused.startswith(b"HTTP/1.1 503")
    assert b"retry-after: 1" in refused
    assert b"too many open connections" in refused
