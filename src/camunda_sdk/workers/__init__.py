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

A client that creates no worker never imports this package. The rooms, in the
order a job passes them: ``polling`` (activation into free slots), ``lifecycle``
(one job: context, chain, outcome; ``record`` holds its state), ``outcome`` (the
one type of what ends a job), ``delivery`` (what is sent when, and when again),
``lease`` (timeout extension); around them ``worker`` (:class:`JobWorker`),
``registry`` (a client's workers, signals), ``health``, ``telemetry``, and the
plugins (``plugins``: hooks and built-ins installed at the first worker;
``executors``, ``joblog``, ``jobspan``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The contexts are light (``from camunda_sdk import JobContext`` imports them);
# the runtime (attrs classes, OpenTelemetry) is imported at first use.
from .context import (
    AsyncJobHandler,
    ConnectedJobContext,
    HandlerResult,
    JobContext,
    JobVariables,
    ProcessJobHandler,
    SyncJobContext,
    SyncJobHandler,
)
from .outcome import JobError, JobFailure, Outcome, OutcomeKind

if TYPE_CHECKING:
    from .config import WorkerConfig
    from .health import WorkerHealth
    from .registry import run_workers, stop_workers, workers_health
    from .tuning import Backoff, WorkerTuning
    from .worker import ExecutionStrategy, JobWorker, create_job_worker, job_worker, workers_of

_LAZY = {
    "WorkerConfig": "camunda_sdk.workers.config",
    "WorkerHealth": "camunda_sdk.workers.health",
    "Backoff": "camunda_sdk.workers.tuning",
    "WorkerTuning": "camunda_sdk.workers.tuning",
    "ExecutionStrategy": "camunda_sdk.workers.worker",
    "JobWorker": "camunda_sdk.workers.worker",
    "create_job_worker": "camunda_sdk.workers.worker",
    "job_worker": "camunda_sdk.workers.worker",
    "workers_of": "camunda_sdk.workers.worker",
    "run_workers": "camunda_sdk.workers.registry",
    "stop_workers": "camunda_sdk.workers.registry",
    "workers_health": "camunda_sdk.workers.registry",
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
    "Outcome",
    "OutcomeKind",
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
