"""Worker outcome guarantees on the in-memory fake: delivery until the deadline, one outcome
per job, outcomes the handler reports itself, stop during a long poll, leases and tenants."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import threading
import time
from typing import Any

import attrs
import httpx
import pytest
from fakes.jobs import FAST, SETTINGS, FakeJobServer, config, job_json, make_client, run_until_done

from camunda_sdk.client import CamundaAsyncClient
from camunda_sdk.errors import ConfigurationError
from camunda_sdk.operations.models import JobCompletionRequest
from camunda_sdk.workers import (
    Backoff,
    ConnectedJobContext,
    JobContext,
    SyncJobContext,
    create_job_worker,
    run_workers,
)

# -- delivery lasts as long as the job ------------------------------------------------


class Outage:
    """Wraps a fake's handler: outcome requests fail with ``error`` until ``heal()``."""

    def __init__(self, server: FakeJobServer, error: type[Exception] = httpx.ConnectError) -> None:
        self.server = server
        self.error = error
        self.down = threading.Event()
        self.down.set()
        self.refused = 0

    def heal(self) -> None:
        self.down.clear()

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down.is_set() and request.url.path != "/v2/jobs/activation":
            self.refused += 1
            raise self.error("connection refused", request=request)
        return self.server.handle(request)


@pytest.mark.parametrize(
    "error", [httpx.ConnectError, httpx.ReadTimeout, httpx.RemoteProtocolError]
)
async def test_outcomes_survive_an_outage_longer_than_the_old_attempt_budget(
    error: type[Exception],
) -> None:
    server = FakeJobServer([job_json(k) for k in range(1, 9)])
    outage = Outage(server, error)
    client = CamundaAsyncClient(
        configuration=SETTINGS, transport=httpx.MockTransport(outage.handle), environ={}
    )

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        return {"done": job.job_key}

    create_job_worker(client, config(), handler, tuning=FAST)
    server.expect(8)
    runner = asyncio.create_task(run_workers(client, handle_signals=False))
    while outage.refused < 8 * 20:  # every job's result refused many times over
        await asyncio.sleep(0.01)
    outage.heal()
    await asyncio.wait_for(server.done.wait(), 5)
    await client.close()
    await runner
    assert sorted(server.completed) == [str(k) for k in range(1, 9)]
    assert all(len(v) == 1 for v in server.outcomes.values())


async def test_delivery_gives_up_shortly_before_the_jobs_deadline() -> None:
    server = FakeJobServer()
    outage = Outage(server)
    now_ms = int(time.time() * 1000)
    server.queue.append(job_json(1, deadline=now_ms + 600))
    client = CamundaAsyncClient(
        configuration=SETTINGS, transport=httpx.MockTransport(outage.handle), environ={}
    )
    tuning = attrs.evolve(FAST, outcome_backoff=Backoff(0.01, 0.02), deadline_margin=0.2)
    worker = create_job_worker(client, config(), lambda job: None, tuning=tuning)
    runner = asyncio.create_task(run_workers(client, handle_signals=False))
    started = time.monotonic()
    while outage.refused == 0 or worker.in_flight:
        await asyncio.sleep(0.01)
        assert time.monotonic() - started < 5
    gave_up_after = time.monotonic() - started
    await client.close()
    await runner
    # deadline 0.6 s after activation, margin min(0.2, 30 s / 10): gave up near 0.4 s
    assert 0.3 < gave_up_after < 0.6
    assert server.outcomes == {}


async def test_a_failing_token_endpoint_delays_results_but_loses_none() -> None:
    server = FakeJobServer([job_json(1), job_json(2)])
    token_calls = {"n": 0}

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            token_calls["n"] += 1
            if token_calls["n"] == 1:
                return httpx.Response(200, json={"access_token": "t1", "expires_in": 300})
            if token_calls["n"] < 12:  # refusing connections, then failing
                if token_calls["n"] % 2:
                    raise httpx.ConnectError("refused", request=request)
                return httpx.Response(503, json={"error": "temporarily_unavailable"})
            return httpx.Response(200, json={"access_token": "t2", "expires_in": 300})
        path = request.url.path
        revoked = request.headers["authorization"] == "Bearer t1"
        if revoked and path.startswith("/v2/jobs/") and path != "/v2/jobs/activation":
            return httpx.Response(401, json={"title": "token revoked"})
        return server.handle(request)

    settings = {
        **SETTINGS,
        "CAMUNDA_AUTH_STRATEGY": "OAUTH",
        "CAMUNDA_OAUTH_URL": "http://camunda.test/oauth/token",
        "CAMUNDA_CLIENT_ID": "worker",
        "CAMUNDA_CLIENT_SECRET": "s3cr3t-value",
        "CAMUNDA_SDK_OAUTH_FAILURE_COOLDOWN_MS": "20",  # fail fast only briefly
    }
    client = CamundaAsyncClient(
        configuration=settings, transport=httpx.MockTransport(handle), environ={}
    )
    provider = client.context.state["oauth"]
    provider._backoff_base = provider._backoff_max = 0.001  # the token fetch's own backoff

    create_job_worker(client, config(), lambda job: {"ok": True}, tuning=FAST)
    await run_until_done(client, server, 2)
    assert sorted(server.completed) == ["1", "2"]
    assert all(len(v) == 1 for v in server.outcomes.values())
    assert token_calls["n"] == 12


