"""FEEL values in Python: the value types FEEL has and Python lacks, type names, and rendering.

Numbers are Python ``int`` (exact) or ``decimal.Decimal`` inside an evaluation; a ``float`` read
from the variables is taken by its shortest repr (so 0.1 is the decimal 0.1, not the binary
fraction). Results leave an evaluation as ``int`` when integral and ``float`` otherwise.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "DECIMAL",
    "FeelFunction",
    "Range",
    "YearsMonths",
    "feel_string",
    "kind_of",
    "number",
    "to_json",
    "to_python",
]

# FEEL numbers are decimals with 34 significant digits (DMN spec; FEEL-Scala uses DECIMAL128).
DECIMAL = decimal.Context(
    prec=34,
    rounding=decimal.ROUND_HALF_EVEN,
    Emax=6144,
    Emin=-6143,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


@dataclass(frozen=True, slots=True, order=True)
class YearsMonths:
    """A FEEL years-and-months duration (``P1Y2M``), held as a signed count of months."""

    months: int

    @property
    def years_part(self) -> int:
        """The whole years, with the sign of the duration."""
        return _sign(self.months) * (abs(self.months) // 12)

    @property
    def months_part(self) -> int:
        """The months left over after whole years, with the sign of the duration."""
        return _sign(self.months) * (abs(self.months) % 12)

    def isoformat(self) -> str:
        """The ISO 8601 form FEEL prints, such as ``P1Y2M`` or ``-P3M``."""
        total = abs(self.months)
        years, months = divmod(total, 12)
        if not total:
            return "P0Y"
        body = (f"{years}Y" if years else "") + (f"{months}M" if months else "")
        return ("-" if self.months < 0 else "") + "P" + body

    def __str__(self) -> str:
        return self.isoformat()


@dataclass(frozen=True, slots=True)
class Range:
    """A FEEL range such as ``[1..5]`` or ``(1..5]``; an endpoint of None is unbounded."""

    start: Any
    end: Any
    start_included: bool
    end_included: bool


class FeelFunction:
    """A function value: a lambda written in FEEL (``function(a, b) a + b``) or a built-in.

    ``invoke`` takes the arguments by position; ``parameters`` names them for named calls
    (None when the function takes any number of arguments).
    """

    __slots__ = ("_call", "name", "parameters")

    def __init__(
        self, name: str, parameters: tuple[str, ...] | None, call: Callable[[list[Any]], Any]
    ) -> None:
        self.name = name
        self.parameters = parameters
        self._call = call

    def invoke(self, arguments: list[Any]) -> Any:
        """Call the function with positional arguments (already FEEL values)."""
        return self._call(arguments)

    def __repr__(self) -> str:
        params = ", ".join(self.parameters or ("...",))
        return f"<FEEL function {self.name}({params})>"


def _sign(n: int) -> int:
    return -1 if n < 0 else 1


def number(value: Any) -> int | decimal.Decimal | None:
    """The FEEL number a Python value stands for, or None if it is no number (bool is not)."""
    t = type(value)
    if t is int or t is decimal.Decimal:
        return value
    if t is float:
        if value != value or value in (float("inf"), float("-inf")):
            return None  # FEEL has no NaN or infinity
        return decimal.Decimal(repr(value))
    if t is bool:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    return None


# The FEEL type of values that are not exactly a bool, str or number type, first match wins:
# a datetime is also a date, and a bool also an int.
_KINDS: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (Mapping, "context"),
    ((list, tuple), "list"),
    (dt.datetime, "date and time"),
    (dt.date, "date"),
    (dt.time, "time"),
    (dt.timedelta, "days and time duration"),
    (YearsMonths, "years and months duration"),
    (FeelFunction, "function"),
    (Range, "range"),
    (bool, "boolean"),
    (str, "string"),
    (int, "number"),
)


def kind_of(value: Any) -> str:
    """The FEEL type name of a value (``number``, ``date and time``, ``context``...)."""
    if value is None:
        return "null"
    t = type(value)
    if t is bool:
        return "boolean"
    if t is str:
        return "string"
    if t is int or t is float or t is decimal.Decimal:
        return "number"
    for types, kind in _KINDS:
        if isinstance(value, types):
            return kind
    return "unknown"


def _decimal_out(value: decimal.Decimal) -> int | float:
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def to_python(value: Any) -> Any:
    """An evaluation's result as the interface promises: integral numbers as int, the rest float.

    Lists and contexts are copied, so a caller never shares structure with its variables.
    """
    t = type(value)
    if t is decimal.Decimal:
        return _decimal_out(value)
    if t is list or t is tuple:
        return [to_python(v) for v in value]
    if t is dict or isinstance(value, Mapping):
        return {str(k): to_python(v) for k, v in value.items()}
    return value


def to_json(value: Any) -> Any:
    """A FEEL value as JSON-compatible data: temporal values and durations as ISO 8601 strings.

    A date and time with a named zone renders as ``2024-01-01T10:00:00+01:00[Europe/Berlin]``
    (the form Java's ``ZonedDateTime`` prints, which is what Camunda stores).
    """
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, decimal.Decimal):
        return _decimal_out(value)
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dt.datetime):
        text = value.isoformat()
        if isinstance(value.tzinfo, ZoneInfo):
            text += f"[{value.tzinfo.key}]"
        return text
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return format_timedelta(value)
    if isinstance(value, YearsMonths):
        return value.isoformat()
    return feel_string(value)


def format_timedelta(value: dt.timedelta) -> str:
    """A days-and-time duration in ISO 8601 (``P1DT2H``, ``-PT0.5S``, ``PT0S``)."""
    negative = value < dt.timedelta(0)
    total = -value if negative else value
    micros = total.days * 86_400_000_000 + total.seconds * 1_000_000 + total.microseconds
    days, rest = divmod(micros, 86_400_000_000)
    hours, rest = divmod(rest, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds, micro = divmod(rest, 1_000_000)
    time_part = ""
    if hours:
        time_part += f"{hours}H"
    if minutes:
        time_part += f"{minutes}M"
    if seconds or micro:
        frac = f".{micro:06d}".rstrip("0") if micro else ""
        time_part += f"{seconds}{frac}S"
    text = "P" + (f"{days}D" if days else "")
    if time_part:
        text += "T" + time_part
    elif not days:
        return "P0D"
    return ("-" if negative else "") + text


def format_number(value: int | float | decimal.Decimal) -> str:
    """A number as FEEL's ``string()`` prints it: no exponent, no trailing zeros."""
    if isinstance(value, int):
        return str(value)
    d = number(value)
    if d is None:
        return str(value)
    if isinstance(d, int):
        return str(d)
    text = format(d.normalize(DECIMAL), "f")
    return "0" if text in ("-0", "") else text


def _clock_text(value: dt.time | dt.datetime) -> str:
    # FEEL prints fractions of a second without trailing zeros (10:15:30.987, not .987000).
    text = value.replace(tzinfo=None, microsecond=0).isoformat()
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text


def _format_time(value: dt.time) -> str:
    return _clock_text(value) + _zone_suffix(value.tzinfo, value.utcoffset())


def _zone_suffix(tz: dt.tzinfo | None, offset: dt.timedelta | None) -> str:
    if tz is None:
        return ""
    if isinstance(tz, ZoneInfo):
        return "@" + tz.key
    if offset == dt.timedelta(0):
        return "Z"
    text = dt.datetime(2000, 1, 1, tzinfo=tz).isoformat()
    return text[len("2000-01-01T00:00:00") :]


def feel_string(value: Any) -> str:
    """A value as FEEL's ``string()`` function renders it (strings unquoted at the top)."""
    if isinstance(value, str):
        return value
    return _render(value)


def _render(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (int, float, decimal.Decimal)):
        return format_number(value)
    if isinstance(value, dt.datetime):
        return _clock_text(value) + _zone_suffix(value.tzinfo, value.utcoffset())
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return _format_time(value)
    if isinstance(value, dt.timedelta):
        return format_timedelta(value)
    if isinstance(value, YearsMonths):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}:{_render(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_render(v) for v in value) + "]"
    if isinstance(value, Range):
        left = "[" if value.start_included else "("
        right = "]" if value.end_included else ")"
        return f"{left}{_render(value.start)}..{_render(value.end)}{right}"
    if isinstance(value, FeelFunction):
        return f"function({', '.join(value.parameters or ())})"
    return str(value)
