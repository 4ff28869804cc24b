"""Built-in handler middleware ``job-telemetry``: a CONSUMER span around every job.

The span (``process <job type>``, see :mod:`camunda_sdk.workers.telemetry`) is
current while the job's chain runs, so the handler's own calls and the outcome
call are its children; it ends once the job's outcome was sent (``on_done``). A
handler exception sets its status to ERROR and is recorded on it.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from ..pipeline.hookspecs import hookimpl

if TYPE_CHECKING:
    from .context import JobContext
    from .hookspecs import JobHandler, Worker

__all__ = ["camunda_job_handler"]


@hookimpl(wrapper=True)
def camunda_job_handler(worker: Worker) -> Generator[None, JobHandler, JobHandler]:
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
