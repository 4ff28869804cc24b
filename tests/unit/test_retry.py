"""The retry plugin: policy functions, the stage stepped by hand, both drivers."""

from __future__ import annotations

import asyncio
import email.utils
import random
from collections.abc import Generator
from typing import Any

import fakes
import httpx
import pytest
from fakes import FakeTransport, Recorder, RecordingLogger, handler_for

from camunda_sdk.config import resolve_config
from camunda_sdk.log import make_logger
from camunda_sdk.pipeline.call import Call, CallOptions
from camunda_sdk.pipeline.context import ClientContext
from camunda_sdk.pipeline.drivers import AsyncDriver, SyncDriver
from camunda_sdk.pipeline.effects import Send, Sleep
from camunda_sdk.pipeline.http import Request, Response
from camunda_sdk.pipeline.operation import Operation
from camunda_sdk.plugins import backpressure, retry
from camunda_sdk.plugins.backpressure import backpressure_state
from camunda_sdk.plugins.retry import RetryPolicy, delay_for, parse_retry_after, should_retry
from camunda_sdk.transport import AsyncHttpxSender, HttpxSender

TOPOLOGY = Operation("getTopology", "GET", "/topology", result=None)
CREATE = Operation("createProcessInstance", "POST", "/process-instances")
NOW = 1_800_000_000.0


TRANSPORT = FakeTransport("http://c.test/v2", {"authorization": "Bearer s3cr3t-token"})


def make_context(*plugins: Any, logger: Any = None, **settings: Any) -> ClientContext:
    """Retry (or ``plugins``) over a transport that adds a credential like auth would."""
    return fakes.make_context(
        *(plugins or (retry,)), transport=TRANSPORT, config=settings, logger=logger
    )


