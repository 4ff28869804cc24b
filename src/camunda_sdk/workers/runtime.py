"""The job worker runtime: poll, run handlers, report outcomes, stop cleanly.

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
fails it with one retry less. Reporting the outcome is retried on transient
errors (429, 5xx, connection loss) so the handler's work is never done twice
because one completion request was unlucky. A malformed job is failed or
logged; it never stops the poll loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, cast

import attrs
import httpx

from ..errors import CamundaConnectionError
from .config import ResolvedWorkerConfig, WorkerConfig, resolve_worker_config
from .context import JobError, JobFailure

if TYPE_CHECKING:
    from ..client import CamundaAsyncClient
    from ..log import BoundLogger
    from ..operations.models import ActivatedJobResult, JobCompletionRequest
    from ..operations.semantic_types import TenantId
    from .executors import JobExecutor

__all__ = [
    "Backoff",
    "ExecutionStrategy",
    "JobWorker",
    "WorkerTuning",
    "create_job_worker",
    "run_workers",
    "stop_workers",
]

ExecutionStrategy = Literal["auto", "async", "thread", "process"]

# Statuses worth sending an outcome again for: the cluster did not act on it.
_TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# An empty activation answer faster than this means the server is not long-polling.
_FAST_EMPTY_POLL_SECONDS = 0.5
_STATE_KEY = "workers"
# Consecutive activation failures after which even transient ones are logged as errors.
_PERSISTENT_ERRORS = 5


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
        outcome_attempts: how many times a completion, failure or BPMN error is
            sent before giving up (on transient errors only).
        outcome_backoff: delays between those attempts.
        shutdown_timeout: seconds a stopping worker waits for running handlers.
        random: the jitter source (``random.random``).
    """

    poll_backoff: Backoff = Backoff(0.2, 10.0)
    idle_backoff: Backoff = Backoff(0.05, 1.0)
    outcome_attempts: int = 6
    outcome_backoff: Backoff = Backoff(0.1, 5.0)
    shutdown_timeout: float = 30.0
    random: Callable[[], float] = random.random


def _is_async_callable(fn: object) -> bool:
    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(fn, "__call__", None)  # noqa: B004 - an instance with async __call__
    return call is not None and inspect.iscoroutinefunction(call)


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (CamundaConnectionError, httpx.TransportError, asyncio.TimeoutError)):
        return True
    status = getattr(exc, "status", None)
    return isinstance(status, int) and status in _TRANSIENT_STATUSES


