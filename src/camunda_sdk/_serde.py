"""Conversion between JSON values and the generated attrs models.

The generator describes every model field with a *spec*, a small piece of data:

- ``None``: the JSON value is used as it is (strings, numbers, booleans, semantic
  keys, free-form objects).
- ``"binary"``: file content in a multipart body; never parsed.
- ``"Name"``: a generated model or enum class, looked up lazily by name.
- ``("list", spec)`` / ``("dict", spec)``: a JSON array / object of ``spec``.
- ``("union", (spec, ...), discriminator, mapping)``: one of several shapes;
  ``discriminator`` is the property that names the variant (or None) and
  ``mapping`` maps its values to class names (or None).

Parsing is liberal (principle 4 of the design): unknown fields are ignored, a
field the server omits becomes None even if the newest spec requires it, and an
enum value this SDK does not know is kept as a plain string. Converters are
compiled once per class and cached, so the per-call cost is a dict walk.
"""

from __future__ import annotations

import enum
import importlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import attrs

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Protocol, TypeAlias

    from _typeshed import DataclassInstance

    class AttrsClassInstance(Protocol):
        """An instance of an attrs class, as mypy's attrs plugin describes it.

        Not ``attrs.AttrsInstance``: for checkers other than mypy that protocol is
        empty and so accepts any value. pyright gives attrs classes the
        ``__dataclass_fields__`` of ``DataclassInstance`` instead.
        """

        __attrs_attrs__: ClassVar[Any]

    #: What a request's ``variables`` accept: a mapping (a ``dict`` or a ``TypedDict``),
    #: a dataclass instance or an attrs instance; ``to_wire`` sends it as a JSON object.
    VariablesInput: TypeAlias = "Mapping[str, Any] | DataclassInstance | AttrsClassInstance"

__all__ = ["JSON_TYPE_NAMES", "Model", "is_variables_object", "parse", "resolve", "to_wire"]

#: How an error message names the JSON type of a decoded value.
JSON_TYPE_NAMES: dict[type, str] = {
    dict: "an object",
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}

Parser = Callable[[Any], Any]
Spec = Any
M = TypeVar("M", bound="Model")

_MODELS_MODULE = "camunda_sdk.operations.models"
_parsers: dict[Any, Parser] = {}
_wire_fields: dict[type, tuple[tuple[str, str], ...]] = {}
_required: dict[type, frozenset[str]] = {}
_model_parsers: dict[type, Parser] = {}
_compile_lock = threading.RLock()


