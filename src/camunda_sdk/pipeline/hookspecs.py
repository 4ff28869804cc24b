"""The hook catalog: every extension point of the SDK, in one place.

A plugin is any object or module with functions named like the specs below and
marked with :data:`hookimpl`. Built-in plugins (``camunda_sdk.plugins.*``, and the
job worker's ``camunda_sdk.workers.plugins``) use exactly the same hooks and
registration as a third party's, so any of them can be disabled or replaced by name. A subsystem
adds hooks of its own with :func:`camunda_add_hookspecs` (the job worker's are
in ``camunda_sdk.workers.hookspecs``).

When they are called, for one client::

    construction   camunda_add_hookspecs -> camunda_add_settings -> camunda_load_config
                   -> camunda_make_logger (only without logger=) -> camunda_call_handler
                      (which asks camunda_auth_provider)
    every call     the handler camunda_call_handler built (no hook is called per call)
    close()        ClientContext.on_close callbacks -> camunda_client_closed

The request path is assembled once per client by :func:`camunda_call_handler`:
the transport implementation (``trylast``) returns the innermost handler, which
sends the request; every *stage* is a ``wrapper=True`` implementation that
receives the inner handler from ``yield`` and returns a handler wrapping it.
pluggy calls wrappers registered later *outside* those registered earlier, so
the built-ins (``camunda_sdk.plugins.BUILTIN_PLUGINS``, registered innermost
first) sit inside the stages of every plugin registered after them, in this
order, outermost first::

    trace-context -> tracing -> config -> retry -> logging -> backpressure
    -> auth -> transport

``client.describe_pipeline()`` lists a client's stages, its plugins' included,
with their ``tryfirst``/``trylast`` placement.

A handler is a generator function ``handler(call) -> Generator[Effect, Any, Response]``.
It does not wait on the network or the clock itself: it *yields effects* (send
this request, sleep this long, take this lock) and the sync or async driver
carries them out, so one definition serves both ``CamundaClient`` and
``CamundaAsyncClient``. Stages compose with ``response = yield from inner(call)``.
Quick, local work between effects is fine (the OAuth stage reads and writes its
token cache file while holding its lock).

What a stage sees is the SDK's own, on every transport (httpx's for the sync
client and for the async client's ``httpx`` transport, aiohttp for its fast
path; see ``camunda_sdk.transport``):

- :class:`~camunda_sdk.pipeline.call.Call`: the operation and its arguments,
  ``headers`` to add (lower-case names), per-call ``options``, ``attempt``.
- :class:`~camunda_sdk.pipeline.http.Request` (what ``Send`` carries): ``method``,
  ``url`` (absolute, query included), ``headers`` (lower-case names),
  ``content`` (bytes or None), ``timeout`` (seconds for the whole exchange) and
  ``extensions`` (API requests carry their ``Operation`` under
  ``"camunda_sdk.operation"``).
- :class:`~camunda_sdk.pipeline.http.Response` (what ``Send`` resumes with and a
  handler returns): ``status_code``, ``headers`` (case-insensitive),
  ``content`` (read in full), ``text``, ``json()``, ``is_success`` and ``request``.
- Transport failures are thrown in as httpx's exception classes on every
  transport (``httpx.ConnectError``: never sent; ``httpx.ReadTimeout``,
  ``httpx.RemoteProtocolError``: may have arrived), aiohttp's mapped onto them.

The rules a stage author must know:

- A driver throws a failure into the stage at its ``yield`` (a transport error,
  ``CancelledError`` when the caller is cancelled) and closes the generator
  (``GeneratorExit``) when the call ends early. A stage that catches
  ``CancelledError``, ``GeneratorExit`` or ``BaseException`` must clean up and
  re-raise, and must **not yield again**: there is nobody left to carry the
  effect out (Python raises ``RuntimeError: generator ignored GeneratorExit``).
  Release permits and end spans in ``finally`` with plain calls.
- Hook implementations run synchronously at construction: pluggy does not await.
  Do expensive set-up there, once, not per call; leave a stage out of the chain
  (return ``inner``) when it has nothing to do for this client.
- Per-client state goes in ``context.state`` under a
  :class:`~camunda_sdk.pipeline.context.StateKey` the plugin declares (typed);
  per-call state in ``call.extensions``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from ..log import BoundLogger
    from ..settings import CamundaConfig, SettingRegistry
    from .call import Call
    from .context import ClientContext
    from .effects import Effect
    from .http import Response

PROJECT = "camunda_sdk"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

#: A handler carries one call: it yields effects and returns the HTTP response.
Handler = Callable[["Call"], Generator["Effect", Any, "Response"]]


class AuthProvider:
    """What an auth strategy plugin returns from :func:`camunda_auth_provider`.

    ``flow`` is a stage body: it adds credentials to ``call.headers`` and runs
    ``inner``; it may yield effects of its own (fetch a token, take a lock,
    replay after a 401).
    """

    #: The strategy name, as written in ``CAMUNDA_AUTH_STRATEGY``.
    name: str = ""

    def flow(self, call: Call, inner: Handler) -> Generator[Effect, Any, Response]:
        """Authenticate ``call`` and send it through ``inner``."""
        return (yield from inner(call))


# -- construction ------------------------------------------------------------------


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
        settings: the client's :class:`~camunda_sdk.settings.SettingRegistry`; call
            ``settings.add(SETTING, ...)`` with a ``Setting`` per ``CAMUNDA_*`` key,
            then read the value with ``SETTING.read(context.config)`` (or
            ``config.get(SETTING)``).

    Returns:
        Nothing; every implementation is called.

    Called once per client at construction, before :func:`camunda_load_config`,
    by :func:`camunda_sdk.pipeline.manager.collect_settings`: plugins in registration
    order, ``tryfirst`` ones first (that is also the order of the README's configuration
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

    Args:
        configuration: the ``configuration={...}`` given to the client, or None.
        environ: the environment to read (``os.environ`` unless the client got
            ``environ=``).
        settings: every setting the plugins declared.

    Returns:
        The resolved :class:`~camunda_sdk.settings.CamundaConfig`, or None to let
        the next implementation answer.

    First result wins. Called once at client construction, after
    :func:`camunda_add_settings`. The built-in ``config`` plugin (``trylast``)
    resolves ``.env`` < environment < ``configuration``; return a config to
    replace it, or refine its result with a ``wrapper=True`` implementation (the
    ``auth`` plugin infers ``CAMUNDA_AUTH_STRATEGY`` this way). Raise
    ``ConfigurationError`` naming the variable for a bad value.
    """


