"""FEEL's built-in functions, with the parameter names FEEL-Scala gives them (for named calls).

A function given arguments it does not take raises ``Invalid`` (or answers None); the call
then evaluates to null with a warning, as in FEEL-Scala.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import functools
import json
import random
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._ops import Context, Invalid, add, compare, equal
from ._temporal import parse_date, parse_date_and_time, parse_duration, parse_time, zone
from ._values import DECIMAL, FeelFunction, YearsMonths, feel_string, kind_of, number, to_json

__all__ = ["BUILTINS", "Builtin", "resolve"]

Decimal = decimal.Decimal


@dataclass(frozen=True, slots=True)
class Builtin:
    """One signature of a built-in: its parameter names and what computes it."""

    name: str
    params: tuple[str, ...]
    impl: Callable[..., Any]
    varargs: bool = False  # the last parameter takes the rest of the arguments as a list
    nulls: bool = False  # the function handles null arguments itself
    context: bool = False  # the function needs the evaluation context (clock, warnings)

    def accepts(self, count: int) -> bool:
        """Whether a positional call with ``count`` arguments fits this signature."""
        if self.varargs:
            return count >= len(self.params)
        return count == len(self.params)


BUILTINS: dict[str, list[Builtin]] = {}


def _fn(
    name: str, *params: str, varargs: bool = False, nulls: bool = False, context: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(impl: Callable[..., Any]) -> Callable[..., Any]:
        BUILTINS.setdefault(name, []).append(
            Builtin(name, params, impl, varargs=varargs, nulls=nulls, context=context)
        )
        return impl

    return register


def resolve(name: str, count: int, names: list[str] | None) -> Builtin | None:
    """The signature of built-in ``name`` that a call with these arguments selects."""
    for sig in BUILTINS.get(name, ()):
        if names is None:
            if sig.accepts(count):
                return sig
        elif set(names) == set(sig.params):
            return sig
    return None


# ---- argument checks ----


def _s(v: Any) -> str:
    if type(v) is not str:
        raise Invalid
    return v


def _n(v: Any) -> int | Decimal:
    n = number(v)
    if n is None:
        raise Invalid
    return n


def _i(v: Any) -> int:
    n = _n(v)
    if n != int(n):
        raise Invalid
    return int(n)


def _l(v: Any) -> list[Any]:
    if isinstance(v, (list, tuple)):
        return list(v)
    raise Invalid


def _d(v: Any) -> Decimal:
    n = _n(v)
    return n if isinstance(n, Decimal) else Decimal(n)


def _items(args: list[Any]) -> list[Any]:
    # min(1, 2, 3) and min([1, 2, 3]) mean the same: one list argument stands for its items.
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        return list(args[0])
    return list(args)


def _out(d: Decimal) -> int | Decimal:
    return int(d) if d == d.to_integral_value() else d


# ---- conversion ----


@_fn("string", "from")
def _string(v: Any) -> str:
    return feel_string(v)


@_fn("number", "from")
def _number(v: Any) -> Any:
    if _is_number(v):
        return v
    text = _s(v).strip()
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text):
        return None
    return _out(Decimal(text))


def _is_number(v: Any) -> bool:
    return kind_of(v) == "number"


@_fn("number", "from", "grouping separator", nulls=True)
def _number_group(v: Any, group: Any) -> Any:
    return _number_sep(v, group, None)


@_fn("number", "from", "grouping separator", "decimal separator", nulls=True)
def _number_sep(v: Any, group: Any, dec: Any) -> Any:
    text = _s(v)
    if group is not None:
        if _s(group) not in (" ", ",", "."):
            raise Invalid
        text = text.replace(group, "")
    if dec is not None:
        if _s(dec) not in (",", ".") or dec == group:
            raise Invalid
        text = text.replace(dec, ".")
    return _number(text)


@_fn("date", "from")
def _date(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    return parse_date(_s(v))


@_fn("date", "year", "month", "day")
def _date3(y: Any, m: Any, d: Any) -> Any:
    try:
        return dt.date(_i(y), _i(m), _i(d))
    except ValueError:
        return None


@_fn("time", "from")
def _time(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return v.timetz()
    if isinstance(v, dt.time):
        return v
    if isinstance(v, dt.date):
        return dt.time(0, 0)
    return parse_time(_s(v))


@_fn("time", "hour", "minute", "second")
def _time3(h: Any, m: Any, s: Any) -> Any:
    return _time4(h, m, s, None)


@_fn("time", "hour", "minute", "second", "offset", nulls=True)
def _time4(h: Any, m: Any, s: Any, offset: Any) -> Any:
    sec = _d(s)
    whole = int(sec)
    micro = int((sec - whole) * 1_000_000)
    tz = None
    if offset is not None:
        if not isinstance(offset, dt.timedelta):
            raise Invalid
        tz = dt.timezone(offset)
    try:
        return dt.time(_i(h), _i(m), whole, micro, tzinfo=tz)
    except ValueError:
        return None


@_fn("date and time", "from")
def _date_and_time(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return v
    if isinstance(v, dt.date):
        return dt.datetime(v.year, v.month, v.day)
    return parse_date_and_time(_s(v))


@_fn("date and time", "date", "time")
def _date_and_time2(d: Any, t: Any) -> Any:
    if isinstance(t, str):
        # date and time(from: date and time, timezone: string) shares this arity.
        if not isinstance(d, dt.datetime):
            raise Invalid
        tz = zone(t)
        if tz is None:
            return None
        if d.tzinfo is None:
            return d.replace(tzinfo=tz)
        return d.astimezone(tz)
    if not isinstance(d, dt.date) or not isinstance(t, dt.time) or isinstance(t, dt.datetime):
        raise Invalid
    return dt.datetime.combine(d if not isinstance(d, dt.datetime) else d.date(), t)


@_fn("duration", "from")
def _duration(v: Any) -> Any:
    if isinstance(v, (dt.timedelta, YearsMonths)):
        return v
    return parse_duration(_s(v))


@_fn("years and months duration", "from", "to")
def _ym(a: Any, b: Any) -> Any:
    if not isinstance(a, dt.date) or not isinstance(b, dt.date):
        raise Invalid
    x = a.date() if isinstance(a, dt.datetime) else a
    y = b.date() if isinstance(b, dt.datetime) else b
    months = (y.year - x.year) * 12 + (y.month - x.month)
    if months > 0 and y.day < x.day:
        months -= 1
    elif months < 0 and y.day > x.day:
        months += 1
    return YearsMonths(months)


# ---- boolean and misc ----


@_fn("not", "negand", nulls=True)
def _not(v: Any) -> Any:
    return (not v) if type(v) is bool else None


@_fn("is defined", "value", nulls=True)
def _is_defined(v: Any) -> bool:
    return v is not None


@_fn("get or else", "value", "default", nulls=True)
def _get_or_else(v: Any, default: Any) -> Any:
    return default if v is None else v


@_fn("is", "value1", "value2", nulls=True)
def _is(a: Any, b: Any) -> bool:
    if kind_of(a) != kind_of(b):
        return False
    if isinstance(a, (dt.datetime, dt.time)) and a.tzinfo != b.tzinfo:
        return False
    return equal(a, b) is True


class AssertionFailed(Exception):
    """``assert`` found its condition false: the evaluation fails (FEEL-Scala fails too)."""


@_fn("assert", "value", "condition", nulls=True)
def _assert(v: Any, cond: Any) -> Any:
    if cond is not True:
        raise AssertionFailed("The condition is not fulfilled")
    return v


@_fn("assert", "value", "condition", "cause", nulls=True)
def _assert3(v: Any, cond: Any, cause: Any) -> Any:
    if cond is not True:
        raise AssertionFailed(feel_string(cause) if cause is not None else "assertion failed")
    return v


# ---- strings ----


@_fn("substring", "string", "start position")
def _substring(s: Any, start: Any) -> Any:
    text, i = _s(s), _i(start)
    if i == 0:
        raise Invalid
    return text[i - 1 :] if i > 0 else text[i:]


@_fn("substring", "string", "start position", "length")
def _substring3(s: Any, start: Any, length: Any) -> Any:
    text, i, n = _s(s), _i(start), _i(length)
    if i == 0 or n < 0:
        raise Invalid
    begin = i - 1 if i > 0 else max(len(text) + i, 0)
    return text[begin : begin + n]


@_fn("string length", "string")
def _string_length(s: Any) -> int:
    return len(_s(s))


@_fn("upper case", "string")
def _upper(s: Any) -> str:
    return _s(s).upper()


@_fn("lower case", "string")
def _lower(s: Any) -> str:
    return _s(s).lower()


@_fn("substring before", "string", "match")
def _before(s: Any, m: Any) -> str:
    text, match = _s(s), _s(m)
    i = text.find(match)
    return "" if i < 0 else text[:i]


@_fn("substring after", "string", "match")
def _after(s: Any, m: Any) -> str:
    text, match = _s(s), _s(m)
    if match == "":
        return text
    i = text.find(match)
    return "" if i < 0 else text[i + len(match) :]


@_fn("contains", "string", "match")
def _contains(s: Any, m: Any) -> bool:
    return _s(m) in _s(s)


@_fn("starts with", "string", "match")
def _starts(s: Any, m: Any) -> bool:
    return _s(s).startswith(_s(m))


@_fn("ends with", "string", "match")
def _ends(s: Any, m: Any) -> bool:
    return _s(s).endswith(_s(m))


@functools.lru_cache(maxsize=256)
def _regex(pattern: str, flags: str) -> re.Pattern[str]:
    value = 0
    for f in flags:
        if f == "i":
            value |= re.IGNORECASE
        elif f == "s":
            value |= re.DOTALL
        elif f == "m":
            value |= re.MULTILINE
        elif f == "x":
            value |= re.VERBOSE
        elif f == "q":
            pattern = re.escape(pattern)
        else:
            raise Invalid
    try:
        return re.compile(pattern, value)
    except re.error:
        raise Invalid from None


def _replacement(text: str) -> str:
    # XPath replacement strings use $1 for groups and \$ \\ for literals; Python uses \g<1>.
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and text[i + 1] in "\\$":
            out.append("\\\\" if text[i + 1] == "\\" else "$")
            i += 2
        elif c == "$":
            m = re.match(r"\d+", text[i + 1 :])
            if not m:
                raise Invalid
            out.append(f"\\g<{m.group(0)}>")
            i += 1 + m.end()
        elif c == "\\":
            out.append("\\\\")
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


@_fn("matches", "input", "pattern")
def _matches(s: Any, p: Any) -> bool:
    return _regex(_s(p), "").search(_s(s)) is not None


@_fn("matches", "input", "pattern", "flags", nulls=True)
def _matches3(s: Any, p: Any, f: Any) -> bool:
    return _regex(_s(p), "" if f is None else _s(f)).search(_s(s)) is not None


@_fn("replace", "input", "pattern", "replacement")
def _replace(s: Any, p: Any, r: Any) -> str:
    return _regex(_s(p), "").sub(_replacement(_s(r)), _s(s))


@_fn("replace", "input", "pattern", "replacement", "flags")
def _replace4(s: Any, p: Any, r: Any, f: Any) -> str:
    return _regex(_s(p), _s(f)).sub(_replacement(_s(r)), _s(s))


@_fn("split", "string", "delimiter")
def _split(s: Any, d: Any) -> list[str]:
    return _regex(_s(d), "").split(_s(s))


@_fn("extract", "string", "pattern")
def _extract(s: Any, p: Any) -> list[str]:
    return [m.group(0) for m in _regex(_s(p), "").finditer(_s(s))]


@_fn("trim", "string")
def _trim(s: Any) -> str:
    return _s(s).strip()


@_fn("uuid")
def _uuid() -> str:
    return str(uuid.uuid4())


@_fn("to base64", "value")
def _to_base64(s: Any) -> str:
    return base64.b64encode(_s(s).encode("utf-8")).decode("ascii")


@_fn("from base64", "value")
def _from_base64(s: Any) -> Any:
    try:
        return base64.b64decode(_s(s), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


@_fn("to json", "value", nulls=True)
def _to_json(v: Any) -> str:
    return json.dumps(to_json(v), separators=(",", ":"), ensure_ascii=False)


@_fn("from json", "value")
def _from_json(s: Any) -> Any:
    try:
        value = json.loads(_s(s), parse_float=Decimal)
    except ValueError:
        return None
    return value


@_fn("is blank", "string")
def _is_blank(s: Any) -> bool:
    return _s(s).strip() == ""


def _join(items: Any, sep: Any, prefix: str = "", suffix: str = "") -> str:
    parts = [_s(x) for x in _l(items) if x is not None]
    return prefix + ("" if sep is None else _s(sep)).join(parts) + suffix


@_fn("string join", "list")
def _string_join(items: Any) -> str:
    return _join(items, "")


@_fn("string join", "list", "delimiter", nulls=True)
def _string_join2(items: Any, sep: Any) -> str:
    return _join(items, sep)


@_fn("string join", "list", "delimiter", "prefix", "suffix", nulls=True)
def _string_join4(items: Any, sep: Any, prefix: Any, suffix: Any) -> str:
    return _join(items, sep, _s(prefix or ""), _s(suffix or ""))


# ---- numbers ----


def _scaled(n: Any, scale: Any, rounding: str) -> Any:
    d, places = _d(n), _i(scale)
    if not -6111 <= places <= 6176:
        raise Invalid
    return _out(d.quantize(Decimal(1).scaleb(-places), rounding=rounding, context=DECIMAL))


def _rounding(mode: str, *, scale: int | None = None) -> Callable[..., Any]:
    """A rounding built-in: to the caller's scale, or to the fixed `scale` given here."""
    if scale is None:
        return lambda n, places: _scaled(n, places, mode)
    return lambda n: _scaled(n, scale, mode)


