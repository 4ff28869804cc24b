"""The worker subsystem's hooks, added to a client's catalog by the ``workers`` plugin.

They live here rather than in ``camunda_sdk.pipeline.hookspecs`` because only
the job worker calls them; the built-in ``workers`` plugin adds them through
:func:`~camunda_sdk.pipeline.hookspecs.camunda_add_hookspecs`, the way a
third-party subsystem would add its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

from ..pipeline.hookspecs import PROJECT

if TYPE_CHECKING:
    from ..pipeline.context import ClientContext
    from .executors import JobExecutor

hookspec = pluggy.HookspecMarker(PROJECT)


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
    built-in ``workers`` plugin answers ``async``, ``thread`` and ``process`` as
    ``trylast``; a plugin adds a strategy name, or replaces a built-in one by
    answering its name.
    """
