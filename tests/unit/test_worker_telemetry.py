"""Job worker spans, metrics and health, with in-memory OpenTelemetry exporters."""

from __future__ import annotations

import asyncio
import gc
import json
import socket
import weakref
from typing import Any

import httpx
import pytest
from fakes.job_cluster import JobCluster
from fakes.jobs import FAST, SETTINGS, FakeJobServer, config, job_json, run_until_done
from fakes.telemetry import Telemetry
from opentelemetry.trace import SpanKind, StatusCode

from camunda_sdk.client import CamundaAsyncClient
from camunda_sdk.transport import aiohttp_installed
from camunda_sdk.workers import ConnectedJobContext, JobError, create_job_worker, run_workers


def traced_client(
    server: FakeJobServer, telemetry: Telemetry, **settings: str
) -> CamundaAsyncClient:
    return CamundaAsyncClient(
        configuration={**SETTINGS, **settings},
        transport=httpx.MockTransport(server.handle),
        environ={},
        tracer_provider=telemetry.tracer_provider,
        meter_provider=telemetry.meter_provider,
    )


async def handler(job: ConnectedJobContext) -> dict[str, Any]:
    if job.job_key == "2":
        raise KeyError("customer")
    if job.job_key == "3":
        raise JobError("OUT_OF_STOCK")
    return {"ok": True}


async def test_a_consumer_span_per_job_with_the_outcome_call_as_its_child() -> None:
    telemetry = Telemetry()
    server = FakeJobServer([job_json(k, processInstanceKey=f"9{k}") for k in (1, 2, 3)])
    client = traced_client(server, telemetry)
    create_job_worker(client, config(), handler, tuning=FAST)
    await run_until_done(client, server, 3)
    await client.close()
    jobs = {s.attributes["camunda.job.key"]: s for s in telemetry.spans("process work")}
    assert sorted(jobs) == ["1", "2", "3"]
    for key, span in jobs.items():
        assert span.kind is SpanKind.CONSUMER
        assert span.attributes is not None
        assert span.attributes["camunda.job.type"] == "work"
        assert span.attributes["camunda.process_instance.key"] == f"9{key}"
        assert span.attributes["camunda.process_definition.id"] == "order"
        assert span.attributes["camunda.element_id"] == "task"
        assert span.attributes["camunda.job.retries"] == 3
    assert jobs["1"].attributes["camunda.job.outcome"] == "completed"  # type: ignore[index]
    assert jobs["2"].attributes["camunda.job.outcome"] == "failed"  # type: ignore[index]
    assert jobs["3"].attributes["camunda.job.outcome"] == "errored"  # type: ignore[index]
    assert jobs["1"].status.status_code is StatusCode.UNSET
    assert jobs["2"].status.status_code is StatusCode.ERROR
    assert [e.name for e in jobs["2"].events] == ["exception"]
    # the outcome call is the job span's child; polls are spans of their own
    outcome_calls = {
        "POST /jobs/{jobKey}/completion": "1",
        "POST /jobs/{jobKey}/failure": "2",
        "POST /jobs/{jobKey}/error": "3",
    }
    for name, key in outcome_calls.items():
        (call,) = telemetry.spans(name)
        assert call.parent is not None
        assert call.parent.span_id == jobs[key].context.span_id
        assert call.context.trace_id == jobs[key].context.trace_id
    polls = telemetry.spans("POST /jobs/activation")
    assert polls and all(p.parent is None for p in polls)


