"""FEEL, the expression language of Camunda process models, for the dev cluster.

A hand-written parser and evaluator for the FEEL that BPMN models use (conditions, mappings,
correlation keys, timers, job types), following Camunda 8's FEEL-Scala where it differs from
the DMN specification: a missing variable is null, a type error is null (with a warning), and
the engine decides what a null condition means. ``docs/devcluster-feel.md`` lists what is
supported. Expressions are compiled once (``compile_expression``) and evaluated many times.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ._builtins import AssertionFailed
from ._compiler import compile_tree
from ._ops import Context, Scope
from ._parser import MAX_LENGTH, parse
from ._values import FeelFunction, Range, YearsMonths, to_json, to_python
from .errors import FeelError, FeelEvaluationError, FeelSyntaxError

__all__ = [
    "MAX_LENGTH",
    "Expression",
    "FeelError",
    "FeelEvaluationError",
    "FeelFunction",
    "FeelSyntaxError",
    "Range",
    "YearsMonths",
    "compile_expression",
    "evaluate_property",
    "is_expression",
    "to_json",
]

_EMPTY: Mapping[str, Any] = {}


class Expression:
    """A compiled FEEL expression: evaluate it against variables as often as needed.

    It holds no state between evaluations, so one instance may be shared freely.
    """

    __slots__ = ("_fn", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self._fn = compile_tree(parse(source), source)

    def evaluate(
        self, variables: Mapping[str, Any] | None = None, *, now: dt.datetime | None = None
    ) -> Any:
        """The expression's value for these variables (numbers integral as int, else float).

        ``now`` is the engine's clock for ``now()`` and ``today()`` (a naive value is taken as
        UTC); without it they read the machine's clock. Raises FeelEvaluationError only where
        FEEL-Scala fails too (``assert``, ``?`` outside a unary test) or a limit is exceeded.
        """
        return self.evaluate_with_warnings(variables, now=now)[0]

    def evaluate_with_warnings(
        self, variables: Mapping[str, Any] | None = None, *, now: dt.datetime | None = None
    ) -> tuple[Any, list[str]]:
        """The value and why parts of it were null (``No variable found with name 'x'``...).

        The engine puts the warnings into an incident's message when a condition is not a
        boolean, as Zeebe does.
        """
        warnings: list[str] = []
        ctx = Context(
            self.source, Scope(variables if variables is not None else _EMPTY, None), now, warnings
        )
        try:
            result = self._fn(ctx)
        except RecursionError:
            raise FeelEvaluationError("the evaluation recursed too deeply", self.source) from None
        except AssertionFailed as failure:
            raise FeelEvaluationError(str(failure), self.source) from None
        return to_python(result), warnings

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"


def compile_expression(text: str) -> Expression:
    """Parse and compile FEEL ``text`` (without the leading ``=``); FeelSyntaxError if invalid."""
    if not isinstance(text, str):
        raise TypeError(f"a FEEL expression must be a str, not {type(text).__name__}")
    return Expression(text)


def is_expression(value: str) -> bool:
    """Whether a BPMN attribute value is an expression: it starts with ``=`` (after blanks)."""
    return isinstance(value, str) and value.lstrip().startswith("=")


def evaluate_property(
    value: str, variables: Mapping[str, Any] | None = None, *, now: dt.datetime | None = None
) -> Any:
    """``=expr`` evaluated as FEEL; any other text is the literal string itself."""
    if not is_expression(value):
        return value
    return compile_expression(value.lstrip()[1:]).evaluate(variables, now=now)


_ = FeelFunction, Range
