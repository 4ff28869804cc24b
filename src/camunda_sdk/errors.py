"""The one exception hierarchy of the SDK.

Everything the SDK raises on purpose derives from :class:`CamundaError`:

- :class:`ConfigurationError`: a ``CAMUNDA_*`` setting is missing or malformed.
- :class:`PluginError`: a plugin failed to load or to build the pipeline.
- :class:`CamundaConnectionError`: the request never got an HTTP answer
  (DNS, refused connection, TLS, timeout, ...); its message says which.
- :class:`ClientClosedError`: a call on a client that has been closed.
- :class:`AuthenticationError`: the OAuth token endpoint refused or failed.
- :class:`EventualConsistencyTimeoutError`: a ``consistency=`` wait ran out.
- :class:`TypedVariablesError`: reading variables into a class failed
  (:class:`VariableScopeCollisionError`, :class:`VariableDeserializationError`,
  :class:`MissingVariableError`).
- :class:`ApiError`: the cluster answered with an error status. One subclass per
  status the REST API documents (``NotFoundError`` for 404, ...), grouped under
  :class:`ClientError` (4xx) and :class:`ServerError` (5xx), so callers can catch
  as narrowly or as broadly as they like.

Every error is safe to log: URLs lose their user-info and sensitive query values,
and an :class:`ApiError` keeps only a short allow-list of response headers, so
credentials and tokens never end up in a message, a log line or a span.
Errors also survive pickling, because the process-pool worker strategy sends them
between processes.
"""

from __future__ import annotations

import http
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

# Bottom-layer helpers only: this module is the leaf every other one may import.
from ._redact import redact_url, safe_headers
from ._retry_after import parse_retry_after

__all__ = [
    "CamundaError",
    "ConfigurationError",
    "PluginError",
    "CamundaConnectionError",
    "ClientClosedError",
    "AuthenticationError",
    "BackpressureQueueFullError",
    "EventualConsistencyTimeoutError",
    "TypedVariablesError",
    "VariableScopeCollisionError",
    "VariableDeserializationError",
    "MissingVariableError",
    "ApiError",
    "UnexpectedResponseError",
    "parse_retry_after",
    "error_type",
    "ClientError",
    "ServerError",
    "BadRequestError",
    "UnauthorizedError",
    "ForbiddenError",
    "NotFoundError",
    "NotAcceptableError",
    "ConflictError",
    "UnsupportedMediaTypeError",
    "TooManyRequestsError",
    "InternalServerError",
    "BadGatewayError",
    "ServiceUnavailableError",
    "GatewayTimeoutError",
    "PaymentRequiredError",
    "MethodNotAllowedError",
    "ProxyAuthenticationRequiredError",
    "RequestTimeoutError",
    "GoneError",
    "LengthRequiredError",
    "PreconditionFailedError",
    "PayloadTooLargeError",
    "URITooLongError",
    "RangeNotSatisfiableError",
    "ExpectationFailedError",
    "MisdirectedRequestError",
    "UnprocessableEntityError",
    "LockedError",
    "FailedDependencyError",
    "TooEarlyError",
    "UpgradeRequiredError",
    "PreconditionRequiredError",
    "RequestHeaderFieldsTooLargeError",
    "UnavailableForLegalReasonsError",
    "NotImplementedServerError",
    "HTTPVersionNotSupportedError",
    "InsufficientStorageError",
    "LoopDetectedError",
    "NetworkAuthenticationRequiredError",
    "InternalServerErrorError",
    "NotImplementedError_",
    "error_class",
    "error_class_for_status",
    "error_class_named",
    "operation_error_class",
    "redact_url",
    "safe_headers",
]


