"""The INTERNAL spans that group a read helper's calls (a consistency wait, a paged read).

Each call the helper makes still gets its own CLIENT span from the tracing
plugin; attaching the group span as the current span around the call makes
that span its child. The group span is only made current for the duration of
one call, never across a ``yield`` or an ``await`` of the caller's loop, so
abandoning an iterator cannot leave a stale context behind.

OpenTelemetry is imported on first use: a client that never waits or pages
never loads it from here, and ``CAMUNDA_SDK_TRACING=false`` makes no span.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..pipeline.context import ClientContext

__all__ = ["GroupSpan", "start_group_span"]


class GroupSpan:
    """A started span (or nothing, when tracing is off) and how to make it current."""

    __slots__ = ("_context", "_span")

    def __init__(self, span: Any = None, context: Any = None) -> None:
        self._span = span
        self._context = context  # an OpenTelemetry Context holding the span, or None

    def attach(self) -> object:
        """Make the span current; pass the result to :meth:`detach`."""
        if self._context is None:
            return None
        from opentelemetry import context as otel_context

        return otel_context.attach(self._context)

    def detach(self, token: object) -> None:
        """Undo :meth:`attach`."""
        if token is not None:
            from opentelemetry import context as otel_context

            otel_context.detach(token)  # type: ignore[arg-type]

    def end(self, attributes: Mapping[str, Any], error: BaseException | None = None) -> None:
        """Set the outcome ``attributes`` (and the error, if any) and end the span."""
        span = self._span
        if span is None:
            return
        if span.is_recording():
            span.set_attributes(dict(attributes))
            if error is not None:
                from opentelemetry.trace import Status, StatusCode

                from ..errors import error_type

                span.set_attribute("error.type", error_type(error))
                span.set_status(Status(StatusCode.ERROR))
        span.end()


_NO_SPAN = GroupSpan()


def start_group_span(context: ClientContext, name: str, attributes: Mapping[str, Any]) -> GroupSpan:
    """Start an INTERNAL span child of the caller's current span."""
    from ..plugins.tracing import INSTRUMENTATION_NAME, TRACING

    if not TRACING.read(context.config):
        return _NO_SPAN
    from opentelemetry import trace

    from .._version import __version__

    provider = context.tracer_provider or trace.get_tracer_provider()
    tracer = provider.get_tracer(INSTRUMENTATION_NAME, __version__)
    span = tracer.start_span(name, kind=trace.SpanKind.INTERNAL, attributes=dict(attributes))
    if not span.get_span_context().is_valid:
        # The no-op API: nothing records, so nothing needs to become current.
        return GroupSpan(span, None)
    return GroupSpan(span, trace.set_span_in_context(span))
