"""The backpressure plugin: limiter arithmetic, permits, the stage, both drivers."""

from __future__ import annotations

import asyncio
import math
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import fakes
import httpx
import pytest
from fakes import handler_for

from camunda_sdk.config import resolve_config
from camunda_sdk.errors import BackpressureQueueFullError, ConfigurationError
from camunda_sdk.operations import descriptors
from camunda_sdk.pipeline.call import Call
from camunda_sdk.pipeline.context import ClientContext
from camunda_sdk.pipeline.drivers import AsyncDriver, SyncDriver
from camunda_sdk.pipeline.effects import Send, Sleep
from camunda_sdk.pipeline.http import Request, Response
from camunda_sdk.pipeline.operation import Operation
from camunda_sdk.plugins import backpressure
from camunda_sdk.plugins.backpressure import (
    DECREASE_FACTOR,
    AcquirePermit,
    BackpressureState,
    LoadSignal,
    backpressure_state,
    classify,
)
from camunda_sdk.transport import AsyncHttpxSender, HttpxSender

TOPOLOGY = Operation("getTopology", "GET", "/topology", result=None)
COMPLETE = descriptors.completeJob  # the generator marks it draining


def make_context(**settings: Any) -> ClientContext:
    return fakes.make_context(backpressure, config=settings)


def overload(state: BackpressureState) -> None:
    """One overload signal, from a request of its own: caps an uncapped limiter."""
    state.release(state.enter(), LoadSignal.OVERLOAD)


def capped_state(limit: int, **kwargs: Any) -> BackpressureState:
    """A limiter an overload signal has capped at ``limit`` (soft severity)."""
    state = BackpressureState(initial_limit=math.ceil(limit / DECREASE_FACTOR), **kwargs)
    overload(state)
    assert state.limit == limit
    return state


def limit_of(state: BackpressureState) -> int:
    limit = state.limit
    assert limit is not None, "the limiter is uncapped"
    return limit


def capped_context(limit: int, **settings: Any) -> tuple[ClientContext, BackpressureState]:
    """A context whose limiter an overload signal has capped at ``limit``."""
    initial = str(math.ceil(limit / DECREASE_FACTOR))
    context = make_context(CAMUNDA_SDK_BACKPRESSURE_INITIAL_LIMIT=initial, **settings)
    handler_for(context)
    state = backpressure_state(context)
    assert state is not None
    overload(state)
    assert state.limit == limit
    return context, state


def response(status: int, **kwargs: Any) -> Response:
    made = httpx.Response(status, **kwargs)  # httpx encodes text= and json= bodies
    return Response(status, made.headers, made.content, Request("GET", "http://c.test/"))


# -- classification -------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, None, LoadSignal.SUCCESS),
        (204, None, LoadSignal.SUCCESS),
        (404, {"title": "NOT_FOUND"}, LoadSignal.SUCCESS),
        (429, None, LoadSignal.OVERLOAD),
        (503, None, LoadSignal.OVERLOAD),
        (500, {"title": "RESOURCE_EXHAUSTED", "detail": "queue full"}, LoadSignal.OVERLOAD),
        (500, {"title": "x", "detail": "Expected ... RESOURCE_EXHAUSTED"}, LoadSignal.OVERLOAD),
        (400, {"title": "INVALID", "instance": "RESOURCE_EXHAUSTED"}, LoadSignal.SUCCESS),
        (500, {"title": "INTERNAL"}, LoadSignal.NEUTRAL),
        (502, None, LoadSignal.NEUTRAL),
    ],
)
def test_classify(status: int, body: Any, expected: LoadSignal) -> None:
    kwargs = {"json": body} if body is not None else {}
    assert classify(response(status, **kwargs)) is expected


def test_classify_ignores_non_json_mentions() -> None:
    assert classify(response(500, text="RESOURCE_EXHAUSTED")) is LoadSignal.NEUTRAL


# -- arithmetic -------------------------------------------------------------------


