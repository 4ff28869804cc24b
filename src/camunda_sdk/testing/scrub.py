"""Remove credentials from recorded interactions before a cassette is written.

:class:`Scrubber` supplies vcrpy's ``before_record_request`` and
``before_record_response`` hooks. vcrpy also runs ``before_record_request`` on
every live request before matching it against the cassette, so a request that
carries a real secret still matches its scrubbed recording.

What is scrubbed:

- the values of sensitive headers (``Authorization``, cookies and any configured
  extra header) are replaced by :data:`SCRUBBED`;
- OAuth fields (``client_secret``, ``access_token``, ...) in form bodies, JSON
  bodies and query strings;
- every occurrence of a known secret value (and its URL- and JSON-escaped forms)
  in URLs, headers and bodies. Known are the values given to the scrubber and
  every credential it sees go by: the ``Authorization`` header's token or Basic
  password, and the values of :data:`SECRET_FIELDS` in requests and responses
  (the client secret of a token request, the access token of its answer). A
  secret therefore stays out of a cassette however its setting was spelt, and
  a server echoing a token later in an error body does not write it there.

Nothing here imports vcrpy: the hooks work on vcrpy's duck-typed request object
and response dict.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

__all__ = [
    "DEFAULT_SCRUB_HEADERS",
    "MIN_SECRET_LENGTH",
    "SCRUBBED",
    "SECRET_FIELDS",
    "Scrubber",
]

SCRUBBED = "REDACTED"
"""What a scrubbed value is replaced with (safe in URLs, forms and JSON)."""

DEFAULT_SCRUB_HEADERS: frozenset[str] = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
)
"""Headers whose values never reach a cassette (lower-case names)."""

SECRET_FIELDS: frozenset[str] = frozenset(
    {
        "client_secret",
        "client_assertion",
        "access_token",
        "refresh_token",
        "id_token",
        "password",
    }
)
"""OAuth form, query and token-response fields whose values are replaced."""

MIN_SECRET_LENGTH = 8
"""Secret values shorter than this are not replaced by value: doing so would
mangle unrelated text (the ``demo`` password of a local cluster would turn every
``demo`` user name in a response into ``REDACTED`` and break replay), and a value
that short is no secret anyway. Headers and OAuth fields are scrubbed whatever
their length."""

_FORM = "application/x-www-form-urlencoded"


class Scrubber:
    """vcrpy hooks that replace secrets before anything is written.

    Args:
        values: secret values to replace wherever they appear.
        headers: extra header names (case-insensitive) whose values are replaced,
            besides :data:`DEFAULT_SCRUB_HEADERS`.
    """

    def __init__(self, values: Iterable[str | None] = (), headers: Iterable[str] = ()) -> None:
        self.headers = DEFAULT_SCRUB_HEADERS | {h.strip().lower() for h in headers if h.strip()}
        self._variants: set[str] = set()
        self._text: list[str] = []
        self._bytes: list[bytes] = []
        self.learn(*values)

    def learn(self, *values: str | None) -> None:
        """Add secret values to replace from now on (short ones are ignored)."""
        new = set()
        for value in values:
            if value and len(value) >= MIN_SECRET_LENGTH:
                new.update(_escaped_forms(value))
        if new <= self._variants:
            return
        self._variants |= new
        # Longest first, so a secret is replaced before a shorter one inside it.
        self._text = sorted(self._variants, key=len, reverse=True)
        self._bytes = [v.encode() for v in self._text]

    def _learn_authorization(self, value: str) -> None:
        scheme, _, credential = value.strip().partition(" ")
        credential = credential.strip()
        self.learn(credential)
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credential, validate=True).decode("utf-8")
            except (binascii.Error, ValueError):
                return
            self.learn(decoded, decoded.partition(":")[2])

    def __repr__(self) -> str:
        # Never show the values themselves.
        return f"Scrubber(<{len(self._text)} secret forms>, headers={sorted(self.headers)})"

    # -- text ------------------------------------------------------------------

    def text(self, text: str) -> str:
        """Return ``text`` with every known secret value replaced."""
        for value in self._text:
            if value in text:
                text = text.replace(value, SCRUBBED)
        return text

    def body(self, body: Any) -> Any:
        """Scrub a ``bytes`` or ``str`` body (anything else is returned as is)."""
        if isinstance(body, (bytes, bytearray)):
            out = bytes(body)
            for value in self._bytes:
                if value in out:
                    out = out.replace(value, SCRUBBED.encode())
            return out
        if isinstance(body, str):
            return self.text(body)
        return body

    # -- vcrpy hooks -------------------------------------------------------------

    def request(self, request: Any) -> Any:
        """``before_record_request``: scrub a vcrpy request (a copy made by vcrpy)."""
        content_type = str(request.headers.get("content-type") or "")
        for name in list(request.headers.keys()):
            if name.lower() in ("authorization", "proxy-authorization"):
                value = request.headers[name]
                if isinstance(value, str):
                    self._learn_authorization(value)
        self.learn(*_field_values(request.body, content_type))
        for name in list(request.headers.keys()):
            value = request.headers[name]
            if name.lower() in self.headers:
                request.headers[name] = SCRUBBED
            elif isinstance(value, str):
                request.headers[name] = self.text(value)
        request.uri = self.text(_scrub_query(request.uri))
        request.body = self.body(_scrub_fields(request.body, content_type))
        return request

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        """``before_record_response``: scrub a vcrpy response dict (a copy made by vcrpy)."""
        headers: dict[str, list[str]] = response.get("headers") or {}
        content_type = ""
        for name, values in headers.items():
            if name.lower() == "content-type" and values:
                content_type = str(values[0])
        body = response.get("body")
        if isinstance(body, dict):
            self.learn(*_field_values(body.get("string"), content_type))  # a token response
        for name, values in headers.items():
            if name.lower() in self.headers:
                headers[name] = [SCRUBBED for _ in values]
            else:
                headers[name] = [self.text(v) if isinstance(v, str) else v for v in values]
        if isinstance(body, dict) and "string" in body:
            before = body["string"]
            after = self.body(_scrub_fields(before, content_type))
            body["string"] = after
            if after != before:
                _fix_content_length(headers, after)
        return response


def _escaped_forms(value: str) -> set[str]:
    """The spellings of ``value`` that may appear on the wire."""
    return {
        value,
        quote_plus(value, safe=""),
        quote(value, safe=""),
        json.dumps(value)[1:-1],  # inside a JSON string
    }


def _field_values(body: Any, content_type: str) -> list[str]:
    """The values of :data:`SECRET_FIELDS` in a form-encoded or JSON body."""
    if not isinstance(body, (bytes, bytearray, str)) or not body:
        return []
    raw = body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else body
    head = raw.lstrip()[:1]
    if head in ("{", "["):
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            return []
        found: list[str] = []
        stack = [data]
        while stack:  # iterative: a deep body must not exhaust the stack
            node = stack.pop()
            if isinstance(node, dict):
                for key, value in node.items():
                    if isinstance(key, str) and key.lower() in SECRET_FIELDS:
                        if isinstance(value, str):
                            found.append(value)
                    else:
                        stack.append(value)
            elif isinstance(node, list):
                stack.extend(node)
        return found
    if "json" in content_type.lower() or "=" not in raw:
        return []
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return []
    return [v for k, v in pairs if k.lower() in SECRET_FIELDS]


def _scrub_query(uri: str) -> str:
    parts = urlsplit(uri)
    if not parts.query:
        return uri
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not any(k.lower() in SECRET_FIELDS for k, _ in pairs):
        return uri  # leave the query's own encoding alone
    pairs = [(k, SCRUBBED if k.lower() in SECRET_FIELDS else v) for k, v in pairs]
    return urlunsplit(parts._replace(query=urlencode(pairs)))


def _scrub_fields(body: Any, content_type: str) -> Any:
    """Replace :data:`SECRET_FIELDS` in a form-encoded or JSON body."""
    if not isinstance(body, (bytes, bytearray, str)) or not body:
        return body
    raw = body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else body
    scrubbed: str | None = None
    if _FORM in content_type.lower() or (
        "json" not in content_type.lower() and "=" in raw and raw.lstrip()[:1] not in "{["
    ):
        scrubbed = _scrub_form(raw)
    elif raw.lstrip()[:1] in ("{", "["):
        scrubbed = _scrub_json(raw)
    if scrubbed is None:
        return body
    return scrubbed.encode() if isinstance(body, (bytes, bytearray)) else scrubbed


def _scrub_form(raw: str) -> str | None:
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return None
    if not any(k.lower() in SECRET_FIELDS for k, _ in pairs):
        return None
    return urlencode([(k, SCRUBBED if k.lower() in SECRET_FIELDS else v) for k, v in pairs])


def _scrub_json(raw: str) -> str | None:
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    changed = False

    def walk(node: Any) -> Any:
        nonlocal changed
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if isinstance(key, str) and key.lower() in SECRET_FIELDS and isinstance(value, str):
                    out[key] = SCRUBBED
                    changed = True
                else:
                    out[key] = walk(value)
            return out
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    data = walk(data)
    return json.dumps(data) if changed else None


def _fix_content_length(headers: dict[str, list[str]], body: Any) -> None:
    # A replayed response must not announce more bytes than it carries.
    size = len(body.encode() if isinstance(body, str) else body or b"")
    for name in headers:
        if name.lower() == "content-length":
            headers[name] = [str(size)]