class Model:
    """Base of every generated model: conversion to and from the JSON wire form."""

    __slots__ = ()
    # attribute name -> (JSON property name, spec); written by the generator.
    __wire__: ClassVar[dict[str, tuple[str, Spec]]] = {}

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of this model (camelCase keys, None fields left out)."""
        return to_wire(self)

    @classmethod
    def from_dict(cls: type[M], data: dict[str, Any]) -> M:
        """Build the model from its JSON form, tolerating missing and unknown fields."""
        return parser_for(cls)(data)


def resolve(name: str) -> Any:
    """Return the generated model or enum class called ``name``."""
    return getattr(importlib.import_module(_MODELS_MODULE), name)


def parse(spec: Spec, value: Any) -> Any:
    """Convert the JSON ``value`` into the Python shape ``spec`` describes."""
    if spec is None or value is None:
        return value
    return parser_for(spec)(value)


def parser_for(spec: Spec) -> Parser:
    """Return (and cache) the converter for ``spec``."""
    key = spec
    try:
        parser = _parsers.get(key)
    except TypeError:  # a union spec carries its discriminator mapping as a dict
        key = repr(spec)
        parser = _parsers.get(key)
    if parser is None:
        # Compiling is rare and must not interleave between threads: another thread
        # could otherwise pick up a model's trampoline before its parser exists.
        # Reentrant, as compiling a model compiles the models of its fields.
        with _compile_lock:
            parser = _parsers.get(key)
            if parser is None:
                parser = _parsers[key] = _compile(spec)
    return parser


def _identity(value: Any) -> Any:
    return value


def _compile(spec: Spec) -> Parser:
    if spec is None or spec == "binary":
        return _identity
    if isinstance(spec, str):
        return _compile(resolve(spec))
    if isinstance(spec, type):
        if issubclass(spec, enum.Enum):
            return _enum_parser(spec)
        if issubclass(spec, Model):
            return _model_parser(spec)
        return _identity
    kind = spec[0]
    if kind == "list":
        item = parser_for(spec[1])
        if item is _identity:
            return _identity
        return lambda value: [item(v) for v in value] if isinstance(value, list) else value
    if kind == "dict":
        item = parser_for(spec[1])
        if item is _identity:
            return _identity
        return lambda value: (
            {k: item(v) for k, v in value.items()} if isinstance(value, dict) else value
        )
    if kind == "union":
        return _union_parser(spec[1], spec[2], spec[3])
    raise ValueError(f"unknown serde spec {spec!r}")


def _enum_parser(cls: type[enum.Enum]) -> Parser:
    members = {m.value: m for m in cls}

    def parse_enum(value: Any) -> Any:
        # An enum value newer than this SDK is kept as the plain string; a value of
        # the wrong JSON type is handed over untouched rather than raising.
        return members.get(value, value) if isinstance(value, str) else value

    parse_enum.members = members  # type: ignore[attr-defined]  # inlined by model parsers
    return parse_enum


def _model_parser(cls: type[Model]) -> Parser:
    parser = _model_parsers.get(cls)
    if parser is not None:
        return parser

    # A model may contain itself (filters with nested `$or` groups): while its field
    # converters compile, references to it go through this trampoline.
    def trampoline(value: Any) -> Any:
        return _model_parsers[cls](value)

    _model_parsers[cls] = trampoline
    parser = _model_parsers[cls] = _build_model_parser(cls)
    return parser


def _build_model_parser(cls: type[Model]) -> Parser:
    """Compile a parser that fills a new instance's slots directly.

    Generated source, as cattrs and attrs themselves do: building the instance
    with ``object.__new__`` and plain attribute stores is several times faster
    than ``cls(**kwargs)``, and this runs for every object of every response.
    """
    namespace: dict[str, Any] = {"_cls": cls, "_new": object.__new__, "_dict": dict}
    lines = [
        "def parse_model(value):",
        "    if type(value) is not _dict:",
        "        return value  # not what the spec promised: hand it over untouched",
        "    o = _new(_cls)",
        "    g = value.get",
    ]
    for i, (attr, (wire, spec)) in enumerate(cls.__wire__.items()):
        conv = None if spec is None else parser_for(spec)
        members = getattr(conv, "members", None)
        if conv is None or conv is _identity:
            lines.append(f"    o.{attr} = g({wire!r})")
        elif members is not None:  # an enum: the lookup inline, one call less per field
            namespace[f"m{i}"] = members
            lines.append(f"    x = g({wire!r})")
            lines.append(f"    o.{attr} = m{i}.get(x, x) if type(x) is str else x")
        else:
            namespace[f"c{i}"] = conv
            lines.append(f"    x = g({wire!r})")
            lines.append(f"    o.{attr} = None if x is None else c{i}(x)")
    lines.append("    return o")
    exec("\n".join(lines), namespace)  # the source holds only generated identifiers
    return namespace["parse_model"]


def _required_wire_keys(cls: type[Model]) -> frozenset[str]:
    try:
        return _required[cls]
    except KeyError:
        pass
    wire = cls.__wire__
    keys = frozenset(
        wire[f.name][0]
        for f in attrs.fields(cls)  # type: ignore[arg-type]
        if f.default is attrs.NOTHING and f.name in wire
    )
    _required[cls] = keys
    return keys


def _union_parser(
    variants: tuple[Spec, ...], discriminator: str | None, mapping: dict[str, str] | None
) -> Parser:
    def parse_union(value: Any) -> Any:
        if not isinstance(value, dict):
            # Scalar variants (an exact-match filter value, a key) need no conversion.
            return value
        if discriminator and mapping and discriminator in value:
            name = mapping.get(value[discriminator])
            # A variant newer than this SDK stays a dict rather than losing its fields.
            return value if name is None else parser_for(name)(value)
        best: Any = None
        best_score = (-1, -1)
        for variant in variants:
            cls = resolve(variant) if isinstance(variant, str) else None
            if not (isinstance(cls, type) and issubclass(cls, Model)):
                continue
            required = _required_wire_keys(cls)
            known = {w for w, _ in cls.__wire__.values()}
            score = (int(required <= value.keys()), len(known & value.keys()))
            if score > best_score:
                best, best_score = cls, score
        return parser_for(best)(value) if best is not None else value

    return parse_union


def _fields_of(cls: type) -> tuple[tuple[str, str], ...]:
    try:
        return _wire_fields[cls]
    except KeyError:
        fields = tuple((attr, wire) for attr, (wire, _) in cls.__wire__.items())  # type: ignore[attr-defined]
        _wire_fields[cls] = fields
        return fields


def to_wire(value: Any) -> Any:
    """Convert models, enums, lists and dicts into JSON-ready values (None fields dropped)."""
    cls = type(value)
    if cls in _PLAIN:  # most values: checked first, it is the cheapest test
        return value
    if isinstance(value, Model):
        out: dict[str, Any] = {}
        for attr, wire in _fields_of(type(value)):
            v = getattr(value, attr)
            if v is not None:
                out[wire] = to_wire(v)
        return out
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    # A user's class given where variables go (a dataclass or attrs instance): its
    # fields by attribute name, None kept (a variable set to null is meaningful).
    names = _object_fields(cls)
    if names is not None:
        return {name: to_wire(getattr(value, name)) for name in names}
    return value


_PLAIN = frozenset({str, int, float, bool, type(None)})
_object_field_names: dict[type, tuple[str, ...] | None] = {}


def _object_fields(cls: type) -> tuple[str, ...] | None:
    """The field names of a dataclass or attrs class (not a Model); None for other types."""
    try:
        return _object_field_names[cls]
    except KeyError:
        pass
    names: tuple[str, ...] | None = None
    if isinstance(getattr(cls, "__attrs_attrs__", None), tuple):
        names = tuple(a.name for a in attrs.fields(cls))
    elif hasattr(cls, "__dataclass_fields__"):
        import dataclasses  # only when a dataclass is actually sent

        names = tuple(f.name for f in dataclasses.fields(cls))
    _object_field_names[cls] = names
    return names


def is_variables_object(value: object) -> bool:
    """Whether ``value`` is a dataclass or attrs instance ``to_wire`` sends as an object.

    Generated models are attrs classes too, but they answer False: they are
    request bodies, not bags of variables.
    """
    cls = type(value)
    return not isinstance(value, (Model, type)) and _object_fields(cls) is not None
