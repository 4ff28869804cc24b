"""The timeout bounds the whole exchange, against a real loopback server that drips bytes.

httpx's own timeouts bound each network operation, so a server sending one byte
every 0.3 s never trips a 1 s read timeout. The SDK's timeout is a deadline for
the whole attempt (connect, send, wait, read the whole body) on both clients,
and the failure is a timeout the retry stage and the job worker recognise.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fakes.loopback import EventLoopThread

from camunda_sdk import CamundaAsyncClient, CamundaClient
from camunda_sdk.errors import CamundaConnectionError
from camunda_sdk.workers.delivery import is_transient

DRIP_EVERY = 0.3
# A topology answer long enough that dripping it takes far longer than any timeout here.
BODY = json.dumps({"clusterSize": 1, "brokers": [], "padding": "x" * 200}).encode()
HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
    + f"content-length: {len(BODY)}\r\n\r\n".encode()
)


class DripServer:
    """Answers every request on a loopback port, in one of three ways.

    ``mode``: ``"all"`` drips the whole answer (status line first) a byte at a
    time; ``"body"`` sends the head at once and drips the body; ``"late"`` waits
    ``delay`` seconds and then sends the whole answer at once.
    """

    def __init__(self, loop: EventLoopThread, mode: str, delay: float = 0.0) -> None:
        self.loop = loop
        self.mode = mode
        self.delay = delay
        self.connections = 0
        self.requests = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.port = loop.run(self._start())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v2"

    async def _start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self._server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.decode("latin-1").split("\r\n"):
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                if length:
                    await reader.readexactly(length)
                self.requests += 1
                if self.mode == "late":
                    await asyncio.sleep(self.delay)
                    writer.write(HEAD + BODY)
                    await writer.drain()
                    continue
                answer = HEAD + BODY
                if self.mode == "body":
                    writer.write(HEAD)
                    answer = BODY
                for i in range(len(answer)):
                    writer.write(answer[i : i + 1])
                    await writer.drain()
                    await asyncio.sleep(DRIP_EVERY)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the client gave up and closed the connection
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def close(self) -> None:
        self.loop.run(self._stop())


@pytest.fixture(scope="module")
def server_loop() -> Iterator[EventLoopThread]:
    loop = EventLoopThread("drip-server")
    yield loop
    loop.close()


@pytest.fixture
def drip(server_loop: EventLoopThread) -> Iterator[Any]:
    servers: list[DripServer] = []

    def make(mode: str, delay: float = 0.0) -> DripServer:
        servers.append(DripServer(server_loop, mode, delay))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def settings(server: DripServer, **extra: str) -> dict[str, str]:
    return {
        "CAMUNDA_REST_ADDRESS": server.url,
        "CAMUNDA_SDK_TIMEOUT_MS": "1000",
        "CAMUNDA_SDK_RETRY_MAX_ATTEMPTS": "1",
        **extra,
    }


def call_sync(config: dict[str, str], timeout: float | None = None) -> Any:
    with CamundaClient(config, environ={}) as client:
        view = client if timeout is None else client.with_options(timeout=timeout)
        return view.get_topology()


def call_async(config: dict[str, str], timeout: float | None = None) -> Any:
    async def main() -> Any:
        async with CamundaAsyncClient(config, environ={}) as client:
            view = client if timeout is None else client.with_options(timeout=timeout)
            return await view.get_topology()

    return asyncio.run(main())


CLIENTS = [pytest.param(call_sync, id="sync"), pytest.param(call_async, id="async")]


@pytest.mark.parametrize("call", CLIENTS)
@pytest.mark.parametrize("mode", ["all", "body"])
def test_a_dripping_server_cannot_stretch_a_call_past_its_timeout(
    call: Any, mode: str, drip: Any
) -> None:
    server = drip(mode)
    started = time.monotonic()
    with pytest.raises(CamundaConnectionError) as info:
        call(settings(server))
    elapsed = time.monotonic() - started
    # Without the deadline this call takes about 90 s (one byte per 0.3 s).
    assert 0.9 <= elapsed < 1.6, elapsed
    error = info.value
    assert isinstance(error.cause, httpx.TimeoutException)
    assert "timed out" in str(error) and "after 1.0 s" in str(error)
    assert error.timeout == 1.0
    assert is_transient(error)  # the job worker sends its outcome again
    assert server.requests == 1


@pytest.mark.parametrize("call", CLIENTS)
def test_the_timeout_bounds_each_attempt_and_timeouts_are_retried(call: Any, drip: Any) -> None:
    server = drip("body")
    config = settings(
        server, CAMUNDA_SDK_RETRY_MAX_ATTEMPTS="2", CAMUNDA_SDK_RETRY_INITIAL_DELAY_MS="0"
    )
    started = time.monotonic()
    with pytest.raises(CamundaConnectionError):
        call(config)
    elapsed = time.monotonic() - started
    # get_topology is idempotent: the timed-out attempt is replayed, with a full timeout of its own.
    assert server.requests == 2
    assert 1.9 <= elapsed < 3.0, elapsed


@pytest.mark.parametrize("call", CLIENTS)
def test_a_longer_per_call_timeout_lets_a_slow_answer_through(call: Any, drip: Any) -> None:
    # What the job worker's long poll does: with_options(timeout=poll + 5 s).
    server = drip("late", delay=1.5)
    with pytest.raises(CamundaConnectionError, match=r"after 1\.0 s"):
        call(settings(server))
    topology = call(settings(server), timeout=4.0)
    assert topology.cluster_size == 1


@pytest.mark.parametrize("call", CLIENTS)
def test_a_per_call_timeout_shorter_than_the_default_bounds_the_call(call: Any, drip: Any) -> None:
    server = drip("all")
    started = time.monotonic()
    with pytest.raises(CamundaConnectionError, match=r"after 0\.5 s"):
        call(settings(server, CAMUNDA_SDK_TIMEOUT_MS="30000"), timeout=0.5)
    assert time.monotonic() - started < 1.1


@pytest.mark.parametrize("call", CLIENTS)
def test_a_timeout_of_zero_means_no_timeout(call: Any, drip: Any) -> None:
    # Before, 0 reached httpx as a zero timeout: non-blocking sockets, an instant failure.
    server = drip("late", delay=0.2)
    assert call(settings(server, CAMUNDA_SDK_TIMEOUT_MS="0")).cluster_size == 1
    assert call(settings(server), timeout=0).cluster_size == 1


@pytest.mark.parametrize("call", CLIENTS)
def test_the_deadline_holds_through_a_proxy_from_the_environment(
    call: Any, drip: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The proxy drips: the sync client's proxy connection needs the deadline as much.
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    proxy = drip("body")
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
    config = settings(proxy, CAMUNDA_REST_ADDRESS="http://cluster.invalid/v2")
    started = time.monotonic()
    with pytest.raises(CamundaConnectionError, match=r"after 1\.0 s"):
        call(config)
    assert 0.9 <= time.monotonic() - started < 1.6
    assert proxy.requests == 1