# FEEL's rounding functions differ only in the decimal rounding mode; floor and ceiling also
# take no scale (meaning 0). Registered in this order, the one-argument form first.
for _name, _rounding_mode, _also_unscaled in (
    ("decimal", decimal.ROUND_HALF_EVEN, False),
    ("floor", decimal.ROUND_FLOOR, True),
    ("ceiling", decimal.ROUND_CEILING, True),
    ("round up", decimal.ROUND_UP, False),
    ("round down", decimal.ROUND_DOWN, False),
    ("round half up", decimal.ROUND_HALF_UP, False),
    ("round half down", decimal.ROUND_HALF_DOWN, False),
):
    if _also_unscaled:
        _fn(_name, "n")(_rounding(_rounding_mode, scale=0))
    _fn(_name, "n", "scale")(_rounding(_rounding_mode))


@_fn("abs", "n")
def _abs(n: Any) -> Any:
    if isinstance(n, dt.timedelta):
        return abs(n)
    if isinstance(n, YearsMonths):
        return YearsMonths(abs(n.months))
    return abs(_n(n))


@_fn("modulo", "dividend", "divisor")
def _modulo(a: Any, b: Any) -> Any:
    x, y = _d(a), _d(b)
    if y == 0:
        return None
    q = DECIMAL.divide(x, y).to_integral_value(rounding=decimal.ROUND_FLOOR)
    return _out(DECIMAL.subtract(x, DECIMAL.multiply(y, q)))


