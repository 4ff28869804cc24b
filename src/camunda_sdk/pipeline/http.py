"""The request and response every stage sees, whatever the transport.

Stages and third-party plugins read and change these two small types; the
drivers' senders (:mod:`camunda_sdk.transport`) adapt them to httpx
(the sync client, and the async client on httpx's own transport or a
``transport=`` given to it) and to aiohttp (the async client's fast path).
So a stage written once behaves the same on every transport, and no stage
pays for building an ``httpx.Request`` it does not need.

Transport failures are httpx's exception classes on every transport
(``httpx.ConnectError``, ``httpx.ReadTimeout``, ...): aiohttp's are mapped
onto them (:func:`camunda_sdk.transport.aiohttp_async.map_aiohttp_error`), so retry,
backpressure and the job worker classify a failure identically.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from types import MappingProxyType
from typing import Any

__all__ = ["Request", "Response"]


class Request:
    """One HTTP request, as the transport stage builds it and stages change it.

    Attributes:
        method: upper-case HTTP method.
        url: the absolute URL, query string included.
        headers: header names in lower case (stages ``setdefault`` on them).
        content: the encoded body, or None.
        timeout: seconds the whole exchange may take (connect, send, wait, read
            the body); None: no bound.
        extensions: per-request state for stages and plugins; API requests carry
            their :class:`~camunda_sdk.pipeline.operation.Operation` under
            ``"camunda_sdk.operation"``.
    """

    __slots__ = ("content", "extensions", "headers", "method", "timeout", "url")

    def __init__(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
        timeout: float | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        self.method = method
        self.url = url
        self.headers = {} if headers is None else headers
        self.content = content
        self.timeout = timeout
        self.extensions = {} if extensions is None else extensions

    def __repr__(self) -> str:
        # The URL without its query (which may carry identifiers); never headers or body.
        return f"<Request {self.method} {self.url.partition('?')[0]}>"


_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


def _case_insensitive(headers: Any) -> Mapping[str, str]:
    # httpx.Headers and aiohttp's CIMultiDictProxy already are; a plain dict or a
    # list of pairs (a stage's hand-made response) becomes one.
    if headers is None:
        return _NO_HEADERS
    if isinstance(headers, Mapping) and type(headers) is not dict:
        return headers  # pyright: ignore[reportUnknownVariableType]
    import httpx

    return httpx.Headers(headers)


class Response:
    """One HTTP response, its body read in full.

    Attributes:
        status_code: the HTTP status.
        headers: a case-insensitive mapping of the response headers (look names up
            in lower case: ``response.headers.get("retry-after")``).
        content: the body, decompressed.
        request: the :class:`Request` this answers.
    """

    __slots__ = ("content", "headers", "request", "status_code")

    def __init__(
        self,
        status_code: int,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        content: bytes = b"",
        request: Request | None = None,
    ) -> None:
        self.status_code = status_code
        self.headers: Mapping[str, str] = _case_insensitive(headers)
        self.content = content
        self.request = request

    @property
    def is_success(self) -> bool:
        """Whether the status is 2xx."""
        return 200 <= self.status_code < 300

    @property
    def reason_phrase(self) -> str:
        """The standard phrase of the status (``"Not Found"``), or ``""``."""
        try:
            return HTTPStatus(self.status_code).phrase
        except ValueError:
            return ""

    @property
    def text(self) -> str:
        """The body decoded with the charset of its content type (UTF-8 if none)."""
        charset = "utf-8"
        for part in (self.headers.get("content-type") or "").split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "charset" and value:
                charset = value.strip('"')
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:  # an unknown charset
            return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON (``ValueError`` if it is not JSON)."""
        return json.loads(self.content)

    def __repr__(self) -> str:
        return f"<Response [{self.status_code}]>"
