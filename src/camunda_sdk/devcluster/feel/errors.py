"""The errors of the FEEL package: one base, one for text that does not parse, one for run time."""

from __future__ import annotations

__all__ = ["FeelError", "FeelEvaluationError", "FeelSyntaxError"]


class FeelError(Exception):
    """Base of every error this FEEL implementation raises."""


class FeelSyntaxError(FeelError):
    """The text is not a FEEL expression this implementation accepts.

    ``position`` is the 0-based offset into ``expression`` where parsing stopped, and the
    message names what was expected there, so a deployment can be refused with it.
    """

    def __init__(self, message: str, expression: str, position: int) -> None:
        self.expression = expression
        self.position = position
        self.reason = message
        super().__init__(_describe(message, expression, position))


class FeelEvaluationError(FeelError):
    """Evaluation failed outright (not a null result): the engine turns it into an incident.

    FEEL itself answers most type errors with null, as Camunda's FEEL-Scala does; this is
    raised only for failures FEEL-Scala also fails on (``assert``, ``?`` outside a unary test)
    and for evaluations that exceed this implementation's limits.
    """

    def __init__(self, message: str, expression: str = "") -> None:
        self.expression = expression
        self.reason = message
        prefix = f"failed to evaluate expression '{expression}': " if expression else ""
        super().__init__(prefix + message)


def _describe(message: str, expression: str, position: int) -> str:
    # Show a short window around the failure so a long expression still gives a useful message.
    start = max(0, position - 30)
    window = expression[start : position + 30].replace("\n", " ")
    caret = " " * (position - start) + "^"
    return (
        f"failed to parse FEEL expression at position {position}: {message}\n  {window}\n  {caret}"
    )
