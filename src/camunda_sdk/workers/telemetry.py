"""OpenTelemetry for job workers: a span per job, and the metrics fleets autoscale on.

Spans: one CONSUMER span per job, ``process <job type>``, with the job's keys
and the outcome; the completion (or failure) call's CLIENT span is its child,
and activation polls are CLIENT spans of their own (made by the ``tracing``
stage). A handler exception sets the span's status to ERROR and records it.

Metrics (attribute ``camunda.job.type``):

- ``camunda.worker.jobs.activated``, ``.completed``, ``.failed``, ``.errored``
  (counters; ``errored`` counts BPMN errors thrown): observable, so a job adds
  to a plain integer and the SDK reads the totals when it collects;
- ``camunda.worker.handler.duration`` (histogram, seconds);
- ``camunda.worker.jobs.in_flight`` and ``camunda.worker.capacity.free``
  (observable gauges, summed over a process's workers of each job type: read
  when metrics are collected, so they cost a running job nothing).

``CAMUNDA_SDK_TRACING=false`` turns both off. Without an OpenTelemetry SDK no
span is started and the API's no-op instruments answer: a few calls per job.

The span is started by built-in handler middleware (the plugin ``job-telemetry``,
:mod:`camunda_sdk.workers.jobspan`), registered exactly as a user's middleware
would be; the counters are kept by the job's lifecycle, which alone knows when
an outcome arrived. A :class:`WorkerTelemetry` is made once per worker.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from .._version import __version__
from ..plugins.trace_context import PROPAGATION, TRACE_LINK, TRACE_VARIABLE, extract
from ..plugins.tracing import IDLE, TRACING, Idle
from .outcome import OutcomeKind

if TYPE_CHECKING:
    from opentelemetry.metrics import CallbackOptions, Meter, Observation
    from opentelemetry.trace import Span

    from ..operations.models import ActivatedJobResult
    from ..pipeline.context import ClientContext
    from .health import WorkerHealth

__all__ = ["WorkerTelemetry"]

_NAME = "camunda_sdk.workers"
# What start_job hands end_job: the job's span and the context token that made it current.
_Started = tuple["Span", object]
_DURATION_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class WorkerTelemetry:
    """The spans and instruments of one worker, made once when it is created.

    Args:
        context: the worker's client context (settings, providers).
        job_type: the worker's job type (the metrics' ``camunda.job.type``).

    The metrics count the worker once it is complete: :meth:`observe`.
    """

    def __init__(self, context: ClientContext, job_type: str) -> None:
        config = context.config
        self.enabled = TRACING.read(config)
        self.job_type = job_type
        self.health: Callable[[], WorkerHealth] | None = None
        self.attributes = {"camunda.job.type": job_type}
        self.span_name = f"process {job_type}"
        # A trace the job's process carries (plugins.trace_context), joined as a child or a link.
        self.trace_variable = TRACE_VARIABLE.read(config) if PROPAGATION.read(config) else None
        self.trace_link = TRACE_LINK.read(config) == "link"
        # No OpenTelemetry SDK: no job span to start (the tracing stage's check, shared).
        self._idle: Idle = context.state.get(IDLE) or Idle(context)
        tracer_provider = context.tracer_provider or trace.get_tracer_provider()
        self._tracer = tracer_provider.get_tracer(_NAME, __version__)
        # Imported here: workers without metrics need none of it until now.
        from opentelemetry import metrics

        meter_provider = context.meter_provider or metrics.get_meter_provider()
        self._meter = meter = meter_provider.get_meter(_NAME, __version__)
        self._provider = meter_provider if context.meter_provider is not None else None
        #: Jobs activated, completed, failed and errored so far: plain integers the
        #: observable counters report when metrics are collected (see _observe).
        self.counts: dict[str, int] = dict.fromkeys(_COUNTED, 0)
        self._duration = meter.create_histogram(
            "camunda.worker.handler.duration",
            unit="s",
            description="Time job handlers took.",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )

    def observe(self, health: Callable[[], WorkerHealth]) -> None:
        """Count the worker in the metrics from now on; ``health`` reads it for the gauges."""
        self.health = health
        _observe(self._provider, self._meter, self)

    def activated(self, jobs: int) -> None:
        """Count ``jobs`` activated."""
        self.counts["activated"] += jobs

    def ended(self, kind: OutcomeKind) -> None:
        """Count a job whose outcome arrived (``completed``, ``failed``, ``errored``)."""
        name = _ENDED.get(kind)
        if name is not None:
            self.counts[name] += 1

    def handled(self, seconds: float) -> None:
        """Record how long a job's chain (middleware and handler) ran."""
        self._duration.record(seconds, self.attributes)

    def start_job(self, job: ActivatedJobResult) -> _Started | None:
        """Start the job's span and make it current; return what :meth:`end_job` needs."""
        if not self.enabled or self._idle():
            return None
        parent, links = None, None
        if self.trace_variable is not None and isinstance(job.variables, dict):
            carried = extract(job.variables, self.trace_variable)
            if carried is not None and self.trace_link:
                links = [trace.Link(trace.get_current_span(carried).get_span_context())]
            else:
                parent = carried
        span = self._tracer.start_span(
            self.span_name,
            parent,
            kind=SpanKind.CONSUMER,
            links=links,
            attributes={
                "camunda.job.type": job.type_ or self.attributes["camunda.job.type"],
                "camunda.job.key": str(job.job_key),
                "camunda.process_instance.key": str(job.process_instance_key),
                "camunda.process_definition.id": str(job.process_definition_id),
                "camunda.element_id": str(job.element_id),
                "camunda.job.retries": job.retries if isinstance(job.retries, int) else -1,
            },
        )
        if not span.get_span_context().is_valid:
            return None  # the no-op API: nothing records, nothing to make current
        # Current for this job's task only (each job runs in a task of its own), so
        # the outcome call started below becomes the span's child.
        token = otel_context.attach(trace.set_span_in_context(span))
        return span, token

    def handler_failed(self, started: _Started | None, exc: BaseException) -> None:
        """Record a handler's exception on the job's span."""
        if started is not None:
            span = started[0]
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))

    def end_job(self, started: _Started | None, outcome: str, delivered: bool) -> None:
        """Note the outcome on the span and end it."""
        if started is None:
            return
        span, token = started
        span.set_attribute("camunda.job.outcome", outcome)
        if not delivered:
            span.set_status(Status(StatusCode.ERROR, f"the job's outcome ({outcome}) was lost"))
        otel_context.detach(token)  # type: ignore[arg-type]
        span.end()


