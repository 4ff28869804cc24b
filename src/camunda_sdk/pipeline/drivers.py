"""The two drivers: the only code that differs between the sync and async clients.

A driver runs a handler's generator: it carries out each yielded effect,
sends the outcome back in, throws failures in (so retry and backpressure can
react), and closes the generator in ``finally`` (so permits are released and
spans ended even when the caller is cancelled).

Each driver sends through a sender, :class:`SyncSender` or :class:`AsyncSender`:
the interface is stated here, beside the drivers that call it, and
:mod:`camunda_sdk.transport` implements it (httpx for the sync client, httpx
or aiohttp for the async one).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from .effects import Emit, Flow

if TYPE_CHECKING:
    from .http import Request, Response

__all__ = ["CLOSED_SENDER", "AsyncDriver", "AsyncSender", "SyncDriver", "SyncSender"]


class SyncSender(Protocol):
    """What the sync driver sends through: one request in, its response (body read) out.

    ``send`` bounds the whole exchange (connect, send, wait, read the body) by
    ``request.timeout``, and raises transport failures as httpx's exception
    classes, their ``request`` the SDK's :class:`~camunda_sdk.pipeline.http.Request`
    (a timeout a :class:`httpx.TimeoutException`). A closed sender refuses to send
    with a ``RuntimeError``.
    """

    @property
    def is_closed(self) -> bool:
        """Whether :meth:`close` has run."""
        ...

    def send(self, request: Request) -> Response:
        """Send ``request`` within its timeout and read the whole body."""
        ...

    def close(self) -> None:
        """Close the connection pool."""
        ...


class AsyncSender(Protocol):
    """What the async driver sends through: :class:`SyncSender`'s contract, awaited."""

    @property
    def is_closed(self) -> bool:
        """Whether :meth:`aclose` has run."""
        ...

    async def send(self, request: Request) -> Response:
        """Send ``request`` within its timeout and read the whole body."""
        ...

    async def aclose(self) -> None:
        """Close the connection pool."""
        ...


T = TypeVar("T")


class _ClosedSender:
    """A sender that never had a pool: it refuses to send, as a closed one does."""

    is_closed = True

    def send(self, request: Request) -> Response:
        raise RuntimeError("the sender is closed")

    def close(self) -> None:
        pass

    async def aclose(self) -> None:
        pass


#: What a driver runs a client's closing flow with when the client never sent.
CLOSED_SENDER: Any = _ClosedSender()


class SyncDriver:
    """Runs handlers with a sync sender, ``time.sleep`` and thread locks.

    Args:
        sender: what to send through (:func:`camunda_sdk.transport.sync_sender`
            makes the client's; tests wrap an ``httpx.Client`` over a ``MockTransport``
            in a :class:`camunda_sdk.transport.HttpxSender`).
    """

    __slots__ = ("_locks", "_locks_guard", "send", "sender")

    def __init__(self, sender: SyncSender) -> None:
        self.sender = sender
        self.send = self.sender.send  # bound once: Send runs it on every request
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def close(self) -> None:
        """Close the sender's connection pool."""
        self.sender.close()

    def lock(self, name: str) -> threading.Lock:
        """Return the client-wide lock called ``name``."""
        lock = self._locks.get(name)
        if lock is None:
            with self._locks_guard:
                lock = self._locks.setdefault(name, threading.Lock())
        return lock

    def run(self, flow: Flow[T]) -> T:
        """Drive ``flow`` to completion and return its result."""
        try:
            effect = next(flow)
            while True:
                try:
                    outcome = effect.run_sync(self)
                except BaseException as exc:  # thrown in so stages can react or clean up
                    effect = flow.throw(exc)
                else:
                    effect = flow.send(outcome)
        except StopIteration as stop:
            return stop.value
        finally:
            flow.close()

    def iterate(self, flow: Flow[None]) -> Iterator[Any]:
        """Drive ``flow``, yielding the items of each :class:`Emit` to the caller.

        Stopping early (``break``, ``close()``) closes the flow, which ends it cleanly.
        """
        try:
            effect = next(flow)
            while True:
                if type(effect) is Emit:
                    yield from effect.items
                    effect = flow.send(None)
                    continue
                try:
                    outcome = effect.run_sync(self)
                except BaseException as exc:  # thrown in: the flow ends its span with it
                    effect = flow.throw(exc)
                else:
                    effect = flow.send(outcome)
        except StopIteration:
            return
        finally:
            flow.close()


class AsyncDriver:
    """Runs handlers with an async sender, ``asyncio.sleep`` and asyncio locks.

    Args:
        sender: what to send through (:func:`camunda_sdk.transport.async_sender`
            makes the client's).
    """

    __slots__ = ("_locks", "send", "sender")

    def __init__(self, sender: AsyncSender) -> None:
        self.sender = sender
        self.send = self.sender.send
        self._locks: dict[str, asyncio.Lock] = {}

    async def aclose(self) -> None:
        """Close the sender's connection pool."""
        await self.sender.aclose()

    def lock(self, name: str) -> asyncio.Lock:
        """Return the client-wide lock called ``name`` (one event loop per client)."""
        lock = self._locks.get(name)
        if lock is None:
            lock = self._locks[name] = asyncio.Lock()
        return lock

    async def run(self, flow: Flow[T]) -> T:
        """Drive ``flow`` to completion and return its result."""
        try:
            effect = next(flow)
            while True:
                try:
                    outcome = await effect.run_async(self)
                except BaseException as exc:  # includes CancelledError: stages clean up
                    effect = flow.throw(exc)
                else:
                    effect = flow.send(outcome)
        except StopIteration as stop:
            return stop.value
        finally:
            flow.close()

    async def iterate(self, flow: Flow[None]) -> AsyncIterator[Any]:
        """Drive ``flow``, yielding the items of each :class:`Emit` to the caller.

        Stopping early (``aclose()``) closes the flow, which ends it cleanly.
        """
        try:
            effect = next(flow)
            while True:
                if type(effect) is Emit:
                    for item in effect.items:
                        yield item
                    effect = flow.send(None)
                    continue
                try:
                    outcome = await effect.run_async(self)
                except BaseException as exc:
                    effect = flow.throw(exc)
                else:
                    effect = flow.send(outcome)
        except StopIteration:
            return
        finally:
            flow.close()