def response(status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(status, headers, b"", Request("GET", "http://c.test/"))


def step(flow: Generator[Any, Any, Any], script: list[Any]) -> tuple[list[Any], Any]:
    """Run ``flow`` answering each Send from ``script`` (a response or an exception)."""
    effects: list[Any] = []
    try:
        effect = next(flow)
        while True:
            effects.append(effect)
            if isinstance(effect, Send):
                outcome = script.pop(0)
                if isinstance(outcome, BaseException):
                    effect = flow.throw(outcome)
                else:
                    effect = flow.send(outcome)
            else:
                effect = flow.send(None)
    except StopIteration as stop:
        return effects, stop.value


def kinds(effects: list[Any]) -> list[str]:
    return [type(e).__name__ for e in effects]


# -- parse_retry_after --------------------------------------------------------------


def http_date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("3", 3.0),
        (" 1.5 ", 1.5),
        ("0", 0.0),
        ("-1", None),
        ("soon", None),
        ("nan", None),
        ("inf", 5.0),
        ("99999999999", 5.0),
        (http_date(NOW + 2), 2.0),
        (http_date(NOW - 3600), 0.0),
        (http_date(NOW + 10**6), 5.0),
        ("Mon, 32 Foo 2026 99:00:00 GMT", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, max_delay=5.0, now=NOW) == expected


# -- delay_for ---------------------------------------------------------------------


def test_delay_without_jitter_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(initial_delay=0.1, max_delay=1.0, jitter=False)
    assert [delay_for(n, policy) for n in range(1, 7)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    assert delay_for(10_000, policy) == 1.0  # no float overflow


def test_full_jitter_draws_within_the_backoff_reproducibly() -> None:
    policy = RetryPolicy(initial_delay=0.1, max_delay=5.0, rng=random.Random(42))
    first = [delay_for(n, policy) for n in range(1, 6)]
    assert all(0.0 <= d <= 0.1 * 2 ** (n - 1) for n, d in enumerate(first, 1))
    again = RetryPolicy(initial_delay=0.1, max_delay=5.0, rng=random.Random(42))
    assert [delay_for(n, again) for n in range(1, 6)] == first
    assert len(set(first)) == 5


def test_retry_after_wins_over_backoff_but_is_capped() -> None:
    policy = RetryPolicy(initial_delay=0.1, max_delay=2.0)
    assert delay_for(1, policy, retry_after=1.25) == 1.25
    assert delay_for(1, policy, retry_after=0.0) == 0.0
    assert delay_for(1, policy, retry_after=60.0) == 2.0


def test_policy_validation_and_config() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    config = resolve_config(
        {
            "CAMUNDA_SDK_RETRY_MAX_ATTEMPTS": "6",
            "CAMUNDA_SDK_RETRY_INITIAL_DELAY_MS": "250",
            "CAMUNDA_SDK_RETRY_MAX_DELAY_MS": "8000",
        },
        environ={},
    )
    assert RetryPolicy.from_config(config) == RetryPolicy(6, 0.25, 8.0)
    assert RetryPolicy.from_config(resolve_config({}, environ={})) == RetryPolicy(4, 0.1, 5.0)


# -- should_retry ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("idempotent", "status", "error", "expected"),
    [
        (False, None, httpx.ConnectError("x"), True),
        (False, None, httpx.ConnectTimeout("x"), True),
        (False, None, httpx.PoolTimeout("x"), True),
        (False, None, httpx.ReadTimeout("x"), False),
        (True, None, httpx.ReadTimeout("x"), True),
        (False, None, httpx.RemoteProtocolError("x"), False),
        (True, None, httpx.RemoteProtocolError("x"), True),
        (True, None, httpx.ReadError("x"), True),
        (True, None, ValueError("bug"), False),
        (True, None, httpx.UnsupportedProtocol("x"), False),
        (False, 429, None, True),
        (False, 503, None, True),
        (False, 500, None, False),
        (False, 502, None, False),
        (False, 504, None, False),
        (True, 500, None, True),
        (True, 502, None, True),
        (True, 504, None, True),
        (True, 501, None, False),
        (True, 400, None, False),
        (True, 404, None, False),
        (True, 409, None, False),
        (True, 200, None, False),
        (True, None, None, False),
    ],
)
def test_should_retry(
    idempotent: bool, status: int | None, error: BaseException | None, expected: bool
) -> None:
    assert should_retry(idempotent, status=status, error=error) is expected


# -- the stage, stepped by hand -------------------------------------------------------


def fast(**kwargs: Any) -> CallOptions:
    policy = RetryPolicy(initial_delay=0.01, max_delay=0.05, rng=random.Random(0), **kwargs)
    return CallOptions(retry=policy)


def test_503_is_retried_then_succeeds_with_attempts_recorded() -> None:
    handler = handler_for(make_context())
    call = Call(CREATE, options=fast())
    effects, result = step(handler(call), [response(503), response(503), response(200)])
    assert kinds(effects) == ["Send", "Sleep", "Send", "Sleep", "Send"]
    assert result.status_code == 200
    assert call.attempt == 3
    records = call.extensions["attempts"]
    assert [(r["attempt"], r["status"]) for r in records] == [(1, 503), (2, 503), (3, 200)]
    assert records[0]["delay"] == effects[1].seconds and records[-1]["delay"] is None
    assert 0 <= effects[1].seconds <= 0.01 and 0 <= effects[3].seconds <= 0.02


def test_retry_after_is_honoured() -> None:
    handler = handler_for(make_context())
    call = Call(TOPOLOGY, options=fast())
    effects, result = step(handler(call), [response(429, {"retry-after": "0.03"}), response(204)])
    assert kinds(effects) == ["Send", "Sleep", "Send"]
    assert effects[1].seconds == 0.03
    assert result.status_code == 204


def test_non_idempotent_post_is_not_replayed_after_it_may_have_applied() -> None:
    handler = handler_for(make_context())
    for status in (500, 502, 504):
        call = Call(CREATE, options=fast())
        effects, result = step(handler(call), [response(status)])
        assert kinds(effects) == ["Send"] and result.status_code == status
    call = Call(CREATE, options=fast())
    with pytest.raises(httpx.ReadTimeout):
        step(handler(call), [httpx.ReadTimeout("slow")])
    assert call.attempt == 1
    assert "attempts" not in call.extensions  # records are kept only for retried calls


def test_post_that_never_reached_the_server_is_replayed() -> None:
    handler = handler_for(make_context())
    call = Call(CREATE, options=fast())
    effects, result = step(
        handler(call), [httpx.ConnectError("refused"), httpx.PoolTimeout("pool"), response(200)]
    )
    assert kinds(effects) == ["Send", "Sleep", "Send", "Sleep", "Send"]
    assert result.status_code == 200
    assert [r.get("error") for r in call.extensions["attempts"]] == [
        "httpx.ConnectError",
        "httpx.PoolTimeout",
        None,
    ]


def test_idempotent_get_is_replayed_after_5xx_and_read_timeouts() -> None:
    handler = handler_for(make_context())
    call = Call(TOPOLOGY, options=fast())
    _, result = step(
        handler(call),
        [response(500), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("eof"), response(200)],
    )
    assert result.status_code == 200 and call.attempt == 4


def test_gives_up_after_max_attempts() -> None:
    handler = handler_for(make_context())
    call = Call(TOPOLOGY, options=fast(max_attempts=3))
    effects, result = step(handler(call), [response(503)] * 3)
    assert kinds(effects) == ["Send", "Sleep", "Send", "Sleep", "Send"]
    assert result.status_code == 503 and call.attempt == 3
    call = Call(TOPOLOGY, options=fast(max_attempts=2))
    with pytest.raises(httpx.ConnectError):
        step(handler(call), [httpx.ConnectError("a"), httpx.ConnectError("b")])
    assert call.attempt == 2


def test_client_defaults_come_from_the_configuration() -> None:
    handler = handler_for(make_context(CAMUNDA_SDK_RETRY_MAX_ATTEMPTS="2"))
    call = Call(TOPOLOGY)
    effects, result = step(handler(call), [response(503), response(503)])
    assert kinds(effects) == ["Send", "Sleep", "Send"] and result.status_code == 503
    assert 0 <= effects[1].seconds <= 0.1


def test_retry_false_disables_and_a_policy_replaces() -> None:
    handler = handler_for(make_context())
    call = Call(TOPOLOGY, options=CallOptions(retry=False))
    effects, result = step(handler(call), [response(503)])
    assert kinds(effects) == ["Send"] and result.status_code == 503 and call.attempt == 1
    policy = RetryPolicy(max_attempts=5, initial_delay=0.001, max_delay=1, jitter=False)
    call = Call(TOPOLOGY, options=CallOptions(retry=policy))
    effects, _ = step(handler(call), [response(503)] * 5)
    assert [e.seconds for e in effects if isinstance(e, Sleep)] == [0.001, 0.002, 0.004, 0.008]


def test_bad_retry_option_is_a_clear_error() -> None:
    handler = handler_for(make_context())
    with pytest.raises(TypeError, match="RetryPolicy"):
        next(handler(Call(TOPOLOGY, options=CallOptions(retry=3))))


def test_closing_during_the_backoff_stops_retrying() -> None:
    handler = handler_for(make_context())
    call = Call(TOPOLOGY, options=fast())
    flow = handler(call)
    next(flow)
    assert isinstance(flow.send(response(503)), Sleep)
    flow.close()  # cancellation: GeneratorExit is not retried
    assert call.attempt == 1


def test_retries_are_logged_at_info_without_secrets() -> None:
    log = RecordingLogger()
    handler = handler_for(make_context(logger=make_logger(log)))
    call = Call(TOPOLOGY, options=fast())
    call.headers["x-api-key"] = "hunter2"
    step(handler(call), [response(503), httpx.ConnectError("refused"), response(200)])
    lines = log.messages("info")
    assert len(lines) == 2
    assert "getTopology" in lines[0] and "503" in lines[0]
    assert "ConnectError" in lines[1]
    text = log.text()
    assert "s3cr3t" not in text and "hunter2" not in text and "c.test" not in text


# -- both drivers ---------------------------------------------------------------------


def too_many(request: httpx.Request) -> httpx.Response:
    return httpx.Response(429, headers={"retry-after": "0"})


SCENARIOS = [
    (TOPOLOGY, [503, 500, 200], 200, 3),
    (CREATE, [httpx.ConnectError, too_many, 201], 201, 3),
    (CREATE, [502], 502, 1),
    (TOPOLOGY, [httpx.ReadTimeout, 200], 200, 2),
    (TOPOLOGY, [503, 503, 503, 503], 503, 4),
]
FAST = {"CAMUNDA_SDK_RETRY_INITIAL_DELAY_MS": "1", "CAMUNDA_SDK_RETRY_MAX_DELAY_MS": "2"}


@pytest.mark.parametrize(("op", "script", "status", "sends"), SCENARIOS)
def test_scenarios_under_the_sync_driver(
    op: Operation, script: list[Any], status: int, sends: int
) -> None:
    handler = handler_for(make_context(**FAST))
    driver = SyncDriver(HttpxSender(httpx.Client(transport=httpx.MockTransport(Recorder(*script)))))
    call = Call(op)
    assert driver.run(handler(call)).status_code == status
    assert call.attempt == sends == len(call.extensions.get("attempts", [None]))


@pytest.mark.parametrize(("op", "script", "status", "sends"), SCENARIOS)
async def test_scenarios_under_the_async_driver(
    op: Operation, script: list[Any], status: int, sends: int
) -> None:
    handler = handler_for(make_context(**FAST))
    driver = AsyncDriver(
        AsyncHttpxSender(httpx.AsyncClient(transport=httpx.MockTransport(Recorder(*script))))
    )
    call = Call(op)
    assert (await driver.run(handler(call))).status_code == status
    assert call.attempt == sends == len(call.extensions.get("attempts", [None]))


def test_connection_failure_that_persists_is_raised_under_both_drivers() -> None:
    handler = handler_for(make_context(**FAST))
    always = httpx.MockTransport(Recorder(default=httpx.ConnectError))
    with pytest.raises(httpx.ConnectError):
        SyncDriver(HttpxSender(httpx.Client(transport=always))).run(handler(Call(CREATE)))
    driver = AsyncDriver(AsyncHttpxSender(httpx.AsyncClient(transport=always)))
    with pytest.raises(httpx.ConnectError):
        asyncio.run(driver.run(handler(Call(CREATE))))


def test_each_retry_passes_through_backpressure() -> None:
    # Built-in order: retry (registered later) wraps backpressure.
    context = make_context(backpressure, retry, **FAST)
    handler = handler_for(context)
    driver = SyncDriver(
        HttpxSender(httpx.Client(transport=httpx.MockTransport(Recorder(too_many, 200))))
    )
    call = Call(TOPOLOGY)
    assert driver.run(handler(call)).status_code == 200
    state = backpressure_state(context)
    assert state is not None
    assert state.limit == int(64 * backpressure.DECREASE_FACTOR)
    assert state.in_flight == 0 and call.attempt == 2
