"""The two drivers: the only code that differs between the sync and async clients.

A driver runs a handler's generator: it carries out each yielded effect,
sends the outcome back in, throws failures in (so retry and backpressure can
react), and closes the generator in ``finally`` (so permits are released and
spans ended even when the caller is cancelled).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Generator
from typing import Any

import httpx

from .effects import Effect

__all__ = ["AsyncDriver", "SyncDriver"]


class SyncDriver:
    """Runs handlers with ``httpx.Client``, ``time.sleep`` and thread locks."""

    __slots__ = ("_locks", "_locks_guard", "http")

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def lock(self, name: str) -> threading.Lock:
        """Return the client-wide lock called ``name``."""
        lock = self._locks.get(name)
        if lock is None:
            with self._locks_guard:
                lock = self._locks.setdefault(name, threading.Lock())
        return lock

    def run(self, flow: Generator[Effect, Any, Any]) -> Any:
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


class AsyncDriver:
    """Runs handlers with ``httpx.AsyncClient``, ``asyncio.sleep`` and asyncio locks."""

    __slots__ = ("_locks", "http")

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self._locks: dict[str, asyncio.Lock] = {}

    def lock(self, name: str) -> asyncio.Lock:
        """Return the client-wide lock called ``name`` (one event loop per client)."""
        lock = self._locks.get(name)
        if lock is None:
            lock = self._locks[name] = asyncio.Lock()
        return lock

    async def run(self, flow: Generator[Effect, Any, Any]) -> Any:
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
