"""The job worker's own CPU per job, with no sockets: the SDK's share of a job.

The async client's driver is given an in-process sender that answers every
activation with as many jobs as asked and every completion with 204, so what
is measured is the worker runtime, the call pipeline and the models: no HTTP
library, no server. Subtract it from ``worker_throughput.py``'s figure to see
what the transport costs. The fake's own work (building and parsing the JSON
of the activations) is included, as it would be in a real run. ::

    .venv/bin/python benchmarks/worker_overhead.py [--window 3] [--otel]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.worker_throughput import _JOB_TEMPLATE, JOB_TYPE, SRC, _otel_providers


class InProcessSender:
    """An ``AsyncSender`` that answers the job endpoints without any I/O."""

    is_closed = False

    def __init__(self) -> None:
        self.next_key = 2251799813700000
        self.completed = 0
        self.activations = 0

    async def send(self, request: Any) -> Any:
        from camunda_sdk.pipeline.http import Response

        await asyncio.sleep(0)  # one trip through the loop, as an answer would take
        if request.url.endswith("/jobs/activation"):
            wanted = json.loads(request.content)["maxJobsToActivate"]
            jobs = []
            for _ in range(wanted):
                self.next_key += 1
                jobs.append(_JOB_TEMPLATE.replace("KEY", str(self.next_key)))
            self.activations += 1
            body = ('{"jobs":[' + ",".join(jobs) + "]}").encode()
            return Response(200, {"content-type": "application/json"}, body, request)
        self.completed += 1
        return Response(204, None, b"", request)

    async def aclose(self) -> None:
        """Nothing to close."""


async def measure(window: float, warmup: float, otel: bool) -> dict[str, float]:
    sys.path.insert(0, str(SRC))
    from camunda_sdk.client import CamundaAsyncClient
    from camunda_sdk.pipeline.drivers import AsyncDriver
    from camunda_sdk.workers import WorkerConfig, create_job_worker, run_workers, stop_workers

    client = CamundaAsyncClient(
        {"CAMUNDA_REST_ADDRESS": "http://camunda.invalid/v2", "CAMUNDA_SDK_LOG_LEVEL": "error"},
        environ={},
        **(_otel_providers() if otel else {}),
    )
    sender = InProcessSender()
    client._shared.driver = AsyncDriver(sender)  # pyright: ignore[reportPrivateUsage]

    async def handler(job: Any) -> dict[str, Any]:
        return {}

    config = WorkerConfig(
        job_type=JOB_TYPE, job_timeout_milliseconds=30_000, max_concurrent_jobs=32
    )
    create_job_worker(client, config, handler)
    runner = asyncio.ensure_future(run_workers(client, handle_signals=False))
    await asyncio.sleep(warmup)
    done, polls, cpu = sender.completed, sender.activations, time.process_time()
    await asyncio.sleep(window)
    jobs = sender.completed - done
    cpu_us = (time.process_time() - cpu) * 1e6 / jobs
    per_poll = jobs / (sender.activations - polls)
    await stop_workers(client, 5)
    runner.cancel()
    await client.close()
    return {"jobs": jobs, "cpu_us_per_job": cpu_us, "jobs_per_poll": per_poll}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--window", type=float, default=3.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--otel", action="store_true", help="an OpenTelemetry SDK records")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {0})
    result = asyncio.run(measure(args.window, args.warmup, args.otel))
    print(
        f"{result['jobs']:.0f} jobs: {result['cpu_us_per_job']:.1f} us of CPU per job"
        f" ({'tracing and metrics recorded' if args.otel else 'no OpenTelemetry SDK'}),"
        f" {result['jobs_per_poll']:.1f} jobs per activation"
    )


if __name__ == "__main__":
    main()
