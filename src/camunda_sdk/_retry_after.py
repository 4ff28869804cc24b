"""Reading a ``Retry-After`` header (RFC 9110, section 10.2.3).

A bottom-layer helper with no SDK imports: :class:`~camunda_sdk.errors.ApiError`
exposes the value as ``retry_after``, and the ``retry`` stage and the OAuth
token fetch honour it.
"""

from __future__ import annotations

import math
import time

__all__ = ["parse_retry_after"]


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
