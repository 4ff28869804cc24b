"""Client CPU per ``get_topology`` call through the full pipeline, versus raw httpx.

A loopback keep-alive server (its own process) answers every call; the client
process measures its own CPU time (``time.process_time``) per call, alternating
rounds of raw ``httpx.Client`` calls with SDK calls so drift affects both alike.
The reference SDK runs the same probe in its own venv, in the same run. ::

    .venv/bin/python benchmarks/call_overhead.py [--rounds 30 --calls 200]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import ROOT, reference_python, start_server


def pin(cpu: int) -> None:
    """Keep this process on one CPU, where the OS allows it (Linux), for steadier figures."""
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {cpu})


def cpu_per_call(fn: Callable[[], object], calls: int) -> float:
    start = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - start) / calls


def interleave(
    variants: dict[str, Callable[[], object]], rounds: int, calls: int
) -> dict[str, float]:
    for fn in variants.values():  # warm up connections, caches, lazy imports
        for _ in range(50):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            samples[name].append(cpu_per_call(fn, calls))
    # The lowest round: interference (the other core's load, frequency changes) only
    # ever adds CPU time, so the minimum is the steadiest estimate of the cost.
    return {name: min(values) for name, values in samples.items()}


def probe_ours(port: int, rounds: int, calls: int) -> dict[str, float]:
    import httpx

    from camunda_sdk import CamundaClient

    base = f"http://127.0.0.1:{port}/v2"
    raw = httpx.Client()
    config = {"CAMUNDA_REST_ADDRESS": base}
    sdk = CamundaClient(config, environ={})

    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    traced = CamundaClient(config, environ={}, tracer_provider=provider)

    def traced_call() -> object:
        result = traced.get_topology()
        if len(exporter.get_finished_spans()) > 1000:
            exporter.clear()
        return result

    # What any traced client pays at least: a span started, propagated and ended
    # around a raw httpx call, by hand, with the same tracer provider.
    from opentelemetry import context, propagate, trace
    from opentelemetry.trace import SpanKind

    tracer = provider.get_tracer("benchmark")

    def raw_traced() -> object:
        parent = context.get_current()
        span = tracer.start_span("GET /topology", parent, SpanKind.CLIENT, {"server.port": port})
        headers: dict[str, str] = {}
        propagate.inject(headers, context=trace.set_span_in_context(span, parent))
        result = raw.get(base + "/topology", headers=headers).json()
        span.set_attribute("http.response.status_code", 200)
        span.end()
        if len(exporter.get_finished_spans()) > 1000:
            exporter.clear()
        return result

    return interleave(
        {
            "raw": lambda: raw.get(base + "/topology").json(),
            "sdk": sdk.get_topology,
            "raw+otel span": raw_traced,
            "sdk+otel": traced_call,
        },
        rounds,
        calls,
    )


def probe_reference(port: int, rounds: int, calls: int) -> dict[str, float]:
    import httpx
    from camunda_orchestration_sdk import CamundaClient  # type: ignore[import-not-found]

    base = f"http://127.0.0.1:{port}/v2"
    raw = httpx.Client()
    sdk = CamundaClient(configuration={"CAMUNDA_REST_ADDRESS": base})
    return interleave(
        {"raw": lambda: raw.get(base + "/topology").json(), "sdk": sdk.get_topology}, rounds, calls
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--probe", choices=["ours", "reference"])
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    if args.probe:
        pin(0)  # the client on one core, the server (pinned to the other) never between
        probe = probe_ours if args.probe == "ours" else probe_reference
        print(json.dumps(probe(args.port, args.rounds, args.calls)))
        return

    server, port = start_server()
    try:
        results = {}
        for name, python in (("ours", sys.executable), ("reference", reference_python())):
            if python is None:
                continue
            out = subprocess.run(
                [str(python), __file__, "--probe", name, "--port", str(port),
                 "--rounds", str(args.rounds), "--calls", str(args.calls)],
                capture_output=True, text=True, cwd=ROOT,
                env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"},
            )  # fmt: skip
            if out.returncode != 0:
                raise SystemExit(f"{name} probe failed:\n{out.stderr[-3000:]}")
            results[name] = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        server.kill()

    print(f"{'CPU per get_topology call':34} {'us/call':>9} {'vs raw httpx':>13}")
    for name, row in results.items():
        raw = row["raw"]
        for variant, value in row.items():
            label = f"{name}: {variant}"
            print(f"{label:34} {value * 1e6:9.1f} {value / raw:12.2f}x")


if __name__ == "__main__":
    main()