@_fn("sqrt", "number")
def _sqrt(n: Any) -> Any:
    d = _d(n)
    if d < 0:
        return None
    return _out(DECIMAL.sqrt(d))


@_fn("log", "number")
def _log(n: Any) -> Any:
    d = _d(n)
    if d <= 0:
        return None
    return _out(DECIMAL.ln(d))


@_fn("exp", "number")
def _exp(n: Any) -> Any:
    return _out(DECIMAL.exp(_d(n)))


@_fn("odd", "number")
def _odd(n: Any) -> Any:
    d = _n(n)
    if d != int(d):
        return None
    return int(d) % 2 == 1


@_fn("even", "number")
def _even(n: Any) -> Any:
    d = _n(n)
    if d != int(d):
        return None
    return int(d) % 2 == 0


@_fn("random number")
def _random() -> Decimal:
    return Decimal(repr(random.random()))


# ---- lists ----


@_fn("list contains", "list", "element", nulls=True)
def _list_contains(items: Any, element: Any) -> bool:
    return any(equal(x, element) is True for x in _l(items))


@_fn("count", "list")
def _count(items: Any) -> int:
    return len(_l(items))


def _extreme(args: list[Any], sign: int) -> Any:
    items = _items(args)
    if not items:
        return None
    best = items[0]
    for x in items[1:]:
        c = compare(x, best)
        if c is None:
            return None
        if c == sign:
            best = x
    if compare(best, best) is None:
        return None
    return best


