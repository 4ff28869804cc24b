"""Built-in plugins: one module each, registered exactly like a third party's.

``BUILTIN_PLUGINS`` is the one statement of their order in code. It lists them
innermost first (pluggy wraps later registrations around earlier ones), so a call
meets the stages in the reverse order, as ``client.describe_pipeline()`` shows::

    trace-context -> tracing -> config -> retry -> logging -> backpressure
    -> auth -> transport

(``tests/unit/test_pipeline_order.py`` checks that line, and the docs' statements
of the order, against ``BUILTIN_PLUGINS``.) ``oauth`` adds a strategy to the auth
stage rather than a stage of its own, and the job middleware (``job-logging``,
``job-telemetry``) wraps job handlers, not calls. Disable or replace one by name
with ``CAMUNDA_SDK_DISABLE_PLUGINS``.
"""

from __future__ import annotations

from functools import lru_cache

from ..settings import SettingRegistry, use_default_settings

BUILTIN_PLUGINS: tuple[tuple[str, str], ...] = (
    ("transport", "camunda_sdk.plugins.transport"),
    ("auth", "camunda_sdk.plugins.auth"),
    ("oauth", "camunda_sdk.plugins.oauth"),
    ("backpressure", "camunda_sdk.plugins.backpressure"),
    ("logging", "camunda_sdk.plugins.logging"),
    ("retry", "camunda_sdk.plugins.retry"),
    ("config", "camunda_sdk.plugins.config"),
    ("tracing", "camunda_sdk.plugins.tracing"),
    ("trace-context", "camunda_sdk.plugins.trace_context"),
    # The job workers' settings only; the workers' own plugins are registered at a
    # client's first worker (camunda_sdk.workers.plugins.WORKER_PLUGINS).
    ("workers", "camunda_sdk.plugins.workers"),
)


def builtin_settings(*plugins: object) -> SettingRegistry:
    """The settings of the built-in plugins, then those of ``plugins``.

    What ``CamundaConfig(...)`` built by hand knows, and what the README's
    configuration table lists (``scripts/config_table.py`` passes plugins to
    add theirs). Installed entry points are not consulted.
    """
    return _declared(plugins) if plugins else _builtin_only()


@lru_cache(maxsize=1)
def _builtin_only() -> SettingRegistry:
    return _declared(())


def _declared(plugins: tuple[object, ...]) -> SettingRegistry:
    # Imported here: importing a built-in plugin (this package) stays cheap.
    from ..pipeline.manager import declared_settings

    return declared_settings(BUILTIN_PLUGINS, plugins)


# What CamundaConfig(**fields) knows without settings=: the model sits below the
# plugins and cannot ask them itself.
use_default_settings(builtin_settings)
