"""FEEL's operators on values, and the state one evaluation carries.

Every operator answers None (FEEL null) for operands it does not apply to, as Camunda's
FEEL-Scala does; the caller records why as a warning.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Mapping
from typing import Any

from ._temporal import add_months
from ._values import DECIMAL, Range, YearsMonths, kind_of, number

__all__ = [
    "MISSING",
    "Context",
    "Invalid",
    "Scope",
    "add",
    "compare",
    "divide",
    "equal",
    "in_range",
    "multiply",
    "negate",
    "power",
    "subtract",
]

Decimal = decimal.Decimal
_TD0 = dt.timedelta(0)


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Invalid(Exception):
    """A built-in function was given arguments it does not take (the call answers null)."""


class Scope:
    """One level of names: the variables at the root, then an iteration's or a call's names."""

    __slots__ = ("names", "parent")

    def __init__(self, names: Mapping[str, Any], parent: Scope | None) -> None:
        self.names = names
        self.parent = parent

    def lookup(self, name: str) -> Any:
        """The value bound to ``name`` here or in an enclosing scope, else MISSING."""
        scope: Scope | None = self
        while scope is not None:
            value = scope.names.get(name, MISSING)
            if value is not MISSING:
                return value
            scope = scope.parent
        return MISSING


class Context:
    """What one evaluation carries: the scope in force, the clock, the warnings so far."""

    __slots__ = ("expression", "now", "scope", "steps", "warnings")

    def __init__(
        self, expression: str, scope: Scope, now: dt.datetime | None, warnings: list[str]
    ) -> None:
        self.expression = expression
        self.scope = scope
        self.now = now
        self.warnings = warnings
        self.steps = 0

    def warn(self, message: str) -> None:
        """Record why a part of the expression evaluated to null (FEEL-Scala's 'suppressed')."""
        if len(self.warnings) < 20:
            self.warnings.append(message)

    def clock(self) -> dt.datetime:
        """The engine's current time (tz-aware), or the machine's when the engine gave none."""
        if self.now is not None:
            return self.now if self.now.tzinfo else self.now.replace(tzinfo=dt.timezone.utc)
        return dt.datetime.now(dt.timezone.utc)


def _is_num(v: Any) -> bool:
    t = type(v)
    return t is int or t is Decimal or t is float


def _dec(v: int | Decimal) -> Decimal:
    return v if type(v) is Decimal else Decimal(v)  # type: ignore[return-value]


def equal(a: Any, b: Any) -> bool | None:
    """FEEL ``=``: null equals only null; values of different types are not comparable (None)."""
    if a is None or b is None:
        return a is None and b is None
    ta, tb = type(a), type(b)
    if ta is tb and (ta is str or ta is int or ta is bool):
        return a == b
    ka, kb = kind_of(a), kind_of(b)
    if ka != kb:
        return None
    if ka == "number":
        return number(a) == number(b)
    if ka == "list":
        if len(a) != len(b):
            return False
        return all(equal(x, y) is True for x, y in zip(a, b, strict=False))
    if ka == "context":
        if set(a.keys()) != set(b.keys()):
            return False
        return all(equal(a[key], b[key]) is True for key in a)
    if ka in ("date and time", "time") and (a.tzinfo is None) != (b.tzinfo is None):
        return None
    if ka == "range":
        return (
            a.start_included == b.start_included
            and a.end_included == b.end_included
            and equal(a.start, b.start) is True
            and equal(a.end, b.end) is True
        )
    return a == b


_ORDERED = frozenset(
    {
        "number",
        "string",
        "date",
        "time",
        "date and time",
        "days and time duration",
        "years and months duration",
    }
)


def compare(a: Any, b: Any) -> int | None:
    """-1, 0 or 1 as ``a`` sorts before, with or after ``b``; None when they do not compare."""
    if a is None or b is None:
        return None
    ka, kb = kind_of(a), kind_of(b)
    if ka != kb or ka not in _ORDERED:
        return None
    if ka == "number":
        a, b = number(a), number(b)
    elif ka in ("date and time", "time") and (a.tzinfo is None) != (b.tzinfo is None):
        return None
    try:
        return -1 if a < b else (1 if a > b else 0)
    except TypeError:
        return None


def in_range(value: Any, r: Range) -> bool | None:
    """Whether ``value`` lies in the range (None when it does not compare with its ends)."""
    low, high = compare(value, r.start), compare(value, r.end)
    if low is None or high is None:
        return None
    if low < 0 or (low == 0 and not r.start_included):
        return False
    return not (high > 0 or (high == 0 and not r.end_included))


def _num_result(value: Decimal) -> int | Decimal:
    # Keep integral results as int so they index lists and print as integers.
    if value == value.to_integral_value() and value.adjusted() < 34:
        return int(value)
    return value


def _arith(a: Any, b: Any, op: str) -> Any:
    x, y = number(a), number(b)
    if x is None or y is None:
        return None
    if type(x) is int and type(y) is int:
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
    dx, dy = _dec(x), _dec(y)
    try:
        if op == "+":
            r = DECIMAL.add(dx, dy)
        elif op == "-":
            r = DECIMAL.subtract(dx, dy)
        elif op == "*":
            r = DECIMAL.multiply(dx, dy)
        elif op == "/":
            r = DECIMAL.divide(dx, dy)
        else:
            r = DECIMAL.power(dx, dy)
    except (ArithmeticError, ValueError):
        return None
    return _num_result(r)


def _shift(value: Any, delta: dt.timedelta) -> Any:
    if isinstance(value, dt.datetime):
        return value + delta
    if isinstance(value, dt.date):
        return (dt.datetime(value.year, value.month, value.day) + delta).date()
    if isinstance(value, dt.time):
        base = dt.datetime(2000, 1, 1, value.hour, value.minute, value.second, value.microsecond)
        return (base + delta).time().replace(tzinfo=value.tzinfo)
    return None


def add(a: Any, b: Any) -> Any:
    """FEEL ``+``: numbers, strings, durations, and a date or time moved by a duration."""
    if a is None or b is None:
        return None
    ta = type(a)
    if ta is str:
        return a + b if type(b) is str else None
    if _is_num(a):
        return _arith(a, b, "+") if _is_num(b) else None
    try:
        if isinstance(a, dt.timedelta):
            if isinstance(b, dt.timedelta):
                return a + b
            if isinstance(b, (dt.date, dt.time)):
                return _shift(b, a)
            return None
        if isinstance(a, YearsMonths):
            if isinstance(b, YearsMonths):
                return YearsMonths(a.months + b.months)
            if isinstance(b, dt.date):
                return add_months(b, a.months)
            return None
        if isinstance(a, (dt.date, dt.time)):
            if isinstance(b, dt.timedelta):
                return _shift(a, b)
            if isinstance(b, YearsMonths) and isinstance(a, dt.date):
                return add_months(a, b.months)
    except (OverflowError, ValueError):
        return None
    return None


def negate(a: Any) -> Any:
    """FEEL unary ``-``: numbers and durations."""
    if _is_num(a):
        n = number(a)
        return -n if n is not None else None
    if isinstance(a, dt.timedelta):
        return -a
    if isinstance(a, YearsMonths):
        return YearsMonths(-a.months)
    return None


def subtract(a: Any, b: Any) -> Any:
    """FEEL ``-``: numbers, durations, the distance between two dates or times."""
    if a is None or b is None:
        return None
    if _is_num(a):
        return _arith(a, b, "-") if _is_num(b) else None
    ka, kb = kind_of(a), kind_of(b)
    if {ka, kb} == {"date", "date and time"}:
        other = a if ka == "date and time" else b
        if other.tzinfo is None:
            return None  # the TCK's rule: only a zoned date and time meets a date (at UTC midnight)
        tz = dt.timezone.utc
        if ka == "date":
            a, ka = dt.datetime(a.year, a.month, a.day, tzinfo=tz), "date and time"
        else:
            b, kb = dt.datetime(b.year, b.month, b.day, tzinfo=tz), "date and time"
    try:
        if ka == kb and ka in ("date", "date and time"):
            if ka == "date and time" and (a.tzinfo is None) != (b.tzinfo is None):
                return None
            return a - b
        if ka == kb == "time":
            if (a.tzinfo is None) != (b.tzinfo is None):
                return None
            day = dt.date(2000, 1, 1)
            return dt.datetime.combine(day, a) - dt.datetime.combine(day, b)
        if kb in ("days and time duration", "years and months duration"):
            if ka in ("date", "date and time", "time", "days and time duration"):
                return add(a, negate(b))
            if ka == "years and months duration":
                return add(a, negate(b))
    except (OverflowError, ValueError, TypeError):
        return None
    return None


def _scale_timedelta(delta: dt.timedelta, factor: Any, divide_by: bool) -> Any:
    n = number(factor)
    if n is None:
        return None
    micros = Decimal(delta.days * 86_400_000_000 + delta.seconds * 1_000_000 + delta.microseconds)
    try:
        scaled = DECIMAL.divide(micros, _dec(n)) if divide_by else DECIMAL.multiply(micros, _dec(n))
        return dt.timedelta(microseconds=int(scaled.to_integral_value()))
    except (ArithmeticError, OverflowError, ValueError):
        return None


def multiply(a: Any, b: Any) -> Any:
    """FEEL ``*``: numbers, and a duration scaled by a number."""
    if a is None or b is None:
        return None
    if _is_num(a) and _is_num(b):
        return _arith(a, b, "*")
    if _is_num(a):
        a, b = b, a
    if not _is_num(b):
        return None
    if isinstance(a, dt.timedelta):
        return _scale_timedelta(a, b, divide_by=False)
    if isinstance(a, YearsMonths):
        n = number(b)
        if n is None:
            return None
        return YearsMonths(int(_dec(n) * a.months))
    return None


def divide(a: Any, b: Any) -> Any:
    """FEEL ``/``: numbers (null on division by zero), durations by a number or a duration."""
    if a is None or b is None:
        return None
    if _is_num(a) and _is_num(b):
        return _arith(a, b, "/")
    if isinstance(a, dt.timedelta):
        if isinstance(b, dt.timedelta):
            if b == _TD0:
                return None
            return _arith(
                Decimal(a // dt.timedelta(microseconds=1)),
                Decimal(b // dt.timedelta(microseconds=1)),
                "/",
            )
        if _is_num(b):
            return _scale_timedelta(a, b, divide_by=True)
        return None
    if isinstance(a, YearsMonths):
        if isinstance(b, YearsMonths):
            return _arith(a.months, b.months, "/") if b.months else None
        n = number(b)
        if n is None or n == 0:
            return None
        return YearsMonths(int(DECIMAL.divide(Decimal(a.months), _dec(n))))
    return None


def power(a: Any, b: Any) -> Any:
    """FEEL ``**`` on numbers."""
    if a is None or b is None or not (_is_num(a) and _is_num(b)):
        return None
    return _arith(a, b, "**")