def test_overload_decreases_once_per_window() -> None:
    state = BackpressureState(initial_limit=64)
    permits = [state.try_acquire() for _ in range(10)]
    assert state.in_flight == 10
    for p in permits:  # all were in flight when the first signal arrived
        assert p is not None
        state.release(p, LoadSignal.OVERLOAD)
    assert state.limit == int(64 * DECREASE_FACTOR)
    assert state.in_flight == 0
    assert state.severity == "soft"
    p = state.try_acquire()  # started after the drop: its signal counts again
    assert p is not None
    state.release(p, LoadSignal.OVERLOAD)
    assert state.limit == int(64 * DECREASE_FACTOR * DECREASE_FACTOR)


def test_floor_then_exponential_backoff_then_recovery() -> None:
    state = BackpressureState(initial_limit=2, rng=random.Random(1))
    limits, backoffs = [], []
    for _ in range(8):
        p = state.try_acquire()
        assert p is not None
        state.release(p, LoadSignal.OVERLOAD)
        limits.append(state.limit)
        backoffs.append(state.backoff)
    assert limits == [1] * 8
    assert backoffs[:4] == [0.0, 0.05, 0.1, 0.2]  # 2 -> 1.5 (whole permits: 1), then back off
    assert backoffs[-1] <= backpressure.BACKOFF_MAX
    assert state.severity == "severe"
    assert 0.5 * state.backoff <= state.backoff_delay() <= state.backoff
    p = state.try_acquire()
    assert p is not None
    state.release(p, LoadSignal.SUCCESS)
    assert state.backoff == 0.0
    assert state.backoff_delay() == 0.0
    assert state.severity == "healthy"  # at limit 1 one success is a clean window


def test_additive_increase_while_in_use_up_to_the_ceiling() -> None:
    state = capped_state(4, max_limit=6)
    for _ in range(200):
        permits = [state.try_acquire() for _ in range(limit_of(state))]
        for p in permits:
            assert p is not None
            state.release(p, LoadSignal.SUCCESS)
    assert state.limit == 6
    assert state.severity == "healthy"


def test_additive_increase_is_about_one_per_window() -> None:
    state = capped_state(8)
    permits = [state.try_acquire() for _ in range(8)]
    for _ in range(9):  # a steady load of 8: each success adds 1/limit
        p = permits.pop(0)
        assert p is not None
        state.release(p, LoadSignal.SUCCESS)
        permits.append(state.try_acquire())
    assert state.limit == 9


def test_idle_client_does_not_drift_up() -> None:
    state = capped_state(64)
    for _ in range(1000):
        p = state.try_acquire()
        assert p is not None
        state.release(p, LoadSignal.SUCCESS)
    assert state.limit == 64


def test_severity_recovers_after_a_clean_window() -> None:
    state = BackpressureState(initial_limit=4)
    p = state.try_acquire()
    assert p is not None
    state.release(p, LoadSignal.OVERLOAD)
    assert (state.limit, state.severity) == (3, "soft")
    for _ in range(3):
        p = state.try_acquire()
        assert p is not None
        state.release(p, LoadSignal.SUCCESS)
    assert state.severity == "healthy"


def test_neutral_outcomes_change_nothing() -> None:
    state = BackpressureState(initial_limit=4)
    p = state.try_acquire()
    assert p is not None
    state.release(p, LoadSignal.NEUTRAL)
    assert state.snapshot() == {
        "profile": "BALANCED",
        "capped": False,
        "limit": None,
        "in_flight": 0,
        "waiters": 0,
        "severity": "healthy",
        "backoff": 0.0,
    }


# -- permits and waiting ------------------------------------------------------------