def _rebuild(cls: type[CamundaError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    # Bypass __init__: the subclasses take keyword arguments that the default
    # BaseException pickling (which replays self.args) cannot supply.
    obj = cls.__new__(cls)
    obj.args = args
    obj.__dict__.update(state)
    return obj


def error_type(exc: BaseException) -> str:
    """The ``error.type`` of an exception: its class name, module-qualified unless builtin."""
    cls = type(exc)
    module = cls.__module__
    if module == "builtins":
        return cls.__qualname__
    return f"{module}.{cls.__qualname__}"


class CamundaError(Exception):
    """Base class of every error the SDK raises on purpose."""

    # Attributes not sent across processes (e.g. transport exceptions holding
    # sockets or request objects).
    _unpicklable: tuple[str, ...] = ()

    def __reduce__(self) -> tuple[Any, ...]:
        state = {k: v for k, v in self.__dict__.items() if k not in self._unpicklable}
        return (_rebuild, (type(self), self.args, state))


class ConfigurationError(CamundaError):
    """A setting is missing, malformed or contradicts another one.

    Attributes:
        variable: the ``CAMUNDA_*`` key at fault, when there is a single one.
    """

    def __init__(self, message: str, *, variable: str | None = None) -> None:
        super().__init__(message)
        self.variable = variable


# What a transport failure means, by exception class name (httpx's, and the SDK's
# ExchangeTimeout), so this module needs no httpx import. Timeouts get the seconds.
_TIMEOUTS = {
    "ExchangeTimeout": "timed out waiting for the response",
    "ReadTimeout": "timed out reading the response",
    "WriteTimeout": "timed out sending the request",
    "ConnectTimeout": "timed out connecting",
    "PoolTimeout": "timed out waiting for a free connection",
    "TimeoutException": "timed out",
    "TimeoutError": "timed out",
}
_FAILURES = {
    "ConnectError": "could not connect",
    "ReadError": "the connection failed while reading the response",
    "WriteError": "the connection failed while sending the request",
    "RemoteProtocolError": "the server closed the connection or broke the HTTP protocol",
    "LocalProtocolError": "the request could not be sent as valid HTTP",
    "ProxyError": "the proxy failed",
    "UnsupportedProtocol": "the address's scheme is not supported",
}


def _seconds_text(seconds: float) -> str:
    return f"{seconds:.1f}" if seconds == round(seconds, 1) else f"{seconds:g}"


def _describe_cause(
    cause: BaseException | None, url: str, safe: str, timeout: float | None = None
) -> str:
    if cause is None:
        return "no response"
    name = type(cause).__name__
    for cls in type(cause).__mro__:
        phrase = _TIMEOUTS.get(cls.__name__)
        if phrase is not None:
            # The class name is the whole story: httpx's own text is "timed out".
            after = f" after {_seconds_text(timeout)} s" if timeout is not None else ""
            return f"{phrase}{after} ({name})"
        phrase = _FAILURES.get(cls.__name__)
        if phrase is not None:
            break
    else:
        phrase = "failed"
    text = str(cause)
    # Transport errors sometimes quote the URL they failed on; swap in the
    # redacted form so credentials in it cannot leak through the cause text.
    if url and url != safe:
        text = text.replace(url, safe)
    return f"{phrase} ({name}: {text})" if text and text != name else f"{phrase} ({name})"


class PluginError(CamundaError):
    """A plugin could not be loaded, or raised while the pipeline was being built.

    Attributes:
        plugin: the plugin's name (or the hook's, when no single plugin is at fault).
    """

    def __init__(self, plugin: str, problem: str) -> None:
        super().__init__(f"camunda_sdk plugin {plugin!r}: {problem}")
        self.plugin = plugin


class CamundaConnectionError(CamundaError):
    """The request got no HTTP response: connection, TLS, DNS or timeout failure.

    The message says what happened, e.g. ``getTopology: GET http://host/v2/topology:
    timed out reading the response after 1.0 s (ReadTimeout)``.

    Attributes:
        operation_id: the REST operation being called, if known.
        method: the HTTP method.
        url: the redacted request URL.
        timeout: the timeout in seconds that ran out, when the cause is a timeout
            and it is known; else None.
        cause: the underlying transport exception (also ``__cause__`` when raised
            with ``raise ... from``); not carried across pickling.
    """

    _unpicklable = ("cause",)

    def __init__(
        self,
        method: str,
        url: str,
        cause: BaseException | None = None,
        *,
        operation_id: str | None = None,
        timeout: float | None = None,
    ) -> None:
        safe = redact_url(url)
        prefix = f"{operation_id}: " if operation_id else ""
        what = _describe_cause(cause, url, safe, timeout)
        super().__init__(f"{prefix}{method.upper()} {safe}: {what}")
        self.operation_id = operation_id
        self.method = method.upper()
        self.url = safe
        self.timeout = timeout
        self.cause = cause


class ClientClosedError(CamundaError):
    """A call on a client after its ``close()`` (views and derived clients included).

    Attributes:
        operation_id: the operation that was called, when known.
    """

    def __init__(self, client: str = "client", *, operation_id: str | None = None) -> None:
        prefix = f"{operation_id}: " if operation_id else ""
        super().__init__(
            f"{prefix}the {client} is closed; make calls before closing it, or create a new one"
        )
        self.operation_id = operation_id


class AuthenticationError(CamundaError):
    """The token endpoint could not be reached or refused to issue a token.

    Attributes:
        url: the redacted token endpoint URL.
        status: the HTTP status of the token endpoint's answer, None if there was
            no answer.
    """

    def __init__(self, detail: str, *, url: str, status: int | None = None) -> None:
        safe = redact_url(url)
        where = f"{safe} (HTTP {status})" if status is not None else safe
        super().__init__(f"authentication failed at {where}: {detail}")
        self.url = safe
        self.status = status
        self.detail = detail

    @property
    def transient(self) -> bool:
        """Whether trying again later may succeed.

        True when the token endpoint could not be reached or failed (no answer,
        408, 429, 5xx); False when it refused the credentials or the request.
        """
        status = self.status
        return status is None or status in (408, 429) or status >= 500


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown Status"


class ApiError(CamundaError):
    """The cluster answered an operation with an error status.

    Attributes:
        operation_id: the spec's operation id (``getTopology``).
        status: the HTTP status code (also as ``status_code``, the reference
            SDK's name).
        type, title, detail, instance: the RFC 9457 problem fields, None when the
            body did not carry them.
        problem: the whole parsed JSON object of the body (extension members
            included), None when the body was not a JSON object.
        body: the raw response body (also as ``content``, the reference SDK's name).
        headers: an allow-listed subset of the response headers (lower-case
            names); never contains credentials.
    """

    def __init__(
        self,
        operation_id: str,
        status: int,
        *,
        type: str | None = None,
        title: str | None = None,
        detail: str | None = None,
        instance: str | None = None,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        problem: Mapping[str, Any] | None = None,
    ) -> None:
        message = f"{operation_id}: {status} {_reason(status)}"
        explanation = " - ".join(part for part in (title, detail) if part)
        if explanation:
            message = f"{message}: {explanation}"
        super().__init__(message)
        self.operation_id = operation_id
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.instance = instance
        self.body = body
        self.headers = safe_headers(headers)
        self.problem = dict(problem) if problem is not None else None

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")

    @property
    def status_code(self) -> int:
        """The HTTP status code: ``status`` under the reference SDK's name."""
        return self.status

    @property
    def content(self) -> bytes:
        """The raw response body: ``body`` under the reference SDK's name."""
        return self.body

    @property
    def retry_after(self) -> float | None:
        """Seconds the server asked to wait (``Retry-After``), None if it did not."""
        value = self.headers.get("retry-after")
        return parse_retry_after(value)


class UnexpectedResponseError(ApiError):
    """A success status whose body could not be read as the operation's JSON result.

    A proxy's HTML page, a truncated body: ``body`` keeps what arrived.
    """


class ClientError(ApiError):
    """A 4xx answer: the request needs changing before it can succeed."""


class ServerError(ApiError):
    """A 5xx answer: the cluster failed; retrying may help."""


class BadRequestError(ClientError):
    """400: the request was malformed or failed validation."""


class UnauthorizedError(ClientError):
    """401: credentials missing, invalid or expired."""


class ForbiddenError(ClientError):
    """403: authenticated, but not allowed to do this."""


class NotFoundError(ClientError):
    """404: the addressed resource does not exist."""


class NotAcceptableError(ClientError):
    """406: the server cannot produce the requested media type."""


class ConflictError(ClientError):
    """409: the request conflicts with the resource's current state."""


class UnsupportedMediaTypeError(ClientError):
    """415: the request body's media type is not accepted."""


class TooManyRequestsError(ClientError):
    """429: backpressure; the cluster asks to slow down."""


class InternalServerError(ServerError):
    """500: an unexpected failure inside the cluster."""


class BadGatewayError(ServerError):
    """502: a proxy in front of the cluster got a bad answer."""


class ServiceUnavailableError(ServerError):
    """503: the cluster is temporarily unable to serve (often backpressure)."""


class GatewayTimeoutError(ServerError):
    """504: a proxy in front of the cluster timed out."""


# Statuses the REST API does not document but a server, proxy or load balancer
# in front of it may send; named as RFC 9110 and the IANA registry name them.


class PaymentRequiredError(ClientError):
    """402: payment required (sent by some gateways and SaaS proxies)."""


class MethodNotAllowedError(ClientError):
    """405: the resource does not support this HTTP method (often a wrong address)."""


class ProxyAuthenticationRequiredError(ClientError):
    """407: a proxy between client and cluster wants credentials."""


class RequestTimeoutError(ClientError):
    """408: the server gave up waiting for the request; sending again may help."""


class GoneError(ClientError):
    """410: the resource existed but has been removed for good."""


class LengthRequiredError(ClientError):
    """411: the server requires a ``Content-Length``."""


class PreconditionFailedError(ClientError):
    """412: a precondition of the request did not hold."""


class PayloadTooLargeError(ClientError):
    """413: the request body is larger than the server accepts (a deployment, a document)."""


class URITooLongError(ClientError):
    """414: the URL is longer than the server accepts."""


class RangeNotSatisfiableError(ClientError):
    """416: the requested byte range is outside the resource."""


class ExpectationFailedError(ClientError):
    """417: the server cannot meet the ``Expect`` header."""


class MisdirectedRequestError(ClientError):
    """421: the request reached a server that cannot answer for this address."""


class UnprocessableEntityError(ClientError):
    """422: the request is well-formed but its content is invalid."""


class LockedError(ClientError):
    """423: the resource is locked."""


class FailedDependencyError(ClientError):
    """424: the request depended on another that failed."""


class TooEarlyError(ClientError):
    """425: the server will not risk processing a request that might be replayed."""


class UpgradeRequiredError(ClientError):
    """426: the server requires another protocol."""


class PreconditionRequiredError(ClientError):
    """428: the server requires a conditional request."""


class RequestHeaderFieldsTooLargeError(ClientError):
    """431: the request headers are larger than the server accepts."""


class UnavailableForLegalReasonsError(ClientError):
    """451: the resource is unavailable for legal reasons."""


class NotImplementedServerError(ServerError):
    """501: the server does not support the operation (an older cluster); retrying will not help."""


class HTTPVersionNotSupportedError(ServerError):
    """505: the server does not support the HTTP version of the request."""


class InsufficientStorageError(ServerError):
    """507: the server cannot store what the request needs."""


class LoopDetectedError(ServerError):
    """508: the server detected an infinite loop while processing the request."""


class NetworkAuthenticationRequiredError(ServerError):
    """511: a captive portal or network gateway wants credentials."""


#: The reference SDK's names of two status classes, for code moving over from it.
InternalServerErrorError = InternalServerError
NotImplementedError_ = NotImplementedServerError


class BackpressureQueueFullError(CamundaError):
    """Too many calls already wait for a backpressure permit; this one was refused.

    The cluster signalled overload, the client capped its concurrency, and calls
    arrive faster than the capped client can send them. Queueing them without
    bound would only grow memory and latency, so a call past
    ``CAMUNDA_SDK_BACKPRESSURE_MAX_WAITERS`` fails at once, before anything is
    sent: it is safe to try again later.

    Attributes:
        operation_id: the operation refused, if known.
        max_waiters: the bound that was reached.
    """

    def __init__(self, max_waiters: int, *, operation_id: str | None = None) -> None:
        prefix = f"{operation_id}: " if operation_id else ""
        super().__init__(
            f"{prefix}not sent: {max_waiters} calls already wait for a backpressure permit "
            "(the cluster signalled overload; see CAMUNDA_SDK_BACKPRESSURE_MAX_WAITERS)"
        )
        self.operation_id = operation_id
        self.max_waiters = max_waiters


class EventualConsistencyTimeoutError(CamundaError):
    """A ``consistency=`` wait ran out before the data became visible.

    Searches and reads are served from a secondary store that lags behind the
    engine; the wait polled until ``wait_up_to_ms`` passed without the
    predicate holding. The last error answer, if any, is ``__cause__``.

    Attributes:
        operation_id: the operation that was polled.
        attempts: how many times it was called.
        elapsed_ms: how long the wait took, in milliseconds.
        last_status: the HTTP status of the last answer (200 for a successful
            answer the predicate rejected), None if there was no answer.
    """

    def __init__(
        self, operation_id: str, *, attempts: int, elapsed_ms: int, last_status: int | None
    ) -> None:
        last = f"; the last answer was HTTP {last_status}" if last_status is not None else ""
        super().__init__(
            f"{operation_id}: not consistent after {elapsed_ms} ms and {attempts} attempts"
            f"{last}. Raise ConsistencyOptions.wait_up_to_ms, or check that the predicate "
            "and the query can match (the data may never appear)"
        )
        self.operation_id = operation_id
        self.attempts = attempts
        self.elapsed_ms = elapsed_ms
        self.last_status = last_status


class TypedVariablesError(CamundaError):
    """Base class of the errors of ``search_variables_as_dto`` and ``VariableMap``.

    Messages name variables, never their values: a value may be a secret.

    Attributes:
        name: the variable at fault.
    """

    def __init__(self, message: str, *, name: str) -> None:
        super().__init__(message)
        self.name = name


class VariableScopeCollisionError(TypedVariablesError):
    """A declared variable exists at more than one scope of the process instance.

    The class maps one name to one value, so the SDK refuses to guess.

    Attributes:
        name: the variable.
        scope_keys: the scopes it was found at.
    """

    def __init__(self, name: str, scope_keys: list[str]) -> None:
        scopes = ", ".join(scope_keys)
        super().__init__(
            f"variable {name!r} exists at several scopes ({scopes}); pass scope_key= "
            "to read one of them",
            name=name,
        )
        self.scope_keys = list(scope_keys)


class VariableDeserializationError(TypedVariablesError):
    """A declared variable is present but its value cannot become the declared type.

    Either the stored value is not JSON, or it is JSON of another type than the
    class declares (``reason`` says which; the value itself is left out).

    Attributes:
        name: the variable.
        reason: what is wrong with it.
    """

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"variable {name!r} cannot be read: {reason}", name=name)
        self.reason = reason


class MissingVariableError(TypedVariablesError):
    """``VariableMap.validate()`` found no value for a variable the class requires.

    Attributes:
        name: the variable.
        dto: the name of the class being built.
    """

    def __init__(self, name: str, dto: str) -> None:
        super().__init__(
            f"variable {name!r} is required by {dto} but the process instance has none; "
            f"set it in the process, give the field a default, or read it with .get({name!r})",
            name=name,
        )
        self.dto = dto


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    402: PaymentRequiredError,
    403: ForbiddenError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    406: NotAcceptableError,
    407: ProxyAuthenticationRequiredError,
    408: RequestTimeoutError,
    409: ConflictError,
    410: GoneError,
    411: LengthRequiredError,
    412: PreconditionFailedError,
    413: PayloadTooLargeError,
    414: URITooLongError,
    415: UnsupportedMediaTypeError,
    416: RangeNotSatisfiableError,
    417: ExpectationFailedError,
    421: MisdirectedRequestError,
    422: UnprocessableEntityError,
    423: LockedError,
    424: FailedDependencyError,
    425: TooEarlyError,
    426: UpgradeRequiredError,
    428: PreconditionRequiredError,
    429: TooManyRequestsError,
    431: RequestHeaderFieldsTooLargeError,
    451: UnavailableForLegalReasonsError,
    500: InternalServerError,
    501: NotImplementedServerError,
    502: BadGatewayError,
    503: ServiceUnavailableError,
    504: GatewayTimeoutError,
    505: HTTPVersionNotSupportedError,
    507: InsufficientStorageError,
    508: LoopDetectedError,
    511: NetworkAuthenticationRequiredError,
}


