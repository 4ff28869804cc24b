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
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast, overload

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
    from ..client import CamundaAsyncClient
    from .config import WorkerConfig
    from .health import WorkerHealth
    from .runtime import (
        Backoff,
        ExecutionStrategy,
        JobWorker,
        WorkerTuning,
        create_job_worker,
        run_workers,
        stop_workers,
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
    "WorkerMethods",
    "WorkerTuning",
    "create_job_worker",
    "run_workers",
    "stop_workers",
]


_F = TypeVar("_F", bound=Callable[..., Any])


class WorkerMethods:
    """Worker methods of ``CamundaAsyncClient`` (a mixin of its bases)."""

    @overload
    def create_job_worker(
        self,
        config: WorkerConfig,
        callback: AsyncJobHandler,
        *,
        execution_strategy: Literal["auto", "async"] = "auto",
        startup_jitter_max_seconds: float | None = None,
    ) -> JobWorker: ...

    @overload
    def create_job_worker(
        self,
        config: WorkerConfig,
        callback: SyncJobHandler,
        *,
        execution_strategy: Literal["auto", "thread"] = "auto",
        startup_jitter_max_seconds: float | None = None,
    ) -> JobWorker: ...

    @overload
    def create_job_worker(
        self,
        config: WorkerConfig,
        callback: ProcessJobHandler,
        *,
        execution_strategy: Literal["process"],
        startup_jitter_max_seconds: float | None = None,
    ) -> JobWorker: ...

    def create_job_worker(
        self,
        config: WorkerConfig,
        callback: Callable[[Any], Any],
        *,
        execution_strategy: str = "auto",
        startup_jitter_max_seconds: float | None = None,
    ) -> JobWorker:
        """Create a job worker; :meth:`run_workers` starts it.

        Args:
            config: the job type to poll for and the worker's limits.
            callback: the handler. Its context type follows the strategy:
                ``ConnectedJobContext`` (async), ``SyncJobContext`` (thread),
                ``JobContext`` (process). It returns a dict of variables, a
                ``JobCompletionRequest`` or None; it may raise ``JobFailure``
                or ``JobError``.
            execution_strategy: ``"auto"`` (async for ``async def``, else thread),
                ``"async"``, ``"thread"`` or ``"process"``.
            startup_jitter_max_seconds: random delay up to this before the first
                poll (default ``CAMUNDA_WORKER_STARTUP_JITTER_MAX_SECONDS``, 0).
        """
        from .runtime import JobWorker

        return JobWorker(
            cast("CamundaAsyncClient", self),
            config,
            callback,
            execution_strategy=execution_strategy,
            startup_jitter_max_seconds=startup_jitter_max_seconds,
        )

    def job_worker(
        self,
        job_type: str,
        *,
        timeout: int | None = None,
        execution_strategy: str = "auto",
        startup_jitter_max_seconds: float | None = None,
        middleware: Sequence[object] = (),
        **options: Any,
    ) -> Callable[[_F], _F]:
        """Register the decorated function as the handler of a job worker for ``job_type``.

        ``timeout`` is the job timeout in milliseconds (``job_timeout_milliseconds``);
        ``options`` are the other :class:`WorkerConfig` fields (``max_concurrent_jobs``,
        ``fetch_variables``, ``worker_name``, ``tenant_ids``, ``with_lease``...). The
        handler takes the job context, or the job's variables as typed keyword
        parameters (``async def charge(amount: float, customer: str) -> dict``), plus
        optionally the context (a parameter annotated with a job context type, or
        named ``job``). Without a context parameter only the declared variables are
        fetched. The function is returned unchanged; :meth:`run_workers` starts it::

            @client.job_worker("payment", timeout=30_000)
            async def charge(amount: float, customer: str) -> dict:
                return {"charged": amount}
        """
        from .config import WorkerConfig
        from .runtime import JobWorker
        from .typed import typed_handler

        def register(fn: _F) -> _F:
            handler, names = typed_handler(fn)
            fields = dict(options)
            if names is not None:
                fields.setdefault("fetch_variables", names)
            config = WorkerConfig(job_type=job_type, job_timeout_milliseconds=timeout, **fields)
            JobWorker(
                cast("CamundaAsyncClient", self),
                config,
                handler,
                execution_strategy=execution_strategy,
                startup_jitter_max_seconds=startup_jitter_max_seconds,
                middleware=middleware,
            )
            return fn

        return register

    @property
    def workers(self) -> list[JobWorker]:
        """The job workers created on this client."""
        from .runtime import registry

        return list(registry(cast("CamundaAsyncClient", self)).workers)

    def workers_health(self) -> list[WorkerHealth]:
        """The health of every job worker of this client (state, last poll, load)."""
        from .runtime import registry

        return registry(cast("CamundaAsyncClient", self)).health()

    async def run_workers(self, *, handle_signals: bool = True) -> None:
        """Run every worker of this client until stopped (or this task is cancelled).

        On the main thread SIGTERM and Ctrl+C stop the workers gracefully: running
        jobs finish and report within the shutdown timeout (a second signal
        abandons them), then this returns. ``handle_signals=False`` leaves
        signals to the application.
        """
        from .runtime import run_workers

        await run_workers(cast("CamundaAsyncClient", self), handle_signals=handle_signals)

    async def stop_workers(self, timeout: float | None = None) -> None:
        """Stop polling; running jobs get ``timeout`` seconds (default 30) to finish."""
        from .runtime import stop_workers

        await stop_workers(cast("CamundaAsyncClient", self), timeout)
