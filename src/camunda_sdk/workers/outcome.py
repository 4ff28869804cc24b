"""What ends a job: one :class:`Outcome`, the type every part of the worker speaks.

A job ends in one of the ways an :class:`OutcomeKind` names: completed, failed, a
BPMN error thrown (``errored``), ignored (nothing is sent: the job times out on the
cluster), or abandoned (the worker gave it up). An outcome the worker sends carries
the request that says so. Outcomes come from:

- what a handler returns or raises (:func:`outcome_of`): a dict of variables, a
  ``JobCompletionRequest`` or None completes; :class:`JobFailure` fails;
  :class:`JobError` throws a BPMN error; any other exception fails with one retry
  less;
- what a handler or middleware records on its context (``job.complete()``,
  ``job.fail()``, ``job.throw_error()``, ``job.ignore()``): the same conversions,
  made at once;
- what a handler sends through its client itself, which the job's client view
  notices (:mod:`camunda_sdk.workers.lifecycle`).

Delivery (:mod:`camunda_sdk.workers.delivery`) sends it; telemetry, the job
middleware's ``on_done`` callbacks and the logs see its kind.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Union

# The generated models load lazily: this module import costs nothing until a job ends.
from ..operations import models

if TYPE_CHECKING:
    from .._serde import VariablesInput
    from ..operations.models import (
        ActivatedJobResult,
        JobCompletionRequest,
        JobErrorRequest,
        JobFailRequest,
    )

__all__ = [
    "IGNORED",
    "JobError",
    "JobFailure",
    "Outcome",
    "OutcomeKind",
    "completed",
    "describe",
    "failed",
    "outcome_of",
    "plain_variables",
]


class OutcomeKind(enum.Enum):
    """How a job ended; the value is the name spans, metrics and ``on_done`` use."""

    COMPLETED = "completed"
    FAILED = "failed"
    ERRORED = "errored"  # a BPMN error thrown
    IGNORED = "ignored"  # nothing sent: the job stays until its timeout
    ABANDONED = "abandoned"  # the worker gave it up (stopped, or its outcome was lost)

    # Members are singletons compared by identity: hash them so too (Enum's own
    # __hash__ runs Python code on every lookup, and a job's kind is looked up per job).
    __hash__ = object.__hash__


#: The request an outcome sends, by kind (None for those that send nothing).
OutcomeRequest = Union["JobCompletionRequest", "JobFailRequest", "JobErrorRequest", None]


class Outcome:
    """How one job ends: its :class:`OutcomeKind` and, if it sends one, the request.

    It pickles (the ``process`` strategy sends a recorded one back from the child).
    """

    __slots__ = ("kind", "request")

    def __init__(self, kind: OutcomeKind, request: OutcomeRequest = None) -> None:
        self.kind = kind
        self.request = request

    def __repr__(self) -> str:
        # The request carries business data (variables): keep it out of reprs.
        return f"Outcome({self.kind.value})"


#: Nothing is sent: what ``job.ignore()`` records.
IGNORED = Outcome(OutcomeKind.IGNORED)


# -- what a handler may raise ---------------------------------------------------------


def plain_variables(variables: VariablesInput | None) -> dict[str, Any] | None:
    """``variables`` as a plain dict: a mapping copied, a dataclass or attrs instance
    converted (early, so the ``process`` strategy pickles plain data)."""
    if variables is None:
        return None
    from .._serde import is_variables_object, to_wire

    if is_variables_object(variables):
        return to_wire(variables)
    return dict(variables)  # type: ignore[arg-type]


class JobFailure(Exception):
    """Raise in a handler to fail the job (instead of completing it).

    Args:
        message: the error message attached to the failure.
        retries: the retries left after this failure; None decrements the job's
            current retry count by one.
        retry_back_off: milliseconds before the job may be activated again.
        variables: variables to set on the job's scope along with the failure.
    """

    def __init__(
        self,
        message: str,
        *,
        retries: int | None = None,
        retry_back_off: int = 0,
        variables: VariablesInput | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retries = retries
        self.retry_back_off = retry_back_off
        self.variables = plain_variables(variables)

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments defeat Exception's default pickling, and the
        # "process" strategy sends this back from a child process.
        return (_rebuild_failure, (self.message, self.retries, self.retry_back_off, self.variables))


def _rebuild_failure(
    message: str, retries: int | None, retry_back_off: int, variables: dict[str, Any] | None
) -> JobFailure:
    return JobFailure(message, retries=retries, retry_back_off=retry_back_off, variables=variables)


class JobError(Exception):
    """Raise in a handler to throw a BPMN error (caught by an error event).

    Args:
        error_code: matched against the error code of BPMN error catch events;
            with no match the job becomes an incident.
        message: an optional message for diagnostics.
        variables: variables to set on the catching scope.
    """

    def __init__(
        self,
        error_code: str,
        message: str = "",
        *,
        variables: VariablesInput | None = None,
    ) -> None:
        super().__init__(f"{error_code}: {message}" if message else error_code)
        self.error_code = error_code
        self.message = message
        self.variables = plain_variables(variables)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_error, (self.error_code, self.message, self.variables))


def _rebuild_error(error_code: str, message: str, variables: dict[str, Any] | None) -> JobError:
    return JobError(error_code, message, variables=variables)


def describe(exc: BaseException) -> str:
    """``Type: message`` (or just ``Type``) for logs and failure messages."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- the conversions ------------------------------------------------------------------