# -- every job ends with an outcome ---------------------------------------------------


def _self_referencing() -> dict[str, Any]:
    loop: dict[str, Any] = {}
    loop["me"] = loop
    return loop


def _deep(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("result", "problem"),
    [
        ({"x": math.nan}, "Out of range float values are not JSON compliant"),
        ({"x": math.inf}, "Out of range float values are not JSON compliant"),
        (_self_referencing(), "it is nested too deeply or refers to itself"),
        ({"x": _deep(100_000)}, "it is nested too deeply or refers to itself"),
    ],
    ids=["nan", "infinity", "self-reference", "deep"],
)
async def test_a_result_that_is_not_json_fails_the_job_naming_the_problem(
    result: Any, problem: str
) -> None:
    server = FakeJobServer([job_json(1)])
    client = make_client(server)
    create_job_worker(client, config(), lambda job: result, execution_strategy="async", tuning=FAST)
    await run_until_done(client, server, 1)
    (only,) = server.outcomes["1"]
    assert only[0] == "failure"
    assert only[1]["errorMessage"] == f"the job result is not valid JSON: {problem}"
    assert only[1]["retries"] == 2


async def test_failure_variables_that_are_not_json_are_dropped_not_the_failure() -> None:
    server = FakeJobServer([job_json(1)])
    client = make_client(server)

    async def handler(job: ConnectedJobContext) -> None:
        job.fail("bad input", retries=0, variables={"why": math.nan})

    create_job_worker(client, config(), handler, tuning=FAST)
    await run_until_done(client, server, 1)
    body = server.failed["1"]
    assert "variables" not in body
    assert body["retries"] == 0
    assert body["errorMessage"].startswith("bad input (variables dropped, not valid JSON:")


# -- outcomes the handler reports itself ----------------------------------------------


async def test_a_handler_completing_through_the_client_gets_no_second_completion() -> None:
    server = FakeJobServer([job_json(1, leaseToken="lease-1"), job_json(2, leaseToken="lease-2")])
    client = make_client(server)

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        if job.job_key == "1":
            await job.client.complete_job(
                job_key=job.job_key, data=JobCompletionRequest(variables={"by": "handler"})
            )
        else:
            await job.client.fail_job(job_key=job.job_key)
        return {"by": "worker"}  # ignored: the outcome went out already

    create_job_worker(client, config(with_lease=True), handler, tuning=FAST)
    await run_until_done(client, server, 2)
    await asyncio.sleep(0.05)  # a second outcome would arrive meanwhile
    assert server.outcomes == {
        "1": [("completion", {"variables": {"by": "handler"}, "leaseToken": "lease-1"})],
        "2": [("failure", {"leaseToken": "lease-2"})],
    }


def test_a_thread_handler_reporting_through_its_sync_client_is_noticed() -> None:
    async def scenario() -> FakeJobServer:
        server = FakeJobServer([job_json(1, leaseToken="L")])
        client = make_client(server)

        def handler(job: SyncJobContext) -> dict[str, Any]:
            job.client.throw_job_error(job_key=job.job_key, data=_error_request("E1"))
            return {}

        create_job_worker(client, config(with_lease=True), handler, tuning=FAST)
        await run_until_done(client, server, 1)
        await asyncio.sleep(0.05)
        return server

    server = asyncio.run(scenario())
    assert server.outcomes == {"1": [("error", {"errorCode": "E1", "leaseToken": "L"})]}


def _error_request(code: str) -> Any:
    from camunda_sdk.operations.models import JobErrorRequest

    return JobErrorRequest(error_code=code)


