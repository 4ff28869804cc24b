"""Job workers under faults, on a fake cluster over real sockets: nothing finished is lost.

Each test counts every job the cluster handed out against the outcomes it
accepted: each must end completed or failed exactly once, before its deadline.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes.job_cluster import JobCluster

from camunda_sdk import CamundaAsyncClient
from camunda_sdk.transport import aiohttp_installed
from camunda_sdk.workers import Backoff, WorkerConfig, WorkerTuning, create_job_worker

CHILD = Path(__file__).with_name("worker_child.py")
ROOT = Path(__file__).resolve().parents[2]
# Production backoff, only shorter, so outages of a few seconds are crossed quickly.
TUNING = WorkerTuning(
    poll_backoff=Backoff(0.05, 0.3),
    idle_backoff=Backoff(0.01, 0.05),
    outcome_backoff=Backoff(0.05, 0.3),
    shutdown_timeout=10.0,
)
FAST_RETRY = {"CAMUNDA_SDK_RETRY_INITIAL_DELAY_MS": "10", "CAMUNDA_SDK_RETRY_MAX_DELAY_MS": "50"}


# Every test here runs on both async transports: the guarantees must not depend on
# which library maps a refused, reset or cut connection onto an exception.
@pytest.fixture(
    params=[
        "httpx",
        pytest.param(
            "aiohttp",
            marks=pytest.mark.skipif(not aiohttp_installed(), reason="the aiohttp extra"),
        ),
    ]
)
def transport(request: pytest.FixtureRequest) -> dict[str, str]:
    """The setting that picks the async client's transport."""
    return {"CAMUNDA_SDK_HTTP_TRANSPORT": request.param}


@pytest.fixture
def cluster() -> Iterator[JobCluster]:
    with JobCluster() as running:
        yield running


@pytest.fixture
def oauth_cluster() -> Iterator[JobCluster]:
    with JobCluster(oauth=True) as running:
        yield running


def worker_config(**overrides: Any) -> WorkerConfig:
    values: dict[str, Any] = {
        "job_type": "work",
        "job_timeout_milliseconds": 20_000,
        "max_concurrent_jobs": 16,
    }
    return WorkerConfig(**{**values, **overrides})


async def held_handler(job: Any) -> dict[str, Any]:
    await asyncio.sleep(0.3)  # results finish while the cluster is away
    return {"n": job.variables["n"]}


def sync_held_handler(job: Any) -> dict[str, Any]:
    time.sleep(0.3)
    return {"n": job.variables["n"]}


@pytest.mark.parametrize("strategy", ["async", "thread"])
async def test_results_survive_the_cluster_going_away_and_coming_back(
    cluster: JobCluster, strategy: str, transport: dict[str, str]
) -> None:
    cluster.add_jobs(48)
    client = CamundaAsyncClient(cluster.settings(**FAST_RETRY, **transport), environ={})
    handler = held_handler if strategy == "async" else sync_held_handler
    create_job_worker(client, worker_config(), handler, execution_strategy=strategy, tuning=TUNING)
    runner = asyncio.create_task(client.run_workers(handle_signals=False))
    while len(cluster.handouts) < 16:
        await asyncio.sleep(0.01)
    cluster.stop()  # unreachable for 4 s: every in-flight result waits it out
    await asyncio.sleep(4.0)
    cluster.start()
    await cluster.wait_for_outcomes_async(48, timeout=20)
    await client.close()
    await runner
    cluster.assert_every_job_reported_once()
    assert len(cluster.handouts) == 48


async def test_results_survive_a_token_endpoint_refusing_then_failing(
    oauth_cluster: JobCluster, transport: dict[str, str]
) -> None:
    cluster = oauth_cluster
    cluster.add_jobs(16)
    client = CamundaAsyncClient(cluster.settings(**FAST_RETRY, **transport), environ={})
    client.context.state["oauth"]._backoff_max = 0.2  # the token fetch's own backoff
    create_job_worker(client, worker_config(), held_handler, tuning=TUNING)
    runner = asyncio.create_task(client.run_workers(handle_signals=False))
    while len(cluster.handouts) < 16:
        await asyncio.sleep(0.01)
    cluster.expire_tokens()  # outcomes need a new token...
    cluster.token_endpoint.stop()  # ...from an endpoint refusing connections
    await asyncio.sleep(2.0)
    cluster.set_token_mode(503)  # then answering 503
    cluster.token_endpoint.start()
    refused = len(cluster.token_requests)
    for _ in range(1000):  # until a fetch has met the 503s
        if len(cluster.token_requests) > refused:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.5)
    cluster.set_token_mode("ok")
    await cluster.wait_for_outcomes_async(16, timeout=20)
    await client.close()
    await runner
    cluster.assert_every_job_reported_once()
    statuses = len(cluster.token_requests)
    assert statuses >= 3  # the first token, at least one answered 503, then a new one


