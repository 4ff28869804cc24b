"""The dev cluster's FEEL: literals, names, operators, built-ins, errors and limits.

Expected values follow Camunda's FEEL-Scala semantics (null for a missing variable or a type
error) where they differ from the DMN specification.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from camunda_sdk.devcluster.feel import (
    MAX_LENGTH,
    FeelError,
    FeelEvaluationError,
    FeelFunction,
    FeelSyntaxError,
    Range,
    YearsMonths,
    compile_expression,
    evaluate_property,
    is_expression,
    to_json,
)

UTC = dt.timezone.utc
NOW = dt.datetime(2024, 3, 15, 10, 30, 0, tzinfo=UTC)

VARS: dict[str, Any] = {
    "amount": 150,
    "price": 19.99,
    "ratio": 0.1,
    "name": "Ada Lovelace",
    "flag": True,
    "nothing": None,
    "customer": {"tier": "gold", "address": {"city": "Berlin", "zip": "10115"}, "age": 36},
    "numbers": [1, 2, 3, 4, 5],
    "words": ["b", "a", "c"],
    "orders": [
        {"id": "o1", "amount": 5, "status": "open"},
        {"id": "o2", "amount": 20, "status": "done"},
        {"id": "o3", "amount": 50, "status": "open"},
    ],
    "matrix": [[1, 2], [3, 4]],
    "a b": "spaced",
    "a-b": 7,
    "empty": [],
    "ctx": {},
    "day": "2024-01-31",
}


def ev(expression: str, variables: dict[str, Any] | None = None) -> Any:
    return compile_expression(expression).evaluate(
        VARS if variables is None else variables, now=NOW
    )


def same(actual: Any, expected: Any) -> bool:
    """Equal, and integral numbers stay int (JSON must read 3, not 3.0)."""
    if isinstance(expected, bool) or expected is None:
        return actual is expected
    if isinstance(expected, int):
        return type(actual) is int and actual == expected
    if isinstance(expected, float):
        return isinstance(actual, float) and math.isclose(actual, expected, rel_tol=1e-12)
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(same(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and actual.keys() == expected.keys()
            and all(same(actual[k], expected[k]) for k in expected)
        )
    return type(actual) is type(expected) and actual == expected


def check(expression: str, expected: Any, variables: dict[str, Any] | None = None) -> None:
    actual = ev(expression, variables)
    assert same(actual, expected), f"{expression!r}: expected {expected!r}, got {actual!r}"


# ------------------------------------------------------------------ literals

LITERALS = [
    ("1", 1),
    ("0", 0),
    ("-1", -1),
    ("1.5", 1.5),
    (".5", 0.5),
    ("1.0", 1),
    ("-0.25", -0.25),
    ("123456789012345678901234567890", 123456789012345678901234567890),
    ('"hello"', "hello"),
    ('""', ""),
    ('"a\\"b"', 'a"b'),
    ('"line\\nbreak"', "line\nbreak"),
    ('"tab\\there"', "tab\there"),
    ('"back\\\\slash"', "back\\slash"),
    ('"\\u00e9t\\u00e9"', "été"),
    ('"\\U01F600"', "\U0001f600"),
    ('"keep \\d regex"', "keep \\d regex"),
    ('"it\'s"', "it's"),
    ("true", True),
    ("false", False),
    ("null", None),
    ("[]", []),
    ("[1, 2, 3]", [1, 2, 3]),
    ('[1, "a", true, null]', [1, "a", True, None]),
    ("[[1], [2, [3]]]", [[1], [2, [3]]]),
    ("{}", {}),
    ("{a: 1}", {"a": 1}),
    ('{a: 1, "b c": 2}', {"a": 1, "b c": 2}),
    ("{a b: 1}", {"a b": 1}),
    ("{`x y`: 1}", {"x y": 1}),
    ("{a: {b: {c: 1}}}", {"a": {"b": {"c": 1}}}),
    ("{a: 1, b: a + 1}", {"a": 1, "b": 2}),
    ("{a: [1, 2], b: {c: null}}", {"a": [1, 2], "b": {"c": None}}),
    ('@"2024-01-01"', dt.date(2024, 1, 1)),
    ('@"10:30:00"', dt.time(10, 30)),
    ('@"10:30:00.5"', dt.time(10, 30, 0, 500000)),
    ('@"10:30:00Z"', dt.time(10, 30, tzinfo=UTC)),
    ('@"10:30:00+02:00"', dt.time(10, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))),
    ('@"2024-01-01T10:00:00"', dt.datetime(2024, 1, 1, 10)),
    ('@"2024-01-01T10:00:00Z"', dt.datetime(2024, 1, 1, 10, tzinfo=UTC)),
    (
        '@"2024-01-01T10:00:00-05:00"',
        dt.datetime(2024, 1, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
    ),
    (
        '@"2024-01-01T10:00:00@Europe/Berlin"',
        dt.datetime(2024, 1, 1, 10, tzinfo=ZoneInfo("Europe/Berlin")),
    ),
    ('@"PT5M"', dt.timedelta(minutes=5)),
    ('@"P1D"', dt.timedelta(days=1)),
    ('@"P1DT2H3M4S"', dt.timedelta(days=1, hours=2, minutes=3, seconds=4)),
    ('@"PT0.5S"', dt.timedelta(milliseconds=500)),
    ('@"-PT1H"', dt.timedelta(hours=-1)),
    ('@"P1Y2M"', YearsMonths(14)),
    ('@"P3M"', YearsMonths(3)),
    ('@"-P1Y"', YearsMonths(-12)),
    ('@"2023-02-29"', None),
    ("// a comment\n 1", 1),
    ("1 /* inline */ + 2", 3),
    ("/* block\n comment */ 4", 4),
    ("\u00a01\u2003", 1),
]


@pytest.mark.parametrize(("expression", "expected"), LITERALS)
def test_literal(expression: str, expected: Any) -> None:
    check(expression, expected)


# ------------------------------------------------------------------ names and paths

NAMES = [
    ("amount", 150),
    ("name", "Ada Lovelace"),
    ("flag", True),
    ("nothing", None),
    ("missing", None),
    ("customer.tier", "gold"),
    ("customer.address.city", "Berlin"),
    ("customer.missing", None),
    ("customer.missing.deeper", None),
    ("missing.x.y", None),
    ("`a b`", "spaced"),
    ("`a-b` + 1", 8),
    ("`amount`", 150),
    ("orders.amount", [5, 20, 50]),
    ("orders.id", ["o1", "o2", "o3"]),
    ("orders.missing", [None, None, None]),
    ("{x: {y: 1}}.x.y", 1),
    ("({x: 1}).x", 1),
    ("[{x: {y: 1}}, {x: {y: 2}}].x.y", [1, 2]),
    ('@"2024-05-17".year', 2024),
    ('@"2024-05-17".month', 5),
    ('@"2024-05-17".day', 17),
    ('@"2024-05-17".weekday', 5),
    ('@"2024-05-17T08:09:10".hour', 8),
    ('@"2024-05-17T08:09:10".minute', 9),
    ('@"2024-05-17T08:09:10".second', 10),
    ('@"2024-05-17T08:09:10+02:00".time offset', dt.timedelta(hours=2)),
    ('@"2024-05-17T08:09:10@Europe/Paris".timezone', "Europe/Paris"),
    ('@"2024-05-17T08:09:10".timezone', None),
    ('@"10:11:12".hour', 10),
    ('@"P2DT3H4M5S".days', 2),
    ('@"P2DT3H4M5S".hours', 3),
    ('@"P2DT3H4M5S".minutes', 4),
    ('@"P2DT3H4M5S".seconds', 5),
    ('@"P1Y2M".years', 1),
    ('@"P1Y2M".months', 2),
    ('@"P1Y".days', None),
    ("[1..5].start", 1),
    ("(1..5].start included", False),
    ("ifX", 1),
    ("inside", 2),
    ("notThis", 3),
    ("orY", 4),
]
NAME_VARS = {**VARS, "ifX": 1, "inside": 2, "notThis": 3, "orY": 4}


@pytest.mark.parametrize(("expression", "expected"), NAMES)
def test_name_and_path(expression: str, expected: Any) -> None:
    check(expression, expected, NAME_VARS)


# ------------------------------------------------------------------ filters

FILTERS = [
    ("numbers[1]", 1),
    ("numbers[5]", 5),
    ("numbers[-1]", 5),
    ("numbers[-5]", 1),
    ("numbers[0]", None),
    ("numbers[6]", None),
    ("numbers[-6]", None),
    ("numbers[item > 3]", [4, 5]),
    ("numbers[item > 10]", []),
    ("numbers[even(item)]", [2, 4]),
    ("numbers[item = 2 or item = 4]", [2, 4]),
    ("numbers[true]", [1, 2, 3, 4, 5]),
    ("numbers[false]", []),
    ("numbers[item > 1][1]", 2),
    ("numbers[item > 1][-1]", 5),
    ("orders[amount > 10]", [VARS["orders"][1], VARS["orders"][2]]),
    ('orders[status = "open"].id', ["o1", "o3"]),
    ("orders[item.amount > 10].id", ["o2", "o3"]),
    ('orders[status = "open"][1].amount', 5),
    ("orders[1].id", "o1"),
    ("orders[-1].id", "o3"),
    ("count(orders[amount >= 20])", 2),
    ("matrix[2][1]", 3),
    ("matrix[1]", [1, 2]),
    ("[1, 2, 3][(1)]", 1),
    ("[1, 2, 3][1 + 1]", 2),
    ("numbers[n]", 3),
    ("empty[1]", None),
    ("empty[item > 1]", []),
    ("missing[1]", None),
    ("missing[item > 1]", None),
    ("[[1, 2], [3]][1][2]", 2),
    ("[{a: 1}, {a: 2}][a = 2].a", [2]),
    ("[1, null, 3][item != null]", [1, 3]),
]


@pytest.mark.parametrize(("expression", "expected"), FILTERS)
def test_filter(expression: str, expected: Any) -> None:
    check(expression, expected, {**VARS, "n": 3})


# ------------------------------------------------------------------ arithmetic

ARITHMETIC = [
    ("1 + 2", 3),
    ("0.1 + 0.2", 0.3),
    ("0.1 + 0.2 = 0.3", True),
    ("ratio + 0.2", 0.3),
    ("ratio * 3", 0.3),
    ("price * 100", 1999),
    ("10 - 4", 6),
    ("4 - 10", -6),
    ("2 * 3", 6),
    ("2.5 * 2", 5),
    ("10 / 4", 2.5),
    ("10 / 2", 5),
    ("1 / 3 * 3", 1.0),  # 0.999... (34 digits) is not integral
    ("1 / 0", None),
    ("0 / 0", None),
    ("2 ** 10", 1024),
    ("2 ** -1", 0.5),
    ("2 ** 0.5", 1.4142135623730951),
    ("-2 ** 2", 4),
    ("(-2) ** 3", -8),
    ("2 ** 3 ** 2", 64),
    ("1 + 2 * 3", 7),
    ("(1 + 2) * 3", 9),
    ("10 - 2 - 3", 5),
    ("100 / 10 / 2", 5),
    ("-amount", -150),
    ("- -1", 1),
    ("--10", 10),
    ("-(1 + 2)", -3),
    ("1 - -1", 2),
    ("amount + 50", 200),
    ("amount * 1.1", 165),
    ("missing + 1", None),
    ("1 + missing", None),
    ("nothing * 2", None),
    ('"a" + "b"', "ab"),
    ('name + "!"', "Ada Lovelace!"),
    ('"a" + 1', None),
    ('1 + "a"', None),
    ("true + 1", None),
    ("[1] + [2]", None),
    ("12345678901234567890 + 1", 12345678901234567891),
    ("1.23456789 * 1000", 1234.56789),
    ("0.3 - 0.1", 0.2),
    ("1.1 * 1.1", 1.21),
    ('date("2024-01-31") + duration("P1D")', dt.date(2024, 2, 1)),
    ('@"2024-01-31" + @"P1M"', dt.date(2024, 2, 29)),
    ('@"2023-01-31" + @"P1M"', dt.date(2023, 2, 28)),
    ('@"2024-01-31" - @"P1M"', dt.date(2023, 12, 31)),
    ('@"2024-01-01" + @"P1Y2M"', dt.date(2025, 3, 1)),
    ('@"P1D" + @"2024-01-01"', dt.date(2024, 1, 2)),
    ('@"2024-03-01" - @"2024-01-01"', dt.timedelta(days=60)),
    ('@"2024-01-01" - @"2024-03-01"', dt.timedelta(days=-60)),
    ('@"2024-01-01T10:00:00" + @"PT90M"', dt.datetime(2024, 1, 1, 11, 30)),
    ('@"2024-01-01T10:00:00Z" - @"PT10H30M"', dt.datetime(2023, 12, 31, 23, 30, tzinfo=UTC)),
    ('@"2024-01-02T00:00:00" - @"2024-01-01T12:00:00"', dt.timedelta(hours=12)),
    ('@"2024-01-01T12:00:00Z" - @"2024-01-01T12:00:00+02:00"', dt.timedelta(hours=2)),
    ('@"2024-01-01T00:00:00" - @"2024-01-01T00:00:00Z"', None),
    ('@"2024-01-02T06:00:00Z" - @"2024-01-01"', dt.timedelta(days=1, hours=6)),
    ('@"2024-01-02T06:00:00" - @"2024-01-01"', None),
    ('@"10:00:00" + @"PT30M"', dt.time(10, 30)),
    ('@"23:30:00" + @"PT1H"', dt.time(0, 30)),
    ('@"12:00:00" - @"10:30:00"', dt.timedelta(hours=1, minutes=30)),
    ('@"PT1H" + @"PT30M"', dt.timedelta(hours=1, minutes=30)),
    ('@"PT1H" - @"PT90M"', dt.timedelta(minutes=-30)),
    ('@"PT1H" * 3', dt.timedelta(hours=3)),
    ('2 * @"P1D"', dt.timedelta(days=2)),
    ('@"PT1H" * 1.5', dt.timedelta(minutes=90)),
    ('@"P1D" / 2', dt.timedelta(hours=12)),
    ('@"P1D" / @"PT1H"', 24),
    ('@"P1Y" + @"P6M"', YearsMonths(18)),
    ('@"P1Y" - @"P1M"', YearsMonths(11)),
    ('@"P1Y" * 2', YearsMonths(24)),
    ('@"P1Y" / @"P1M"', 12),
    ('-@"PT1H"', dt.timedelta(hours=-1)),
    ('-@"P1Y"', YearsMonths(-12)),
    ('@"P1Y" + @"P1D"', None),
    ('@"2024-01-01" + 1', None),
]


@pytest.mark.parametrize(("expression", "expected"), ARITHMETIC)
def test_arithmetic(expression: str, expected: Any) -> None:
    check(expression, expected)


# ------------------------------------------------------------------ comparison and logic

COMPARISON = [
    ("1 = 1", True),
    ("1 = 2", False),
    ("1 != 2", True),
    ("1 != 1", False),
    ("1 = 1.0", True),
    ("price = 19.99", True),
    ("ratio = 0.1", True),
    ("1 < 2", True),
    ("2 < 1", False),
    ("2 <= 2", True),
    ("3 > 2", True),
    ("2 >= 3", False),
    ('"a" < "b"', True),
    ('"abc" = "abc"', True),
    ('"a" = "A"', False),
    ("true = true", True),
    ("true != false", True),
    ("null = null", True),
    ("null != null", False),
    ("1 = null", False),
    ("null = 1", False),
    ("missing = null", True),
    ("missing = 1", False),
    ("missing != 1", True),
    ("customer.missing = null", True),
    ("missing < 1", None),
    ("1 > missing", None),
    ("null < null", None),
    ('1 = "1"', None),
    ('1 < "2"', None),
    ("1 = true", None),
    ("true < false", None),
    ("[1, 2] = [1, 2]", True),
    ("[1, 2] = [2, 1]", False),
    ("[1, 2] = [1, 2, 3]", False),
    ("[1] = [true]", False),
    ("{a: 1} = {a: 1}", True),
    ("{a: 1, b: 2} = {b: 2, a: 1}", True),
    ("{a: 1} = {a: 2}", False),
    ("{a: 1} = {b: 1}", False),
    ('@"2024-01-01" = date("2024-01-01")', True),
    ('@"2024-01-01" < @"2024-01-02"', True),
    ('@"2024-01-01T10:00:00Z" = @"2024-01-01T11:00:00+01:00"', True),
    ('@"2024-01-01T10:00:00" < @"2024-01-01T10:00:01"', True),
    ('@"2024-01-01T10:00:00" < @"2024-01-01T10:00:01Z"', None),
    ('@"2024-01-01" = @"2024-01-01T00:00:00"', None),
    ('@"PT1H" = @"PT60M"', True),
    ('@"PT1H" < @"P1D"', True),
    ('@"P1Y" = @"P12M"', True),
    ('@"P1Y" > @"P11M"', True),
    ('@"10:00:00" < @"11:00:00"', True),
    ('amount > 100 and customer.tier = "gold"', True),
    ("true and true", True),
    ("true and false", False),
    ("false and missing", False),
    ("missing and false", False),
    ("true and null", None),
    ("true and 1", None),
    ("true or false", True),
    ("false or false", False),
    ("missing or true", True),
    ("false or null", None),
    ("false or 3", None),
    ("true and true and true and false", False),
    ("false or false or false or true", True),
    ("1 < 2 and 2 < 3 or false", True),
    ("false and true or true", True),
    ("true or true and false", True),
    ("not(true)", False),
    ("not(false)", True),
    ("not(null)", None),
    ("not(1)", None),
    ("not(amount > 100)", False),
    ("5 between 1 and 10", True),
    ("1 between 1 and 10", True),
    ("10 between 1 and 10", True),
    ("0 between 1 and 10", False),
    ("amount between 100 and 200 and flag", True),
    ('"b" between "a" and "c"', True),
    ('@"2024-06-01" between @"2024-01-01" and @"2024-12-31"', True),
    ("missing between 1 and 3", None),
    ("5 between missing and 3", False),
    ("2 between missing and 3", None),
    ("if true then 1 else 2", 1),
    ("if false then 1 else 2", 2),
    ("if null then 1 else 2", 2),
    ("if 5 then 1 else 2", 2),
    ("if missing > 1 then 1 else 2", 2),
    ('if amount > 100 then "big" else "small"', "big"),
    ("if (amount < 100) then 1 else if amount < 200 then 2 else 3", 2),
    ("if true then if false then 1 else 2 else 3", 2),
    ("(if true then 1 else 2) + 10", 11),
    ("1 + (if false then 1 else 2)", 3),
    ("[if true then 1 else 2, 3]", [1, 3]),
    ("if flag and amount > 1 then customer.tier else null", "gold"),
]


@pytest.mark.parametrize(("expression", "expected"), COMPARISON)
def test_comparison_and_logic(expression: str, expected: Any) -> None:
    check(expression, expected)


# ------------------------------------------------------------------ in, unary tests, ranges

IN_TESTS = [
    ("1 in [1, 2, 3]", True),
    ("4 in [1, 2, 3]", False),
    ('"b" in ["a", "b"]', True),
    ('customer.tier in ["gold", "silver"]', True),
    ("null in [1, null]", True),
    ("true in [false, 2, 3]", False),
    ("[1, 2] in [[1, 2], [3]]", True),
    ("3 in [1..5]", True),
    ("5 in [1..5]", True),
    ("5 in [1..5)", False),
    ("5 in [1..5[", False),
    ("1 in (1..5]", False),
    ("1 in ]1..5]", False),
    ("2 in ]1..5]", True),
    ("0 in [1..5]", False),
    ("3.5 in [1..5]", True),
    ('"c" in ["a".."d"]', True),
    ('@"2024-06-01" in [@"2024-01-01"..@"2024-12-31"]', True),
    ("5 in > 3", True),
    ("5 in < 3", False),
    ("5 in >= 5", True),
    ("5 in <= 4", False),
    ("5 in (< 3, > 4)", True),
    ("3.5 in (< 3, > 4)", False),
    ("5 in (1, 2, 5)", True),
    ("5 in (1, 2)", False),
    ("5 in (1)", False),
    ("5 in 5", True),
    ("5 in amount", False),
    ("5 in = 5", True),
    ("5 in != 5", False),
    ("5 in (=5, =6)", True),
    ("5 in ([1..3], [5..6])", True),
    ("5 in ? < 10", True),
    ("5 in ? > 10", False),
    ("12 in (? > 10 and even(?))", True),
    ("missing in [1, 2]", False),
    ("missing in < 5", None),
    ('"a" in < 5', None),
    ("5 in [null..10]", None),
    ('status in ["a", "b"] and amount > 100', False),
    ("amount in [100..200] and flag", True),
    ("x in numbers", True),
    ("x in empty", False),
    ("[1..5] = [1..5]", True),
    ("[1..5] = (1..5]", False),
    ("[1..5] instance of range", True),
]


@pytest.mark.parametrize(("expression", "expected"), IN_TESTS)
def test_in_and_unary_tests(expression: str, expected: Any) -> None:
    check(expression, expected, {**VARS, "status": "c", "x": 3})


# ------------------------------------------------------------------ iteration

ITERATION = [
    ("some x in [1, 2, 3] satisfies x > 2", True),
    ("some x in [1, 2, 3] satisfies x > 3", False),
    ("some x in [] satisfies x > 3", False),
    ("every x in [1, 2, 3] satisfies x > 0", True),
    ("every x in [1, 2, 3] satisfies x > 1", False),
    ("every x in [] satisfies x > 1", True),
    ("some x in [false, 2] satisfies x", None),
    ("every x in [true, 3] satisfies x", None),
    ("some x in [1, 2], y in [3, 4] satisfies x + y = 6", True),
    ("every x in [1, 2], y in [3, 4] satisfies x < y", True),
    ("some o in orders satisfies o.amount > 40", True),
    ('every o in orders satisfies o.status = "open"', False),
    ("some x in missing satisfies x > 1", None),
    ("some x in 2 satisfies x > 1", None),
    ("for x in [1, 2, 3] return x * 2", [2, 4, 6]),
    ("for x in [] return x", []),
    ("for x in 1..3 return x", [1, 2, 3]),
    ("for x in 3..1 return x", [3, 2, 1]),
    ("for x in 1..1 return x", [1]),
    ("for x in n..n + 2 return x", [3, 4, 5]),
    ("for x in [1..3] return x", [1, 2, 3]),
    ("for x in (1..4) return x", [2, 3]),
    ("for x in [1, 2], y in [10, 20] return x + y", [11, 21, 12, 22]),
    ("for x in [1, 2, 3] return if x > 1 then x else 0", [0, 2, 3]),
    ("for o in orders return o.id", ["o1", "o2", "o3"]),
    ("for i in 1..4 return if i = 1 then 1 else partial[-1] * i", [1, 2, 6, 24]),
    ("for x in missing return x", None),
    ("for x in 5 return x", None),
    ("sum(for x in numbers return x * x)", 55),
    ("for x in [[1, 2], [3]] return count(x)", [2, 1]),
    ("for x in [1, 2] return for y in [1, 2] return x * y", [[1, 2], [2, 4]]),
    ("for w in words return upper case(w)", ["B", "A", "C"]),
    ("count(for x in 1..1000 return x)", 1000),
]


@pytest.mark.parametrize(("expression", "expected"), ITERATION)
def test_iteration(expression: str, expected: Any) -> None:
    check(expression, expected, {**VARS, "n": 3})


# ------------------------------------------------------------------ instance of

INSTANCE_OF = [
    ("1 instance of number", True),
    ("1.5 instance of number", True),
    ('"1" instance of number', False),
    ('"a" instance of string', True),
    ("true instance of boolean", True),
    ("0 instance of boolean", False),
    ("[1] instance of list", True),
    ("[] instance of list", True),
    ("{} instance of context", True),
    ("customer instance of context", True),
    ('@"2024-01-01" instance of date', True),
    ('@"2024-01-01" instance of date and time', False),
    ('@"2024-01-01T00:00:00" instance of date and time', True),
    ('@"2024-01-01T00:00:00" instance of date', False),
    ('@"10:00:00" instance of time', True),
    ('@"P1D" instance of days and time duration', True),
    ('@"P1Y" instance of years and months duration', True),
    ('@"P1Y" instance of days and time duration', False),
    ("(function(x) x) instance of function", True),
    ("null instance of number", False),
    ("null instance of Null", True),
    ("1 instance of Any", True),
    ("null instance of Any", False),
    ("missing instance of Any", False),
    ("2 * 3 instance of number", True),
    ("if 1 instance of number then 1 else 2", 1),
]


@pytest.mark.parametrize(("expression", "expected"), INSTANCE_OF)
def test_instance_of(expression: str, expected: Any) -> None:
    check(expression, expected)


# ------------------------------------------------------------------ functions

FUNCTIONS = [
    # user functions and invocation styles
    ("(function(x) x + 1)(2)", 3),
    ("{f: function(a, b) a - b}.f(5, 2)", 3),
    ("{f: function(a, b) a - b}.f(b: 5, a: 2)", -3),
    ("{f: function(a, b) if b = null then a else b}.f(a: 1)", 1),
    ("{f: function(a, b) a}.f(1)", None),
    ("{f: function(a, b) a}.f(a: 1, c: 2)", None),
    ("{f: function(x) x * 2, r: f(21)}.r", 42),
    ("{fact: function(n) if n <= 1 then 1 else n * fact(n - 1), r: fact(5)}.r", 120),
    ("{y: 10, f: function(x) x + y}.f(1)", 11),
    ("f(1)", None),
    ('substring(string: "foobar", start position: 3)', "obar"),
    ('substring(start position: 3, string: "foobar")', "obar"),
    ('string length(string: "abc")', 3),
    ("abs(n: -1)", 1),
    ("abs(number: -1)", None),
    ("abs()", None),
    ("abs(1, 2)", None),
    ("nofunction(1)", None),
    # conversion
    ("string(1)", "1"),
    ("string(1.5)", "1.5"),
    ("string(-0.5)", "-0.5"),
    ('string("a")', "a"),
    ("string(true)", "true"),
    ("string(null)", None),
    ('string([1, "a"])', '[1, "a"]'),
    ("string({a: 1})", "{a:1}"),
    ('string(@"2024-01-01")', "2024-01-01"),
    ('string(@"2024-01-01T10:00:00")', "2024-01-01T10:00:00"),
    ('string(@"2024-01-01T10:00:00Z")', "2024-01-01T10:00:00Z"),
    ('string(@"2024-01-01T10:00:00.250")', "2024-01-01T10:00:00.25"),
    ('string(@"10:00:00.5+01:00")', "10:00:00.5+01:00"),
    ('string(@"2024-01-01T10:00:00+01:00")', "2024-01-01T10:00:00+01:00"),
    ('string(@"2024-01-01T10:00:00@Europe/Berlin")', "2024-01-01T10:00:00@Europe/Berlin"),
    ('string(@"P1DT2H")', "P1DT2H"),
    ('string(@"PT0S")', "P0D"),
    ('string(@"-PT90M")', "-PT1H30M"),
    ('string(@"P14M")', "P1Y2M"),
    ('string(@"P0Y")', "P0Y"),
    ('number("12")', 12),
    ('number("12.5")', 12.5),
    ('number("-1")', -1),
    ('number("1e3")', 1000),
    ('number("abc")', None),
    ('number("1,000.5", ",", ".")', 1000.5),
    ('number("1.000,5", ".", ",")', 1000.5),
    ("number(5)", 5),
    ('date("2024-02-29")', dt.date(2024, 2, 29)),
    ('date("2023-02-29")', None),
    ('date("2024-1-1")', None),
    ("date(2024, 2, 29)", dt.date(2024, 2, 29)),
    ("date(2023, 2, 29)", None),
    ('date(date and time("2024-05-01T10:00:00"))', dt.date(2024, 5, 1)),
    ('time("10:11:12")', dt.time(10, 11, 12)),
    ('time("25:00:00")', None),
    ("time(10, 11, 12)", dt.time(10, 11, 12)),
    ('time(10, 0, 0, duration("PT1H"))', dt.time(10, tzinfo=dt.timezone(dt.timedelta(hours=1)))),
    ('time(@"2024-01-01T10:11:12")', dt.time(10, 11, 12)),
    ('date and time("2024-01-01T10:00:00")', dt.datetime(2024, 1, 1, 10)),
    ('date and time("2024-01-01")', dt.datetime(2024, 1, 1)),
    ('date and time("garbage")', None),
    ('date and time(@"2024-01-01", @"10:00:00")', dt.datetime(2024, 1, 1, 10)),
    (
        'date and time(@"2024-01-01T10:00:00Z", "Europe/Berlin")',
        dt.datetime(2024, 1, 1, 11, tzinfo=ZoneInfo("Europe/Berlin")),
    ),
    ('duration("P1D")', dt.timedelta(days=1)),
    ('duration("PT2H30M")', dt.timedelta(hours=2, minutes=30)),
    ('duration("P1Y2M")', YearsMonths(14)),
    ('duration("P1Y2D")', None),
    ('duration("1 day")', None),
    ('duration("P")', None),
    ('years and months duration(@"2020-01-15", @"2021-03-14")', YearsMonths(13)),
    ('years and months duration(@"2021-03-14", @"2020-01-15")', YearsMonths(-13)),
    # boolean and misc
    ("is defined(amount)", True),
    ("is defined(missing)", False),
    ("is defined(nothing)", False),
    ("is defined(customer.tier)", True),
    ("is defined(customer.nope)", False),
    ("is defined(missing.deeper)", False),
    ("is defined({}.a)", False),
    ("is defined([])", True),
    ("get or else(missing, 5)", 5),
    ("get or else(amount, 5)", 150),
    ("get or else(null, null)", None),
    ("assert(1, true)", 1),
    # strings
    ('substring("foobar", 3)', "obar"),
    ('substring("foobar", 3, 3)', "oba"),
    ('substring("foobar", -2, 1)', "a"),
    ('substring("foobar", -3)', "bar"),
    ('substring("foobar", 1, 100)', "foobar"),
    ('substring("foobar", 0)', None),
    ('substring("\U0001f600ab", 2)', "ab"),
    ('substring before("foobar", "bar")', "foo"),
    ('substring before("foobar", "xyz")', ""),
    ('substring after("foobar", "ob")', "ar"),
    ('substring after("foobar", "")', "foobar"),
    ('substring after("foobar", "xyz")', ""),
    ('string length("foo")', 3),
    ('string length("")', 0),
    ("string length(name)", 12),
    ("string length(1)", None),
    ('upper case("aBc")', "ABC"),
    ('lower case("aBc")', "abc"),
    ('contains("foobar", "ob")', True),
    ('contains("foobar", "x")', False),
    ('starts with("foobar", "fo")', True),
    ('starts with("foobar", "o")', False),
    ('ends with("foobar", "bar")', True),
    ('matches("foobar", "^fo*b")', True),
    ('matches("foobar", "^o")', False),
    ('matches("FOO", "foo", "i")', True),
    ('matches("a.b", ".", "q")', True),
    ('matches("ab", "(", "")', None),
    ('replace("abcd", "(ab)|(a)", "[1=$1][2=$2]")', "[1=ab][2=]cd"),
    ('replace("banana", "a", "o")', "bonono"),
    ('replace("Banana", "b", "c", "i")', "canana"),
    ('replace("a.b.c", "\\.", "-")', "a-b-c"),
    ('replace("price", "p", "\\$")', "$rice"),
    ('split("a,b,c", ",")', ["a", "b", "c"]),
    ('split("a1b22c", "[0-9]+")', ["a", "b", "c"]),
    ('split("abc", ",")', ["abc"]),
    ('extract("a1b22c333", "[0-9]+")', ["1", "22", "333"]),
    ('extract("abc", "[0-9]+")', []),
    ('trim("  a b  ")', "a b"),
    ('string join(["a", "b", "c"], ", ")', "a, b, c"),
    ('string join(["a", "b"])', "ab"),
    ('string join(["a", null, "c"], "-")', "a-c"),
    ('string join([], ",")', ""),
    ('string join(["a", 1], ",")', None),
    ('string join(["a", "b"], ", ", "[", "]")', "[a, b]"),
    ('to base64("FEEL")', "RkVFTA=="),
    ('from base64("RkVFTA==")', "FEEL"),
    ("string length(uuid())", 36),
    ('is blank("  ")', True),
    ('is blank("a")', False),
    # numbers
    ("decimal(1/3, 2)", 0.33),
    ("decimal(1.5, 0)", 2),
    ("decimal(2.5, 0)", 2),
    ("decimal(-1.5, 0)", -2),
    ("floor(1.7)", 1),
    ("floor(-1.2)", -2),
    ("floor(1.567, 2)", 1.56),
    ("ceiling(1.2)", 2),
    ("ceiling(-1.7)", -1),
    ("ceiling(1.561, 2)", 1.57),
    ("round up(5.5, 0)", 6),
    ("round up(-5.5, 0)", -6),
    ("round up(1.121, 2)", 1.13),
    ("round down(5.5, 0)", 5),
    ("round down(-5.5, 0)", -5),
    ("round half up(5.5, 0)", 6),
    ("round half up(-5.5, 0)", -6),
    ("round half up(1.125, 2)", 1.13),
    ("round half down(5.5, 0)", 5),
    ("round half down(-5.5, 0)", -5),
    ("round half down(1.126, 2)", 1.13),
    ("abs(-10)", 10),
    ("abs(10)", 10),
    ("abs(-1.5)", 1.5),
    ('abs(@"-PT1H")', dt.timedelta(hours=1)),
    ('abs("a")', None),
    ("modulo(12, 5)", 2),
    ("modulo(-12, 5)", 3),
    ("modulo(12, -5)", -3),
    ("modulo(10.1, 4.5)", 1.1),
    ("modulo(1, 0)", None),
    ("sqrt(16)", 4),
    ("sqrt(2)", 1.414213562373095048801688724209698),
    ("sqrt(-1)", None),
    ("log(1)", 0),
    ("log(0)", None),
    ("exp(0)", 1),
    ("odd(5)", True),
    ("odd(2)", False),
    ("even(2)", True),
    ("even(-3)", False),
    ("even(1.5)", None),
    ("random number() >= 0 and random number() < 1", True),
    # lists
    ("list contains([1, 2, 3], 2)", True),
    ("list contains([1, 2, 3], 5)", False),
    ("list contains([1, null], null)", True),
    ('list contains(words, "a")', True),
    ("count([1, 2, 3])", 3),
    ("count([])", 0),
    ("count(orders)", 3),
    ("count(1)", None),
    ("min([3, 1, 2])", 1),
    ("min(3, 1, 2)", 1),
    ("min([])", None),
    ('min(["b", "a"])', "a"),
    ('min([1, "a"])', None),
    ("max([3, 1, 2])", 3),
    ("max(orders.amount)", 50),
    ('max([@"2024-01-01", @"2025-01-01"])', dt.date(2025, 1, 1)),
    ("sum([1, 2, 3])", 6),
    ("sum(1, 2, 3)", 6),
    ("sum([0.1, 0.2])", 0.3),
    ("sum([])", None),
    ('sum([1, "a"])', None),
    ('sum([@"PT1H", @"PT30M"])', dt.timedelta(minutes=90)),
    ("sum(orders.amount)", 75),
    ("product([2, 3, 4])", 24),
    ("product([])", None),
    ("mean([1, 2, 3])", 2),
    ("mean([1, 2])", 1.5),
    ("mean([])", None),
    ("median([3, 1, 2])", 2),
    ("median([6, 1, 2, 3])", 2.5),
    ("median([])", None),
    ("stddev([2, 4, 7, 5])", 2.0816659994661326),
    ("mode([6, 3, 9, 6, 6])", [6]),
    ("mode([6, 1, 9, 6, 1])", [1, 6]),
    ("all([true, true])", True),
    ("all([true, false])", False),
    ("all([])", True),
    ("all([true, null])", None),
    ("all([false, null])", False),
    ("all(true, true)", True),
    ("any([false, true])", True),
    ("any([false, false])", False),
    ("any([])", False),
    ("any([false, null])", None),
    ("sublist([1, 2, 3], 2)", [2, 3]),
    ("sublist([1, 2, 3], 1, 2)", [1, 2]),
    ("sublist([1, 2, 3], -1)", [3]),
    ("sublist([1, 2, 3], 0)", None),
    ("append([1], 2, 3)", [1, 2, 3]),
    ("append([], null)", [None]),
    ("concatenate([1], [2, 3], [])", [1, 2, 3]),
    ("insert before([1, 3], 2, 2)", [1, 2, 3]),
    ("insert before([1, 3], -1, 2)", [1, 2, 3]),
    ("remove([1, 2, 3], 2)", [1, 3]),
    ("remove([1, 2, 3], 4)", None),
    ("reverse([1, 2, 3])", [3, 2, 1]),
    ("reverse([])", []),
    ("index of([1, 2, 3, 2], 2)", [2, 4]),
    ("index of([1, 2], 5)", []),
    ("union([1, 2], [2, 3])", [1, 2, 3]),
    ("union([1], [2], [1, 3])", [1, 2, 3]),
    ("distinct values([1, 2, 1, 3, 2])", [1, 2, 3]),
    ("distinct values([{a: 1}, {a: 1}])", [{"a": 1}]),
    ("duplicate values([1, 2, 3, 2, 1])", [1, 2]),
    ("flatten([[1, 2], [[3]], 4])", [1, 2, 3, 4]),
    ("flatten([])", []),
    ("sort([3, 1, 2])", [1, 2, 3]),
    ('sort(["b", "c", "a"])', ["a", "b", "c"]),
    ("sort([3, 1, 2], function(x, y) x > y)", [3, 2, 1]),
    ("sort(orders, function(x, y) x.amount > y.amount).id", ["o3", "o2", "o1"]),
    ("sort(list: [2, 1], precedes: function(a, b) a < b)", [1, 2]),
    ('sort([1, "a"])', None),
    ("is empty([])", True),
    ("is empty([1])", False),
    ("partition([1, 2, 3, 4, 5], 2)", [[1, 2], [3, 4], [5]]),
    # contexts
    ('get value({a: 1}, "a")', 1),
    ('get value({a: 1}, "b")', None),
    ('get value({a: {b: 2}}, ["a", "b"])', 2),
    ('get value(customer, "tier")', "gold"),
    ("get entries({a: 1, b: 2})", [{"key": "a", "value": 1}, {"key": "b", "value": 2}]),
    ("get entries({})", []),
    ("get entries(customer).key", ["tier", "address", "age"]),
    ('put({a: 1}, "b", 2)', {"a": 1, "b": 2}),
    ('put({a: 1}, "a", 2)', {"a": 2}),
    ('put({a: {b: 1}}, ["a", "c"], 2)', {"a": {"b": 1, "c": 2}}),
    ('context put({}, "a", null)', {"a": None}),
    ("put all({a: 1}, {b: 2}, {a: 3})", {"a": 3, "b": 2}),
    ("context merge([{a: 1}, {b: 2}])", {"a": 1, "b": 2}),
    ('context([{key: "a", value: 1}, {key: "b", value: 2}])', {"a": 1, "b": 2}),
    ('context([{key: "a"}])', None),
    # temporal
    ("today()", dt.date(2024, 3, 15)),
    ("now()", NOW),
    ('now() > @"2024-01-01T00:00:00Z"', True),
    ('today() - @"2024-03-01"', dt.timedelta(days=14)),
    ('day of week(@"2024-03-15")', "Friday"),
    ('day of week(@"2024-03-17T10:00:00")', "Sunday"),
    ('day of year(@"2024-03-01")', 61),
    ('day of year(@"2023-12-31")', 365),
    ('week of year(@"2024-01-01")', 1),
    ('week of year(@"2021-01-01")', 53),
    ('month of year(@"2024-03-15")', "March"),
    ('last day of month(@"2024-02-10")', 29),
    ("day of week(day)", None),
    ("day of week(date(day))", "Wednesday"),
    # json
    ('to json({a: 1, b: "x"})', '{"a":1,"b":"x"}'),
    ('to json(@"2024-01-01")', '"2024-01-01"'),
    ('from json("{\\"a\\": [1, 2.5]}")', {"a": [1, 2.5]}),
    ('from json("nope")', None),
    # builtins taking keyword names that contain reserved words
    ("and([true, true])", True),
    ("or([false, true])", True),
]


@pytest.mark.parametrize(("expression", "expected"), FUNCTIONS)
def test_function(expression: str, expected: Any) -> None:
    check(expression, expected)


# ------------------------------------------------------------------ numbers leave as JSON wants


def test_integral_results_are_int_and_others_float() -> None:
    assert type(ev("10 / 2")) is int
    assert type(ev("2.50 * 2")) is int
    assert type(ev("0.1 + 0.2")) is float
    assert json.dumps(ev("{a: 1.0 + 2, b: [0.5 * 2]}")) == '{"a": 3, "b": [1]}'


def test_decimal_variables_are_read() -> None:
    assert ev("x + 0.2", {"x": Decimal("0.1")}) == 0.3


def test_results_do_not_share_structure_with_variables() -> None:
    items = [{"a": 1}]
    result = ev("items", {"items": items})
    assert result == items and result is not items and result[0] is not items[0]


def test_variables_may_be_any_mapping() -> None:
    from collections import ChainMap

    assert ev("a + b", ChainMap({"a": 1}, {"b": 2})) == 3  # type: ignore[arg-type]


def test_function_and_range_values_come_out_as_objects() -> None:
    assert isinstance(ev("function(x) x"), FeelFunction)
    assert ev("[1..5]") == Range(1, 5, True, True)


# ------------------------------------------------------------------ clock


def test_now_reads_the_clock_given_per_evaluation() -> None:
    expression = compile_expression("now()")
    first = dt.datetime(2030, 1, 1, tzinfo=UTC)
    assert expression.evaluate({}, now=first) == first
    assert expression.evaluate({}, now=first + dt.timedelta(days=3)) == first + dt.timedelta(days=3)


def test_a_naive_clock_counts_as_utc() -> None:
    assert compile_expression("now()").evaluate({}, now=dt.datetime(2030, 1, 1)) == dt.datetime(
        2030, 1, 1, tzinfo=UTC
    )


def test_without_a_clock_now_is_the_machines() -> None:
    before = dt.datetime.now(UTC)
    value = compile_expression("now()").evaluate({})
    assert before <= value <= dt.datetime.now(UTC)


def test_a_timer_due_date_from_the_clock() -> None:
    due = compile_expression('now() + duration("P3D")').evaluate({}, now=NOW)
    assert due == NOW + dt.timedelta(days=3)


# ------------------------------------------------------------------ warnings (why null)


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("x > 5", "No variable found with name 'x'"),
        ('"a" + 1', "Can't add"),
        ("{a: 1}.b", "No context entry found with key 'b'"),
        ("true and 2", "Expected boolean but found '2'"),
        ('1 < "a"', "Can't compare"),
        ("number(null)", "Failed to invoke function 'number'"),
        ("foo(1)", "No function found with name 'foo'"),
        ("[1, 2][5]", "out of bounds"),
    ],
)
def test_a_null_result_says_why(expression: str, fragment: str) -> None:
    value, warnings = compile_expression(expression).evaluate_with_warnings({})
    assert value is None
    assert any(fragment in w for w in warnings), warnings


def test_a_clean_evaluation_has_no_warnings() -> None:
    assert compile_expression("amount > 1").evaluate_with_warnings({"amount": 2}) == (True, [])


# ------------------------------------------------------------------ evaluation failures


def test_assert_fails_the_evaluation() -> None:
    with pytest.raises(FeelEvaluationError, match="not fulfilled"):
        ev("assert(1, false)")
    with pytest.raises(FeelEvaluationError, match="too small"):
        ev('assert(x, x > 3, "too small")', {"x": 1})


def test_input_value_outside_a_unary_test_fails() -> None:
    with pytest.raises(FeelEvaluationError, match="No input value"):
        ev("? < 10")


def test_runaway_recursion_fails_cleanly() -> None:
    with pytest.raises(FeelEvaluationError, match="recursed too deeply"):
        ev("{f: function(n) f(n + 1), r: f(1)}.r")


def test_huge_iteration_is_refused_with_null() -> None:
    value, warnings = compile_expression("for x in 1..100000000 return x").evaluate_with_warnings(
        {}
    )
    assert value is None and any("at most" in w for w in warnings)


# ------------------------------------------------------------------ syntax errors


@pytest.mark.parametrize(
    ("expression", "position", "fragment"),
    [
        ("1 +", 3, "expected an expression"),
        ("(1 + 2", 6, "expected ')'"),
        ("[1, 2", 5, "expected ']'"),
        ("{a: 1", 5, "expected ','"),
        ("{: 1}", 1, "expected a key"),
        ('"abc', 0, "never closed"),
        ("if x then 1", 11, "'else'"),
        ("for x [1] return x", 6, "expected 'in'"),
        ("some x in [1] x > 1", 14, "'satisfies'"),
        ("a b", 2, "backticks"),
        ("x in 1..5", 6, "range needs brackets"),
        ("x is defined", 2, "is defined(x)"),
        ("1 < 2 < 3", 6, "cannot be chained"),
        ("and", 0, "keyword 'and'"),
        ("then", 0, "keyword 'then'"),
        ("1 instance of nonsense", 2, "unknown type 'nonsense'"),
        ("`abc", 0, "never closed"),
        ("/* open", 0, "never closed"),
        ("@2024", 1, "expected a string after '@'"),
        ("f(a: 1, 2)", 8, "every argument must be named"),
        ("function(a, a) a", 0, "distinct names"),
        ("1 2", 2, "expected an operator"),
        ("", 0, "expected an expression"),
        (")", 0, "expected an expression"),
        ("{ null: 1 }.null", 12, "expected a name"),
        ("1 + if x then 1 else 2", 4, "put it in parentheses"),
        ("x = for i in y return i", 4, "put it in parentheses"),
    ],
)
def test_syntax_error_names_position_and_expectation(
    expression: str, position: int, fragment: str
) -> None:
    with pytest.raises(FeelSyntaxError) as caught:
        compile_expression(expression)
    error = caught.value
    assert error.position == position, str(error)
    assert fragment in str(error)
    assert error.expression == expression
    assert isinstance(error, FeelError)


def test_syntax_error_message_points_at_the_place() -> None:
    with pytest.raises(FeelSyntaxError) as caught:
        compile_expression("amount > ")
    assert "position 9" in str(caught.value) and "^" in str(caught.value)


# ------------------------------------------------------------------ limits


def test_overlong_expression_is_refused() -> None:
    with pytest.raises(FeelSyntaxError, match="at most 10000"):
        compile_expression("1 + " * 3000 + "1")
    assert MAX_LENGTH == 10_000


def test_deep_nesting_is_refused_not_crashing() -> None:
    with pytest.raises(FeelSyntaxError, match="nests"):
        compile_expression("(" * 500 + "1" + ")" * 500)
    with pytest.raises(FeelSyntaxError, match="nests"):
        compile_expression("[" * 1000 + "]" * 1000)
    with pytest.raises(FeelSyntaxError, match="nests"):
        compile_expression("-" * 5000 + "1")


def test_moderate_nesting_is_fine() -> None:
    assert compile_expression("(" * 40 + "1" + ")" * 40).evaluate({}) == 1
    assert compile_expression("{a: " * 30 + "1" + "}" * 30).evaluate({}) is not None


def test_long_flat_chains_are_fine() -> None:
    assert compile_expression(" + ".join(["1"] * 2000)).evaluate({}) == 2000
    assert compile_expression(" and ".join(["true"] * 1000)).evaluate({}) is True
    assert compile_expression("x" + ".a" * 1000).evaluate({}) is None


def test_non_string_expression_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        compile_expression(1)  # type: ignore[arg-type]


# ------------------------------------------------------------------ properties and JSON


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1 + 1", 2),
        ("  = amount", 150),
        ("=customer.tier", "gold"),
        ("payment-service", "payment-service"),
        ("PT5M", "PT5M"),
        ("", ""),
        ("a = b", "a = b"),
    ],
)
def test_evaluate_property(value: str, expected: Any) -> None:
    assert evaluate_property(value, VARS) == expected


def test_is_expression() -> None:
    assert is_expression("=x")
    assert is_expression("  \n= x")
    assert not is_expression("x")
    assert not is_expression("x=1")


def test_evaluate_property_refuses_bad_feel() -> None:
    with pytest.raises(FeelSyntaxError):
        evaluate_property("=1 +", {})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(2024, 1, 2), "2024-01-02"),
        (dt.time(10, 0, 5), "10:00:05"),
        (dt.datetime(2024, 1, 2, 3, 4, 5), "2024-01-02T03:04:05"),
        (dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "2024-01-02T03:04:05+00:00"),
        (
            dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=ZoneInfo("Europe/Berlin")),
            "2024-01-02T03:04:05+01:00[Europe/Berlin]",
        ),
        (dt.timedelta(days=1, hours=2), "P1DT2H"),
        (dt.timedelta(minutes=-90), "-PT1H30M"),
        (dt.timedelta(seconds=1.5), "PT1.5S"),
        (YearsMonths(14), "P1Y2M"),
        (YearsMonths(-3), "-P3M"),
        (Decimal("2.50"), 2.5),
        (Decimal("3"), 3),
        ([dt.date(2024, 1, 1), {"d": dt.timedelta(0)}], ["2024-01-01", {"d": "P0D"}]),
        (None, None),
        ("x", "x"),
        (True, True),
    ],
)
def test_to_json(value: Any, expected: Any) -> None:
    assert to_json(value) == expected
    json.dumps(to_json(value))


def test_temporal_results_serialize_through_to_json() -> None:
    result = ev('{due: @"2024-01-01" + @"P1D", wait: @"PT5M"}')
    assert json.dumps(to_json(result)) == '{"due": "2024-01-02", "wait": "PT5M"}'


def test_an_expression_is_reusable_and_stateless() -> None:
    expression = compile_expression("for x in items return x * factor")
    assert expression.evaluate({"items": [1, 2], "factor": 2}) == [2, 4]
    assert expression.evaluate({"items": [3], "factor": 3}) == [9]
    assert expression.source == "for x in items return x * factor"
    assert "for x" in repr(expression)


def test_years_months_parts() -> None:
    assert YearsMonths(-14).years_part == -1
    assert YearsMonths(-14).months_part == -2
    assert str(YearsMonths(0)) == "P0Y"
