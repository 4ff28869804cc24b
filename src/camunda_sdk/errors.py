"""The one exception hierarchy of the SDK.

Everything the SDK raises on purpose derives from :class:`CamundaError`:

- :class:`ConfigurationError`: a ``CAMUNDA_*`` setting is missing or malformed.
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
import json
import math
import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = [
    "CamundaError",
    "ConfigurationError",
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
    "api_error",
    "error_class_for_status",
    "redact_url",
    "safe_headers",
]

_MASK = "***"

# Query parameters whose values are credentials in common APIs; their values are
# masked rather than dropped so the URL still shows which parameters were sent.
_SENSITIVE_QUERY = re.compile(
    r"token|secret|password|passwd|pwd|api[-_]?key|apikey|auth|credential|signature|sig|code",
    re.IGNORECASE,
)


def redact_url(url: str) -> str:
    """Return ``url`` without user-info and with sensitive query values masked.

    The result is meant for messages and logs. Unparseable input is returned with
    everything from the first ``?`` removed, which is the conservative choice.
    """
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            # user:password@host -> ***@host: the presence of credentials is
            # useful to know, their value never is.
            netloc = _MASK + "@" + netloc.rsplit("@", 1)[1]
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            query = urlencode(
                [(k, _MASK if _SENSITIVE_QUERY.search(k) else v) for k, v in pairs], safe="*"
            )
        return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
    except ValueError:
        return url.split("?", 1)[0]


# Response headers worth keeping on an error: enough to diagnose and to honour
# Retry-After, nothing that can carry a credential.
_SAFE_HEADERS = frozenset(
    {
        "content-type",
        "retry-after",
        "www-authenticate",
        "x-request-id",
        "x-correlation-id",
        "traceparent",
        "sl-violations",
    }
)
# Auth-params of WWW-Authenticate that describe the failure; anything else
# (e.g. a vendor parameter echoing a token) is dropped.
_SAFE_AUTH_PARAMS = frozenset({"realm", "error", "error_description", "error_uri", "scope"})
_AUTH_PARAM = re.compile(r'([A-Za-z0-9_.-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,]*)')


def _clean_www_authenticate(value: str) -> str:
    scheme = value.strip().split(" ", 1)[0].rstrip(",")
    if "=" in scheme:
        scheme = ""  # the value starts directly with parameters
    params = [
        f"{name}={val}"
        for name, val in _AUTH_PARAM.findall(value)
        if name.lower() in _SAFE_AUTH_PARAMS
    ]
    return " ".join(filter(None, [scheme, ", ".join(params)]))


def safe_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """Keep the allow-listed response headers (lower-cased names), drop the rest."""
    if not headers:
        return {}
    kept: dict[str, str] = {}
    for name, value in headers.items():
        key = str(name).lower()
        if key not in _SAFE_HEADERS:
            continue
        text = str(value)
        kept[key] = _clean_www_authenticate(text) if key == "www-authenticate" else text
    return kept


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


def parse_retry_after(
    value: str | None, *, max_delay: float = math.inf, now: float | None = None
) -> float | None:
    """Seconds to wait as a ``Retry-After`` header asks, or None to ignore it.

    Accepts delay-seconds (``"3"``, leniently ``"1.5"``) and HTTP dates. A date
    in the past gives 0, a wait longer than ``max_delay`` is capped at it, and a
    malformed, negative or zone-less value, or an infinite one with no cap, is
    ignored (None).

    Args:
        value: the header value (None when absent).
        max_delay: the longest wait, in seconds.
        now: the current Unix time (default ``time.time()``), for tests.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        # Imported here: email.utils costs more at import than the rest of this
        # module, and HTTP-date Retry-After values are rare.
        import email.utils

        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:  # RFC 9110 dates are GMT; "-0000" parses naive
            return None
        current = time.time() if now is None else now
        seconds = max(0.0, when.timestamp() - current)
    else:
        if math.isnan(seconds) or seconds < 0:
            return None
    seconds = min(seconds, max_delay)  # "absurdly large" (even inf) becomes the cap
    return seconds if math.isfinite(seconds) else None


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


def _text_field(problem: Mapping[str, Any], *names: str) -> str | None:
    # Liberal reading: take the first present name, stringify non-strings
    # (some proxies send numbers or nested objects), ignore empty values.
    for name in names:
        value = problem.get(name)
        if value is None or value == "":
            continue
        if isinstance(value, str):
            return value
        return json.dumps(value) if isinstance(value, (dict, list)) else str(value)
    return None


