"""The pipeline mechanics: hook ordering, drivers, effects and request building."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Generator
from typing import Any

import httpx
import pytest
from fakes import handler_for, make_context

from camunda_sdk.config import CamundaConfig
from camunda_sdk.pipeline.call import Call, CallOptions
from camunda_sdk.pipeline.context import ClientContext
from camunda_sdk.pipeline.drivers import AsyncDriver, SyncDriver
from camunda_sdk.pipeline.effects import Acquire, Send, Sleep
from camunda_sdk.pipeline.hookspecs import Handler, hookimpl
from camunda_sdk.pipeline.http import Request
from camunda_sdk.pipeline.operation import Operation
from camunda_sdk.plugins import transport
from camunda_sdk.transport import AsyncHttpxSender, HttpxSender
from camunda_sdk.transport.request import build_request

TOPOLOGY = Operation("getTopology", "GET", "/topology", result=None)
CANCEL = Operation(
    "cancelProcessInstance", "POST", "/process-instances/{processInstanceKey}/cancellation"
)


def handler_with(*stages: object) -> Handler:
    """The real transport plugin wrapped by ``stages`` (later ones outside)."""
    config = CamundaConfig(rest_address="http://camunda.test/v2", timeout_ms=5000)
    return handler_for(make_context(*stages, transport=transport, config=config))


class TrailStage:
    """A stage that records the order in which calls enter and leave it."""

    def __init__(self, name: str, trail: list[str]) -> None:
        self.name = name
        self.trail = trail

    @hookimpl(wrapper=True)
    def camunda_call_handler(self, context: ClientContext) -> Generator[None, Any, Any]:
        inner = yield

        def stage(call: Call) -> Generator[Any, Any, httpx.Response]:
            self.trail.append(f"enter {self.name}")
            response = yield from inner(call)
            self.trail.append(f"leave {self.name}")
            return response

        return stage


def ok_transport(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"path": request.url.path})


def test_later_registered_stages_wrap_earlier_ones() -> None:
    trail: list[str] = []
    handler = handler_with(TrailStage("first", trail), TrailStage("second", trail))
    driver = SyncDriver(HttpxSender(httpx.Client(transport=httpx.MockTransport(ok_transport))))
    response = driver.run(handler(Call(TOPOLOGY)))
    assert response.json() == {"path": "/v2/topology"}
    assert trail == ["enter second", "enter first", "leave first", "leave second"]


def test_same_stage_runs_under_both_drivers() -> None:
    trail: list[str] = []
    handler = handler_with(TrailStage("only", trail))
    sync = SyncDriver(HttpxSender(httpx.Client(transport=httpx.MockTransport(ok_transport))))
    asyn = AsyncDriver(
        AsyncHttpxSender(httpx.AsyncClient(transport=httpx.MockTransport(ok_transport)))
    )
    assert sync.run(handler(Call(TOPOLOGY))).status_code == 200
    assert asyncio.run(asyn.run(handler(Call(TOPOLOGY)))).status_code == 200
    assert trail == ["enter only", "leave only"] * 2


def test_transport_errors_are_thrown_into_the_stage() -> None:
    seen: list[str] = []

    def failing(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    def flow() -> Generator[Any, Any, str]:
        try:
            yield Send(Request("GET", "http://camunda.test/v2/topology"))
        except httpx.ConnectError as exc:
            seen.append(type(exc).__name__)
            return "recovered"
        return "sent"

    driver = SyncDriver(HttpxSender(httpx.Client(transport=httpx.MockTransport(failing))))
    assert driver.run(flow()) == "recovered"
    assert seen == ["ConnectError"]


def test_cancellation_closes_the_generator_and_releases_the_lock() -> None:
    released: list[bool] = []

    def flow() -> Generator[Any, Any, None]:
        lock = yield Acquire("shared")
        try:
            yield Sleep(10)
        finally:
            lock.release()
            released.append(True)

    async def main() -> None:
        driver = AsyncDriver(AsyncHttpxSender(httpx.AsyncClient()))
        task = asyncio.create_task(driver.run(flow()))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not driver.lock("shared").locked()

    asyncio.run(main())
    assert released == [True]


def test_acquire_gives_each_client_one_lock_per_name() -> None:
    driver = SyncDriver(HttpxSender(httpx.Client()))
    assert driver.lock("a") is driver.lock("a")
    assert driver.lock("a") is not driver.lock("b")


def test_build_request_quotes_path_params_and_drops_none_query_values() -> None:
    call = Call(CANCEL, {"processInstanceKey": "12/34"}, {"a": None, "b": True, "c": [1, 2]})
    request = build_request(call, "http://camunda.test/v2", None)
    assert (
        request.url
        == "http://camunda.test/v2/process-instances/12%2F34/cancellation?b=true&c=1&c=2"
    )


def test_build_request_serialises_body_and_applies_call_options() -> None:
    options = CallOptions(timeout=2.5, headers={"x-team": "payments"})
    call = Call(CANCEL, {"processInstanceKey": "1"}, None, {"operationReference": 7}, options)
    request = build_request(call, "http://camunda.test/v2", 30.0)
    assert request.content is not None and json.loads(request.content) == {"operationReference": 7}
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-team"] == "payments"
    assert request.timeout == 2.5


def test_missing_path_param_is_a_clear_error() -> None:
    call = Call(CANCEL, {"processInstanceKey": None})
    with pytest.raises(ValueError, match="processInstanceKey"):
        build_request(call, "http://camunda.test/v2", None)


def test_call_repr_hides_headers() -> None:
    call = Call(TOPOLOGY)
    call.headers["authorization"] = "Basic c2VjcmV0"
    assert "c2VjcmV0" not in repr(call)
