"""Automatic lease extension and the hard maximum duration of a handler."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import httpx
from fakes.jobs import FAST, SETTINGS, FakeJobServer, config, job_json, run_until_done

from camunda_sdk.client import CamundaAsyncClient
from camunda_sdk.workers import create_job_worker


class Clocked:
    """Records when each job update and outcome arrived (loop-independent seconds)."""

    def __init__(self, server: FakeJobServer) -> None:
        self.server = server
        self.updates: list[tuple[float, dict[str, Any]]] = []
        self.outcomes: list[float] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH":
            self.updates.append((time.monotonic(), json.loads(request.content)))
            return httpx.Response(204)
        if request.url.path.endswith(("/completion", "/failure")):
            self.outcomes.append(time.monotonic())
        return self.server.handle(request)


def client_for(clock: Clocked) -> CamundaAsyncClient:
    return CamundaAsyncClient(
        configuration=SETTINGS, transport=httpx.MockTransport(clock.handle), environ={}
    )


async def test_a_long_handler_s_job_is_extended_until_it_returns_and_not_after() -> None:
    server = FakeJobServer([job_json(1, leaseToken="L1")])
    clock = Clocked(server)
    client = client_for(clock)
    started: list[float] = []

    async def slow(job: Any) -> dict[str, Any]:
        started.append(time.monotonic())
        await asyncio.sleep(1.0)  # 2.5 job timeouts
        return {"done": True}

    create_job_worker(
        client,
        config(job_timeout_milliseconds=400, extend_timeout=True, with_lease=True),
        slow,
        tuning=FAST,
    )
    await run_until_done(client, server, 1)
    await asyncio.sleep(0.5)  # an extension after the handler returned would show now
    await client.close()
    assert server.completed == {"1": {"variables": {"done": True}, "leaseToken": "L1"}}
    (completed_at,) = clock.outcomes
    times = [t for t, _ in clock.updates]
    assert len(times) >= 3  # at about 0.2, 0.4, 0.6 and 0.8 s
    assert all(
        body == {"changeset": {"timeout": 400}, "leaseToken": "L1"} for _, body in clock.updates
    )
    # each extension came before the deadline the previous one set
    deadline = started[0] + 0.4
    for t in times:
        assert t < deadline
        deadline = t + 0.4
    assert completed_at < deadline
    assert max(times) < completed_at  # none after the handler returned


async def test_without_extension_no_update_is_sent() -> None:
    server = FakeJobServer([job_json(1)])
    clock = Clocked(server)
    client = client_for(clock)

    async def quick(job: Any) -> None:
        await asyncio.sleep(0.3)

    create_job_worker(client, config(job_timeout_milliseconds=400), quick, tuning=FAST)
    await run_until_done(client, server, 1)
    await client.close()
    assert clock.updates == []


async def test_an_async_handler_past_its_maximum_is_cancelled_and_the_job_failed() -> None:
    server = FakeJobServer([job_json(1)])
    client = client_for(Clocked(server))
    cancelled = asyncio.Event()

    async def stuck(job: Any) -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    create_job_worker(
        client,
        config(extend_timeout=True, max_job_duration_milliseconds=200),
        stuck,
        tuning=FAST,
    )
    started = time.monotonic()
    await run_until_done(client, server, 1)
    await client.close()
    assert cancelled.is_set()
    assert time.monotonic() - started < 5
    assert server.failed == {
        "1": {
            "retries": 2,
            "errorMessage": "the job handler ran past its maximum duration of 200 ms and was"
            " stopped",
            "retryBackOff": 0,
        }
    }


async def test_a_thread_handler_past_its_maximum_is_abandoned_and_the_job_failed() -> None:
    server = FakeJobServer([job_json(1)])
    client = client_for(Clocked(server))
    release = threading.Event()

    def stuck(job: Any) -> dict[str, Any]:
        release.wait(10)
        return {"late": True}

    create_job_worker(
        client,
        config(max_job_duration_milliseconds=200),
        stuck,
        execution_strategy="thread",
        tuning=FAST,
    )
    await run_until_done(client, server, 1)
    release.set()
    await asyncio.sleep(0.1)
    await client.close()
    assert list(server.failed) == ["1"]
    assert "maximum duration of 200 ms" in server.failed["1"]["errorMessage"]
    assert server.completed == {}  # the late result is not sent
