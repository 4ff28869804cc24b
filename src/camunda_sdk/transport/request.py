"""Building the HTTP request of a call: URL, query, headers, body and timeout.

:func:`build_request` turns a :class:`~camunda_sdk.pipeline.call.Call` (an
operation descriptor and its arguments) into the SDK's own
:class:`~camunda_sdk.pipeline.http.Request`, which every stage sees and a
sender puts on the wire. The built-in ``transport`` plugin
(:mod:`camunda_sdk.plugins.transport`) runs it as the innermost stage; the
tracing stage names its spans with :func:`expand_path`.
"""

from __future__ import annotations

import enum
import json
import re
from typing import Any
from urllib.parse import quote, urlencode

from .._serde import Model, to_wire
from .._version import __version__
from ..pipeline.call import Call
from ..pipeline.http import Request
from ..pipeline.operation import Operation

__all__ = ["API_REQUEST", "USER_AGENT", "build_request", "expand_path", "seconds", "server_root"]

USER_AGENT = f"camunda-sdk-python/{__version__}"
PROBLEM = "application/problem+json"
# What to accept, by how the operation's answer is read (Operation.result).
_ACCEPT = {
    "text": f"text/xml, text/plain, {PROBLEM}",
    "bytes": f"application/octet-stream, {PROBLEM}",
}
_ACCEPT_JSON = f"application/json, {PROBLEM}"
#: Key of the ``Request.extensions`` entry (the Operation) on API requests.
API_REQUEST = "camunda_sdk.operation"


def seconds(timeout: float | None) -> float | None:
    """A request timeout: 0 (the settings' "no timeout") becomes None.

    Passed on as it is, 0 would make httpx's sockets non-blocking (every read
    fails at once) and end the SDK's deadline before the exchange starts.
    Each timeout is the deadline of one whole attempt: every sender enforces it
    (see :mod:`camunda_sdk.transport`).
    """
    return timeout if timeout else None


def server_root(base: str) -> str:
    """The server root of a ``.../v2`` base: cluster administration endpoints live there."""
    return base.removesuffix("/v2")


def expand_path(call: Call) -> str:
    """The operation's path template with the call's path parameters filled in."""
    op = call.operation
    params = call.path_params
    if not params:
        return op.path
    parts = _templates.get(op.path)
    if parts is None:  # literal, name, literal, name, ..., literal: split once per template
        parts = _templates[op.path] = tuple(_PLACEHOLDER.split(op.path))
    out = [parts[0]]
    for i in range(1, len(parts), 2):
        name = parts[i]
        value = params.get(name, _ABSENT)
        if value is None:
            raise ValueError(f"{op.id}: path parameter {name!r} is required, got None")
        if value is _ABSENT:
            out.append("{" + name + "}")
        else:
            text = value if type(value) is str else str(_plain(value))
            # Keys (digits) need no quoting: skip quote() on the hot path.
            out.append(text if text.isascii() and text.isdigit() else quote(text, safe=""))
        out.append(parts[i + 1])
    return "".join(out)


_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_templates: dict[str, tuple[str, ...]] = {}
_ABSENT: Any = object()


def _accept(result: Any) -> str:
    return _ACCEPT.get(result, _ACCEPT_JSON) if isinstance(result, str) else _ACCEPT_JSON


# The headers every request of an operation starts with, built once per descriptor (by
# identity: a hand-made descriptor may share a generated one's id, not its result).
_base_headers: dict[Operation, dict[str, str]] = {}


def build_request(call: Call, base: str, timeout: float | None) -> Request:
    """Build the :class:`Request` for ``call``; ``base`` is prefixed to the path template.

    The request carries the :data:`API_REQUEST` extension, which tells other
    stages (tracing) an API request from one a plugin sends (an OAuth token fetch).
    """
    op = call.operation
    headers = _base_headers.get(op)
    if headers is None:
        headers = _base_headers[op] = {"user-agent": USER_AGENT, "accept": _accept(op.result)}
    headers = headers.copy()
    if call.headers:
        headers.update(call.headers)
    url = base + expand_path(call)
    if call.query:
        query = urlencode(_query(call.query), doseq=True)
        if query:
            url = f"{url}?{query}"
    if call.options.timeout is not None:
        timeout = seconds(call.options.timeout)
    content = None
    if call.body is not None:
        if op.body == "multipart":
            content = _multipart(call.body, headers)
        else:
            # allow_nan=False: NaN and Infinity are not JSON; a server would reject the body.
            content = json.dumps(to_wire(call.body), separators=(",", ":"), allow_nan=False)
            content = content.encode()
            headers["content-type"] = "application/json"
    return Request(
        op.method, url, headers=headers, content=content, timeout=timeout,
        extensions={API_REQUEST: op},
    )  # fmt: skip


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


def _multipart(body: Any, headers: dict[str, str]) -> bytes:
    """Encode a multipart body model; sets the content type (with its boundary) in ``headers``.

    Structured values (document metadata) travel as parts typed ``application/json``
    so the server parses them as JSON rather than as plain text. httpx's encoder
    does the encoding: deployments are rare, and it is already imported.
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
    import httpx

    encoded = httpx.Request("POST", "http://multipart.invalid", data=data, files=files)
    headers["content-type"] = encoded.headers["content-type"]
    return encoded.read()
