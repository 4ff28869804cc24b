"""Job worker runtime against an in-memory fake of the job endpoints (httpx.MockTransport)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import pickle
import signal
import threading
from collections import deque
from typing import Any

import attrs
import httpx
import pytest
from fakes.jobs import FAST, SETTINGS, FakeJobServer, config, job_json, make_client, run_until_done
from fakes.recording import RecordingLogger

from camunda_sdk.client import CamundaAsyncClient, CamundaClient
from camunda_sdk.errors import ConfigurationError
from camunda_sdk.log import NullLogger
from camunda_sdk.operations.models import JobCompletionRequest, JobResultUserTask
from camunda_sdk.workers import (
    Backoff,
    ConnectedJobContext,
    JobContext,
    JobError,
    JobFailure,
    JobVariables,
    SyncJobContext,
    WorkerConfig,
    WorkerTuning,
    create_job_worker,
    run_workers,
    stop_workers,
)
from camunda_sdk.workers.config import resolve_worker_config

# -- outcomes ------------------------------------------------------------------------


async def test_returned_dict_completes_the_job_with_variables() -> None:
    server = FakeJobServer([job_json(1), job_json(2)])
    seen: list[tuple[str, dict[str, Any]]] = []

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        seen.append((job.job_key, job.variables.to_dict()))
        assert isinstance(job.variables, JobVariables)
        assert job.custom_headers == {"h": "v"}
        return {"doubled": job.variables["n"] * 2}

    client = make_client(server)
    worker = create_job_worker(client, config(), handler, tuning=FAST)
    assert worker.execution_strategy == "async"
    await run_until_done(client, server, 2)
    assert sorted(seen) == [("1", {"n": 1}), ("2", {"n": 2})]
    assert server.completed == {
        "1": {"variables": {"doubled": 2}},
        "2": {"variables": {"doubled": 4}},
    }
    request = server.activations[0]
    assert request["type"] == "work"
    assert request["timeout"] == 30_000
    assert request["worker"] == "camunda-python-sdk-worker"
    assert request["maxJobsToActivate"] == 10
    await client.close()


async def test_none_and_completion_request_results() -> None:
    server = FakeJobServer([job_json(1), job_json(2, leaseToken="lease-2")])

    async def handler(job: ConnectedJobContext) -> JobCompletionRequest | None:
        if job.job_key == "1":
            return None
        return JobCompletionRequest(result=JobResultUserTask(type_="userTask", denied=True))

    client = make_client(server)
    create_job_worker(client, config(), handler, tuning=FAST)
    await run_until_done(client, server, 2)
    assert server.completed["1"] == {}
    assert server.completed["2"] == {
        "result": {"denied": True, "type": "userTask"},
        "leaseToken": "lease-2",
    }
    await client.close()


async def test_job_failure_fails_with_its_retries_and_backoff() -> None:
    server = FakeJobServer([job_json(1), job_json(2, retries=5)])

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        if job.job_key == "1":
            raise JobFailure("missing field", retries=2, retry_back_off=5000)
        raise JobFailure("try again", variables={"why": "x"})

    client = make_client(server)
    create_job_worker(client, config(), handler, tuning=FAST)
    await run_until_done(client, server, 2)
    assert server.failed["1"] == {
        "retries": 2,
        "errorMessage": "missing field",
        "retryBackOff": 5000,
    }
    assert server.failed["2"] == {
        "retries": 4,
        "errorMessage": "try again",
        "retryBackOff": 0,
        "variables": {"why": "x"},
    }
    assert server.completed == {}
    await client.close()


async def test_job_error_throws_a_bpmn_error() -> None:
    server = FakeJobServer([job_json(1), job_json(2)])

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        if job.job_key == "1":
            raise JobError(error_code="AMOUNT_TOO_HIGH", message="Payment exceeds limit")
        raise JobError("NO_MESSAGE")

    client = make_client(server)
    create_job_worker(client, config(), handler, tuning=FAST)
    await run_until_done(client, server, 2)
    assert server.errored["1"] == {
        "errorCode": "AMOUNT_TOO_HIGH",
        "errorMessage": "Payment exceeds limit",
    }
    assert server.errored["2"] == {"errorCode": "NO_MESSAGE"}
    await client.close()


@dataclasses.dataclass
class Shipment:
    """Variables as a class of the user's (module level: the process strategy pickles it)."""

    order_id: str
    weight: float
    note: str | None = None


