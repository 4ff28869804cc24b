"""A worker process for the signal and exit tests of ``test_worker_faults.py``.

Run as ``python worker_child.py STRATEGY HANDLER_SECONDS [STOP_TIMEOUT]`` with
``CAMUNDA_*`` in the environment. It prints ``ready`` once its handlers hold
jobs, then runs until a signal stops it (no STOP_TIMEOUT) or calls
``stop_workers(timeout=STOP_TIMEOUT)`` itself, and prints ``stopped``.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

from camunda_sdk import CamundaAsyncClient, WorkerConfig

STRATEGY = sys.argv[1]
SECONDS = float(sys.argv[2])
STOP_TIMEOUT = float(sys.argv[3]) if len(sys.argv) > 3 else None


def sync_handler(job: Any) -> dict[str, Any]:
    time.sleep(SECONDS)
    return {"done": True}


async def async_handler(job: Any) -> dict[str, Any]:
    await asyncio.sleep(SECONDS)
    return {"done": True}


async def main() -> None:
    async with CamundaAsyncClient() as client:
        handler = async_handler if STRATEGY == "async" else sync_handler
        client.create_job_worker(
            config=WorkerConfig(
                job_type="work", job_timeout_milliseconds=30_000, max_concurrent_jobs=32
            ),
            callback=handler,
            execution_strategy=STRATEGY,  # type: ignore[arg-type]
        )
        runner = asyncio.create_task(client.run_workers())
        # Handlers hold jobs (under "process" they run in children: count jobs in flight).
        while not client.workers[0].in_flight:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # let the other jobs of the batch start too
        print("ready", flush=True)
        if STOP_TIMEOUT is not None:
            await client.stop_workers(timeout=STOP_TIMEOUT)
        await runner
    print("stopped", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
