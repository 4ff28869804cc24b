"""Waiting for eventually consistent reads: ``consistency=ConsistencyOptions(...)``.

Searches and reads are served from a secondary store that lags behind the
engine, so data written a moment ago may not be visible yet. An operation the
spec marks ``x-eventually-consistent`` takes ``consistency=``; with it, the SDK
calls the operation until the answer satisfies the predicate:

- the default predicate: a non-empty ``items`` list for a result that has one
  (searches, statistics), any successful answer otherwise (reads by key);
- a 404 means "not visible yet", and 429/502/503/504 mean "the cluster is busy":
  both keep the wait going (each attempt has already been through the retry stage);
- every other error (400, 401, 403, 409, 422, ...) ends the wait at once with its
  own error: waiting cannot fix the request.

The wait policy is a generator free of I/O that yields what to do next
(``ATTEMPT``, or a number of seconds to sleep) and is sent each attempt's
outcome (:func:`wait_flow`). :func:`wait` turns it into an effect flow that
either client's driver runs: each attempt is an ordinary call through the whole
pipeline (auth, backpressure, retry, tracing, logging), each pause a ``Sleep``
effect, and the attempts' spans are children of one span for the wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, TypeVar

from ..consistency import MIN_POLL_INTERVAL_MS, ConsistencyOptions
from ..errors import ApiError, CamundaError, EventualConsistencyTimeoutError
from ..pipeline.effects import Flow, Sleep

if TYPE_CHECKING:
    from ..pipeline.context import ClientContext

__all__ = [
    "ATTEMPT",
    "MIN_POLL_INTERVAL_MS",
    "ConsistencyOptions",
    "WaitState",
    "default_predicate",
    "wait",
    "wait_flow",
]

T = TypeVar("T")

# Answers that mean "try again later" rather than "this request is wrong".
_NOT_YET = frozenset({404})
_BUSY = frozenset({429, 502, 503, 504})


def default_predicate(result: Any) -> bool:
    """Done when a result with an ``items`` list has items; any other answer is done."""
    items = getattr(result, "items", None)
    if isinstance(items, list):
        return bool(items)
    return True


class WaitState:
    """What a wait has done so far (for the timeout error, the span and the log)."""

    __slots__ = ("attempts", "last_status", "outcome", "started")

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.attempts = 0
        self.last_status: int | None = None
        self.outcome = "error"  # until the flow says otherwise

    @property
    def elapsed_ms(self) -> int:
        """Milliseconds since the wait started."""
        return int((time.monotonic() - self.started) * 1000)


class _Attempt:
    __slots__ = ()

    def __repr__(self) -> str:
        return "ATTEMPT"


#: What the flow yields to ask for one more call.
ATTEMPT: Any = _Attempt()

#: A step of the flow: ATTEMPT, or the seconds to sleep before the next one. After an
#: ATTEMPT the driver sends ``(result, None)`` or ``(None, error)``; after a sleep, None.
Step = Any


def wait_flow(
    operation_id: str,
    options: ConsistencyOptions[Any],
    state: WaitState,
    predicate: Callable[[Any], bool] = default_predicate,
    *,
    keep_last: bool = False,
) -> Generator[Step, Any, Any]:
    """The wait policy, free of I/O: yields ATTEMPT or seconds to sleep; returns the result.

    Args:
        operation_id: named by the timeout error.
        options: the caller's options (their predicate wins over ``predicate``).
        state: updated as the wait goes, for the driver's span and log.
        predicate: the default test of a result.
        keep_last: on timeout, return the last successful result instead of
            raising (for helpers whose result reports what is missing itself).
    """
    test = options.predicate or predicate
    interval = max(MIN_POLL_INTERVAL_MS, options.poll_interval_ms) / 1000
    deadline = state.started + options.wait_up_to_ms / 1000
    last: Any = None
    answered = False
    while True:
        state.attempts += 1
        result, error = yield ATTEMPT
        if error is None:
            state.last_status = 200
            last, answered = result, True
            if test(result):
                state.outcome = "consistent"
                return result
        else:
            status = error.status if isinstance(error, ApiError) else None
            state.last_status = status
            if status not in _NOT_YET and status not in _BUSY:
                raise error  # waiting cannot change this answer
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            state.outcome = "timeout"
            if keep_last and answered:
                return last
            raise EventualConsistencyTimeoutError(
                operation_id,
                attempts=state.attempts,
                elapsed_ms=state.elapsed_ms,
                last_status=state.last_status,
            ) from error
        yield min(interval, remaining)  # never sleep past the deadline


def _span_attributes(operation_id: str, options: ConsistencyOptions[Any]) -> dict[str, Any]:
    return {
        "camunda.operation_id": operation_id,
        "camunda.consistency.wait_up_to_ms": options.wait_up_to_ms,
        "camunda.consistency.poll_interval_ms": max(MIN_POLL_INTERVAL_MS, options.poll_interval_ms),
    }


def _outcome_attributes(state: WaitState) -> dict[str, Any]:
    return {
        "camunda.consistency.attempts": state.attempts,
        "camunda.consistency.elapsed_ms": state.elapsed_ms,
        "camunda.consistency.outcome": state.outcome,
    }


def wait(
    context: ClientContext,
    operation_id: str,
    attempt: Callable[[], Flow[T]],
    options: ConsistencyOptions[Any],
    predicate: Callable[[Any], bool] = default_predicate,
    *,
    keep_last: bool = False,
) -> Flow[T]:
    """The wait as an effect flow, run by either client's driver (see :func:`wait_flow`).

    ``attempt()`` makes the flow of one attempt (a call, or a whole paged read);
    its span is a child of the wait's span, and only the SDK's errors are judged
    by the policy: anything else ends the wait as it is.
    """
    from ._spans import start_group_span

    state = WaitState()
    span = start_group_span(
        context, f"camunda.consistency.wait {operation_id}", _span_attributes(operation_id, options)
    )
    policy = wait_flow(operation_id, options, state, predicate, keep_last=keep_last)
    failure: BaseException | None = None
    try:
        step = next(policy)
        while True:
            if step is ATTEMPT:
                token = span.attach()  # current for this attempt only, never across a pause
                try:
                    outcome: Any = ((yield from attempt()), None)
                except CamundaError as exc:
                    outcome = (None, exc)
                finally:
                    span.detach(token)
            else:
                yield Sleep(step)
                outcome = None
            try:
                step = policy.send(outcome)
            except StopIteration as stop:  # the policy's own end
                return stop.value
    except BaseException as exc:
        failure = exc
        if not isinstance(exc, Exception):
            state.outcome = "cancelled"  # CancelledError, KeyboardInterrupt, GeneratorExit
        raise
    finally:
        policy.close()
        span.end(_outcome_attributes(state), failure)
        context.logger.debug(
            "consistency wait ended",
            operation_id=operation_id,
            outcome=state.outcome,
            attempts=state.attempts,
            elapsed_ms=state.elapsed_ms,
        )