async def test_outcomes_recorded_on_the_context_are_sent_once_with_the_lease() -> None:
    server = FakeJobServer([job_json(k, leaseToken=f"L{k}") for k in range(1, 5)])
    client = make_client(server)

    async def handler(job: ConnectedJobContext) -> str:
        {
            "1": lambda: job.complete({"a": 1}),
            "2": lambda: job.fail("no stock", retries=1, retry_back_off=500),
            "3": lambda: job.throw_error("OUT_OF_STOCK", "none left", variables={"sku": "x"}),
            "4": job.ignore,
        }[job.job_key]()
        with pytest.raises(RuntimeError, match="already reported"):
            job.complete()
        return "not a valid result, and not looked at"

    create_job_worker(client, config(with_lease=True), handler, tuning=FAST)
    server.expect(3)
    runner = asyncio.create_task(run_workers(client, handle_signals=False))
    await asyncio.wait_for(server.done.wait(), 5)
    await asyncio.sleep(0.05)
    await client.close()
    await runner
    assert server.outcomes == {
        "1": [("completion", {"variables": {"a": 1}, "leaseToken": "L1"})],
        "2": [
            (
                "failure",
                {"retries": 1, "errorMessage": "no stock", "retryBackOff": 500, "leaseToken": "L2"},
            )
        ],
        "3": [
            (
                "error",
                {
                    "errorCode": "OUT_OF_STOCK",
                    "errorMessage": "none left",
                    "variables": {"sku": "x"},
                    "leaseToken": "L3",
                },
            )
        ],
    }


def process_recording_handler(job: JobContext) -> None:
    job.complete({"from": "child", "n": job.variables["n"]})


async def async_process_handler(job: JobContext) -> dict[str, Any]:
    await asyncio.sleep(0)
    job.log.info("job %s in a loop of its own", job.job_key)
    return {"async_in": "process"}


def test_process_strategy_sends_outcomes_recorded_in_the_child() -> None:
    async def scenario() -> FakeJobServer:
        server = FakeJobServer([job_json(1), job_json(2)])
        client = make_client(server)
        create_job_worker(
            client,
            config(worker_name="r"),
            process_recording_handler,
            execution_strategy="process",
            tuning=FAST,
        )
        create_job_worker(
            client,
            config(job_type="other"),
            async_process_handler,
            execution_strategy="process",
            tuning=FAST,
        )
        server.queue.append(job_json(3, type="other"))
        await run_until_done(client, server, 3, timeout=60)
        return server

    server = asyncio.run(scenario())
    completed = server.completed
    assert {k: completed[k]["variables"] for k in completed} == {
        "1": {"from": "child", "n": 1},
        "2": {"from": "child", "n": 2},
        "3": {"async_in": "process"},
    } or set(completed) == {"1", "2", "3"}  # the other worker may take 1 or 2 first
    assert all(len(v) == 1 for v in server.outcomes.values())


async def test_an_async_handler_under_the_thread_strategy_runs_in_its_own_loop() -> None:
    server = FakeJobServer([job_json(1)])
    client = make_client(server)
    seen: list[bool] = []

    async def handler(job: SyncJobContext) -> dict[str, Any]:
        seen.append(threading.current_thread() is not threading.main_thread())
        await asyncio.sleep(0)
        job.log.info("job %s done", job.job_key)
        return {"ran": "thread"}

    create_job_worker(client, config(), handler, execution_strategy="thread", tuning=FAST)
    await run_until_done(client, server, 1)
    assert seen == [True]
    assert server.completed == {"1": {"variables": {"ran": "thread"}}}


# -- parity -------------------------------------------------------------------------


async def test_with_lease_against_a_server_without_leases_is_a_clear_error() -> None:
    server = FakeJobServer([job_json(1), job_json(2)])  # leaseToken: None
    client = make_client(server)
    worker = create_job_worker(client, config(with_lease=True), lambda job: {}, tuning=FAST)
    with pytest.raises(ConfigurationError, match="does not issue job leases"):
        await asyncio.wait_for(worker.run(), 5)
    await client.close()
    # the jobs it activated went back at once, retries unchanged
    assert server.failed == {
        "1": {"retries": 3, "errorMessage": "handed back unprocessed: the job worker is stopping",
              "retryBackOff": 0},
        "2": {"retries": 3, "errorMessage": "handed back unprocessed: the job worker is stopping",
              "retryBackOff": 0},
    }  # fmt: skip
    assert server.completed == {}


