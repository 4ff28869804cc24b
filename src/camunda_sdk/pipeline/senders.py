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
from collections.abc import Iterable
from typing import Any, Protocol

import httpcore
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


_deadline = _Deadline()


def _cap(timeout: float | None, error: type[Exception]) -> float | None:
    at = _deadline.at
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        # Never pass 0 on: socket.settimeout(0) would make the socket non-blocking.
        raise error("the deadline of the exchange has passed")
    return left if timeout is None or left < timeout else timeout


class _DeadlineStream(httpcore.NetworkStream):
    __slots__ = ("_inner",)

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _cap(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _cap(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        timeout = _cap(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    __slots__ = ("_inner",)

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _cap(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        )

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        timeout = _cap(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _install_deadlines(transport: object) -> bool:
    """Wrap the network backend of an httpx ``HTTPTransport``; False if it has none.

    httpx offers no public way to pass httpcore a network backend, hence the
    attribute lookups; a transport of another shape (``MockTransport``, a
    user's own) is left as it is, and its exchanges are bounded per operation only.
    """
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, _DeadlineBackend):
        return True
    if not isinstance(backend, httpcore.NetworkBackend):
        return False
    pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]
    return True


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
        for transport in (self._transport, *self._mounts.values()):
            _install_deadlines(transport)

    def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        """Send ``request`` (see ``httpx.Client.send``) within its timeout."""
        seconds = exchange_timeout(request, self.timeout)
        if seconds is None:
            return super().send(request, **kwargs)
        state = _deadline
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