@attrs.define
class Refusal:
    reason: str


async def test_dataclass_and_attrs_variables_go_out_as_json_objects() -> None:
    server = FakeJobServer([job_json(1), job_json(2), job_json(3), job_json(4)])

    async def handler(job: ConnectedJobContext) -> Any:
        if job.job_key == "1":
            return Shipment("o-1", 2.5)  # None kept: a variable set to null is meaningful
        if job.job_key == "2":
            job.complete(Refusal("late"))
            return None
        if job.job_key == "3":
            raise JobFailure("no stock", variables=Shipment("o-3", 1.0, "retry"))
        raise JobError("REFUSED", variables=Refusal("too heavy"))

    client = make_client(server)
    create_job_worker(client, config(), handler, tuning=FAST)
    await run_until_done(client, server, 4)
    assert server.completed["1"] == {"variables": {"order_id": "o-1", "weight": 2.5, "note": None}}
    assert server.completed["2"] == {"variables": {"reason": "late"}}
    assert server.failed["3"]["variables"] == {"order_id": "o-3", "weight": 1.0, "note": "retry"}
    assert server.errored["4"] == {"errorCode": "REFUSED", "variables": {"reason": "too heavy"}}
    await client.close()


async def test_unexpected_exception_fails_with_message_and_one_retry_less() -> None:
    server = FakeJobServer([job_json(1, retries=3)])

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        raise RuntimeError("database is down")

    client = make_client(server)
    create_job_worker(client, config(), handler, tuning=FAST)
    await run_until_done(client, server, 1)
    assert server.failed["1"] == {
        "retries": 2,
        "errorMessage": "RuntimeError: database is down",
        "retryBackOff": 0,
    }
    await client.close()


async def test_unsupported_or_unserialisable_results_fail_the_job() -> None:
    server = FakeJobServer([job_json(1), job_json(2)])

    async def handler(job: ConnectedJobContext) -> Any:
        return 42 if job.job_key == "1" else {"blob": object()}

    client = make_client(server)
    create_job_worker(client, config(), handler, tuning=FAST)
    await run_until_done(client, server, 2)
    assert "returned int" in server.failed["1"]["errorMessage"]
    assert server.failed["2"]["errorMessage"].startswith("the job result is not valid JSON")
    assert server.completed == {}
    await client.close()


async def test_completion_answered_503_is_sent_again_without_rerunning_the_handler() -> None:
    server = FakeJobServer([job_json(1)])
    # Outcomes bypass the retry plugin: the worker's own policy sends them again.
    server.script[("completion", "1")] = [503] * 5
    runs = 0

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        nonlocal runs
        runs += 1
        return {"ok": True}

    client = make_client(server)
    create_job_worker(client, config(), handler, tuning=FAST)
    await run_until_done(client, server, 1)
    assert runs == 1
    assert server.completed == {"1": {"variables": {"ok": True}}}
    assert server.failed == {}
    assert [s for kind, _, s in server.attempts if kind == "completion"] == [503] * 5 + [204]
    await client.close()


async def test_a_failure_that_may_have_been_applied_is_not_sent_again() -> None:
    server = FakeJobServer([job_json(1)])
    server.script[("failure", "1")] = [500]  # maybe applied: the job may be active anew

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        raise JobFailure(message="no stock", retries=2)

    client = make_client(server)
    worker = create_job_worker(client, config(), handler, tuning=FAST)
    server.expect(1)
    runner = asyncio.create_task(worker.run())
    for _ in range(200):
        if server.attempts:
            break
        await asyncio.sleep(0.005)
    await worker.stop()
    await runner
    assert [(kind, s) for kind, _, s in server.attempts] == [("failure", 500)]
    await client.close()


