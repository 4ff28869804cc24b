"""The poll loop: activation of as many jobs as a worker has free slots, and no more.

:class:`Poller` runs a worker's loop:

- it asks ``activateJobs`` for exactly as many jobs as there are free
  :class:`Slots` (``max_concurrent_jobs - in flight``), so it never holds a job it
  cannot start;
- it polls again at once when the previous poll returned jobs or slots free up
  (the long poll itself is the wait, there is no fixed pause between polls); while
  jobs run it waits until a share of the slots is free (or a short delay passed),
  so the cluster answers fewer, fuller requests;
- it backs off (exponential, jittered) only after a failed poll (backpressure,
  connection loss), or when an empty answer came back at once (a server that is
  not long-polling), so it never spins;
- asked to stop, it polls no more, lets an outstanding long poll answer and hands
  the jobs it brings back at once; the worker abandons that poll at its drain
  deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, cast

from ..errors import ConfigurationError
from ..operations import models
from .delivery import is_transient
from .outcome import describe

if TYPE_CHECKING:
    from ..base_client import AsyncApiClient
    from ..log import BoundLogger
    from ..operations.models import ActivatedJobResult, JobActivationRequest
    from ..operations.semantic_types import TenantId
    from .config import ResolvedWorkerConfig
    from .lifecycle import JobRunner
    from .telemetry import WorkerTelemetry
    from .tuning import WorkerTuning

__all__ = ["Poller", "Slots"]

# An empty activation answer faster than this means the server is not long-polling.
_FAST_EMPTY_POLL_SECONDS = 0.5
# Consecutive activation failures after which even transient ones are logged as errors.
_PERSISTENT_ERRORS = 5


class Slots:
    """A worker's job slots: the tasks running its jobs, and what wakes its poll loop.

    The wake-up event is set when slots free up (at the first free one, which
    starts the short wait for more, and once :attr:`wanted` are free) and when the
    worker is asked to stop.
    """

    def __init__(self, size: int, log: BoundLogger) -> None:
        self.size = size
        #: The tasks of the jobs being handled or reported.
        self.tasks: set[asyncio.Task[None]] = set()
        #: Whether the worker was asked to stop.
        self.stopping = False
        #: The free slots the poll loop waits for while jobs run (set by the loop).
        self.wanted = 1
        self._log = log
        self._event: asyncio.Event | None = None  # made on the loop the worker runs on

    @property
    def free(self) -> int:
        """Slots no job holds."""
        return self.size - len(self.tasks)

    def open(self) -> None:
        """Start afresh (the worker starts): on the running loop, not stopping."""
        self._event = asyncio.Event()
        self.stopping = False

    def stop(self) -> None:
        """The worker is asked to stop: wake a loop waiting for a free slot or pausing."""
        self.stopping = True
        if self._event is not None:
            self._event.set()

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` (one job) as a task holding a slot until it ends."""
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        event = self._event
        if event is not None:
            free = self.free
            # Wake the poll loop only where it acts: at the first free slot (which
            # starts the short wait for more) and once enough slots are free.
            if free == 1 or free >= self.wanted:
                event.set()
        if not task.cancelled() and task.exception() is not None:
            # A job's task catches everything; this is a bug in the runtime itself.
            self._log.error("job task crashed", exc=task.exception())

    async def wait(self) -> None:
        """Until a slot frees up, the wake-up timer fires, or the worker is asked to stop."""
        event = self._event
        assert event is not None
        event.clear()
        await event.wait()

    def wake_at(self, when: float) -> asyncio.TimerHandle:
        """Wake :meth:`wait` at loop time ``when``."""
        assert self._event is not None
        return asyncio.get_running_loop().call_at(when, self._event.set)

    async def pause(self, seconds: float) -> None:
        """Sleep, but wake up early when the worker is asked to stop."""
        event = self._event
        if event is None or self.stopping:
            return
        event.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._until_stopping(event), seconds)

    async def _until_stopping(self, event: asyncio.Event) -> None:
        # Freed slots also set the event; only a stop request ends the pause.
        while not self.stopping:
            event.clear()
            await event.wait()


