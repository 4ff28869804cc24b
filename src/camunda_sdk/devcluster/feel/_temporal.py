"""Reading FEEL's temporal literals (dates, times, dates and times, durations) from text.

Each parser returns None for text that is not a valid literal of its kind, as FEEL-Scala's
conversion functions answer null for it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ._values import YearsMonths

__all__ = [
    "add_months",
    "parse_date",
    "parse_date_and_time",
    "parse_duration",
    "parse_temporal",
    "parse_time",
    "zone",
]

_DATE = re.compile(r"(-?\d{4,9})-(\d{2})-(\d{2})")
_TIME = re.compile(
    r"(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(Z|[+-]\d{2}:\d{2}(?::\d{2})?|@[A-Za-z][\w/+\-]*)?(?:\[([A-Za-z][\w/+\-]*)\])?"
)
_YM_DURATION = re.compile(r"(-)?P(?:(-?\d+)Y)?(?:(-?\d+)M)?")
_DURATION = re.compile(
    r"(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?"
    r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d{1,9}))?S)?)?"
)


def zone(name: str) -> dt.tzinfo | None:
    """The time zone a FEEL zone text names: ``Z``, an offset ``+01:00`` or an IANA id."""
    if name in ("Z", "UTC", "z"):
        return dt.timezone.utc
    m = re.fullmatch(r"([+-])(\d{2}):(\d{2})(?::(\d{2}))?", name)
    if m:
        sign = -1 if m.group(1) == "-" else 1
        delta = dt.timedelta(
            hours=int(m.group(2)), minutes=int(m.group(3)), seconds=int(m.group(4) or 0)
        )
        if delta >= dt.timedelta(hours=18):
            return None
        return dt.timezone(sign * delta)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def parse_date(text: str) -> dt.date | None:
    """``YYYY-MM-DD`` as a date, or None."""
    m = _DATE.fullmatch(text)
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _time_parts(m: re.Match[str]) -> tuple[int, int, int, int, dt.tzinfo | None] | None:
    hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    micro = int((m.group(4) or "0").ljust(6, "0")[:6])
    tz: dt.tzinfo | None = None
    marker, bracket = m.group(5), m.group(6)
    if marker:
        tz = zone(marker[1:] if marker.startswith("@") else marker)
        if tz is None:
            return None
    if bracket:
        tz = zone(bracket)
        if tz is None:
            return None
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour, minute, second, micro, tz


def parse_time(text: str) -> dt.time | None:
    """``HH:MM:SS[.fff][Z|+hh:mm|@Zone]`` (optionally after a ``T``) as a time, or None."""
    m = _TIME.fullmatch(text[1:] if text.startswith("T") else text)
    if not m:
        return None
    parts = _time_parts(m)
    if parts is None:
        return None
    hour, minute, second, micro, tz = parts
    return dt.time(hour, minute, second, micro, tzinfo=tz)


def parse_date_and_time(text: str) -> dt.datetime | None:
    """``YYYY-MM-DDTHH:MM:SS[...zone]`` (or a bare date, at midnight) as a datetime, or None."""
    date_text, sep, time_text = text.partition("T")
    day = parse_date(date_text)
    if day is None:
        return None
    if not sep:
        return dt.datetime(day.year, day.month, day.day)
    m = _TIME.fullmatch(time_text)
    if not m:
        return None
    parts = _time_parts(m)
    if parts is None:
        return None
    hour, minute, second, micro, tz = parts
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, micro, tzinfo=tz)


def parse_duration(text: str) -> dt.timedelta | YearsMonths | None:
    """An ISO 8601 duration: ``P1Y2M`` as years-months, ``P1DT2H`` as days-time, else None."""
    ym = _YM_DURATION.fullmatch(text)
    if ym and (ym.group(2) or ym.group(3)):
        sign = -1 if ym.group(1) else 1
        return YearsMonths(sign * (int(ym.group(2) or 0) * 12 + int(ym.group(3) or 0)))
    m = _DURATION.fullmatch(text)
    if not m or text.rstrip("-") in ("P", "PT") or text.endswith("T"):
        return None
    sign = -1 if m.group(1) else 1
    years, months, days, hours, minutes, seconds, frac = m.groups()[1:]
    has_ym = years is not None or months is not None
    has_dt = any(g is not None for g in (days, hours, minutes, seconds))
    if has_ym == has_dt:
        return None  # both kinds at once (or neither) is no FEEL duration
    if has_ym:
        return YearsMonths(sign * (int(years or 0) * 12 + int(months or 0)))
    micro = int((frac or "0").ljust(6, "0")[:6])
    try:
        delta = dt.timedelta(
            days=int(days or 0),
            hours=int(hours or 0),
            minutes=int(minutes or 0),
            seconds=int(seconds or 0),
            microseconds=micro,
        )
    except OverflowError:
        return None
    return delta if sign > 0 else -delta


def parse_temporal(text: str) -> Any:
    """What an ``@"..."`` literal holds: a duration, date and time, date or time (or None)."""
    if text.startswith(("P", "-P")):
        return parse_duration(text)
    if "T" in text:
        return parse_date_and_time(text)
    if _DATE.fullmatch(text):
        return parse_date(text)
    return parse_time(text)


def add_months(value: dt.date, months: int) -> dt.date:
    """A date (or datetime) moved by whole months, clamped to the month's last day."""
    total = value.year * 12 + (value.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    last = _days_in_month(year, month)
    return value.replace(year=year, month=month, day=min(value.day, last))


def _days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (dt.date(year, month + 1, 1) - dt.timedelta(days=1)).day
