"""How job handlers run: the ``async``, ``thread`` and ``process`` execution strategies.

This module is the built-in plugin ``job-executors``, registered on a client's
plugin manager when it creates its first worker. It answers
``camunda_worker_executor`` with one of these per worker (``trylast``: a plugin
may replace any of them), and ``camunda_job_handler`` with the innermost link of
the job chain, the handler run by the executor (middleware wraps it):

- ``"async"``: the handler runs on the event loop and gets a
  :class:`~camunda_sdk.workers.ConnectedJobContext` (the async client);
- ``"thread"``: the handler runs in a daemon thread and gets a
  :class:`~camunda_sdk.workers.SyncJobContext` whose client is
  ``client.sync_client()`` (same plugins, token and limiter);
- ``"process"``: the handler runs in a child process and gets a plain
  :class:`~camunda_sdk.workers.JobContext` whose ``log`` is a ``NullLogger``;
  the handler, the context and its result must pickle.

The clients handlers get are the worker's views of them that notice a handler
sending its job's outcome itself (:mod:`camunda_sdk.workers.lifecycle`). An
``async def`` handler under ``thread`` or ``process`` runs in an event loop of
its own there. A worker that stops with handlers still running abandons
them (their jobs time out on the cluster and are handed out again): thread
handlers run in daemon threads and child processes are terminated, so the
process can exit as soon as ``stop()`` returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Protocol

from ..pipeline.hookspecs import hookimpl
from .context import ConnectedJobContext, JobContext, SyncJobContext

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from ..base_client import AsyncApiClient, CamundaClient
    from ..log import BoundLogger
    from ..operations.models import ActivatedJobResult
    from ..pipeline.context import ClientContext
    from .config import ResolvedWorkerConfig
    from .context import JobHandler
    from .outcome import Outcome

__all__ = [
    "AsyncExecutor",
    "Host",
    "JobExecutor",
    "ProcessExecutor",
    "ThreadExecutor",
    "camunda_job_handler",
    "camunda_worker_executor",
]


class Host(Protocol):
    """What an executor, and the innermost link of the job chain, see of their worker."""

    @property
    def config(self) -> ResolvedWorkerConfig:
        """The worker's configuration, every default filled in."""
        ...

    @property
    def log(self) -> BoundLogger:
        """The worker's logger (bound with its job type and name)."""
        ...

    @property
    def client(self) -> AsyncApiClient:
        """The client the worker polls and reports through."""
        ...

    @property
    def job_client(self) -> AsyncApiClient:
        """The client a handler gets: a view of :attr:`client` that notices the
        handler sending its job's outcome itself."""
        ...

    @property
    def job_sync_client(self) -> CamundaClient:
        """The same, as a view of ``client.sync_client()`` (made on first use)."""
        ...

    @property
    def executor(self) -> JobExecutor:
        """The worker's executor."""
        ...

    @property
    def callback(self) -> Callable[[Any], Any]:
        """The user's handler."""
        ...


class JobExecutor:
    """How a worker runs its handler; one instance per worker.

    Subclass it for a strategy of your own and return an instance from
    ``camunda_worker_executor``.
    """

    #: The strategy name this executor serves.
    strategy: str = ""

    def attach(self, worker: Host) -> None:
        """Called once by ``worker`` before its first job (size pools from its config)."""

    def make_context(self, job: ActivatedJobResult, worker: Host) -> JobContext:
        """Build the context the handler receives for ``job``."""
        return JobContext(job, log_parent=worker.log)

    async def execute(self, handler: Callable[[Any], Any], context: JobContext) -> Any:
        """Run ``handler(context)`` and return its result (or raise its exception).

        An outcome the handler records on the context (``context.complete()``...)
        must be on ``context.outcome`` when this returns.
        """
        raise NotImplementedError

    def close(self) -> None:
        """Release pools; handlers still running are abandoned, never waited for."""


class AsyncExecutor(JobExecutor):
    """Runs the handler on the event loop (``async def`` handlers)."""

    strategy = "async"

    def make_context(self, job: ActivatedJobResult, worker: Host) -> JobContext:
        """Build a :class:`ConnectedJobContext` carrying the worker's async client view."""
        return ConnectedJobContext(job, client=worker.job_client, log_parent=worker.log)

    async def execute(self, handler: Callable[[Any], Any], context: JobContext) -> Any:
        """Call the handler and await its result when it is awaitable."""
        result = handler(context)
        if inspect.isawaitable(result):
            result = await result
        return result


