"""Keeping a long-running job: its timeout extended while the handler runs.

With ``WorkerConfig(extend_timeout=True)`` the job's lifecycle runs
:func:`extend_while_running` beside the handler and cancels it when the handler
returns. Each extension asks for a fresh job timeout (``updateJob``, with the
job's lease token; it drains work, so backpressure never holds it back) once half
of the current one is used up; a failed attempt is retried until shortly before
the deadline, like an outcome.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ..operations import models
from .delivery import is_transient
from .outcome import describe

if TYPE_CHECKING:
    from ..base_client import AsyncApiClient
    from ..log import BoundLogger
    from .record import JobRecord
    from .tuning import WorkerTuning

__all__ = ["extend_while_running"]


async def extend_while_running(
    record: JobRecord,
    *,
    client: AsyncApiClient,
    timeout_milliseconds: int,
    tuning: WorkerTuning,
    log: BoundLogger,
) -> None:
    """Push the job's deadline out, again and again, until cancelled.

    Args:
        record: the job; told each new deadline.
        client: sends ``updateJob`` (the worker's client without retries).
        timeout_milliseconds: the job timeout each extension asks for.
        tuning: ``outcome_backoff`` spaces failed attempts.
        log: the worker's logger.
    """
    loop = asyncio.get_running_loop()
    job = record.job
    timeout = timeout_milliseconds / 1000
    request = models.JobUpdateRequest(
        changeset=models.JobChangeset(timeout=timeout_milliseconds),
        lease_token=job.lease_token,
    )
    extensions = 0
    while True:
        # Extend once half of the current timeout is used up.
        await asyncio.sleep(max(0.0, record.deadline - timeout / 2 - loop.time()))
        while True:
            sent = loop.time()
            try:
                await client.update_job(job_key=job.job_key, data=request)
            except Exception as exc:
                if not is_transient(exc) or loop.time() >= record.give_up_at:
                    log.error(f"job {job.job_key}: could not extend its timeout: {describe(exc)}")
                    return
                await asyncio.sleep(tuning.outcome_backoff.delay(0, tuning.random))
                continue
            break
        # The new timeout counts from when the cluster got the request: at the
        # latest now, at the earliest when it was sent. The earlier is safe.
        record.extend(sent + timeout)
        extensions += 1
        log.debug(f"job {job.job_key}: timeout extended ({extensions})")
