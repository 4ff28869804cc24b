"""Built-in plugin ``tracing``: one OpenTelemetry CLIENT span and metrics per call.

It is the outermost built-in stage, so it sees a call once however many
attempts the retry stage makes: one span per call, one span event per attempt.
Only the OpenTelemetry *API* is used; with no OpenTelemetry SDK configured every
instrument is a no-op and the stage costs a few microseconds per call.

What it emits (see ``docs/tracing.md``):

- a span named ``{method} {path template}`` (``GET /process-instances/{processInstanceKey}``),
  kind CLIENT, child of the caller's current span, with the stable HTTP client
  semantic-convention attributes plus ``camunda.operation_id``;
- a ``camunda.attempt`` span event per HTTP attempt;
- W3C ``traceparent``/``tracestate`` (and baggage) headers through the global propagator;
- metrics: the ``camunda.client.call.duration`` histogram, the
  ``camunda.client.call.retries`` counter and observable gauges of the
  backpressure limiter.

The API's own requests are sent with HTTP instrumentation suppressed, so a user
who also instruments httpx or aiohttp does not get a duplicate span per attempt.
``CAMUNDA_SDK_TRACING=false`` leaves the stage out of the pipeline entirely.
Headers and bodies are never recorded, and ``url.full`` carries neither the
userinfo of the configured address nor a query string.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Generator, Iterable
from typing import TYPE_CHECKING, Any

import httpx
from opentelemetry import context as otel_context
from opentelemetry import metrics, propagate, trace
from opentelemetry.metrics import CallbackOptions, Meter, Observation
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from .._version import __version__
from ..errors import error_type
from ..pipeline.call import Call
from ..pipeline.context import ClientContext, StateKey
from ..pipeline.effects import Effect, Send
from ..pipeline.hookspecs import Handler, hookimpl
from ..pipeline.http import Response
from ..pipeline.operation import Operation
from ..settings import Setting, SettingRegistry
from ..transport.request import API_REQUEST, expand_path, server_root
from .backpressure import LIMITER
from .retry import AttemptRecord

if TYPE_CHECKING:
    from ..pipeline.effects import AsyncRunner, SyncRunner

__all__ = ["INSTRUMENTATION_NAME", "TRACING", "Idle", "UninstrumentedSend", "error_type"]

TRACING = Setting.flag(
    "CAMUNDA_SDK_TRACING",
    True,
    "Emit OpenTelemetry spans and metrics (a no-op unless an OpenTelemetry SDK is set up).",
)

#: The instrumentation scope name of every span and instrument this plugin makes.
INSTRUMENTATION_NAME = "camunda_sdk"
_SCHEMA_URL = "https://opentelemetry.io/schemas/1.26.0"

# The key opentelemetry-instrumentation-httpx (and every other HTTP client
# instrumentation) checks before making a span. It lives in the API package,
# so suppressing needs no instrumentation package installed.
_SUPPRESS_HTTP_KEY: str | None = getattr(otel_context, "_SUPPRESS_HTTP_INSTRUMENTATION_KEY", None)

# The semantic conventions' advice for HTTP client durations, in seconds.
_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)
_DEFAULT_PORTS = {"http": 80, "https": 443}


class Idle:
    """Whether no OpenTelemetry SDK is set up for a client: cheap enough to ask per call.

    True while the client was given no providers and the global ones are the
    API's proxies (nothing set up yet) or its no-op providers: then no span
    would record and no metric would be exported, so the stages skip their
    work. The global providers are looked at again at most once a second, so
    an SDK set up after the client was made is picked up within a second (the
    tracers and instruments made from the proxies forward to it).
    """

    __slots__ = ("_next_look", "_verdict", "fixed")

    def __init__(self, context: ClientContext) -> None:
        # Providers given to the client are taken at their word.
        given = (context.tracer_provider, context.meter_provider)
        self.fixed: bool | None = None
        if any(provider is not None for provider in given):
            self.fixed = all(provider is None or _no_op(provider) for provider in given)
        self._next_look = 0.0
        self._verdict = False

    def __call__(self) -> bool:
        if self.fixed is not None:
            return self.fixed
        now = time.monotonic()
        if now >= self._next_look:
            # The getters read the environment each time: not something to do per call.
            self._verdict = _no_op(trace.get_tracer_provider()) and _no_op(
                metrics.get_meter_provider()
            )
            self._next_look = now + 1.0
        return self._verdict


#: The client's :class:`Idle`, for the job telemetry to ask the same question.
IDLE: StateKey[Idle] = StateKey("tracing-idle")


def _no_op(provider: object) -> bool:
    # The API's proxies (before an SDK is set) and no-op providers; class names,
    # as the metrics proxy is not public.
    return type(provider).__name__ in (
        "ProxyTracerProvider",
        "NoOpTracerProvider",
        "_ProxyMeterProvider",
        "NoOpMeterProvider",
    )


class UninstrumentedSend(Send):
    """A :class:`Send` carried out with HTTP client instrumentation suppressed.

    The tracing stage swaps each ``Send`` of an API request for one of these: its
    own CLIENT span already describes the exchange, so an httpx instrumentation
    span underneath would be a duplicate. The context is attached and detached
    inside one ``run_*`` call, never across a generator ``yield``.
    """

    __slots__ = ()

    def run_sync(self, driver: SyncRunner) -> Response:
        token = otel_context.attach(otel_context.set_value(_SUPPRESS_HTTP_KEY, True))  # type: ignore[arg-type]
        try:
            return driver.send(self.request)
        finally:
            otel_context.detach(token)

    async def run_async(self, driver: AsyncRunner) -> Response:
        token = otel_context.attach(otel_context.set_value(_SUPPRESS_HTTP_KEY, True))  # type: ignore[arg-type]
        try:
            return await driver.send(self.request)
        finally:
            otel_context.detach(token)


class _Target:
    """The parts of the configured REST address the attributes are built from."""

    __slots__ = ("address", "base", "base_path", "port", "root", "root_path")

    def __init__(self, rest_address: str) -> None:
        url = httpx.URL(rest_address.rstrip("/"))
        host = url.host
        self.address = host
        self.port = url.port or _DEFAULT_PORTS.get(url.scheme, 0)
        netloc = f"[{host}]" if ":" in host else host
        if url.port is not None:
            netloc += f":{url.port}"
        path = url.path.rstrip("/")
        # Rebuilt from parts, so the userinfo of the address never reaches a span.
        self.base = f"{url.scheme}://{netloc}{path}"
        self.root = server_root(self.base)  # where `root=True` operations live
        self.base_path = path
        self.root_path = server_root(path)


class _OpInfo:
    """Everything about one operation that is the same on every call (built once)."""

    __slots__ = ("metric_attrs", "name", "op", "span_attrs")

    def __init__(self, op: Operation, target: _Target) -> None:
        self.op = op
        self.name = f"{op.method} {op.path}"
        self.span_attrs: dict[str, AttributeValue] = {
            "http.request.method": op.method,
            "server.address": target.address,
            "server.port": target.port,
            "url.template": (target.root_path if op.root else target.base_path) + op.path,
            "camunda.operation_id": op.id,
        }
        # Metric attribute sets by outcome (status code or error type): shared,
        # never rebuilt, so recording a measurement allocates nothing.
        self.metric_attrs: dict[int | str, dict[str, AttributeValue]] = {}

    def outcome_attrs(self, status: int | None, error: str | None) -> dict[str, AttributeValue]:
        key: int | str = error if error is not None else status or 0
        cached = self.metric_attrs.get(key)
        if cached is not None:
            return cached
        attrs: dict[str, AttributeValue] = {
            "camunda.operation_id": self.op.id,
            "http.request.method": self.op.method,
        }
        if status is not None:
            attrs["http.response.status_code"] = status
        if error is not None:
            attrs["error.type"] = error
        self.metric_attrs[key] = attrs
        return attrs


class _Tally:
    """What the relay observed of one call's API sends (outcomes only when recording)."""

    __slots__ = ("outcomes", "sends", "suppress")

    def __init__(self, suppress: bool, recording: bool) -> None:
        self.suppress = suppress
        self.sends = 0
        # (time_ns, status, error type) per attempt, for the span events.
        self.outcomes: list[tuple[int, int | None, str | None]] | None = [] if recording else None


