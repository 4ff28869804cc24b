"""Built-in plugin ``workers``: the job workers' settings, known to every client.

It declares the ``CAMUNDA_WORKER_*`` defaults (and ``CAMUNDA_TENANT_IDS``) that job
workers inherit, so that every client validates and documents them and reports a
misspelt one, whether or not it ever runs a worker. Nothing else of the workers is
here: their hooks, execution strategies and handler middleware
(:mod:`camunda_sdk.workers`) are registered on a client's plugin manager when it
creates its first worker, so that a plain API client never imports them.

No defaults: unset, a setting leaves :class:`~camunda_sdk.workers.WorkerConfig`'s
own in force (``camunda_sdk.workers.config`` reads them).
"""

from __future__ import annotations

from ..pipeline.hookspecs import hookimpl
from ..settings import Setting, SettingRegistry

__all__ = [
    "HEALTH_HOST",
    "HEALTH_PORT",
    "MAX_CONCURRENT_JOBS",
    "NAME",
    "REQUEST_TIMEOUT",
    "STARTUP_JITTER_MAX_SECONDS",
    "TENANT_IDS",
    "TIMEOUT",
    "camunda_add_settings",
]


def _count(key: str, minimum: int, description: str) -> Setting[int | None]:
    """A setting holding a whole number of at least ``minimum``."""
    return Setting(key, "int", minimum=minimum, description=description)


TIMEOUT = _count(
    "CAMUNDA_WORKER_TIMEOUT", 1, "Default job timeout in milliseconds for job workers."
)
MAX_CONCURRENT_JOBS = _count(
    "CAMUNDA_WORKER_MAX_CONCURRENT_JOBS", 1, "Default maximum of jobs a worker runs at once."
)
REQUEST_TIMEOUT = _count(
    "CAMUNDA_WORKER_REQUEST_TIMEOUT",
    0,
    "Default long-poll timeout of job activation in milliseconds (0: server default).",
)
NAME: Setting[str | None] = Setting(
    "CAMUNDA_WORKER_NAME", description="Default worker name reported to Camunda."
)
TENANT_IDS: Setting[tuple[str, ...] | None] = Setting(
    "CAMUNDA_TENANT_IDS",
    "list",
    description="Tenants job workers activate jobs of, comma-separated "
    "(default: CAMUNDA_TENANT_ID).",
)
STARTUP_JITTER_MAX_SECONDS: Setting[float | None] = Setting(
    "CAMUNDA_WORKER_STARTUP_JITTER_MAX_SECONDS",
    "float",
    minimum=0,
    description="Default maximum random delay in seconds before a worker starts polling.",
)
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

# In the order of the README's configuration table.
_SETTINGS = (
    TIMEOUT,
    MAX_CONCURRENT_JOBS,
    REQUEST_TIMEOUT,
    NAME,
    TENANT_IDS,
    STARTUP_JITTER_MAX_SECONDS,
    HEALTH_PORT,
    HEALTH_HOST,
)


@hookimpl
def camunda_add_settings(settings: SettingRegistry) -> None:
    """Declare the ``CAMUNDA_WORKER_*`` defaults that job workers inherit."""
    for setting in _SETTINGS:
        settings.add(setting)
