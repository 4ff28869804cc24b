"""The public clients: ``CamundaClient`` and ``CamundaAsyncClient``.

:class:`CamundaAsyncClient` is the async API client
(:class:`~camunda_sdk.base_client.AsyncApiClient`) plus the entries into the job
workers that the reference SDK names on the client (``create_job_worker``,
``job_worker``, ``run_workers``, ``stop_workers``, ``workers``,
``workers_health``). Each entry is a thin call into :mod:`camunda_sdk.workers`,
imported at the first use: a client that runs no worker never loads it, and the
workers stand on the API client rather than being woven into it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from .base_client import AsyncApiClient, CamundaClient

if TYPE_CHECKING:
    from .workers.config import WorkerConfig
    from .workers.context import AsyncJobHandler, ProcessJobHandler, SyncJobHandler
    from .workers.health import WorkerHealth
    from .workers.worker import JobWorker

__all__ = ["CamundaAsyncClient", "CamundaClient"]

_F = TypeVar("_F", bound=Callable[..., Any])


class CamundaAsyncClient(AsyncApiClient):
    """Asynchronous client: every operation method is a coroutine; it also hosts job workers.

    Takes the same arguments as :class:`CamundaClient` (``transport`` is an
    ``httpx.AsyncBaseTransport``). Without a ``transport``, it sends through
    aiohttp when the ``aiohttp`` extra is installed, else through httpx's own
    (``CAMUNDA_SDK_HTTP_TRANSPORT`` chooses; see ``docs/architecture.md``).
    """

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
        from .workers import create_job_worker

        return create_job_worker(
            self,
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
        from .workers import job_worker

        return job_worker(
            self,
            job_type,
            timeout=timeout,
            execution_strategy=execution_strategy,
            startup_jitter_max_seconds=startup_jitter_max_seconds,
            middleware=middleware,
            **options,
        )

    @property
    def workers(self) -> list[JobWorker]:
        """The job workers created on this client."""
        from .workers import workers_of

        return workers_of(self)

    def workers_health(self) -> list[WorkerHealth]:
        """The health of every job worker of this client (state, last poll, load)."""
        from .workers import workers_health

        return workers_health(self)

    async def run_workers(self, *, handle_signals: bool = True) -> None:
        """Run every worker of this client until stopped (or this task is cancelled).

        On the main thread SIGTERM and Ctrl+C stop the workers gracefully: running
        jobs finish and report within the shutdown timeout (a second signal
        abandons them), then this returns. ``handle_signals=False`` leaves
        signals to the application.
        """
        from .workers import run_workers

        await run_workers(self, handle_signals=handle_signals)

    async def stop_workers(self, timeout: float | None = None) -> None:
        """Stop polling; running jobs get ``timeout`` seconds (default 30) to finish."""
        from .workers import stop_workers

        await stop_workers(self, timeout)
