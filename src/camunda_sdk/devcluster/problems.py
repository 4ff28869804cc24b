"""RFC 9457 problem details, the only shape the dev cluster answers errors in.

A handler raises :class:`Problem` (or one of the helpers below); the server turns it
into an `application/problem+json` answer carrying `type`, `title`, `status`,
`detail` and `instance` (the request path), the five fields the spec's
`ProblemDetail` requires. Titles follow what a real cluster sends: the HTTP reason
for request-level failures ("Bad Request", "Not Found"), the engine's rejection
type for refused commands (`NOT_FOUND`, `ALREADY_EXISTS`, `INVALID_STATE`).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

__all__ = [
    "PROBLEM_JSON",
    "Problem",
    "already_exists",
    "bad_request",
    "engine_problem",
    "invalid_argument",
    "invalid_state",
    "not_emulated",
    "not_found",
    "problem_body",
]

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """An error answer: raise it from a handler, the server renders it.

    Attributes:
        status: the HTTP status (400-599).
        title: a short summary of the problem type.
        detail: what went wrong and what to fix, naming the field or element.
        type: a URI naming the problem type (`about:blank`: the status says it all).
        headers: extra response headers (`Allow` on a 405).
        extra: further members of the problem object.
    """

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        type: str = "about:blank",
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or _reason(status)
        self.type = type
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self, instance: str) -> dict[str, Any]:
        """The JSON object of this problem, for the request at `instance`."""
        return problem_body(
            self.status, self.detail, instance, title=self.title, type=self.type, **self.extra
        )

    def __repr__(self) -> str:
        return f"Problem({self.status}, {self.title!r}, {self.detail!r})"


def problem_body(
    status: int,
    detail: str,
    instance: str,
    *,
    title: str | None = None,
    type: str = "about:blank",
    **extra: Any,
) -> dict[str, Any]:
    """A problem detail object (the spec's `ProblemDetail`)."""
    return {
        "type": type,
        "title": title or _reason(status),
        "status": status,
        "detail": detail,
        "instance": instance,
        **extra,
    }


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def bad_request(detail: str) -> Problem:
    """400 for a request the cluster cannot read (body, parameters)."""
    return Problem(400, detail)


def invalid_argument(detail: str) -> Problem:
    """400 for a well-formed command the engine refuses (`INVALID_ARGUMENT`)."""
    return Problem(400, detail, title="INVALID_ARGUMENT")


def not_found(detail: str) -> Problem:
    """404 for a resource that does not exist (`NOT_FOUND`)."""
    return Problem(404, detail, title="NOT_FOUND")


def already_exists(detail: str) -> Problem:
    """409 for a create whose id is taken (`ALREADY_EXISTS`)."""
    return Problem(409, detail, title="ALREADY_EXISTS")


def invalid_state(detail: str) -> Problem:
    """409 for a command the resource's state forbids (`INVALID_STATE`)."""
    return Problem(409, detail, title="INVALID_STATE")


def not_emulated(operation_id: str, why: str | None = None) -> Problem:
    """501: the dev cluster knows the operation but does not emulate it."""
    detail = (
        f"The dev cluster does not emulate the operation '{operation_id}'"
        + (f" ({why})" if why else "")
        + "; run it against a real Camunda cluster (for example Camunda 8 Run)."
    )
    return Problem(501, detail)


def engine_problem(refusal: Exception) -> Problem:
    """The problem detail of an engine refusal (`camunda_sdk.devcluster.engine.errors`).

    NotFound -> 404, InvalidArgument and DeploymentRejected -> 400, Conflict -> 409; the
    engine's message (naming the record, or the file and element) is the detail.
    """
    from .engine import Conflict, DeploymentRejected, InvalidArgument, NotFound

    detail = str(refusal)
    if isinstance(refusal, NotFound):
        return not_found(detail[:1].upper() + detail[1:] + ".")
    if isinstance(refusal, DeploymentRejected):
        return invalid_argument(detail)
    if isinstance(refusal, InvalidArgument):
        return invalid_argument(detail[:1].upper() + detail[1:] + ".")
    if isinstance(refusal, Conflict):
        return invalid_state(detail[:1].upper() + detail[1:] + ".")
    return Problem(500, f"The dev cluster's engine failed: {detail}.")