def _relay(
    flow: Generator[Effect, Any, Response], tally: _Tally
) -> Generator[Effect, Any, Response]:
    """``yield from flow``, noting each API send and suppressing its HTTP instrumentation.

    Written out by hand (rather than ``yield from``) to see the effects going
    out and the outcomes coming back; throw/close semantics match PEP 380.
    """
    try:
        effect = next(flow)
        while True:
            api_send = False
            # API requests carry the transport's marker; others (an OAuth token
            # fetch) are left alone and visible to the user's HTTP client instrumentation.
            if type(effect) is Send and API_REQUEST in effect.request.extensions:
                api_send = True
                tally.sends += 1
                if tally.suppress:
                    effect = UninstrumentedSend(effect.request)
            try:
                outcome = yield effect
            except GeneratorExit:
                flow.close()
                raise
            except BaseException as exc:
                if api_send and tally.outcomes is not None:
                    tally.outcomes.append((time.time_ns(), None, error_type(exc)))
                effect = flow.throw(exc)
            else:
                if api_send and tally.outcomes is not None:
                    status = getattr(outcome, "status_code", None)
                    tally.outcomes.append((time.time_ns(), status, None))
                effect = flow.send(outcome)
    except StopIteration as stop:
        return stop.value


def _attempt_events(span: Span, tally: _Tally, records: list[AttemptRecord] | None) -> int:
    """Add one ``camunda.attempt`` event per attempt; return the number of attempts.

    The stage's own observations give each event its time and outcome; the
    retry plugin's records (``call.extensions["attempts"]``) add the delay
    before the next attempt, and stand in for observations that are missing.
    A call answered at the first attempt gets no event: the span itself says
    all an event would (and the common path stays cheap).
    """
    observed = tally.outcomes or []
    by_number: dict[int, AttemptRecord] = {}
    for record in records or ():
        by_number[record["attempt"]] = record
    count = max(len(observed), max(by_number, default=0))
    if count <= 1:
        return count
    for number in range(1, count + 1):
        attrs: dict[str, AttributeValue] = {"camunda.attempt": number}
        timestamp: int | None = None
        status: int | None = None
        error: str | None = None
        if number <= len(observed):
            timestamp, status, error = observed[number - 1]
        record = by_number.get(number)
        if record is not None:
            if status is None and error is None:
                status, error = record.get("status"), record.get("error")
            delay = record.get("delay")
            if delay is not None:
                attrs["camunda.retry.delay"] = float(delay)
        if isinstance(status, int):
            attrs["http.response.status_code"] = status
        if error is not None:
            attrs["error.type"] = error
        span.add_event("camunda.attempt", attrs, timestamp)
    return count