@_fn("min", "list", varargs=True, nulls=True)
def _min(*args: Any) -> Any:
    return _extreme(list(args), -1)


@_fn("max", "list", varargs=True, nulls=True)
def _max(*args: Any) -> Any:
    return _extreme(list(args), 1)


def _numbers(args: list[Any]) -> list[Decimal]:
    return [_d(x) for x in _items(args)]


@_fn("sum", "list", varargs=True)
def _sum(*args: Any) -> Any:
    items = _items(list(args))
    if not items:
        return None
    if all(isinstance(x, dt.timedelta) for x in items) or all(
        isinstance(x, YearsMonths) for x in items
    ):
        total = items[0]
        for x in items[1:]:
            total = add(total, x)
        return total
    result = Decimal(0)
    for x in _numbers(list(items)):
        result = DECIMAL.add(result, x)
    return _out(result)


@_fn("product", "list", varargs=True)
def _product(*args: Any) -> Any:
    nums = _numbers(list(args))
    if not nums:
        return None
    result = Decimal(1)
    for x in nums:
        result = DECIMAL.multiply(result, x)
    return _out(result)


@_fn("mean", "list", varargs=True)
def _mean(*args: Any) -> Any:
    nums = _numbers(list(args))
    if not nums:
        return None
    total = Decimal(0)
    for x in nums:
        total = DECIMAL.add(total, x)
    return _out(DECIMAL.divide(total, Decimal(len(nums))))


