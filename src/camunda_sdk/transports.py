"""The async client's HTTP transport: httpx's own, or aiohttp through ``httpx-aiohttp``.

``httpx.AsyncClient``'s default transport (httpcore) costs about four times the
client CPU per request of aiohttp here (see ``docs/performance.md``), which
caps an async job worker. With the ``aiohttp`` extra installed
(``pip install 'camunda-sdk[aiohttp]'``) the async client sends through
``httpx_aiohttp.AiohttpTransport`` instead; ``CAMUNDA_SDK_HTTP_TRANSPORT``
(``auto``, ``httpx`` or ``aiohttp``, declared by the ``transport`` plugin)
chooses. Stages still see ``httpx.Request`` and ``httpx.Response`` on both.

``httpx-aiohttp`` 0.2 maps some aiohttp failures onto the wrong httpx
exceptions, and lets others through unmapped: a connection the server closed
or reset after the request was written becomes ``ConnectTimeout``, which the
retry stage reads as "never sent" and so would replay a non-idempotent call;
an unparsable response escapes as ``aiohttp.ClientResponseError``.
:class:`AiohttpTransport` wraps it and raises what httpx's own transport
raises for the same failure, so retry, backpressure and the job worker
(``workers/outcomes.py``) classify failures identically on both transports.

Nothing here imports aiohttp until an async client makes its first call.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx

from .errors import ConfigurationError

if TYPE_CHECKING:
    from .config import CamundaConfig

__all__ = ["AiohttpTransport", "aiohttp_installed", "async_transport", "map_aiohttp_error"]

INSTALL_HINT = "pip install 'camunda-sdk[aiohttp]'"
# httpx's own default pool (httpx.AsyncClient's), so both transports pool alike.
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


def aiohttp_installed() -> bool:
    """Whether ``httpx-aiohttp`` (and so aiohttp) can be imported."""
    try:
        import httpx_aiohttp  # noqa: F401  # pyright: ignore[reportUnusedImport]
    except ImportError:
        return False
    return True


def async_transport(
    config: CamundaConfig, *, verify: ssl.SSLContext | bool = True
) -> httpx.AsyncBaseTransport | None:
    """The transport ``CAMUNDA_SDK_HTTP_TRANSPORT`` selects; None: httpx's default.

    ``auto`` takes aiohttp when ``httpx-aiohttp`` is importable; ``aiohttp``
    without it installed is a :class:`ConfigurationError` saying what to install.
    """
    from .plugins.transport import HTTP_TRANSPORT

    choice = HTTP_TRANSPORT.read(config)
    if choice == "httpx":
        return None
    if not aiohttp_installed():
        if choice == "aiohttp":
            raise ConfigurationError(
                f"{HTTP_TRANSPORT.key}=aiohttp needs the aiohttp extra: {INSTALL_HINT}",
                variable=HTTP_TRANSPORT.key,
            )
        return None
    return AiohttpTransport(verify=verify)


class AiohttpTransport(httpx.AsyncBaseTransport):
    """``httpx_aiohttp.AiohttpTransport`` raising httpx's own exceptions for each failure.

    Besides mapping errors (see :func:`map_aiohttp_error`), its aiohttp session
    keeps no cookies: ``httpx.AsyncClient`` keeps them, as it does on its
    default transport, so cookies behave the same on both.

    Args:
        verify: ``True`` (the system's CAs, as httpx), ``False``, or an
            ``ssl.SSLContext`` (custom CA, mutual TLS).
        limits: the connection pool's size and keep-alive expiry, as for httpx.
    """

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | bool = True,
        limits: httpx.Limits = DEFAULT_LIMITS,
    ) -> None:
        import httpx_aiohttp

        # Built once and handed to both: httpx-aiohttp would otherwise build its own.
        context = verify if isinstance(verify, ssl.SSLContext) else None
        if context is None:
            context = httpx.create_ssl_context(verify=verify)
        self._context = context
        self._limits = limits
        self._inner = httpx_aiohttp.AiohttpTransport(
            verify=context, limits=limits, client=self._session
        )

    def _session(self) -> Any:
        # Called by httpx-aiohttp at the first request, inside the running event
        # loop (an aiohttp session must be created there).
        import aiohttp

        limit = self._limits.max_connections
        connector = aiohttp.TCPConnector(
            ssl=self._context,
            keepalive_timeout=self._limits.keepalive_expiry,
            limit=0 if limit is None else limit,
        )
        return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` over aiohttp; failures are raised as httpx's exceptions."""
        try:
            response = await self._inner.handle_async_request(request)
        except Exception as exc:
            if not _is_aiohttp_error(exc):
                raise
            raise map_aiohttp_error(exc, request) from _origin(exc)
        response.stream = _MappedStream(response.stream, request)
        return response

    async def aclose(self) -> None:
        """Close the aiohttp session and its connections."""
        await self._inner.aclose()


class _MappedStream(httpx.AsyncByteStream):
    """The response body, with failures while reading it mapped like the response head's."""

    __slots__ = ("_inner", "_request")

    def __init__(self, inner: Any, request: httpx.Request) -> None:
        self._inner = inner
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except Exception as exc:
            if not _is_aiohttp_error(exc):
                raise
            raise map_aiohttp_error(exc, self._request) from _origin(exc)

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        except Exception as exc:
            if not _is_aiohttp_error(exc):
                raise
            raise map_aiohttp_error(exc, self._request) from _origin(exc)


def _origin(exc: BaseException) -> BaseException:
    # httpx-aiohttp raises its (sometimes wrong) httpx exception from the aiohttp one.
    cause = exc.__cause__
    if isinstance(exc, httpx.TransportError) and cause is not None and _is_aiohttp_error(cause):
        return cause
    return exc


def _is_aiohttp_error(exc: BaseException) -> bool:
    import aiohttp

    if isinstance(exc, (aiohttp.ClientError, asyncio.TimeoutError)):
        return True
    # httpx-aiohttp's own mapping: an httpx exception raised from an aiohttp one.
    return isinstance(exc, httpx.TransportError) and isinstance(
        exc.__cause__, (aiohttp.ClientError, asyncio.TimeoutError)
    )


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
        (asyncio.TimeoutError, httpx.ReadTimeout, ""),
    ]