def test_try_acquire_respects_the_limit_and_queued_waiters() -> None:
    state = capped_state(2)
    a, b = state.try_acquire(), state.try_acquire()
    assert a is not None and b is not None
    assert state.try_acquire() is None
    got: list[int] = []
    thread = threading.Thread(target=lambda: got.append(state.acquire_sync()))
    thread.start()
    _wait_until(lambda: state.waiters == 1)
    state.release(a, LoadSignal.NEUTRAL)  # handed straight to the queued thread
    thread.join(timeout=2)
    assert got and state.in_flight == 2 and state.waiters == 0
    state.release(b, LoadSignal.NEUTRAL)
    state.release(got[0], LoadSignal.NEUTRAL)
    assert state.in_flight == 0


def test_sync_waiters_are_served_in_order_and_many_threads_stay_within_limit() -> None:
    state = capped_state(3)
    peak = 0
    lock = threading.Lock()
    current = 0

    def work() -> None:
        nonlocal peak, current
        p = state.acquire_sync()
        with lock:
            current += 1
            peak = max(peak, current)
        time.sleep(0.001)
        with lock:
            current -= 1
        state.release(p, LoadSignal.NEUTRAL)

    with ThreadPoolExecutor(16) as pool:
        for f in [pool.submit(work) for _ in range(64)]:
            f.result(timeout=5)
    assert peak == 3
    assert state.in_flight == 0 and state.waiters == 0


async def test_async_waiter_is_woken_by_release() -> None:
    state = capped_state(1)
    first = await state.acquire_async()
    task = asyncio.create_task(state.acquire_async())
    await asyncio.sleep(0)
    assert state.waiters == 1 and not task.done()
    state.release(first, LoadSignal.SUCCESS)
    second = await asyncio.wait_for(task, 1)
    assert second == first + 1 and state.in_flight == 1


async def test_cancelled_async_waiter_leaves_the_queue() -> None:
    state = capped_state(1)
    first = await state.acquire_async()
    task = asyncio.create_task(state.acquire_async())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert state.waiters == 0
    state.release(first, LoadSignal.NEUTRAL)
    assert state.in_flight == 0


async def test_waiter_cancelled_after_its_grant_passes_the_permit_on() -> None:
    state = capped_state(1)
    first = await state.acquire_async()
    doomed = asyncio.create_task(state.acquire_async())
    next_in_line = asyncio.create_task(state.acquire_async())
    await asyncio.sleep(0)
    state.release(first, LoadSignal.NEUTRAL)  # granted to `doomed`, which has not run yet
    doomed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await doomed
    permit = await asyncio.wait_for(next_in_line, 1)
    assert state.in_flight == 1
    state.release(permit, LoadSignal.NEUTRAL)
    assert state.in_flight == 0


async def test_release_from_another_thread_wakes_an_async_waiter() -> None:
    state = capped_state(1)
    first = await state.acquire_async()
    task = asyncio.create_task(state.acquire_async())
    await asyncio.sleep(0)
    await asyncio.to_thread(state.release, first, LoadSignal.NEUTRAL)
    assert await asyncio.wait_for(task, 1) > first


# -- the stage, stepped by hand -------------------------------------------------------


def test_stage_takes_and_returns_a_permit_per_attempt() -> None:
    context, state = capped_context(1)
    handler = handler_for(context)
    first = handler(Call(TOPOLOGY))
    assert isinstance(next(first), Send)
    assert state.in_flight == 1

    second = handler(Call(TOPOLOGY))
    effect = next(second)
    assert isinstance(effect, AcquirePermit) and effect.limiter is state

    with pytest.raises(StopIteration) as done:
        first.send(response(429))
    assert done.value.value.status_code == 429
    # Already at the floor: the overload starts the backoff.
    assert state.in_flight == 0 and state.limit == 1 and state.severity == "severe"

    permit = state.try_acquire()  # what the driver would do for `second`
    assert isinstance(second.send(permit), Sleep)
    assert isinstance(second.send(None), Send)
    second.close()  # cancelled mid-flight: the permit still comes back
    assert state.in_flight == 0


