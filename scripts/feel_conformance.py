"""Measure the dev cluster's FEEL against public FEEL test cases fetched into local folders.

Two sources, each optional (the script skips a source whose folder is absent, and exits 0):

- FEEL-Scala's own tests (github camunda/feel-scala, ``src/test/scala/org/camunda/feel/impl``):
  the ``*Test.scala`` files state ``evaluateExpression("...") should returnResult(...)``. The
  script reads the cases whose expression, variables and expected value are plain literals.
- The DMN TCK (github dmn-tck/tck, ``TestCases/compliance-level-3``): each folder holds a
  ``.dmn`` model and ``*-test-*.xml`` cases; the script runs the decisions whose logic is a
  single literal expression (the FEEL cases), with the inputs the test case gives.

::

    .venv/bin/python scripts/feel_conformance.py --feel-scala DIR --tck DIR [-v]

``DIR`` for FEEL-Scala is any folder under which the ``*Test.scala`` files lie; for the TCK the
``compliance-level-3`` folder (or any folder holding the case folders). The environment
variables ``FEEL_SCALA_TESTS`` and ``DMN_TCK_CASES`` stand in for the options. Nothing of those
projects is copied here: the cases are read where they were fetched.
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import os
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from defusedxml import ElementTree

from camunda_sdk.devcluster.feel import FeelError, YearsMonths, compile_expression
from camunda_sdk.devcluster.feel._temporal import (
    parse_date,
    parse_date_and_time,
    parse_duration,
    parse_time,
)

NOW = dt.datetime(2024, 3, 15, 10, 30, tzinfo=dt.timezone.utc)


class Skip(Exception):
    """A case this script cannot read (its values are not plain literals)."""


# ---------------------------------------------------------------- comparing results


def same(actual: Any, expected: Any) -> bool:
    """Whether a FEEL result matches the expected value (numbers by value, 1e-12 relative)."""
    if expected is None or actual is None:
        return actual is None and expected is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected
    if isinstance(expected, (int, float, decimal.Decimal)):
        if not isinstance(actual, (int, float, decimal.Decimal)):
            return False
        a, e = decimal.Decimal(repr(actual)) if isinstance(actual, float) else actual, expected
        e = decimal.Decimal(repr(e)) if isinstance(e, float) else e
        places = -decimal.Decimal(e).as_tuple().exponent  # type: ignore[operator]
        if isinstance(places, int) and places >= 8:
            a = decimal.Decimal(a).quantize(decimal.Decimal(1).scaleb(-places))
        return abs(decimal.Decimal(a) - decimal.Decimal(e)) <= abs(decimal.Decimal(e)) * (
            decimal.Decimal("1e-12")
        ) + decimal.Decimal("1e-24")
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(same(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and set(actual) == set(expected)
            and all(same(actual[k], expected[k]) for k in expected)
        )
    if type(actual) is not type(expected):
        return False
    if isinstance(expected, (dt.datetime, dt.time)):
        return actual == expected and (actual.tzinfo is None) == (expected.tzinfo is None)
    return actual == expected


def run(expression: str, variables: dict[str, Any]) -> Any:
    return compile_expression(expression).evaluate(variables, now=NOW)


# ---------------------------------------------------------------- FEEL-Scala's tests


def scala_cases(folder: Path) -> Iterator[tuple[str, str, dict[str, Any], Any]]:
    """(file, expression, variables, expected) for each plainly stated case."""
    for path in sorted(folder.rglob("*Test.scala")):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"\bevaluateExpression\(", text):
            try:
                args, end = _balanced(text, m.end() - 1)
                verdict = re.match(r"\s*should\s*\(?\s*(returnResult\(|returnNull\(\))", text[end:])
                if not verdict:
                    continue
                expression, variables = _scala_call(args)
                if verdict.group(1) == "returnNull()":
                    expected = None
                else:
                    inner, _ = _balanced(text, end + verdict.end() - 1)
                    expected = _ScalaValue(inner).parse_all()
            except Skip:
                yield path.name, "", {}, Skip
                continue
            yield path.name, expression, variables, expected


def _balanced(text: str, open_at: int) -> tuple[str, int]:
    depth, i, n = 0, open_at, len(text)
    while i < n:
        c = text[i]
        if text.startswith('"""', i):
            j = text.find('"""', i + 3)
            i = j + 3
            continue
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return text[open_at + 1 : i], i + 1
        i += 1
    raise Skip


