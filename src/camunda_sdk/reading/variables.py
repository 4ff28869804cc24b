"""Typed variables: ``search_variables_as_dto`` and the :class:`VariableMap` it returns.

The class (a dataclass, an attrs class or a ``TypedDict``) declares the
variables to read: one field per variable, named as the variable. The search
asks only for those names (``name $in [...]``), reads every page with values
untruncated, and keeps one value per name. A name found at two scopes is an
error (pass ``scope_key=``), and so is a stored value that is not JSON; the
messages name the variable but never show its value, which may be a secret.

:meth:`VariableMap.validate` builds the class, checking each value against the
field's type as far as plain JSON types go (``str``, ``int``, ``float``,
``bool``, lists, dicts, optionals and unions, literals, enums, and nested
dataclasses, attrs classes and ``TypedDict``s); types beyond those receive the
decoded JSON value as it is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .._serde import JSON_TYPE_NAMES
from ..errors import MissingVariableError, VariableDeserializationError, VariableScopeCollisionError

if TYPE_CHECKING:
    from ..operations.models import VariableSearchQuery, VariableSearchResult

__all__ = ["VariableCollector", "VariableMap", "declared_fields", "variables_query"]

T = TypeVar("T")


class _Field:
    __slots__ = ("hint", "init_name", "name", "required")

    def __init__(self, name: str, init_name: str, hint: Any, required: bool) -> None:
        self.name = name  # the variable's name
        self.init_name = init_name  # the constructor's argument (attrs renames `_x` to `x`)
        self.hint = hint
        self.required = required


def _type_hints(cls: type) -> dict[str, Any]:
    import inspect
    import sys
    import typing

    try:
        return typing.get_type_hints(cls)
    except Exception:  # a forward reference that cannot be resolved: go field by field
        pass
    # One unresolvable annotation (say, of a class local to a function) leaves only
    # its own field unchecked, not every field of the class.
    module = sys.modules.get(cls.__module__)
    globalns = dict(vars(module)) if module is not None else {}
    hints: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        localns = dict(vars(klass))
        for name, ann in inspect.get_annotations(klass).items():
            holder = _OneAnnotation(ann)
            try:
                hints[name] = typing.get_type_hints(holder, globalns, localns)["hint"]
            except Exception:
                hints[name] = Any
    return hints


class _OneAnnotation:
    """One annotation, in a shape ``typing.get_type_hints`` resolves."""

    def __init__(self, annotation: Any) -> None:
        self.__annotations__ = {"hint": annotation}


def declared_fields(dto: type) -> list[_Field]:
    """The variables ``dto`` declares; a TypeError for anything but the three kinds of class."""
    import dataclasses
    import typing

    if not isinstance(dto, type):
        raise TypeError(f"dto must be a class, got {type(dto).__name__}")
    hints = _type_hints(dto)
    if isinstance(getattr(dto, "__attrs_attrs__", None), tuple):
        import attrs

        return [
            _Field(
                a.name,
                getattr(a, "alias", None) or a.name,
                hints.get(a.name, Any),
                a.default is attrs.NOTHING,
            )
            for a in attrs.fields(dto)
            if a.init
        ]
    if dataclasses.is_dataclass(dto):
        missing = dataclasses.MISSING
        return [
            _Field(
                f.name,
                f.name,
                hints.get(f.name, Any),
                f.default is missing and f.default_factory is missing,
            )
            for f in dataclasses.fields(dto)
            if f.init
        ]
    if typing.is_typeddict(dto):
        required: frozenset[str] = getattr(dto, "__required_keys__", frozenset())
        return [_Field(n, n, hints.get(n, Any), n in required) for n in hints]
    raise TypeError(
        f"dto must be a dataclass, an attrs class or a TypedDict; {dto.__name__} is none of them"
    )


def variables_query(
    names: list[str], process_instance_key: str, scope_key: str | None, tenant_id: str | None
) -> VariableSearchQuery:
    """The search query for ``names`` in one process instance (and scope, and tenant)."""
    from ..operations.models import AdvancedStringFilter, VariableFilter, VariableSearchQuery

    return VariableSearchQuery(
        filter=VariableFilter(
            name=AdvancedStringFilter(in_=list(names)),
            process_instance_key=process_instance_key,  # type: ignore[arg-type]
            scope_key=scope_key,  # type: ignore[arg-type]
            tenant_id=tenant_id,  # type: ignore[arg-type]
        )
    )


class VariableCollector:
    """Folds pages of variable results into one value per declared name.

    Only the first result per declared name is kept (plus the scopes the name was
    seen at), so memory follows the class, not the number of results.
    """

    __slots__ = ("_chosen", "_names", "_scopes")

    def __init__(self, names: list[str]) -> None:
        self._names = frozenset(names)
        self._chosen: dict[str, VariableSearchResult] = {}
        self._scopes: dict[str, set[str]] = {}

    def add(self, item: VariableSearchResult) -> None:
        """Take one search result."""
        name = item.name
        if name not in self._names:
            return
        self._scopes.setdefault(name, set()).add(str(item.scope_key))
        self._chosen.setdefault(name, item)

    def add_all(self, items: list[VariableSearchResult]) -> None:
        """Take one page of search results."""
        for item in items:
            self.add(item)

    @property
    def found(self) -> frozenset[str]:
        """The declared names seen so far."""
        return frozenset(self._chosen)

    def truncated(self) -> list[tuple[str, str]]:
        """(name, variable key) of kept values the server truncated anyway."""
        return [(n, str(i.variable_key)) for n, i in self._chosen.items() if i.is_truncated]

    def replace_value(self, name: str, value: Any) -> None:
        """Put the full value of a truncated variable in place."""
        from attrs import evolve

        self._chosen[name] = evolve(self._chosen[name], value=value, is_truncated=False)

    def values(self) -> dict[str, Any]:
        """Decode the kept values; raise on a scope collision or a value that is not JSON."""
        out: dict[str, Any] = {}
        for name, item in self._chosen.items():
            scopes = self._scopes[name]
            if len(scopes) > 1:
                raise VariableScopeCollisionError(name, sorted(scopes))
            try:
                out[name] = json.loads(item.value) if item.value is not None else None
            except (TypeError, ValueError):
                # `from None`: the JSON error quotes the value, which may be a secret.
                raise VariableDeserializationError(
                    name, "the stored value is not valid JSON"
                ) from None
        return out


class VariableMap(Mapping[str, Any], Generic[T]):
    """The declared variables of one process instance, decoded from JSON.

    A read-only mapping of variable name to value; variables the instance does
    not have are absent. ``get(name)`` is lenient (a missing variable reads as
    the default); :meth:`validate` builds the class and is strict.
    """

    __slots__ = ("_dto", "_values")

    def __init__(self, dto: type[T], values: Mapping[str, Any]) -> None:
        self._dto = dto
        self._values = dict(values)

    @property
    def dto(self) -> type[T]:
        """The class the variables were declared by."""
        return self._dto

    @property
    def raw(self) -> dict[str, Any]:
        """A copy of the decoded name -> value map."""
        return dict(self._values)

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        # Names only: the values may be secrets.
        return f"VariableMap({self._dto.__name__}, names={sorted(self._values)})"

    def validate(self) -> T:
        """Build the class from the variables.

        Raises:
            MissingVariableError: a field without a default has no variable.
            VariableDeserializationError: a value does not fit its field's type.
        """
        return _build(self._dto, self._values, "")


def _build(cls: type[T], values: Mapping[str, Any], prefix: str) -> T:
    kwargs: dict[str, Any] = {}
    for f in declared_fields(cls):
        path = prefix + f.name
        if f.name not in values:
            if f.required:
                raise MissingVariableError(path, cls.__name__)
            continue
        kwargs[f.init_name] = _conform(values[f.name], f.hint, path)
    return cls(**kwargs)


def _mismatch(path: str, hint: Any, value: Any) -> VariableDeserializationError:
    expected = getattr(hint, "__name__", None) or str(hint).replace("typing.", "")
    got = JSON_TYPE_NAMES.get(type(value), type(value).__name__)
    return VariableDeserializationError(path, f"expected {expected}, got {got}")


def _conform(value: Any, hint: Any, path: str) -> Any:
    """``value`` checked against (and, for nested classes, built as) ``hint``."""
    import dataclasses
    import enum
    import types
    import typing

    if hint is Any or hint is object:
        return value
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union or (hasattr(types, "UnionType") and origin is types.UnionType):
        if value is None and type(None) in args:
            return None
        arms = [arg for arg in args if arg is not type(None)]
        if len(arms) == 1:  # an optional: its one type's own error is the clearest
            return _conform(value, arms[0], path)
        for arg in arms:
            try:
                return _conform(value, arg, path)
            except (VariableDeserializationError, MissingVariableError):
                continue  # e.g. an object that is not this arm's class: try the next
        raise _mismatch(path, hint, value)
    if origin is typing.Literal:
        if value in args:
            return value
        raise _mismatch(path, hint, value)
    if hint is type(None):
        if value is None:
            return None
        raise _mismatch(path, hint, value)
    base = origin or hint
    if base in (list, tuple, set, frozenset) or base in _sequence_types():
        if not isinstance(value, list):
            raise _mismatch(path, hint, value)
        item = args[0] if args and base is not tuple else Any
        items = [_conform(v, item, f"{path}[{i}]") for i, v in enumerate(value)]
        return items if base not in (tuple, set, frozenset) else base(items)
    if base is dict or base in _mapping_types():
        if not isinstance(value, dict):
            raise _mismatch(path, hint, value)
        item = args[1] if len(args) == 2 else Any
        # The keys are data, not field names: `[]` stands in for them, as they may be secrets.
        return {k: _conform(v, item, f"{path}[]") for k, v in value.items()}
    if base is bool:
        if type(value) is bool:
            return value
        raise _mismatch(path, hint, value)
    if base is int:
        if type(value) is int:
            return value
        raise _mismatch(path, hint, value)
    if base is float:
        if type(value) in (int, float):
            return float(value)
        raise _mismatch(path, hint, value)
    if base is str:
        if type(value) is str:
            return value
        raise _mismatch(path, hint, value)
    if isinstance(base, type) and issubclass(base, enum.Enum):
        try:
            return base(value)
        except ValueError:
            raise _mismatch(path, hint, value) from None
    if isinstance(base, type) and (
        dataclasses.is_dataclass(base)
        or hasattr(base, "__attrs_attrs__")
        or typing.is_typeddict(base)
    ):
        if not isinstance(value, dict):
            raise _mismatch(path, hint, value)
        return _build(base, value, path + ".")
    return value  # a type beyond JSON's: the decoded value as it is


def _sequence_types() -> tuple[type, ...]:
    from collections.abc import MutableSequence, Sequence

    return (Sequence, MutableSequence)


def _mapping_types() -> tuple[type, ...]:
    from collections.abc import MutableMapping

    return (Mapping, MutableMapping)