def test_stage_pauses_at_the_floor() -> None:
    context = make_context(CAMUNDA_SDK_BACKPRESSURE_INITIAL_LIMIT="1")
    handler = handler_for(context)
    state = backpressure_state(context)
    assert state is not None
    state.rng = random.Random(7)
    flow = handler(Call(TOPOLOGY))
    next(flow)
    with pytest.raises(StopIteration):  # an overload at the floor starts the backoff
        flow.send(response(503))
    assert state.backoff == backpressure.BACKOFF_INITIAL
    flow = handler(Call(TOPOLOGY))
    pause = next(flow)
    assert isinstance(pause, Sleep) and 0 < pause.seconds <= backpressure.BACKOFF_INITIAL
    assert isinstance(flow.send(None), Send)
    with pytest.raises(StopIteration):
        flow.send(response(200))
    assert state.backoff == 0.0 and state.in_flight == 0


def test_draining_operations_are_never_gated() -> None:
    context, state = capped_context(1)
    handler = handler_for(context)
    held = handler(Call(TOPOLOGY))
    next(held)
    assert isinstance(next(handler(Call(TOPOLOGY))), AcquirePermit)  # the cap is on
    flows = [handler(Call(COMPLETE, {"jobKey": "1"})) for _ in range(3)]
    assert all(isinstance(next(f), Send) for f in flows)
    assert state.in_flight == 4  # counted, but not held back
    for f in flows:
        f.close()
    held.close()
    assert state.in_flight == 0


def test_legacy_observes_but_never_gates() -> None:
    context = make_context(
        CAMUNDA_SDK_BACKPRESSURE_PROFILE="legacy", CAMUNDA_SDK_BACKPRESSURE_INITIAL_LIMIT="1"
    )
    handler = handler_for(context)
    state = backpressure_state(context)
    assert state is not None and state.profile == "LEGACY" and not state.gating
    flows = [handler(Call(TOPOLOGY)) for _ in range(3)]
    assert all(isinstance(next(f), Send) for f in flows)
    for f in flows:
        with pytest.raises(StopIteration):
            f.send(response(429))
    assert state.severity == "severe" and state.in_flight == 0
    flow = handler(Call(TOPOLOGY))
    assert isinstance(next(flow), Send)  # no pause either
    flow.close()


def test_transport_errors_release_the_permit_without_a_signal() -> None:
    context = make_context()
    handler = handler_for(context)
    state = backpressure_state(context)
    assert state is not None
    flow = handler(Call(TOPOLOGY))
    next(flow)
    with pytest.raises(httpx.ConnectError):
        flow.throw(httpx.ConnectError("refused"))
    assert state.in_flight == 0 and state.limit is None and state.severity == "healthy"


def test_rebuilding_the_pipeline_keeps_the_limiter() -> None:
    context = make_context()
    handler_for(context)
    state = backpressure_state(context)
    handler_for(context)
    assert backpressure_state(context) is state


# -- configuration ------------------------------------------------------------------


def test_settings_are_read_from_the_configuration() -> None:
    context = make_context(
        CAMUNDA_SDK_BACKPRESSURE_INITIAL_LIMIT="8",
        CAMUNDA_SDK_BACKPRESSURE_MAX_LIMIT="16",
        CAMUNDA_SDK_BACKPRESSURE_MAX_WAITERS="5",
    )
    handler_for(context)
    state = backpressure_state(context)
    assert state is not None
    assert (state.initial_limit, state.max_limit, state.max_waiters) == (8, 16, 5)
    assert state.limit is None  # no cap before an overload signal
    overload(state)
    assert state.limit == int(8 * DECREASE_FACTOR)


