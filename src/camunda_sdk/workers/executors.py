"""Built-in plugin ``workers``: the execution strategies of job handlers.

It answers :func:`~camunda_sdk.pipeline.hookspecs.camunda_worker_executor` for

- ``"async"``: the handler runs on the event loop and gets a
  :class:`~camunda_sdk.workers.ConnectedJobContext` (the async client);
- ``"thread"``: the handler runs in a ``ThreadPoolExecutor`` and gets a
  :class:`~camunda_sdk.workers.SyncJobContext` with a sync ``CamundaClient``
  built from the same configuration (once per worker, on first use);
- ``"process"``: the handler runs in a ``ProcessPoolExecutor`` and gets a plain
  :class:`~camunda_sdk.workers.JobContext` whose ``log`` is a ``NullLogger``;
  the handler, the context and its result must pickle.

A plugin adds a strategy by answering another name, or replaces a built-in one
by answering its name from a ``tryfirst=True`` implementation. Its executor
follows :class:`JobExecutor`. The plugin also stops a client's workers when the
client is closed (:func:`camunda_client_closed`).
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..pipeline.hookspecs import hookimpl
from .context import ConnectedJobContext, JobContext, SyncJobContext

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from ..client import CamundaAsyncClient, CamundaClient
    from ..operations.models import ActivatedJobResult
    from ..pipeline.context import ClientContext
    from .runtime import JobWorker

__all__ = [
    "AsyncExecutor",
    "JobExecutor",
    "ProcessExecutor",
    "ThreadExecutor",
    "camunda_client_closed",
    "camunda_worker_executor",
    "sync_client_for",
]


class JobExecutor:
    """How a worker runs its handler; one instance per worker.

    Subclass it for a strategy of your own and return an instance from
    ``camunda_worker_executor``.
    """

    #: The strategy name this executor serves.
    strategy: str = ""

    def attach(self, worker: JobWorker) -> None:
        """Called once by ``worker`` before its first job (size pools from its config)."""

    def make_context(self, job: ActivatedJobResult, worker: JobWorker) -> JobContext:
        """Build the context the handler receives for ``job``."""
        return JobContext(job, log_parent=worker.log)

    async def execute(self, handler: Callable[[Any], Any], context: JobContext) -> Any:
        """Run ``handler(context)`` and return its result (or raise its exception)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release pools and clients; in-flight handlers have finished or been abandoned."""


class AsyncExecutor(JobExecutor):
    """Runs the handler on the event loop (``async def`` handlers)."""

    strategy = "async"

    def make_context(self, job: ActivatedJobResult, worker: JobWorker) -> JobContext:
        """Build a :class:`ConnectedJobContext` carrying the worker's async client."""
        return ConnectedJobContext(job, client=worker.client, log_parent=worker.log)

    async def execute(self, handler: Callable[[Any], Any], context: JobContext) -> Any:
        """Call the handler and await its result when it is awaitable."""
        result = handler(context)
        if inspect.isawaitable(result):
            result = await result
        return result


class _PoolExecutor(JobExecutor):
    """Shared part of the thread and process strategies: a lazily created pool."""

    def __init__(self, max_workers: int | None = None) -> None:
        self._max_workers = max_workers
        self._pool: Executor | None = None
        self._lock = threading.Lock()

    def attach(self, worker: JobWorker) -> None:
        """Size the pool to the worker's ``max_concurrent_jobs`` unless set explicitly."""
        if self._max_workers is None:
            self._max_workers = worker.config.max_concurrent_jobs

    def _new_pool(self) -> Executor:
        raise NotImplementedError

    def _get_pool(self) -> Executor:
        pool = self._pool
        if pool is None:
            with self._lock:
                pool = self._pool
                if pool is None:
                    pool = self._pool = self._new_pool()
        return pool

    async def execute(self, handler: Callable[[Any], Any], context: JobContext) -> Any:
        """Run the handler in the pool without blocking the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._get_pool(), handler, context)

    def close(self) -> None:
        """Shut the pool down without waiting: the worker already drained it."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


