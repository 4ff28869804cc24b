"""The workers stand on the client: nothing of them runs, or loads, before the first worker."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fakes.jobs import FAST, FakeJobServer, config, job_json, make_client, run_until_done

from camunda_sdk.pipeline import hookimpl
from camunda_sdk.pipeline.manager import LATE_HOOKS, PluginError
from camunda_sdk.workers import ConnectedJobContext, SyncJobContext, create_job_worker

SRC = Path(__file__).resolve().parents[2] / "src"

PLAIN_CLIENT = r"""
import asyncio, json, sys, httpx
from camunda_sdk import CamundaAsyncClient, CamundaClient

def answer(request):
    if request.url.path.endswith("/completion"):
        return httpx.Response(204)
    return httpx.Response(200, json={"brokers": [], "clusterSize": 1})

settings = {"CAMUNDA_REST_ADDRESS": "http://camunda.test", "CAMUNDA_WORKER_TIMEOUT": "1000"}
sync = CamundaClient(settings, environ={}, transport=httpx.MockTransport(answer))
sync.get_topology()

async def main():
    async with CamundaAsyncClient(settings, environ={}, transport=httpx.MockTransport(answer)) as c:
        await c.get_topology()
        await c.complete_job(job_key="1")
        return [name for name, _ in c.plugin_manager.list_name_plugin()]

names = asyncio.run(main())
print(json.dumps({
    "loaded": sorted(m for m in sys.modules if m.startswith("camunda_sdk.workers")),
    "plugins": names,
    "worker_timeout": sync.config.worker_timeout,
}))
"""


def test_a_client_without_workers_never_imports_them() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PLAIN_CLIENT],
        check=True,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(SRC), "PATH": ""},
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["loaded"] == []
    # The worker settings are known (declared by the light built-in "workers")...
    assert result["worker_timeout"] == 1000
    assert "workers" in result["plugins"]
    # ... but none of the worker's own plugins is registered.
    assert not {"job-executors", "job-logging", "job-telemetry"} & set(result["plugins"])


def test_late_hooks_name_the_worker_hooks() -> None:
    from camunda_sdk.workers import hookspecs

    specs = {name for name in dir(hookspecs) if name.startswith("camunda_")}
    assert specs == LATE_HOOKS


async def test_the_first_worker_installs_the_worker_plugins_once() -> None:
    server = FakeJobServer([job_json(1), job_json(2)])
    client = make_client(server)
    pm = client.plugin_manager
    assert not pm.has_plugin("job-executors")
    create_job_worker(client, config(), lambda job: {"a": 1}, tuning=FAST)
    create_job_worker(client, config(job_type="other"), lambda job: {}, tuning=FAST)
    names = [name for name, _ in pm.list_name_plugin()]
    for name in ("job-executors", "job-logging", "job-telemetry"):
        assert names.count(name) == 1
    await run_until_done(client, server, 2)
    assert server.completed == {"1": {"variables": {"a": 1}}, "2": {"variables": {"a": 1}}}
    await client.close()


async def test_a_disabled_worker_plugin_stays_out() -> None:
    server = FakeJobServer([job_json(1)])
    client = make_client(server, CAMUNDA_SDK_DISABLE_PLUGINS="job-logging,job-telemetry")
    create_job_worker(client, config(), lambda job: {}, tuning=FAST)
    pm = client.plugin_manager
    assert pm.has_plugin("job-executors")
    assert not pm.has_plugin("job-logging") and not pm.has_plugin("job-telemetry")
    await run_until_done(client, server, 1)
    await client.close()


class Misspelt:
    @hookimpl(wrapper=True)
    def camunda_job_handlr(self, worker: Any) -> Generator[None, Any, Any]:
        return (yield)


class WrongArguments:
    @hookimpl(wrapper=True)
    def camunda_job_handler(self, wrkr: Any) -> Generator[None, Any, Any]:
        return (yield)


def test_a_misspelt_hook_is_refused_at_construction() -> None:
    server = FakeJobServer()
    with pytest.raises(PluginError, match="camunda_job_handlr"):
        httpx_client(server, Misspelt())


def test_a_worker_hook_with_wrong_arguments_is_refused_at_the_first_worker() -> None:
    server = FakeJobServer()
    client = httpx_client(server, WrongArguments())  # unchecked until the hook exists
    with pytest.raises(PluginError, match="wrkr"):
        create_job_worker(client, config(), lambda job: {}, tuning=FAST)


def httpx_client(server: FakeJobServer, *plugins: object) -> Any:
    from fakes.jobs import SETTINGS

    from camunda_sdk.client import CamundaAsyncClient

    return CamundaAsyncClient(
        configuration=SETTINGS,
        transport=httpx.MockTransport(server.handle),
        environ={},
        plugins=plugins,
    )


class Stamp:
    """A call stage that adds a header, registered after the worker was created."""

    name = "stamp"

    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl(wrapper=True)
    def camunda_call_handler(self, context: Any) -> Generator[None, Any, Any]:
        inner = yield

        def stamp(call: Any) -> Any:
            self.seen.append(call.operation.id)
            return (yield from inner(call))

        return stamp


@pytest.mark.parametrize("strategy", ["async", "thread"])
async def test_the_handler_s_client_view_follows_plugins_registered_later(strategy: str) -> None:
    server = FakeJobServer([job_json(1, leaseToken="L1")])
    client = make_client(server)
    stamp = Stamp()

    async def async_handler(job: ConnectedJobContext) -> None:
        await job.client.get_topology()
        await job.client.complete_job(job_key=job.job_key)

    def thread_handler(job: SyncJobContext) -> None:
        job.client.get_topology()
        job.client.complete_job(job_key=job.job_key)

    handler = async_handler if strategy == "async" else thread_handler
    worker = create_job_worker(client, config(), handler, execution_strategy=strategy, tuning=FAST)
    client.register_plugin(stamp)
    await run_until_done(client, server, 1)
    await client.close()
    assert worker.execution_strategy == strategy
    assert "getTopology" in stamp.seen and "completeJob" in stamp.seen
    # Noticed by the view: the lease token added, nothing sent a second time.
    assert server.outcomes == {"1": [("completion", {"leaseToken": "L1"})]}


async def test_a_view_with_a_stage_adds_it_to_its_own_calls_only() -> None:
    server = FakeJobServer()
    client = make_client(server)
    create_job_worker(client, config(), lambda job: {}, tuning=FAST)
    seen: list[str] = []

    def outermost(inner: Any) -> Any:
        def note(call: Any) -> Any:
            seen.append(call.operation.id)
            return (yield from inner(call))

        return note

    view = client.with_stage(outermost)
    await view.get_topology()
    await client.get_topology()
    await view.with_options(timeout=5).get_topology()
    assert seen == ["getTopology", "getTopology"]  # the view's calls only, options kept
    await view.close()  # a view closes nothing
    await client.get_topology()
    await client.close()