@pytest.mark.parametrize(
    ("settings", "variable"),
    [
        ({"CAMUNDA_SDK_BACKPRESSURE_INITIAL_LIMIT": "many"}, "INITIAL_LIMIT"),
        ({"CAMUNDA_SDK_BACKPRESSURE_INITIAL_LIMIT": "0"}, "INITIAL_LIMIT"),
        ({"CAMUNDA_SDK_BACKPRESSURE_MAX_LIMIT": "-3"}, "MAX_LIMIT"),
        ({"CAMUNDA_SDK_BACKPRESSURE_MAX_WAITERS": "-1"}, "MAX_WAITERS"),
        ({"CAMUNDA_SDK_BACKPRESSURE_MAX_WAITERS": "lots"}, "MAX_WAITERS"),
        ({"CAMUNDA_SDK_BACKPRESSURE_MAX_LIMIT": "4", "CAMUNDA_SDK_BACKPRESSURE_INITIAL_LIMIT": "8"},
         "INITIAL_LIMIT"),
    ],
)  # fmt: skip
def test_bad_settings_name_the_variable(settings: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        handler_for(make_context(**settings))
    assert info.value.variable == "CAMUNDA_SDK_BACKPRESSURE_" + variable


def test_unknown_profile_is_rejected_by_the_config_too() -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_config({"CAMUNDA_SDK_BACKPRESSURE_PROFILE": "TURBO"}, environ={})
    assert info.value.variable == "CAMUNDA_SDK_BACKPRESSURE_PROFILE"


def test_backpressure_state_of_something_without_one_is_none() -> None:
    assert backpressure_state(object()) is None


# -- both drivers ---------------------------------------------------------------------


def test_sync_driver_keeps_concurrency_within_the_limit() -> None:
    context, _ = capped_context(3, CAMUNDA_SDK_BACKPRESSURE_MAX_LIMIT="4")
    handler = handler_for(context)
    lock = threading.Lock()
    current = peak = 0

    def serve(request: httpx.Request) -> httpx.Response:
        nonlocal current, peak
        with lock:
            current += 1
            peak = max(peak, current)
        time.sleep(0.002)
        with lock:
            current -= 1
        return httpx.Response(200)

    driver = SyncDriver(HttpxSender(httpx.Client(transport=httpx.MockTransport(serve))))
    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(lambda _: driver.run(handler(Call(TOPOLOGY))).status_code, range(48)))
    assert codes == [200] * 48
    assert 1 < peak <= 4
    state = backpressure_state(context)
    assert state is not None and state.in_flight == 0 and state.waiters == 0


async def test_async_driver_keeps_concurrency_within_the_limit() -> None:
    context, _ = capped_context(3, CAMUNDA_SDK_BACKPRESSURE_MAX_LIMIT="4")
    handler = handler_for(context)
    current = peak = 0

    async def serve(request: httpx.Request) -> httpx.Response:
        nonlocal current, peak
        current += 1
        peak = max(peak, current)
        await asyncio.sleep(0.001)
        current -= 1
        return httpx.Response(200)

    driver = AsyncDriver(AsyncHttpxSender(httpx.AsyncClient(transport=httpx.MockTransport(serve))))
    results = await asyncio.gather(*(driver.run(handler(Call(TOPOLOGY))) for _ in range(48)))
    assert [r.status_code for r in results] == [200] * 48
    assert 1 < peak <= 4
    state = backpressure_state(context)
    assert state is not None and state.in_flight == 0 and state.waiters == 0


async def test_async_driver_releases_on_cancellation() -> None:
    context, _ = capped_context(1)
    handler = handler_for(context)
    gate = asyncio.Event()

    async def serve(request: httpx.Request) -> httpx.Response:
        await gate.wait()
        return httpx.Response(200)

    driver = AsyncDriver(AsyncHttpxSender(httpx.AsyncClient(transport=httpx.MockTransport(serve))))
    sending = asyncio.create_task(driver.run(handler(Call(TOPOLOGY))))
    waiting = asyncio.create_task(driver.run(handler(Call(TOPOLOGY))))
    state = backpressure_state(context)
    assert state is not None
    await _async_wait_until(lambda: state.waiters == 1)
    waiting.cancel()
    sending.cancel()
    for task in (waiting, sending):
        with pytest.raises(asyncio.CancelledError):
            await task
    assert state.in_flight == 0 and state.waiters == 0


