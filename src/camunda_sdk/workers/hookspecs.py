"""The job worker's hooks, added to a client's catalog when it creates its first worker.

They live here rather than in ``camunda_sdk.pipeline.hookspecs`` because only
the job worker calls them, and a client that runs no worker never loads them:
:func:`camunda_sdk.workers.plugins.install` adds them (with the worker's
built-in plugins) to the client's plugin manager at its first worker. A plugin
registered before may implement them all the same; it is checked against them
then (``camunda_sdk.pipeline.manager.LATE_HOOKS`` names them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import pluggy

from ..pipeline.hookspecs import PROJECT
from .context import JobHandler
from .executors import Host

if TYPE_CHECKING:
    from ..pipeline.context import ClientContext
    from .executors import JobExecutor
    from .telemetry import WorkerTelemetry

__all__ = ["JobHandler", "Worker", "camunda_job_handler", "camunda_worker_executor"]

hookspec = pluggy.HookspecMarker(PROJECT)


class Worker(Host, Protocol):
    """What handler middleware sees of a :class:`~camunda_sdk.workers.JobWorker`."""

    @property
    def telemetry(self) -> WorkerTelemetry:
        """The worker's spans and metrics."""
        ...


@hookspec(firstresult=True)
def camunda_worker_executor(strategy: str, context: ClientContext) -> JobExecutor | None:
    """Return a new executor that runs job handlers for ``strategy``, or None if not yours.

    Args:
        strategy: the name given as ``create_job_worker(execution_strategy=...)``
            (``"auto"`` already resolved to ``"async"`` or ``"thread"``).
        context: the client's :class:`~camunda_sdk.pipeline.context.ClientContext`.

    Returns:
        A fresh :class:`~camunda_sdk.workers.executors.JobExecutor` (one per
        worker: the worker attaches and closes it), or None to let another
        plugin answer.

    First result wins. Called once by every ``JobWorker`` at construction. The
    built-in ``job-executors`` plugin answers ``async``, ``thread`` and ``process`` as
    ``trylast``; a plugin adds a strategy name, or replaces a built-in one by
    answering its name.
    """


@hookspec(firstresult=True)
def camunda_job_handler(worker: Worker) -> JobHandler | None:
    """Build the chain every job of ``worker`` runs through: handler middleware.

    Args:
        worker: the :class:`~camunda_sdk.workers.JobWorker` (``worker.config``,
            ``worker.log``, ``worker.client``, ``worker.telemetry``).

    Returns:
        The outermost :data:`JobHandler`.

    First result wins; the built-in ``job-executors`` plugin answers (``trylast``) with
    the innermost link, which runs the user's handler through the worker's
    executor. Middleware is a ``wrapper=True`` implementation that receives the
    inner link from ``yield`` and returns an ``async`` function wrapping it::

        @hookimpl(wrapper=True)
        def camunda_job_handler(worker):
            inner = yield
            async def map_errors(job):
                try:
                    return await inner(job)
                except ValidationError as exc:
                    raise JobError("INVALID_INPUT", str(exc)) from exc
            return map_errors

    A link may read or enrich the job's context, time the rest, map exceptions to
    outcomes, or short-circuit: record ``job.complete()``, ``job.fail()``,
    ``job.throw_error()`` or ``job.ignore()`` (or raise) without awaiting
    ``inner``. ``job.on_done(callback)`` runs ``callback(outcome, delivered)``
    after the outcome was sent. Middleware runs on the event loop under every
    execution strategy (only the innermost link hands the handler to a thread or
    process). Called once per worker, at construction, on the client's plugins
    plus the worker's own ``middleware=[...]`` (outermost); later registrations
    wrap earlier ones, so built-ins are innermost.
    """