def _full_url(target: _Target, call: Call) -> str:
    """``url.full``: the address without userinfo, the expanded path, no query string."""
    return (target.root if call.operation.root else target.base) + expand_path(call)


@hookimpl
def camunda_add_settings(settings: SettingRegistry) -> None:
    """Declare the tracing switch."""
    settings.add(TRACING)


@hookimpl(wrapper=True)
def camunda_call_handler(context: ClientContext) -> Generator[None, Handler, Handler]:
    """Wrap every call in a CLIENT span and record its duration and retries."""
    inner = yield
    if not TRACING.read(context.config):
        return inner  # no per-call work at all

    target = _Target(context.config.rest_address)
    tracer_provider = context.tracer_provider or trace.get_tracer_provider()
    tracer = tracer_provider.get_tracer(INSTRUMENTATION_NAME, __version__, schema_url=_SCHEMA_URL)
    meter = _meter(context)
    duration = meter.create_histogram(
        "camunda.client.call.duration",
        unit="s",
        description="Duration of SDK calls, retries and backoff included.",
        explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
    )
    retries = meter.create_counter(
        "camunda.client.call.retries",
        unit="{retry}",
        description="HTTP attempts beyond the first of each call.",
    )
    _register_gauges(context, meter, target)
    suppressible = _SUPPRESS_HTTP_KEY is not None
    infos: dict[Operation, _OpInfo] = {}
    inject = propagate.inject
    get_current = otel_context.get_current
    set_span_in_context = trace.set_span_in_context
    perf_counter = time.perf_counter

    idle = context.state[IDLE] = Idle(context)

    def trace_call(call: Call) -> Generator[Effect, Any, Response]:
        if idle():  # no OpenTelemetry SDK: no span would record, no metric export
            return (yield from inner(call))
        op = call.operation
        info = infos.get(op)
        if info is None:
            info = infos[op] = _OpInfo(op, target)
        parent = get_current()  # captured now: the caller's context
        span = tracer.start_span(info.name, parent, SpanKind.CLIENT, info.span_attrs)
        recording = span.is_recording()
        tally: _Tally | None = None
        # An invalid span context means the no-op API: nothing to propagate, no
        # instrumentation to suppress, so the relay (the dearest part) is skipped.
        if span.get_span_context().is_valid:
            inject(call.headers, context=set_span_in_context(span, parent))
            tally = _Tally(suppressible, recording)
            if recording:
                span.set_attribute("url.full", _full_url(target, call))
        status: int | None = None
        error: str | None = None
        failure: BaseException | None = None
        started = perf_counter()
        try:
            flow = inner(call)
            response = yield from (flow if tally is None else _relay(flow, tally))
            status = response.status_code
            if status >= 400:
                error = str(status)
            return response
        except BaseException as exc:  # includes cancellation: the span still ends
            error = error_type(exc)
            failure = exc
            raise
        finally:
            elapsed = perf_counter() - started
            records = call.extensions.get("attempts")
            if tally is not None:
                attempts = tally.sends
                if recording:
                    attempts = max(attempts, _attempt_events(span, tally, records))
                    _finish(span, status, error, failure, attempts)
            else:
                attempts = len(records) if records else 0
            span.end()
            attrs = info.outcome_attrs(status, error)
            duration.record(elapsed, attrs)
            if attempts > 1:
                retries.add(attempts - 1, attrs)

    return trace_call