@pytest.mark.parametrize(
    "transport",
    [
        "httpx",
        pytest.param(
            "aiohttp",
            marks=pytest.mark.skipif(not aiohttp_installed(), reason="the aiohttp extra"),
        ),
    ],
)
async def test_spans_are_alike_over_a_real_socket_on_each_transport(transport: str) -> None:
    # The traced client of the other tests talks to a MockTransport; this one goes
    # through each async transport to the loopback cluster fake.
    telemetry = Telemetry()
    with JobCluster() as cluster:
        keys = cluster.add_jobs(3)
        client = CamundaAsyncClient(
            cluster.settings(CAMUNDA_SDK_HTTP_TRANSPORT=transport),
            environ={},
            tracer_provider=telemetry.tracer_provider,
            meter_provider=telemetry.meter_provider,
        )
        create_job_worker(client, config(), handler, tuning=FAST)
        runner = asyncio.create_task(run_workers(client, handle_signals=False))
        await cluster.wait_for_outcomes_async(3, timeout=10)
        await client.close()
        await runner
        port = cluster.api.port
    jobs = {s.attributes["camunda.job.key"]: s for s in telemetry.spans("process work")}
    assert sorted(jobs) == sorted(keys)
    calls = telemetry.spans("POST /jobs/{jobKey}/completion")
    assert len(calls) == 3
    for call in calls:
        assert call.parent is not None
        assert call.parent.span_id in {job.context.span_id for job in jobs.values()}
        attributes = dict(call.attributes or {})
        assert attributes["http.request.method"] == "POST"
        assert attributes["server.address"] == "127.0.0.1"
        assert attributes["server.port"] == port
        assert attributes["http.response.status_code"] == 204
        assert str(attributes["url.full"]).endswith("/completion")
    polls = telemetry.spans("POST /jobs/activation")
    assert polls and {p.attributes["http.response.status_code"] for p in polls} == {200}  # type: ignore[index]
    # Only the SDK's spans: neither transport adds spans of its own.
    names = {s.name for s in telemetry.spans()}
    assert names == {"process work", "POST /jobs/{jobKey}/completion", "POST /jobs/activation"}


async def test_job_counters_duration_and_capacity_move_as_jobs_run() -> None:
    telemetry = Telemetry()
    server = FakeJobServer([job_json(k) for k in (1, 2, 3, 4)])
    client = traced_client(server, telemetry)
    running: list[int] = []

    async def observe(job: ConnectedJobContext) -> Any:
        points = telemetry.metrics()
        in_flight = sum(p.value for p in points["camunda.worker.jobs.in_flight"])
        free = sum(p.value for p in points["camunda.worker.capacity.free"])
        assert in_flight + free == 8  # the gauges, read at collection, add up to the capacity
        running.append(in_flight)
        return await handler(job)

    create_job_worker(client, config(max_concurrent_jobs=8), observe, tuning=FAST)
    await run_until_done(client, server, 4)
    await client.close()
    points = telemetry.metrics()

    def total(name: str) -> float:
        return sum(p.value for p in points[name] if p.attributes == {"camunda.job.type": "work"})

    assert total("camunda.worker.jobs.activated") == 4
    assert total("camunda.worker.jobs.completed") == 2
    assert total("camunda.worker.jobs.failed") == 1
    assert total("camunda.worker.jobs.errored") == 1
    assert total("camunda.worker.jobs.in_flight") == 0  # all done
    assert total("camunda.worker.capacity.free") == 0  # stopped: no capacity offered
    assert max(running) >= 1
    (duration,) = points["camunda.worker.handler.duration"]
    assert duration.count == 4


async def test_tracing_off_records_no_job_spans() -> None:
    telemetry = Telemetry()
    server = FakeJobServer([job_json(1)])
    client = traced_client(server, telemetry, CAMUNDA_SDK_TRACING="false")
    create_job_worker(client, config(), handler, tuning=FAST)
    await run_until_done(client, server, 1)
    await client.close()
    assert telemetry.spans() == []


