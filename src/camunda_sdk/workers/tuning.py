"""The worker's timing knobs: :class:`WorkerTuning` and its :class:`Backoff` policies."""

from __future__ import annotations

import random
from collections.abc import Callable

import attrs

__all__ = ["Backoff", "WorkerTuning"]


@attrs.frozen
class Backoff:
    """Exponential backoff with jitter: ``initial * multiplier**attempt``, capped.

    The delay is drawn uniformly from the upper half of that value, so workers
    restarted together drift apart.
    """

    initial: float
    maximum: float
    multiplier: float = 2.0

    def delay(self, attempt: int, rand: Callable[[], float]) -> float:
        """The delay in seconds before retry number ``attempt`` (from 0)."""
        base = min(self.maximum, self.initial * self.multiplier ** min(attempt, 32))
        return base * (0.5 + 0.5 * rand())


@attrs.frozen(kw_only=True)
class WorkerTuning:
    """Timing knobs of the runtime; the defaults suit production, tests shrink them.

    Attributes:
        poll_backoff: delays after failed activation requests.
        idle_backoff: delays after empty answers that came back at once.
        outcome_backoff: delays between attempts to deliver a completion, failure
            or BPMN error (attempts go on until shortly before the job's deadline).
        deadline_margin: seconds before the job's deadline at which delivery
            gives up (at most this, and at most a tenth of the job timeout).
        shutdown_timeout: seconds a stopping worker waits for running handlers.
        activation_threshold: the share of ``max_concurrent_jobs`` that should be
            free before the next activation while jobs run, so the cluster
            answers fewer, fuller requests (not one for a single job the moment
            one finishes);
        activation_delay: ... but a free slot waits at most this many seconds
            for the others, so slow jobs do not leave slots idle.
        random: the jitter source (``random.random``).
    """

    poll_backoff: Backoff = Backoff(0.2, 10.0)
    idle_backoff: Backoff = Backoff(0.05, 1.0)
    outcome_backoff: Backoff = Backoff(0.1, 2.0)
    deadline_margin: float = 1.0
    shutdown_timeout: float = 30.0
    activation_threshold: float = 0.75
    activation_delay: float = 0.02
    random: Callable[[], float] = random.random
