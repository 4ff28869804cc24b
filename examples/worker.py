"""A job worker for the ``charge-card`` task of ``order.bpmn`` (beside this file).

Reads CAMUNDA_* from the environment, like every client. Start an order first
(``examples/quickstart.py`` deploys the process), then run this and stop it with
Ctrl+C: the worker lets running jobs report their outcome, then exits.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from camunda_sdk import CamundaAsyncClient, ConnectedJobContext, JobFailure, WorkerConfig


async def charge(job: ConnectedJobContext) -> dict[str, Any]:
    amount = job.variables.to_dict().get("amount", 0)
    if not isinstance(amount, (int, float)) or amount <= 0:
        raise JobFailure(message=f"cannot charge {amount!r}", retries=0)
    job.log.info(f"charging {amount} for order {job.process_instance_key}")
    return {"charged": True}  # completes the job with these variables


async def main() -> None:
    async with CamundaAsyncClient() as client:
        client.create_job_worker(
            config=WorkerConfig(job_type="charge-card", job_timeout_milliseconds=30_000),
            callback=charge,
        )
        print("charge-card worker running; Ctrl+C to stop")
        await client.run_workers()  # until stop_workers(), close or cancellation


if __name__ == "__main__":
    # Ctrl+C: the workers stop and let running jobs report; exit without a traceback.
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
    print("stopped")
