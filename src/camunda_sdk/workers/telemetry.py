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

The span comes from built-in handler middleware (this module is the plugin
``job-telemetry``), registered exactly as a user's middleware would be; the
counters are kept by the runtime, which alone knows when an outcome arrived.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Generator, Iterable
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from .._version import __version__
from ..pipeline.hookspecs import hookimpl
from ..plugins.trace_context import PROPAGATION, TRACE_LINK, TRACE_VARIABLE, extract
from ..plugins.tracing import TRACING, Idle

if TYPE_CHECKING:
    from ..operations.models import ActivatedJobResult
    from .context import JobContext
    from .hookspecs import JobHandler
    from .runtime import JobWorker

__all__ = ["WorkerTelemetry", "camunda_job_handler"]

_NAME = "camunda_sdk.workers"
_DURATION_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class WorkerTelemetry:
    """The spans and instruments of one worker, made once when it is created."""

    def __init__(self, worker: JobWorker) -> None:
        context = worker.client.context
        self.enabled = TRACING.read(context.config)
        job_type = worker.config.job_type
        self.attributes = {"camunda.job.type": job_type}
        self.span_name = f"process {job_type}"
        # A trace the job's process carries (plugins.trace_context), joined as a child or a link.
        self.trace_variable = (
            TRACE_VARIABLE.read(context.config) if PROPAGATION.read(context.config) else None
        )
        self.trace_link = TRACE_LINK.read(context.config) == "link"
        # No OpenTelemetry SDK: no job span to start (the tracing stage's check, shared).
        self._idle: Idle = context.state.get("tracing-idle") or Idle(context)
        tracer_provider = context.tracer_provider or trace.get_tracer_provider()
        self._tracer = tracer_provider.get_tracer(_NAME, __version__)
        # Imported here: this module is loaded by every client, workers or not.
        from opentelemetry import metrics

        meter_provider = context.meter_provider or metrics.get_meter_provider()
        meter = meter_provider.get_meter(_NAME, __version__)
        #: Jobs activated, completed, failed and errored so far: plain integers the
        #: observable counters report when metrics are collected (see _observe).
        self.counts: dict[str, int] = dict.fromkeys(_COUNTED, 0)
        self.duration = meter.create_histogram(
            "camunda.worker.handler.duration",
            unit="s",
            description="Time job handlers took.",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        _observe(meter_provider, meter, worker, self.counts)

    def count(self, what: str, jobs: int = 1) -> None:
        """Count jobs ``activated``, or ended ``completed``, ``failed`` or ``errored``."""
        counts = self.counts
        if what in counts:
            counts[what] += jobs

    def start_job(self, job: ActivatedJobResult) -> tuple[Any, object] | None:
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

    def handler_failed(self, started: tuple[Any, object] | None, exc: BaseException) -> None:
        """Record a handler's exception on the job's span."""
        if started is not None:
            span = started[0]
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))

    def end_job(self, started: tuple[Any, object] | None, outcome: str, delivered: bool) -> None:
        """Note the outcome on the span and end it."""
        if started is None:
            return
        span, token = started
        span.set_attribute("camunda.job.outcome", outcome)
        if not delivered:
            span.set_status(Status(StatusCode.ERROR, f"the job's outcome ({outcome}) was lost"))
        otel_context.detach(token)  # type: ignore[arg-type]
        span.end()


@hookimpl(wrapper=True)
def camunda_job_handler(worker: JobWorker) -> Generator[None, JobHandler, JobHandler]:
    """Middleware: a CONSUMER span around the job, ended once its outcome was sent."""
    inner = yield
    telemetry = worker.telemetry
    if not telemetry.enabled:
        return inner

    async def trace_job(job: JobContext) -> Any:
        started = telemetry.start_job(job.job)
        if started is None:
            return await inner(job)
        job.on_done(lambda outcome, delivered: telemetry.end_job(started, outcome, delivered))
        try:
            return await inner(job)
        except BaseException as exc:
            telemetry.handler_failed(started, exc)
            raise

    return trace_job


# -- gauges ------------------------------------------------------------------------------
#
# An instrument name can be registered once per meter (a second registration
# keeps the first callback), so each meter provider gets one pair of gauges
# whose callbacks read every live worker using that provider.

_COUNTED: tuple[str, ...] = ("activated", "completed", "failed", "errored")
_COUNTER_DESCRIPTIONS = {
    "activated": "Jobs activated.",
    "completed": "Jobs completed.",
    "failed": "Jobs failed.",
    "errored": "BPMN errors thrown.",
}
_GLOBAL = object()  # the key of workers on the global provider
_lock = threading.Lock()


class _Observed:
    """The live workers on one meter provider, and the counts of those gone."""

    def __init__(self) -> None:
        self.workers: weakref.WeakSet[JobWorker] = weakref.WeakSet()
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
            job_type = worker.config.job_type
            out[job_type] = out.get(job_type, 0) + worker.telemetry.counts[what]
        return out


_observed: dict[int, _Observed] = {}


def _observe(provider: object, meter: Any, worker: JobWorker, counts: dict[str, int]) -> None:
    key = id(provider if worker.client.context.meter_provider is not None else _GLOBAL)
    with _lock:
        observed = _observed.get(key)
        created = observed is None
        if observed is None:
            observed = _observed[key] = _Observed()
        observed.workers.add(worker)
    weakref.finalize(worker, observed.retire, worker.config.job_type, counts)
    if not created:
        return
    from opentelemetry.metrics import CallbackOptions, Observation

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


def _gauge(workers: weakref.WeakSet[JobWorker], read: Any) -> Any:
    from opentelemetry.metrics import CallbackOptions, Observation

    def observe(options: CallbackOptions) -> Iterable[Observation]:
        totals: dict[str, int] = {}
        for worker in list(workers):
            health = worker.health()
            totals[health.job_type] = totals.get(health.job_type, 0) + read(health)
        return [Observation(value, {"camunda.job.type": t}) for t, value in totals.items()]

    return observe
