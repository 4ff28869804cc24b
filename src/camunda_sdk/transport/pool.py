"""The sync client's own httpx transport, which holds each exchange to its deadline.

httpx's sync client has no overall timeout, and httpcore reads its
per-operation timeout once per phase (response head, body), so it cannot be
shortened from outside while bytes trickle in. :class:`DeadlineTransport` is an
``httpx.HTTPTransport`` over an httpcore pool of its own, made with a network
backend that caps every socket operation (connect, TLS handshake, each write
and read) at the time left until the deadline the sync sender set for the
exchange running in this thread (:data:`camunda_sdk.transport.deadlines.current`).
So connecting, sending, waiting and reading the whole body together take no
longer than the request's timeout; the failure is the httpx timeout of the
operation that ran out of time (``ConnectTimeout``, ``WriteTimeout``,
``ReadTimeout``).

Proxies come from the environment as httpx reads them for a client that makes
its own transport (:func:`proxy_mounts`), each through a ``DeadlineTransport``.

A module of its own so that httpcore's network layer (h11, anyio) is imported
with the first sync client that sends, not with ``import camunda_sdk``.
"""

from __future__ import annotations

import ipaddress
import ssl
import time
from collections.abc import Iterable
from typing import Any
from urllib.request import getproxies

import httpcore
import httpx

from .deadlines import current
from .tls import client_context

__all__ = ["DeadlineTransport", "proxy_mounts"]


def _cap(timeout: float | None, error: type[Exception]) -> float | None:
    at = current.at
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
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
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
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _cap(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        )

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _cap(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _core_url(url: httpx.URL) -> httpcore.URL:
    return httpcore.URL(
        scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
    )


def _make_pool(
    context: ssl.SSLContext, proxy: httpx.Proxy | None, limits: httpx.Limits
) -> httpcore.ConnectionPool:
    # The pool httpx.HTTPTransport makes for these settings, on the deadline backend.
    settings: dict[str, Any] = {
        "ssl_context": context,
        "max_connections": limits.max_connections,
        "max_keepalive_connections": limits.max_keepalive_connections,
        "keepalive_expiry": limits.keepalive_expiry,
        "network_backend": _DeadlineBackend(httpcore.SyncBackend()),
    }
    if proxy is None:
        return httpcore.ConnectionPool(**settings)
    url = _core_url(proxy.url)
    if proxy.url.scheme in ("http", "https"):
        return httpcore.HTTPProxy(
            proxy_url=url,
            proxy_auth=proxy.raw_auth,
            proxy_headers=proxy.headers.raw,
            proxy_ssl_context=proxy.ssl_context,
            **settings,
        )
    # socks5 or socks5h: httpx.HTTPTransport, made first, refuses any other scheme.
    return httpcore.SOCKSProxy(proxy_url=url, proxy_auth=proxy.raw_auth, **settings)


class DeadlineTransport(httpx.HTTPTransport):
    """An ``httpx.HTTPTransport`` whose exchanges end at the deadline the sync sender sets.

    It sends through httpx's own ``handle_request`` (so what hooks that, vcrpy's
    cassettes and OpenTelemetry's httpx instrumentation, sees the SDK's
    requests), over a pool made with a network backend that caps every socket
    operation at the time left (see the module docstring). Without a deadline
    set (an ``httpx.Client`` used directly) it behaves as ``httpx.HTTPTransport``.

    Args:
        verify: ``True`` (certifi's CAs, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``, as
            httpx), ``False``, or an ``ssl.SSLContext`` (custom CA, mutual TLS).
        proxy: send through this proxy (``http``, ``https``, ``socks5``, ``socks5h``).
        limits: the pool's limits; httpx's defaults.
    """

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | bool = True,
        proxy: httpx.Proxy | None = None,
        limits: httpx.Limits | None = None,
    ) -> None:
        context = client_context(verify)
        limits = limits or httpx.Limits()
        super().__init__(verify=context, proxy=proxy, limits=limits)
        # httpx.HTTPTransport sends through the httpcore pool it keeps as `_pool`
        # and has no public way yet to give that pool a network backend
        # (encode/httpx#3749 proposes one). So the pool is made here, with
        # httpcore's public API and the same settings, and takes the place of the
        # one httpx made (unused: it has opened no connection).
        self._pool = _make_pool(context, proxy, limits)


def proxy_mounts(verify: ssl.SSLContext | bool) -> dict[str, httpx.BaseTransport | None]:
    """The proxies the environment names, as ``httpx.Client(mounts=...)``.

    The same as httpx's ``trust_env`` for a client that makes its own transport
    (one given ``transport=`` reads none): ``HTTP_PROXY``, ``HTTPS_PROXY`` and
    ``ALL_PROXY`` (a URL without a scheme is ``http://``), each through a
    :class:`DeadlineTransport`; ``NO_PROXY`` hosts (``*``: every host) go direct.
    """
    found = getproxies()
    direct = [name.strip() for name in found.get("no", "").split(",")]
    if "*" in direct:
        return {}
    mounts: dict[str, httpx.BaseTransport | None] = {}
    for scheme in ("http", "https", "all"):
        url = found.get(scheme)
        if url:
            proxy = httpx.Proxy(url if "://" in url else f"http://{url}")
            mounts[f"{scheme}://"] = DeadlineTransport(verify=verify, proxy=proxy)
    mounts.update((_direct(host), None) for host in direct if host)
    return mounts


def _direct(host: str) -> str:
    # The mount pattern of one NO_PROXY entry: a URL as it is, an IP address or
    # localhost exactly, a domain with its subdomains.
    if "://" in host:
        return host
    try:
        address = ipaddress.ip_address(host.split("/")[0])
    except ValueError:
        return f"all://{host}" if host.lower() == "localhost" else f"all://*{host}"
    return f"all://[{host}]" if address.version == 6 else f"all://{host}"
