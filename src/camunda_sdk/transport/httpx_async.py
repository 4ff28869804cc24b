"""The async client's httpx sender: the SDK's requests over an ``httpx.AsyncClient``."""

from __future__ import annotations

import httpx

from ..pipeline.http import Request, Response
from .deadlines import within
from .httpx_sync import HttpxHolder

__all__ = ["AsyncHttpxSender"]


class AsyncHttpxSender(HttpxHolder[httpx.AsyncClient]):
    """Sends the SDK's requests through an ``httpx.AsyncClient``; an :class:`AsyncSender`.

    Each exchange runs under :func:`~camunda_sdk.transport.deadlines.within`
    its ``Request.timeout``, whatever the client's transport (httpx's own, or
    one given to the client), and running out of time raises
    :class:`~camunda_sdk.transport.deadlines.ExchangeTimeout`; httpx's
    per-operation timeouts are left unset, as the deadline bounds them all. A
    failure's ``request`` is the SDK's :class:`Request`.
    """

    __slots__ = ()

    async def send(self, request: Request) -> Response:
        """Send ``request`` within its timeout and read the whole body."""
        sent = httpx.Request(
            request.method, request.url, headers=request.headers, content=request.content
        )
        t = request.timeout
        try:
            exchange = self.http.send(sent)
            r = await (exchange if t is None else within(t, exchange, request))
        except httpx.RequestError as exc:
            exc.request = request  # type: ignore[assignment]  # httpx only stores it
            raise
        return Response(r.status_code, r.headers, r.content, request)

    async def aclose(self) -> None:
        """Close the httpx client."""
        await self.http.aclose()
