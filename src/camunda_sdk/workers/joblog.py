"""Built-in handler middleware ``job-logging``: an unexpected handler error is logged.

At error level with its traceback, since the default level is ``error`` and a
worker failing every job must not be silent. ``JobFailure`` and ``JobError`` are
outcomes the handler chose, so they are logged at debug level only.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from ..pipeline.hookspecs import hookimpl
from .outcome import JobError, JobFailure, describe

if TYPE_CHECKING:
    from .context import JobContext
    from .hookspecs import JobHandler, Worker

__all__ = ["camunda_job_handler"]


@hookimpl(wrapper=True)
def camunda_job_handler(worker: Worker) -> Generator[None, JobHandler, JobHandler]:
    """Log what the handler raised."""
    inner = yield
    log = worker.log

    async def log_errors(job: JobContext) -> Any:
        try:
            return await inner(job)
        except (JobFailure, JobError) as chosen:
            log.debug(f"job {job.job_key}: handler raised {type(chosen).__name__}: {chosen}")
            raise
        except Exception as exc:
            if job.outcome is None:
                log.error(f"job {job.job_key}: handler raised {describe(exc)}", exc=exc)
            raise

    return log_errors
