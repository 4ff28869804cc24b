"""Which sender a client sends through: one function per client.

:func:`sync_sender` serves :class:`~camunda_sdk.CamundaClient`,
:func:`async_sender` the async client; each takes the client's configuration
and the ``transport=`` its user gave. Both are called at the client's first
call (building the TLS context costs tens of milliseconds), and import httpcore
or aiohttp only then.
"""

from __future__ import annotations

import httpx

from ..errors import ConfigurationError
from ..pipeline.drivers import AsyncSender, SyncSender
from ..settings import CamundaConfig, Setting
from .httpx_async import AsyncHttpxSender
from .httpx_sync import HttpxSender
from .tls import client_context, verify

__all__ = ["HTTP_TRANSPORT", "aiohttp_installed", "async_sender", "sync_sender"]

INSTALL_HINT = "pip install 'camunda-sdk[aiohttp]'"

#: Which transport the async client sends through; declared by the ``transport``
#: plugin, read by :func:`async_sender`. The sync client always sends through httpx.
HTTP_TRANSPORT: Setting[str] = Setting(
    "CAMUNDA_SDK_HTTP_TRANSPORT",
    "choice",
    choices=("auto", "httpx", "aiohttp"),
    default="auto",
    description="Async client transport: auto (aiohttp when installed), httpx or aiohttp.",
)


def aiohttp_installed() -> bool:
    """Whether aiohttp can be imported."""
    try:
        import aiohttp  # noqa: F401  # pyright: ignore[reportUnusedImport]
    except ImportError:
        return False
    return True


def sync_sender(config: CamundaConfig, transport: httpx.BaseTransport | None) -> SyncSender:
    """The sync client's sender: an :class:`HttpxSender` over an ``httpx.Client``.

    Without ``transport``, the client sends through the SDK's own
    :class:`~camunda_sdk.transport.pool.DeadlineTransport` (the whole-exchange
    deadline, the configured TLS) and, for the proxies the environment names,
    through one each (:func:`~camunda_sdk.transport.pool.proxy_mounts`). A
    ``transport`` given is used as it is, for every URL: its exchanges are held
    to the request's timeout per operation (connect, write, each read), and TLS
    and proxies are its own.
    """
    tls = verify(config)  # also beside a transport given: a bad TLS setting fails alike
    if transport is not None:
        return HttpxSender(httpx.Client(transport=transport))
    # Imported here: httpcore's network layer loads with the first sync call.
    from .pool import DeadlineTransport, proxy_mounts

    context = client_context(tls)  # one for the direct pool and every proxy's
    return HttpxSender(
        httpx.Client(transport=DeadlineTransport(verify=context), mounts=proxy_mounts(context))
    )


def async_sender(config: CamundaConfig, transport: httpx.AsyncBaseTransport | None) -> AsyncSender:
    """The async client's sender: aiohttp's or httpx's, by ``CAMUNDA_SDK_HTTP_TRANSPORT``.

    A ``transport`` given wins: an :class:`AsyncHttpxSender` over an
    ``httpx.AsyncClient`` on it, whatever the setting. Otherwise ``httpx`` is
    that sender on httpx's own transport (with the configured TLS and the
    environment's proxies), ``aiohttp`` the
    :class:`~camunda_sdk.transport.aiohttp_async.AiohttpSender` (a
    :class:`ConfigurationError` saying what to install when aiohttp is not),
    and ``auto`` aiohttp when it is importable, else httpx. Every one of them
    bounds the whole exchange by the request's timeout.
    """
    tls = verify(config)  # also beside a transport given: a bad TLS setting fails alike
    if transport is not None:
        return AsyncHttpxSender(httpx.AsyncClient(transport=transport))
    choice = HTTP_TRANSPORT.read(config)
    if choice != "httpx" and aiohttp_installed():
        from .aiohttp_async import AiohttpSender

        return AiohttpSender(verify=tls)
    if choice == "aiohttp":
        raise ConfigurationError(
            f"{HTTP_TRANSPORT.key}=aiohttp needs the aiohttp extra: {INSTALL_HINT}",
            variable=HTTP_TRANSPORT.key,
        )
    return AsyncHttpxSender(httpx.AsyncClient(verify=tls))
