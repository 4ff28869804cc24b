"""What ends a job: the outcome requests a worker sends, and when sending again is safe.

A handler's result becomes one :class:`Outcome` (complete, fail, throw a BPMN
error); the worker delivers it until it arrives or the job's deadline is near.
Which failures are worth another attempt, and which outcomes may be repeated
after an attempt whose fate is unknown, is decided here.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import httpx

from ..errors import AuthenticationError, CamundaConnectionError
from .context import JobError, JobFailure, plain_variables

if TYPE_CHECKING:
    from .._serde import VariablesInput
    from ..base_client import AsyncApiClient
    from ..operations.models import (
        ActivatedJobResult,
        JobCompletionRequest,
        JobErrorRequest,
        JobFailRequest,
    )

__all__ = [
    "ActiveJob",
    "Outcome",
    "complete",
    "describe",
    "encoding_problem",
    "fail",
    "failure",
    "is_transient",
    "throw",
]

# Statuses worth sending an outcome again for: the cluster did not act on it.
_TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


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


def describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


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


def next_retries(job: ActivatedJobResult) -> int:
    retries = job.retries
    # Unknown (a server that left the field out): 0 raises an incident rather
    # than retrying forever.
    return max(0, retries - 1) if isinstance(retries, int) else 0


# -- outcomes ------------------------------------------------------------------------


class Outcome:
    """One request that ends a job: what to send and whether sending it again is safe."""

    __slots__ = ("request",)
    #: For messages: "could not <verb> job 123".
    verb = ""
    #: What the job became, for spans and metrics: completed, failed or errored.
    name = ""

    def __init__(self, request: Any) -> None:
        self.request = request

    def send(self, client: AsyncApiClient, key: Any) -> Awaitable[None]:
        raise NotImplementedError

    def safe_to_resend(self, exc: BaseException) -> bool:
        """Whether to send again after ``exc``; a repeat of an applied one answers 404."""
        return True


class Complete(Outcome):
    __slots__ = ()
    verb = "complete"
    name = "completed"
    request: JobCompletionRequest

    def send(self, client: AsyncApiClient, key: Any) -> Awaitable[None]:
        return client.complete_job(job_key=key, data=self.request)


class Fail(Outcome):
    __slots__ = ()
    verb = "fail"
    name = "failed"
    request: JobFailRequest

    def send(self, client: AsyncApiClient, key: Any) -> Awaitable[None]:
        return client.fail_job(job_key=key, data=self.request)

    def safe_to_resend(self, exc: BaseException) -> bool:
        # An applied failure with retries left makes the job activatable again at
        # once, and a repeat could fail that new activation. Safe when the lease
        # ties it to ours, when no retries are left, or when it surely never arrived.
        request = self.request
        return bool(request.lease_token) or not request.retries or never_applied(exc)


class ThrowError(Outcome):
    __slots__ = ()
    verb = "throw a BPMN error for"
    name = "errored"
    request: JobErrorRequest

    def send(self, client: AsyncApiClient, key: Any) -> Awaitable[None]:
        return client.throw_job_error(job_key=key, data=self.request)


def fail(
    job: ActivatedJobResult,
    message: str,
    retries: int | None = None,
    retry_back_off: int = 0,
    variables: VariablesInput | None = None,
) -> Fail:
    from ..operations.models import JobFailRequest

    return Fail(
        JobFailRequest(
            retries=next_retries(job) if retries is None else retries,
            error_message=message,
            retry_back_off=retry_back_off,
            variables=plain_variables(variables),
            lease_token=job.lease_token,
        )
    )


def failure(job: ActivatedJobResult, failure: JobFailure) -> Fail:
    return fail(job, failure.message, failure.retries, failure.retry_back_off, failure.variables)


def throw(job: ActivatedJobResult, error: JobError) -> ThrowError:
    from ..operations.models import JobErrorRequest

    return ThrowError(
        JobErrorRequest(
            error_code=error.error_code,
            error_message=error.message or None,
            variables=error.variables,
            lease_token=job.lease_token,
        )
    )


def complete(job: ActivatedJobResult, result: object) -> Outcome:
    # Imported once, not per job: the generated models load lazily.
    JobCompletionRequest = _completion_request()
    lease = job.lease_token
    if result is None or (type(result) is dict and not result):  # the common no-op
        return Complete(JobCompletionRequest(lease_token=lease))
    if type(result) is dict:  # before the Mapping check, an ABC instance check
        return Complete(JobCompletionRequest(variables=result.copy(), lease_token=lease))
    from .._serde import Model, is_variables_object, to_wire

    if isinstance(result, JobCompletionRequest):
        if lease is not None and result.lease_token is None:
            result = attrs.evolve(result, lease_token=lease)
        return Complete(result)
    if isinstance(result, Mapping):
        # An empty dict sets nothing: leave the property out of the body.
        return Complete(JobCompletionRequest(variables=dict(result) or None, lease_token=lease))
    if is_variables_object(result):  # a dataclass or attrs instance of the user's
        return Complete(JobCompletionRequest(variables=to_wire(result) or None, lease_token=lease))
    if isinstance(result, Model):  # a generated model used as a bag of variables
        return Complete(JobCompletionRequest(variables=result.to_dict(), lease_token=lease))
    return fail(
        job,
        f"the job handler returned {type(result).__name__}; expected a dict of variables,"
        " a dataclass or attrs instance, a JobCompletionRequest or None",
    )


def _completion_request() -> type[JobCompletionRequest]:
    global _JobCompletionRequest
    if _JobCompletionRequest is None:
        from ..operations.models import JobCompletionRequest

        _JobCompletionRequest = JobCompletionRequest
    return _JobCompletionRequest


_JobCompletionRequest: type[JobCompletionRequest] | None = None


class ActiveJob:
    """A job this client's workers hold: what the outcome stage and delivery need."""

    __slots__ = ("deadline", "handler_running", "job", "lease_token", "margin", "reported")

    #: What an outcome the handler sent through the client made of the job, by operation.
    REPORTED: ClassVar[Mapping[str, str]] = {
        "completeJob": "completed",
        "failJob": "failed",
        "throwJobError": "errored",
    }

    def __init__(self, job: ActivatedJobResult, deadline: float, margin: float) -> None:
        self.job = job
        self.lease_token: str | None = job.lease_token
        #: Loop time at which the cluster takes the job back (moved by extensions).
        self.deadline = deadline
        #: How long before the deadline sending anything becomes pointless.
        self.margin = margin
        #: Whether the handler is running: only its own calls count as reporting.
        self.handler_running = False
        #: What the handler made of the job through the client (``REPORTED``), or None.
        self.reported: str | None = None

    @property
    def give_up_at(self) -> float:
        """Loop time after which sending anything for the job is pointless."""
        return self.deadline - self.margin
