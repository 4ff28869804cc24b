"""Built-in plugin ``trace-context``: one trace from a process's starter to its workers.

Opt-in (``CAMUNDA_SDK_TRACE_PROPAGATION=true``). When a process instance is
created, or a message published or correlated, while a span is current, this
stage adds the W3C trace context (``traceparent``, ``tracestate``) to the
request's variables under ``CAMUNDA_SDK_TRACE_VARIABLE`` (default
``traceContext``). A job worker of a client with the same setting that
activates a job carrying it starts the job's span as a child of that context,
or with a link to it (``CAMUNDA_WORKER_TRACE_LINK=link``).

Trade-offs of carrying it as a process variable: it is about 100 bytes per
instance; it is visible (Operate, variable searches, every job that fetches all
variables) but holds no secret, only trace and span ids; it lives in the scope
it was set in, so jobs of a call activity or a message-started sub-process see
it only where the variable is mapped in. An explicit variable of the same name
is never overwritten.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any

import attrs
from opentelemetry import propagate, trace

from .._serde import Model
from ..pipeline.call import Call
from ..pipeline.context import ClientContext
from ..pipeline.effects import Effect
from ..pipeline.hookspecs import Handler, hookimpl
from ..pipeline.http import Response
from ..settings import Setting, SettingRegistry

__all__ = ["PROPAGATION", "TRACE_LINK", "TRACE_VARIABLE", "extract"]

PROPAGATION = Setting.flag(
    "CAMUNDA_SDK_TRACE_PROPAGATION",
    False,
    "Carry the W3C trace context into process instances (as a variable) and continue it "
    "in job workers' spans.",
)
TRACE_VARIABLE: Setting[str] = Setting(
    "CAMUNDA_SDK_TRACE_VARIABLE",
    default="traceContext",
    description="Name of the process variable that carries the trace context.",
)
TRACE_LINK: Setting[str] = Setting(
    "CAMUNDA_WORKER_TRACE_LINK",
    "choice",
    default="child",
    choices=("child", "link"),
    description="How a job's span joins the trace its process carries: as a `child` or "
    "with a `link`.",
)
# Operations that start or feed a process, whose body carries variables.
_CARRIERS = frozenset({"createProcessInstance", "publishMessage", "correlateMessage"})


@hookimpl
def camunda_add_settings(settings: SettingRegistry) -> None:
    """Declare the propagation switch, the variable name and the worker's join mode."""
    settings.add(PROPAGATION, TRACE_VARIABLE, TRACE_LINK)


@hookimpl(wrapper=True)
def camunda_call_handler(context: ClientContext) -> Generator[None, Handler, Handler]:
    """Add the current trace context to the variables of process-starting calls."""
    inner = yield
    if not PROPAGATION.read(context.config):
        return inner
    name = TRACE_VARIABLE.read(context.config)

    def carry_trace(call: Call) -> Generator[Effect, Any, Response]:
        body = call.body
        if call.operation.id in _CARRIERS and isinstance(body, Model):
            carrier: dict[str, str] = {}
            if trace.get_current_span().get_span_context().is_valid:
                propagate.inject(carrier)
            variables = getattr(body, "variables", None)
            if carrier and (variables is None or name not in variables):
                merged = {**(variables or {}), name: carrier}
                call.body = attrs.evolve(body, variables=merged)  # type: ignore[misc]
        return (yield from inner(call))

    return carry_trace


def extract(variables: Mapping[str, Any], name: str) -> Any:
    """The OpenTelemetry context a job's variables carry under ``name``, or None."""
    carrier = variables.get(name)
    if not isinstance(carrier, Mapping) or "traceparent" not in carrier:
        return None
    parent = propagate.extract({k: str(v) for k, v in carrier.items()})
    span_context = trace.get_current_span(parent).get_span_context()
    return parent if span_context.is_valid else None
