"""Pipeline doubles: a stand-in for the transport plugin and a context to build a chain on.

Unit tests of a stage build the chain through pluggy as the client does, with
:class:`FakeTransport` innermost, and either step the handler's generator by
hand or run it under a driver::

    context = make_context(retry, config={"CAMUNDA_SDK_RETRY_MAX_ATTEMPTS": "3"})
    handler = handler_for(context)
    flow = handler(Call(TOPOLOGY))  # yields Send(request), Sleep(seconds), ...
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any

import httpx
import pluggy

from camunda_sdk.config import resolve_config
from camunda_sdk.pipeline import hookspecs
from camunda_sdk.pipeline.call import Call
from camunda_sdk.pipeline.context import ClientContext
from camunda_sdk.pipeline.effects import Effect, Send
from camunda_sdk.pipeline.hookspecs import Handler, hookimpl
from camunda_sdk.transport.request import build_request

__all__ = ["FakeTransport", "handler_for", "make_context"]


class FakeTransport:
    """The innermost handler (``trylast``), standing in for the ``transport`` plugin.

    It builds the request with the real request builder (so the request carries
    the operation's path, the call's headers and the mark of an API request)
    and yields ``Send`` with no timeout.

    Args:
        base: the URL the path is appended to; None: the context's ``rest_address``.
        headers: set on every call before the request is built, as an auth stage would.
    """

    def __init__(self, base: str | None = None, headers: Mapping[str, str] | None = None) -> None:
        self.base = base
        self.headers = dict(headers or {})

    @hookimpl(trylast=True)
    def camunda_call_handler(self, context: ClientContext) -> Handler:
        base = self.base if self.base is not None else context.config.rest_address
        headers = self.headers

        def send(call: Call) -> Generator[Effect, Any, httpx.Response]:
            call.headers.update(headers)
            return (yield Send(build_request(call, base, None)))

        return send


def make_context(
    *plugins: Any,
    transport: Any = None,
    config: Any = None,
    logger: Any = None,
    **context_kwargs: Any,
) -> ClientContext:
    """A client context whose plugin manager holds the transport and ``plugins``.

    Args:
        plugins: registered in order after the transport, so a later one wraps
            the earlier ones; a module under its short name, an object as ``p<i>``.
        transport: the innermost plugin (default: a :class:`FakeTransport`).
        config: a configuration object, or a mapping of settings resolved with
            no environment (default: all defaults).
        logger: the context's logger (None is allowed by the stages).
        context_kwargs: more ``ClientContext`` arguments (tracer and meter providers).
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(transport if transport is not None else FakeTransport(), name="transport")
    for i, plugin in enumerate(plugins):
        name = getattr(plugin, "__name__", None)
        pm.register(plugin, name=name.rsplit(".", 1)[-1] if name else f"p{i}")
    if config is None or isinstance(config, Mapping):
        config = resolve_config(dict(config or {}), environ={})
    return ClientContext(config=config, logger=logger, plugin_manager=pm, **context_kwargs)


def handler_for(context: ClientContext) -> Handler:
    """The chain the context's plugins build (outermost stage first)."""
    return context.plugin_manager.hook.camunda_call_handler(context=context)
