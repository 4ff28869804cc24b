"""Reading an error answer into the typed error it raises.

:func:`api_error` turns an error response (status, body, headers) into the
:class:`~camunda_sdk.errors.ApiError` subclass of :func:`camunda_sdk.errors.error_class`,
with the RFC 9457 problem fields read liberally. It sits above the hierarchy and
the generated error table, which it reads through :mod:`camunda_sdk.errors`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._redact import scrub_credentials
from .errors import ApiError, error_class

__all__ = ["api_error"]


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


def _problem(raw: bytes) -> dict[str, Any] | None:
    """The body as a JSON object with echoed credentials masked, or None when it is none."""
    stripped = raw.lstrip()
    if stripped[:1] != b"{":  # cheap pre-check: only try JSON when it can be an object
        return None
    try:
        # Scrubbed as text: the masks keep the JSON valid, and nested members
        # of the problem are covered without walking them.
        parsed = json.loads(scrub_credentials(stripped.decode("utf-8", errors="replace")))
    except (ValueError, RecursionError):  # RecursionError: absurdly deep JSON
        return None
    return parsed if isinstance(parsed, dict) else None


def api_error(
    operation_id: str,
    status: int,
    body: bytes | str | None,
    headers: Mapping[str, str] | None = None,
) -> ApiError:
    """Build the typed error for an error response.

    The body is read as RFC 9457 problem JSON when possible, otherwise as any
    JSON object (Spring's ``error``/``message`` shape fills ``title``/``detail``);
    a body that is not JSON leaves the problem fields None and is kept raw. The
    class is the per-operation one (``CreateProcessInstanceBadRequest``) when
    the spec lists this status for the operation, else the status class.

    Credentials echoed in the body (a ``Bearer``/``Basic`` value, a JWT) are masked in
    the problem fields, ``problem`` and so the message; ``body`` keeps the bytes
    as received, and is never part of ``str()`` or ``repr()`` of the error.
    """
    raw = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    problem = _problem(raw)
    found = problem or {}
    return error_class(operation_id, status)(
        operation_id,
        status,
        type=_text_field(found, "type"),
        title=_text_field(found, "title", "error"),
        detail=_text_field(found, "detail", "message", "error_description"),
        instance=_text_field(found, "instance", "path"),
        body=raw,
        headers=headers,
        problem=problem,
    )
