"""Strict request validation, compiled from the SDK's generated models.

The SDK's own parsing (`camunda_sdk._serde`) is liberal on purpose: it reads
whatever a server sends. A server must be strict instead, so this module compiles
a checker per type from the same generated code: each model's fields (attrs
fields: wire name, annotation, required when without default) and the
annotations' names (models, enums, semantic key types, type aliases). A request
body is checked before any handler sees it; the first violation becomes a `400`
problem detail naming the property by its path (`filter.username.$like`,
`sort[0].field`), as a real cluster names the property it cannot parse.

What is checked: JSON types (string, integer, number, boolean, array, object),
required properties, enum values, unknown properties (a typo is an error, not an
ignored field), the `oneOf` variants of unions, and that system keys are digit
strings. Not checked: the spec's lengths, patterns and numeric bounds (the models
do not carry them; searches check their paging bounds themselves).

Which model an operation's body takes is read from the generated client
methods' annotations (`data: UserRequest`), once, when first needed: the
descriptors do not record it.
"""

from __future__ import annotations

import ast
import enum
import functools
import re
import threading
from collections.abc import Callable
from typing import Any

import attrs

from camunda_sdk._serde import Model

from .problems import Problem

__all__ = ["Checker", "body_model", "check", "checker_for", "request_body_types"]

#: `checker(value, path)`: returns None, or the message of the first violation.
Checker = Callable[[Any, str], "str | None"]

_lock = threading.RLock()
_checkers: dict[str, Checker] = {}
_KEY = re.compile(r"-?[0-9]+")


def check(type_expr: str, value: Any, what: str = "request body") -> None:
    """Raise a 400 :class:`Problem` unless `value` fits the annotation `type_expr`."""
    message = checker_for(type_expr)(value, "")
    if message is not None:
        raise Problem(400, message if message.startswith("The ") else f"The {what} {message}")


def checker_for(type_expr: str) -> Checker:
    """The (cached) checker of an annotation such as `UserRequest | None`."""
    found = _checkers.get(type_expr)
    if found is None:
        with _lock:
            found = _checkers.get(type_expr)
            if found is None:
                # A placeholder first: a model may contain itself (nested `$or` filters).
                lazy = _Lazy()
                _checkers[type_expr] = lazy
                if type_expr.isidentifier():
                    lazy.target = _named(type_expr)
                else:
                    lazy.target = _compile(ast.parse(type_expr, mode="eval").body)
                found = _checkers[type_expr] = lazy.target
    return found


class _Lazy:
    """Stands for a checker while it compiles, so a model may refer to itself."""

    target: Checker | None = None

    def __call__(self, value: Any, path: str) -> str | None:
        assert self.target is not None
        return self.target(value, path)

    @property
    def wires(self) -> frozenset[str] | None:
        return getattr(self.target, "wires", None)


# -- which model a body takes ---------------------------------------------------------


def _snake(name: str) -> str:
    # The generator's method naming (scripts/generate.py `snake`), for operation ids.
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return re.sub(r"[^A-Za-z0-9]+", "_", s).strip("_").lower()


@functools.lru_cache(maxsize=1)
def request_body_types() -> dict[str, tuple[str, bool]]:
    """Operation id -> (body annotation, required) for every operation with a body.

    Read from the generated sync client's `data` annotations (strings, as the
    module uses postponed annotations, so nothing is evaluated).
    """
    from camunda_sdk.operations import descriptors
    from camunda_sdk.operations.client import CamundaOperations

    out: dict[str, tuple[str, bool]] = {}
    for op in descriptors.OPERATIONS.values():
        if not op.body:
            continue
        method = getattr(CamundaOperations, _snake(op.id), None)
        ann = getattr(method, "__annotations__", {}).get("data")
        if not isinstance(ann, str):
            raise RuntimeError(f"no request body annotation found for {op.id}")
        parts = [p.strip() for p in ann.split("|")]
        required = "None" not in parts
        out[op.id] = (" | ".join(p for p in parts if p != "None") or "Any", required)
    return out


