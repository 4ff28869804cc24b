"""Recorders: what a client sent (and what it got back), and what it logged.

- :class:`Recorder` keeps every exchange. Pass a :class:`RecordingTransport` to a
  client (``CamundaClient(transport=RecordingTransport())``) to see exactly what
  went over the wire to a real server; or hand the recorder itself to
  ``httpx.MockTransport`` to answer from a script::

      recorder = Recorder(503, httpx.Response(200, json={"clusterSize": 3}))
      client = CamundaClient(..., transport=httpx.MockTransport(recorder))
      ...
      assert [r.url.path for r in recorder.requests] == ["/v2/topology"] * 2

- :class:`RecordingLogger` is a logger object (``logger=`` of a client, or
  ``make_logger(RecordingLogger())`` where a stage needs a bound logger) that
  keeps every message.

Prism reports what it found wrong with a request or its own response in the
``sl-violations`` header; :meth:`Exchange.violations` decodes it.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx

__all__ = [
    "AsyncRecordingTransport",
    "Exchange",
    "Recorder",
    "RecordingLogger",
    "RecordingTransport",
    "Reply",
]

#: A scripted answer: a status code, a response, an exception (instance or class,
#: raised as if the transport failed) or a function of the request.
Reply = int | httpx.Response | BaseException | type | Callable[[httpx.Request], httpx.Response]


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
    """The exchanges seen so far; shared by a transport and the test that reads it.

    Called as an ``httpx.MockTransport`` handler it also plays the server: each
    request gets the next of ``replies`` (see :data:`Reply`), then ``default``
    once they are used up (a status or an exception class, as a response object
    could be read only once).

    Attributes:
        requests: every request, in order, including those answered by an exception.
        exchanges: the requests that got a response, with the response.
    """

    def __init__(self, *replies: Reply, default: Reply = 204) -> None:
        self.requests: list[httpx.Request] = []
        self.exchanges: list[Exchange] = []
        self.replies: deque[Reply] = deque(replies)
        self.default = default

    def __call__(self, request: httpx.Request) -> httpx.Response:
        """Record ``request`` and answer it from the script (an ``httpx.MockTransport`` handler)."""
        request.read()
        try:
            response = _answer(self.reply_for(request), request)
        except BaseException:
            self.requests.append(request)  # answered by a transport error: no exchange
            raise
        self._record(request, response)
        return response

    def reply_for(self, request: httpx.Request) -> Reply:
        """The scripted reply to ``request`` (override to answer by request)."""
        return self.replies.popleft() if self.replies else self.default

    def clear(self) -> None:
        """Forget what was recorded (call before each operation)."""
        self.requests.clear()
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
        self.requests.append(request)
        self.exchanges.append(
            Exchange(request, response.status_code, response.headers, response.content)
        )


def _answer(reply: Reply, request: httpx.Request) -> httpx.Response:
    if isinstance(reply, httpx.Response):
        return reply
    if isinstance(reply, int):
        return httpx.Response(reply)
    if isinstance(reply, BaseException):
        raise reply
    if isinstance(reply, type) and issubclass(reply, httpx.RequestError):
        raise reply("scripted", request=request)
    if isinstance(reply, type) and issubclass(reply, BaseException):
        raise reply("scripted")
    return reply(request)


class RecordingLogger:
    """A logger object that keeps every message: ``calls`` holds (level, message, kwargs).

    It has what any injected logger must (``debug``, ``info``, ``warning``,
    ``error``) and, unless ``trace=False``, a ``trace`` method; without it the
    SDK sends trace messages to ``debug``.
    """

    def __init__(self, *, trace: bool = True) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        if trace:
            self.trace = partial(self._keep, "trace")

    def _keep(self, level: str, msg: str, *args: Any, **kwargs: Any) -> None:
        self.calls.append((level, msg, kwargs))

    def debug(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self._keep("debug", msg, *args, **kwargs)

    def info(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self._keep("info", msg, *args, **kwargs)

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self._keep("warning", msg, *args, **kwargs)

    def error(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self._keep("error", msg, *args, **kwargs)

    def messages(self, level: str | None = None) -> list[str]:
        """The messages logged (at ``level`` only, when given)."""
        return [msg for lvl, msg, _ in self.calls if level is None or lvl == level]

    def text(self) -> str:
        """Every message with its keyword arguments, one a line: search it for secrets."""
        return "\n".join(f"{lvl} {msg} {kwargs!r}" for lvl, msg, kwargs in self.calls)


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
