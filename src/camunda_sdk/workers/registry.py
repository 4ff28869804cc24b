"""The workers of one client: running them together, and stopping them on a signal.

A client's :class:`WorkerRegistry` lives in its plugin state (:func:`registry_of`)
from its first worker on and stops the workers when the client closes.
:func:`run_workers` starts every worker, waits until all of them have stopped and
raises the error that stopped one, if any. On the main thread SIGTERM and SIGINT
(Ctrl+C) become a graceful stop: no more polls, running jobs finish and report
within the shutdown timeout; a second signal abandons them. With
``CAMUNDA_WORKER_HEALTH_PORT`` set, the health probe (:mod:`.health`) answers
meanwhile.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from ..pipeline.context import StateKey
from .health import serve_health

if TYPE_CHECKING:
    from ..base_client import AsyncApiClient
    from ..log import BoundLogger
    from ..pipeline.context import ClientContext
    from .health import WorkerHealth

__all__ = [
    "RegisteredWorker",
    "WorkerRegistry",
    "registry_of",
    "run_workers",
    "stop_workers",
    "workers_health",
]

# The client's ClientContext.state key of its registry (read only by registry_of).
_STATE_KEY: StateKey[WorkerRegistry] = StateKey("workers")


class RegisteredWorker(Protocol):
    """What the registry needs of a worker (a :class:`~camunda_sdk.workers.JobWorker`)."""

    @property
    def log(self) -> BoundLogger:
        """The worker's logger."""
        ...

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The worker's task while started."""
        ...

    @property
    def running(self) -> bool:
        """Whether its loop runs."""
        ...

    def start(self) -> asyncio.Task[None]:
        """Start it on the running loop."""
        ...

    def request_stop(self, timeout: float | None = None) -> None:
        """Ask it to stop."""
        ...

    def health(self) -> WorkerHealth:
        """Its health."""
        ...


def registry_of(context: ClientContext) -> WorkerRegistry:
    """The :class:`WorkerRegistry` of a client (made on first use; it stops with the client).

    The one place the workers keep anything in the client's plugin state.
    """
    found: WorkerRegistry | None = context.state.get(_STATE_KEY)
    if found is None:
        found = context.state[_STATE_KEY] = WorkerRegistry(context)
        context.on_close(found.stop)
    return found


class WorkerRegistry:
    """The workers of one client (see the module docstring)."""

    def __init__(self, context: ClientContext) -> None:
        #: The workers, in the order they were created.
        self.workers: list[RegisteredWorker] = []
        self._config = context.config
        self._log = context.logger
        self._running = False
        self._added: asyncio.Event | None = None
        self._signalled = False

    def add(self, worker: RegisteredWorker) -> None:
        """Register ``worker``; start it at once if :meth:`run` is active."""
        self.workers.append(worker)
        if self._running:
            worker.start()
            if self._added is not None:
                self._added.set()

    def health(self) -> list[WorkerHealth]:
        """The health of every worker of the client."""
        return [worker.health() for worker in self.workers]

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
        health = await serve_health(self._config, self.health, self._log) if self.workers else None
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


# -- the functions the client's entries call ------------------------------------------


def workers_health(client: AsyncApiClient) -> list[WorkerHealth]:
    """The health of every job worker of ``client`` (state, last poll, load)."""
    return registry_of(client.context).health()


async def run_workers(client: AsyncApiClient, *, handle_signals: bool = True) -> None:
    """Run every worker created on ``client`` until they are stopped or this is cancelled.

    On the main thread SIGTERM and SIGINT stop the workers gracefully (running
    jobs finish and report within the shutdown timeout; a second signal
    abandons them) and this returns normally; ``handle_signals=False`` leaves
    signals to the application.
    """
    registry = registry_of(client.context)
    if not registry.workers:
        client.logger.warning("run_workers(): no job workers were created on this client")
        return
    await registry.run(handle_signals=handle_signals)


async def stop_workers(client: AsyncApiClient, timeout: float | None = None) -> None:
    """Stop ``client``'s workers: no new polls, running jobs get ``timeout`` s to finish."""
    await registry_of(client.context).stop(timeout)