def error_class_for_status(status: int) -> type[ApiError]:
    """The most specific :class:`ApiError` subclass for an HTTP status."""
    cls = _BY_STATUS.get(status)
    if cls is not None:
        return cls
    if 400 <= status < 500:
        return ClientError
    if 500 <= status < 600:
        return ServerError
    return ApiError


def error_class(operation_id: str, status: int) -> type[ApiError]:
    """The class an error answer of ``operation_id`` raises.

    The per-operation class (``CreateProcessInstanceBadRequest``) when the spec
    lists ``status`` for the operation, else :func:`error_class_for_status`.
    """
    return operation_error_class(operation_id, status) or error_class_for_status(status)


# The per-operation classes (`CreateProcessInstanceBadRequest`, a `BadRequestError`) are
# made here, on first use, from the generated table `camunda_sdk.operations.errors`: pure
# data that imports nothing, so reading it keeps this module a leaf. Each class is kept in
# this module's namespace once made, under its public (and pickled) name.


def operation_error_class(operation_id: str, status: int) -> type[ApiError] | None:
    """The per-operation class for ``status`` from ``operation_id``; None if the spec lists none."""
    from .operations.errors import ERRORS

    statuses = ERRORS.get(operation_id)
    if statuses is None or status not in statuses:
        return None
    return _make(operation_id, status)