@_fn("median", "list", varargs=True)
def _median(*args: Any) -> Any:
    nums = sorted(_numbers(list(args)))
    if not nums:
        return None
    mid = len(nums) // 2
    if len(nums) % 2:
        return _out(nums[mid])
    return _out(DECIMAL.divide(DECIMAL.add(nums[mid - 1], nums[mid]), Decimal(2)))


@_fn("stddev", "list", varargs=True)
def _stddev(*args: Any) -> Any:
    nums = _numbers(list(args))
    if len(nums) < 2:
        return None
    mean = DECIMAL.divide(sum(nums, Decimal(0)), Decimal(len(nums)))
    var = DECIMAL.divide(sum(((x - mean) ** 2 for x in nums), Decimal(0)), Decimal(len(nums) - 1))
    return _out(DECIMAL.sqrt(var))


@_fn("mode", "list", varargs=True)
def _mode(*args: Any) -> Any:
    nums = _numbers(list(args))
    counts: dict[Decimal, int] = {}
    for x in nums:
        counts[x] = counts.get(x, 0) + 1
    if not counts:
        return []
    top = max(counts.values())
    return sorted(_out(k) for k, c in counts.items() if c == top)


@_fn("and", "list", varargs=True, nulls=True)
@_fn("all", "list", varargs=True, nulls=True)
def _all(*args: Any) -> Any:
    items = _items(list(args))
    if any(x is False for x in items):
        return False
    return True if all(x is True for x in items) else None


