"""The backpressure plugin: limiter arithmetic, permits, the stage, both drivers."""

from __future__ import annotations

import asyncio
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
from camunda_sdk.errors import ConfigurationError
from camunda_sdk.operations import descriptors
from camunda_sdk.pipeline.call import Call
from camunda_sdk.pipeline.context import ClientContext
from camunda_sdk.pipeline.drivers import AsyncDriver, SyncDriver
from camunda_sdk.pipeline.effects import Send, Sleep
from camunda_sdk.pipeline.operation import Operation
from camunda_sdk.plugins import backpressure
from camunda_sdk.plugins.backpressure import (
    DECREASE_FACTOR,
    AcquirePermit,
    BackpressureState,
    Outcome,
    backpressure_state,
    classify,
)

TOPOLOGY = Operation("getTopology", "GET", "/topology", result=None)
COMPLETE = descriptors.completeJob  # the generator marks it draining


def make_context(**settings: Any) -> ClientContext:
    return fakes.make_context(backpressure, config=settings)


def response(status: int, **kwargs: Any) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("GET", "http://c.test/"), **kwargs)


# -- classification -------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, None, Outcome.SUCCESS),
        (204, None, Outcome.SUCCESS),
        (404, {"title": "NOT_FOUND"}, Outcome.SUCCESS),
        (429, None, Outcome.OVERLOAD),
        (503, None, Outcome.OVERLOAD),
        (500, {"title": "RESOURCE_EXHAUSTED", "detail": "queue full"}, Outcome.OVERLOAD),
        (500, {"title": "x", "detail": "Expected ... RESOURCE_EXHAUSTED"}, Outcome.OVERLOAD),
        (400, {"title": "INVALID", "instance": "RESOURCE_EXHAUSTED"}, Outcome.SUCCESS),
        (500, {"title": "INTERNAL"}, Outcome.NEUTRAL),
        (502, None, Outcome.NEUTRAL),
    ],
)
def test_classify(status: int, body: Any, expected: Outcome) -> None:
    kwargs = {"json": body} if body is not None else {}
    assert classify(response(status, **kwargs)) is expected


def test_classify_ignores_non_json_mentions() -> None:
    assert classify(response(500, text="RESOURCE_EXHAUSTED")) is Outcome.NEUTRAL


# -- arithmetic -------------------------------------------------------------------


def test_overload_decreases_once_per_window() -> None:
    state = BackpressureState(initial_limit=64)
    permits = [state.try_acquire() for _ in range(10)]
    assert state.in_flight == 10
    for p in permits:  # all were in flight when the first signal arrived
        assert p is not None
        state.release(p, Outcome.OVERLOAD)
    assert state.limit == int(64 * DECREASE_FACTOR)
    assert state.in_flight == 0
    assert state.severity == "soft"
    p = state.try_acquire()  # started after the drop: its signal counts again
    assert p is not None
    state.release(p, Outcome.OVERLOAD)
    assert state.limit == int(64 * DECREASE_FACTOR * DECREASE_FACTOR)


def test_floor_then_exponential_backoff_then_recovery() -> None:
    state = BackpressureState(initial_limit=2, rng=random.Random(1))
    limits, backoffs = [], []
    for _ in range(8):
        p = state.try_acquire()
        assert p is not None
        state.release(p, Outcome.OVERLOAD)
        limits.append(state.limit)
        backoffs.append(state.backoff)
    assert limits == [1] * 8
    assert backoffs[:4] == [0.0, 0.05, 0.1, 0.2]  # 2 -> 1.5 (whole permits: 1), then back off
    assert backoffs[-1] <= backpressure.BACKOFF_MAX
    assert state.severity == "severe"
    assert 0.5 * state.backoff <= state.backoff_delay() <= state.backoff
    p = state.try_acquire()
    assert p is not None
    state.release(p, Outcome.SUCCESS)
    assert state.backoff == 0.0
    assert state.backoff_delay() == 0.0
    assert state.severity == "healthy"  # at limit 1 one success is a clean window


def test_additive_increase_while_in_use_up_to_the_ceiling() -> None:
    state = BackpressureState(initial_limit=4, max_limit=6)
    for _ in range(200):
        permits = [state.try_acquire() for _ in range(state.limit)]
        for p in permits:
            assert p is not None
            state.release(p, Outcome.SUCCESS)
    assert state.limit == 6
    assert state.severity == "healthy"


def test_additive_increase_is_about_one_per_window() -> None:
    state = BackpressureState(initial_limit=8)
    permits = [state.try_acquire() for _ in range(8)]
    for _ in range(9):  # a steady load of 8: each success adds 1/limit
        p = permits.pop(0)
        assert p is not None
        state.release(p, Outcome.SUCCESS)
        permits.append(state.try_acquire())
    assert state.limit == 9


