"""The call object: one invocation of one operation as it travels the pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from .operation import Operation

__all__ = ["Call", "CallOptions"]


# No repr: the headers may hold credentials.
@attrs.define(slots=True, kw_only=True, eq=False, repr=False)
class CallOptions:
    """Per-call overrides, set with ``client.with_options(...)``.

    Attributes:
        retry: ``False`` disables retries, ``True``/None uses the client's policy,
            or a ``RetryPolicy`` object replaces it for these calls.
        timeout: seconds for this call's HTTP exchange (None: the client's default).
        headers: extra request headers.
    """

    retry: Any = None
    timeout: float | None = None
    headers: dict[str, str] | None = None


_NO_OPTIONS = CallOptions()


def _or_no_options(options: CallOptions | None) -> CallOptions:
    return options or _NO_OPTIONS


def _lower_case_headers(call: Call) -> dict[str, str]:
    # Lower-case names, so a stage's setdefault("authorization", ...) sees the caller's.
    headers = call.options.headers
    return {k.lower(): v for k, v in headers.items()} if headers else {}


# on_setattr=NO_OP: attrs would otherwise run the options converter on every
# assignment, and stages set call.attempt and call.body on the hot path.
@attrs.define(slots=True, eq=False, repr=False, on_setattr=attrs.setters.NO_OP)
class Call:
    """What a stage sees and may change: the operation and its arguments.

    Attributes:
        operation: the static :class:`Operation` descriptor.
        path_params: path parameters by their wire names, or None.
        query: query parameters by their wire names (None values are left out), or None.
        body: the request body (an attrs model, a dict, or None).
        headers: headers stages add (auth, tracing); sent with the request.
        options: the per-call :class:`CallOptions`.
        attempt: number of sends so far (0 before the first); stages read it.
        extensions: free-form per-call state for plugins (keyed by plugin name).
    """

    operation: Operation
    path_params: dict[str, Any] | None = None
    query: dict[str, Any] | None = None
    body: Any = None
    options: CallOptions = attrs.field(default=None, converter=_or_no_options)
    headers: dict[str, str] = attrs.field(
        init=False, default=attrs.Factory(_lower_case_headers, takes_self=True)
    )
    attempt: int = attrs.field(init=False, default=0)
    extensions: dict[str, Any] = attrs.field(init=False, factory=dict)

    def __repr__(self) -> str:
        # Deliberately leaves out headers and body: they may hold credentials or PII.
        return f"Call({self.operation.id}, attempt={self.attempt})"