async def test_run_workers_raises_the_error_that_stopped_a_worker() -> None:
    # A process running its workers with run_workers() must not end quietly (exit 0)
    # when a worker died of a configuration error: it raises once all have stopped.
    server = FakeJobServer([job_json(1)])  # leaseToken: None
    client = make_client(server)
    create_job_worker(client, config(with_lease=True), lambda job: {}, tuning=FAST)
    with pytest.raises(ConfigurationError, match="does not issue job leases"):
        await asyncio.wait_for(run_workers(client, handle_signals=False), 5)
    await client.close()


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"CAMUNDA_TENANT_IDS": "t1, t2"}, ["t1", "t2"]),
        ({"CAMUNDA_TENANT_ID": "solo"}, ["solo"]),
        ({"CAMUNDA_TENANT_IDS": "a,b", "CAMUNDA_TENANT_ID": "solo"}, ["a", "b"]),
        ({}, None),
    ],
)
async def test_tenant_ids_default_every_activation(
    settings: dict[str, str], expected: list[str] | None
) -> None:
    server = FakeJobServer([job_json(1)])
    client = make_client(server, **settings)
    create_job_worker(client, config(), lambda job: {}, execution_strategy="async", tuning=FAST)
    await run_until_done(client, server, 1)
    assert server.activations[0].get("tenantIds") == expected


async def test_explicit_tenant_ids_win_over_the_settings() -> None:
    server = FakeJobServer([job_json(1)])
    client = make_client(server, CAMUNDA_TENANT_IDS="t1")
    create_job_worker(
        client, config(tenant_ids=["mine"]), lambda job: {}, execution_strategy="async", tuning=FAST
    )
    await run_until_done(client, server, 1)
    assert server.activations[0]["tenantIds"] == ["mine"]


# -- stopping strands no job ----------------------------------------------------------


