"""The tracing plugin: spans, attempt events, propagation, suppression and metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from typing import Any

import httpx
import pytest
from fakes import Recorder, Reply, handler_for, make_context
from fakes.telemetry import Telemetry
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.metrics import _internal as metrics_internal
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import SpanKind, StatusCode

from camunda_sdk.config import CamundaConfig
from camunda_sdk.pipeline.call import Call
from camunda_sdk.pipeline.context import ClientContext
from camunda_sdk.pipeline.drivers import AsyncDriver, SyncDriver
from camunda_sdk.pipeline.effects import Effect, Send, Sleep
from camunda_sdk.pipeline.hookspecs import Handler, hookimpl
from camunda_sdk.pipeline.http import Request, Response
from camunda_sdk.pipeline.operation import Operation
from camunda_sdk.plugins import tracing
from camunda_sdk.transport import AsyncHttpxSender, HttpxSender

TOPOLOGY = Operation("getTopology", "GET", "/topology", result=None)
GET_INSTANCE = Operation(
    "getProcessInstance", "GET", "/process-instances/{processInstanceKey}", result=None
)
ADDRESS = "http://demo:s3cret-pw@camunda.test:8088/v2"
SUPPRESS_KEY = otel_context._SUPPRESS_HTTP_INSTRUMENTATION_KEY


class FakeRetry:
    """Stands in for the retry plugin: resends on 503 and writes attempt records."""

    def __init__(self, delay: float = 0.001) -> None:
        self.delay = delay

    @hookimpl(wrapper=True)
    def camunda_call_handler(self, context: ClientContext) -> Generator[None, Any, Handler]:
        inner = yield

        def retry(call: Call) -> Generator[Effect, Any, httpx.Response]:
            records = call.extensions.setdefault("attempts", [])
            while True:
                call.attempt += 1
                response = yield from inner(call)
                if response.status_code != 503 or call.attempt == 3:
                    records.append({"attempt": call.attempt, "status": response.status_code})
                    return response
                records.append(
                    {"attempt": call.attempt, "status": response.status_code, "delay": self.delay}
                )
                yield Sleep(self.delay)

        return retry


class FakeTokenFetch:
    """Stands in for OAuth: sends a token request to another host, adds a header."""

    @hookimpl(wrapper=True)
    def camunda_call_handler(self, context: ClientContext) -> Generator[None, Any, Handler]:
        inner = yield

        def auth(call: Call) -> Generator[Effect, Any, Response]:
            token = yield Send(Request("POST", "http://idp.test/oauth/token"))
            call.headers["authorization"] = "Bearer " + token.json()["access_token"]
            return (yield from inner(call))

        return auth


@pytest.fixture
def telemetry() -> Telemetry:
    return Telemetry()


def build(
    *plugins: object,
    telemetry: Telemetry | None = None,
    config: Any = None,
    tracer_provider: Any = None,
    meter_provider: Any = None,
) -> tuple[Handler, ClientContext]:
    """A pipeline of FakeTransport, ``plugins`` (innermost first) and tracing."""
    context = make_context(
        *plugins,
        tracing,
        config=config or CamundaConfig(rest_address=ADDRESS),
        tracer_provider=telemetry.tracer_provider if telemetry else tracer_provider,
        meter_provider=telemetry.meter_provider if telemetry else meter_provider,
    )
    return handler_for(context), context


Responder = Callable[[httpx.Request], httpx.Response]


def sync_driver(respond: Responder) -> SyncDriver:
    return SyncDriver(HttpxSender(httpx.Client(transport=httpx.MockTransport(respond))))


def async_driver(respond: Any) -> AsyncDriver:
    return AsyncDriver(AsyncHttpxSender(httpx.AsyncClient(transport=httpx.MockTransport(respond))))


class Server(Recorder):
    """Scripted statuses (the last repeats); notes whether HTTP spans were suppressed.

    It also plays the identity provider of :class:`FakeTokenFetch`.
    """

    def __init__(self, *statuses: int) -> None:
        *first, last = statuses or (200,)
        super().__init__(*first, default=last)
        self.suppressed: list[bool] = []

    def reply_for(self, request: httpx.Request) -> Reply:
        self.suppressed.append(bool(otel_context.get_value(SUPPRESS_KEY)))
        if request.url.host == "idp.test":
            return httpx.Response(200, json={"access_token": "tok-123"})
        return super().reply_for(request)


def traceparent_of(span: ReadableSpan) -> str:
    ctx = span.get_span_context()
    assert ctx is not None
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{ctx.trace_flags:02x}"


def test_span_name_kind_attributes_and_parent(telemetry: Telemetry) -> None:
    handler, _ = build(telemetry=telemetry)
    server = Server(200)
    parent_tracer = telemetry.tracer_provider.get_tracer("app")
    with parent_tracer.start_as_current_span("business-step") as parent:
        call = Call(GET_INSTANCE, {"processInstanceKey": "2251799813685249"}, {"token": "qv"})
        response = sync_driver(server).run(handler(call))
    assert response.status_code == 200

    [span] = telemetry.spans("GET /process-instances/{processInstanceKey}")
    assert span.kind is SpanKind.CLIENT
    assert span.parent is not None
    assert span.parent.span_id == parent.get_span_context().span_id
    assert span.instrumentation_scope is not None
    assert span.instrumentation_scope.name == "camunda_sdk"
    assert dict(span.attributes or {}) == {
        "http.request.method": "GET",
        "url.full": "http://camunda.test:8088/v2/process-instances/2251799813685249",
        "url.template": "/v2/process-instances/{processInstanceKey}",
        "server.address": "camunda.test",
        "server.port": 8088,
        "http.response.status_code": 200,
        "camunda.operation_id": "getProcessInstance",
    }
    assert span.status.status_code is StatusCode.UNSET
    assert span.events == ()  # one attempt: the span itself is its record


def test_default_port_is_filled_in_and_no_query_or_userinfo_leaks(telemetry: Telemetry) -> None:
    config = CamundaConfig(rest_address="https://user:pw@cluster.example/v2")
    handler, _ = build(FakeTokenFetch(), telemetry=telemetry, config=config)
    sync_driver(Server(200)).run(handler(Call(TOPOLOGY, None, {"secret": "abc"})))
    [span] = telemetry.spans()
    attributes = dict(span.attributes or {})
    assert attributes["server.port"] == 443
    assert attributes["url.full"] == "https://cluster.example/v2/topology"
    rendered = repr(attributes) + repr([e.attributes for e in span.events])
    for secret in ("pw", "abc", "tok-123", "Bearer", "authorization"):
        assert secret not in rendered


def test_status_404_sets_error_type_and_error_status(telemetry: Telemetry) -> None:
    handler, _ = build(telemetry=telemetry)
    response = sync_driver(Server(404)).run(handler(Call(TOPOLOGY)))
    assert response.status_code == 404
    [span] = telemetry.spans()
    assert span.attributes is not None
    assert span.attributes["error.type"] == "404"
    assert span.attributes["http.response.status_code"] == 404
    assert span.status.status_code is StatusCode.ERROR


def test_transport_error_sets_exception_error_type(telemetry: Telemetry) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    handler, _ = build(telemetry=telemetry)
    with pytest.raises(httpx.ConnectError):
        sync_driver(refuse).run(handler(Call(TOPOLOGY)))
    [span] = telemetry.spans()
    assert span.attributes is not None
    assert span.attributes["error.type"] == "httpx.ConnectError"
    assert "http.response.status_code" not in span.attributes
    assert span.status.status_code is StatusCode.ERROR
    assert [e.name for e in span.events] == ["exception"]


def test_traceparent_header_matches_the_span(telemetry: Telemetry) -> None:
    handler, _ = build(telemetry=telemetry)
    server = Server(200)
    call = Call(TOPOLOGY)
    sync_driver(server).run(handler(call))
    [span] = telemetry.spans()
    [request] = server.requests
    assert request.headers["traceparent"] == traceparent_of(span)
    assert int(traceparent_of(span)[-2:], 16) & 1  # sampled


def test_one_span_for_a_retried_call_with_an_event_per_attempt(telemetry: Telemetry) -> None:
    handler, _ = build(FakeRetry(delay=0.001), telemetry=telemetry)
    server = Server(503, 503, 200)
    response = sync_driver(server).run(handler(Call(TOPOLOGY)))
    assert response.status_code == 200
    assert len(server.requests) == 3

    [span] = telemetry.spans()
    assert span.attributes is not None
    assert span.attributes["http.request.resend_count"] == 2
    assert span.attributes["http.response.status_code"] == 200
    assert "error.type" not in span.attributes
    assert [dict(e.attributes or {}) for e in span.events] == [
        {"camunda.attempt": 1, "http.response.status_code": 503, "camunda.retry.delay": 0.001},
        {"camunda.attempt": 2, "http.response.status_code": 503, "camunda.retry.delay": 0.001},
        {"camunda.attempt": 3, "http.response.status_code": 200},
    ]
    times = [e.timestamp for e in span.events]
    assert times == sorted(times)
    assert span.start_time is not None and span.end_time is not None
    assert span.start_time <= times[0] and times[-1] <= span.end_time
    # every attempt carries the same trace context
    assert {r.headers["traceparent"] for r in server.requests} == {traceparent_of(span)}

    metrics = telemetry.metrics()
    [retries] = metrics["camunda.client.call.retries"]
    assert retries.value == 2
    assert retries.attributes["camunda.operation_id"] == "getTopology"
    [duration] = metrics["camunda.client.call.duration"]
    assert duration.count == 1
    assert duration.sum >= 0.002  # both backoff sleeps are part of the call
    assert dict(duration.attributes) == {
        "camunda.operation_id": "getTopology",
        "http.request.method": "GET",
        "http.response.status_code": 200,
    }


def test_attempt_records_without_observed_sends_still_become_events(
    telemetry: Telemetry,
) -> None:
    class RecordsOnly:
        """An inner stage that answers itself, having 'tried' twice."""

        @hookimpl(wrapper=True)
        def camunda_call_handler(self, context: ClientContext) -> Generator[None, Any, Handler]:
            yield

            def stage(call: Call) -> Generator[Effect, Any, httpx.Response]:
                call.extensions["attempts"] = [
                    {"attempt": 1, "error": "httpx.ReadTimeout", "delay": 0.5},
                    {"attempt": 2, "status": 200},
                ]
                if False:  # a generator that yields nothing
                    yield Sleep(0)
                return httpx.Response(200)

            return stage

    handler, _ = build(RecordsOnly(), telemetry=telemetry)
    sync_driver(Server()).run(handler(Call(TOPOLOGY)))
    [span] = telemetry.spans()
    assert span.attributes is not None
    assert span.attributes["http.request.resend_count"] == 1
    assert [dict(e.attributes or {}) for e in span.events] == [
        {"camunda.attempt": 1, "error.type": "httpx.ReadTimeout", "camunda.retry.delay": 0.5},
        {"camunda.attempt": 2, "http.response.status_code": 200},
    ]


def test_tracing_disabled_leaves_the_stage_out(telemetry: Telemetry) -> None:
    config = CamundaConfig(rest_address=ADDRESS, tracing=False)
    handler, _ = build(telemetry=telemetry, config=config)
    server = Server(200)
    sync_driver(server).run(handler(Call(TOPOLOGY)))
    assert telemetry.spans() == []
    assert "traceparent" not in server.requests[0].headers
    assert server.suppressed == [False]
    assert telemetry.metrics() == {}


def test_tracing_disabled_through_the_setting(telemetry: Telemetry) -> None:
    handler, _ = build(
        config=CamundaConfig(rest_address=ADDRESS, tracing=False), telemetry=telemetry
    )
    server = Server(200)
    sync_driver(server).run(handler(Call(TOPOLOGY)))
    assert telemetry.spans() == []
    assert "traceparent" not in server.requests[0].headers


async def test_async_driver_traces_and_propagates(telemetry: Telemetry) -> None:
    handler, _ = build(FakeRetry(delay=0), telemetry=telemetry)
    server = Server(503, 200)

    async def respond(request: httpx.Request) -> httpx.Response:
        return server(request)

    with telemetry.tracer_provider.get_tracer("app").start_as_current_span("handler") as parent:
        response = await async_driver(respond).run(handler(Call(TOPOLOGY)))
    assert response.status_code == 200
    [span] = telemetry.spans("GET /topology")
    assert span.parent is not None
    assert span.parent.span_id == parent.get_span_context().span_id
    assert span.attributes is not None
    assert span.attributes["http.request.resend_count"] == 1
    assert [r.headers["traceparent"] for r in server.requests] == [traceparent_of(span)] * 2
    assert server.suppressed == [True, True]
    assert otel_context.get_value(SUPPRESS_KEY) is None


def test_api_sends_are_suppressed_and_token_fetches_are_not(telemetry: Telemetry) -> None:
    handler, _ = build(FakeTokenFetch(), telemetry=telemetry)
    server = Server(200)
    sync_driver(server).run(handler(Call(TOPOLOGY)))
    assert [r.url.host for r in server.requests] == ["idp.test", "camunda.test"]
    assert server.suppressed == [False, True]
    assert otel_context.get_value(SUPPRESS_KEY) is None
    [span] = telemetry.spans()
    assert span.events == ()  # the token fetch is not an attempt
    assert "traceparent" not in server.requests[0].headers


def test_generator_closed_early_still_ends_the_span(telemetry: Telemetry) -> None:
    handler, _ = build(telemetry=telemetry)
    flow = handler(Call(TOPOLOGY))
    effect = next(flow)
    assert isinstance(effect, tracing.UninstrumentedSend)
    assert telemetry.spans() == []
    flow.close()
    [span] = telemetry.spans()
    assert span.end_time is not None
    assert span.attributes is not None
    assert span.attributes["error.type"] == "GeneratorExit"


async def test_cancelled_async_call_ends_the_span(telemetry: Telemetry) -> None:
    handler, _ = build(telemetry=telemetry)
    entered = asyncio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        entered.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    task = asyncio.ensure_future(async_driver(hang).run(handler(Call(TOPOLOGY))))
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    [span] = telemetry.spans()
    assert span.attributes is not None
    assert span.attributes["error.type"] == "asyncio.exceptions.CancelledError"
    assert span.status.status_code is StatusCode.ERROR
    # a cancellation is not an exception worth a stack trace
    assert span.events == ()
    [duration] = telemetry.metrics()["camunda.client.call.duration"]
    assert duration.attributes["error.type"] == "asyncio.exceptions.CancelledError"


def test_sampled_out_call_still_propagates_and_suppresses() -> None:
    telemetry = Telemetry(sampler=ALWAYS_OFF)
    handler, _ = build(telemetry=telemetry)
    server = Server(200)
    sync_driver(server).run(handler(Call(TOPOLOGY)))
    assert telemetry.spans() == []
    assert not int(server.requests[0].headers["traceparent"][-2:], 16) & 1  # not sampled
    assert server.suppressed == [True]
    [duration] = telemetry.metrics()["camunda.client.call.duration"]
    assert duration.count == 1


def test_no_op_api_sends_no_header_and_changes_nothing() -> None:
    # explicit no-op providers, as when no OpenTelemetry SDK is installed
    handler, _ = build(
        FakeRetry(delay=0),
        tracer_provider=trace.NoOpTracerProvider(),
        meter_provider=NoOpMeterProvider(),
    )
    server = Server(503, 200)
    response = sync_driver(server).run(handler(Call(TOPOLOGY)))
    assert response.status_code == 200
    assert "traceparent" not in server.requests[0].headers
    assert server.suppressed == [False, False]


def test_global_tracer_provider_is_used_when_none_is_passed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    telemetry = Telemetry()
    # set_tracer_provider() refuses a second call per process: patch and restore
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", telemetry.tracer_provider)
    handler, context = build(telemetry=None)
    server = Server(200)
    sync_driver(server).run(handler(Call(TOPOLOGY)))
    [span] = telemetry.spans()
    assert span.name == "GET /topology"
    assert server.requests[0].headers["traceparent"] == traceparent_of(span)
    context.plugin_manager.hook.camunda_client_closed(context=context)


def test_without_an_sdk_the_stage_makes_nothing_until_one_is_set_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The API's proxies answer: no span, no header, no metric work per call.
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", None)
    monkeypatch.setattr(metrics_internal, "_METER_PROVIDER", None)
    started: list[str] = []
    real_start = trace.ProxyTracer.start_span

    def counting_start(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        started.append(name)
        return real_start(self, name, *args, **kwargs)

    monkeypatch.setattr(trace.ProxyTracer, "start_span", counting_start)
    handler, context = build(telemetry=None)
    idle = context.state["tracing-idle"]
    server = Server(200, 200)
    sync_driver(server).run(handler(Call(TOPOLOGY)))
    assert idle() and started == [] and "traceparent" not in server.requests[0].headers
    # An SDK set up after the client was made is picked up at the next look.
    telemetry = Telemetry()
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", telemetry.tracer_provider)
    idle._next_look = 0.0  # pyright: ignore[reportPrivateUsage]  # a second has passed
    sync_driver(server).run(handler(Call(TOPOLOGY)))
    assert not idle()
    [span] = telemetry.spans()
    assert server.requests[1].headers["traceparent"] == traceparent_of(span)
    context.plugin_manager.hook.camunda_client_closed(context=context)


def test_providers_given_to_the_client_decide_alone() -> None:
    recording = Telemetry()
    _, context = build(telemetry=recording)
    assert context.state["tracing-idle"]() is False
    _, quiet = build(tracer_provider=trace.NoOpTracerProvider(), meter_provider=NoOpMeterProvider())
    assert quiet.state["tracing-idle"]() is True


def test_backpressure_gauges_report_open_clients(telemetry: Telemetry) -> None:
    class Limiter:
        limit = 12
        in_flight = 3
        waiters = 2

    _, first = build(telemetry=telemetry)
    _, second = build(telemetry=telemetry)
    first.state["backpressure"] = Limiter()
    # `second` has no backpressure state (plugin disabled): it reports nothing

    metrics = telemetry.metrics()
    [limit] = metrics["camunda.client.backpressure.limit"]
    [in_flight] = metrics["camunda.client.backpressure.in_flight"]
    [waiters] = metrics["camunda.client.backpressure.waiters"]
    assert (limit.value, in_flight.value, waiters.value) == (12, 3, 2)
    assert limit.attributes["server.address"] == "camunda.test"

    second.state["backpressure"] = Limiter()
    assert len(telemetry.metrics()["camunda.client.backpressure.limit"]) == 2

    # a closed client stops reporting
    first.plugin_manager.hook.camunda_client_closed(context=first)
    second.plugin_manager.hook.camunda_client_closed(context=second)
    assert "camunda.client.backpressure.limit" not in telemetry.metrics()


def test_rebuilding_the_handler_does_not_register_the_client_twice(
    telemetry: Telemetry,
) -> None:
    _, context = build(telemetry=telemetry)
    context.state["backpressure"] = type("L", (), {"limit": 5, "in_flight": 0, "waiters": 0})()
    context.plugin_manager.hook.camunda_call_handler(context=context)
    assert len(telemetry.metrics()["camunda.client.backpressure.limit"]) == 1
    context.plugin_manager.hook.camunda_client_closed(context=context)


def test_error_type_names() -> None:
    assert tracing.error_type(TimeoutError()) == "TimeoutError"
    assert tracing.error_type(httpx.ReadTimeout("x")) == "httpx.ReadTimeout"