async def test_a_failure_rejected_by_backpressure_is_sent_again() -> None:
    server = FakeJobServer([job_json(1)])
    server.script[("failure", "1")] = [503, 429]

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        raise JobFailure(message="no stock", retries=2)

    client = make_client(server)
    create_job_worker(client, config(), handler, tuning=FAST)
    await run_until_done(client, server, 1)
    assert [s for kind, _, s in server.attempts if kind == "failure"] == [503, 429, 204]
    await client.close()


async def test_completion_rejected_for_good_is_logged_not_retried_or_failed() -> None:
    server = FakeJobServer([job_json(1), job_json(2)])
    server.script[("completion", "1")] = [404]
    client = make_client(server)

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        return {}

    create_job_worker(client, config(), handler, tuning=FAST)
    await run_until_done(client, server, 1)
    assert [a for a in server.attempts if a[1] == "1"] == [("completion", "1", 404)]
    assert "1" not in server.failed
    await client.close()


async def test_not_found_after_a_lost_answer_counts_as_sent() -> None:
    server = FakeJobServer([job_json(1)])
    server.script[("completion", "1")] = [503] * 4 + [404]
    client = make_client(server)

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        return {}

    create_job_worker(client, config(), handler, tuning=FAST)
    server.expect(1)
    runner = asyncio.create_task(run_workers(client))
    while len(server.attempts) < 5:
        await asyncio.sleep(0.001)
    await asyncio.sleep(0.01)
    await stop_workers(client)
    await runner
    assert [s for _, _, s in server.attempts] == [503] * 4 + [404]  # no further attempts
    assert server.failed == {}
    await client.close()


# -- tolerance ------------------------------------------------------------------------


async def test_job_lacking_newer_required_fields_is_handled() -> None:
    old = job_json(1)
    for name in ("priority", "tags", "leaseToken", "physicalTenantId", "rootProcessInstanceKey"):
        del old[name]
    sparse = {"jobKey": "2", "type": "work"}  # almost everything missing
    garbled = job_json(3, variables="not an object", customHeaders=None)
    server = FakeJobServer([old, sparse, garbled, job_json(4)])
    seen: dict[str, Any] = {}

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        seen[job.job_key] = (job.priority, job.tags, job.variables.to_dict(), job.custom_headers)
        return {}

    client = make_client(server)
    create_job_worker(client, config(), handler, tuning=FAST)
    await run_until_done(client, server, 4)
    assert seen["1"] == (None, None, {"n": 1}, {"h": "v"})
    assert seen["2"] == (None, None, {}, {})
    assert seen["3"][2:] == ({}, {})
    assert sorted(server.completed) == ["1", "2", "3", "4"]
    await client.close()


async def test_sparse_job_failure_sends_zero_retries() -> None:
    server = FakeJobServer([{"jobKey": "7"}])

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        raise ValueError("boom")

    client = make_client(server)
    create_job_worker(client, config(), handler, tuning=FAST)
    await run_until_done(client, server, 1)
    assert server.failed["7"]["retries"] == 0
    await client.close()


async def test_job_without_key_is_skipped_and_the_worker_goes_on() -> None:
    server = FakeJobServer([{"type": "work", "variables": {}}, job_json(2)])
    keys: list[str] = []

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        keys.append(job.job_key)
        return {}

    client = make_client(server)
    create_job_worker(client, config(), handler, tuning=FAST)
    await run_until_done(client, server, 1)
    assert keys == ["2"]
    await client.close()


async def test_failed_polls_back_off_and_recover() -> None:
    server = FakeJobServer([job_json(1)])
    server.activation_statuses = [500, 400, 503]

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        return {}

    client = make_client(server, CAMUNDA_SDK_RETRY_MAX_ATTEMPTS="1")
    create_job_worker(client, config(), handler, tuning=FAST)
    await run_until_done(client, server, 1)
    assert server.completed == {"1": {}}
    assert len(server.activations) >= 4
    await client.close()


# -- capacity and polling ----------------------------------------------------------------


