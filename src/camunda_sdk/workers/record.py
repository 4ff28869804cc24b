"""One job a worker holds: :class:`JobRecord`, the one place the job's state changes.

The job's lifecycle (:mod:`camunda_sdk.workers.lifecycle`) makes a record when
the job is activated and drops it when the job's outcome was sent or given up.
Between, three things change it, each through a method here: the handler starts
and returns (:meth:`JobRecord.handler_started`, :meth:`JobRecord.handler_returned`),
the lease extension moves the deadline (:meth:`JobRecord.extend`), and the job's
client view notices the handler sending the outcome itself
(:meth:`JobRecord.report`).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..operations.models import ActivatedJobResult
    from .outcome import OutcomeKind

__all__ = ["JobRecord"]


class JobRecord:
    """A job from its activation until its outcome is sent (see the module docstring).

    Attributes:
        job: the activated job.
        key: its key as a string (how the worker's records are keyed).
        margin: how long before the deadline sending anything becomes pointless.
    """

    __slots__ = ("_deadline", "_handler_running", "_reported", "job", "key", "margin")

    def __init__(self, job: ActivatedJobResult, deadline: float, margin: float) -> None:
        self.job = job
        self.key = str(job.job_key)
        self.margin = margin
        self._deadline = deadline
        self._handler_running = False
        self._reported: OutcomeKind | None = None

    @classmethod
    def activated(
        cls,
        job: ActivatedJobResult,
        activated_at: float,
        timeout_milliseconds: int,
        deadline_margin: float,
    ) -> JobRecord:
        """The record of ``job``, activated by a poll sent at loop time ``activated_at``."""
        timeout = timeout_milliseconds / 1000
        remaining = timeout
        deadline = job.deadline
        if isinstance(deadline, int):
            # The cluster's deadline, unless the clocks disagree wildly: then our own
            # count from the poll (which started before the activation) is safer.
            by_server = deadline / 1000 - time.time()
            if 0 < by_server <= timeout + 60:
                remaining = min(remaining, by_server)
        return cls(job, activated_at + remaining, min(deadline_margin, timeout / 10))

    @property
    def lease_token(self) -> str | None:
        """The job's lease token (None from servers that issue none)."""
        return self.job.lease_token

    @property
    def deadline(self) -> float:
        """Loop time at which the cluster takes the job back (moved by extensions)."""
        return self._deadline

    @property
    def give_up_at(self) -> float:
        """Loop time after which sending anything for the job is pointless."""
        return self._deadline - self.margin

    @property
    def handler_running(self) -> bool:
        """Whether the handler runs: only its own calls count as reporting the outcome."""
        return self._handler_running

    @property
    def reported(self) -> OutcomeKind | None:
        """What the handler made of the job through its client, or None."""
        return self._reported

    def handler_started(self) -> None:
        """The job's chain (middleware, then the handler) starts."""
        self._handler_running = True

    def handler_returned(self) -> None:
        """The chain returned or raised: calls from now on are not the handler's."""
        self._handler_running = False

    def extend(self, deadline: float) -> None:
        """The cluster extended the job's timeout: it now ends at loop time ``deadline``."""
        self._deadline = deadline

    def report(self, kind: OutcomeKind) -> None:
        """The handler sent the job's outcome itself; the worker sends nothing more."""
        self._reported = kind

    def __repr__(self) -> str:
        return f"JobRecord(key={self.key!r}, handler_running={self._handler_running})"
