"""Built-in plugin ``transport``: turns a call into an HTTP request and sends it.

This is the innermost handler (``trylast``); every stage wraps it. It builds an
``httpx.Request`` from the operation descriptor and the call's arguments and
yields :class:`~camunda_sdk.pipeline.effects.Send`, so the same code serves the
sync and the async client.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Generator
from typing import Any
from urllib.parse import quote

import httpx

from .. import __version__
from .._serde import Model, to_wire
from ..config import Setting, SettingRegistry
from ..pipeline.call import Call
from ..pipeline.context import ClientContext
from ..pipeline.effects import Effect, Send
from ..pipeline.hookspecs import Handler, hookimpl

USER_AGENT = f"camunda-sdk-python/{__version__}"
PROBLEM = "application/problem+json"
# What to accept, by how the operation's answer is read (Operation.result).
_ACCEPT = {
    "text": f"text/xml, text/plain, {PROBLEM}",
    "bytes": f"application/octet-stream, {PROBLEM}",
}
_ACCEPT_JSON = f"application/json, {PROBLEM}"
#: Key of the ``httpx.Request.extensions`` entry (the Operation) on API requests.
API_REQUEST = "camunda_sdk.operation"

#: Which transport the async client sends through (see ``camunda_sdk.transports``);
#: read when it builds its ``httpx.AsyncClient``. The sync client always uses httpx's.
HTTP_TRANSPORT: Setting[str] = Setting(
    "CAMUNDA_SDK_HTTP_TRANSPORT",
    "choice",
    choices=("auto", "httpx", "aiohttp"),
    default="auto",
    description="Async client transport: auto (aiohttp when installed), httpx or aiohttp.",
)


@hookimpl
def camunda_add_settings(settings: SettingRegistry) -> None:
    """Declare the transport setting."""
    settings.add(HTTP_TRANSPORT)


@hookimpl(trylast=True)
def camunda_call_handler(context: ClientContext) -> Handler:
    """Return the handler that sends the request (innermost)."""
    base = context.config.rest_address.rstrip("/")
    origin = server_root(base)
    timeout = httpx.Timeout(seconds(context.config.timeout_ms / 1000)).as_dict()

    def send(call: Call) -> Generator[Effect, Any, httpx.Response]:
        url_base = origin if call.operation.root else base
        return (yield Send(build_request(call, url_base, timeout)))

    return send


def seconds(timeout: float | None) -> float | None:
    """A timeout as httpx takes it: 0 (the settings' "no timeout") becomes None.

    Passed on as it is, 0 would make httpx's sockets non-blocking (every read
    fails at once) and end the SDK's deadline before the exchange starts.
    Each timeout is the deadline of one whole attempt: the drivers' httpx
    clients (``camunda_sdk.pipeline.drivers``) enforce it.
    """
    return timeout if timeout else None


def server_root(base: str) -> str:
    """The server root of a ``.../v2`` base: cluster administration endpoints live there."""
    return base.removesuffix("/v2")


def expand_path(call: Call) -> str:
    """The operation's path template with the call's path parameters filled in."""
    op = call.operation
    path = op.path
    if call.path_params:
        for name, value in call.path_params.items():
            if value is None:
                raise ValueError(f"{op.id}: path parameter {name!r} is required, got None")
            path = path.replace("{" + name + "}", quote(str(_plain(value)), safe=""))
    return path


def build_request(call: Call, base: str, timeout: dict[str, float | None]) -> httpx.Request:
    """Build the ``httpx.Request`` for ``call``; ``base`` is prefixed to the path template.

    The request carries the :data:`API_REQUEST` extension, which tells other
    stages (tracing) an API request from one a plugin sends (an OAuth token fetch).
    """
    op = call.operation
    path = expand_path(call)
    result = op.result
    accept = _ACCEPT.get(result, _ACCEPT_JSON) if isinstance(result, str) else _ACCEPT_JSON
    headers = {"user-agent": USER_AGENT, "accept": accept}
    if call.headers:
        headers.update(call.headers)
    params = _query(call.query) if call.query else None
    if call.options.timeout is not None:
        timeout = httpx.Timeout(seconds(call.options.timeout)).as_dict()
    extensions = {"timeout": timeout, API_REQUEST: op}
    url = base + path
    if op.body == "multipart" and call.body is not None:
        data, files = _multipart(call.body)
        return httpx.Request(
            op.method, url, params=params, headers=headers, data=data, files=files,
            extensions=extensions,
        )  # fmt: skip
    content = None
    if call.body is not None:
        # allow_nan=False: NaN and Infinity are not JSON; a server would reject the body.
        content = json.dumps(to_wire(call.body), separators=(",", ":"), allow_nan=False).encode()
        headers["content-type"] = "application/json"
    return httpx.Request(
        op.method, url, params=params, headers=headers, content=content, extensions=extensions
    )


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _query(query: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in query.items():
        if value is None:
            continue
        out[name] = (
            [_plain(v) for v in value] if isinstance(value, (list, tuple)) else _plain(value)
        )
    return out


def _multipart(body: Any) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """Split a multipart body model into form fields and file parts.

    Structured values (document metadata) travel as parts typed ``application/json``
    so the server parses them as JSON rather than as plain text.
    """
    if not isinstance(body, Model):
        raise TypeError(f"a multipart body must be a generated model, got {type(body).__name__}")
    data: dict[str, Any] = {}
    files: list[tuple[str, Any]] = []
    for attr, (wire, spec) in type(body).__wire__.items():
        value = getattr(body, attr)
        if value is None:
            continue
        if spec == "binary":
            files.append((wire, value))
        elif spec == ("list", "binary"):
            files.extend((wire, item) for item in value)
        else:
            wired = to_wire(value)
            if isinstance(wired, str):
                data[wire] = wired
            else:
                files.append((wire, (None, json.dumps(wired).encode(), "application/json")))
    return data, files
