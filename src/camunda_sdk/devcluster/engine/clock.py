"""The engine's clock: wall time unless a test pins it (Camunda's `pinClock` / `resetClock`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone

from camunda_sdk.devcluster.engine.errors import InvalidArgument

__all__ = ["Clock", "format_timestamp"]


class Clock:
    """Milliseconds since the epoch, from the system clock or from a pinned instant.

    Timers, job deadlines and message time-to-live all read this clock, so pinning it three
    days ahead fires a three-day timer at once. Listeners (the engine's `advance`) are called
    after every `pin` and `reset`, so due timers fire without waiting for the next request.
    """

    def __init__(self) -> None:
        self._pinned: int | None = None
        self._listeners: list[Callable[[], object]] = []

    def now(self) -> int:
        """The current instant in epoch milliseconds (the pinned one while pinned)."""
        if self._pinned is not None:
            return self._pinned
        return time.time_ns() // 1_000_000

    @property
    def pinned(self) -> int | None:
        """The pinned instant, or None while the clock follows the system clock."""
        return self._pinned

    def pin(self, epoch_ms: int) -> None:
        """Stop the clock at `epoch_ms`; it stays there until pinned again or reset."""
        if isinstance(epoch_ms, bool) or not isinstance(epoch_ms, int) or epoch_ms < 0:
            raise InvalidArgument(
                f"the clock can be pinned to a non-negative epoch millisecond, not {epoch_ms!r}"
            )
        self._pinned = epoch_ms
        self._notify()

    def reset(self) -> None:
        """Follow the system clock again."""
        self._pinned = None
        self._notify()

    def add_listener(self, listener: Callable[[], object]) -> None:
        """Call `listener()` after each pin or reset."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[], object]) -> None:
        """Stop calling `listener` (its engine was replaced by a fresh one)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()


_cache: tuple[int, str] = (-1, "")


def format_timestamp(epoch_ms: int) -> str:
    """Epoch milliseconds as the API renders date-times: `2024-05-01T10:00:00.000Z`."""
    global _cache
    second, millis = divmod(epoch_ms, 1000)
    cached_second, prefix = _cache  # one tuple, so a reader on another thread sees a pair
    if second != cached_second:
        moment = datetime.fromtimestamp(second, tz=timezone.utc)
        prefix = moment.strftime("%Y-%m-%dT%H:%M:%S.")
        _cache = (second, prefix)
    return f"{prefix}{millis:03d}Z"
