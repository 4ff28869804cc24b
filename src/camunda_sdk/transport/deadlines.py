"""The deadline of an exchange: its timeout bounds connect, send, wait and the whole body.

httpx's own timeouts bound each network operation, so a server that sends one
byte at a time would keep a call alive indefinitely. Each sender therefore
reads ``Request.timeout`` and bounds the whole exchange by it:

- the async senders (httpx and aiohttp) await the exchange under
  :func:`within`, an ``asyncio`` timeout that raises :class:`ExchangeTimeout`;
- the sync sender sets :data:`current` for the exchange it runs in this
  thread, and the sync client's own httpx transport
  (:class:`camunda_sdk.transport.pool.DeadlineTransport`) caps every socket
  operation at the time left until it.

Nothing here imports httpcore: that waits for the first sync client that sends.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx

from ..pipeline.http import Request

__all__ = ["ExchangeTimeout", "current", "within"]

_T = TypeVar("_T")


class ExchangeTimeout(httpx.ReadTimeout):
    """The exchange (connect, send, wait, read the body) outlasted the request's timeout.

    A :class:`httpx.ReadTimeout`, so the retry stage, backpressure and the job
    worker treat it as any other timeout: the request may have reached the
    server, and only idempotent operations are replayed.

    Attributes:
        seconds: the timeout that was exceeded.
    """

    def __init__(self, seconds: float, *, request: Request) -> None:
        # httpx only stores the request; the SDK's own Request serves as well.
        super().__init__(f"no complete response within {seconds:g} s", request=request)  # type: ignore[arg-type]
        self.seconds = seconds


async def within(seconds: float, exchange: Coroutine[Any, Any, _T], request: Request) -> _T:
    """Await ``exchange``, raising :class:`ExchangeTimeout` once ``seconds`` have passed.

    Outer cancellation is unaffected: only this timeout's expiry becomes the error.
    """
    try:
        if sys.version_info >= (3, 11):
            async with asyncio.timeout(seconds):
                return await exchange
        else:  # pragma: no cover - Python 3.10 has no asyncio.timeout
            return await asyncio.wait_for(exchange, seconds)
    except asyncio.TimeoutError:  # the builtin TimeoutError from Python 3.11 on
        raise ExchangeTimeout(seconds, request=request) from None


class _Deadline(threading.local):
    # A sync httpx client sends in the caller's thread, and one connection serves
    # one request at a time, so the deadline set in this thread is its exchange's.
    at: float | None = None  # a time.monotonic() value; None: no exchange bounded


#: The deadline of the sync exchange running in this thread (see the module docstring).
current = _Deadline()
