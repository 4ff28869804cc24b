"""Job workers: long-poll for jobs, run a handler, complete/fail/throw.

Use them through ``CamundaAsyncClient``::

    async with CamundaAsyncClient() as client:
        client.create_job_worker(
            config=WorkerConfig(job_type="payment", job_timeout_milliseconds=30_000),
            callback=handle_payment,
        )
        await client.run_workers()

or with the functions here, which take the client as first argument
(:func:`create_job_worker`, :func:`run_workers`, :func:`stop_workers`).
Execution strategies are plugins (``camunda_sdk.workers.executors``, registered by
the built-in ``workers`` plugin, ``camunda_sdk.workers.plugin``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The contexts are light; the runtime (attrs classes, httpx) is imported on first
# use, because the workers plugin in this package is loaded by every client.
from .context import (
    AsyncJobHandler,
    ConnectedJobContext,
    HandlerResult,
    JobContext,
    JobError,
    JobFailure,
    JobVariables,
    ProcessJobHandler,
    SyncJobContext,
    SyncJobHandler,
)

if TYPE_CHECKING:
    from .config import WorkerConfig
    from .health import WorkerHealth
    from .runtime import (
        Backoff,
        ExecutionStrategy,
        JobWorker,
        WorkerTuning,
        create_job_worker,
        job_worker,
        run_workers,
        stop_workers,
        workers_health,
        workers_of,
    )

_LAZY = {
    "WorkerConfig": "camunda_sdk.workers.config",
    "WorkerHealth": "camunda_sdk.workers.health",
    "Backoff": "camunda_sdk.workers.runtime",
    "ExecutionStrategy": "camunda_sdk.workers.runtime",
    "JobWorker": "camunda_sdk.workers.runtime",
    "WorkerTuning": "camunda_sdk.workers.runtime",
    "create_job_worker": "camunda_sdk.workers.runtime",
    "run_workers": "camunda_sdk.workers.runtime",
    "stop_workers": "camunda_sdk.workers.runtime",
    "job_worker": "camunda_sdk.workers.runtime",
    "workers_of": "camunda_sdk.workers.runtime",
    "workers_health": "camunda_sdk.workers.runtime",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'camunda_sdk.workers' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AsyncJobHandler",
    "Backoff",
    "ConnectedJobContext",
    "ExecutionStrategy",
    "HandlerResult",
    "JobContext",
    "JobError",
    "JobFailure",
    "JobVariables",
    "JobWorker",
    "ProcessJobHandler",
    "SyncJobContext",
    "SyncJobHandler",
    "WorkerConfig",
    "WorkerHealth",
    "WorkerTuning",
    "create_job_worker",
    "job_worker",
    "run_workers",
    "stop_workers",
    "workers_health",
    "workers_of",
]
