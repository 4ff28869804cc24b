"""Effects: the I/O requests a stage yields for a driver to carry out.

A stage never sleeps, sends or blocks itself; it yields one of these and
receives the outcome (or has the failure thrown back in). Each effect knows how
to run under the sync and the async driver: these leaf primitives are the only
place where the two worlds differ.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections.abc import Awaitable, Generator, Iterable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from .http import Request, Response

__all__ = [
    "Acquire",
    "AsyncRunner",
    "Await",
    "CloseSender",
    "Effect",
    "Emit",
    "Flow",
    "Send",
    "Sleep",
    "SyncRunner",
]

T = TypeVar("T")


class SyncRunner(Protocol):
    """What an effect needs from the sync driver that carries it out."""

    def send(self, request: Request, /) -> Response: ...

    def lock(self, name: str) -> threading.Lock: ...

    def close(self) -> None: ...


class AsyncRunner(Protocol):
    """What an effect needs from the async driver that carries it out."""

    async def send(self, request: Request, /) -> Response: ...

    def lock(self, name: str) -> asyncio.Lock: ...

    async def aclose(self) -> None: ...


class Effect:
    """Base class: override :meth:`run_sync` and :meth:`run_async`."""

    __slots__ = ()

    def run_sync(self, driver: SyncRunner) -> Any:
        raise NotImplementedError

    async def run_async(self, driver: AsyncRunner) -> Any:
        raise NotImplementedError


#: A flow: a generator that yields effects, is sent their outcomes and returns a
#: result. A call through the stage chain is one, and so is every read helper
#: built on calls (a consistency wait, a paged read, a typed-variables read), so
#: each is written once and run by either driver.
Flow = Generator[Effect, Any, T]


class Send(Effect):
    """Send ``request`` and resume with its :class:`~camunda_sdk.pipeline.http.Response`.

    The body is read in full. Transport failures (httpx's exception classes
    on every transport, ``httpx.TransportError``) are thrown into the stage.
    """

    __slots__ = ("request",)

    def __init__(self, request: Request) -> None:
        self.request = request

    def run_sync(self, driver: SyncRunner) -> Response:
        return driver.send(self.request)

    async def run_async(self, driver: AsyncRunner) -> Response:
        return await driver.send(self.request)


class Sleep(Effect):
    """Pause this call for ``seconds`` (retry backoff, backpressure backoff)."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def run_sync(self, driver: SyncRunner) -> None:
        time.sleep(self.seconds)

    async def run_async(self, driver: AsyncRunner) -> None:
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

    def run_sync(self, driver: SyncRunner) -> threading.Lock:
        lock = driver.lock(self.name)
        lock.acquire()
        return lock

    async def run_async(self, driver: AsyncRunner) -> asyncio.Lock:
        lock = driver.lock(self.name)
        await lock.acquire()
        return lock


class Emit(Effect):
    """Hand ``items`` to the caller of a driver's ``iterate`` (a paged read), then resume.

    Only ``SyncDriver.iterate`` and ``AsyncDriver.iterate`` carry it out: the
    caller iterates over what the flow emits, and the flow resumes (with None)
    when the caller asks for the item after the last. ``run`` refuses it.
    """

    __slots__ = ("items",)

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items

    def run_sync(self, driver: SyncRunner) -> None:
        raise TypeError("Emit is carried out by a driver's iterate(), not by run()")

    async def run_async(self, driver: AsyncRunner) -> None:
        raise TypeError("Emit is carried out by a driver's iterate(), not by run()")


class Await(Effect):
    """Wait for ``awaitable`` (what a close callback returned) and resume with its result.

    The sync driver has no event loop to wait on: it refuses with a ``TypeError``
    naming ``what`` (the awaitable is closed, so no "never awaited" warning follows).
    """

    __slots__ = ("awaitable", "what")

    def __init__(self, awaitable: Awaitable[Any], what: str) -> None:
        self.awaitable = awaitable
        self.what = what

    def run_sync(self, driver: SyncRunner) -> Any:
        if inspect.iscoroutine(self.awaitable):
            self.awaitable.close()
        raise TypeError(
            f"{self.what} returned an awaitable, but CamundaClient.close() cannot await it"
        )

    async def run_async(self, driver: AsyncRunner) -> Any:
        return await self.awaitable


class CloseSender(Effect):
    """Close the connection pool of the driver that runs the flow (closing a client)."""

    __slots__ = ()

    def run_sync(self, driver: SyncRunner) -> None:
        driver.close()

    async def run_async(self, driver: AsyncRunner) -> None:
        await driver.aclose()