def call_handler(handler: Callable[[Any], Any], context: JobContext) -> Any:
    """Call ``handler`` where no event loop runs; an ``async def`` one gets a loop of its own."""
    result = handler(context)
    if inspect.isawaitable(result):
        result = asyncio.run(_awaited(result))
    return result


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


class DaemonThreadPool:
    """At most ``size`` daemon threads, started on demand, running submitted calls.

    Unlike ``ThreadPoolExecutor``, whose threads the interpreter joins at exit,
    a handler still running after its worker stopped cannot keep the process
    alive: an operator's ``stop(timeout=...)`` is the last word.
    """

    def __init__(self, size: int, name: str) -> None:
        self._size = size
        self._name = name
        self._queue: queue.SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...]]] = (
            queue.SimpleQueue()
        )
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run ``fn(*args)`` in a pool thread; return its future."""
        future: Future[Any] = Future()
        self.run(_settle, future, fn, args)
        return future

    def run(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` in a pool thread; ``fn`` reports its outcome itself."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the thread pool is closed")
            if self._idle:
                self._idle -= 1
            elif len(self._threads) < self._size:
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
            self._queue.put((fn, args))

    def _work(self) -> None:
        while True:
            fn, args = self._queue.get()
            if fn is _STOP:
                return
            fn(*args)
            with self._lock:
                self._idle += 1

    def close(self) -> None:
        """Let idle threads end; busy ones end after their call (nobody waits for them)."""
        with self._lock:
            self._closed = True
            for _ in self._threads:
                self._queue.put((_STOP, ()))


def _STOP() -> None:
    """Marks the end of a pool thread's work (never called)."""


