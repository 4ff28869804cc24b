"""Built-in plugin ``workers``: the job worker's hooks, strategies and outcome stage.

- adds the worker's hook specifications (:mod:`camunda_sdk.workers.hookspecs`);
- answers ``camunda_worker_executor`` for the built-in strategies ``async``,
  ``thread`` and ``process`` (``trylast``: a plugin may replace any of them);
- answers ``camunda_job_handler`` with the innermost link of the job chain, the
  handler run by the executor (middleware wraps it);
- adds a call stage that notices a handler reporting its own job's outcome
  through the client (``complete_job``, ``fail_job``, ``throw_job_error``): the
  job's lease token is added when the body lacks it, and the worker sends
  nothing more for that job once the call succeeded.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import attrs

from .._serde import Model
from ..config import Setting
from ..pipeline.hookspecs import hookimpl
from . import hookspecs
from .executors import AsyncExecutor, JobExecutor, ProcessExecutor, ThreadExecutor

if TYPE_CHECKING:
    import pluggy

    from ..pipeline.call import Call
    from ..pipeline.context import ClientContext
    from ..pipeline.effects import Effect
    from ..pipeline.hookspecs import Handler
    from .context import JobContext
    from .hookspecs import JobHandler
    from .runtime import JobWorker, WorkerRegistry

#: ``ClientContext.state`` key of the client's :class:`~camunda_sdk.workers.runtime.WorkerRegistry`.
STATE_KEY = "workers"

_STRATEGIES: dict[str, type[JobExecutor]] = {
    "async": AsyncExecutor,
    "thread": ThreadExecutor,
    "process": ProcessExecutor,
}
# Operation id -> the request model, for a body-less call that needs a lease token.
_OUTCOME_BODIES = {
    "completeJob": "JobCompletionRequest",
    "failJob": "JobFailRequest",
    "throwJobError": "JobErrorRequest",
}


@hookimpl
def camunda_add_hookspecs(plugin_manager: pluggy.PluginManager) -> None:
    """Add the job worker's hooks to the client's catalog."""
    plugin_manager.add_hookspecs(hookspecs)


@hookimpl(trylast=True)
def camunda_worker_executor(strategy: str, context: ClientContext) -> JobExecutor | None:
    """Answer the built-in strategies ``async``, ``thread`` and ``process``."""
    # Pools are sized in JobExecutor.attach: the hook's arguments carry no worker settings.
    executor = _STRATEGIES.get(strategy)
    return executor() if executor is not None else None


@hookimpl(trylast=True)
def camunda_job_handler(worker: JobWorker) -> JobHandler:
    """The innermost link of the job chain: the user's handler, through the executor."""
    execute = worker.executor.execute
    callback = worker.callback

    async def run_handler(job: JobContext) -> Any:
        return await execute(callback, job)

    return run_handler


@hookimpl(wrapper=True)
def camunda_call_handler(context: ClientContext) -> Generator[None, Handler, Handler]:
    """Notice outcomes a running handler reports itself (see the module docstring)."""
    inner = yield
    state = context.state

    def note_reported_outcomes(call: Call) -> Generator[Effect, Any, Any]:
        model = _OUTCOME_BODIES.get(call.operation.id)
        registry: WorkerRegistry | None = state.get(STATE_KEY) if model is not None else None
        params = call.path_params
        job = registry.handler_job(params.get("jobKey")) if registry and params else None
        if job is None:
            return (yield from inner(call))
        lease = job.lease_token
        if lease is not None:
            body = call.body
            if body is None:
                from ..operations import models

                call.body = getattr(models, model)(lease_token=lease)  # type: ignore[arg-type]
            elif isinstance(body, Model) and getattr(body, "lease_token", "") is None:
                call.body = attrs.evolve(body, lease_token=lease)  # type: ignore[misc]
        response = yield from inner(call)
        if 200 <= response.status_code < 300:
            job.reported = job.REPORTED[call.operation.id]
        return response

    return note_reported_outcomes


#: The port of the workers' health endpoint (``/live``, ``/ready``); unset: none.
HEALTH_PORT: Setting[int | None] = Setting(
    "CAMUNDA_WORKER_HEALTH_PORT",
    "int",
    minimum=0,
    maximum=65535,
    description="Port of the job workers' HTTP health probe (`/live`, `/ready`); off when unset.",
)
#: The interface it listens on.
HEALTH_HOST: Setting[str | None] = Setting(
    "CAMUNDA_WORKER_HEALTH_HOST",
    description="Interface of the health probe (default: all interfaces).",
)


@hookimpl
def camunda_add_settings(settings: Any) -> None:
    """Declare the ``CAMUNDA_WORKER_*`` defaults that job workers inherit.

    ``settings`` is the :class:`~camunda_sdk.config.SettingRegistry`. No defaults
    here: unset, they leave :class:`~camunda_sdk.workers.WorkerConfig`'s own in
    force (``resolve_worker_config`` reads them as ``config.worker_timeout``, ...).
    """
    for setting in (
        Setting(
            "CAMUNDA_WORKER_TIMEOUT",
            "int",
            minimum=1,
            description="Default job timeout in milliseconds for job workers.",
        ),
        Setting(
            "CAMUNDA_WORKER_MAX_CONCURRENT_JOBS",
            "int",
            minimum=1,
            description="Default maximum of jobs a worker runs at once.",
        ),
        Setting(
            "CAMUNDA_WORKER_REQUEST_TIMEOUT",
            "int",
            minimum=0,
            description="Default long-poll timeout of job activation in milliseconds "
            "(0: server default).",
        ),
        Setting("CAMUNDA_WORKER_NAME", description="Default worker name reported to Camunda."),
        Setting(
            "CAMUNDA_TENANT_IDS",
            "list",
            description="Tenants job workers activate jobs of, comma-separated "
            "(default: CAMUNDA_TENANT_ID).",
        ),
        Setting(
            "CAMUNDA_WORKER_STARTUP_JITTER_MAX_SECONDS",
            "float",
            minimum=0,
            description="Default maximum random delay in seconds before a worker starts polling.",
        ),
        HEALTH_PORT,
        HEALTH_HOST,
    ):
        settings.add(setting)
