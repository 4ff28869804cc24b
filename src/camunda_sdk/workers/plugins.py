"""The job worker's plugins: its hooks and built-ins, installed at a client's first worker.

A client that runs no worker never loads this package (its settings are declared
by the light built-in plugin ``workers``, :mod:`camunda_sdk.plugins.workers`).
When a client creates its first worker, :func:`install` adds the worker's hooks
(:mod:`camunda_sdk.workers.hookspecs`) to the client's plugin manager and registers
the worker's built-in plugins there, exactly as a third party's would be:

- ``job-executors`` (:mod:`camunda_sdk.workers.executors`): the execution
  strategies and the innermost link of the job chain;
- ``job-logging`` (:mod:`camunda_sdk.workers.joblog`): an unexpected handler error
  at error level;
- ``job-telemetry`` (:mod:`camunda_sdk.workers.jobspan`): the job's span.

``CAMUNDA_SDK_DISABLE_PLUGINS`` leaves any of them out by name. None of them adds a
call stage: the client's own calls are not touched.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pluggy

from ..pipeline.hookspecs import PROJECT
from ..pipeline.manager import PluginError, build_chain
from ..plugins.config import DISABLE_PLUGINS
from . import hookspecs

if TYPE_CHECKING:
    from ..pipeline.context import ClientContext
    from .hookspecs import JobHandler, Worker

__all__ = ["WORKER_PLUGINS", "install", "job_chain"]

#: The worker's built-in plugins, innermost first, and their modules.
WORKER_PLUGINS: tuple[tuple[str, str], ...] = (
    ("job-executors", "camunda_sdk.workers.executors"),
    ("job-logging", "camunda_sdk.workers.joblog"),
    ("job-telemetry", "camunda_sdk.workers.jobspan"),
)
_BUILTIN_NAMES = frozenset(name for name, _ in WORKER_PLUGINS)


def install(context: ClientContext) -> None:
    """Add the worker's hooks and built-in plugins to ``context``'s plugin manager, once.

    Raises:
        PluginError: a plugin registered before implements a worker hook with
            arguments the hook does not have.
    """
    pm = context.plugin_manager
    if _installed(pm):
        return
    try:
        pm.add_hookspecs(hookspecs)
    except pluggy.PluginValidationError as exc:
        raise PluginError(pm.get_name(exc.plugin) or "?", str(exc)) from exc
    disabled = set(DISABLE_PLUGINS.read(context.config))
    for name, module in WORKER_PLUGINS:
        if name not in disabled and not pm.has_plugin(name):
            pm.register(importlib.import_module(module), name=name)


def _installed(pm: pluggy.PluginManager) -> bool:
    caller = getattr(pm.hook, "camunda_job_handler", None)
    return caller is not None and caller.has_spec()


def job_chain(
    worker: Worker, client_pm: pluggy.PluginManager, middleware: Sequence[object]
) -> JobHandler:
    """The job chain of ``worker``: built-ins, then the client's middleware, then its own.

    Later registrations wrap earlier ones, so the worker's ``middleware`` is
    outermost and the built-ins are innermost, whenever they were registered.
    """
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    # Plugins may sit in several managers: the client's keep serving its calls.
    plugins = [
        (name, plugin)
        for name, plugin in client_pm.list_name_plugin()
        if plugin is not None and hasattr(plugin, "camunda_job_handler")
    ]
    plugins.sort(key=lambda item: item[0] not in _BUILTIN_NAMES)  # stable: built-ins first
    for name, plugin in plugins:
        pm.register(plugin, name=name)
    for index, plugin in enumerate(middleware):
        pm.register(plugin, name=f"{worker.config.job_type}-middleware-{index}")
    return build_chain(pm.hook.camunda_job_handler, "job-executors", worker=worker)
