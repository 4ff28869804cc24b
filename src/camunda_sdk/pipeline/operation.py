"""The static description of one API operation.

The generator writes one `Operation` per operationId into
`camunda_sdk.operations.descriptors`; the pipeline reads it to build requests and
parse responses. It is plain data, built once at import, shared by every call.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Operation"]

# Operations that drain work from the cluster. Backpressure never gates them:
# holding them back would keep jobs and tasks alive longer and deepen the overload.
DRAINING_OPERATIONS = frozenset(
    {
        "completeJob",
        "failJob",
        "throwJobError",
        "completeUserTask",
    }
)

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


class Operation:
    """One operation of the REST API, as the spec describes it.

    Attributes:
        id: the spec's operationId (`getTopology`).
        method: upper-case HTTP method.
        path: path template relative to the `/v2` base (`/process-instances/{processInstanceKey}`).
        body: `"json"`, `"multipart"` or None (no request body).
        result: how to read a 2xx body: a serde spec (see `camunda_sdk._serde`),
            `"text"`, `"bytes"`, or None when the operation answers 204/no content.
        root: the path is relative to the server's root rather than the `/v2` base
            (the spec's cluster administration endpoints, `/cluster/v2/...`).
        idempotent: whether replaying after an unknown outcome is safe: by the
            method unless given (the generator marks read-only POSTs: searches,
            statistics).
        drains: whether the operation drains work (never gated by backpressure).
    """

    __slots__ = ("body", "drains", "id", "idempotent", "method", "path", "result", "root")

    def __init__(
        self,
        id: str,
        method: str,
        path: str,
        *,
        body: str | None = None,
        result: Any = None,
        root: bool = False,
        idempotent: bool | None = None,
    ) -> None:
        self.id = id
        self.method = method
        self.path = path
        self.body = body
        self.result = result
        self.root = root
        self.idempotent = method in _IDEMPOTENT_METHODS if idempotent is None else idempotent
        self.drains = id in DRAINING_OPERATIONS

    def __repr__(self) -> str:
        return f"Operation({self.id!r}, {self.method} {self.path})"
