"""ISO 8601 timer values: durations (`PT5M`), date-times and repeating cycles (`R3/PT10S`).

Pure functions over epoch milliseconds; each raises `ValueError` with a message naming the
value and the form expected. Cron cycles are not supported (the engine refuses them).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

__all__ = [
    "Cycle",
    "Duration",
    "add_duration",
    "date_from_value",
    "duration_from_value",
    "parse_cycle",
    "parse_date",
    "parse_duration",
]

_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?"
    r"(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?"
    r"(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?$"
)
_ZONE_ID = re.compile(r"^(?P<stamp>.+?)\[(?P<zone>[A-Za-z0-9_+\-/]+)\]$")


@dataclass(frozen=True)
class Duration:
    """An ISO 8601 duration: calendar months plus a fixed number of milliseconds."""

    months: int
    millis: int


@dataclass(frozen=True)
class Cycle:
    """A repeating timer: `repetitions` (None: forever), an optional start, the interval."""

    repetitions: int | None
    start_ms: int | None
    interval: Duration


def parse_duration(text: str) -> Duration:
    """`PT5M`, `P1DT2H`, `P1Y2M`, `PT0.5S` ... as a `Duration`."""
    match = _DURATION.match(text.strip())
    if match is None or text.strip() in ("P", "PT") or text.strip().endswith("T"):
        raise ValueError(f"'{text}' is not an ISO 8601 duration such as PT5M or P1DT2H")
    parts = {name: match.group(name) for name in ("years", "months", "weeks", "days")}
    months = int(parts["years"] or 0) * 12 + int(parts["months"] or 0)
    days = int(parts["weeks"] or 0) * 7 + int(parts["days"] or 0)
    seconds = float((match.group("seconds") or "0").replace(",", "."))
    millis = (
        days * 86_400_000
        + int(match.group("hours") or 0) * 3_600_000
        + int(match.group("minutes") or 0) * 60_000
        + round(seconds * 1000)
    )
    if match.group("sign"):
        months, millis = -months, -millis
    return Duration(months, millis)


def add_duration(epoch_ms: int, duration: Duration) -> int:
    """`epoch_ms` moved by `duration` (months by the calendar, in UTC)."""
    if duration.months:
        moment = datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc)
        month_index = moment.month - 1 + duration.months
        year, month = moment.year + month_index // 12, month_index % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        moment = moment.replace(year=year, month=month, day=day)
        epoch_ms = int(moment.timestamp() * 1000)
    return epoch_ms + duration.millis


def parse_date(text: str) -> int:
    """An ISO 8601 date-time (`2024-05-01T10:00:00Z`, with offset or `[Zone/Id]`) in epoch ms.

    A date-time without a zone is read as UTC.
    """
    stamp = text.strip()
    zone_name = None
    zoned = _ZONE_ID.match(stamp)
    if zoned is not None:
        stamp, zone_name = zoned.group("stamp"), zoned.group("zone")
    if stamp.endswith(("Z", "z")):
        stamp = stamp[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        raise ValueError(
            f"'{text}' is not an ISO 8601 date-time such as 2024-05-01T10:00:00Z"
        ) from None
    if moment.tzinfo is None:
        if zone_name is not None:
            try:
                from zoneinfo import ZoneInfo

                moment = moment.replace(tzinfo=ZoneInfo(zone_name))
            except Exception:
                raise ValueError(f"'{text}' names an unknown time zone '{zone_name}'") from None
        else:
            moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def parse_cycle(text: str) -> Cycle:
    """`R3/PT10S`, `R/PT1H` (forever) or `R2/2024-05-01T10:00:00Z/P1D` as a `Cycle`."""
    parts = text.strip().split("/")
    if len(parts) not in (2, 3) or not parts[0].startswith("R"):
        raise ValueError(
            f"'{text}' is not an ISO 8601 repeating interval such as R3/PT10S "
            "(cron expressions are not supported by the dev cluster)"
        )
    count = parts[0][1:]
    if count and not count.isdigit():
        raise ValueError(f"'{text}': the repetitions after 'R' must be a whole number")
    repetitions = int(count) if count else None
    start_ms = parse_date(parts[1]) if len(parts) == 3 else None
    interval = parse_duration(parts[-1])
    if interval.months <= 0 and interval.millis <= 0:
        raise ValueError(f"'{text}': the interval of a cycle must be positive")
    return Cycle(repetitions, start_ms, interval)


def duration_from_value(value: object) -> Duration:
    """A FEEL result (a duration, or its ISO text) as a `Duration`."""
    if isinstance(value, timedelta):
        return Duration(0, int(value / timedelta(milliseconds=1)))
    if isinstance(value, str):
        return parse_duration(value)
    raise ValueError(f"expected a duration, but got {value!r}")


def date_from_value(value: object) -> int:
    """A FEEL result (a date-time, a date, or its ISO text) in epoch milliseconds."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return int(value.timestamp() * 1000)
    if isinstance(value, date):
        midnight = datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
        return int(midnight.timestamp() * 1000)
    if isinstance(value, str):
        return parse_date(value)
    raise ValueError(f"expected a date-time, but got {value!r}")
