"""The static description of one API operation.

The generator writes one `Operation` per operationId into
`camunda_sdk.operations.descriptors`; the pipeline reads it to build requests and
parse responses. It is plain data, built once at import, shared by every call.
Per-operation policy (may it be replayed, does it drain work) is decided by the
generator (`operation_policy` in `scripts/generate.py`) and passed in.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["Operation"]

# RFC 9110's idempotent methods: the default for descriptors built by hand (tests,
# plugins); generated descriptors always state `idempotent` themselves.
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


def _method_is_idempotent(operation: Operation) -> bool:
    return operation.method in _IDEMPOTENT_METHODS


# Compared by identity (eq=False), as before: each descriptor exists once, and its
# `result` spec may be an unhashable dict.
@attrs.define(slots=True, eq=False, repr=False)
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

    id: str
    method: str
    path: str
    body: str | None = attrs.field(default=None, kw_only=True)
    result: Any = attrs.field(default=None, kw_only=True)
    root: bool = attrs.field(default=False, kw_only=True)
    idempotent: bool = attrs.field(
        default=attrs.Factory(_method_is_idempotent, takes_self=True), kw_only=True
    )
    drains: bool = attrs.field(default=False, kw_only=True)

    def __repr__(self) -> str:
        return f"Operation({self.id!r}, {self.method} {self.path})"