def body_model(operation_id: str) -> type[Model] | None:
    """The generated model class of an operation's body, when it is one model."""
    entry = request_body_types().get(operation_id)
    if entry is None:
        return None
    target = _resolve(entry[0])
    return target if isinstance(target, type) and issubclass(target, Model) else None


# -- compiling checkers ---------------------------------------------------------------


def _resolve(name: str) -> Any:
    from camunda_sdk.operations import models, semantic_types

    if name in semantic_types.__all__:
        return ("key", name) if name.endswith("Key") else ("str", name)
    try:
        return getattr(models, name)
    except AttributeError:
        raise RuntimeError(f"annotation names unknown type {name!r}") from None


def _describe(node: ast.expr) -> str:
    return ast.unparse(node)


def _compile(node: ast.expr) -> Checker:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        members: list[ast.expr] = []
        _flatten(node, members)
        return _union([m for m in members if not _is_none(m)], any(map(_is_none, members)))
    if _is_none(node):
        return _none
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return checker_for(node.value)  # a forward reference
    if isinstance(node, ast.Subscript):
        base = _describe(node.value)
        args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if base == "list":
            return _list(_compile(args[0]))
        if base == "dict":
            return _dict(_compile(args[-1]))
        if base in ("tuple", "IO", "Literal"):
            return _anything
        raise RuntimeError(f"unsupported annotation {_describe(node)!r}")
    if isinstance(node, ast.Name):
        return checker_for(node.id)
    raise RuntimeError(f"unsupported annotation {_describe(node)!r}")


def _flatten(node: ast.expr, out: list[ast.expr]) -> None:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        _flatten(node.left, out)
        _flatten(node.right, out)
    else:
        out.append(node)


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _named(name: str) -> Checker:
    simple = _SIMPLE.get(name)
    if simple is not None:
        return simple
    target = _resolve(name)
    if isinstance(target, tuple):
        return _key if target[0] == "key" else _str
    if isinstance(target, str):  # a type alias: `X: TypeAlias = "str | AdvancedStringFilter"`
        return checker_for(target)
    if isinstance(target, type) and issubclass(target, enum.Enum):
        return _enum(target)
    if isinstance(target, type) and issubclass(target, Model):
        return _model(target)
    raise RuntimeError(f"annotation names {name!r}, which is not a model, enum or alias")


# How a refusal names a JSON value's type, first match wins (a bool is also an int).
_KINDS: tuple[tuple[type, str], ...] = (
    (bool, "a boolean"),
    (int, "an integer"),
    (float, "a number"),
    (str, "a string"),
    (list, "an array"),
    (dict, "an object"),
)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    for kind_type, kind in _KINDS:
        if isinstance(value, kind_type):
            return kind
    return type(value).__name__


def _at(path: str) -> str:
    return f"The request property '{path}'" if path else "The request body"


def _anything(value: Any, path: str) -> str | None:
    return None


def _none(value: Any, path: str) -> str | None:
    return None if value is None else f"{_at(path)} must be null, got {_kind(value)}."