_names: dict[str, tuple[str, int]] | None = None  # class name -> (operationId, status)


def error_class_named(name: str) -> type[ApiError] | None:
    """The per-operation class called ``name`` (``CreateProcessInstanceBadRequest``), or None."""
    global _names
    names = _names
    if names is None:
        from .operations.errors import ERRORS, STATUS_CLASSES

        names = {
            _class_name(operation_id, STATUS_CLASSES[status][0]): (operation_id, status)
            for operation_id, statuses in ERRORS.items()
            for status in statuses
        }
        _names = names  # published whole: another thread never sees it half-built
    found = names.get(name)
    return None if found is None else _make(*found)


def _class_name(operation_id: str, suffix: str) -> str:
    return operation_id[:1].upper() + operation_id[1:] + suffix


def _make(operation_id: str, status: int) -> type[ApiError]:
    from .operations.errors import STATUS_CLASSES

    suffix, base_name = STATUS_CLASSES[status]
    name = _class_name(operation_id, suffix)
    namespace = globals()
    cls = namespace.get(name)
    if cls is None:
        base: type[ApiError] = namespace[base_name]
        doc = f"`{operation_id}` answered {status} (a `{base_name}` subclass)."
        made = type(name, (base,), {"__doc__": doc, "__module__": __name__})
        cls = namespace.setdefault(name, made)  # one class per name, even across threads
    return cls


# Type checkers read the per-operation classes from a generated stub-only module: there is
# no runtime module behind it (the classes are made above), hence no "source" to find.
if TYPE_CHECKING:
    from .operations.error_classes import *  # noqa: F403  # pyright: ignore[reportMissingModuleSource]
else:

    def __getattr__(name: str) -> type[ApiError]:
        """A per-operation error class, such as ``CreateProcessInstanceBadRequest``."""
        # Only class names: the import system probes modules for ``__path__`` and the like.
        cls = error_class_named(name) if name[:1].isupper() else None
        if cls is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        return cls
