"""Transport: from a call's :class:`~camunda_sdk.pipeline.http.Request` to its response on the wire.

The walk of one request:

1. The built-in ``transport`` plugin, the innermost stage, builds the request
   from the call (:func:`~camunda_sdk.transport.request.build_request`: URL,
   query, headers, body, and ``Request.timeout``: the call's ``timeout`` option,
   else ``CAMUNDA_SDK_TIMEOUT_MS``; 0 is none) and yields it as a ``Send``.
   Every outer stage may change it on the way down.
2. The driver hands it to its sender, made at the client's first call by
   :func:`sync_sender` or :func:`async_sender` from the configuration (TLS:
   :mod:`~camunda_sdk.transport.tls`; ``CAMUNDA_SDK_HTTP_TRANSPORT``) and the
   client's ``transport=``.
3. The sender reads ``Request.timeout`` once and bounds the whole exchange
   (connect, send, wait, read the body) by it
   (:mod:`~camunda_sdk.transport.deadlines`): :class:`HttpxSender` over an
   ``httpx.Client`` whose own transport caps every socket operation at the
   deadline (:mod:`~camunda_sdk.transport.pool`); :class:`AsyncHttpxSender`
   over an ``httpx.AsyncClient`` and
   :class:`~camunda_sdk.transport.aiohttp_async.AiohttpSender` over aiohttp,
   both under an asyncio timeout.
4. It answers with a :class:`~camunda_sdk.pipeline.http.Response`, the body
   read, or raises httpx's exception class for the failure on every transport
   (aiohttp's mapped), whose ``request`` is the SDK's ``Request``; running out
   of time is a ``httpx.TimeoutException`` (:class:`ExchangeTimeout` on the
   async senders).

The sender interface, :class:`SyncSender` and :class:`AsyncSender`, is stated
in :mod:`camunda_sdk.pipeline.drivers` beside the drivers that call it (the
pipeline layer sits below this package) and exported here with the senders.
"""

from ..pipeline.drivers import AsyncSender, SyncSender
from .choice import HTTP_TRANSPORT, aiohttp_installed, async_sender, sync_sender
from .deadlines import ExchangeTimeout
from .httpx_async import AsyncHttpxSender
from .httpx_sync import HttpxSender

__all__ = [
    "HTTP_TRANSPORT",
    "AsyncHttpxSender",
    "AsyncSender",
    "ExchangeTimeout",
    "HttpxSender",
    "SyncSender",
    "aiohttp_installed",
    "async_sender",
    "sync_sender",
]
