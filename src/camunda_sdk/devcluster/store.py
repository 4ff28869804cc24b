"""Secondary storage on purpose: an index that sees writes only after a lag.

On a real cluster, searches and most gets read an exporter-fed secondary store
(Elasticsearch, OpenSearch, a relational database) that trails the engine; the
spec marks these operations `x-eventually-consistent`. The dev cluster keeps the
same split so that code which forgets to wait fails here as it would there:

- the primary state (identity records, the engine) is the truth, read and written
  at once by commands and by the reads that are not eventually consistent;
- every change is also *exported* to the :class:`Index` as a snapshot of the
  record in API shape (an outbox entry stamped with the monotonic time);
- a read of the index asks for the state "as of now minus the lag": entries older
  than that are applied in order, younger ones stay in the outbox.

So a read returns exactly what an index that applies each export `lag_ms` after it
was written would hold: per-collection versioned snapshots, no thread, no timer.
With `lag_ms=0` the index is up to date on every read. Lag runs on the monotonic
clock, not on the (pinnable) business clock of the engine.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from typing import Any

__all__ = ["Index"]


class Index:
    """Collections of records as secondary storage sees them, `lag_ms` behind.

    Writers call :meth:`put` and :meth:`delete` (cheap: one outbox append);
    readers call :meth:`get`, :meth:`records` or :meth:`collection`, which first
    apply every outbox entry at least `lag_ms` old. A record is stored as a
    shallow copy: a writer may go on changing its own dict, but must hand in new
    nested lists and dicts rather than mutate the ones it exported (a deep copy
    per export would cost more than the rest of a job's life).
    """

    def __init__(self, lag_ms: float = 50, monotonic: Callable[[], float] = time.monotonic):
        if lag_ms < 0:
            raise ValueError(f"lag_ms must be 0 or more, got {lag_ms}")
        self.lag_ms = lag_ms
        self._monotonic = monotonic
        self._outbox: deque[tuple[float, str, Any, dict[str, Any] | None]] = deque()
        self._visible: dict[str, dict[Any, dict[str, Any]]] = {}

    # -- writing ------------------------------------------------------------------

    def put(self, collection: str, key: Any, record: Mapping[str, Any]) -> None:
        """Export the new state of one record (a snapshot is taken now)."""
        self._outbox.append((self._monotonic(), collection, key, dict(record)))
        if self.lag_ms == 0:
            self._catch_up()

    def put_many(self, entries: list[tuple[str, Any, dict[str, Any]]]) -> None:
        """Export several records at once: `(collection, key, record)` each, one timestamp.

        The records are taken as they are (not copied): the caller hands in fresh dicts.
        """
        stamp = self._monotonic()
        self._outbox.extend((stamp, c, k, r) for c, k, r in entries)
        if self.lag_ms == 0:
            self._catch_up()

    def delete(self, collection: str, key: Any) -> None:
        """Export the removal of one record."""
        self._outbox.append((self._monotonic(), collection, key, None))
        if self.lag_ms == 0:
            self._catch_up()

    def clear(self) -> None:
        """Forget everything, visible and pending (a cluster reset)."""
        self._outbox.clear()
        self._visible.clear()

    # -- reading ------------------------------------------------------------------

    def get(self, collection: str, key: Any) -> dict[str, Any] | None:
        """The record as the index holds it now, or None."""
        self._catch_up()
        return self._visible.get(collection, {}).get(key)

    def records(self, collection: str) -> Iterator[dict[str, Any]]:
        """Every record of `collection` the index holds now (insertion order)."""
        self._catch_up()
        return iter(list(self._visible.get(collection, {}).values()))

    def collection(self, collection: str) -> Mapping[Any, dict[str, Any]]:
        """The visible records of `collection`, by key (a read-only view; do not keep)."""
        self._catch_up()
        return self._visible.get(collection, {})

    @property
    def pending(self) -> int:
        """How many exported changes are not visible yet."""
        return len(self._outbox)

    def flush(self) -> None:
        """Make every pending change visible now (for tests that do not test lag)."""
        while self._outbox:
            self._apply(self._outbox.popleft())

    def _catch_up(self) -> None:
        outbox = self._outbox
        if not outbox:
            return
        horizon = self._monotonic() - self.lag_ms / 1000
        while outbox and outbox[0][0] <= horizon:
            self._apply(outbox.popleft())

    def _apply(self, entry: tuple[float, str, Any, dict[str, Any] | None]) -> None:
        _, collection, key, record = entry
        rows = self._visible.setdefault(collection, {})
        if record is None:
            rows.pop(key, None)
        else:
            rows[key] = record
