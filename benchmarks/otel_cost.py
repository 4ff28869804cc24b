"""What the OpenTelemetry Python SDK itself costs per span and per measurement.

The floor under the worker's "tracing and metrics on" figure: a job with its
CONSUMER span, the completion call's CLIENT span (the job span made current
around it) and the two duration histograms cannot cost less than these,
whatever the SDK around them does. Spans go to a batch processor with an
exporter that discards them; metrics to an in-memory reader. ::

    .venv/bin/python benchmarks/otel_cost.py [--calls 20000]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

from opentelemetry import context, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind


class _Discard(SpanExporter):
    def export(self, spans: object) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {0})
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(_Discard()))
    tracer = tracer_provider.get_tracer("bench")
    meter = MeterProvider(metric_readers=[InMemoryMetricReader()]).get_meter("bench")
    histogram, counter = meter.create_histogram("h"), meter.create_counter("c")
    # The job span's attributes: six, as the worker sets them.
    job = {
        "camunda.job.type": "work",
        "camunda.job.key": "2251799813685249",
        "camunda.process_instance.key": "2251799813685250",
        "camunda.process_definition.id": "order",
        "camunda.element_id": "ship",
        "camunda.job.retries": 3,
    }
    labels = {"camunda.job.type": "work"}

    def current_span() -> None:
        span = tracer.start_span("process work", None, SpanKind.CONSUMER, job)
        token = context.attach(trace.set_span_in_context(span))
        context.detach(token)
        span.end()

    cases: dict[str, Callable[[], object]] = {
        "span with 6 attributes (start, end)": lambda: tracer.start_span(
            "process work", None, SpanKind.CONSUMER, job
        ).end(),
        "span made current and back": current_span,
        "histogram.record": lambda: histogram.record(0.001, labels),
        "counter.add": lambda: counter.add(1, labels),
    }
    print(f"{'OpenTelemetry SDK operation':<40} {'us each':>8}")
    for name, case in cases.items():
        for _ in range(2_000):  # warm-up
            case()
        start = time.process_time()
        for _ in range(args.calls):
            case()
        print(f"{name:<40} {(time.process_time() - start) / args.calls * 1e6:>8.1f}")
    tracer_provider.shutdown()


if __name__ == "__main__":
    main()
