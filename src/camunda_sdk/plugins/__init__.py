"""Built-in plugins: one module each, registered exactly like a third party's.

``BUILTIN_PLUGINS`` lists them innermost first (pluggy wraps later registrations
around earlier ones), so a call meets the stages in the reverse order::

    tracing -> config -> retry -> logging -> backpressure -> auth -> transport

``oauth`` adds a strategy to the auth stage rather than a stage of its own.
Disable or replace one by name with ``CAMUNDA_SDK_DISABLE_PLUGINS``.
"""

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
