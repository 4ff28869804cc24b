"""The hook catalog: every extension point of the SDK, in one place.

A plugin is any object or module with functions named like the specs below and
marked with :data:`hookimpl`. Built-in plugins (``camunda_sdk.plugins.*``) use
exactly the same hooks and registration as a third party's, so any of them can
be disabled or replaced by name.

The request path is assembled once per client by :func:`camunda_call_handler`:

- the transport implementation (``trylast``) returns the innermost handler,
  which sends the request;
- every *stage* is a ``wrapper=True`` implementation that receives the inner
  handler from ``yield`` and returns a handler wrapping it.

A handler is a function ``handler(call) -> Generator[Effect, object, httpx.Response]``.
It never performs I/O itself: it *yields effects* (send this request, sleep this
long, take this lock) and the sync or async driver carries them out. One
definition of a stage therefore serves both ``CamundaClient`` and
``CamundaAsyncClient``. Stages compose with ``response = yield from inner(call)``.

pluggy calls wrappers registered later *outside* those registered earlier, so the
built-ins (registered innermost first) give this order, outermost first::

    user plugins -> tracing -> config -> retry -> logging -> backpressure -> auth -> transport

Hook implementations must be synchronous and free of I/O: pluggy does not await.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import httpx

    from ..config import CamundaConfig, SettingRegistry
    from ..log import BoundLogger
    from .call import Call
    from .context import ClientContext
    from .effects import Effect

PROJECT = "camunda_sdk"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

#: A handler carries one call: it yields effects and returns the HTTP response.
Handler = Callable[["Call"], Generator["Effect", Any, "httpx.Response"]]


class AuthProvider:
    """What an auth strategy plugin returns from :func:`camunda_auth_provider`.

    ``flow`` is a stage body: it adds credentials to ``call.headers`` and runs
    ``inner``; it may yield effects of its own (fetch a token, take a lock,
    replay after a 401).
    """

    #: The strategy name, as written in ``CAMUNDA_AUTH_STRATEGY``.
    name: str = ""

    def flow(self, call: Call, inner: Handler) -> Generator[Effect, Any, httpx.Response]:
        """Authenticate ``call`` and send it through ``inner``."""
        return (yield from inner(call))


@hookspec(historic=True)
def camunda_add_hookspecs(plugin_manager: pluggy.PluginManager) -> None:
    """Add the hook specifications of a subsystem to the client's catalog.

    Args:
        plugin_manager: the client's ``PluginManager``; call
            ``plugin_manager.add_hookspecs(module_or_class)``.

    Returns:
        Nothing; every implementation is called.

    Historic: called once when the catalog is created and again, for a plugin
    registered later, at its registration, so a subsystem's hooks exist before
    any plugin that implements them is checked. The built-in ``workers`` plugin
    adds the job worker's hooks (``camunda_sdk.workers.hookspecs``) this way.
    pytest's ``pytest_addhooks`` is the model.
    """


@hookspec
def camunda_add_settings(settings: SettingRegistry) -> None:
    """Declare the configuration settings this plugin reads.

    Args:
        settings: the client's :class:`~camunda_sdk.config.SettingRegistry`; call
            ``settings.add(Setting(...))`` once per ``CAMUNDA_*`` key, then read
            the value with ``SETTING.read(context.config)`` (or ``config.get(SETTING)``).

    Returns:
        Nothing; every implementation is called.

    Called once per client at construction, before :func:`camunda_load_config`,
    by :func:`camunda_sdk.config.collect_settings`: plugins in registration order,
    ``tryfirst`` ones first (that is also the order of the README's configuration
    table, which ``scripts/config_table.py`` builds the same way). A key or alias
    declared twice is a ``PluginError`` naming both plugins. pytest's
    ``pytest_addoption`` is the model.
    """


@hookspec(firstresult=True)
def camunda_load_config(
    configuration: Mapping[str, Any] | None,
    environ: Mapping[str, str],
    settings: SettingRegistry,
) -> CamundaConfig | None:
    """Resolve the client's configuration from explicit settings and the environment.

    Called once at client construction, after :func:`camunda_add_settings`
    collected ``settings``. The built-in ``config`` plugin resolves them from
    ``.env`` < environment < ``configuration``; return a config to replace it,
    or refine the result with a ``wrapper=True`` implementation (the ``auth``
    plugin infers ``CAMUNDA_AUTH_STRATEGY`` this way).
    """


@hookspec(firstresult=True)
def camunda_make_logger(logger: object | None, config: CamundaConfig) -> BoundLogger | None:
    """Return the logger the SDK writes to, given the user's ``logger=`` argument."""


@hookspec(firstresult=True)
def camunda_auth_provider(strategy: str, context: ClientContext) -> AuthProvider | None:
    """Return the auth provider for ``strategy`` (upper case), or None if not yours.

    Built-ins answer ``NONE``, ``BASIC`` and ``OAUTH``; a plugin can add a new
    strategy name or, registered with ``tryfirst=True``, replace a built-in one.
    """


@hookspec(firstresult=True)
def camunda_call_handler(context: ClientContext) -> Handler | None:
    """Build the handler every call of this client runs through.

    Stages implement this with ``@hookimpl(wrapper=True)``::

        @hookimpl(wrapper=True)
        def camunda_call_handler(context):
            inner = yield
            def stage(call):
                call.headers["x-team"] = "payments"
                return (yield from inner(call))
            return stage

    The result is cached per client and rebuilt only when plugins change.
    """


@hookspec
def camunda_client_closed(context: ClientContext) -> None:
    """The client was closed: release what the plugin holds for it."""
