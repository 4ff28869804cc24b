"""The dev cluster's clock: real time, or a time a test pinned.

`pinClock` and `resetClock` act on one :class:`Clock` that the HTTP layer and the
engine share: timers, due dates and every timestamp the cluster writes read
:meth:`Clock.now_ms`, so pinning the clock three days ahead fires a three-day
timer at once. Indexing lag is measured on the monotonic clock instead (see
`store.py`): pinning business time must not make secondary storage jump.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone

__all__ = ["Clock", "iso_from_ms"]


class Clock:
    """Epoch milliseconds, either the wall clock or a pinned instant.

    Listeners registered with :meth:`on_change` are called (with the new
    `now_ms()`) after every pin and reset, so the engine can fire the timers the
    jump made due without polling.
    """

    __slots__ = ("_listeners", "_lock", "_pinned", "_wall")

    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self._pinned: int | None = None
        self._lock = threading.Lock()
        self._listeners: list[Callable[[int], None]] = []

    def now_ms(self) -> int:
        """The current time in epoch milliseconds (the pinned one when pinned)."""
        pinned = self._pinned
        return int(self._wall() * 1000) if pinned is None else pinned

    @property
    def pinned(self) -> bool:
        """Whether the clock is pinned."""
        return self._pinned is not None

    def pin(self, epoch_ms: int) -> None:
        """Hold the clock at `epoch_ms` until the next pin or reset."""
        if isinstance(epoch_ms, bool) or not isinstance(epoch_ms, int):
            raise TypeError(f"epoch_ms must be an int, got {type(epoch_ms).__name__}")
        with self._lock:
            self._pinned = epoch_ms
        self._notify()

    def reset(self) -> None:
        """Follow the wall clock again."""
        with self._lock:
            self._pinned = None
        self._notify()

    def on_change(self, listener: Callable[[int], None]) -> None:
        """Call `listener(now_ms)` after every pin and reset."""
        self._listeners.append(listener)

    def _notify(self) -> None:
        now = self.now_ms()
        for listener in list(self._listeners):
            listener(now)

    def iso_now(self) -> str:
        """The current time as the cluster writes dates (see :func:`iso_from_ms`)."""
        return iso_from_ms(self.now_ms())


def iso_from_ms(epoch_ms: int) -> str:
    """`2026-08-01T12:00:00.000+00:00`: ISO 8601 with milliseconds and an explicit offset.

    An offset rather than `Z`, because `datetime.fromisoformat` before Python 3.11
    refuses `Z`.
    """
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds")
