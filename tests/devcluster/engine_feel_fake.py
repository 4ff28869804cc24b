"""TEST DOUBLE: a tiny stand-in for `camunda_sdk.devcluster.feel`, for the engine's tests only.

It speaks the same interface (`compile_expression`, `Expression.evaluate`, `FeelError`, ...)
over a very small FEEL subset: literals, variable names and paths, `= != < > <= >=`, `and`,
`or`, `+`, `-`, lists and contexts. Missing paths and type errors give null, as in FEEL.
The engine's tests install it with `monkeypatch.setattr(expressions, "feel_backend", ...)`;
once the real FEEL is merged it can replace this module unchanged. Not a FEEL implementation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "Expression",
    "FeelError",
    "FeelEvaluationError",
    "FeelSyntaxError",
    "compile_expression",
    "evaluate_property",
    "is_expression",
    "to_json",
]


class FeelError(Exception):
    pass


class FeelSyntaxError(FeelError):
    def __init__(self, expression: str, position: int, message: str) -> None:
        super().__init__(f"{message} at position {position}")
        self.expression = expression
        self.position = position


class FeelEvaluationError(FeelError):
    pass


_TOKEN = re.compile(
    r'\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<string>"(?:[^"\\]|\\.)*")|'
    r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op><=|>=|!=|[=<>+\-\[\]{}(),.:]))"
)
_Eval = Callable[[Mapping[str, Any]], Any]


class Expression:
    def __init__(self, source: str, run: _Eval) -> None:
        self.source = source
        self._run = run

    def evaluate(self, variables: Mapping[str, Any], *, now: object = None) -> Any:
        return self._run(variables)


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out: list[tuple[str, str, int]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise FeelSyntaxError(text, position, f"unexpected character {text[position]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind), match.start(kind)))
        position = match.end()
    out.append(("end", "", len(text)))
    return out


def _compare(op: str, a: Any, b: Any) -> Any:
    if op == "=":
        return a == b
    if op == "!=":
        return a != b
    if (
        a is None
        or b is None
        or (
            type(a) is not type(b)
            and not (isinstance(a, (int, float)) and isinstance(b, (int, float)))
        )
    ):
        return None
    try:
        return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
    except TypeError:
        return None


def _arith(op: str, a: Any, b: Any) -> Any:
    if isinstance(a, bool) or isinstance(b, bool):
        return None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a + b if op == "+" else a - b
    if op == "+" and isinstance(a, str) and isinstance(b, str):
        return a + b
    return None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.i]

    def take(self, value: str | None = None) -> tuple[str, str, int]:
        token = self.tokens[self.i]
        if value is not None and token[1] != value:
            raise FeelSyntaxError(self.text, token[2], f"expected {value!r}, found {token[1]!r}")
        self.i += 1
        return token

    def parse(self) -> _Eval:
        node = self.disjunction()
        if self.peek()[0] != "end":
            raise FeelSyntaxError(self.text, self.peek()[2], f"unexpected {self.peek()[1]!r}")
        return node

    def disjunction(self) -> _Eval:
        return self._junction("or", self.conjunction, decisive=True)

    def conjunction(self) -> _Eval:
        return self._junction("and", self.comparison, decisive=False)

    def _junction(self, word: str, operand: Callable[[], _Eval], *, decisive: bool) -> _Eval:
        """`or` (`decisive` True) or `and` (False): either side `decisive` decides; both the
        other boolean give it; anything else is null."""
        other = not decisive
        left = operand()
        while self.peek()[1] == word:
            self.take()
            right = operand()
            left = (
                lambda lhs, r: (
                    lambda v: (
                        decisive
                        if lhs(v) is decisive or r(v) is decisive
                        else (other if lhs(v) is other and r(v) is other else None)
                    )
                )
            )(left, right)
        return left

    def comparison(self) -> _Eval:
        left = self.additive()
        if self.peek()[1] in ("=", "!=", "<", ">", "<=", ">="):
            op = self.take()[1]
            right = self.additive()
            return lambda v: _compare(op, left(v), right(v))
        return left

    def additive(self) -> _Eval:
        left = self.postfix()
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            right = self.postfix()
            left = (lambda lhs, r, o: lambda v: _arith(o, lhs(v), r(v)))(left, right, op)
        return left

    def postfix(self) -> _Eval:
        node = self.primary()
        while self.peek()[1] == ".":
            self.take()
            kind, name, position = self.take()
            if kind != "name":
                raise FeelSyntaxError(self.text, position, "expected a name after '.'")
            node = (lambda n, k: lambda v: n(v).get(k) if isinstance(n(v), dict) else None)(
                node, name
            )
        return node

    def primary(self) -> _Eval:
        kind, value, position = self.take()
        if kind == "number":
            number: Any = float(value) if "." in value else int(value)
            return lambda v: number
        if kind == "string":
            text = value[1:-1].replace('\\"', '"')
            return lambda v: text
        if kind == "name":
            if value in ("true", "false"):
                flag = value == "true"
                return lambda v: flag
            if value == "null":
                return lambda v: None
            return lambda v: v.get(value)
        if value == "(":
            inner = self.disjunction()
            self.take(")")
            return inner
        if value == "[":
            items: list[_Eval] = []
            while self.peek()[1] != "]":
                items.append(self.disjunction())
                if self.peek()[1] == ",":
                    self.take()
            self.take("]")
            return lambda v: [item(v) for item in items]
        if value == "{":
            entries: list[tuple[str, _Eval]] = []
            while self.peek()[1] != "}":
                key_kind, key, key_position = self.take()
                if key_kind not in ("name", "string"):
                    raise FeelSyntaxError(self.text, key_position, "expected a context key")
                key = key[1:-1] if key_kind == "string" else key
                self.take(":")
                entries.append((key, self.disjunction()))
                if self.peek()[1] == ",":
                    self.take()
            self.take("}")
            return lambda v: {key: entry(v) for key, entry in entries}
        raise FeelSyntaxError(self.text, position, f"unexpected {value or 'end of expression'!r}")


def compile_expression(text: str) -> Expression:
    return Expression(text, _Parser(text).parse())


def is_expression(value: str) -> bool:
    return value.lstrip().startswith("=")


def evaluate_property(value: str, variables: Mapping[str, Any]) -> Any:
    if is_expression(value):
        return compile_expression(value.lstrip()[1:]).evaluate(variables)
    return value


def to_json(value: Any) -> Any:
    return value
