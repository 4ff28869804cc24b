"""The job worker runtime: poll, run handlers, deliver outcomes, stop without losing work.

One :class:`JobWorker` per job type. Its poll loop:

- asks ``activateJobs`` for exactly as many jobs as it has free slots
  (``max_concurrent_jobs - in flight``), so it never holds a job it cannot start;
- polls again at once when the previous poll returned jobs or a slot frees up:
  the long poll itself is the wait, there is no fixed pause between polls;
- backs off (exponential, jittered) only after a failed poll (backpressure,
  connection loss), or when an empty answer came back at once (a server that is
  not long-polling), so it never spins.

Each job runs as its own task through the worker's executor (``async``,
``thread``, ``process``, or a plugin's). The handler's return value completes
the job; :class:`~camunda_sdk.workers.JobFailure` fails it;
:class:`~camunda_sdk.workers.JobError` throws a BPMN error; any other exception
fails it with one retry less; the handler may also record the outcome on its
context or report it through the client itself.

A finished result is work done, so delivering it lasts as long as the job does:
every transient failure (connection refused or reset, timeouts, 408/429/5xx,
a token endpoint that is unreachable or failing) is retried with capped,
jittered backoff until shortly before the job's deadline.

Stopping (``stop()``, ``client.close()``, SIGTERM or Ctrl+C in
:func:`run_workers`) polls no more, lets an outstanding long poll answer and
hands the jobs it brings back at once (``failJob`` with the retries unchanged),
lets running jobs finish and report within the drain timeout, then abandons
what is left (those jobs time out on the cluster and are handed out again).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import math
import random
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

import attrs

from ..errors import ConfigurationError
from ..pipeline.hookspecs import PROJECT
from ..pipeline.manager import build_chain
from .config import ResolvedWorkerConfig, WorkerConfig, resolve_worker_config
from .context import Completion, Ignored, JobContext, JobError, JobFailure
from .health import HealthServer, WorkerHealth, WorkerState
from .outcomes import (
    ActiveJob,
    Complete,
    Outcome,
    complete,
    describe,
    encoding_problem,
    fail,
    failure,
    is_transient,
    never_applied,
    throw,
)
from .plugin import HEALTH_HOST, HEALTH_PORT, STATE_KEY
from .telemetry import WorkerTelemetry

if TYPE_CHECKING:
    from ..base_client import AsyncApiClient
    from ..log import BoundLogger
    from ..operations.models import (
        ActivatedJobResult,
    )
    from ..operations.semantic_types import TenantId
    from .executors import JobExecutor
    from .hookspecs import JobHandler

__all__ = [
    "Backoff",
    "ExecutionStrategy",
    "JobWorker",
    "WorkerRegistry",
    "WorkerTuning",
    "create_job_worker",
    "run_workers",
    "stop_workers",
]

ExecutionStrategy = Literal["auto", "async", "thread", "process"]

# An empty activation answer faster than this means the server is not long-polling.
_F = TypeVar("_F", bound=Callable[..., Any])

_FAST_EMPTY_POLL_SECONDS = 0.5
# Consecutive activation failures after which even transient ones are logged as errors.
_PERSISTENT_ERRORS = 5
_HANDED_BACK = "handed back unprocessed: the job worker is stopping"


@attrs.frozen
class Backoff:
    """Exponential backoff with jitter: ``initial * multiplier**attempt``, capped.

    The delay is drawn uniformly from the upper half of that value, so workers
    restarted together drift apart.
    """

    initial: float
    maximum: float
    multiplier: float = 2.0

    def delay(self, attempt: int, rand: Callable[[], float]) -> float:
        """The delay in seconds before retry number ``attempt`` (from 0)."""
        base = min(self.maximum, self.initial * self.multiplier ** min(attempt, 32))
        return base * (0.5 + 0.5 * rand())


@attrs.frozen(kw_only=True)
class WorkerTuning:
    """Timing knobs of the runtime; the defaults suit production, tests shrink them.

    Attributes:
        poll_backoff: delays after failed activation requests.
        idle_backoff: delays after empty answers that came back at once.
        outcome_backoff: delays between attempts to deliver a completion, failure
            or BPMN error (attempts go on until shortly before the job's deadline).
        deadline_margin: seconds before the job's deadline at which delivery
            gives up (at most this, and at most a tenth of the job timeout).
        shutdown_timeout: seconds a stopping worker waits for running handlers.
        activation_threshold: the share of ``max_concurrent_jobs`` that should be
            free before the next activation while jobs run, so the cluster
            answers fewer, fuller requests (not one for a single job the moment
            one finishes);
        activation_delay: ... but a free slot waits at most this many seconds
            for the others, so slow jobs do not leave slots idle.
        random: the jitter source (``random.random``).
    """

    poll_backoff: Backoff = Backoff(0.2, 10.0)
    idle_backoff: Backoff = Backoff(0.05, 1.0)
    outcome_backoff: Backoff = Backoff(0.1, 2.0)
    deadline_margin: float = 1.0
    shutdown_timeout: float = 30.0
    activation_threshold: float = 0.75
    activation_delay: float = 0.02
    random: Callable[[], float] = random.random


def _is_async_callable(fn: object) -> bool:
    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(fn, "__call__", None)  # noqa: B004 - an instance with async __call__
    return call is not None and inspect.iscoroutinefunction(call)


class JobWorker:
    """Polls for one job type and runs ``callback`` for every activated job.

    Usually made by ``client.create_job_worker(...)``; constructing one registers
    it with ``client`` so that :func:`run_workers` starts it.

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
        tuning: timing knobs (see :class:`WorkerTuning`).
        middleware: plugin objects implementing ``camunda_job_handler`` for this
            worker only, outermost last (see ``camunda_sdk.workers.hookspecs``).

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
        self.tuning = tuning or WorkerTuning()
        context = client.context
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
        self._registry = registry(client)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._capacity: asyncio.Event | None = None
        self._wanted = 1  # free slots the poll loop waits for (set by the loop)
        self._deadline_moved: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._poll_task: asyncio.Task[Any] | None = None
        self._stopping = False
        self._stop_deadline = 0.0
        self._abandon_timer: asyncio.TimerHandle | None = None
        self._state: WorkerState = "stopped"
        self._last_poll: float | None = None
        self._errors = 0
        self.telemetry = WorkerTelemetry(self)
        self._activation_client = self._client_for_activation()
        # The worker resends outcomes itself, until the job's deadline; stacking
        # the retry plugin's attempts on top would multiply them.
        self._outcome_client = client.with_options(retry=False)
        self.executor.attach(self)
        self._chain: JobHandler = self._build_chain(middleware)
        self._registry.add(self)

    def _build_chain(self, middleware: Sequence[object]) -> JobHandler:
        """The job chain: the client's job middleware, then this worker's (outermost)."""
        import pluggy

        from . import hookspecs

        pm = pluggy.PluginManager(PROJECT)
        pm.add_hookspecs(hookspecs)
        # Plugins may sit in several managers: the client's keep serving its calls.
        for name, plugin in self.client.context.plugin_manager.list_name_plugin():
            if plugin is not None and hasattr(plugin, "camunda_job_handler"):
                pm.register(plugin, name=name)
        for index, plugin in enumerate(middleware):
            pm.register(plugin, name=f"{self.config.job_type}-middleware-{index}")
        return build_chain(pm.hook.camunda_job_handler, "workers", worker=self)

    # -- public ------------------------------------------------------------------

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The worker's task while started (it ends when the worker has stopped)."""
        return self._task

    def health(self) -> WorkerHealth:
        """What the worker is doing: state, last successful poll, errors, load."""
        in_flight = len(self._in_flight)
        return WorkerHealth(
            job_type=self.config.job_type,
            state=self._state,
            last_successful_poll=self._last_poll,
            consecutive_errors=self._errors,
            in_flight=in_flight,
            free_capacity=max(0, self.config.max_concurrent_jobs - in_flight)
            if self._state in ("polling", "backing off")
            else 0,
        )

    @property
    def running(self) -> bool:
        """Whether the worker's loop is running (polling or draining)."""
        return self._task is not None and not self._task.done()

    @property
    def in_flight(self) -> int:
        """How many jobs are running or reporting right now."""
        return len(self._in_flight)

    def start(self) -> asyncio.Task[None]:
        """Start polling on the running event loop; return the worker's task."""
        task = self._task
        if task is None or task.done():
            self._stopping = False
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
        if self._stopping:
            if deadline < self._stop_deadline:
                self._stop_deadline = deadline
                self._schedule_abandon(loop)
            return
        self._stopping = True
        self._stop_deadline = deadline
        self._state = "stopping"
        self.log.info(
            f"stopping: no more polls; {len(self._in_flight)} running job(s) get"
            f" {max(0.0, deadline - loop.time()):.1f} s to finish"
        )
        if self._capacity is not None:
            self._capacity.set()  # wake a loop waiting for a free slot or pausing
        self._schedule_abandon(loop)

    async def stop(self, timeout: float | None = None) -> None:
        """Stop polling, wait (up to ``timeout`` seconds) for running jobs, release resources."""
        self.request_stop(timeout)
        task = self._task
        if task is not None:
            await asyncio.wait([task])  # its own failure is reported by run(), not here

    # -- the loop ----------------------------------------------------------------

    def _schedule_abandon(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._abandon_timer is not None:
            self._abandon_timer.cancel()  # a closer deadline replaces the earlier one
        self._abandon_timer = loop.call_at(self._stop_deadline, self._abandon)
        if self._deadline_moved is not None:
            self._deadline_moved.set()

    def _abandon(self) -> None:
        """The drain deadline passed: give up an outstanding long poll."""
        poll = self._poll_task
        if poll is not None and not poll.done():
            self.log.warning(
                "stopping: the outstanding job activation did not answer in time; abandoning"
                " it (jobs it activates time out on the cluster)"
            )
            poll.cancel()
        if self._deadline_moved is not None:
            self._deadline_moved.set()

    def _client_for_activation(self) -> AsyncApiClient:
        # The long poll must outlive the HTTP timeout it would otherwise hit.
        wait = self.config.request_timeout_milliseconds / 1000
        needed = wait + 5.0
        if wait > 0 and needed > self.client.config.timeout_ms / 1000:
            return self.client.with_options(timeout=needed)
        return self.client

    async def _run(self) -> None:
        self._capacity = asyncio.Event()
        self._deadline_moved = asyncio.Event()
        self._state = "polling"
        self.log.info(
            f"worker started ({self.execution_strategy},"
            f" at most {self.config.max_concurrent_jobs} jobs at once)"
        )
        try:
            jitter = self.config.startup_jitter_max_seconds
            if jitter > 0:
                await self._pause(jitter * self.tuning.random())
            await self._poll_loop()
        finally:
            if not self._stopping:  # ended by an error or a cancellation
                self.request_stop()
            await self._drain()
            try:
                self.executor.close()
            except Exception as exc:  # never let cleanup mask the reason we stopped
                self.log.warning("closing the job executor failed", exc=exc)
            self._state = "stopped"
            if self._abandon_timer is not None:  # a restarted worker must not meet it
                self._abandon_timer.cancel()
                self._abandon_timer = None
            self.log.info("worker stopped")

    async def _poll_loop(self) -> None:
        from ..operations.models import JobActivationRequest

        config = self.config
        tuning = self.tuning
        capacity = self._capacity
        assert capacity is not None
        loop = asyncio.get_running_loop()
        # TenantId is a NewType of str: the configured names are tenant ids.
        tenant_ids = cast("list[TenantId] | None", _list(config.tenant_ids))
        fetch_variables = _list(config.fetch_variables)
        carried = self.telemetry.trace_variable
        if fetch_variables is not None and carried is not None and carried not in fetch_variables:
            fetch_variables.append(carried)  # the trace the process carries comes along
        errors = 0
        idle = 0
        # Free slots wanted before polling while jobs run; with none running, any will do.
        wanted = self._wanted = max(
            1, math.ceil(config.max_concurrent_jobs * tuning.activation_threshold)
        )
        fill_by: float | None = None  # when a partly free worker polls anyway
        timer: asyncio.TimerHandle | None = None
        while not self._stopping:
            free = config.max_concurrent_jobs - len(self._in_flight)
            if free <= 0:
                capacity.clear()
                await capacity.wait()
                continue
            if free < wanted and self._in_flight:
                if fill_by is None:
                    # Fast jobs free the other slots within moments; slow ones do not.
                    fill_by = loop.time() + tuning.activation_delay
                    timer = loop.call_at(fill_by, capacity.set)
                if loop.time() < fill_by:
                    capacity.clear()
                    await capacity.wait()
                    continue
            fill_by = None
            if timer is not None:
                timer.cancel()
                timer = None
            request = JobActivationRequest(
                type_=config.job_type,
                timeout=config.job_timeout_milliseconds,
                max_jobs_to_activate=free,
                worker=config.worker_name,
                fetch_variable=fetch_variables,
                request_timeout=config.request_timeout_milliseconds,
                tenant_ids=tenant_ids,
                with_lease=True if config.with_lease else None,
            )
            started = loop.time()
            poll = self._poll_task = loop.create_task(
                self._activation_client.activate_jobs(data=request)
            )
            try:
                # Not cancelled by a stop request: jobs it activates must not be stranded.
                result = await poll
            except asyncio.CancelledError:
                if self._stopping and poll.cancelled():
                    break  # abandoned at the drain deadline
                poll.cancel()
                raise
            except Exception as exc:
                if self._stopping:
                    break
                delay = tuning.poll_backoff.delay(errors, tuning.random)
                errors += 1
                self._errors = errors
                self._state = "backing off"
                message = f"job activation failed ({describe(exc)}); retrying in {delay:.2f} s"
                # Credentials, tenants, a wrong address will not heal by waiting: say so
                # at the default (error) level, once per streak; transient trouble only
                # when it persists.
                if (errors == 1 and not is_transient(exc)) or errors == _PERSISTENT_ERRORS:
                    self.log.error(message)
                else:
                    self.log.warning(message)
                await self._pause(delay)
                continue
            finally:
                self._poll_task = None
            errors = self._errors = 0
            self._last_poll = time.time()
            if not self._stopping:
                self._state = "polling"
            jobs = result.jobs if isinstance(result.jobs, list) else []
            if jobs:
                self.telemetry.count("activated", len(jobs))
            if config.with_lease and any(job.lease_token is None for job in jobs):
                self._hand_back(jobs, started)
                raise ConfigurationError(
                    f"worker for job type {config.job_type!r}: WorkerConfig(with_lease=True),"
                    " but the cluster activated jobs without a leaseToken: this server does not"
                    " issue job leases; set with_lease=False or upgrade the cluster",
                    variable="with_lease",
                )
            if self._stopping:
                self._hand_back(jobs, started)
                break
            for job in jobs:
                self._spawn(self._run_job(job, started))
            if jobs:
                idle = 0
            elif loop.time() - started < _FAST_EMPTY_POLL_SECONDS:
                await self._pause(tuning.idle_backoff.delay(idle, tuning.random))
                idle += 1
            else:
                idle = 0  # a long poll that expired: ask again straight away

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake up early when the worker is asked to stop."""
        capacity = self._capacity
        if capacity is None or self._stopping:
            return
        capacity.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._until_stopping(capacity), seconds)

    async def _until_stopping(self, event: asyncio.Event) -> None:
        # Freed slots also set the event; only a stop request ends the pause.
        while not self._stopping:
            event.clear()
            await event.wait()

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.get_running_loop().create_task(work)  # type: ignore[arg-type]
        self._in_flight.add(task)
        task.add_done_callback(self._job_done)

    def _job_done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        capacity = self._capacity
        if capacity is not None:
            free = self.config.max_concurrent_jobs - len(self._in_flight)
            # Wake the poll loop only where it acts: at the first free slot (which
            # starts the short wait for more) and once enough slots are free.
            if free == 1 or free >= self._wanted:
                capacity.set()
        if not task.cancelled() and task.exception() is not None:
            # _run_job catches everything; this is a bug in the runtime itself.
            self.log.error("job task crashed", exc=task.exception())

    def _hand_back(self, jobs: list[ActivatedJobResult], activated_at: float) -> None:
        """Give ``jobs`` back to the cluster at once: failed with their retries unchanged."""
        if not jobs:
            return
        self.log.info(f"stopping: handing {len(jobs)} just-activated job(s) back")
        for job in jobs:
            if job.job_key is None:
                continue
            self._spawn(self._give_back(job, activated_at))

    async def _give_back(self, job: ActivatedJobResult, activated_at: float) -> None:
        active = self._track(job, activated_at)
        try:
            await self._deliver(active, fail(job, _HANDED_BACK, retries=job.retries or 1))
        finally:
            self._registry.active.pop(str(job.job_key), None)

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        if self._in_flight:
            self.log.info(f"waiting for {len(self._in_flight)} running job(s) to finish")
        moved = self._deadline_moved
        assert moved is not None
        while self._in_flight:
            remaining = self._stop_deadline - loop.time()
            if remaining <= 0:
                break
            moved.clear()
            watch = loop.create_task(moved.wait())
            await asyncio.wait(
                {*self._in_flight, watch}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
            )
            watch.cancel()
        pending = set(self._in_flight)
        if pending:
            self.log.warning(
                f"{len(pending)} job(s) still running at the drain deadline; abandoning them"
                " (the cluster hands them out again after their timeout)"
            )
            for task in pending:
                task.cancel()
            await asyncio.wait(pending, timeout=1.0)

    # -- one job -----------------------------------------------------------------

    def _track(self, job: ActivatedJobResult, activated_at: float) -> ActiveJob:
        timeout = self.config.job_timeout_milliseconds / 1000
        remaining = timeout
        deadline = job.deadline
        if isinstance(deadline, int):
            # The cluster's deadline, unless the clocks disagree wildly: then our own
            # count from the poll (which started before the activation) is safer.
            by_server = deadline / 1000 - time.time()
            if 0 < by_server <= timeout + 60:
                remaining = min(remaining, by_server)
        margin = min(self.tuning.deadline_margin, timeout / 10)
        active = ActiveJob(job, activated_at + remaining, margin)
        self._registry.active[str(job.job_key)] = active
        return active

    async def _run_job(self, job: ActivatedJobResult, activated_at: float) -> None:
        key = job.job_key
        if key is None:
            # Without a key the job can be neither completed nor failed.
            self.log.error("activated job has no jobKey; ignored (it will time out)")
            return
        active = self._track(job, activated_at)
        telemetry = self.telemetry
        became, delivered = "abandoned", False
        context: JobContext | None = None
        try:
            try:
                context = self.executor.make_context(job, self)
            except Exception as exc:
                self.log.error(f"job {key}: could not prepare the job context", exc=exc)
                outcome: Outcome | None = fail(
                    job, f"worker could not prepare the job: {describe(exc)}"
                )
            else:
                try:
                    outcome = await self._handle(active, context)
                except Exception as exc:  # a bug in middleware or the runtime: still report
                    self.log.error(f"job {key}: handling failed", exc=exc)
                    outcome = fail(job, f"the worker could not handle the job: {describe(exc)}")
            if outcome is None:  # reported by the handler, or left to time out
                became, delivered = active.reported or "ignored", True
            else:
                became = outcome.name
                sent = await self._deliver(active, outcome)
                if sent is not None:
                    became, delivered = sent.name, True
            if delivered:
                telemetry.count(became)
        finally:
            self._registry.active.pop(str(key), None)
            if context is not None:
                context._finish(became, delivered, self.log)

    async def _handle(self, active: ActiveJob, context: JobContext) -> Outcome | None:
        """Run the job's chain (middleware, then the handler); return the outcome to send."""
        job = active.job
        result: object = None
        raised: Exception | None = None
        active.handler_running = True
        started = time.perf_counter()
        extender = self._start_extending(active)
        try:
            result = await self._run_chain(context)
        except Exception as exc:  # a handler's own TimeoutError included: it fails the job
            raised = exc
        finally:
            active.handler_running = False
            if extender is not None:
                extender.cancel()  # the handler returned: no extension after this
            self.telemetry.duration.record(time.perf_counter() - started, self.telemetry.attributes)
        if active.reported:
            self.log.debug(f"job {job.job_key}: the handler reported the outcome itself")
            return None
        try:
            return self._outcome_of(job, context, result, raised)
        except Exception as exc:  # a result whose conversion raises must not go unreported
            self.log.error(f"job {job.job_key}: could not prepare its outcome", exc=exc)
            return fail(job, f"the worker could not prepare the job's outcome: {describe(exc)}")

    async def _run_chain(self, context: JobContext) -> Any:
        """Run the job chain, stopped at ``max_job_duration_milliseconds`` if set.

        The chain stays in the job's own task (its context, so the job span, is
        the one the outcome call sees): a timer cancels this task at the maximum,
        and that cancellation, told apart from any other, becomes a ``JobFailure``.
        """
        maximum = self.config.max_job_duration_milliseconds
        if maximum is None:
            return await self._chain(context)
        task = asyncio.current_task()
        assert task is not None
        fired = False

        def overrun() -> None:
            nonlocal fired
            fired = True
            task.cancel()

        timer = asyncio.get_running_loop().call_later(maximum / 1000, overrun)
        try:
            return await self._chain(context)
        except asyncio.CancelledError:
            if not fired:
                raise
            uncancel = getattr(task, "uncancel", None)  # Python 3.11+
            if uncancel is not None:
                uncancel()
            self.log.error(
                f"job {context.job_key}: the handler ran past its maximum of {maximum / 1000:g} s;"
                " cancelled (or abandoned, in a thread or process) and the job failed"
            )
            raise JobFailure(
                f"the job handler ran past its maximum duration of {maximum} ms and was stopped"
            ) from None
        finally:
            timer.cancel()

    def _start_extending(self, active: ActiveJob) -> asyncio.Task[None] | None:
        if not self.config.extend_timeout:
            return None
        return asyncio.get_running_loop().create_task(self._extend(active))

    async def _extend(self, active: ActiveJob) -> None:
        """While the handler runs, push the job's deadline out before it is reached.

        Each extension asks for a fresh job timeout (``updateJob``; it drains work,
        so backpressure never holds it back) when half of it is used up; a failed
        attempt is retried until shortly before the deadline, like an outcome.
        """
        from ..operations.models import JobChangeset, JobUpdateRequest

        loop = asyncio.get_running_loop()
        timeout = self.config.job_timeout_milliseconds / 1000
        job = active.job
        request = JobUpdateRequest(
            changeset=JobChangeset(timeout=self.config.job_timeout_milliseconds),
            lease_token=active.lease_token,
        )
        extensions = 0
        while True:
            # Extend once half of the current timeout is used up.
            await asyncio.sleep(max(0.0, active.deadline - timeout / 2 - loop.time()))
            while True:
                sent = loop.time()
                try:
                    await self._outcome_client.update_job(job_key=job.job_key, data=request)
                except Exception as exc:
                    if not is_transient(exc) or loop.time() >= active.give_up_at:
                        self.log.error(
                            f"job {job.job_key}: could not extend its timeout: {describe(exc)}"
                        )
                        return
                    await asyncio.sleep(self.tuning.outcome_backoff.delay(0, self.tuning.random))
                    continue
                break
            # The new timeout counts from when the cluster got the request: at the
            # latest now, at the earliest when it was sent. The earlier is safe.
            active.deadline = sent + timeout
            extensions += 1
            self.log.debug(f"job {job.job_key}: timeout extended ({extensions})")

    def _outcome_of(
        self,
        job: ActivatedJobResult,
        context: JobContext,
        result: object,
        raised: Exception | None,
    ) -> Outcome | None:
        recorded = context.outcome
        if recorded is not None:
            if raised is not None and not isinstance(raised, (JobFailure, JobError)):
                self.log.warning(
                    f"job {job.job_key}: handler raised {describe(raised)} after recording"
                    f" its outcome; sending the recorded outcome",
                    exc=raised,
                )
            if isinstance(recorded, Ignored):
                self.log.debug(f"job {job.job_key}: ignored by the handler")
                return None
            if isinstance(recorded, Completion):
                return complete(job, recorded.result)
            raised = recorded
        if isinstance(raised, JobFailure):
            return failure(job, raised)
        if isinstance(raised, JobError):
            return throw(job, raised)
        if raised is not None:
            return fail(job, describe(raised))
        return complete(job, result)

    async def _deliver(self, active: ActiveJob, outcome: Outcome) -> Outcome | None:
        """Send ``outcome`` until it arrives or the job's deadline is near; never raises.

        Returns the outcome that arrived (a failure replaces a completion whose
        variables are not JSON), or None when none did.

        Cancellation (the drain deadline) is the only way out before that.
        """
        job = active.job
        key = job.job_key
        tuning = self.tuning
        loop = asyncio.get_running_loop()
        client = self._outcome_client
        attempt = 0
        may_have_arrived = False  # whether a failed attempt may have been applied
        while True:
            try:
                await outcome.send(client, key)
            except (TypeError, ValueError, RecursionError) as exc:
                problem = encoding_problem(outcome.request)
                if problem is None:
                    self.log.error(f"could not {outcome.verb} job {key}: {describe(exc)}")
                    return None
                if outcome.request.variables is None:  # nothing left to drop
                    self.log.error(f"could not {outcome.verb} job {key}: {problem}")
                    return None
                self.log.error(f"job {key}: the variables are not valid JSON ({problem})")
                outcome = self._unencodable(job, outcome, problem)
                continue
            except Exception as exc:
                status = getattr(exc, "status", None)
                if status == 404:
                    if may_have_arrived:  # an earlier attempt's answer was lost, not it
                        self.log.info(f"job {key}: gone when sent again; an earlier attempt won")
                        return outcome
                    else:
                        self.log.warning(
                            f"could not {outcome.verb} job {key}: the cluster no longer knows it"
                            " (timed out, cancelled or finished)"
                        )
                    return None
                if not is_transient(exc) or not outcome.safe_to_resend(exc):
                    self.log.error(f"could not {outcome.verb} job {key}: {describe(exc)}")
                    return None
                may_have_arrived = may_have_arrived or not never_applied(exc)
                delay = tuning.outcome_backoff.delay(attempt, tuning.random)
                retry_after = getattr(exc, "retry_after", None)
                if isinstance(retry_after, (int, float)) and retry_after > delay:
                    delay = min(float(retry_after), tuning.outcome_backoff.maximum)
                attempt += 1
                left = active.give_up_at - loop.time() - delay
                if left <= 0:
                    self.log.error(
                        f"could not {outcome.verb} job {key}: {describe(exc)}; giving up after"
                        f" {attempt} attempt(s), its deadline is near"
                    )
                    return None
                log = self.log.warning if attempt == 1 else self.log.debug
                log(
                    f"could not {outcome.verb} job {key} ({describe(exc)}); sending again in"
                    f" {delay:.2f} s (attempt {attempt + 1})"
                )
                await asyncio.sleep(delay)
                # No single attempt may outlast the job's deadline.
                client = self._outcome_client.with_options(
                    timeout=max(0.1, min(left, self.client.config.timeout_ms / 1000))
                )
            else:
                if attempt and self.log.enabled("info"):
                    self.log.info(f"job {key}: {outcome.verb} sent after {attempt + 1} attempts")
                return outcome

    def _unencodable(self, job: ActivatedJobResult, outcome: Outcome, problem: str) -> Outcome:
        """The outcome to send instead of one whose variables are not JSON."""
        request = outcome.request
        if isinstance(outcome, Complete):
            return fail(job, f"the job result is not valid JSON: {problem}")
        return type(outcome)(
            attrs.evolve(
                request,
                variables=None,
                error_message=f"{request.error_message or ''} (variables dropped,"
                f" not valid JSON: {problem})".strip(),
            )
        )

    def __repr__(self) -> str:
        return (
            f"JobWorker(job_type={self.config.job_type!r}, "
            f"strategy={self.execution_strategy!r}, running={self.running})"
        )


def _list(values: tuple[str, ...] | None) -> list[str] | None:
    return list(values) if values is not None else None


# -- the client's set of workers ---------------------------------------------------


class WorkerRegistry:
    """The workers of one client and the jobs they hold (in the client's plugin state)."""

    def __init__(self, log: BoundLogger) -> None:
        self.workers: list[JobWorker] = []
        #: Jobs being handled or reported, by job key (read by the outcome stage).
        self.active: dict[str, ActiveJob] = {}
        self._log = log
        self._running = False
        self._added: asyncio.Event | None = None
        self._signalled = False

    def handler_job(self, key: object) -> ActiveJob | None:
        """The job ``key`` if one of these workers' handlers is running it right now."""
        active = self.active.get(str(key))
        return active if active is not None and active.handler_running else None

    def add(self, worker: JobWorker) -> None:
        """Register ``worker``; start it at once if :meth:`run` is active."""
        self.workers.append(worker)
        if self._running:
            worker.start()
            if self._added is not None:
                self._added.set()

    async def run(self, *, handle_signals: bool = True) -> None:
        """Start every worker and wait until all of them have stopped.

        Args:
            handle_signals: on the main thread, turn SIGTERM and SIGINT (Ctrl+C)
                into a graceful stop; a second signal abandons running jobs.
                The previous handlers are restored afterwards.

        Raises:
            Exception: the error that stopped a worker (a ``ConfigurationError``
                such as ``with_lease`` against a cluster without leases), once
                every worker has stopped: the others keep running meanwhile, and
                a process that ends here exits non-zero rather than quietly.
        """
        loop = asyncio.get_running_loop()
        fatal: list[BaseException] = []
        self._signalled = False
        self._added = added = asyncio.Event()
        # The probe first: a port in use fails here, before anything else is set up.
        health = await self._serve_health()
        self._running = True
        restore = self._handle_signals(loop) if handle_signals else _nothing
        try:
            for worker in list(self.workers):
                worker.start()
            while True:
                tasks = {w.task for w in self.workers if w.running}
                if not tasks:
                    if fatal:
                        # The first; any others were logged when they happened.
                        raise fatal[0]
                    return
                added.clear()
                watch = loop.create_task(added.wait())
                done, _ = await asyncio.wait(
                    {*tasks, watch},  # type: ignore[arg-type]
                    return_when=asyncio.FIRST_COMPLETED,
                )
                watch.cancel()
                for worker in self.workers:
                    task = worker.task
                    if task is None or task not in done or task.cancelled():
                        continue
                    error = task.exception()
                    if error is not None and error not in fatal:
                        worker.log.error(f"worker stopped by an error: {error}", exc=error)
                        fatal.append(error)
        except asyncio.CancelledError:
            # Cancelled (Ctrl+C in asyncio.run without signal handling): stop polling and
            # let running jobs finish within the shutdown timeout. A second
            # cancellation interrupts the wait.
            await self.stop()
            raise
        finally:
            self._running = False
            restore()
            if health is not None:
                await health.close()

    async def _serve_health(self) -> HealthServer | None:
        if not self.workers:
            return None
        config = self.workers[0].client.config
        port = HEALTH_PORT.read(config)
        if port is None:
            return None
        server = HealthServer(self.health, port, HEALTH_HOST.read(config) or "")
        await server.start()
        self._log.info(
            f"worker health at http://{HEALTH_HOST.read(config) or '*'}:{server.port}"
            "/live and /ready"
        )
        return server

    def health(self) -> list[WorkerHealth]:
        """The health of every worker of the client."""
        return [worker.health() for worker in self.workers]

    def _handle_signals(self, loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
        if threading.current_thread() is not threading.main_thread():
            return _nothing
        installed: list[tuple[signal.Signals, Any]] = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous = signal.getsignal(sig)
            try:
                loop.add_signal_handler(sig, self._on_signal, sig)
            except (NotImplementedError, RuntimeError, ValueError):
                continue  # no signal support on this loop (Windows' proactor)
            installed.append((sig, previous))

        def restore() -> None:
            for sig, previous in installed:
                loop.remove_signal_handler(sig)
                if previous is not None:
                    signal.signal(sig, previous)

        return restore

    def _on_signal(self, sig: signal.Signals) -> None:
        if self._signalled:
            self._log.warning(f"{sig.name} again: abandoning running jobs")
            self.request_stop(0)
            return
        self._signalled = True
        self._log.info(f"{sig.name} received: stopping job workers (send it again to abandon)")
        self.request_stop()

    def request_stop(self, timeout: float | None = None) -> None:
        """Ask every worker to stop (does not wait)."""
        for worker in self.workers:
            worker.request_stop(timeout)

    async def stop(self, timeout: float | None = None) -> None:
        """Stop every worker and wait for them to drain."""
        self.request_stop(timeout)
        tasks = [w.task for w in self.workers if w.task is not None]
        if tasks:
            await asyncio.wait(tasks)


def _nothing() -> None:
    pass


def registry(client: AsyncApiClient) -> WorkerRegistry:
    """The :class:`WorkerRegistry` of ``client`` (made on first use; it stops with the client)."""
    context = client.context
    found = context.state.get(STATE_KEY)
    if found is None:
        found = context.state[STATE_KEY] = WorkerRegistry(context.logger)
        context.on_close(found.stop)
    return found


def create_job_worker(
    client: AsyncApiClient,
    config: WorkerConfig,
    callback: Callable[[Any], Any],
    *,
    execution_strategy: str = "auto",
    startup_jitter_max_seconds: float | None = None,
    tuning: WorkerTuning | None = None,
    middleware: Sequence[object] = (),
) -> JobWorker:
    """Create a worker on ``client`` (started by :func:`run_workers`)."""
    return JobWorker(
        client,
        config,
        callback,
        execution_strategy=execution_strategy,
        startup_jitter_max_seconds=startup_jitter_max_seconds,
        tuning=tuning,
        middleware=middleware,
    )


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
    return list(registry(client).workers)


def workers_health(client: AsyncApiClient) -> list[WorkerHealth]:
    """The health of every job worker of ``client`` (state, last poll, load)."""
    return registry(client).health()


async def run_workers(client: AsyncApiClient, *, handle_signals: bool = True) -> None:
    """Run every worker created on ``client`` until they are stopped or this is cancelled.

    On the main thread SIGTERM and SIGINT stop the workers gracefully (running
    jobs finish and report within the shutdown timeout; a second signal
    abandons them) and this returns normally; ``handle_signals=False`` leaves
    signals to the application.
    """
    workers = registry(client)
    if not workers.workers:
        client.logger.warning("run_workers(): no job workers were created on this client")
        return
    await workers.run(handle_signals=handle_signals)


async def stop_workers(client: AsyncApiClient, timeout: float | None = None) -> None:
    """Stop ``client``'s workers: no new polls, running jobs get ``timeout`` s to finish."""
    await registry(client).stop(timeout)