async def test_capacity_is_respected_and_polls_ask_only_for_free_slots() -> None:
    server = FakeJobServer([job_json(i) for i in range(1, 11)])
    release = asyncio.Event()
    running = 0
    peak = 0
    started = asyncio.Event()

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        if running == 3:
            started.set()
        await release.wait()
        running -= 1
        return {}

    client = make_client(server)
    worker = create_job_worker(client, config(max_concurrent_jobs=3), handler, tuning=FAST)
    server.expect(10)
    runner = asyncio.create_task(run_workers(client))
    await asyncio.wait_for(started.wait(), 2)
    for _ in range(5):
        await asyncio.sleep(0.002)
    # Full: no poll is outstanding while three jobs run.
    assert len(server.activations) == 1
    assert worker.in_flight == 3
    release.set()
    await asyncio.wait_for(server.done.wait(), 5)
    await stop_workers(client)
    await runner
    assert peak == 3
    assert all(1 <= a["maxJobsToActivate"] <= 3 for a in server.activations)
    assert sorted(server.completed, key=int) == [str(i) for i in range(1, 11)]
    await client.close()


async def test_slots_freed_under_the_threshold_are_filled_after_the_activation_delay() -> None:
    server = FakeJobServer([job_json(i) for i in range(1, 7)])
    slow = asyncio.Event()

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        if job.job_key in ("1", "2"):
            await slow.wait()  # two slow jobs hold half of the slots
        return {}

    client = make_client(server)
    tuning = attrs.evolve(FAST, activation_delay=0.05)
    create_job_worker(client, config(max_concurrent_jobs=4), handler, tuning=tuning)
    server.expect(4)
    runner = asyncio.create_task(run_workers(client))
    # Two free slots are fewer than the 75 % wanted: they wait at most the delay
    # for more, then are filled while the slow jobs still run.
    await asyncio.wait_for(server.done.wait(), 5)
    assert sorted(server.completed, key=int) == ["3", "4", "5", "6"]
    assert [a["maxJobsToActivate"] for a in server.activations][:2] == [4, 2]
    slow.set()
    server.expect(6)
    await asyncio.wait_for(server.done.wait(), 5)
    await stop_workers(client)
    await runner
    await client.close()