def test_sync_overload_lowers_the_limit_through_the_driver() -> None:
    context = make_context(CAMUNDA_SDK_BACKPRESSURE_INITIAL_LIMIT="10")
    handler = handler_for(context)
    problem = {"title": "RESOURCE_EXHAUSTED", "detail": "backpressure", "status": 500}
    driver = SyncDriver(
        HttpxSender(
            httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500, json=problem)))
        )
    )
    assert driver.run(handler(Call(TOPOLOGY))).status_code == 500
    state = backpressure_state(context)
    assert state is not None and state.limit == int(10 * DECREASE_FACTOR)


def _wait_until(predicate: Any, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.001)


async def _async_wait_until(predicate: Any, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.001)


# -- no cap until the cluster signals overload; a bounded queue once it has ---------------


class PeakCounter:
    """Counts requests in flight at the fake; each waits until ``target`` are in (or 5 s).

    Waiting for the target, rather than sleeping, makes the peak exact: a capped
    client never gets there, an uncapped one always does.
    """

    def __init__(self, target: int) -> None:
        self.target = target
        self.current = 0
        self.peak = 0
        self.lock = threading.Lock()
        self.all_in = threading.Event()

    def enter(self) -> None:
        with self.lock:
            self.current += 1
            self.peak = max(self.peak, self.current)
            if self.current >= self.target:
                self.all_in.set()

    def leave(self) -> None:
        with self.lock:
            self.current -= 1

    def serve(self, request: httpx.Request) -> httpx.Response:
        self.enter()
        self.all_in.wait(5.0)
        self.leave()
        return httpx.Response(200)

    async def serve_async(self, request: httpx.Request) -> httpx.Response:
        self.enter()
        deadline = time.monotonic() + 5.0
        while not self.all_in.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.001)
        self.leave()
        return httpx.Response(200)


async def test_200_concurrent_async_calls_to_a_healthy_cluster_all_run_at_once() -> None:
    context = make_context()
    handler = handler_for(context)
    fake = PeakCounter(200)
    driver = AsyncDriver(
        AsyncHttpxSender(httpx.AsyncClient(transport=httpx.MockTransport(fake.serve_async)))
    )
    results = await asyncio.gather(*(driver.run(handler(Call(TOPOLOGY))) for _ in range(200)))
    assert [r.status_code for r in results] == [200] * 200
    assert fake.peak == 200  # was 64: the initial limit capped a healthy cluster
    state = backpressure_state(context)
    assert state is not None
    assert (state.capped, state.limit, state.in_flight, state.waiters) == (False, None, 0, 0)


def test_200_concurrent_threads_to_a_healthy_cluster_all_run_at_once() -> None:
    context = make_context()
    handler = handler_for(context)
    fake = PeakCounter(200)
    driver = SyncDriver(HttpxSender(httpx.Client(transport=httpx.MockTransport(fake.serve))))
    with ThreadPoolExecutor(200) as pool:
        codes = list(
            pool.map(lambda _: driver.run(handler(Call(TOPOLOGY))).status_code, range(200))
        )
    assert codes == [200] * 200
    assert fake.peak == 200
    state = backpressure_state(context)
    assert state is not None and not state.capped and state.in_flight == 0