# -- gauges ------------------------------------------------------------------------------
#
# An instrument name can be registered once per meter (a second registration
# keeps the first callback), so each meter provider gets one set of instruments
# whose callbacks read every live worker using that provider (its telemetry
# lives as long as the worker: it reads the worker's health).

_COUNTED: tuple[str, ...] = ("activated", "completed", "failed", "errored")
# The outcomes counted, by kind (an ignored or abandoned job is not).
_ENDED = {kind: kind.value for kind in OutcomeKind if kind.value in _COUNTED}
_COUNTER_DESCRIPTIONS = {
    "activated": "Jobs activated.",
    "completed": "Jobs completed.",
    "failed": "Jobs failed.",
    "errored": "BPMN errors thrown.",
}
_GLOBAL = object()  # the key of workers on the global provider
# Re-entrant: a garbage collection that runs while the lock is held (any allocation
# can start one) may call a finalizer of a collected worker, which retires its
# counts under this same lock on this same thread; a plain Lock deadlocks there.
_lock = threading.RLock()


class _Observed:
    """The live workers on one meter provider, and the counts of those gone."""

    def __init__(self) -> None:
        self.workers: weakref.WeakSet[WorkerTelemetry] = weakref.WeakSet()
        # Counters are monotonic: a collected worker's counts stay in the totals.
        self.retired: dict[tuple[str, str], int] = {}

    def retire(self, job_type: str, counts: dict[str, int]) -> None:
        with _lock:
            for what, value in counts.items():
                self.retired[job_type, what] = self.retired.get((job_type, what), 0) + value

    def totals(self, what: str) -> dict[str, int]:
        with _lock:
            out = {t: v for (t, w), v in self.retired.items() if w == what}
        for worker in list(self.workers):
            out[worker.job_type] = out.get(worker.job_type, 0) + worker.counts[what]
        return out


_observed: dict[int, _Observed] = {}


def _observe(provider: object | None, meter: Meter, worker: WorkerTelemetry) -> None:
    """Count ``worker`` in the instruments of ``provider`` (None: the global one)."""
    key = id(_GLOBAL if provider is None else provider)
    with _lock:
        observed = _observed.get(key)
        created = observed is None
        if observed is None:
            observed = _observed[key] = _Observed()
        observed.workers.add(worker)
    weakref.finalize(worker, observed.retire, worker.job_type, worker.counts)
    if not created:
        return
    from opentelemetry.metrics import Observation

    for what in _COUNTED:

        def observe(options: CallbackOptions, what: str = what) -> Iterable[Observation]:
            totals = observed.totals(what)
            return [Observation(value, {"camunda.job.type": t}) for t, value in totals.items()]

        meter.create_observable_counter(
            f"camunda.worker.jobs.{what}",
            callbacks=[observe],
            unit="{job}",
            description=_COUNTER_DESCRIPTIONS[what],
        )
    workers = observed.workers
    meter.create_observable_gauge(
        "camunda.worker.jobs.in_flight",
        callbacks=[_gauge(workers, lambda health: health.in_flight)],
        unit="{job}",
        description="Jobs being handled.",
    )
    meter.create_observable_gauge(
        "camunda.worker.capacity.free",
        callbacks=[_gauge(workers, lambda health: health.free_capacity)],
        unit="{job}",
        description="Jobs the workers could take on now (0 when stopped).",
    )


def _gauge(
    workers: weakref.WeakSet[WorkerTelemetry], read: Callable[[WorkerHealth], int]
) -> Callable[[CallbackOptions], Iterable[Observation]]:
    from opentelemetry.metrics import Observation

    def observe(options: CallbackOptions) -> Iterable[Observation]:
        totals: dict[str, int] = {}
        for worker in list(workers):
            if worker.health is not None:  # set before a worker is observed
                health = worker.health()
                totals[health.job_type] = totals.get(health.job_type, 0) + read(health)
        return [Observation(value, {"camunda.job.type": t}) for t, value in totals.items()]

    return observe
