"""The async client's fast sender: the SDK's requests over aiohttp, spoken directly.

``httpx.AsyncClient`` costs several times the client CPU per request of
aiohttp (see ``docs/performance.md``), which caps an async job worker. With
the ``aiohttp`` extra installed (``pip install 'camunda-sdk[aiohttp]'``) the
async client sends through :class:`AiohttpSender` (``CAMUNDA_SDK_HTTP_TRANSPORT``
chooses: :func:`camunda_sdk.transport.choice.async_sender`).

aiohttp's failures are raised as the httpx exception httpx's own transport
raises for the same failure (:func:`map_aiohttp_error`), so retry,
backpressure and the job worker (``workers/delivery.py``) classify failures
identically on both transports. Neither sends cookies back: every request
carries its own credentials, and a ``Set-Cookie`` is ignored (the httpx senders
send requests they build themselves, which httpx adds no cookies to).

Nothing here imports aiohttp until an async client makes its first call.
"""

from __future__ import annotations

import ssl
from typing import Any

import httpx

from ..pipeline.http import Request, Response
from .deadlines import within
from .tls import client_context

__all__ = ["AiohttpSender", "map_aiohttp_error"]

_URL: Any = None  # yarl.URL, set when the first session opens
# httpx's own defaults (httpx.AsyncClient's pool), so both transports pool alike:
# the pool never grows with a worker's max_concurrent_jobs.
MAX_CONNECTIONS = 100
KEEPALIVE_SECONDS = 5.0