class OverloadedOnce(PeakCounter):
    """Answers the first request 429 at once, then serves like :class:`PeakCounter`."""

    def __init__(self, target: int) -> None:
        super().__init__(target)
        self.first = True

    def overloaded(self) -> bool:
        with self.lock:
            first, self.first = self.first, False
        return first

    def serve(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(429) if self.overloaded() else super().serve(request)

    async def serve_async(self, request: httpx.Request) -> httpx.Response:
        if self.overloaded():
            return httpx.Response(429)
        return await super().serve_async(request)


@pytest.mark.parametrize("driver_kind", ["sync", "async"])
def test_after_a_429_the_cap_applies(driver_kind: str) -> None:
    context = make_context()
    handler = handler_for(context)
    state = backpressure_state(context)
    assert state is not None
    # Held until 200 are in, which a capped client never reaches: the 5 s
    # fallback of the fake is cut short by a target equal to the cap.
    cap = int(backpressure.DEFAULT_INITIAL_LIMIT * DECREASE_FACTOR)
    fake = OverloadedOnce(cap)
    if driver_kind == "sync":
        driver = SyncDriver(HttpxSender(httpx.Client(transport=httpx.MockTransport(fake.serve))))
        assert driver.run(handler(Call(TOPOLOGY))).status_code == 429
        with ThreadPoolExecutor(200) as pool:
            codes = list(
                pool.map(lambda _: driver.run(handler(Call(TOPOLOGY))).status_code, range(200))
            )
    else:
        adriver = AsyncDriver(
            AsyncHttpxSender(httpx.AsyncClient(transport=httpx.MockTransport(fake.serve_async)))
        )

        async def calls() -> list[int]:
            assert (await adriver.run(handler(Call(TOPOLOGY)))).status_code == 429
            results = await asyncio.gather(
                *(adriver.run(handler(Call(TOPOLOGY))) for _ in range(200))
            )
            return [r.status_code for r in results]

        codes = asyncio.run(calls())
    assert codes == [200] * 200
    assert state.capped and state.severity in ("soft", "healthy")
    # 64 * 0.75 = 48 at the first signal; additive growth while in use may add a few.
    assert cap <= fake.peak <= limit_of(state) <= cap + 8
    assert state.in_flight == 0 and state.waiters == 0


def test_the_cap_is_lifted_after_a_quiet_period() -> None:
    clock = SimpleNamespace(now=100.0)
    state = BackpressureState(initial_limit=4, quiet_period=30.0, clock=lambda: clock.now)
    overload(state)
    assert (state.capped, state.limit) == (True, 3)
    held = [state.try_acquire() for _ in range(3)]
    assert state.try_acquire() is None  # capped
    got: list[int] = []
    waiter = threading.Thread(target=lambda: got.append(state.acquire_sync()))
    waiter.start()
    _wait_until(lambda: state.waiters == 1)
    clock.now += 29.9
    assert state.try_acquire() is None  # still within the quiet period
    clock.now += 0.1
    # Quiet for 30 s: uncapped, and the queued call goes too.
    extra = state.try_acquire()
    assert extra is not None
    waiter.join(timeout=2)
    assert got and state.waiters == 0
    assert (state.capped, state.limit, state.severity, state.backoff) == (
        False,
        None,
        "healthy",
        0.0,
    )
    assert state.in_flight == 5
    for p in [*held, extra, got[0]]:
        assert p is not None
        state.release(p, LoadSignal.SUCCESS)
    # The next signal caps afresh from the initial limit.
    overload(state)
    assert state.limit == 3


def test_a_release_after_the_quiet_period_lifts_the_cap() -> None:
    clock = SimpleNamespace(now=0.0)
    state = BackpressureState(initial_limit=2, clock=lambda: clock.now)
    overload(state)
    permit = state.try_acquire()
    assert permit is not None and state.try_acquire() is None
    clock.now += backpressure.QUIET_PERIOD
    state.release(permit, LoadSignal.SUCCESS)
    assert not state.capped and state.limit is None


def test_signals_keep_the_cap_on() -> None:
    clock = SimpleNamespace(now=0.0)
    state = BackpressureState(initial_limit=8, clock=lambda: clock.now)
    for _ in range(10):  # a signal every 20 s: never 30 s of quiet
        overload(state)
        clock.now += 20.0
        p = state.try_acquire()
        assert p is not None
        state.release(p, LoadSignal.SUCCESS)
        assert state.capped


def test_max_waiters_bounds_the_queue_sync() -> None:
    context, state = capped_context(1, CAMUNDA_SDK_BACKPRESSURE_MAX_WAITERS="3")
    handler = handler_for(context)
    release = threading.Event()

    def serve(request: httpx.Request) -> httpx.Response:
        release.wait(5.0)
        return httpx.Response(200)

    driver = SyncDriver(HttpxSender(httpx.Client(transport=httpx.MockTransport(serve))))
    with ThreadPoolExecutor(5) as pool:
        try:
            futures = [pool.submit(driver.run, handler(Call(TOPOLOGY)))]
            _wait_until(lambda: state.in_flight == 1)
            futures += [pool.submit(driver.run, handler(Call(TOPOLOGY))) for _ in range(3)]
            _wait_until(lambda: state.waiters == 3)
            refused = pool.submit(driver.run, handler(Call(TOPOLOGY)))
            # At once, not after a wait (a bounded wait: an unbounded queue would hang here).
            error = refused.exception(timeout=2)
            assert isinstance(error, BackpressureQueueFullError), error
            assert (error.max_waiters, error.operation_id) == (3, "getTopology")
            assert "getTopology" in str(error) and "MAX_WAITERS" in str(error)
            assert state.waiters == 3 and state.in_flight == 1  # the refusal took nothing
        finally:
            release.set()
        assert [f.result(timeout=5).status_code for f in futures] == [200] * 4
    assert state.in_flight == 0 and state.waiters == 0


async def test_max_waiters_bounds_the_queue_async() -> None:
    context, state = capped_context(1, CAMUNDA_SDK_BACKPRESSURE_MAX_WAITERS="3")
    handler = handler_for(context)
    release = asyncio.Event()

    async def serve(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return httpx.Response(200)

    driver = AsyncDriver(AsyncHttpxSender(httpx.AsyncClient(transport=httpx.MockTransport(serve))))
    tasks = [asyncio.create_task(driver.run(handler(Call(TOPOLOGY)))) for _ in range(4)]
    try:
        await _async_wait_until(lambda: state.waiters == 3)
        with pytest.raises(BackpressureQueueFullError) as info:
            await asyncio.wait_for(driver.run(handler(Call(TOPOLOGY))), 2)
        assert info.value.operation_id == "getTopology"
        assert state.waiters == 3 and state.in_flight == 1
    finally:
        release.set()
    assert [r.status_code for r in await asyncio.gather(*tasks)] == [200] * 4
    assert state.in_flight == 0 and state.waiters == 0


def test_the_queue_bound_defaults_to_1000_and_never_refuses_draining_calls() -> None:
    context, state = capped_context(1, CAMUNDA_SDK_BACKPRESSURE_MAX_WAITERS="0")
    assert backpressure.DEFAULT_MAX_WAITERS == 1000
    assert BackpressureState().max_waiters == 1000
    handler = handler_for(context)
    held = handler(Call(TOPOLOGY))
    assert isinstance(next(held), Send)
    assert state.try_acquire() is None
    with pytest.raises(BackpressureQueueFullError):
        state.acquire_sync("getTopology")  # no room to wait at all
    drain = handler(Call(COMPLETE, {"jobKey": "1"}))
    assert isinstance(next(drain), Send)  # never gated, never refused
    drain.close()
    held.close()
    assert state.in_flight == 0


def test_a_permit_for_a_waiter_whose_loop_closed_goes_to_the_next() -> None:
    state = capped_state(1)
    held = state.try_acquire()
    assert held is not None
    loop = asyncio.new_event_loop()
    waiting = loop.create_task(state.acquire_async())
    loop.run_until_complete(asyncio.sleep(0))  # queued behind the held permit
    assert state.waiters == 1
    loop.close()  # the application's loop is gone, its waiter with it
    state.release(held)  # from this thread: no error, and no permit lost
    assert state.in_flight == 0
    assert state.try_acquire() is not None
    del waiting