async def test_polls_again_at_once_after_jobs_arrive() -> None:
    # Each activation hands out one job: the next poll must follow without a pause,
    # so 20 jobs take 20+ polls and no idle backoff (which is set huge here).
    server = FakeJobServer()
    pending = deque(job_json(i) for i in range(1, 21))

    def one_at_a_time(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/jobs/activation":
            server.activations.append(json.loads(request.content))
            jobs = [pending.popleft()] if pending else []
            return httpx.Response(200, json={"jobs": jobs})
        return server.handle(request)

    client = CamundaAsyncClient(
        configuration=SETTINGS, transport=httpx.MockTransport(one_at_a_time), environ={}
    )
    slow_idle = WorkerTuning(
        poll_backoff=Backoff(0.001, 0.002),
        idle_backoff=Backoff(60, 60),
        outcome_backoff=Backoff(0.001, 0.002),
        shutdown_timeout=2.0,
    )

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        return {}

    create_job_worker(client, config(max_concurrent_jobs=1), handler, tuning=slow_idle)
    await run_until_done(client, server, 20, timeout=3)
    assert len(server.completed) == 20
    await client.close()


async def test_request_timeout_and_fetch_variables_are_sent() -> None:
    server = FakeJobServer([job_json(1, leaseToken="lease-1")])  # with_lease below

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        return {}

    client = make_client(server)
    create_job_worker(
        client,
        config(
            request_timeout_milliseconds=20_000,
            fetch_variables=["a", "b"],
            worker_name="me",
            tenant_ids=["t1"],
            with_lease=True,
        ),
        handler,
        tuning=FAST,
    )
    await run_until_done(client, server, 1)
    assert server.activations[0]["requestTimeout"] == 20_000
    assert server.activations[0]["fetchVariable"] == ["a", "b"]
    assert server.activations[0]["worker"] == "me"
    assert server.activations[0]["tenantIds"] == ["t1"]
    assert server.activations[0]["withLease"] is True
    await client.close()


# -- strategies ---------------------------------------------------------------------------


async def test_sync_handler_runs_in_a_thread_with_a_sync_client() -> None:
    server = FakeJobServer([job_json(1), job_json(2)])
    threads: set[str] = set()
    clients: set[int] = set()

    def handler(job: SyncJobContext) -> dict[str, Any]:
        assert isinstance(job, SyncJobContext)
        assert isinstance(job.client, CamundaClient)
        threads.add(threading.current_thread().name)
        clients.add(id(job.client))
        job.client.get_topology()  # the sync client reaches the same transport
        job.log.info("working")
        return {"thread": True}

    client = make_client(server)
    worker = create_job_worker(client, config(), handler, tuning=FAST)
    assert worker.execution_strategy == "thread"
    await run_until_done(client, server, 2)
    assert threading.current_thread().name not in threads
    assert len(clients) == 1  # one sync client per worker
    assert server.other == ["/v2/topology", "/v2/topology"]
    assert server.failed == {}, server.failed
    assert server.completed == {
        "1": {"variables": {"thread": True}},
        "2": {"variables": {"thread": True}},
    }
    await client.close()


def process_handler(job: JobContext) -> dict[str, Any]:
    """Runs in a child process (module level so that it pickles)."""
    if not isinstance(job, JobContext) or hasattr(job, "client"):
        raise TypeError("expected a plain JobContext")
    if not isinstance(job.log, NullLogger):
        raise TypeError("expected the null logger")
    if job.variables["n"] == 2:
        raise JobFailure("child says no", retries=1)
    if job.variables["n"] == 3:
        raise JobError("CHILD_ERROR", "from the child")
    return {"pid": os.getpid()}


async def test_process_strategy_runs_picklable_handlers_in_child_processes() -> None:
    server = FakeJobServer([job_json(1), job_json(2), job_json(3)])
    client = make_client(server)
    create_job_worker(
        client, config(max_concurrent_jobs=2), process_handler, execution_strategy="process",
        tuning=FAST,
    )  # fmt: skip
    await run_until_done(client, server, 3, timeout=20)
    assert server.completed["1"]["variables"]["pid"] != os.getpid()
    assert server.failed["2"] == {"retries": 1, "errorMessage": "child says no", "retryBackOff": 0}
    assert server.errored["3"] == {"errorCode": "CHILD_ERROR", "errorMessage": "from the child"}
    await client.close()


def dying_handler(job: JobContext) -> dict[str, Any]:
    if job.variables["n"] == 1:
        os.kill(os.getpid(), signal.SIGKILL)  # the child dies mid-job
    return {"pid": os.getpid()}


async def test_a_child_killed_mid_job_fails_that_job_only() -> None:
    server = FakeJobServer([job_json(1), job_json(2)])
    client = make_client(server)
    worker = client.job_worker(
        "work", timeout=30_000, execution_strategy="process", max_concurrent_jobs=1
    )
    worker(dying_handler)
    await run_until_done(client, server, 2, timeout=20)  # one job at a time
    assert server.failed["1"]["errorMessage"].startswith("BrokenProcessPool")
    assert server.completed["2"]["variables"]["pid"] != os.getpid()  # in a new pool
    await client.close()


async def test_forced_async_strategy_accepts_a_sync_function_on_the_loop() -> None:
    server = FakeJobServer([job_json(1)])
    loop_thread = threading.current_thread().name

    def handler(job: ConnectedJobContext) -> dict[str, Any]:
        assert threading.current_thread().name == loop_thread
        return {}

    client = make_client(server)
    create_job_worker(client, config(), handler, execution_strategy="async", tuning=FAST)
    await run_until_done(client, server, 1)
    assert server.completed == {"1": {}}
    await client.close()


async def test_unknown_strategy_is_rejected() -> None:
    client = make_client(FakeJobServer())
    with pytest.raises(ValueError, match="gpu"):
        create_job_worker(client, config(), lambda job: {}, execution_strategy="gpu")
    await client.close()


async def test_a_plugin_can_add_a_strategy() -> None:
    from camunda_sdk.pipeline.hookspecs import hookimpl
    from camunda_sdk.workers.executors import AsyncExecutor

    class Counting(AsyncExecutor):
        strategy = "counting"
        calls = 0

        async def execute(self, handler: Any, context: JobContext) -> Any:
            Counting.calls += 1
            return await super().execute(handler, context)

    class Plugin:
        name = "counting-strategy"

        @hookimpl
        def camunda_worker_executor(self, strategy: str, context: Any) -> Any:
            return Counting() if strategy == "counting" else None

    server = FakeJobServer([job_json(1)])
    client = CamundaAsyncClient(
        configuration=SETTINGS,
        transport=httpx.MockTransport(server.handle),
        environ={},
        plugins=[Plugin()],
    )

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        return {}

    create_job_worker(client, config(), handler, execution_strategy="counting", tuning=FAST)
    await run_until_done(client, server, 1)
    assert Counting.calls == 1
    await client.close()


# -- stopping -------------------------------------------------------------------------------


async def test_stop_finishes_running_jobs_and_polls_no_more() -> None:
    server = FakeJobServer([job_json(1)])
    entered = asyncio.Event()
    release = asyncio.Event()

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        entered.set()
        await release.wait()
        return {"finished": True}

    client = make_client(server)
    worker = create_job_worker(client, config(), handler, tuning=FAST)
    runner = asyncio.create_task(run_workers(client))
    await asyncio.wait_for(entered.wait(), 2)
    stopping = asyncio.create_task(stop_workers(client, timeout=2))
    await asyncio.sleep(0.005)
    assert not stopping.done()  # waiting for the running job
    polls = len(server.activations)
    release.set()
    await asyncio.wait_for(stopping, 2)
    await asyncio.wait_for(runner, 2)
    assert not worker.running
    assert server.completed == {"1": {"variables": {"finished": True}}}
    assert len(server.activations) == polls
    await client.close()


async def test_stop_abandons_jobs_still_running_after_the_timeout() -> None:
    server = FakeJobServer([job_json(1)])
    entered = asyncio.Event()
    cancelled = asyncio.Event()

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        entered.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return {}

    client = make_client(server)
    worker = create_job_worker(client, config(), handler, tuning=FAST)
    worker.start()
    await asyncio.wait_for(entered.wait(), 2)
    await asyncio.wait_for(worker.stop(timeout=0.01), 2)
    assert cancelled.is_set()
    assert server.outcomes == {}  # the job times out on the cluster and is retried there
    await client.close()


async def test_closing_the_client_stops_its_workers() -> None:
    server = FakeJobServer()

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        return {}

    client = make_client(server)
    create_job_worker(client, config(), handler, tuning=FAST)
    runner = asyncio.create_task(run_workers(client))
    while not server.activations:
        await asyncio.sleep(0.001)
    await client.close()
    await asyncio.wait_for(runner, 2)


async def test_cancelling_run_workers_drains_and_reraises() -> None:
    server = FakeJobServer([job_json(1)])
    entered = asyncio.Event()

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        entered.set()
        await asyncio.sleep(0.01)
        return {"drained": True}

    client = make_client(server)
    create_job_worker(client, config(), handler, tuning=FAST)
    runner = asyncio.create_task(run_workers(client))
    await asyncio.wait_for(entered.wait(), 2)
    runner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runner
    assert server.completed == {"1": {"variables": {"drained": True}}}
    await client.close()


async def test_cancelling_worker_run_stops_the_worker() -> None:
    server = FakeJobServer()

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        return {}

    client = make_client(server)
    worker = create_job_worker(client, config(), handler, tuning=FAST)
    running = asyncio.create_task(worker.run())
    while not server.activations:
        await asyncio.sleep(0.001)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert not worker.running
    await client.close()


async def test_run_workers_without_workers_returns() -> None:
    client = make_client(FakeJobServer())
    await asyncio.wait_for(run_workers(client), 1)
    await client.close()


async def test_startup_jitter_delays_the_first_poll() -> None:
    server = FakeJobServer()

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        return {}

    client = make_client(server)
    worker = create_job_worker(
        client, config(), handler, startup_jitter_max_seconds=120, tuning=FAST
    )
    worker.start()
    await asyncio.sleep(0.005)
    assert server.activations == []  # still in its (60 s) jitter
    await asyncio.wait_for(worker.stop(), 1)  # and a stop cuts it short
    await client.close()


# -- the client mixin, configuration, contexts ------------------------------------------------


async def test_worker_methods_mixin() -> None:
    server = FakeJobServer([job_json(1)])
    client = CamundaAsyncClient(
        configuration=SETTINGS, transport=httpx.MockTransport(server.handle), environ={}
    )

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        # The client's view that notices the handler reporting its job itself
        # (issue 16: not a stage of every call of the client): same type, context,
        # plugins and connection pool.
        assert type(job.client) is type(client) and job.client.context is client.context
        return {}

    worker = client.create_job_worker(config=config(), callback=handler)
    assert client.workers == [worker]
    server.expect(1)
    runner = asyncio.create_task(client.run_workers())
    await asyncio.wait_for(server.done.wait(), 2)
    await client.stop_workers()
    await runner
    assert server.completed == {"1": {}}
    await client.close()


def test_worker_defaults_are_inherited_from_client_settings() -> None:
    client = CamundaAsyncClient(
        configuration={
            "CAMUNDA_WORKER_TIMEOUT": "30000",
            "CAMUNDA_WORKER_MAX_CONCURRENT_JOBS": "16",
            "CAMUNDA_WORKER_NAME": "my-app",
            "CAMUNDA_WORKER_REQUEST_TIMEOUT": "5000",
            "CAMUNDA_WORKER_STARTUP_JITTER_MAX_SECONDS": "2.5",
        },
        environ={},
    )
    resolved = resolve_worker_config(WorkerConfig(job_type="payment"), client.config)
    assert (resolved.job_timeout_milliseconds, resolved.max_concurrent_jobs) == (30000, 16)
    assert (resolved.worker_name, resolved.request_timeout_milliseconds) == ("my-app", 5000)
    assert resolved.startup_jitter_max_seconds == 2.5
    explicit = resolve_worker_config(
        WorkerConfig(
            job_type="p", job_timeout_milliseconds=1, max_concurrent_jobs=2, worker_name="x"
        ),
        client.config,
        startup_jitter_max_seconds=0,
    )
    assert (explicit.job_timeout_milliseconds, explicit.max_concurrent_jobs) == (1, 2)
    assert (explicit.worker_name, explicit.startup_jitter_max_seconds) == ("x", 0)


def test_worker_config_defaults_and_validation() -> None:
    client = CamundaAsyncClient(environ={})
    resolved = resolve_worker_config(config(), client.config)
    assert resolved.max_concurrent_jobs == 10
    assert resolved.request_timeout_milliseconds == 0
    assert resolved.worker_name == "camunda-python-sdk-worker"
    with pytest.raises(ConfigurationError, match="CAMUNDA_WORKER_TIMEOUT"):
        resolve_worker_config(WorkerConfig(job_type="x"), client.config)
    with pytest.raises(ConfigurationError, match="max_concurrent_jobs"):
        resolve_worker_config(config(max_concurrent_jobs=0), client.config)
    with pytest.raises(ConfigurationError):
        resolve_worker_config(config(job_type=""), client.config)
    assert WorkerConfig(job_type="x", fetch_variables="a").fetch_variables == ("a",)


def test_job_outcome_exceptions_pickle() -> None:
    failure = pickle.loads(pickle.dumps(JobFailure("m", retries=1, retry_back_off=2)))
    assert (failure.message, failure.retries, failure.retry_back_off) == ("m", 1, 2)
    error = pickle.loads(pickle.dumps(JobError("CODE", "msg", variables={"a": 1})))
    assert (error.error_code, error.message, error.variables) == ("CODE", "msg", {"a": 1})


def test_contexts_pickle_only_without_a_client() -> None:
    from camunda_sdk.operations.models import ActivatedJobResult

    job = ActivatedJobResult.from_dict(job_json(5, variables={"card": "4111"}))
    plain = JobContext(job, log=NullLogger())
    copy = pickle.loads(pickle.dumps(plain))
    assert copy.job_key == "5" and copy.variables.to_dict() == {"card": "4111"}
    assert copy.retries == 3 and copy.type == "work"
    assert "4111" not in repr(copy)  # no business data in reprs
    connected = ConnectedJobContext(job, client=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(connected)


async def test_job_log_is_bound_with_job_fields() -> None:
    recorder = RecordingLogger()
    server = FakeJobServer([job_json(9)])
    client = CamundaAsyncClient(
        configuration=SETTINGS,
        transport=httpx.MockTransport(server.handle),
        environ={},
        logger=recorder,
    )

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        job.log.info("hello")
        return {}

    create_job_worker(client, config(worker_name="w1"), handler, tuning=FAST)
    await run_until_done(client, server, 1)
    hello = [r for r in recorder.messages("info") if r.startswith("hello")]
    assert len(hello) == 1
    for part in ("job_type=work", "worker=w1", "job_key=9"):
        assert part in hello[0]
    await client.close()


def test_backoff_is_capped_and_jittered() -> None:
    backoff = Backoff(0.1, 1.0)
    assert backoff.delay(0, lambda: 0.0) == pytest.approx(0.05)
    assert backoff.delay(0, lambda: 1.0) == pytest.approx(0.1)
    assert backoff.delay(10, lambda: 1.0) == pytest.approx(1.0)
    assert backoff.delay(10_000, lambda: 0.5) == pytest.approx(0.75)


# -- WorkerConfig type checks ------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("max_concurrent_jobs", "abc", "must be an integer, got 'abc' (str)"),
        ("max_concurrent_jobs", 1.9, "must be an integer, got 1.9 (float)"),
        ("max_concurrent_jobs", True, "must be an integer"),
        ("max_concurrent_jobs", 0, "must be an integer from 1 to 2147483647"),
        ("max_concurrent_jobs", 2**31, "must be an integer from 1 to 2147483647"),
        ("job_timeout_milliseconds", "30000", "must be an integer"),
        ("job_timeout_milliseconds", 10**30, "must be an integer from 1 to"),
        ("request_timeout_milliseconds", -1, "must be an integer from 0 to"),
        ("tenant_ids", 5, "must be a list of strings (or one string), got 5 (int)"),
        ("tenant_ids", ["a", 5], "must be a list of strings"),
        ("fetch_variables", {"a": 1}, "must be a list of strings"),
        ("fetch_variables", b"ab", "must be a list of strings"),
        ("worker_name", 7, "must be a string"),
        ("job_type", None, "must be a string"),
        ("with_lease", "yes", "must be True or False"),
    ],
)
def test_worker_config_fields_are_type_checked(field: str, value: Any, expected: str) -> None:
    values: dict[str, Any] = {"job_type": "charge", field: value}
    with pytest.raises(ConfigurationError) as info:
        WorkerConfig(**values)
    assert f"WorkerConfig.{field} {expected}" in str(info.value)
    assert info.value.variable == field