def _scala_call(args: str) -> tuple[str, dict[str, Any]]:
    reader = _ScalaValue(args)
    reader.skip_name("expression")
    expression = reader.string()
    variables: dict[str, Any] = {}
    reader.ws()
    if reader.eat(","):
        named = reader.skip_name("variables") or reader.skip_name("context")
        if not named and reader.peek_word() != "Map":
            raise Skip
        value = reader.value()
        if not isinstance(value, dict):
            raise Skip
        variables = value
    reader.ws()
    if reader.pos != len(reader.text):
        raise Skip
    return expression, variables


class _ScalaValue:
    """Reads the Scala literals the tests use for values: numbers, strings, List, Map, times."""

    def __init__(self, text: str) -> None:
        self.text, self.pos = text, 0

    def ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def eat(self, s: str) -> bool:
        self.ws()
        if self.text.startswith(s, self.pos):
            self.pos += len(s)
            return True
        return False

    def peek_word(self) -> str:
        self.ws()
        m = re.compile(r"[A-Za-z_][\w.]*").match(self.text, self.pos)
        return m.group(0) if m else ""

    def skip_name(self, name: str) -> bool:
        self.ws()
        m = re.compile(rf"{name}\s*=(?!=)").match(self.text, self.pos)
        if m:
            self.pos = m.end()
            return True
        return False

    def parse_all(self) -> Any:
        value = self.value()
        self.ws()
        if self.pos != len(self.text):
            raise Skip
        return value

    def string(self) -> str:
        self.ws()
        t = self.text
        if t.startswith('"""', self.pos):
            end = t.find('"""', self.pos + 3)
            value = t[self.pos + 3 : end]
            self.pos = end + 3
            if t.startswith(".stripMargin", self.pos):
                raise Skip
            return value
        if t.startswith('"', self.pos):
            out, i = [], self.pos + 1
            while t[i] != '"':
                if t[i] == "\\":
                    nxt = t[i + 1]
                    out.append({"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}.get(nxt, ""))
                    if nxt not in 'ntr"\\':
                        raise Skip
                    i += 2
                else:
                    out.append(t[i])
                    i += 1
            self.pos = i + 1
            return "".join(out)
        raise Skip

    def value(self) -> Any:
        self.ws()
        t = self.text[self.pos :]
        if t.startswith('"'):
            return self.string()
        m = re.match(r"-?\d+(\.\d+)?([eE]-?\d+)?[LdfF]?(?![\w.])", t)
        if m:
            self.pos += m.end()
            literal = m.group(0).rstrip("LdfF")
            return (
                decimal.Decimal(literal)
                if ("." in literal or "e" in literal.lower())
                else int(literal)
            )
        for word, value in (("true", True), ("false", False), ("null", None), ("ValNull", None)):
            if re.match(rf"{word}\b", t):
                self.pos += len(word)
                return value
        if re.match(r"(List|Map)\.empty\b", t):
            self.pos += t.index("empty") + 5
            if self.text.startswith("[", self.pos):
                self.pos = self.text.index("]", self.pos) + 1
            return [] if t.startswith("List") else {}
        m = re.match(r"(List|Map|BigDecimal)\s*\(", t)
        if m:
            self.pos += m.end()
            items: list[Any] = []
            while not self.eat(")"):
                key = self.value()
                if m.group(1) == "Map":
                    if not self.eat("->"):
                        raise Skip
                    items.append((key, self.value()))
                else:
                    items.append(key)
                self.eat(",")
            if m.group(1) == "BigDecimal":
                if len(items) != 1:
                    raise Skip
                return decimal.Decimal(str(items[0]))
            return dict(items) if m.group(1) == "Map" else items
        m = re.match(
            r"(LocalDate|LocalTime|LocalDateTime|ZonedDateTime|OffsetTime|Duration|Period)"
            r"\.parse\(\s*\"([^\"]*)\"\s*\)",
            t,
        )
        if m:
            self.pos += m.end()
            kind, literal = m.group(1), m.group(2)
            return _java_temporal(kind, literal)
        raise Skip


def _java_temporal(kind: str, literal: str) -> Any:
    value: Any
    if kind == "LocalDate":
        value = parse_date(literal)
    elif kind in ("LocalTime", "OffsetTime"):
        value = parse_time(literal)
    elif kind in ("LocalDateTime", "ZonedDateTime"):
        value = parse_date_and_time(literal)
    elif kind == "Period":
        m = re.fullmatch(r"(-)?P(?:(-?\d+)Y)?(?:(-?\d+)M)?", literal)
        if not m:
            raise Skip
        sign = -1 if m.group(1) else 1
        value = YearsMonths(sign * (int(m.group(2) or 0) * 12 + int(m.group(3) or 0)))
    else:
        value = parse_duration(literal)
    if value is None:
        raise Skip
    return value


def run_feel_scala(folder: Path, verbose: bool) -> tuple[int, int, int]:
    passed = failed = skipped = 0
    by_file: Counter[str] = Counter()
    for file, expression, variables, expected in scala_cases(folder):
        if expected is Skip:
            skipped += 1
            continue
        try:
            actual = run(expression, variables)
        except FeelError as error:
            actual = f"<{type(error).__name__}: {str(error).splitlines()[0]}>"
        except Exception as error:  # a crash is a failure to report, not to hide
            actual = f"<crash {type(error).__name__}: {error}>"
        if same(actual, expected):
            passed += 1
        else:
            failed += 1
            by_file[file] += 1
            if verbose:
                print(f"  FAIL {file}: {expression.strip()!r} {variables or ''}")
                print(f"       expected {expected!r}, got {actual!r}")
    print(f"FEEL-Scala: {passed} passed, {failed} failed, {skipped} skipped (not plain literals)")
    for file, count in by_file.most_common(8):
        print(f"  {count:4d} failed in {file}")
    return passed, failed, skipped


# ---------------------------------------------------------------- the DMN TCK

_XSI = "{http://www.w3.org/2001/XMLSchema-instance}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(elem: Any, name: str) -> Any:
    for c in elem:
        if _local(c.tag) == name:
            return c
    return None


def _tck_value(elem: Any) -> Any:
    """A TCK ``valueType`` element (value, list of items, or components) as a Python value."""
    value = _child(elem, "value")
    if value is not None:
        if value.get(_XSI + "nil") == "true":
            return None
        kind = (value.get(_XSI + "type") or "").split(":")[-1]
        text = value.text or ""
        if kind == "decimal" or kind in ("double", "integer", "int", "long"):
            return decimal.Decimal(text.strip())
        if kind == "boolean":
            return text.strip() == "true"
        if kind == "date":
            return parse_date(text.strip())
        if kind == "time":
            return parse_time(text.strip())
        if kind == "dateTime":
            return parse_date_and_time(text.strip())
        if kind == "duration":
            return parse_duration(text.strip())
        if kind in ("string", ""):
            if kind == "" and len(value) > 0:
                raise Skip
            return text
        raise Skip
    lst = _child(elem, "list")
    if lst is not None:
        if lst.get(_XSI + "nil") == "true":
            return None
        return [_tck_value(item) for item in lst if _local(item.tag) == "item"]
    components = [c for c in elem if _local(c.tag) == "component"]
    if components:
        return {c.get("name"): _tck_value(c) for c in components}
    return None


def run_tck(folder: Path, verbose: bool) -> tuple[int, int, int]:
    passed = failed = skipped = 0
    per_folder: Counter[str] = Counter()
    for case_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        models = list(case_dir.glob("*.dmn"))
        if len(models) != 1:
            continue
        root: Any = ElementTree.parse(str(models[0])).getroot()
        decisions: dict[str, Any] = {}
        for d in root:
            if _local(d.tag) == "decision":
                decisions[d.get("name")] = d
        for test_file in sorted(case_dir.glob("*-test-*.xml")):
            tests: Any = ElementTree.parse(str(test_file)).getroot()
            for case in tests:
                if _local(case.tag) != "testCase":
                    continue
                try:
                    inputs: dict[str, Any] = {
                        str(n.get("name")): _tck_value(n)
                        for n in case
                        if _local(n.tag) == "inputNode"
                    }
                except Skip:
                    skipped += 1
                    continue
                for result in case:
                    if _local(result.tag) != "resultNode":
                        continue
                    outcome = _tck_result(decisions, result, inputs)
                    if outcome is None:
                        skipped += 1
                    elif outcome[0]:
                        passed += 1
                    else:
                        failed += 1
                        per_folder[case_dir.name] += 1
                        if verbose:
                            print(f"  FAIL {case_dir.name} {result.get('name')}: {outcome[1]}")
    print(
        f"DMN TCK (literal-expression decisions): {passed} passed, {failed} failed, "
        f"{skipped} skipped (decision logic other than one literal expression)"
    )
    for name, count in per_folder.most_common(10):
        print(f"  {count:4d} failed in {name}")
    return passed, failed, skipped


def _tck_result(decisions: dict[str, Any], result: Any, inputs: dict[str, Any]) -> Any:
    name = result.get("name")
    expected_elem = _child(result, "expected")
    expected: Any = None
    try:
        expected = None if expected_elem is None else _tck_value(expected_elem)
        actual = _decide(decisions, name, inputs, set())
    except Skip:
        return None
    except FeelError as error:
        actual = f"<{type(error).__name__}>"
        if result.get("errorResult") == "true":
            return (True, "")
    except Exception as error:
        actual = f"<crash {type(error).__name__}: {error}>"
    text = _child(_child(decisions[name], "literalExpression"), "text").text
    return (same(actual, expected), f"{text.strip()!r}: expected {expected!r}, got {actual!r}")


def _decide(decisions: dict[str, Any], name: str, inputs: dict[str, Any], seen: set[str]) -> Any:
    decision = decisions.get(name)
    if decision is None or name in seen:
        raise Skip
    literal = _child(decision, "literalExpression")
    if literal is None or _child(literal, "text") is None:
        raise Skip
    variables = dict(inputs)
    for req in decision:
        if _local(req.tag) == "informationRequirement":
            ref = _child(req, "requiredDecision")
            if ref is not None:
                other = next(
                    (
                        n
                        for n, d in decisions.items()
                        if "#" + (d.get("id") or "") == ref.get("href")
                    ),
                    None,
                )
                if other is None:
                    raise Skip
                variables[other] = _decide(decisions, other, inputs, seen | {name})
        elif _local(req.tag) == "knowledgeRequirement":
            raise Skip
    return run(_child(literal, "text").text or "", variables)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--feel-scala", type=Path, default=os.environ.get("FEEL_SCALA_TESTS"))
    parser.add_argument("--tck", type=Path, default=os.environ.get("DMN_TCK_CASES"))
    parser.add_argument("-v", "--verbose", action="store_true", help="print every failure")
    args = parser.parse_args()
    ran = False
    if args.feel_scala and Path(args.feel_scala).is_dir():
        run_feel_scala(Path(args.feel_scala), args.verbose)
        ran = True
    else:
        print("FEEL-Scala cases: skipped (no folder given, or it does not exist)")
    if args.tck and Path(args.tck).is_dir():
        run_tck(Path(args.tck), args.verbose)
        ran = True
    else:
        print("DMN TCK cases: skipped (no folder given, or it does not exist)")
    if not ran:
        print("nothing to measure: fetch the cases and pass their folders (see --help)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