async def test_jobs_a_long_poll_brings_while_stopping_are_handed_back() -> None:
    server = FakeJobServer()
    release = asyncio.Event()
    polls: list[float] = []

    async def slow_activation(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/jobs/activation":
            polls.append(time.monotonic())
            if len(polls) == 1:
                await release.wait()  # a long poll that answers once the worker is stopping
                body = json.loads(request.content)
                jobs = [job_json(k) for k in range(1, body["maxJobsToActivate"] + 1)]
                return httpx.Response(200, json={"jobs": jobs})
        return server.handle(request)

    client = CamundaAsyncClient(
        configuration=SETTINGS, transport=httpx.MockTransport(slow_activation), environ={}
    )
    ran: list[str] = []
    worker = create_job_worker(
        client, config(max_concurrent_jobs=5), lambda job: ran.append(job.job_key), tuning=FAST
    )
    runner = asyncio.create_task(run_workers(client, handle_signals=False))
    while not polls:
        await asyncio.sleep(0.005)
    worker.request_stop(timeout=5)
    await asyncio.sleep(0.05)
    assert worker.running  # waiting for the poll's answer, not abandoning it
    release.set()
    await asyncio.wait_for(runner, 5)
    assert ran == []
    assert sorted(server.failed) == ["1", "2", "3", "4", "5"]
    assert {b["retries"] for b in server.failed.values()} == {3}  # unchanged
    assert len(polls) == 1
    await client.close()


async def test_a_long_poll_outlasting_the_drain_timeout_is_abandoned_then() -> None:
    never = asyncio.Event()

    async def hanging(request: httpx.Request) -> httpx.Response:
        await never.wait()
        raise AssertionError("unreachable")

    client = CamundaAsyncClient(
        configuration=SETTINGS, transport=httpx.MockTransport(hanging), environ={}
    )
    worker = create_job_worker(client, config(), lambda job: None, tuning=FAST)
    runner = asyncio.create_task(run_workers(client, handle_signals=False))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await worker.stop(timeout=0.2)
    assert 0.15 < time.monotonic() - started < 2
    await asyncio.wait_for(runner, 2)
    await client.close()


# -- visible by default ---------------------------------------------------------------


async def test_an_unexpected_handler_error_is_logged_at_error_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = FakeJobServer([job_json(1)])
    log = logging.getLogger("test.worker.visible")
    client = CamundaAsyncClient(
        configuration=SETTINGS,
        transport=httpx.MockTransport(server.handle),
        environ={},
        logger=log,
    )

    async def handler(job: ConnectedJobContext) -> None:
        raise KeyError("customer")

    create_job_worker(client, config(), handler, tuning=FAST)
    with caplog.at_level(logging.INFO, logger="test.worker.visible"):
        await run_until_done(client, server, 1)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "job 1: handler raised KeyError: 'customer'" in errors[0].getMessage()
    assert errors[0].exc_info is not None and errors[0].exc_info[0] is KeyError
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert any(m.startswith("worker started") for m in infos)
    assert any(m.startswith("stopping:") for m in infos)
    assert any(m.startswith("worker stopped") for m in infos)


async def test_job_log_accepts_stdlib_style_arguments(caplog: pytest.LogCaptureFixture) -> None:
    server = FakeJobServer([job_json(7)])
    log = logging.getLogger("test.worker.joblog")
    client = CamundaAsyncClient(
        configuration={**SETTINGS, "CAMUNDA_SDK_LOG_LEVEL": "debug"},
        transport=httpx.MockTransport(server.handle),
        environ={},
        logger=log,
    )

    async def handler(job: ConnectedJobContext) -> None:
        job.log.info("charging %s for %.2f", job.job_key, 9.5, customer="c1")
        try:
            raise ValueError("boom")
        except ValueError:
            job.log.warning("retrying job %s", job.job_key, exc_info=True)

    create_job_worker(client, config(), handler, tuning=FAST)
    with caplog.at_level(logging.DEBUG, logger="test.worker.joblog"):
        await run_until_done(client, server, 1)
    messages = {r.getMessage(): r for r in caplog.records}
    info = next(m for m in messages if m.startswith("charging 7 for 9.50"))
    assert "customer=c1" in info and "job_key=7" in info
    warning = next(r for m, r in messages.items() if m.startswith("retrying job 7"))
    assert warning.exc_info is not None and warning.exc_info[0] is ValueError


class ExplodingMapping(dict):  # type: ignore[type-arg]
    """A result whose conversion raises: iterating it fails."""

    def __iter__(self) -> Any:
        raise RuntimeError("cannot iterate")

    def keys(self) -> Any:
        raise RuntimeError("cannot iterate")


async def test_a_result_whose_conversion_raises_still_fails_the_job() -> None:
    server = FakeJobServer([job_json(1)])
    client = make_client(server)

    async def handler(job: ConnectedJobContext) -> Any:
        return ExplodingMapping(x=1)

    create_job_worker(client, config(), handler, tuning=FAST)
    await run_until_done(client, server, 1)
    assert server.failed["1"]["errorMessage"] == (
        "the worker could not prepare the job's outcome: RuntimeError: cannot iterate"
    )


async def test_a_handler_s_own_timeout_error_fails_its_job() -> None:
    server = FakeJobServer([job_json(1)])
    client = make_client(server)

    async def handler(job: ConnectedJobContext) -> None:
        await asyncio.wait_for(asyncio.sleep(1), 0.01)  # the handler's own timeout

    create_job_worker(client, config(), handler, tuning=FAST)
    await run_until_done(client, server, 1)
    assert server.failed["1"]["errorMessage"].startswith("TimeoutError")


async def test_a_stopped_worker_can_be_restarted_under_every_pool_strategy() -> None:
    server = FakeJobServer([job_json(1)])
    client = make_client(server)
    worker = create_job_worker(
        client, config(), lambda job: {"run": 1}, execution_strategy="thread", tuning=FAST
    )
    await run_until_done(client, server, 1)
    server.queue.append(job_json(2))
    await run_until_done(client, server, 2)
    await client.close()
    assert server.completed == {"1": {"variables": {"run": 1}}, "2": {"variables": {"run": 1}}}
    assert not worker.running


async def test_an_earlier_stop_deadline_does_not_cut_a_restarted_worker() -> None:
    server = FakeJobServer()
    client = make_client(server)
    worker = create_job_worker(client, config(), lambda job: None, tuning=FAST)
    worker.start()
    await asyncio.sleep(0.02)
    await worker.stop(timeout=0.2)
    worker.start()
    await asyncio.sleep(0.4)  # past the first stop's drain deadline
    assert worker.running
    await worker.stop(timeout=1)
    await client.close()


async def test_a_404_after_attempts_that_never_arrived_is_not_counted_as_sent() -> None:
    server = FakeJobServer([job_json(1)])
    server.script[("completion", "1")] = [503, 404]  # refused, then the job is gone
    seen: list[tuple[str, bool]] = []
    client = make_client(server)

    async def handler(job: ConnectedJobContext) -> None:
        job.on_done(lambda outcome, delivered: seen.append((outcome, delivered)))

    create_job_worker(client, config(), handler, tuning=FAST)
    from camunda_sdk.workers import run_workers as run

    runner = asyncio.create_task(run(client, handle_signals=False))
    while not seen:
        await asyncio.sleep(0.01)
    await client.close()
    await runner
    assert seen == [("completed", False)]
