"""Handlers that take the job's variables as typed keyword parameters.

``@client.job_worker("payment")`` accepts, besides ``handler(job)``, a handler
such as ``async def charge(amount: float, customer: str) -> dict``: each
parameter is filled from the job variable of the same name, checked against
its annotation. A parameter annotated with a job context type (or named
``job``) receives the context itself. A missing variable without a default, or
one of the wrong type, fails the job with no retries left and a message naming
the variable: retrying cannot fix the input.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable
from typing import Any

from .context import JobContext
from .outcome import JobFailure

__all__ = ["typed_handler"]

_MISSING = inspect.Parameter.empty
_NONE = type(None)


def typed_handler(fn: Callable[..., Any]) -> tuple[Callable[..., Any], tuple[str, ...] | None]:
    """Adapt ``fn`` to the ``handler(job)`` shape a worker calls.

    Returns:
        The handler to give the worker (``fn`` itself when it already takes just
        the job context), and the variable names it reads (None: all).
    """
    parameters = list(inspect.signature(fn).parameters.values())
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # unresolvable annotations: check nothing rather than fail
        hints = {}
    context_name: str | None = None
    variables: list[tuple[str, Any, Any]] = []
    for parameter in parameters:
        annotation = hints.get(parameter.name, Any)
        if _is_context(annotation) or (parameter.name == "job" and annotation is Any):
            context_name = parameter.name
        else:
            variables.append((parameter.name, annotation, parameter.default))
    if not variables:
        return fn, None
    handler_type = _AsyncTypedHandler if inspect.iscoroutinefunction(fn) else _TypedHandler
    names = tuple(name for name, _, _ in variables)
    return handler_type(fn, context_name, tuple(variables)), (
        names if context_name is None else None  # the handler may read any other variable
    )


def _is_context(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, JobContext)


class _TypedHandler:
    """Calls ``fn`` with the job's variables as keyword arguments (pickles for ``process``)."""

    def __init__(
        self,
        fn: Callable[..., Any],
        context_name: str | None,
        variables: tuple[tuple[str, Any, Any], ...],
    ) -> None:
        self.fn = fn
        self.context_name = context_name
        self.variables = variables
        self.__name__ = getattr(fn, "__name__", type(self).__name__)
        self.__doc__ = fn.__doc__

    def arguments(self, job: JobContext) -> dict[str, Any]:
        """The keyword arguments for ``job``; raises ``JobFailure`` naming a bad variable."""
        values = job.variables
        kwargs: dict[str, Any] = {}
        for name, annotation, default in self.variables:
            if name not in values:
                if default is _MISSING:
                    raise JobFailure(f"job variable {name!r} is missing", retries=0)
                continue
            value = values[name]
            problem = _mismatch(value, annotation)
            if problem is not None:
                raise JobFailure(f"job variable {name!r} {problem}", retries=0)
            kwargs[name] = float(value) if annotation is float and type(value) is int else value
        if self.context_name is not None:
            kwargs[self.context_name] = job
        return kwargs

    def __call__(self, job: JobContext) -> Any:
        return self.fn(**self.arguments(job))


class _AsyncTypedHandler(_TypedHandler):
    async def __call__(self, job: JobContext) -> Any:  # type: ignore[override]
        return await self.fn(**self.arguments(job))


def _mismatch(value: Any, annotation: Any) -> str | None:
    """Why ``value`` does not fit ``annotation`` (None when it does or cannot be checked)."""
    if annotation is Any or annotation is object:
        return None
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        options = typing.get_args(annotation)
        if all(_mismatch(value, option) is not None for option in options):
            return f"must be {_show(annotation)}, got {_show(type(value))}"
        return None
    if annotation is _NONE:
        return None if value is None else f"must be None, got {_show(type(value))}"
    expected = origin if origin is not None else annotation
    if not isinstance(expected, type):
        return None  # Literal, TypedDict, a Protocol...: not checked here
    if expected is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif expected is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, expected)
    return None if ok else f"must be {_show(annotation)}, got {_show(type(value))}"


def _show(annotation: Any) -> str:
    if annotation is _NONE:
        return "None"
    if isinstance(annotation, type) and typing.get_origin(annotation) is None:
        return {"dict": "an object", "list": "a list"}.get(annotation.__name__, annotation.__name__)
    return str(annotation).replace("typing.", "")