def _settle(future: Future[Any], fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    if future.set_running_or_notify_cancel():
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # handed to whoever waits on the future
            future.set_exception(exc)


class _Handback:
    """Hands results from pool threads to the event loop, many per wake-up.

    Each ``call_soon_threadsafe`` writes to the loop's self-pipe and wakes it;
    handlers that finish together share one wake-up here instead of one each.
    """

    __slots__ = ("_lock", "_ready", "_scheduled", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._lock = threading.Lock()
        self._ready: list[tuple[asyncio.Future[Any], bool, Any]] = []
        self._scheduled = False

    def call(self, future: asyncio.Future[Any], run: Callable[..., Any], *args: Any) -> None:
        """In a pool thread: ``run(*args)``, its result or exception to ``future``."""
        ok, value = True, None
        try:
            value = run(*args)
        except BaseException as exc:  # handed to the awaiting task
            ok, value = False, exc
        with self._lock:
            self._ready.append((future, ok, value))
            if self._scheduled:
                return
            self._scheduled = True
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            self.loop.call_soon_threadsafe(self._flush)

    def _flush(self) -> None:
        with self._lock:
            ready, self._ready = self._ready, []
            self._scheduled = False
        for future, ok, value in ready:
            if future.done():  # cancelled meanwhile: abandoned at the drain deadline
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)


class ThreadExecutor(JobExecutor):
    """Runs handlers in daemon threads; contexts carry ``client.sync_client()``."""

    strategy = "thread"

    def __init__(self, max_workers: int | None = None) -> None:
        self._max_workers = max_workers
        self._name = "camunda-job"
        self._pool: DaemonThreadPool | None = None
        self._handback: _Handback | None = None

    def attach(self, worker: Host) -> None:
        """Size the pool to the worker's ``max_concurrent_jobs`` unless set explicitly."""
        if self._max_workers is None:
            self._max_workers = worker.config.max_concurrent_jobs
        self._name = f"camunda-job-{worker.config.job_type}"

    def make_context(self, job: ActivatedJobResult, worker: Host) -> JobContext:
        """Build a :class:`SyncJobContext` carrying the view of the sync client derived
        from the worker's."""
        return SyncJobContext(job, client=worker.job_sync_client, log_parent=worker.log)

    async def execute(self, handler: Callable[[Any], Any], context: JobContext) -> Any:
        """Run the handler in a pool thread without blocking the event loop."""
        if self._pool is None:  # made on first use, and again after close() (a restart)
            self._pool = DaemonThreadPool(self._max_workers or 1, self._name)
        loop = asyncio.get_running_loop()
        handback = self._handback
        if handback is None or handback.loop is not loop:
            handback = self._handback = _Handback(loop)
        future = loop.create_future()
        # The job's span (and other context) goes along, so the handler's own calls
        # through the sync client are its children.
        run = contextvars.copy_context().run
        self._pool.run(handback.call, future, run, call_handler, handler, context)
        return await future

    def close(self) -> None:
        """Let the pool's threads end; running handlers are abandoned."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()


def _run_in_child(handler: Callable[[Any], Any], context: JobContext) -> tuple[Any, Outcome | None]:
    # Runs in the child process; module level so that it pickles by reference.
    # The context does not travel back: the outcome it recorded does.
    return call_handler(handler, context), context.outcome


class ProcessExecutor(JobExecutor):
    """Runs picklable handlers in child processes; contexts have no client."""

    strategy = "process"

    def __init__(self, max_workers: int | None = None) -> None:
        self._max_workers = max_workers
        self._children: _Children | None = None
        self._lock = threading.Lock()

    def attach(self, worker: Host) -> None:
        """Size the pool to the worker's ``max_concurrent_jobs`` unless set explicitly."""
        if self._max_workers is None:
            self._max_workers = worker.config.max_concurrent_jobs

    def _get_children(self) -> _Children:
        with self._lock:
            if self._children is None:
                # One process per job slot: a job queued behind a smaller pool would
                # spend its timeout waiting, then be handed out again and done twice.
                self._children = _Children(max(1, self._max_workers or 1))
            return self._children

    def make_context(self, job: ActivatedJobResult, worker: Host) -> JobContext:
        """Build a plain :class:`JobContext` whose log is a ``NullLogger``."""
        from ..log import NullLogger

        return JobContext(job, log=NullLogger())

    async def execute(self, handler: Callable[[Any], Any], context: JobContext) -> Any:
        """Run the handler in a child process; a broken pool is replaced for the next job."""
        from concurrent.futures.process import BrokenProcessPool

        loop = asyncio.get_running_loop()
        children = self._get_children()
        try:
            result, outcome = await loop.run_in_executor(
                children.pool, _run_in_child, handler, context
            )
        except BrokenProcessPool:
            # A child died (killed, segfault): this job fails, the next one gets a new pool.
            with self._lock:
                if self._children is children:
                    self._children = None
            children.close()
            raise
        context.outcome = outcome
        return result

    def close(self) -> None:
        """End the children: handlers still running are abandoned."""
        with self._lock:
            children, self._children = self._children, None
        if children is not None:
            children.close()


class _Children:
    """A process pool whose children end the moment it is closed, busy or not.

    ``ProcessPoolExecutor.shutdown`` lets running calls finish, and the interpreter's
    exit waits for them (concurrent.futures joins at exit); Python before 3.14 has no
    public way to end them. So each child holds the reading end of a pipe whose
    writing end only this pool holds, and exits, from a daemon thread, when it
    reads the end of it: when the pool is closed, or this process is gone. (A pipe,
    not an event: a child killed while waiting on a ``multiprocessing.Event``
    leaves its next ``set()`` waiting for it forever.)
    """

    def __init__(self, size: int) -> None:
        # Imported here: multiprocessing costs milliseconds at import.
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # forkserver, not fork: this parent runs threads whose locks a forked child
        # could inherit held.
        context = multiprocessing.get_context("forkserver")
        self._reader, self._writer = context.Pipe(duplex=False)
        self.pool = ProcessPoolExecutor(
            size, mp_context=context, initializer=_exit_with, initargs=(self._reader,)
        )

    def close(self) -> None:
        """Shut the pool down without waiting; its children exit at once."""
        self._writer.close()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self._reader.close()


def _exit_with(pipe: Connection) -> None:
    # Runs in each child as it starts (module level, so that it pickles by reference).
    def watch() -> None:
        with contextlib.suppress(EOFError, OSError):
            pipe.recv()  # nothing is ever sent: this returns when the pool is closed
        os._exit(0)  # a handler still running is abandoned, as the pool's owner asked

    threading.Thread(target=watch, name="camunda-job-pool-closed", daemon=True).start()


# -- the built-in plugin ``job-executors`` ----------------------------------------------

_STRATEGIES: dict[str, type[JobExecutor]] = {
    "async": AsyncExecutor,
    "thread": ThreadExecutor,
    "process": ProcessExecutor,
}


@hookimpl(trylast=True)
def camunda_worker_executor(strategy: str, context: ClientContext) -> JobExecutor | None:
    """Answer the built-in strategies ``async``, ``thread`` and ``process``."""
    # Pools are sized in JobExecutor.attach: the hook's arguments carry no worker settings.
    executor = _STRATEGIES.get(strategy)
    return executor() if executor is not None else None


@hookimpl(trylast=True)
def camunda_job_handler(worker: Host) -> JobHandler:
    """The innermost link of the job chain: the user's handler, through the executor."""
    execute = worker.executor.execute
    callback = worker.callback

    async def run_handler(job: JobContext) -> Any:
        return await execute(callback, job)

    return run_handler