@hookspec(firstresult=True)
def camunda_make_logger(config: CamundaConfig) -> BoundLogger | None:
    """Return the logger the SDK writes to when the client was given no ``logger=``.

    Args:
        config: the resolved configuration (``config.log_level`` is
            ``CAMUNDA_SDK_LOG_LEVEL``).

    Returns:
        A :class:`~camunda_sdk.log.BoundLogger`; ``camunda_sdk.log.make_logger(obj,
        config.log_level)`` adapts a stdlib logger, loguru or any object with
        ``debug``/``info``/``warning``/``error``. None lets the next plugin answer.

    First result wins. Called once at construction, and only when the client got
    no ``logger=`` argument: an explicit ``logger=`` always wins over plugins.
    The built-in ``logging`` plugin answers last (``trylast``) with loguru, so an
    installed plugin replaces the default logger (see ``docs/plugins.md``).
    """


# -- the call pipeline ------------------------------------------------------------


@hookspec(firstresult=True)
def camunda_auth_provider(strategy: str, context: ClientContext) -> AuthProvider | None:
    """Return the auth provider for ``strategy``, or None if not yours.

    Args:
        strategy: ``CAMUNDA_AUTH_STRATEGY``, upper case (inferred when unset).
        context: the client's :class:`~camunda_sdk.pipeline.context.ClientContext`.

    Returns:
        An :class:`AuthProvider` whose ``flow`` the ``auth`` stage runs for every
        call, or None.

    First result wins. Called by the built-in ``auth`` stage when the handler is
    built (at construction and after ``register_plugin``); keep the provider in
    ``context.state`` (under a ``StateKey``) so a token survives a rebuild.
    Built-ins answer ``NONE``, ``BASIC`` and ``OAUTH``; a plugin can add a strategy
    name or, registered with ``tryfirst=True``, replace a built-in one.
    """


@hookspec(firstresult=True)
def camunda_call_handler(context: ClientContext) -> Handler | None:
    """Build the handler every call of this client runs through.

    Args:
        context: the client's :class:`~camunda_sdk.pipeline.context.ClientContext`.

    Returns:
        The outermost :data:`Handler`.

    First result wins; the built-in ``transport`` answers (``trylast``) with the
    innermost handler and every stage wraps it. Called at construction, again
    when a plugin is registered with ``client.register_plugin``, and once for
    the sync client ``CamundaAsyncClient.sync_client()`` derives. A hook that
    raises fails the construction with a ``PluginError`` naming the hook.
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


# -- shutdown --------------------------------------------------------------------


@hookspec
def camunda_client_closed(context: ClientContext) -> None:
    """The client was closed: release what the plugin holds for it.

    Args:
        context: the client's context, whose connections are already closed.

    Returns:
        Nothing; every implementation is called.

    Called once by ``close()`` of the client that owns the context (not by views
    or a derived sync client), after the ``context.on_close`` callbacks. Work
    that needs the connections (stopping job workers, flushing) belongs in a
    ``context.on_close`` callback instead.
    """
