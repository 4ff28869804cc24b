"""The call object: one invocation of one operation as it travels the pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .operation import Operation

__all__ = ["Call", "CallOptions"]


class CallOptions:
    """Per-call overrides, set with ``client.with_options(...)``.

    Attributes:
        retry: ``False`` disables retries, ``True``/None uses the client's policy,
            or a ``RetryPolicy`` object replaces it for these calls.
        timeout: seconds for this call's HTTP exchange (None: the client's default).
        headers: extra request headers.
    """

    __slots__ = ("headers", "retry", "timeout")

    def __init__(
        self,
        *,
        retry: Any = None,
        timeout: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.retry = retry
        self.timeout = timeout
        self.headers = headers


_NO_OPTIONS = CallOptions()


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

    __slots__ = (
        "attempt",
        "body",
        "extensions",
        "headers",
        "operation",
        "options",
        "path_params",
        "query",
    )

    def __init__(
        self,
        operation: Operation,
        path_params: dict[str, Any] | None = None,
        query: dict[str, Any] | None = None,
        body: Any = None,
        options: CallOptions | None = None,
    ) -> None:
        self.operation = operation
        self.path_params = path_params
        self.query = query
        self.body = body
        self.options = options or _NO_OPTIONS
        # Lower-case names, so a stage's setdefault("authorization", ...) sees the caller's.
        self.headers: dict[str, str] = (
            {k.lower(): v for k, v in self.options.headers.items()} if self.options.headers else {}
        )
        self.attempt = 0
        self.extensions: dict[str, Any] = {}

    def __repr__(self) -> str:
        # Deliberately leaves out headers and body: they may hold credentials or PII.
        return f"Call({self.operation.id}, attempt={self.attempt})"
