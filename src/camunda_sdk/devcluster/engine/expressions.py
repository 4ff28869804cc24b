"""The engine's one door to FEEL: compile at deployment, evaluate at run time.

Everything the engine evaluates (conditions, mappings, job types, timers, correlation keys,
user task attributes) goes through this module, which imports `camunda_sdk.devcluster.feel`
only when first needed. `feel_backend` holds the module in use; tests may set it to a
stand-in with the same interface.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from types import ModuleType
from typing import Any

__all__ = [
    "CompiledExpression",
    "ExpressionFailed",
    "ExpressionSyntaxError",
    "Property",
    "compile_expression",
    "compile_property",
    "evaluate",
    "is_expression",
    "to_json",
    "type_name",
]

feel_backend: ModuleType | None = None
"""The FEEL module (`camunda_sdk.devcluster.feel` once first used); replaceable in tests."""


def _backend() -> ModuleType:
    global feel_backend
    if feel_backend is None:
        feel_backend = importlib.import_module("camunda_sdk.devcluster.feel")
    return feel_backend


class ExpressionSyntaxError(Exception):
    """An expression does not parse; the message says where and why."""


class ExpressionFailed(Exception):
    """An expression failed at run time; the engine raises an incident with this message."""


@dataclass(frozen=True)
class CompiledExpression:
    """A parsed FEEL expression; `source` is its text without the leading `=`."""

    source: str
    compiled: Any


def is_expression(text: str) -> bool:
    """Whether a property value is a FEEL expression (starts with `=`, after blanks)."""
    return text.lstrip().startswith("=")


def compile_expression(text: str) -> CompiledExpression:
    """Parse `text` (with or without its leading `=`); raise `ExpressionSyntaxError`."""
    source = text.strip()
    if source.startswith("="):
        source = source[1:].strip()
    if not source:
        raise ExpressionSyntaxError("the expression is empty")
    feel = _backend()
    try:
        compiled = feel.compile_expression(source)
    except feel.FeelError as error:
        raise ExpressionSyntaxError(f"invalid FEEL expression '{source}': {error}") from error
    return CompiledExpression(source, compiled)


def evaluate(
    expression: CompiledExpression, variables: Mapping[str, Any], now_ms: int | None = None
) -> Any:
    """Evaluate against `variables`; raise `ExpressionFailed` on a run-time failure.

    `now_ms` is the engine's clock, for FEEL's `now()` and `today()` (so a pinned clock
    holds for expressions too).
    """
    feel = _backend()
    try:
        if now_ms is None:
            return expression.compiled.evaluate(variables)
        now = datetime.fromtimestamp(now_ms / 1000, tz=timezone.utc)
        return expression.compiled.evaluate(variables, now=now)
    except feel.FeelError as error:
        raise ExpressionFailed(
            f"failed to evaluate expression '{expression.source}': {error}"
        ) from error
    except RecursionError as error:
        raise ExpressionFailed(
            f"failed to evaluate expression '{expression.source}': nested too deeply"
        ) from error


def to_json(value: Any) -> Any:
    """A FEEL result as a JSON-compatible value (dates and durations as ISO strings)."""
    return _backend().to_json(value)


def type_name(value: Any) -> str:
    """The name Zeebe's messages give a value's type: STRING, NUMBER, NULL, ..."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, str):
        return "STRING"
    if isinstance(value, (int, float)) or type(value).__name__ == "Decimal":
        return "NUMBER"
    if isinstance(value, list):
        return "ARRAY"
    if isinstance(value, dict):
        return "OBJECT"
    return type(value).__name__.upper()


@dataclass(frozen=True)
class Property:
    """A BPMN attribute that is either a static string or a FEEL expression (`=...`)."""

    static: str | None = None
    expression: CompiledExpression | None = None

    def resolve(self, variables: Mapping[str, Any]) -> Any:
        """The static text, or the expression's result against `variables`."""
        if self.expression is not None:
            return evaluate(self.expression, variables)
        return self.static

    @property
    def text(self) -> str:
        """The attribute as written (expressions with their `=`), for messages."""
        if self.expression is not None:
            return "=" + self.expression.source
        return self.static or ""


def compile_property(text: str) -> Property:
    """A `Property` from an attribute's text; raise `ExpressionSyntaxError` if FEEL is bad."""
    if is_expression(text):
        return Property(expression=compile_expression(text))
    return Property(static=text)