# An Authorization value a server or proxy echoed back: "Bearer <token>",
# "Basic <base64 of user:password>", or a bare JWT.
_AUTH_VALUE = re.compile(r"\b(bearer|basic)(\s+)([A-Za-z0-9._~+/-]+=*)", re.IGNORECASE)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")


def _mask_auth_value(match: re.Match[str]) -> str:
    scheme, space, value = match.groups()
    if scheme.lower() == "basic":
        # Only what decodes to "user:password": "Basic authentication failed" stays.
        import base64
        import binascii

        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return match.group(0)
        if ":" not in decoded:
            return match.group(0)
    elif len(value) < 16 and not any(c.isdigit() for c in value):
        return match.group(0)  # "Bearer token", "Bearer realm": words, not tokens
    return f"{scheme}{space}{_MASK}"


def _scrub_credentials(text: str) -> str:
    """``text`` with echoed ``Bearer``/``Basic`` credentials and JWTs replaced by ``***``.

    The values a client sent are masked by value before the response reaches
    here (see the ``auth`` plugin); this catches the shapes of credentials the
    client did not send itself (a header given per call, a proxy's token).
    """
    if "earer" in text or "asic" in text or "BEARER" in text or "BASIC" in text:
        text = _AUTH_VALUE.sub(_mask_auth_value, text)
    if "eyJ" in text:
        text = _JWT.sub(_MASK, text)
    return text


def api_error(
    operation_id: str,
    status: int,
    body: bytes | str | None,
    headers: Mapping[str, str] | None = None,
) -> ApiError:
    """Build the typed error for an error response.

    The body is read as RFC 9457 problem JSON when possible, otherwise as any
    JSON object (Spring's ``error``/``message`` shape fills ``title``/``detail``);
    a body that is not JSON leaves the problem fields None and is kept raw.

    Credentials echoed in the body (a ``Bearer``/``Basic`` value, a JWT) are masked in
    the problem fields, ``problem`` and so the message; ``body`` keeps the bytes
    as received, and is never part of ``str()`` or ``repr()`` of the error.
    """
    raw = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    problem: dict[str, Any] | None = None
    stripped = raw.lstrip()
    # Cheap pre-check: only try JSON when it can be an object.
    if stripped[:1] == b"{":
        try:
            # Scrubbed as text: the masks keep the JSON valid, and nested members
            # of the problem are covered without walking them.
            parsed = json.loads(_scrub_credentials(stripped.decode("utf-8", errors="replace")))
        except (ValueError, RecursionError):  # RecursionError: absurdly deep JSON
            parsed = None
        if isinstance(parsed, dict):
            problem = parsed
    fields: dict[str, str | None] = {"type": None, "title": None, "detail": None, "instance": None}
    if problem is not None:
        fields = {
            "type": _text_field(problem, "type"),
            "title": _text_field(problem, "title", "error"),
            "detail": _text_field(problem, "detail", "message", "error_description"),
            "instance": _text_field(problem, "instance", "path"),
        }
    # The per-operation class (CreateProcessInstanceBadRequest, a BadRequestError) when the
    # spec lists this status for the operation; its table is loaded at the first error.
    from camunda_sdk._operation_errors import error_class

    cls = error_class(operation_id, status) or error_class_for_status(status)
    return cls(
        operation_id,
        status,
        type=fields["type"],
        title=fields["title"],
        detail=fields["detail"],
        instance=fields["instance"],
        body=raw,
        headers=headers,
        problem=problem,
    )


# The per-operation classes (`CreateProcessInstanceBadRequest`, ...) are generated in
# `camunda_sdk.operations.errors` and made on first use: this module exposes them by name
# without importing that table, and type checkers read their declarations from its stub.
if TYPE_CHECKING:
    from camunda_sdk.operations.errors import *  # noqa: F403
else:

    def __getattr__(name: str) -> type[ApiError]:
        """A per-operation error class, such as ``CreateProcessInstanceBadRequest``."""
        if name[:1].isupper():  # dunder probes (``__path__``, ...) never load the table
            from camunda_sdk._operation_errors import error_class_named

            cls = error_class_named(name)
            if cls is not None:
                globals()[name] = cls
                return cls
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