def _str(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return None
    return f"{_at(path)} must be a string, got {_kind(value)}."


def _key(value: Any, path: str) -> str | None:
    if isinstance(value, str) and _KEY.fullmatch(value) and len(value) <= 25:
        return None
    shown = repr(value) if isinstance(value, (str, int)) else _kind(value)
    return f"{_at(path)} must be a key: a string of digits such as '2251799813685249', got {shown}."


def _int(value: Any, path: str) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        return None  # 3.0 is an integer in JSON's eyes
    return f"{_at(path)} must be an integer, got {_kind(value)}."


def _float(value: Any, path: str) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return None
    return f"{_at(path)} must be a number, got {_kind(value)}."


def _bool(value: Any, path: str) -> str | None:
    if isinstance(value, bool):
        return None
    return f"{_at(path)} must be a boolean (true or false), got {_kind(value)}."


def _object(value: Any, path: str) -> str | None:
    if isinstance(value, dict):
        return None
    return f"{_at(path)} must be an object, got {_kind(value)}."


_SIMPLE: dict[str, Checker] = {
    "str": _str,
    "int": _int,
    "float": _float,
    "bool": _bool,
    "Any": _anything,
    "object": _anything,
    "bytes": _anything,
    "VariablesInput": _object,
}


def _list(item: Checker) -> Checker:
    def check_list(value: Any, path: str) -> str | None:
        if not isinstance(value, list):
            return f"{_at(path)} must be an array, got {_kind(value)}."
        for i, v in enumerate(value):
            message = item(v, f"{path}[{i}]")
            if message is not None:
                return message
        return None

    return check_list


def _dict(item: Checker) -> Checker:
    if item is _anything:
        return _object

    def check_dict(value: Any, path: str) -> str | None:
        if not isinstance(value, dict):
            return f"{_at(path)} must be an object, got {_kind(value)}."
        for k, v in value.items():
            message = item(v, f"{path}.{k}" if path else k)
            if message is not None:
                return message
        return None

    return check_dict


def _enum(cls: type[enum.Enum]) -> Checker:
    values = [m.value for m in cls]
    allowed = frozenset(values)
    listed = ", ".join(str(v) for v in values)

    def check_enum(value: Any, path: str) -> str | None:
        if isinstance(value, str) and value in allowed:
            return None
        if not isinstance(value, str):
            return f"{_at(path)} must be one of {listed}; got {_kind(value)}."
        return f"{_at(path)} has the unknown value {value!r}; expected one of {listed}."

    return check_enum


def _model(cls: type[Model]) -> Checker:
    fields: list[tuple[str, bool, Checker]] = []
    required: list[str] = []
    for f in attrs.fields(cls):  # type: ignore[arg-type]
        wire = cls.__wire__[f.name][0]
        ann = f.type if isinstance(f.type, str) else "Any"
        fields.append((wire, f.default is attrs.NOTHING, checker_for(ann)))
        if f.default is attrs.NOTHING:
            required.append(wire)
    by_wire = {w: c for w, _, c in fields}
    name = cls.__name__

    def check_model(value: Any, path: str) -> str | None:
        if not isinstance(value, dict):
            return f"{_at(path)} must be an object ({name}), got {_kind(value)}."
        for wire in required:
            if value.get(wire) is None:
                where = f"{path}.{wire}" if path else wire
                return f"The request property '{where}' is required but missing."
        for k, v in value.items():
            sub = f"{path}.{k}" if path else k
            checker = by_wire.get(k)
            if checker is None:
                return (
                    f"The request property '{sub}' is not a property of {name}; "
                    "remove it or check its spelling."
                )
            if v is None:
                continue  # an optional property given as null counts as absent
            message = checker(v, sub)
            if message is not None:
                return message
        return None

    check_model.model = cls  # type: ignore[attr-defined]  # read by _union to rank variants
    check_model.wires = frozenset(by_wire)  # type: ignore[attr-defined]
    return check_model


def _union(members: list[ast.expr], nullable: bool) -> Checker:
    checkers = [_compile(m) for m in members]
    names = " or ".join(_describe(m) for m in members)
    if len(checkers) == 1:
        only = checkers[0]
        if not nullable:
            return only
        return lambda value, path: None if value is None else only(value, path)

    def check_union(value: Any, path: str) -> str | None:
        if value is None and nullable:
            return None
        failures: list[tuple[int, str]] = []
        for checker in checkers:
            message = checker(value, path)
            if message is None:
                return None
            wires = getattr(checker, "wires", None)
            score = (
                len(wires & value.keys()) if wires is not None and isinstance(value, dict) else -1
            )
            failures.append((score, message))
        # The variant the value most looks like says what is wrong with it: for an
        # object, the model sharing most of its properties; for a scalar, the one
        # scalar variant.
        if isinstance(value, dict):
            models = [f for f in failures if f[0] >= 0]
            if models:
                return max(models, key=lambda f: f[0])[1]
        else:
            scalars = [f for f in failures if f[0] < 0 and "must be an object" not in f[1]]
            if len(scalars) == 1:
                return scalars[0][1]
        return f"{_at(path)} must be {names}; got {_kind(value)}."

    return check_union
