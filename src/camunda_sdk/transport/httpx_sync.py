"""The sync client's sender: the SDK's requests over an ``httpx.Client``."""

from __future__ import annotations

import time
from typing import Generic, TypeVar

import httpx

from ..pipeline.http import Request, Response
from .deadlines import current

__all__ = ["HttpxSender"]


_C = TypeVar("_C", httpx.Client, httpx.AsyncClient)


class HttpxHolder(Generic[_C]):
    """What both httpx senders hold: the httpx client, and whether it is closed."""

    __slots__ = ("http",)

    def __init__(self, http: _C) -> None:
        self.http = http

    @property
    def is_closed(self) -> bool:
        """Whether the httpx client is closed."""
        return self.http.is_closed


class HttpxSender(HttpxHolder[httpx.Client]):
    """Sends the SDK's requests through an ``httpx.Client``; a :class:`SyncSender`.

    It bounds each exchange by ``Request.timeout`` twice over: as httpx's
    per-operation timeouts (connect, write, each read, the wait for a pooled
    connection: what a transport of the user's own, or an ``httpx.Client``
    passed in by a test, is held to), and as the deadline of the whole exchange,
    set for this thread in :data:`camunda_sdk.transport.deadlines.current`,
    which the SDK's own transport (:class:`~camunda_sdk.transport.pool.DeadlineTransport`)
    enforces on every socket operation. A failure's ``request`` is the SDK's
    :class:`Request`, which states the timeout a ``CamundaConnectionError`` reports.
    """

    __slots__ = ()

    def send(self, request: Request) -> Response:
        """Send ``request`` within its timeout and read the whole body."""
        t = request.timeout
        sent = httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            content=request.content,
            extensions={"timeout": {"connect": t, "read": t, "write": t, "pool": t}},
        )
        state = current
        outer = state.at
        if t is not None:  # nested in another exchange (a user's transport): the nearer wins
            at = time.monotonic() + t
            state.at = at if outer is None or at < outer else outer
        try:
            r = self.http.send(sent)
        except httpx.RequestError as exc:
            exc.request = request  # type: ignore[assignment]  # httpx only stores it
            raise
        finally:
            state.at = outer
        return Response(r.status_code, r.headers, r.content, request)

    def close(self) -> None:
        """Close the httpx client."""
        self.http.close()
