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

    from ..config import CamundaConfig
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


@hookspec(firstresult=True)
def camunda_load_config(
    configuration: Mapping[str, Any] | None, environ: Mapping[str, str]
) -> CamundaConfig | None:
    """Resolve the client's configuration from explicit settings and the environment.

    Called once at client construction. The built-in ``config`` plugin reads
    ``.env`` < environment < ``configuration``; return a config to replace it.
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


@hookspec(firstresult=True)
def camunda_worker_executor(strategy: str, context: ClientContext) -> Any:
    """Return the executor that runs job handlers for ``strategy``, or None if not yours.

    Built-ins answer ``async``, ``thread`` and ``process`` (see
    ``camunda_sdk.workers``); a plugin can add a strategy name or replace one.
    """
