"""Built-in plugin ``transport``: the innermost stage, which sends the call's request.

It only wires the stage: the request is built by
:func:`camunda_sdk.transport.request.build_request` and yielded as a
:class:`~camunda_sdk.pipeline.effects.Send`, which the driver hands to its
sender (see :mod:`camunda_sdk.transport`), so the same code serves the sync and
the async client on every transport. Every other stage wraps this one.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from ..pipeline.call import Call
from ..pipeline.context import ClientContext
from ..pipeline.effects import Effect, Send
from ..pipeline.hookspecs import Handler, hookimpl
from ..pipeline.http import Response
from ..settings import SettingRegistry
from ..transport.choice import HTTP_TRANSPORT
from ..transport.request import build_request, seconds, server_root


@hookimpl
def camunda_add_settings(settings: SettingRegistry) -> None:
    """Declare the transport setting (``CAMUNDA_SDK_HTTP_TRANSPORT``)."""
    settings.add(HTTP_TRANSPORT)


@hookimpl(trylast=True)
def camunda_call_handler(context: ClientContext) -> Handler:
    """Return the handler that sends the request (innermost)."""
    base = context.config.rest_address.rstrip("/")
    origin = server_root(base)
    timeout = seconds(context.config.timeout_ms / 1000)

    def send(call: Call) -> Generator[Effect, Any, Response]:
        url_base = origin if call.operation.root else base
        return (yield Send(build_request(call, url_base, timeout)))

    return send