def _finish(
    span: Span, status: int | None, error: str | None, failure: BaseException | None, attempts: int
) -> None:
    """Set the outcome attributes and status of a recording span."""
    if status is not None:
        span.set_attribute("http.response.status_code", status)
    if attempts > 1:
        span.set_attribute("http.request.resend_count", attempts - 1)
    if error is not None:
        span.set_attribute("error.type", error)
        span.set_status(Status(StatusCode.ERROR))
    # Not for cancellation (GeneratorExit, CancelledError): no useful stack trace.
    if isinstance(failure, Exception):
        span.record_exception(failure)


def _meter(context: ClientContext) -> Meter:
    provider = context.meter_provider or metrics.get_meter_provider()
    return provider.get_meter(INSTRUMENTATION_NAME, __version__, schema_url=_SCHEMA_URL)


# Backpressure gauges. An instrument name can be registered once per meter (a
# second registration returns the first instrument and drops the new callback),
# so each meter provider gets one set of gauges whose callbacks report every
# open client using that provider, told apart by `camunda.client.instance`.
_gauge_lock = threading.Lock()
# Per client (by id): a weak reference to its context and the gauges' attributes.
_Clients = dict[int, tuple["weakref.ref[ClientContext]", dict[str, AttributeValue]]]
_gauge_clients: weakref.WeakKeyDictionary[object, _Clients] = weakref.WeakKeyDictionary()
_strong_gauge_clients: dict[int, tuple[object, _Clients]] = {}
_instance_counter = 0


class _GlobalMeterProvider:
    """Registry key standing for "whatever the global meter provider is"."""


_GLOBAL = _GlobalMeterProvider()


def _gauge_clients_for(provider: object) -> tuple[_Clients, bool]:
    """The client registry of ``provider`` and whether it was just created."""
    try:
        clients = _gauge_clients.get(provider)
        if clients is None:
            clients = _gauge_clients[provider] = {}
            return clients, True
        return clients, False
    except TypeError:  # a provider that cannot be weakly referenced: keep it alive
        entry = _strong_gauge_clients.get(id(provider))
        if entry is None:
            entry = _strong_gauge_clients[id(provider)] = (provider, {})
            return entry[1], True
        return entry[1], False


def _register_gauges(context: ClientContext, meter: Meter, target: _Target) -> None:
    global _instance_counter
    # Every client on the global provider shares one registry, even when the
    # global provider is set between two clients (the first registered its
    # gauges on the proxy, which forwards to the provider set later).
    provider = context.meter_provider or _GLOBAL
    with _gauge_lock:
        clients, created = _gauge_clients_for(provider)
        if id(context) not in clients:  # the handler is rebuilt when plugins change
            _instance_counter += 1
            attrs: dict[str, AttributeValue] = {
                "server.address": target.address,
                "server.port": target.port,
                "camunda.client.instance": _instance_counter,
            }
            # A weak reference: a client dropped without close() must not live on
            # here (with its config, plugins and credentials) until the process ends.
            clients[id(context)] = (weakref.ref(context), attrs)
    if not created:
        return
    for field, description in (
        ("limit", "Concurrent requests the backpressure limiter currently allows."),
        ("in_flight", "Requests holding a backpressure permit."),
        ("waiters", "Calls waiting for a backpressure permit."),
    ):
        meter.create_observable_gauge(
            f"camunda.client.backpressure.{field}",
            callbacks=[_gauge_callback(clients, field)],
            unit="{request}",
            description=description,
        )


def _gauge_callback(
    clients: _Clients, field: str
) -> Callable[[CallbackOptions], Iterable[Observation]]:
    def observe(options: CallbackOptions) -> Iterable[Observation]:
        observations = []
        for key, (ref, attrs) in list(clients.items()):
            context = ref()
            if context is None:  # collected without close()
                with _gauge_lock:
                    clients.pop(key, None)
                continue
            limiter = context.state.get(LIMITER)
            value = getattr(limiter, field, None)
            if isinstance(value, (int, float)):
                observations.append(Observation(value, attrs))
        return observations

    return observe


@hookimpl
def camunda_client_closed(context: ClientContext) -> None:
    """Stop reporting the closed client's backpressure gauges."""
    with _gauge_lock:
        for clients in list(_gauge_clients.values()):
            clients.pop(id(context), None)
        for _, clients in _strong_gauge_clients.values():
            clients.pop(id(context), None)
