"""Senders over httpx: the sync client's, and the async client's on httpx transports.

A sender carries out :class:`~camunda_sdk.pipeline.effects.Send`: it adapts
the SDK's :class:`~camunda_sdk.pipeline.http.Request` to the HTTP library,
sends it within its timeout and returns a :class:`~camunda_sdk.pipeline.http.Response`
with the body read. The aiohttp sender lives in :mod:`camunda_sdk.transports`.

Each httpx sender sends through an httpx client whose ``send`` treats the
request's timeout as a deadline for the whole exchange (see
:class:`DeadlineClient` and :class:`AsyncDeadlineClient`): httpx's own
timeouts bound each network operation, so a server that sends one byte at a
time would keep a call alive indefinitely.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from typing import Any, Protocol

import httpx

from .http import Request, Response

__all__ = [
    "AsyncDeadlineClient",
    "AsyncHttpxSender",
    "AsyncSender",
    "DeadlineClient",
    "ExchangeTimeout",
    "HttpxSender",
    "SyncSender",
    "exchange_timeout",
]


class SyncSender(Protocol):
    """What the sync driver sends through."""

    @property
    def is_closed(self) -> bool:
        """Whether :meth:`close` has run."""
        ...

    def send(self, request: Request) -> Response:
        """Send ``request``; transport failures raise httpx's exceptions."""
        ...

    def close(self) -> None:
        """Close the connection pool."""
        ...


class AsyncSender(Protocol):
    """What the async driver sends through."""

    @property
    def is_closed(self) -> bool:
        """Whether :meth:`aclose` has run."""
        ...

    async def send(self, request: Request) -> Response:
        """Send ``request``; transport failures raise httpx's exceptions."""
        ...

    async def aclose(self) -> None:
        """Close the connection pool."""
        ...


def _to_httpx(request: Request) -> httpx.Request:
    t = request.timeout
    return httpx.Request(
        request.method,
        request.url,
        headers=request.headers,
        content=request.content,
        # httpx bounds each network operation by these; the deadline clients the exchange.
        extensions={"timeout": {"connect": t, "read": t, "write": t, "pool": t}},
    )


class HttpxSender:
    """Sends the SDK's requests through an ``httpx.Client`` (a :class:`DeadlineClient`)."""

    __slots__ = ("http",)

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    @property
    def is_closed(self) -> bool:
        """Whether the httpx client is closed."""
        return self.http.is_closed

    def send(self, request: Request) -> Response:
        """Send ``request`` and read the whole body."""
        r = self.http.send(_to_httpx(request))
        return Response(r.status_code, r.headers, r.content, request)

    def close(self) -> None:
        """Close the httpx client."""
        self.http.close()


class AsyncHttpxSender:
    """Sends the SDK's requests through an ``httpx.AsyncClient`` (:class:`AsyncDeadlineClient`)."""

    __slots__ = ("http",)

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    @property
    def is_closed(self) -> bool:
        """Whether the httpx client is closed."""
        return self.http.is_closed

    async def send(self, request: Request) -> Response:
        """Send ``request`` and read the whole body."""
        r = await self.http.send(_to_httpx(request))
        return Response(r.status_code, r.headers, r.content, request)

    async def aclose(self) -> None:
        """Close the httpx client."""
        await self.http.aclose()


class ExchangeTimeout(httpx.ReadTimeout):
    """The exchange (connect, send, wait, read the body) outlasted the request's timeout.

    A :class:`httpx.ReadTimeout`, so the retry stage, backpressure and the job
    worker treat it as any other timeout: the request may have reached the
    server, and only idempotent operations are replayed.

    Attributes:
        seconds: the timeout that was exceeded.
    """

    def __init__(self, seconds: float, *, request: Request | httpx.Request) -> None:
        # httpx only stores the request; the SDK's own Request serves as well.
        super().__init__(f"no complete response within {seconds:g} s", request=request)  # type: ignore[arg-type]
        self.seconds = seconds


def exchange_timeout(request: Request | httpx.Request, default: httpx.Timeout) -> float | None:
    """Seconds the whole exchange of ``request`` may take; None: no bound.

    The SDK's :class:`Request` states it; for an ``httpx.Request``, the ``read``
    entry of its ``timeout`` extension (the sender sets all four entries to the
    request's timeout), else the client's.
    """
    if isinstance(request, Request):
        return request.timeout
    timeout = request.extensions.get("timeout")
    if isinstance(timeout, dict):
        return timeout.get("read")
    return default.read


# -- sync: a deadline for every socket operation ---------------------------------------
#
# httpx's sync client has no overall timeout, and httpcore reads its per-operation
# timeout once per phase (response head, body), so it cannot be shortened from
# outside while bytes trickle in. Instead each network stream caps every socket
# operation at the time left until the deadline of the exchange running in this
# thread. A sync httpx client sends in the caller's thread, and one connection
# serves one request at a time, so a thread-local deadline is the request's.


class _Deadline(threading.local):
    at: float | None = None  # time.monotonic() value; None: no exchange in progress


#: The deadline of the exchange running in this thread (read by ``_deadlines``).
deadline_state = _Deadline()


class DeadlineClient(httpx.Client):
    """An ``httpx.Client`` whose ``send`` bounds the whole exchange by the request's timeout.

    Every socket operation of the exchange (connect, TLS handshake, each write
    and read) waits at most the time left, so connecting, sending, waiting and
    reading the whole body together take no longer than the timeout; the
    failure is the ``httpx`` timeout of the operation that ran out of time
    (``ConnectTimeout``, ``WriteTimeout``, ``ReadTimeout``). Applies to the
    httpx transports (and proxy mounts) that talk to sockets through httpcore;
    with a ``MockTransport`` or a transport of one's own, only httpx's
    per-operation timeouts apply.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Imported here: httpcore's network layer (h11, anyio) loads with the first
        # sync client that sends, not with `import camunda_sdk`.
        from ._deadlines import install_deadlines

        for transport in (self._transport, *self._mounts.values()):
            install_deadlines(transport)

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        """Send ``request`` (see ``httpx.Client.send``) within its timeout."""
        seconds = exchange_timeout(request, self.timeout)
        if seconds is None:
            return super().send(request, **kwargs)
        state = deadline_state
        outer = state.at  # a send nested in another (an auth flow) keeps the nearer deadline
        at = time.monotonic() + seconds
        state.at = at if outer is None or at < outer else outer
        try:
            return super().send(request, **kwargs)
        finally:
            state.at = outer


class AsyncDeadlineClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` whose ``send`` bounds the whole exchange by the request's timeout.

    The send runs under ``asyncio.timeout``, whatever the transport (the aiohttp
    one included); running out of time raises :class:`ExchangeTimeout`. Outer
    cancellation is unaffected.
    """

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        """Send ``request`` (see ``httpx.AsyncClient.send``) within its timeout."""
        seconds = exchange_timeout(request, self.timeout)
        if seconds is None:
            return await super().send(request, **kwargs)
        try:
            if sys.version_info >= (3, 11):
                async with asyncio.timeout(seconds):
                    return await super().send(request, **kwargs)
            else:  # pragma: no cover - Python 3.10 has no asyncio.timeout
                return await asyncio.wait_for(super().send(request, **kwargs), seconds)
        except asyncio.TimeoutError:  # the builtin TimeoutError from Python 3.11 on
            raise ExchangeTimeout(seconds, request=request) from None
