"""Delivery: what is sent for a job's :class:`~.outcome.Outcome`, and when again.

A finished result is work done, so delivering it lasts as long as the job does:
every transient failure (connection refused or reset, timeouts, 408/429/5xx, a
token endpoint that is unreachable or failing) is retried with capped, jittered
backoff until shortly before the job's deadline. An attempt whose fate is unknown
is repeated only when a repeat cannot harm (:func:`safe_to_resend`): a repeat of an
applied outcome answers 404, which then counts as delivered. Variables that are
not JSON do not lose the outcome: a completion becomes a failure saying so, a
failure or error is sent without them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import TYPE_CHECKING

import attrs
import httpx

from ..errors import AuthenticationError, CamundaConnectionError
from ..operations import models
from .outcome import Outcome, OutcomeKind, describe, failed

if TYPE_CHECKING:
    from ..base_client import AsyncApiClient
    from ..log import BoundLogger
    from ..operations.models import ActivatedJobResult
    from ..operations.semantic_types import JobKey
    from .tuning import WorkerTuning

__all__ = ["Delivery", "encoding_problem", "is_transient", "never_applied", "safe_to_resend"]

# Statuses worth sending again for: the cluster did not act on the request.
_TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# For messages: "could not <verb> job 123".
_VERBS = {
    OutcomeKind.COMPLETED: "complete",
    OutcomeKind.FAILED: "fail",
    OutcomeKind.ERRORED: "throw a BPMN error for",
}


def is_transient(exc: BaseException) -> bool:
    """Whether sending again later may succeed (the cluster or token endpoint may heal)."""
    if isinstance(exc, AuthenticationError):
        return exc.transient
    if isinstance(exc, (CamundaConnectionError, httpx.TransportError, asyncio.TimeoutError)):
        return True
    return getattr(exc, "status", None) in _TRANSIENT_STATUSES


def never_applied(exc: BaseException) -> bool:
    """Whether the server certainly did not act on the request that raised ``exc``."""
    if isinstance(exc, AuthenticationError) or getattr(exc, "status", None) in (429, 503):
        return True  # no token, so never sent; or rejected by backpressure before any work
    cause = exc.__cause__ if isinstance(exc, CamundaConnectionError) else exc
    return isinstance(cause, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


def safe_to_resend(outcome: Outcome, exc: BaseException) -> bool:
    """Whether to send ``outcome`` again after ``exc``; a repeat of an applied one answers 404.

    An applied failure with retries left makes the job activatable again at once,
    and a repeat could fail that new activation. It is safe when the lease ties it
    to this activation, when no retries are left, or when it surely never arrived.
    """
    request = outcome.request
    if not isinstance(request, models.JobFailRequest):
        return True
    return bool(request.lease_token) or not request.retries or never_applied(exc)


def encoding_problem(body: object) -> str | None:
    """Why ``body`` cannot be sent as JSON, or None when it can."""
    from .._serde import to_wire

    try:
        json.dumps(to_wire(body), allow_nan=False)
    except RecursionError:
        return "it is nested too deeply or refers to itself"
    except (TypeError, ValueError) as exc:
        return str(exc)
    return None


def _send(client: AsyncApiClient, key: JobKey, outcome: Outcome) -> Awaitable[None]:
    request = outcome.request
    if isinstance(request, models.JobCompletionRequest):
        return client.complete_job(job_key=key, data=request)
    if isinstance(request, models.JobFailRequest):
        return client.fail_job(job_key=key, data=request)
    if isinstance(request, models.JobErrorRequest):
        return client.throw_job_error(job_key=key, data=request)
    raise ValueError(f"an outcome {outcome.kind.value!r} sends nothing")


def _without_bad_variables(job: ActivatedJobResult, outcome: Outcome, problem: str) -> Outcome:
    """The outcome to send instead of one whose variables are not JSON."""
    request = outcome.request
    if not isinstance(request, (models.JobFailRequest, models.JobErrorRequest)):
        return failed(job, f"the job result is not valid JSON: {problem}")
    message = f"{request.error_message or ''} (variables dropped, not valid JSON: {problem})"
    return Outcome(
        outcome.kind, attrs.evolve(request, variables=None, error_message=message.strip())
    )


class Delivery:
    """Sends the outcomes of one worker's jobs (see the module docstring).

    Args:
        client: the worker's client; outcomes go through a view of it without
            retries (resending until the deadline here, stacking the retry
            plugin's attempts on top would multiply them).
        tuning: ``outcome_backoff`` spaces the attempts.
        log: the worker's logger.
    """

    def __init__(self, client: AsyncApiClient, tuning: WorkerTuning, log: BoundLogger) -> None:
        #: The client outcomes (and timeout extensions) are sent through.
        self.client = client.with_options(retry=False)
        self._timeout = client.config.timeout_ms / 1000
        self._tuning = tuning
        self._log = log

    async def deliver(
        self, job: ActivatedJobResult, outcome: Outcome, give_up_at: float
    ) -> Outcome | None:
        """Send ``outcome`` until it arrives or loop time ``give_up_at`` is near; never raises.

        Returns the outcome that arrived (a failure replaces a completion whose
        variables are not JSON), or None when none did. Cancellation (the drain
        deadline) is the only way out before that.
        """
        key = job.job_key
        log = self._log
        tuning = self._tuning
        loop = asyncio.get_running_loop()
        client = self.client
        attempt = 0
        may_have_arrived = False  # whether a failed attempt may have been applied
        while True:
            try:
                await _send(client, key, outcome)
            except (TypeError, ValueError, RecursionError) as exc:
                verb = _VERBS[outcome.kind]
                request = outcome.request
                problem = encoding_problem(request)
                if problem is None:
                    log.error(f"could not {verb} job {key}: {describe(exc)}")
                    return None
                if getattr(request, "variables", None) is None:  # nothing left to drop
                    log.error(f"could not {verb} job {key}: {problem}")
                    return None
                log.error(f"job {key}: the variables are not valid JSON ({problem})")
                outcome = _without_bad_variables(job, outcome, problem)
                continue
            except Exception as exc:
                verb = _VERBS[outcome.kind]
                if getattr(exc, "status", None) == 404:
                    if may_have_arrived:  # an earlier attempt's answer was lost, not it
                        log.info(f"job {key}: gone when sent again; an earlier attempt won")
                        return outcome
                    log.warning(
                        f"could not {verb} job {key}: the cluster no longer knows it"
                        " (timed out, cancelled or finished)"
                    )
                    return None
                if not is_transient(exc) or not safe_to_resend(outcome, exc):
                    log.error(f"could not {verb} job {key}: {describe(exc)}")
                    return None
                may_have_arrived = may_have_arrived or not never_applied(exc)
                delay = tuning.outcome_backoff.delay(attempt, tuning.random)
                retry_after = getattr(exc, "retry_after", None)
                if isinstance(retry_after, (int, float)) and retry_after > delay:
                    delay = min(float(retry_after), tuning.outcome_backoff.maximum)
                attempt += 1
                left = give_up_at - loop.time() - delay
                if left <= 0:
                    log.error(
                        f"could not {verb} job {key}: {describe(exc)}; giving up after"
                        f" {attempt} attempt(s), its deadline is near"
                    )
                    return None
                (log.warning if attempt == 1 else log.debug)(
                    f"could not {verb} job {key} ({describe(exc)}); sending again in"
                    f" {delay:.2f} s (attempt {attempt + 1})"
                )
                await asyncio.sleep(delay)
                # No single attempt may outlast the job's deadline.
                client = self.client.with_options(timeout=max(0.1, min(left, self._timeout)))
            else:
                if attempt and log.enabled("info"):
                    log.info(f"job {key}: {_VERBS[outcome.kind]} sent after {attempt + 1} attempts")
                return outcome