def _never_applied(exc: BaseException) -> bool:
    """Whether the server certainly did not act on the request that raised ``exc``."""
    if getattr(exc, "status", None) in (429, 503):
        return True  # rejected by backpressure before any work
    cause = exc.__cause__ if isinstance(exc, CamundaConnectionError) else exc
    return isinstance(cause, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _list(values: tuple[str, ...] | None) -> list[str] | None:
    return list(values) if values is not None else None


def _serialisable(body: object) -> bool:
    # Only on the error path: serialising twice per job would cost every job.
    from .._serde import to_wire

    try:
        json.dumps(to_wire(body))
    except (TypeError, ValueError):
        return False
    return True


def _next_retries(job: ActivatedJobResult) -> int:
    retries = getattr(job, "retries", None)
    # Unknown (a server that left the field out): 0 raises an incident rather
    # than retrying forever.
    return max(0, retries - 1) if isinstance(retries, int) else 0


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

    Raises:
        ConfigurationError: the configuration is incomplete or out of range.
        ValueError: no plugin provides ``execution_strategy``.
    """

    def __init__(
        self,
        client: CamundaAsyncClient,
        config: WorkerConfig,
        callback: Callable[[Any], Any],
        *,
        execution_strategy: str = "auto",
        startup_jitter_max_seconds: float | None = None,
        tuning: WorkerTuning | None = None,
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
        context = client._context
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
        self._in_flight: set[asyncio.Task[None]] = set()
        self._capacity: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._poll_task: asyncio.Task[Any] | None = None
        self._stopping = False
        self._drain_timeout = self.tuning.shutdown_timeout
        self._activation_client = self._client_for_activation()
        # The worker retries outcomes itself (_send), knowing which are safe to send
        # again; stacking the retry plugin's attempts on top would multiply them.
        self._outcome_client = client.with_options(retry=False)
        self.executor.attach(self)
        _registry(client).add(self)

    # -- public ------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the worker's loop is running (polling or draining)."""
        return self._task is not None and not self._task.done()

    @property
    def in_flight(self) -> int:
        """How many jobs are running right now."""
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
        """
        task = self.start()
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            await self.stop()
            raise

    def request_stop(self, timeout: float | None = None) -> None:
        """Stop polling now; running jobs get ``timeout`` seconds to finish."""
        if timeout is not None:
            self._drain_timeout = timeout
        if self._stopping:
            return
        self._stopping = True
        if self._capacity is not None:
            self._capacity.set()  # wake a loop waiting for a free slot or pausing
        poll = self._poll_task
        if poll is not None and not poll.done():
            # Abandon the long poll: jobs it may have activated meanwhile time out
            # on the cluster and are handed out again.
            poll.cancel()

    async def stop(self, timeout: float | None = None) -> None:
        """Stop polling, wait (up to ``timeout`` seconds) for running jobs, release resources."""
        self.request_stop(timeout)
        task = self._task
        if task is not None:
            await asyncio.shield(task)

    # -- the loop ----------------------------------------------------------------

    def _client_for_activation(self) -> Any:
        # The long poll must outlive the HTTP timeout it would otherwise hit.
        wait = self.config.request_timeout_milliseconds / 1000
        needed = wait + 5.0
        current = getattr(self.client.config, "timeout_ms", 30000) / 1000
        if wait > 0 and needed > current:
            return self.client.with_options(timeout=needed)
        return self.client

    async def _run(self) -> None:
        self._capacity = asyncio.Event()
        self.log.debug(
            f"worker started ({self.execution_strategy}, "
            f"max {self.config.max_concurrent_jobs} concurrent jobs)"
        )
        try:
            jitter = self.config.startup_jitter_max_seconds
            if jitter > 0:
                await self._pause(jitter * self.tuning.random())
            await self._poll_loop()
        finally:
            await self._drain()
            try:
                self.executor.close()
            except Exception as exc:  # never let cleanup mask the reason we stopped
                self.log.warning("closing the job executor failed", exc=exc)
            self.log.debug("worker stopped")

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
        errors = 0
        idle = 0
        while not self._stopping:
            free = config.max_concurrent_jobs - len(self._in_flight)
            if free <= 0:
                capacity.clear()
                await capacity.wait()
                continue
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
                result = await poll
            except asyncio.CancelledError:
                if self._stopping and poll.cancelled():
                    break  # request_stop() abandoned the long poll
                poll.cancel()
                raise
            except Exception as exc:
                delay = tuning.poll_backoff.delay(errors, tuning.random)
                errors += 1
                message = f"job activation failed ({_describe(exc)}); retrying in {delay:.2f} s"
                # Credentials, tenants, a wrong address will not heal by waiting: say so
                # at the default (error) level, once per streak; transient trouble only
                # when it persists.
                if (errors == 1 and not _is_transient(exc)) or errors == _PERSISTENT_ERRORS:
                    self.log.error(message)
                else:
                    self.log.warning(message)
                await self._pause(delay)
                continue
            finally:
                self._poll_task = None
            errors = 0
            jobs = getattr(result, "jobs", None)
            if not isinstance(jobs, list):
                jobs = []
            for job in jobs:
                self._spawn(job)
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

    def _spawn(self, job: ActivatedJobResult) -> None:
        task = asyncio.get_running_loop().create_task(self._run_job(job))
        self._in_flight.add(task)
        task.add_done_callback(self._job_done)

    def _job_done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        capacity = self._capacity
        if capacity is not None:
            capacity.set()
        if not task.cancelled() and task.exception() is not None:
            # _run_job catches everything; this is a bug in the runtime itself.
            self.log.error("job task crashed", exc=task.exception())

    async def _drain(self) -> None:
        tasks = set(self._in_flight)
        if not tasks:
            return
        self.log.info(f"waiting for {len(tasks)} running job(s) to finish")
        _, pending = await asyncio.wait(tasks, timeout=self._drain_timeout)
        if pending:
            self.log.warning(
                f"{len(pending)} job(s) still running after {self._drain_timeout} s;"
                " abandoning them (the cluster hands them out again after their timeout)"
            )
            for task in pending:
                task.cancel()
            await asyncio.wait(pending, timeout=1.0)

    # -- one job -----------------------------------------------------------------

    async def _run_job(self, job: ActivatedJobResult) -> None:
        key = getattr(job, "job_key", None)
        if key is None:
            # Without a key the job can be neither completed nor failed.
            self.log.error("activated job has no jobKey; ignored (it will time out)")
            return
        log = self.log
        try:
            context = self.executor.make_context(job, self)
        except Exception as exc:
            log.error(f"job {key}: could not prepare the job context", exc=exc)
            await self._fail(
                job, f"worker could not prepare the job: {_describe(exc)}", None, 0, None
            )
            return
        try:
            result = await self.executor.execute(self.callback, context)
        except JobFailure as failure:
            log.debug(f"job {key}: handler raised JobFailure: {failure.message}")
            await self._fail(
                job, failure.message, failure.retries, failure.retry_back_off, failure.variables
            )
        except JobError as error:
            log.debug(f"job {key}: handler raised JobError {error.error_code}")
            await self._throw(job, error)
        except Exception as exc:
            log.warning(f"job {key}: handler raised {type(exc).__name__}", exc=exc)
            await self._fail(job, _describe(exc), None, 0, None)
        else:
            await self._complete(job, result)

    async def _complete(self, job: ActivatedJobResult, result: object) -> None:
        try:
            request = _completion_request(result, job)
        except TypeError as exc:
            await self._fail(job, str(exc), None, 0, None)
            return
        key = job.job_key
        unsendable = await self._send(
            "complete",
            job,
            lambda: self._outcome_client.complete_job(job_key=key, data=request),
            request,
        )
        if unsendable is not None:
            # The variables would not serialise: tell the cluster instead of going quiet.
            await self._fail(job, f"job result could not be sent: {unsendable}", None, 0, None)

    async def _fail(
        self,
        job: ActivatedJobResult,
        message: str,
        retries: int | None,
        retry_back_off: int,
        variables: Mapping[str, Any] | None,
    ) -> None:
        from ..operations.models import JobFailRequest

        request = JobFailRequest(
            retries=_next_retries(job) if retries is None else retries,
            error_message=message,
            retry_back_off=retry_back_off,
            variables=dict(variables) if variables is not None else None,
            lease_token=getattr(job, "lease_token", None),
        )
        key = job.job_key
        await self._send(
            "fail", job, lambda: self._outcome_client.fail_job(job_key=key, data=request), request
        )

    async def _throw(self, job: ActivatedJobResult, error: JobError) -> None:
        from ..operations.models import JobErrorRequest

        request = JobErrorRequest(
            error_code=error.error_code,
            error_message=error.message or None,
            variables=error.variables,
            lease_token=getattr(job, "lease_token", None),
        )
        key = job.job_key
        await self._send(
            "throw an error for",
            job,
            lambda: self._outcome_client.throw_job_error(job_key=key, data=request),
            request,
        )

    async def _send(
        self,
        what: str,
        job: ActivatedJobResult,
        send: Callable[[], Awaitable[None]],
        body: object,
    ) -> str | None:
        """Send an outcome, again on transient errors; never raises (but cancellation).

        Returns None when the outcome was sent or given up on (and logged), or
        the reason when the request body could not be serialised.
        """
        tuning = self.tuning
        key = job.job_key
        lease = getattr(job, "lease_token", None)
        attempt = 0
        while True:
            try:
                await send()
            except (TypeError, ValueError) as exc:
                if not _serialisable(body):
                    return _describe(exc)  # the body would never go out: no retry
                self.log.error(f"could not {what} job {key}: {_describe(exc)}")
                return None
            except Exception as exc:
                attempt += 1
                if attempt > 1 and getattr(exc, "status", None) == 404:
                    # The job is gone after an earlier attempt whose answer was
                    # lost: most likely that attempt went through.
                    self.log.info(
                        f"job {key} not found when sending again; an earlier {what} went through"
                    )
                    return None
                unsafe = what == "fail" and not lease and not _never_applied(exc)
                if not _is_transient(exc) or unsafe or attempt >= tuning.outcome_attempts:
                    # A failure that may have been applied is not sent again: the job
                    # could already be active anew, and a second failJob would hit
                    # that activation. Completions and errors answer 404 instead.
                    self.log.error(f"could not {what} job {key}: {_describe(exc)}")
                    return None
                delay = tuning.outcome_backoff.delay(attempt - 1, tuning.random)
                retry_after = getattr(exc, "retry_after", None)
                if isinstance(retry_after, (int, float)) and retry_after > delay:
                    delay = min(float(retry_after), tuning.outcome_backoff.maximum)
                self.log.debug(
                    f"could not {what} job {key} ({_describe(exc)}); "
                    f"attempt {attempt + 1} in {delay:.2f} s"
                )
                await asyncio.sleep(delay)
            else:
                if self.log.enabled("debug"):
                    self.log.debug(f"job {key}: {what.split()[0]} sent")
                return None

    def __repr__(self) -> str:
        return (
            f"JobWorker(job_type={self.config.job_type!r}, "
            f"strategy={self.execution_strategy!r}, running={self.running})"
        )


def _completion_request(result: object, job: ActivatedJobResult) -> JobCompletionRequest:
    from .._serde import Model
    from ..operations.models import JobCompletionRequest

    lease = getattr(job, "lease_token", None)
    if result is None:
        return JobCompletionRequest(lease_token=lease)
    if isinstance(result, JobCompletionRequest):
        if lease is not None and result.lease_token is None:
            return attrs.evolve(result, lease_token=lease)
        return result
    if isinstance(result, Mapping):
        # An empty dict sets nothing: leave the property out of the body.
        return JobCompletionRequest(variables=dict(result) or None, lease_token=lease)
    if isinstance(result, Model):  # a generated model used as a bag of variables
        return JobCompletionRequest(variables=result.to_dict(), lease_token=lease)
    raise TypeError(
        f"the job handler returned {type(result).__name__}; expected a dict of variables,"
        " a JobCompletionRequest or None"
    )


# -- the client's set of workers ---------------------------------------------------


class WorkerRegistry:
    """The workers of one client (kept in the client's plugin state)."""

    def __init__(self) -> None:
        self.workers: list[JobWorker] = []
        self._running = False

    def add(self, worker: JobWorker) -> None:
        """Register ``worker``; start it at once if :meth:`run` is active."""
        self.workers.append(worker)
        if self._running:
            worker.start()

    async def run(self) -> None:
        """Start every worker and wait until all of them have stopped."""
        self._running = True
        try:
            for worker in list(self.workers):
                worker.start()
            while True:
                tasks = [
                    w._task for w in self.workers if w._task is not None and not w._task.done()
                ]
                if not tasks:
                    return
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    if not task.cancelled() and task.exception() is not None:
                        error = task.exception()
                        self._log_crash(task, error)
        except asyncio.CancelledError:
            # Cancelled (Ctrl+C in asyncio.run): stop polling and let running jobs
            # finish within the shutdown timeout before giving up. A second
            # cancellation interrupts the wait.
            await self.stop()
            raise
        finally:
            self._running = False

    def _log_crash(self, task: asyncio.Task[Any], error: BaseException | None) -> None:
        for worker in self.workers:
            if worker._task is task:
                worker.log.error(f"worker stopped by an unexpected error: {error!r}", exc=error)

    def request_stop(self, timeout: float | None = None) -> None:
        """Ask every worker to stop (does not wait)."""
        for worker in self.workers:
            worker.request_stop(timeout)

    async def stop(self, timeout: float | None = None) -> None:
        """Stop every worker and wait for them to drain."""
        self.request_stop(timeout)
        tasks = [w._task for w in self.workers if w._task is not None]
        if tasks:
            await asyncio.gather(*(asyncio.shield(t) for t in tasks), return_exceptions=True)


def _registry(client: CamundaAsyncClient) -> WorkerRegistry:
    state = client._context.state
    registry = state.get(_STATE_KEY)
    if registry is None:
        registry = state[_STATE_KEY] = WorkerRegistry()
    return registry


def create_job_worker(
    client: CamundaAsyncClient,
    config: WorkerConfig,
    callback: Callable[[Any], Any],
    *,
    execution_strategy: str = "auto",
    startup_jitter_max_seconds: float | None = None,
    tuning: WorkerTuning | None = None,
) -> JobWorker:
    """Create a worker on ``client`` (started by :func:`run_workers`)."""
    return JobWorker(
        client,
        config,
        callback,
        execution_strategy=execution_strategy,
        startup_jitter_max_seconds=startup_jitter_max_seconds,
        tuning=tuning,
    )


async def run_workers(client: CamundaAsyncClient) -> None:
    """Run every worker created on ``client`` until they are stopped or this is cancelled."""
    registry = _registry(client)
    if not registry.workers:
        client.logger.warning("run_workers(): no job workers were created on this client")
        return
    await registry.run()


async def stop_workers(client: CamundaAsyncClient, timeout: float | None = None) -> None:
    """Stop ``client``'s workers: no new polls, running jobs get ``timeout`` s to finish."""
    await _registry(client).stop(timeout)
