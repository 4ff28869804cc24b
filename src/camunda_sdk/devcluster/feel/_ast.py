"""The syntax tree of a FEEL expression: what the parser builds and the compiler reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "And",
    "Between",
    "Binary",
    "Call",
    "Compare",
    "Const",
    "ContextLit",
    "For",
    "FunctionDef",
    "If",
    "In",
    "InputValue",
    "InstanceOf",
    "Iterator",
    "ListLit",
    "Name",
    "Neg",
    "Node",
    "Or",
    "Path",
    "Filter",
    "Quantified",
    "RangeLit",
    "UnaryCompare",
]


@dataclass(slots=True)
class Node:
    """Base of every node; ``pos`` is the offset of its first character in the source."""

    pos: int


@dataclass(slots=True)
class Const(Node):
    value: Any


@dataclass(slots=True)
class Name(Node):
    name: str


@dataclass(slots=True)
class InputValue(Node):
    """``?``: the value a unary test is applied to."""


@dataclass(slots=True)
class Path(Node):
    base: Node
    key: str


@dataclass(slots=True)
class Filter(Node):
    base: Node
    condition: Node


@dataclass(slots=True)
class Call(Node):
    callee: Node
    args: list[Node]
    names: list[str] | None = None  # parameter names of a named invocation


@dataclass(slots=True)
class Neg(Node):
    operand: Node


@dataclass(slots=True)
class Binary(Node):
    op: str  # + - * / **
    left: Node
    right: Node


@dataclass(slots=True)
class Compare(Node):
    op: str  # = != < <= > >=
    left: Node
    right: Node


@dataclass(slots=True)
class UnaryCompare(Node):
    """``< 5`` in a unary test: compares the input value ``?`` with the endpoint."""

    op: str
    operand: Node


@dataclass(slots=True)
class And(Node):
    items: list[Node]


@dataclass(slots=True)
class Or(Node):
    items: list[Node]


@dataclass(slots=True)
class Between(Node):
    value: Node
    low: Node
    high: Node


@dataclass(slots=True)
class In(Node):
    value: Node
    tests: list[Node]  # UnaryCompare, RangeLit or any expression (a positive unary test)


@dataclass(slots=True)
class InstanceOf(Node):
    value: Node
    type_name: str


@dataclass(slots=True)
class If(Node):
    condition: Node
    then: Node
    otherwise: Node


@dataclass(slots=True)
class Iterator:
    name: str
    source: Node
    end: Node | None = None  # ``for x in 1..3``: source is the start


@dataclass(slots=True)
class For(Node):
    iterators: list[Iterator]
    body: Node


@dataclass(slots=True)
class Quantified(Node):
    every: bool
    iterators: list[Iterator]
    condition: Node


@dataclass(slots=True)
class ListLit(Node):
    items: list[Node]


@dataclass(slots=True)
class ContextLit(Node):
    entries: list[tuple[str, Node]] = field(default_factory=lambda: [])


@dataclass(slots=True)
class RangeLit(Node):
    start: Node
    end: Node
    start_included: bool
    end_included: bool


@dataclass(slots=True)
class FunctionDef(Node):
    params: list[str]
    body: Node