@_fn("or", "list", varargs=True, nulls=True)
@_fn("any", "list", varargs=True, nulls=True)
def _any(*args: Any) -> Any:
    items = _items(list(args))
    if any(x is True for x in items):
        return True
    return False if all(x is False for x in items) else None


def _position(items: list[Any], pos: Any, allow_end: bool = False) -> int:
    i = _i(pos)
    n = len(items) + (1 if allow_end else 0)
    if i == 0 or abs(i) > n:
        raise Invalid
    return i - 1 if i > 0 else len(items) + i


@_fn("sublist", "list", "start position")
def _sublist(items: Any, start: Any) -> Any:
    lst = _l(items)
    return lst[_position(lst, start) :]


@_fn("sublist", "list", "start position", "length")
def _sublist3(items: Any, start: Any, length: Any) -> Any:
    lst = _l(items)
    begin, n = _position(lst, start), _i(length)
    if n < 0:
        raise Invalid
    return lst[begin : begin + n]


@_fn("append", "list", "items", varargs=True, nulls=True)
def _append(items: Any, *more: Any) -> Any:
    return [*_l(items), *more]


@_fn("concatenate", "lists", varargs=True)
def _concatenate(*lists: Any) -> Any:
    out: list[Any] = []
    for x in lists:
        out.extend(_l(x))
    return out


@_fn("insert before", "list", "position", "newItem", nulls=True)
def _insert_before(items: Any, pos: Any, new: Any) -> Any:
    lst = _l(items)
    i = _position(lst, pos)
    return [*lst[:i], new, *lst[i:]]


@_fn("remove", "list", "position")
def _remove(items: Any, pos: Any) -> Any:
    lst = _l(items)
    i = _position(lst, pos)
    return [*lst[:i], *lst[i + 1 :]]


@_fn("reverse", "list")
def _reverse(items: Any) -> Any:
    return list(reversed(_l(items)))


@_fn("index of", "list", "match", nulls=True)
def _index_of(items: Any, match: Any) -> Any:
    return [i + 1 for i, x in enumerate(_l(items)) if equal(x, match) is True]


