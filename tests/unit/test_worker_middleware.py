"""Job handler middleware: the camunda_job_handler chain around every handler."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Generator
from typing import Any

import pytest
from fakes.jobs import FAST, FakeJobServer, config, job_json, make_client, run_until_done

from camunda_sdk.pipeline import hookimpl
from camunda_sdk.workers import JobContext, JobError, create_job_worker

STRATEGIES = ["async", "thread", "process"]


class ValidationError(Exception):
    """What a handler's input check raises."""


class Trail:
    """Middleware that notes its name before and after the rest of the chain."""

    def __init__(self, name: str, trail: list[str]) -> None:
        self.name, self.trail = name, trail

    @hookimpl(wrapper=True)
    def camunda_job_handler(self, worker: Any) -> Generator[None, Any, Any]:
        inner = yield

        async def note(job: JobContext) -> Any:
            self.trail.append(f"{self.name}>")
            try:
                return await inner(job)
            finally:
                self.trail.append(f"<{self.name}")

        return note


class MapValidationErrors:
    """Every ValidationError becomes the BPMN error INVALID_INPUT."""

    @hookimpl(wrapper=True)
    def camunda_job_handler(self, worker: Any) -> Generator[None, Any, Any]:
        inner = yield

        async def map_errors(job: JobContext) -> Any:
            try:
                return await inner(job)
            except ValidationError as exc:
                raise JobError("INVALID_INPUT", str(exc)) from exc

        return map_errors


class ShortCircuit:
    """Settles jobs by a variable, without running the handler."""

    @hookimpl(wrapper=True)
    def camunda_job_handler(self, worker: Any) -> Generator[None, Any, Any]:
        inner = yield

        async def decide(job: JobContext) -> Any:
            action = job.variables.get("action")
            if action == "complete":
                job.complete({"by": "middleware"})
            elif action == "fail":
                job.fail("refused by middleware", retries=0)
            elif action == "error":
                job.throw_error("BLOCKED")
            elif action == "ignore":
                job.ignore()
            else:
                return await inner(job)
            return None

        return decide


class Enrich:
    """Adds a variable the handler reads, and times the handler."""

    durations: list[float] = []  # noqa: RUF012 - shared on purpose: read by the test

    @hookimpl(wrapper=True)
    def camunda_job_handler(self, worker: Any) -> Generator[None, Any, Any]:
        inner = yield

        async def enrich(job: JobContext) -> Any:
            job.variables["tenant_label"] = f"label-{job.tenant_id}"
            started = time.perf_counter()
            try:
                return await inner(job)
            finally:
                self.durations.append(time.perf_counter() - started)

        return enrich


def validating_handler(job: JobContext) -> dict[str, Any]:
    if job.variables.get("n", 0) < 0:
        raise ValidationError(f"n must not be negative, got {job.variables['n']}")
    return {"label": job.variables.get("tenant_label"), "ran": True}


async def async_validating_handler(job: JobContext) -> dict[str, Any]:
    return validating_handler(job)


def handler_for(strategy: str) -> Any:
    return async_validating_handler if strategy == "async" else validating_handler


@pytest.mark.parametrize("strategy", STRATEGIES)
async def test_middleware_maps_exceptions_and_enriches_under_every_strategy(strategy: str) -> None:
    server = FakeJobServer([job_json(1), job_json(2, variables={"n": -5})])
    client = make_client(server)
    create_job_worker(
        client,
        config(),
        handler_for(strategy),
        execution_strategy=strategy,
        tuning=FAST,
        middleware=[MapValidationErrors(), Enrich()],
    )
    await run_until_done(client, server, 2, timeout=30)
    assert server.completed == {"1": {"variables": {"label": "label-<default>", "ran": True}}}
    assert server.errored == {
        "2": {"errorCode": "INVALID_INPUT", "errorMessage": "n must not be negative, got -5"}
    }


@pytest.mark.parametrize("strategy", STRATEGIES)
async def test_middleware_short_circuits_without_running_the_handler(strategy: str) -> None:
    jobs = [
        job_json(1, variables={"action": "complete"}),
        job_json(2, variables={"action": "fail"}),
        job_json(3, variables={"action": "error"}),
        job_json(4, variables={"action": "ignore"}),
        job_json(5, variables={"n": 1}),
    ]
    server = FakeJobServer(jobs)
    client = make_client(server)
    create_job_worker(
        client,
        config(),
        handler_for(strategy),
        execution_strategy=strategy,
        tuning=FAST,
        middleware=[ShortCircuit()],
    )
    await run_until_done(client, server, 4, timeout=30)
    await asyncio.sleep(0.05)
    assert server.completed == {
        "1": {"variables": {"by": "middleware"}},
        "5": {"variables": {"label": None, "ran": True}},
    }
    assert server.failed == {"2": {"retries": 0, "errorMessage": "refused by middleware",
                                   "retryBackOff": 0}}  # fmt: skip
    assert server.errored == {"3": {"errorCode": "BLOCKED"}}
    assert "4" not in server.outcomes


async def test_order_client_plugins_inside_worker_middleware_builtins_innermost() -> None:
    trail: list[str] = []
    server = FakeJobServer([job_json(1)])
    import httpx
    from fakes.jobs import SETTINGS

    from camunda_sdk.client import CamundaAsyncClient

    client = CamundaAsyncClient(
        configuration=SETTINGS,
        transport=httpx.MockTransport(server.handle),
        environ={},
        plugins=[Trail("client-a", trail), Trail("client-b", trail)],
    )

    async def handler(job: JobContext) -> None:
        trail.append("handler")

    create_job_worker(
        client,
        config(),
        handler,
        tuning=FAST,
        middleware=[Trail("worker-a", trail), Trail("worker-b", trail)],
    )
    await run_until_done(client, server, 1)
    assert trail == [
        "worker-b>", "worker-a>", "client-b>", "client-a>", "handler",
        "<client-a", "<client-b", "<worker-a", "<worker-b",
    ]  # fmt: skip


async def test_on_done_reports_the_delivered_outcome() -> None:
    seen: list[tuple[str, str, bool]] = []

    class Watch:
        @hookimpl(wrapper=True)
        def camunda_job_handler(self, worker: Any) -> Generator[None, Any, Any]:
            inner = yield

            async def watch(job: JobContext) -> Any:
                job.on_done(
                    lambda outcome, delivered: seen.append((job.job_key, outcome, delivered))
                )
                return await inner(job)

            return watch

    server = FakeJobServer([job_json(1), job_json(2)])
    server.script[("completion", "2")] = [400]  # rejected for good: not delivered
    client = make_client(server)
    create_job_worker(client, config(), lambda job: {}, tuning=FAST, middleware=[Watch()])
    server.expect(1)
    from camunda_sdk.workers import run_workers

    runner = asyncio.create_task(run_workers(client, handle_signals=False))
    await asyncio.wait_for(server.done.wait(), 5)
    while len(seen) < 2:
        await asyncio.sleep(0.01)
    await client.close()
    await runner
    assert sorted(seen) == [("1", "completed", True), ("2", "completed", False)]


async def test_middleware_of_a_discovered_plugin_module_wraps_every_worker() -> None:
    server = FakeJobServer([job_json(1)])
    client = make_client(server, CAMUNDA_SDK_PLUGINS="fakes.job_middleware_plugin")
    create_job_worker(client, config(), lambda job: {"ran": True}, tuning=FAST)
    await run_until_done(client, server, 1)
    assert server.completed == {"1": {"variables": {"ran": True, "stamped": True}}}
