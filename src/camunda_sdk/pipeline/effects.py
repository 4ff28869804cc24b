"""Effects: the I/O requests a stage yields for a driver to carry out.

A stage never sleeps, sends or blocks itself; it yields one of these and
receives the outcome (or has the failure thrown back in). Each effect knows how
to run under the sync and the async driver: these leaf primitives are the only
place where the two worlds differ.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .drivers import AsyncDriver, SyncDriver
    from .http import Request, Response

__all__ = ["Acquire", "Effect", "Send", "Sleep"]


class Effect:
    """Base class: override :meth:`run_sync` and :meth:`run_async`."""

    __slots__ = ()

    def run_sync(self, driver: SyncDriver) -> Any:
        raise NotImplementedError

    async def run_async(self, driver: AsyncDriver) -> Any:
        raise NotImplementedError


class Send(Effect):
    """Send ``request`` and resume with its :class:`~camunda_sdk.pipeline.http.Response`.

    The body is read in full. Transport failures (httpx's exception classes
    on every transport, ``httpx.TransportError``) are thrown into the stage.
    """

    __slots__ = ("request",)

    def __init__(self, request: Request) -> None:
        self.request = request

    def run_sync(self, driver: SyncDriver) -> Response:
        return driver.send(self.request)

    async def run_async(self, driver: AsyncDriver) -> Response:
        return await driver.send(self.request)


class Sleep(Effect):
    """Pause this call for ``seconds`` (retry backoff, backpressure backoff)."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def run_sync(self, driver: SyncDriver) -> None:
        time.sleep(self.seconds)

    async def run_async(self, driver: AsyncDriver) -> None:
        await asyncio.sleep(self.seconds)


class Acquire(Effect):
    """Take the client-wide lock called ``name``; resume with the lock object.

    Release it with ``lock.release()`` in a ``finally`` block (a plain call, not
    an effect: both ``threading.Lock`` and ``asyncio.Lock`` release synchronously,
    which also works while the generator is being closed on cancellation)::

        lock = yield Acquire("oauth-token")
        try:
            ...
        finally:
            lock.release()
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def run_sync(self, driver: SyncDriver) -> threading.Lock:
        lock = driver.lock(self.name)
        lock.acquire()
        return lock

    async def run_async(self, driver: AsyncDriver) -> asyncio.Lock:
        lock = driver.lock(self.name)
        await lock.acquire()
        return lock