def _distinct(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for x in items:
        if not any(equal(x, y) is True for y in out):
            out.append(x)
    return out


@_fn("union", "lists", varargs=True)
def _union(*lists: Any) -> Any:
    if len(lists) == 1 and all(isinstance(x, list) for x in _l(lists[0])):
        lists = tuple(lists[0])
    merged: list[Any] = []
    for x in lists:
        merged.extend(_l(x))
    return _distinct(merged)


@_fn("distinct values", "list")
def _distinct_values(items: Any) -> Any:
    return _distinct(_l(items))


@_fn("duplicate values", "list")
def _duplicate_values(items: Any) -> Any:
    # In the order each duplicated value first appears.
    lst = _l(items)
    return [x for x in _distinct(lst) if sum(1 for y in lst if equal(x, y) is True) > 1]


@_fn("flatten", "list")
def _flatten(items: Any) -> Any:
    out: list[Any] = []
    stack = [iter(_l(items))]
    while stack:
        for x in stack[-1]:
            if isinstance(x, (list, tuple)):
                stack.append(iter(x))
                break
            out.append(x)
        else:
            stack.pop()
    return out


@_fn("sort", "list")
def _sort(items: Any) -> Any:
    lst = _l(items)

    def order(a: Any, b: Any) -> int:
        c = compare(a, b)
        if c is None:
            raise Invalid
        return c

    return sorted(lst, key=functools.cmp_to_key(order))


@_fn("sort", "list", "precedes")
def _sort2(items: Any, precedes: Any) -> Any:
    lst = _l(items)
    if not isinstance(precedes, FeelFunction):
        raise Invalid

    def order(a: Any, b: Any) -> int:
        if precedes.invoke([a, b]) is True:
            return -1
        return 1 if precedes.invoke([b, a]) is True else 0

    return sorted(lst, key=functools.cmp_to_key(order))


@_fn("is empty", "list")
def _is_empty(items: Any) -> bool:
    return len(_l(items)) == 0


@_fn("partition", "list", "size")
def _partition(items: Any, size: Any) -> Any:
    lst, n = _l(items), _i(size)
    if n <= 0:
        raise Invalid
    return [lst[i : i + n] for i in range(0, len(lst), n)]


# ---- contexts ----


def _c(v: Any) -> Mapping[str, Any]:
    if isinstance(v, Mapping):
        return v
    raise Invalid


@_fn("get value", "m", "key")
@_fn("get value", "context", "key")
@_fn("get value", "context", "keys")
def _get_value(ctx: Any, key: Any) -> Any:
    m = _c(ctx)
    if isinstance(key, list):
        if not key:
            return None
        value: Any = m
        for k in key:
            if not isinstance(value, Mapping):
                return None
            value = value.get(_s(k))
        return value
    return m.get(_s(key))


@_fn("get entries", "m")
@_fn("get entries", "context")
def _get_entries(ctx: Any) -> Any:
    return [{"key": k, "value": v} for k, v in _c(ctx).items()]


def _put(ctx: Any, key: Any, value: Any) -> Any:
    m = dict(_c(ctx))
    if isinstance(key, list):
        if not key:
            raise Invalid
        first = _s(key[0])
        if len(key) == 1:
            m[first] = value
        else:
            inner = m.get(first)
            m[first] = _put(inner if isinstance(inner, Mapping) else {}, key[1:], value)
        return m
    m[_s(key)] = value
    return m


@_fn("put", "context", "key", "value", nulls=True)
@_fn("put", "context", "keys", "value", nulls=True)
def _put3(ctx: Any, key: Any, value: Any) -> Any:
    return _put(ctx, key, value)


@_fn("context put", "context", "key", "value", nulls=True)
@_fn("context put", "context", "keys", "value", nulls=True)
def _context_put(ctx: Any, key: Any, value: Any) -> Any:
    return _put(ctx, key, value)


@_fn("put all", "contexts", varargs=True)
def _put_all(*contexts: Any) -> Any:
    if len(contexts) == 1 and isinstance(contexts[0], list):
        contexts = tuple(contexts[0])
    out: dict[str, Any] = {}
    for c in contexts:
        out.update(_c(c))
    return out


@_fn("context merge", "contexts", varargs=True)
def _context_merge(*contexts: Any) -> Any:
    return _put_all(*contexts)


@_fn("context", "entries")
def _context(entries: Any) -> Any:
    out: dict[str, Any] = {}
    for e in _l(entries):
        m = _c(e)
        if "key" not in m or "value" not in m:
            raise Invalid
        out[_s(m["key"])] = m["value"]
    return out


# ---- temporal ----


@_fn("now", context=True)
def _now(ctx: Context) -> dt.datetime:
    return ctx.clock()


@_fn("today", context=True)
def _today(ctx: Context) -> dt.date:
    return ctx.clock().date()


def _day(v: Any) -> dt.date:
    if isinstance(v, dt.date):
        return v
    raise Invalid


_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@_fn("day of week", "date")
def _day_of_week(v: Any) -> str:
    return _DAYS[_day(v).weekday()]


@_fn("day of year", "date")
def _day_of_year(v: Any) -> int:
    return _day(v).timetuple().tm_yday


@_fn("week of year", "date")
def _week_of_year(v: Any) -> int:
    return _day(v).isocalendar()[1]


@_fn("month of year", "date")
def _month_of_year(v: Any) -> str:
    return _MONTHS[_day(v).month - 1]


@_fn("last day of month", "date")
def _last_day_of_month(v: Any) -> int:
    d = _day(v)
    first_next = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return (first_next - dt.timedelta(days=1)).day