async def test_completions_answered_503_or_lost_are_sent_until_they_land(
    cluster: JobCluster, transport: dict[str, str]
) -> None:
    cluster.add_jobs(20)
    cluster.fail_next("/completion", 503, count=40)  # every result refused twice over
    cluster.fail_next("/completion", 504, count=10, applied=True)  # applied, answer lost
    cluster.fail_next("/completion", None, count=5, drop=True, applied=True)  # reset after
    client = CamundaAsyncClient(cluster.settings(**FAST_RETRY, **transport), environ={})
    create_job_worker(client, worker_config(), held_handler, tuning=TUNING)
    runner = asyncio.create_task(client.run_workers(handle_signals=False))
    await cluster.wait_for_outcomes_async(20, timeout=20)
    await client.close()
    await runner
    cluster.assert_every_job_reported_once()
    assert all(o.kind == "completion" for o in cluster.finished.values())


async def test_stop_during_a_long_poll_hands_its_jobs_back(transport: dict[str, str]) -> None:
    with JobCluster(default_request_timeout_ms=30_000) as cluster:
        client = CamundaAsyncClient(cluster.settings(**transport), environ={})
        ran: list[str] = []
        worker = create_job_worker(
            client, worker_config(), lambda job: ran.append(job.job_key), tuning=TUNING
        )
        runner = asyncio.create_task(client.run_workers(handle_signals=False))
        while not cluster.activations:
            await asyncio.sleep(0.01)
        worker.request_stop(timeout=5)
        cluster.add_jobs(12)  # the held long poll answers with them, after stop
        await asyncio.wait_for(runner, 5)
        await client.close()
        assert ran == []
        cluster.assert_every_job_reported_once()
        assert {o.kind for o in cluster.finished.values()} == {"failure"}
        assert {o.body["retries"] for o in cluster.finished.values()} == {3}  # unchanged
        assert len(cluster.handouts) == 12


def start_child(
    cluster: JobCluster,
    strategy: str,
    seconds: float,
    stop_timeout: float | None = None,
    transport: dict[str, str] | None = None,
) -> subprocess.Popen[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CAMUNDA_", "ZEEBE_"))},
        **cluster.settings(**(transport or {})),
        "PYTHONPATH": str(ROOT / "src"),
    }
    args = [sys.executable, str(CHILD), strategy, str(seconds)]
    if stop_timeout is not None:
        args.append(str(stop_timeout))
    return subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_ready(child: subprocess.Popen[str]) -> None:
    assert child.stdout is not None
    line = child.stdout.readline()
    if line.strip() != "ready":
        child.kill()
        raise AssertionError(f"child did not start: {line!r} {child.stderr.read()}")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("strategy", "sig"),
    [("async", signal.SIGTERM), ("async", signal.SIGINT), ("thread", signal.SIGTERM)],
    ids=["async-SIGTERM", "async-SIGINT", "thread-SIGTERM"],
)
def test_a_signal_drains_the_jobs_in_flight(
    cluster: JobCluster, strategy: str, sig: signal.Signals, transport: dict[str, str]
) -> None:
    cluster.add_jobs(32)
    child = start_child(cluster, strategy, 1.0, transport=transport)
    wait_ready(child)
    assert len(cluster.handouts) == 32
    child.send_signal(sig)
    out, err = child.communicate(timeout=20)
    assert child.returncode == 0, err
    assert "Traceback" not in err
    assert out.strip() == "stopped"
    cluster.assert_every_job_reported_once()
    assert len(cluster.finished) == 32
    assert {o.kind for o in cluster.finished.values()} == {"completion"}


@pytest.mark.parametrize("strategy", ["thread", "process"])
def test_stop_timeout_is_the_last_word_for_thread_and_process_handlers(
    cluster: JobCluster, strategy: str, transport: dict[str, str]
) -> None:
    cluster.add_jobs(4)
    child = start_child(cluster, strategy, 20.0, stop_timeout=1.0, transport=transport)
    wait_ready(child)
    started = time.monotonic()
    out, err = child.communicate(timeout=15)
    elapsed = time.monotonic() - started
    assert child.returncode == 0, err
    assert out.strip() == "stopped"
    # stop(timeout=1) returned after about 1 s and the process exited right after:
    # the 20 s handlers were abandoned, not waited for.
    assert elapsed < 6, f"the process took {elapsed:.1f} s to exit"
    assert cluster.finished == {}  # abandoned jobs time out on the cluster