class AiohttpSender:
    """Sends the SDK's requests over an ``aiohttp.ClientSession``; an :class:`AsyncSender`.

    Each exchange (connect, send, wait, read the body) is bounded by the
    request's timeout, raising :class:`~camunda_sdk.transport.deadlines.ExchangeTimeout`
    as the httpx senders do. Redirects are not followed (as httpx), proxies
    come from the environment (as httpx), and no cookies are kept.

    Args:
        verify: ``True`` (certifi's CAs, as httpx), ``False``, or an
            ``ssl.SSLContext`` (custom CA, mutual TLS).
    """

    __slots__ = ("_closed", "_proxies", "_session", "_verify")

    def __init__(self, *, verify: ssl.SSLContext | bool = True) -> None:
        self._verify = verify
        self._session: Any = None
        self._closed = False
        self._proxies: dict[str, str | None] = {}  # by scheme://host:port

    @property
    def is_closed(self) -> bool:
        """Whether :meth:`aclose` has run."""
        return self._closed

    def _open(self) -> Any:
        # Made at the first send, inside the running event loop (an aiohttp
        # session must be created there).
        import aiohttp

        if self._closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        global _URL
        from yarl import URL  # aiohttp's URL type, loaded with aiohttp

        _URL = URL
        connector = aiohttp.TCPConnector(
            ssl=client_context(self._verify),
            limit=MAX_CONNECTIONS,
            keepalive_timeout=KEEPALIVE_SECONDS,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),  # stateless, as the httpx senders: see above
            timeout=aiohttp.ClientTimeout(total=None),  # the exchange deadline is ours
            # Not trust_env: aiohttp would then read ~/.netrc in a thread on every
            # request. Proxies come from the environment all the same (_proxy).
            trust_env=False,
        )
        return self._session

    def _proxy(self, url: str) -> str | None:
        # The proxy the environment names for this origin (HTTPS_PROXY, HTTP_PROXY,
        # ALL_PROXY, NO_PROXY, as httpx reads them), looked up once per origin.
        end = url.find("/", url.find("//") + 2)
        origin = url if end < 0 else url[:end]
        try:
            return self._proxies[origin]
        except KeyError:
            pass
        from urllib.parse import urlsplit
        from urllib.request import getproxies, proxy_bypass

        parts = urlsplit(origin)
        proxies = getproxies()
        proxy = proxies.get(parts.scheme) or proxies.get("all")
        if proxy and parts.hostname and proxy_bypass(parts.hostname):
            proxy = None
        self._proxies[origin] = proxy or None
        return proxy or None

    async def send(self, request: Request) -> Response:
        """Send ``request`` and read the whole body; failures raise httpx's exceptions."""
        session = self._session or self._open()
        seconds = request.timeout
        exchange = self._exchange(session, request)
        try:
            return await (exchange if seconds is None else within(seconds, exchange, request))
        except Exception as exc:
            if not _is_aiohttp_error(exc):
                raise
            raise map_aiohttp_error(exc, request) from exc

    async def _exchange(self, session: Any, request: Request) -> Response:
        url = request.url
        async with session.request(
            request.method,
            # The transport stage quotes paths and queries itself: parse, don't re-encode
            # (which costs more than the rest of building the request).
            _URL(url, encoded=True) if url.isascii() else url,
            headers=request.headers,
            data=request.content,
            allow_redirects=False,
            proxy=self._proxy(request.url),
        ) as r:
            return Response(r.status, r.headers, await r.read(), request)

    async def aclose(self) -> None:
        """Close the aiohttp session and its connections."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()


def _is_aiohttp_error(exc: BaseException) -> bool:
    import aiohttp

    return isinstance(exc, aiohttp.ClientError)


def _table() -> list[tuple[type[BaseException], type[httpx.TransportError], str]]:
    import aiohttp

    # Most specific first: several of these subclass one another.
    return [
        # Connecting failed: the request was never written (safe to send again).
        (aiohttp.ClientProxyConnectionError, httpx.ProxyError, ""),
        (aiohttp.ClientConnectorError, httpx.ConnectError, ""),
        (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout, ""),
        # Timed out waiting for bytes of the response.
        (aiohttp.SocketTimeoutError, httpx.ReadTimeout, ""),
        (aiohttp.ServerTimeoutError, httpx.ReadTimeout, ""),
        # The request may have reached the server: only idempotent calls are replayed.
        (
            aiohttp.ServerDisconnectedError,
            httpx.RemoteProtocolError,
            "Server disconnected without sending a response.",
        ),
        (aiohttp.ClientPayloadError, httpx.RemoteProtocolError, ""),
        (aiohttp.ClientResponseError, httpx.RemoteProtocolError, ""),
        (aiohttp.InvalidURL, httpx.UnsupportedProtocol, ""),
        (aiohttp.ClientOSError, httpx.ReadError, ""),
        (aiohttp.ClientConnectionError, httpx.ReadError, ""),
        (aiohttp.ClientError, httpx.RemoteProtocolError, ""),
    ]


_TABLE: list[tuple[type[BaseException], type[httpx.TransportError], str]] = []


def map_aiohttp_error(exc: BaseException, request: Request) -> httpx.TransportError:
    """The httpx exception httpx's own transport raises for the aiohttp failure ``exc``.

    | aiohttp | httpx |
    | --- | --- |
    | ``ClientConnectorError`` (refused, DNS, TLS handshake) | ``ConnectError`` |
    | ``ConnectionTimeoutError`` | ``ConnectTimeout`` |
    | ``SocketTimeoutError``, ``ServerTimeoutError`` | ``ReadTimeout`` |
    | ``ServerDisconnectedError``, ``ClientPayloadError``, ``ClientResponseError`` | ``RemoteProtocolError`` |
    | ``ClientOSError`` (reset), other ``ClientConnectionError`` | ``ReadError`` |

    The mapped exception's ``request`` is the SDK's :class:`Request`.
    """  # noqa: E501
    if not _TABLE:
        _TABLE.extend(_table())
    message = str(exc) or type(exc).__name__
    for source, target, fixed in _TABLE:
        if isinstance(exc, source):
            # httpx only stores the request; the SDK's own Request serves as well.
            return target(fixed or message, request=request)  # type: ignore[arg-type]
    return httpx.TransportError(message, request=request)  # type: ignore[arg-type]
