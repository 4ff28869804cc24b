"""Keeping credentials out of messages, logs and spans (design principle 7).

Bottom-layer helpers with no SDK imports: :func:`redact_url` for any URL an error
or a log line shows, :func:`safe_headers` for the response headers an error keeps,
and :func:`scrub_credentials` for response text that may echo an ``Authorization``
value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["MASK", "redact_url", "safe_headers", "scrub_credentials"]

#: What a masked value is replaced by.
MASK = "***"

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
            netloc = MASK + "@" + netloc.rsplit("@", 1)[1]
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            query = urlencode(
                [(k, MASK if _SENSITIVE_QUERY.search(k) else v) for k, v in pairs], safe="*"
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
    return f"{scheme}{space}{MASK}"


def scrub_credentials(text: str) -> str:
    """``text`` with echoed ``Bearer``/``Basic`` credentials and JWTs replaced by ``***``.

    The values a client sent are masked by value before the response reaches
    here (see the ``auth`` plugin); this catches the shapes of credentials the
    client did not send itself (a header given per call, a proxy's token).
    """
    if "earer" in text or "asic" in text or "BEARER" in text or "BASIC" in text:
        text = _AUTH_VALUE.sub(_mask_auth_value, text)
    if "eyJ" in text:
        text = _JWT.sub(MASK, text)
    return text
