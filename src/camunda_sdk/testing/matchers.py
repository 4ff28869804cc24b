"""Request matchers fit for the Camunda REST API.

vcrpy matchers take two vcrpy requests and raise ``AssertionError`` (with a
short reason) when they differ. The plugin registers these two on its VCR
instance and matches on ``method``, :func:`camunda_path`, ``query`` and
:func:`camunda_body`; headers are never compared (trace ids, user agents and
dates change on every run), nor are the scheme, host and port.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["MATCH_ON", "camunda_body", "camunda_path", "normalized_body"]

MATCH_ON: tuple[str, ...] = ("method", "camunda_path", "query", "camunda_body")
"""The default ``match_on`` of a Camunda cassette."""

_API_ROOT = "/v2/"
_ACTIVATION = "/v2/jobs/activation"
_BOUNDARY = re.compile(r"boundary=\"?([^\";]+)\"?", re.IGNORECASE)


def camunda_path(r1: Any, r2: Any) -> None:
    """Compare paths from the ``/v2/`` API root on, so a cassette recorded against
    ``https://host/<cluster-id>/v2`` replays against ``http://localhost:8080/v2``.

    Paths without ``/v2/`` (the OAuth token endpoint) are compared whole.
    """
    p1, p2 = _api_path(r1.path), _api_path(r2.path)
    if p1 != p2:
        raise AssertionError(f"{p1} != {p2}")


def _api_path(path: str) -> str:
    index = path.find(_API_ROOT)
    path = path[index:] if index >= 0 else path
    return path.rstrip("/") or "/"


def camunda_body(r1: Any, r2: Any) -> None:
    """Compare bodies by meaning: JSON as parsed values (key order ignored), forms
    as sorted fields, multipart with its random boundary neutralised, anything
    else byte for byte.

    A job activation's ``maxJobsToActivate`` is left out: it is the worker's free
    capacity at that moment, which depends on timing, not on what the test does.
    """
    b1, b2 = normalized_body(r1), normalized_body(r2)
    if _api_path(r1.path) == _ACTIVATION and isinstance(b1, dict) and isinstance(b2, dict):
        b1 = {k: v for k, v in b1.items() if k != "maxJobsToActivate"}
        b2 = {k: v for k, v in b2.items() if k != "maxJobsToActivate"}
    if b1 == b2:
        return
    if isinstance(b1, (dict, list)) and isinstance(b2, (dict, list)):
        where, left, right = _first_difference(b1, b2, "$")
        raise AssertionError(f"JSON body differs at {where}: {_short(left)} != {_short(right)}")
    raise AssertionError(f"body {_short(b1)} != {_short(b2)}")


def normalized_body(request: Any) -> Any:
    """The comparable form of a vcrpy request's body (see :func:`camunda_body`)."""
    body = _read(request.body)
    if not body:
        return b""
    raw_type = _header(request, "content-type")
    content_type = raw_type.lower()
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if "multipart/" in content_type:
        match = _BOUNDARY.search(raw_type)  # boundaries are case-sensitive
        raw = body if isinstance(body, bytes) else body.encode()
        return raw.replace(match.group(1).encode(), b"BOUNDARY") if match else raw
    if "json" in content_type or text.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            pass
    if "x-www-form-urlencoded" in content_type:
        return sorted(parse_qsl(text, keep_blank_values=True))
    return body if isinstance(body, bytes) else body.encode()


def _read(body: Any) -> bytes | str | None:
    if body is None or isinstance(body, (bytes, str)):
        return body
    if isinstance(body, bytearray):
        return bytes(body)
    if hasattr(body, "read"):  # vcrpy hands file-like bodies back as BytesIO
        return body.read()
    if hasattr(body, "__iter__"):
        return b"".join(body)
    return str(body)


def _header(request: Any, name: str) -> str:
    headers = getattr(request, "headers", None) or {}
    value = headers.get(name)
    if value is None:
        for key, val in headers.items():
            if key.lower() == name:
                value = val
                break
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return str(value or "")


def _first_difference(a: Any, b: Any, where: str) -> tuple[str, Any, Any]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a:
                return f"{where}.{key}", "<missing>", b[key]
            if key not in b:
                return f"{where}.{key}", a[key], "<missing>"
            if a[key] != b[key]:
                return _first_difference(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            if x != y:
                return _first_difference(x, y, f"{where}[{i}]")
        if len(a) != len(b):
            return f"{where} (length)", len(a), len(b)
    return where, a, b


def _short(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