class ThreadExecutor(_PoolExecutor):
    """Runs sync handlers in a thread pool; contexts carry a sync client."""

    strategy = "thread"

    def __init__(self, max_workers: int | None = None) -> None:
        super().__init__(max_workers)
        self._client: CamundaClient | None = None
        self._client_lock = threading.Lock()

    def _new_pool(self) -> Executor:
        from concurrent.futures import ThreadPoolExecutor

        return ThreadPoolExecutor(self._max_workers, thread_name_prefix="camunda-job")

    def sync_client(self, worker: JobWorker) -> CamundaClient:
        """The sync client handed to this worker's handlers (created on first use)."""
        client = self._client
        if client is None:
            with self._client_lock:
                client = self._client
                if client is None:
                    client = self._client = sync_client_for(worker.client)
        return client

    def make_context(self, job: ActivatedJobResult, worker: JobWorker) -> JobContext:
        """Build a :class:`SyncJobContext` carrying the sync client."""
        return SyncJobContext(job, client=self.sync_client(worker), log_parent=worker.log)

    def close(self) -> None:
        """Shut the pool down and close the sync client."""
        super().close()
        client, self._client = self._client, None
        if client is not None:
            client.close()


def _run_in_child(handler: Callable[[Any], Any], context: JobContext) -> Any:
    # Runs in the child process; module level so that it pickles by reference.
    return handler(context)


class ProcessExecutor(_PoolExecutor):
    """Runs picklable handlers in a process pool; contexts have no client."""

    strategy = "process"

    def _new_pool(self) -> Executor:
        # Imported here: multiprocessing costs milliseconds, and this plugin is
        # loaded by every client.
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # One process per job slot: the worker activates as many jobs as it has
        # slots, and a job queued behind a smaller pool would spend its timeout
        # waiting, then be handed to another worker and done twice.
        # forkserver, not fork: this parent runs threads (pools, exporters) whose
        # locks a forked child could inherit held.
        return ProcessPoolExecutor(
            max(1, self._max_workers or 1), mp_context=multiprocessing.get_context("forkserver")
        )

    def make_context(self, job: ActivatedJobResult, worker: JobWorker) -> JobContext:
        """Build a plain :class:`JobContext` whose log is a ``NullLogger``."""
        from ..log import NullLogger

        return JobContext(job, log=NullLogger())

    async def execute(self, handler: Callable[[Any], Any], context: JobContext) -> Any:
        """Run the handler in a child process; a broken pool is replaced for the next job."""
        from concurrent.futures.process import BrokenProcessPool

        loop = asyncio.get_running_loop()
        pool = self._get_pool()
        try:
            return await loop.run_in_executor(pool, _run_in_child, handler, context)
        except BrokenProcessPool:
            # A child died (killed, segfault): this job fails, the next one gets a new pool.
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def sync_client_for(client: CamundaAsyncClient) -> CamundaClient:
    """Build a sync ``CamundaClient`` configured like the async ``client``.

    It gets the same resolved ``CAMUNDA_*`` settings, logger, telemetry providers
    and the plugins passed to ``client`` as objects (built-ins, entry points and
    ``CAMUNDA_SDK_PLUGINS`` modules are discovered again from the same settings).
    """
    import httpx

    from ..client import CamundaClient
    from ..pipeline.manager import _builtin_plugins, _entry_points

    context = client._context
    config = context.config
    discovered = {name for name, _ in _builtin_plugins()}
    discovered.update(ep.name for ep in _entry_points())
    discovered.update(getattr(config, "plugins", ()) or ())
    extra = [
        plugin
        for name, plugin in context.plugin_manager.list_name_plugin()
        if name not in discovered and plugin is not None
    ]
    # A transport object serving both worlds (httpx.MockTransport does) is shared,
    # so tests and custom transports reach handlers' calls too.
    transport = getattr(client, "_transport", None)
    sync_transport = transport if isinstance(transport, httpx.BaseTransport) else None
    return CamundaClient(
        configuration=dict(config.raw),
        logger=context.logger,
        plugins=extra,
        tracer_provider=context.tracer_provider,
        meter_provider=context.meter_provider,
        transport=sync_transport,
        environ={},
    )


@hookimpl(trylast=True)
def camunda_worker_executor(strategy: str, context: ClientContext) -> JobExecutor | None:
    """Answer the built-in strategies ``async``, ``thread`` and ``process``."""
    # Pools are sized in JobExecutor.attach: the hook's arguments carry no worker settings.
    if strategy == "async":
        return AsyncExecutor()
    if strategy == "thread":
        return ThreadExecutor()
    if strategy == "process":
        return ProcessExecutor()
    return None


@hookimpl
def camunda_client_closed(context: ClientContext) -> None:
    """Ask the client's workers to stop: their client is going away."""
    registry = context.state.get("workers")
    if registry is not None:
        registry.request_stop()