_TABLE: list[tuple[type[BaseException], type[httpx.TransportError], str]] = []


def map_aiohttp_error(exc: BaseException, request: httpx.Request) -> httpx.TransportError:
    """The httpx exception httpx's own transport raises for the failure ``exc`` reports.

    ``exc`` is an aiohttp exception, or the httpx exception ``httpx-aiohttp``
    raised from one (its ``__cause__``); an httpx exception of other origin is
    returned unchanged.

    | aiohttp | httpx |
    | --- | --- |
    | ``ClientConnectorError`` (refused, DNS, TLS handshake) | ``ConnectError`` |
    | ``ConnectionTimeoutError`` | ``ConnectTimeout`` |
    | ``SocketTimeoutError``, ``ServerTimeoutError`` | ``ReadTimeout`` |
    | ``ServerDisconnectedError``, ``ClientPayloadError``, ``ClientResponseError`` | ``RemoteProtocolError`` |
    | ``ClientOSError`` (reset), other ``ClientConnectionError`` | ``ReadError`` |
    """  # noqa: E501
    origin = _origin(exc)
    if origin is exc and isinstance(exc, httpx.TransportError):
        return exc
    if not _TABLE:
        _TABLE.extend(_table())
    for source, target, message in _TABLE:
        if isinstance(origin, source):
            mapped = target(message or str(origin) or type(origin).__name__, request=request)
            return mapped
    return httpx.TransportError(str(origin) or type(origin).__name__, request=request)
