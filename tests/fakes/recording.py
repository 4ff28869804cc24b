"""httpx transports that record every exchange, and Prism's verdict on it.

Pass one to a client (``CamundaClient(transport=RecordingTransport())``) to see
exactly what went over the wire. Prism reports what it found wrong with a
request or its own response in the ``sl-violations`` header; :meth:`Exchange.violations`
decodes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["AsyncRecordingTransport", "Exchange", "Recorder", "RecordingTransport"]


@dataclass
class Exchange:
    """One request and the response it got (body read eagerly)."""

    request: httpx.Request
    status: int
    headers: httpx.Headers
    body: bytes = field(repr=False)

    def violations(self) -> list[dict[str, Any]]:
        """Prism's findings: the ``sl-violations`` header, or a 422 body's ``validation`` list."""
        raw = self.headers.get("sl-violations")
        if raw:
            try:
                value = json.loads(raw)
            except ValueError:
                return [{"location": ["request"], "message": f"unparsable sl-violations: {raw}"}]
            return value if isinstance(value, list) else [value]
        if self.status >= 400 and self.body[:1] == b"{":
            try:
                found = json.loads(self.body).get("validation")
            except ValueError:
                return []
            if isinstance(found, list):
                # Prism's 422 body locates entries relative to the request ("path", "body").
                return [{**v, "location": ["request", *_location(v)]} for v in found]
        return []

    def request_violations(self) -> list[dict[str, Any]]:
        """The violations about the request (location starting with ``request``)."""
        return [v for v in self.violations() if _location(v)[:1] == ["request"]]

    def describe(self) -> str:
        """A multi-line account for a failure message (credentials masked)."""
        req = self.request
        body = req.content[:2000].decode("utf-8", "replace") if req.content else ""
        lines = [
            f"{req.method} {req.url} -> {self.status}",
            f"  request body: {body}",
            f"  response body: {self.body[:1000].decode('utf-8', 'replace')}",
        ]
        lines += [f"  violation: {v}" for v in self.violations()]
        return "\n".join(lines)


def _location(violation: dict[str, Any]) -> list[str]:
    loc = violation.get("location", [])
    if isinstance(loc, str):
        return loc.split(".")
    return [str(part) for part in loc]


_HOP_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def _replay(request: httpx.Request, response: httpx.Response, content: bytes) -> httpx.Response:
    """A fresh response carrying the already decoded ``content``."""
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _HOP_HEADERS]
    return httpx.Response(response.status_code, headers=headers, content=content, request=request)


class Recorder:
    """The exchanges seen so far; shared by a transport and the test that reads it."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def clear(self) -> None:
        """Forget what was recorded (call before each operation)."""
        self.exchanges.clear()

    def request_violations(self) -> list[dict[str, Any]]:
        """All request violations over every recorded exchange."""
        return [v for ex in self.exchanges for v in ex.request_violations()]

    def describe(self) -> str:
        """Every recorded exchange, for a failure message."""
        if not self.exchanges:
            return "(no request was sent)"
        return "\n".join(ex.describe() for ex in self.exchanges)

    def _record(self, request: httpx.Request, response: httpx.Response) -> None:
        self.exchanges.append(
            Exchange(request, response.status_code, response.headers, response.content)
        )


class RecordingTransport(httpx.HTTPTransport):
    """A real HTTP transport that records each exchange into :attr:`recorder`."""

    def __init__(self, recorder: Recorder | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.recorder = recorder or Recorder()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request, read the whole response and record both."""
        request.read()
        response = super().handle_request(request)
        try:
            content = response.read()
        finally:
            response.close()
        recorded = _replay(request, response, content)
        self.recorder._record(request, recorded)
        return recorded


class AsyncRecordingTransport(httpx.AsyncHTTPTransport):
    """The async twin of :class:`RecordingTransport`."""

    def __init__(self, recorder: Recorder | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.recorder = recorder or Recorder()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request, read the whole response and record both."""
        await request.aread()
        response = await super().handle_async_request(request)
        try:
            content = await response.aread()
        finally:
            await response.aclose()
        recorded = _replay(request, response, content)
        self.recorder._record(request, recorded)
        return recorded
