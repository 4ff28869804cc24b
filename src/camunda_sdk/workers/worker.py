"""The job worker: :class:`JobWorker`, and the functions that make workers.

One :class:`JobWorker` per job type; it puts together the rooms of this package:
its :class:`~.polling.Poller` activates jobs into free :class:`~.polling.Slots`,
its :class:`~.lifecycle.JobRunner` takes each job through the job chain (handler
middleware and the handler, run by the worker's executor) to its outcome, and
:class:`~.delivery.Delivery` sends that until it arrives or the job's deadline
is near. Constructing a worker installs the worker's plugins on the client
(:func:`~.plugins.install`, once per client) and registers it with the client's
:class:`~.registry.WorkerRegistry`, which :func:`~.registry.run_workers` starts.

Stopping (``stop()``, ``client.close()``, SIGTERM or Ctrl+C in ``run_workers``)
polls no more, lets an outstanding long poll answer and hands the jobs it brings
back at once (``failJob`` with the retries unchanged), lets running jobs finish
and report within the drain timeout, then abandons what is left (those jobs time
out on the cluster and are handed out again).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from .config import ResolvedWorkerConfig, WorkerConfig, resolve_worker_config
from .delivery import Delivery
from .health import WorkerHealth, WorkerState
from .lifecycle import JobRunner
from .plugins import install, job_chain
from .polling import Poller
from .registry import registry_of
from .telemetry import WorkerTelemetry
from .tuning import WorkerTuning

if TYPE_CHECKING:
    from ..base_client import AsyncApiClient, CamundaClient
    from ..log import BoundLogger
    from .executors import JobExecutor

__all__ = ["ExecutionStrategy", "JobWorker", "create_job_worker", "job_worker", "workers_of"]

ExecutionStrategy = Literal["auto", "async", "thread", "process"]

_F = TypeVar("_F", bound=Callable[..., Any])


def _is_async_callable(fn: object) -> bool:
    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(fn, "__call__", None)  # noqa: B004 - an instance with async __call__
    return call is not None and inspect.iscoroutinefunction(call)


class JobWorker:
    """Polls for one job type and runs ``callback`` for every activated job.

    Usually made by ``client.create_job_worker(...)``; constructing one registers
    it with ``client`` so that :func:`~camunda_sdk.workers.run_workers` starts it.

    Args:
        client: the ``CamundaAsyncClient`` to poll and report through.
        config: what to poll for; unset fields inherit ``CAMUNDA_WORKER_*``.
        callback: the handler; it receives a job context and returns a dict of
            variables, a ``JobCompletionRequest`` or None.
        execution_strategy: ``"auto"`` (``async`` for ``async def`` handlers,
            ``thread`` otherwise), ``"async"``, ``"thread"``, ``"process"``, or a
            strategy a plugin provides.
        startup_jitter_max_seconds: wait a random time up to this before the
            first poll (default: ``CAMUNDA_WORKER_STARTUP_JITTER_MAX_SECONDS``, 0).
        tuning: timing knobs (see :class:`~camunda_sdk.workers.WorkerTuning`).
        middleware: plugin objects implementing ``camunda_job_handler`` for this
            worker only, outermost last (see ``camunda_sdk.workers.hookspecs``).

    Attributes:
        client: the client the worker polls and reports through.
        job_client: the client a handler gets (``async`` strategy): a view of
            ``client`` that notices the handler sending its job's outcome itself.
        config: the configuration, every default filled in.
        log: the worker's logger (bound with its job type and name).
        executor: runs the handler (see ``camunda_sdk.workers.executors``).
        telemetry: the worker's spans and metrics.

    Raises:
        ConfigurationError: the configuration is incomplete or out of range.
        ValueError: no plugin provides ``execution_strategy``.
    """

    def __init__(
        self,
        client: AsyncApiClient,
        config: WorkerConfig,
        callback: Callable[[Any], Any],
        *,
        execution_strategy: str = "auto",
        startup_jitter_max_seconds: float | None = None,
        tuning: WorkerTuning | None = None,
        middleware: Sequence[object] = (),
    ) -> None:
        self.client = client
        self.config: ResolvedWorkerConfig = resolve_worker_config(
            config, client.config, startup_jitter_max_seconds
        )
        self.callback = callback
        strategy = execution_strategy
        if strategy == "auto":
            strategy = "async" if _is_async_callable(callback) else "thread"
        self.execution_strategy = strategy
        self.tuning = tuning = tuning or WorkerTuning()
        context = client.context
        install(context)
        executor = context.plugin_manager.hook.camunda_worker_executor(
            strategy=strategy, context=context
        )
        if executor is None:
            raise ValueError(
                f"no plugin provides the job execution strategy {strategy!r}"
                " (built-in: 'auto', 'async', 'thread', 'process')"
            )
        self.executor: JobExecutor = executor
        self.log: BoundLogger = client.logger.bind(
            job_type=self.config.job_type, worker=self.config.worker_name
        )
        self.telemetry = WorkerTelemetry(context, self.config.job_type)
        self._task: asyncio.Task[None] | None = None
        self._active = False  # between the start and the end of the worker's task
        self._stop_deadline = 0.0
        self._abandon_timer: asyncio.TimerHandle | None = None
        self._deadline_moved: asyncio.Event | None = None
        self._poller = Poller(client, self.config, tuning, self.telemetry, self.log)
        self._slots = self._poller.slots
        self.executor.attach(self)
        delivery = Delivery(client, tuning, self.log)
        chain = job_chain(self, context.plugin_manager, middleware)
        self._runner = runner = JobRunner(self, chain, delivery, self.telemetry, tuning)
        self.job_client: AsyncApiClient = client.with_stage(runner.notice_reports)
        self._job_sync_client: CamundaClient | None = None
        self.telemetry.observe(self.health)
        registry_of(context).add(self)

    @property
    def job_sync_client(self) -> CamundaClient:
        """The client a ``thread`` handler gets: a view of ``client.sync_client()`` that
        notices the handler sending its job's outcome itself (made on first use)."""
        view = self._job_sync_client
        if view is None:
            view = self._job_sync_client = self.client.sync_client().with_stage(
                self._runner.notice_reports
            )
        return view

    # -- public ------------------------------------------------------------------

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The worker's task while started (it ends when the worker has stopped)."""
        return self._task

    def health(self) -> WorkerHealth:
        """What the worker is doing: state, last successful poll, errors, load."""
        in_flight = len(self._slots.tasks)
        state = self._state()
        return WorkerHealth(
            job_type=self.config.job_type,
            state=state,
            last_successful_poll=self._poller.last_poll,
            consecutive_errors=self._poller.errors,
            in_flight=in_flight,
            free_capacity=max(0, self.config.max_concurrent_jobs - in_flight)
            if state in ("polling", "backing off")
            else 0,
        )

    def _state(self) -> WorkerState:
        if not self._active:
            return "stopped"
        if self._slots.stopping:
            return "stopping"
        return "backing off" if self._poller.backing_off else "polling"

    @property
    def running(self) -> bool:
        """Whether the worker's loop is running (polling or draining)."""
        return self._task is not None and not self._task.done()

    @property
    def in_flight(self) -> int:
        """How many jobs are running or reporting right now."""
        return len(self._slots.tasks)

    def start(self) -> asyncio.Task[None]:
        """Start polling on the running event loop; return the worker's task."""
        task = self._task
        if task is None or task.done():
            self._slots.open()
            task = self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"camunda-worker:{self.config.job_type}"
            )
        return task

    async def run(self) -> None:
        """Run until stopped (starts the worker if needed).

        Cancelling ``run()`` stops the worker gracefully, then re-raises.

        Raises:
            ConfigurationError: the worker cannot go on (``with_lease=True``
                against a server that issues no lease tokens).
        """
        task = self.start()
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            await self.stop()
            raise

    def request_stop(self, timeout: float | None = None) -> None:
        """Stop polling now; running jobs get ``timeout`` seconds (default 30) to finish.

        Called again with a shorter timeout, it moves the deadline closer (a
        second Ctrl+C abandons running jobs at once).
        """
        if self._task is None or self._task.done():
            return  # not running: nothing to stop (start() begins afresh)
        loop = self._task.get_loop()
        deadline = loop.time() + (self.tuning.shutdown_timeout if timeout is None else timeout)
        if self._slots.stopping:
            if deadline < self._stop_deadline:
                self._stop_deadline = deadline
                self._schedule_abandon(loop)
            return
        self._slots.stop()
        self._stop_deadline = deadline
        self.log.info(
            f"stopping: no more polls; {self.in_flight} running job(s) get"
            f" {max(0.0, deadline - loop.time()):.1f} s to finish"
        )
        self._schedule_abandon(loop)

    async def stop(self, timeout: float | None = None) -> None:
        """Stop polling, wait (up to ``timeout`` seconds) for running jobs, release resources."""
        self.request_stop(timeout)
        task = self._task
        if task is not None:
            await asyncio.wait([task])  # its own failure is reported by run(), not here

    # -- the worker's task -------------------------------------------------------

    async def _run(self) -> None:
        self._deadline_moved = asyncio.Event()
        self._active = True
        self.log.info(
            f"worker started ({self.execution_strategy},"
            f" at most {self.config.max_concurrent_jobs} jobs at once)"
        )
        try:
            jitter = self.config.startup_jitter_max_seconds
            if jitter > 0:
                await self._slots.pause(jitter * self.tuning.random())
            await self._poller.run(self._runner)
        finally:
            if not self._slots.stopping:  # ended by an error or a cancellation
                self.request_stop()
            await self._drain()
            try:
                self.executor.close()
            except Exception as exc:  # never let cleanup mask the reason we stopped
                self.log.warning("closing the job executor failed", exc=exc)
            self._active = False
            if self._abandon_timer is not None:  # a restarted worker must not meet it
                self._abandon_timer.cancel()
                self._abandon_timer = None
            self.log.info("worker stopped")

    def _schedule_abandon(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._abandon_timer is not None:
            self._abandon_timer.cancel()  # a closer deadline replaces the earlier one
        self._abandon_timer = loop.call_at(self._stop_deadline, self._abandon)
        if self._deadline_moved is not None:
            self._deadline_moved.set()

    def _abandon(self) -> None:
        """The drain deadline passed: give up an outstanding long poll."""
        self._poller.abandon()
        if self._deadline_moved is not None:
            self._deadline_moved.set()

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        tasks = self._slots.tasks
        if tasks:
            self.log.info(f"waiting for {len(tasks)} running job(s) to finish")
        moved = self._deadline_moved
        assert moved is not None
        while tasks:
            remaining = self._stop_deadline - loop.time()
            if remaining <= 0:
                break
            moved.clear()
            watch = loop.create_task(moved.wait())
            await asyncio.wait(
                {*tasks, watch}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
            )
            watch.cancel()
        pending = set(tasks)
        if pending:
            self.log.warning(
                f"{len(pending)} job(s) still running at the drain deadline; abandoning them"
                " (the cluster hands them out again after their timeout)"
            )
            for task in pending:
                task.cancel()
            await asyncio.wait(pending, timeout=1.0)

    def __repr__(self) -> str:
        return (
            f"JobWorker(job_type={self.config.job_type!r}, "
            f"strategy={self.execution_strategy!r}, running={self.running})"
        )


#: Create a worker on ``client`` (started by :func:`~camunda_sdk.workers.run_workers`):
#: the function form of :class:`JobWorker`, taking the same arguments.
create_job_worker = JobWorker


def job_worker(
    client: AsyncApiClient,
    job_type: str,
    *,
    timeout: int | None = None,
    execution_strategy: str = "auto",
    startup_jitter_max_seconds: float | None = None,
    middleware: Sequence[object] = (),
    **options: Any,
) -> Callable[[_F], _F]:
    """A decorator that makes the function the handler of a worker for ``job_type``.

    See ``CamundaAsyncClient.job_worker``: the handler may take the job's variables
    as typed keyword parameters, which are then all that is fetched.
    """
    from .typed import typed_handler

    def register(fn: _F) -> _F:
        handler, names = typed_handler(fn)
        fields = dict(options)
        if names is not None:
            fields.setdefault("fetch_variables", names)
        config = WorkerConfig(job_type=job_type, job_timeout_milliseconds=timeout, **fields)
        JobWorker(
            client,
            config,
            handler,
            execution_strategy=execution_strategy,
            startup_jitter_max_seconds=startup_jitter_max_seconds,
            middleware=middleware,
        )
        return fn

    return register


def workers_of(client: AsyncApiClient) -> list[JobWorker]:
    """The job workers created on ``client``."""
    return [w for w in registry_of(client.context).workers if isinstance(w, JobWorker)]