def outcome_of(job: ActivatedJobResult, result: object, raised: BaseException | None) -> Outcome:
    """The outcome of a handler that returned ``result`` or raised ``raised``."""
    if raised is None:
        return completed(job, result)
    if isinstance(raised, JobFailure):
        retries = raised.retries
        if retries is None:
            # Unknown (a server that left the field out): 0 raises an incident rather
            # than retrying forever.
            retries = max(0, job.retries - 1) if isinstance(job.retries, int) else 0
        request = models.JobFailRequest(
            retries=retries,
            error_message=raised.message,
            retry_back_off=raised.retry_back_off,
            variables=raised.variables,
            lease_token=job.lease_token,
        )
        return Outcome(OutcomeKind.FAILED, request)
    if isinstance(raised, JobError):
        error = models.JobErrorRequest(
            error_code=raised.error_code,
            error_message=raised.message or None,
            variables=raised.variables,
            lease_token=job.lease_token,
        )
        return Outcome(OutcomeKind.ERRORED, error)
    return failed(job, describe(raised))


def failed(job: ActivatedJobResult, message: str, *, retries: int | None = None) -> Outcome:
    """Fail ``job``, as a handler raising ``JobFailure(message, retries=retries)`` would."""
    return outcome_of(job, None, JobFailure(message, retries=retries))


def completed(job: ActivatedJobResult, result: object) -> Outcome:
    """Complete ``job`` with what a handler returned (a result of no known shape fails it)."""
    request_type = models.JobCompletionRequest
    lease = job.lease_token
    if result is None or (type(result) is dict and not result):  # the common no-op
        return Outcome(OutcomeKind.COMPLETED, request_type(lease_token=lease))
    if type(result) is dict:  # before the Mapping check, an ABC instance check
        request = request_type(variables=result.copy(), lease_token=lease)
        return Outcome(OutcomeKind.COMPLETED, request)
    from .._serde import Model, is_variables_object, to_wire

    if isinstance(result, request_type):
        if lease is not None and result.lease_token is None:
            import attrs  # here: the contexts that import this module need none of it

            result = attrs.evolve(result, lease_token=lease)
        return Outcome(OutcomeKind.COMPLETED, result)
    if isinstance(result, Mapping):
        # An empty mapping sets nothing: leave the property out of the body.
        variables: dict[str, Any] | None = dict(result) or None
    elif is_variables_object(result):  # a dataclass or attrs instance of the user's
        variables = to_wire(result) or None
    elif isinstance(result, Model):  # a generated model used as a bag of variables
        variables = result.to_dict()
    else:
        return failed(
            job,
            f"the job handler returned {type(result).__name__}; expected a dict of variables,"
            " a dataclass or attrs instance, a JobCompletionRequest or None",
        )
    return Outcome(OutcomeKind.COMPLETED, request_type(variables=variables, lease_token=lease))
