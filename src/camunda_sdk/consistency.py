"""``ConsistencyOptions``: how an eventually consistent read waits for its answer.

A plain value, at the bottom of the house: the generated operation methods take
it (``consistency=``), and :mod:`camunda_sdk.reading.eventual` carries the wait out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["MIN_POLL_INTERVAL_MS", "ConsistencyOptions"]

R = TypeVar("R")  # the result a predicate is given

#: The shortest pause between two attempts: a smaller interval is raised to it,
#: so a wait never busy-loops against the cluster.
MIN_POLL_INTERVAL_MS = 10


@dataclass(frozen=True)
class ConsistencyOptions(Generic[R]):
    """How long to wait for an eventually consistent read, and what counts as done.

    Generic in the result the predicate receives: given inline, as in
    ``client.search_jobs(consistency=ConsistencyOptions(..., predicate=lambda r: ...))``,
    a type checker knows ``r`` is the operation's result.

    Attributes:
        wait_up_to_ms: the longest the wait may take, in milliseconds; ``0`` makes
            one call and returns (or raises) its answer as it is.
        poll_interval_ms: the pause between attempts (at least 10 ms).
        predicate: called with each successful result; the wait ends when it
            returns True. Default: a non-empty ``items`` list for searches, any
            answer for reads by key. An exception it raises ends the wait and
            propagates as it is.
    """

    wait_up_to_ms: int
    poll_interval_ms: int = 500
    predicate: Callable[[R], bool] | None = None

    def __post_init__(self) -> None:
        if self.wait_up_to_ms < 0:
            raise ValueError(f"wait_up_to_ms must be 0 or more, got {self.wait_up_to_ms}")
        if self.poll_interval_ms < 0:
            raise ValueError(f"poll_interval_ms must be 0 or more, got {self.poll_interval_ms}")