class Poller:
    """The poll loop of one worker (see the module docstring).

    Args:
        client: the worker's client; a long poll gets a view with a timeout that
            outlasts it.
        config: the worker's configuration.
        tuning: the backoff policies, ``activation_threshold`` and ``activation_delay``.
        telemetry: counts activated jobs; names the trace variable to fetch.
        log: the worker's logger.
    """

    def __init__(
        self,
        client: AsyncApiClient,
        config: ResolvedWorkerConfig,
        tuning: WorkerTuning,
        telemetry: WorkerTelemetry,
        log: BoundLogger,
    ) -> None:
        # The long poll must outlive the HTTP timeout it would otherwise hit.
        wait = config.request_timeout_milliseconds / 1000
        needed = wait + 5.0
        if wait > 0 and needed > client.config.timeout_ms / 1000:
            client = client.with_options(timeout=needed)
        self._client = client
        self._config = config
        self._tuning = tuning
        #: The worker's job slots, which this loop fills.
        self.slots = Slots(config.max_concurrent_jobs, log)
        self._telemetry = telemetry
        self._log = log
        self._poll: asyncio.Task[Any] | None = None
        # TenantId is a NewType of str: the configured names are tenant ids.
        self._tenant_ids = cast("list[TenantId] | None", _listed(config.tenant_ids))
        fetch = self._fetch_variables = _listed(config.fetch_variables)
        carried = telemetry.trace_variable
        if fetch is not None and carried is not None and carried not in fetch:
            fetch.append(carried)  # the trace the process carries comes along
        #: Activations failed in a row since the last success.
        self.errors = 0
        #: When an activation last succeeded (epoch seconds), or None.
        self.last_poll: float | None = None
        #: Whether the last activation failed (the loop is waiting to try again).
        self.backing_off = False

    def _request(self, free: int) -> JobActivationRequest:
        config = self._config
        return models.JobActivationRequest(
            type_=config.job_type,
            timeout=config.job_timeout_milliseconds,
            max_jobs_to_activate=free,
            worker=config.worker_name,
            fetch_variable=self._fetch_variables,
            request_timeout=config.request_timeout_milliseconds,
            tenant_ids=self._tenant_ids,
            with_lease=True if config.with_lease else None,
        )

    async def run(self, runner: JobRunner) -> None:
        """Poll until the worker is asked to stop; ``runner`` runs each activated job.

        Raises:
            ConfigurationError: ``with_lease=True`` against a cluster that activated
                jobs without a lease token (they are handed back first).
        """
        config = self._config
        tuning = self._tuning
        slots = self.slots
        log = self._log
        loop = asyncio.get_running_loop()
        self.backing_off = False
        errors = 0
        idle = 0
        # Free slots wanted before polling while jobs run; with none running, any will do.
        wanted = slots.wanted = max(
            1, math.ceil(config.max_concurrent_jobs * tuning.activation_threshold)
        )
        fill_by: float | None = None  # when a partly free worker polls anyway
        timer: asyncio.TimerHandle | None = None
        while not slots.stopping:
            free = slots.free
            if free <= 0:
                await slots.wait()
                continue
            if free < wanted and slots.tasks:
                if fill_by is None:
                    # Fast jobs free the other slots within moments; slow ones do not.
                    fill_by = loop.time() + tuning.activation_delay
                    timer = slots.wake_at(fill_by)
                if loop.time() < fill_by:
                    await slots.wait()
                    continue
            fill_by = None
            if timer is not None:
                timer.cancel()
                timer = None
            started = loop.time()
            poll = self._poll = loop.create_task(
                self._client.activate_jobs(data=self._request(free))
            )
            try:
                # Not cancelled by a stop request: jobs it activates must not be stranded.
                result = await poll
            except asyncio.CancelledError:
                if slots.stopping and poll.cancelled():
                    break  # abandoned at the drain deadline
                poll.cancel()
                raise
            except Exception as exc:
                if slots.stopping:
                    break
                delay = tuning.poll_backoff.delay(errors, tuning.random)
                errors = self.errors = errors + 1
                self.backing_off = True
                message = f"job activation failed ({describe(exc)}); retrying in {delay:.2f} s"
                # Credentials, tenants, a wrong address will not heal by waiting: say so
                # at the default (error) level, once per streak; transient trouble only
                # when it persists.
                if (errors == 1 and not is_transient(exc)) or errors == _PERSISTENT_ERRORS:
                    log.error(message)
                else:
                    log.warning(message)
                await slots.pause(delay)
                continue
            finally:
                self._poll = None
            errors = self.errors = 0
            self.last_poll = time.time()
            self.backing_off = False
            jobs = result.jobs if isinstance(result.jobs, list) else []
            if jobs:
                self._telemetry.activated(len(jobs))
            if config.with_lease and any(job.lease_token is None for job in jobs):
                self._hand_back(runner, jobs, started)
                raise ConfigurationError(
                    f"worker for job type {config.job_type!r}: WorkerConfig(with_lease=True),"
                    " but the cluster activated jobs without a leaseToken: this server does not"
                    " issue job leases; set with_lease=False or upgrade the cluster",
                    variable="with_lease",
                )
            if slots.stopping:
                self._hand_back(runner, jobs, started)
                break
            run = runner.run
            for job in jobs:
                slots.spawn(run(job, started))
            if jobs:
                idle = 0
            elif loop.time() - started < _FAST_EMPTY_POLL_SECONDS:
                await slots.pause(tuning.idle_backoff.delay(idle, tuning.random))
                idle += 1
            else:
                idle = 0  # a long poll that expired: ask again straight away

    def abandon(self) -> None:
        """Give up an outstanding long poll (the drain deadline passed)."""
        poll = self._poll
        if poll is not None and not poll.done():
            self._log.warning(
                "stopping: the outstanding job activation did not answer in time; abandoning"
                " it (jobs it activates time out on the cluster)"
            )
            poll.cancel()

    def _hand_back(
        self, runner: JobRunner, jobs: list[ActivatedJobResult], activated_at: float
    ) -> None:
        """Give ``jobs`` back to the cluster at once: failed with their retries unchanged."""
        if not jobs:
            return
        self._log.info(f"stopping: handing {len(jobs)} just-activated job(s) back")
        for job in jobs:
            if job.job_key is not None:
                self.slots.spawn(runner.hand_back(job, activated_at))


def _listed(values: tuple[str, ...] | None) -> list[str] | None:
    return list(values) if values is not None else None
