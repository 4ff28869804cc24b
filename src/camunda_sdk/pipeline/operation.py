"""The static description of one API operation.

The generator writes one `Operation` per operationId into
`camunda_sdk.operations.descriptors`; the pipeline reads it to build requests and
parse responses. It is plain data, built once at import, shared by every call.
Per-operation policy (may it be replayed, does it drain work) is decided by the
generator (`operation_policy` in `scripts/generate.py`) and passed in.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Operation"]

# RFC 9110's idempotent methods: the default for descriptors built by hand (tests,
# plugins); generated descriptors always state `idempotent` themselves.
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
        idempotent: whether replaying after an unknown outcome is safe (the retry
            stage replays only these). Given by the generated descriptors; when
            omitted, it follows the HTTP method.
        drains: whether the operation drains work from the cluster (completes, fails
            or extends a job, completes a user task); backpressure never gates it.
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
        drains: bool = False,
    ) -> None:
        self.id = id
        self.method = method
        self.path = path
        self.body = body
        self.result = result
        self.root = root
        self.idempotent = method in _IDEMPOTENT_METHODS if idempotent is None else idempotent
        self.drains = drains

    def __repr__(self) -> str:
        return f"Operation({self.id!r}, {self.method} {self.path})"