def test_idle_client_does_not_drift_up() -> None:
    state = BackpressureState(initial_limit=64)
    for _ in range(1000):
        p = state.try_acquire()
        assert p is not None
        state.release(p, Outcome.SUCCESS)
    assert state.limit == 64


def test_severity_recovers_after_a_clean_window() -> None:
    state = BackpressureState(initial_limit=4)
    p = state.try_acquire()
    assert p is not None
    state.release(p, Outcome.OVERLOAD)
    assert (state.limit, state.severity) == (3, "soft")
    for _ in range(3):
        p = state.try_acquire()
        assert p is not None
        state.release(p, Outcome.SUCCESS)
    assert state.severity == "healthy"


def test_neutral_outcomes_change_nothing() -> None:
    state = BackpressureState(initial_limit=4)
    p = state.try_acquire()
    assert p is not None
    state.release(p, Outcome.NEUTRAL)
    assert state.snapshot() == {
        "profile": "BALANCED",
        "limit": 4,
        "in_flight": 0,
        "waiters": 0,
        "severity": "healthy",
        "backoff": 0.0,
    }


# -- permits and waiting ------------------------------------------------------------


def test_try_acquire_respects_the_limit_and_queued_waiters() -> None:
    state = BackpressureState(initial_limit=2)
    a, b = state.try_acquire(), state.try_acquire()
    assert a is not None and b is not None
    assert state.try_acquire() is None
    got: list[int] = []
    thread = threading.Thread(target=lambda: got.append(state.acquire_sync()))
    thread.start()
    _wait_until(lambda: state.waiters == 1)
    state.release(a, Outcome.NEUTRAL)  # handed straight to the queued thread
    thread.join(timeout=2)
    assert got and state.in_flight == 2 and state.waiters == 0
    state.release(b, Outcome.NEUTRAL)
    state.release(got[0], Outcome.NEUTRAL)
    assert state.in_flight == 0


def test_sync_waiters_are_served_in_order_and_many_threads_stay_within_limit() -> None:
    state = BackpressureState(initial_limit=3)
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
        state.release(p, Outcome.NEUTRAL)

    with ThreadPoolExecutor(16) as pool:
        for f in [pool.submit(work) for _ in range(64)]:
            f.result(timeout=5)
    assert peak == 3
    assert state.in_flight == 0 and state.waiters == 0


async def test_async_waiter_is_woken_by_release() -> None:
    state = BackpressureState(initial_limit=1)
    first = await state.acquire_async()
    task = asyncio.create_task(state.acquire_async())
    await asyncio.sleep(0)
    assert state.waiters == 1 and not task.done()
    state.release(first, Outcome.SUCCESS)
    second = await asyncio.wait_for(task, 1)
    assert second == first + 1 and state.in_flight == 1


async def test_cancelled_async_waiter_leaves_the_queue() -> None:
    state = BackpressureState(initial_limit=1)
    first = await state.acquire_async()
    task = asyncio.create_task(state.acquire_async())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert state.waiters == 0
    state.release(first, Outcome.NEUTRAL)
    assert state.in_flight == 0


async def test_waiter_cancelled_after_its_grant_passes_the_permit_on() -> None:
    state = BackpressureState(initial_limit=1)
    first = await state.acquire_async()
    doomed = asyncio.create_task(state.acquire_async())
    next_in_line = asyncio.create_task(state.acquire_async())
    await asyncio.sleep(0)
    state.release(first, Outcome.NEUTRAL)  # granted to `doomed`, which has not run yet
    doomed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await doomed
    permit = await asyncio.wait_for(next_in_line, 1)
    assert state.in_flight == 1
    state.release(permit, Outcome.NEUTRAL)
    assert state.in_flight == 0


async def test_release_from_another_thread_wakes_an_async_waiter() -> None:
    state = BackpressureState(initial_limit=1)
    first = await state.acquire_async()
    task = asyncio.create_task(state.acquire_async())
    await asyncio.sleep(0)
    await asyncio.to_thread(state.release, first, Outcome.NEUTRAL)
    assert await asyncio.wait_for(task, 1) > first


# -- the stage, stepped by hand -------------------------------------------------------


def test_stage_takes_and_returns_a_permit_per_attempt() -> None:
    context = make_context(CAMUNDA_SDK_BACKPRESSURE_INITIAL_LIMIT="1")
    handler = handler_for(context)
    state = backpressure_state(context)
    assert isinstance(state, BackpressureState)
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
    context = make_context(CAMUNDA_SDK_BACKPRESSURE_INITIAL_LIMIT="1")
    handler = handler_for(context)
    state = backpressure_state(context)
    assert state is not None
    held = handler(Call(TOPOLOGY))
    next(held)
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
    assert state.in_flight == 0 and state.limit == 64 and state.severity == "healthy"