def test_worker_config_keeps_accepting_what_it_accepted() -> None:
    config = WorkerConfig(
        job_type="charge",
        job_timeout_milliseconds=30_000,
        request_timeout_milliseconds=0,
        max_concurrent_jobs=32,
        fetch_variables=("a", "b"),
        tenant_ids="t1",  # one name for a list: accepted
        worker_name="w",
        with_lease=True,
    )
    assert config.tenant_ids == ("t1",)
    assert config.fetch_variables == ("a", "b")


async def test_thread_results_reach_their_tasks_and_a_cancelled_one_is_dropped() -> None:
    from camunda_sdk.workers.executors import DaemonThreadPool, _Handback  # pyright: ignore[reportPrivateUsage]

    loop = asyncio.get_running_loop()
    handback, pool = _Handback(loop), DaemonThreadPool(4, "test")
    gate = threading.Event()

    def work(n: int) -> int:
        gate.wait(5)
        if n == 3:
            raise ValueError("three")
        return n * 10

    futures = [loop.create_future() for _ in range(5)]
    for n, future in enumerate(futures):
        pool.run(handback.call, future, work, n)
    futures[4].cancel()  # abandoned before its handler returned
    gate.set()
    results = await asyncio.gather(*futures[:4], return_exceptions=True)
    assert results[:3] == [0, 10, 20] and isinstance(results[3], ValueError)
    await asyncio.sleep(0.05)  # the late result of the cancelled one is dropped, not raised
    assert futures[4].cancelled()
    pool.close()