async def test_health_follows_the_worker_through_its_states() -> None:
    server = FakeJobServer()
    server.activation_statuses = [500, 500, 500]
    client = CamundaAsyncClient(
        configuration={**SETTINGS, "CAMUNDA_SDK_RETRY_MAX_ATTEMPTS": "1"},
        transport=httpx.MockTransport(server.handle),
        environ={},
    )
    worker = create_job_worker(client, config(max_concurrent_jobs=4), handler, tuning=FAST)
    assert worker.health().state == "stopped"
    states: set[str] = set()
    runner = asyncio.create_task(run_workers(client, handle_signals=False))
    for _ in range(500):
        health = worker.health()
        states.add(health.state)
        if health.state == "polling" and health.last_successful_poll is not None:
            break
        await asyncio.sleep(0.002)
    assert "backing off" in states
    health = client.workers_health()[0]
    assert health.state == "polling" and health.consecutive_errors == 0
    assert health.free_capacity == 4 and health.in_flight == 0
    worker.request_stop(timeout=1)
    assert worker.health().state == "stopping"
    await runner
    assert worker.health().state == "stopped"
    assert worker.health().free_capacity == 0
    await client.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _get(port: int, path: str) -> tuple[int, dict[str, Any]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nhost: probe\r\n\r\n".encode())
    await writer.drain()
    raw = await reader.read()
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


async def test_the_health_endpoint_answers_liveness_and_readiness() -> None:
    server = FakeJobServer()
    port = _free_port()
    client = CamundaAsyncClient(
        configuration={
            **SETTINGS,
            "CAMUNDA_WORKER_HEALTH_PORT": str(port),
            "CAMUNDA_WORKER_HEALTH_HOST": "127.0.0.1",
        },
        transport=httpx.MockTransport(server.handle),
        environ={},
    )
    worker = create_job_worker(client, config(), handler, tuning=FAST)
    runner = asyncio.create_task(run_workers(client, handle_signals=False))
    while worker.health().last_successful_poll is None:
        await asyncio.sleep(0.005)
    status, body = await _get(port, "/ready")
    assert status == 200
    assert body["workers"][0]["job_type"] == "work"
    assert body["workers"][0]["state"] == "polling"
    assert (await _get(port, "/live"))[0] == 200
    assert (await _get(port, "/nope"))[0] == 404
    worker.request_stop(timeout=1)
    status, body = await _get(port, "/ready")
    assert status == 503 and body["workers"][0]["state"] in ("stopping", "stopped")
    await runner
    await client.close()
    try:
        await _get(port, "/live")
    except OSError:
        pass  # the endpoint stops with the workers
    else:
        raise AssertionError("the health endpoint outlived run_workers()")


async def test_a_thread_handler_s_own_calls_are_children_of_its_job_span() -> None:
    telemetry = Telemetry()
    server = FakeJobServer([job_json(1)])
    client = traced_client(server, telemetry)

    def sync_handler(job: Any) -> None:
        job.client.get_topology()

    create_job_worker(client, config(), sync_handler, execution_strategy="thread", tuning=FAST)
    await run_until_done(client, server, 1)
    await client.close()
    (job_span,) = telemetry.spans("process work")
    (topology,) = telemetry.spans("GET /topology")
    assert topology.parent is not None and topology.parent.span_id == job_span.context.span_id


async def test_counters_keep_the_counts_of_workers_that_are_gone() -> None:
    # Observable counters must stay monotonic: a collected worker's jobs still count.
    telemetry = Telemetry()
    server = FakeJobServer([job_json(1), job_json(2)])
    client = traced_client(server, telemetry)
    gone = weakref.ref(create_job_worker(client, config(), handler, tuning=FAST))
    await run_until_done(client, server, 2)
    await client.close()
    del client
    gc.collect()
    assert gone() is None  # so the count below comes from the retired totals
    server = FakeJobServer([job_json(3)])
    client = traced_client(server, telemetry)
    create_job_worker(client, config(), handler, tuning=FAST)
    await run_until_done(client, server, 1)
    await client.close()
    points = telemetry.metrics()
    [activated] = points["camunda.worker.jobs.activated"]
    assert activated.value == 3 and activated.attributes == {"camunda.job.type": "work"}


def test_a_worker_finalized_while_the_counts_lock_is_held_does_not_deadlock() -> None:
    # Registering a worker allocates under the lock; an allocation may start a garbage
    # collection that finalizes an older worker, which retires its counts under the same
    # lock on the same thread. Run that in a thread, so a regression fails, not hangs.
    import threading

    from camunda_sdk.workers import telemetry

    observed = telemetry._Observed()

    def finalize_under_lock() -> None:
        with telemetry._lock:
            observed.retire("payment", {"completed": 2})

    thread = threading.Thread(target=finalize_under_lock, daemon=True)
    thread.start()
    thread.join(5)
    assert not thread.is_alive(), "retiring a worker's counts under the held lock deadlocked"
    assert observed.totals("completed") == {"payment": 2}
