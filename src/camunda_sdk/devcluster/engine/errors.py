"""The engine's refusals, each mapped by the HTTP layer onto one problem-detail status.

| exception            | HTTP status |
| -------------------- | ----------- |
| `NotFound`           | 404         |
| `InvalidArgument`    | 400         |
| `Conflict`           | 409         |
| `DeploymentRejected` | 400         |

A refused operation changes nothing: every public method of the engine validates its input
and the state it acts on before it mutates anything.
"""

from __future__ import annotations

__all__ = ["Conflict", "DeploymentRejected", "EngineError", "InvalidArgument", "NotFound"]


class EngineError(Exception):
    """Base of every refusal the engine raises; `str()` is a message a user can act on."""


class NotFound(EngineError):
    """The record of `kind` with `key` does not exist (or is no longer active where it must be)."""

    def __init__(self, kind: str, key: object, detail: str | None = None) -> None:
        self.kind = kind
        self.key = key
        message = f"{kind} with key {key} was not found"
        if detail:
            message = f"{message}: {detail}"
        super().__init__(message)


class InvalidArgument(EngineError):
    """The request itself is malformed or out of range (a retries count below 0, say)."""


class Conflict(EngineError):
    """The request is well-formed but the record's state forbids it (a completed job, say)."""


class DeploymentRejected(EngineError):
    """A resource of a deployment cannot be run: the whole deployment is refused.

    `resource_name` names the file, `element_id` the BPMN element (None when the fault is the
    file as a whole, such as malformed XML), and `reason` what is wrong and what to change.
    """

    def __init__(self, resource_name: str, element_id: str | None, reason: str) -> None:
        self.resource_name = resource_name
        self.element_id = element_id
        self.reason = reason
        where = f"'{resource_name}'"
        if element_id:
            where = f"{where}, element '{element_id}'"
        super().__init__(f"Deployment rejected: {where}: {reason}")
