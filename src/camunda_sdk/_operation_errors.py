"""The per-operation error classes, made on first use from the generated table.

``camunda_sdk.operations.errors`` (generated) holds only data: each operation's
error statuses and the status classes' names. This module turns a pair into a
class: ``createProcessInstance`` answering 400 raises
``CreateProcessInstanceBadRequest``, a subclass of ``BadRequestError``, so both
``except`` styles work. Classes are public (and pickle) as
``camunda_sdk.errors.<Name>``, where users import them from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import ApiError

__all__ = ["error_class", "error_class_named", "module_getattr"]

_names: dict[str, tuple[str, int]] | None = None  # name -> (operationId, status)
_classes: dict[str, type[ApiError]] = {}


def error_class(operation_id: str, status: int) -> type[ApiError] | None:
    """The class for ``status`` from ``operation_id``; None if the spec lists no such pair."""
    from .operations.errors import ERRORS

    statuses = ERRORS.get(operation_id)
    if statuses is None or status not in statuses:
        return None
    return _make(operation_id, status)


def error_class_named(name: str) -> type[ApiError] | None:
    """The class called ``name`` (``CreateProcessInstanceBadRequest``); None if there is none."""
    global _names
    names = _names
    if names is None:
        from .operations.errors import ERRORS, STATUS_CLASSES

        names = {}
        for operation_id, statuses in ERRORS.items():
            prefix = operation_id[:1].upper() + operation_id[1:]
            for status in statuses:
                names[prefix + STATUS_CLASSES[status][0]] = (operation_id, status)
        _names = names  # published whole: another thread never sees it half-built
    found = names.get(name)
    return None if found is None else _make(*found)


def module_getattr(module: str, name: str) -> Any:
    """A module ``__getattr__`` answering with the class called ``name``."""
    # Only class names: the import system probes modules for ``__path__`` and the like.
    cls = error_class_named(name) if name[:1].isupper() else None
    if cls is None:
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    return cls


def _make(operation_id: str, status: int) -> type[ApiError]:
    from . import errors
    from .operations.errors import STATUS_CLASSES

    suffix, base_name = STATUS_CLASSES[status]
    name = operation_id[:1].upper() + operation_id[1:] + suffix
    cls = _classes.get(name)
    if cls is None:
        base: type[ApiError] = getattr(errors, base_name)
        doc = f"`{operation_id}` answered {status} (a `{base_name}` subclass)."
        made = type(name, (base,), {"__doc__": doc, "__module__": "camunda_sdk.errors"})
        cls = _classes.setdefault(name, made)  # one class per name, even across threads
    return cls