def test_rebuilding_the_pipeline_keeps_the_limiter() -> None:
    context = make_context()
    handler_for(context)
    state = backpressure_state(context)
    handler_for(context)
    assert backpressure_state(context) is state


# -- configuration ------------------------------------------------------------------


def test_settings_are_read_from_the_configuration() -> None:
    context = make_context(
        CAMUNDA_SDK_BACKPRESSURE_INITIAL_LIMIT="8", CAMUNDA_SDK_BACKPRESSURE_MAX_LIMIT="16"
    )
    handler_for(context)
    state = backpressure_state(context)
    assert state is not None and (state.limit, state.max_limit) == (8, 16)


@pytest.mark.parametrize(
    ("settings", "variable"),
    [
        ({"CAMUNDA_SDK_BACKPRESSURE_INITIAL_LIMIT": "many"}, "INITIAL_LIMIT"),
        ({"CAMUNDA_SDK_BACKPRESSURE_INITIAL_LIMIT": "0"}, "INITIAL_LIMIT"),
        ({"CAMUNDA_SDK_BACKPRESSURE_MAX_LIMIT": "-3"}, "MAX_LIMIT"),
        ({"CAMUNDA_SDK_BACKPRESSURE_MAX_LIMIT": "4", "CAMUNDA_SDK_BACKPRESSURE_INITIAL_LIMIT": "8"},
         "INITIAL_LIMIT"),
    ],
)  # fmt: skip
def test_bad_settings_name_the_variable(settings: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        handler_for(make_context(**settings))
    assert info.value.variable == "CAMUNDA_SDK_BACKPRESSURE_" + variable


def test_unknown_profile_from_a_stand_in_config_names_the_variable() -> None:
    stand_in = SimpleNamespace(backpressure_profile="TURBO", raw={})
    with pytest.raises(ConfigurationError) as info:
        backpressure.state_from_config(stand_in)
    assert info.value.variable == "CAMUNDA_SDK_BACKPRESSURE_PROFILE"


def test_unknown_profile_is_rejected_by_the_config_too() -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_config({"CAMUNDA_SDK_BACKPRESSURE_PROFILE": "TURBO"}, environ={})
    assert info.value.variable == "CAMUNDA_SDK_BACKPRESSURE_PROFILE"


def test_backpressure_state_of_something_without_one_is_none() -> None:
    assert backpressure_state(object()) is None


# -- both drivers ---------------------------------------------------------------------


def test_sync_driver_keeps_concurrency_within_the_limit() -> None:
    context = make_context(
        CAMUNDA_SDK_BACKPRESSURE_INITIAL_LIMIT="4", CAMUNDA_SDK_BACKPRESSURE_MAX_LIMIT="4"
    )
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

    driver = SyncDriver(httpx.Client(transport=httpx.MockTransport(serve)))
    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(lambda _: driver.run(handler(Call(TOPOLOGY))).status_code, range(48)))
    assert codes == [200] * 48
    assert 1 < peak <= 4
    state = backpressure_state(context)
    assert state is not None and state.in_flight == 0 and state.waiters == 0


async def test_async_driver_keeps_concurrency_within_the_limit() -> None:
    context = make_context(
        CAMUNDA_SDK_BACKPRESSURE_INITIAL_LIMIT="4", CAMUNDA_SDK_BACKPRESSURE_MAX_LIMIT="4"
    )
    handler = handler_for(context)
    current = peak = 0

    async def serve(request: httpx.Request) -> httpx.Response:
        nonlocal current, peak
        current += 1
        peak = max(peak, current)
        await asyncio.sleep(0.001)
        current -= 1
        return httpx.Response(200)

    driver = AsyncDriver(httpx.AsyncClient(transport=httpx.MockTransport(serve)))
    results = await asyncio.gather(*(driver.run(handler(Call(TOPOLOGY))) for _ in range(48)))
    assert [r.status_code for r in results] == [200] * 48
    assert 1 < peak <= 4
    state = backpressure_state(context)
    assert state is not None and state.in_flight == 0 and state.waiters == 0


async def test_async_driver_releases_on_cancellation() -> None:
    context = make_context(CAMUNDA_SDK_BACKPRESSURE_INITIAL_LIMIT="1")
    handler = handler_for(context)
    gate = asyncio.Event()

    async def serve(request: httpx.Request) -> httpx.Response:
        await gate.wait()
        return httpx.Response(200)

    driver = AsyncDriver(httpx.AsyncClient(transport=httpx.MockTransport(serve)))
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
        httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500, json=problem)))
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
