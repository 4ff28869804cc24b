"""The exporter: engine records -> API-shaped snapshots in the lagging index.

On a cluster an exporter streams the engine's records to secondary storage, where
searches and most gets read them. Here the engine remembers which records a
command or a tick changed (`Engine.take_changes`), and :func:`export_entries`
renders each once into the dict the API answers with (camelCase names, keys as
strings), ready for `Index.put_many`. Rendering is mechanical: the engine's
record fields are the spec's result fields in snake_case.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

from .engine import records as r

__all__ = ["COLLECTIONS", "export_entries", "render"]

# A field spec: (attribute, API name, render the int as a key string).
_Fields = tuple[tuple[str, str, bool], ...]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _fields(cls: type) -> _Fields:
    return tuple(
        (f.name, _camel(f.name), f.name.endswith("_key"))
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
    )


_CACHE: dict[type, _Fields] = {}


def render(record: Any, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A record as the API shapes it: camelCase names, key ints as strings, fresh containers."""
    cls = type(record)
    fields = _CACHE.get(cls)
    if fields is None:
        fields = _CACHE[cls] = _fields(cls)
    out: dict[str, Any] = {}
    for attr, name, is_key in fields:
        value = getattr(record, attr)
        if is_key and value is not None and not isinstance(value, str):
            value = str(value)
        elif isinstance(value, list):
            value = list(value)  # type: ignore[arg-type]
        elif isinstance(value, dict):
            value = dict(value)  # type: ignore[arg-type]
        out[name] = value
    if extra:
        out.update(extra)
    return out


#: The fields the spec's message subscription result has and the engine does not model.
_SUBSCRIPTION_EXTRA: dict[str, Any] = {
    "toolName": None,
    "toolProperties": {},
    "inboundConnectorType": None,
}


def _element_name(row: dict[str, Any]) -> None:
    # The spec's elementName is never null: a cluster shows the id of an unnamed element.
    if row["elementName"] is None:
        row["elementName"] = row["elementId"]


def _subscription(row: dict[str, Any]) -> None:
    row.update(_SUBSCRIPTION_EXTRA)


# record type -> (index collection, the record's key, what to finish the snapshot with)
_Key = Callable[[Any], Any]
_Finish = Callable[[dict[str, Any]], None]
COLLECTIONS: dict[type, tuple[str, _Key, _Finish | None]] = {
    r.ProcessDefinitionRecord: (
        "process-definitions",
        lambda x: x.process_definition_key,
        None,
    ),
    r.FormRecord: ("forms", lambda x: x.form_key, None),
    r.ProcessInstanceRecord: ("process-instances", lambda x: x.process_instance_key, None),
    r.ElementInstanceRecord: (
        "element-instances",
        lambda x: x.element_instance_key,
        _element_name,
    ),
    r.VariableRecord: ("variables", lambda x: x.variable_key, None),
    r.JobRecord: ("jobs", lambda x: x.job_key, None),
    r.IncidentRecord: ("incidents", lambda x: x.incident_key, None),
    r.UserTaskRecord: ("user-tasks", lambda x: x.user_task_key, None),
    r.MessageSubscriptionRecord: (
        "message-subscriptions",
        lambda x: x.message_subscription_key,
        _subscription,
    ),
    r.CorrelatedMessageRecord: (
        "correlated-message-subscriptions",
        lambda x: f"{x.message_key}:{x.subscription_key}",
        None,
    ),
}


def export_entries(changed: Iterable[Any]) -> list[tuple[str, Any, dict[str, Any]]]:
    """`(collection, key, snapshot)` for each changed record secondary storage holds."""
    out: list[tuple[str, Any, dict[str, Any]]] = []
    for record in changed:
        spec = COLLECTIONS.get(type(record))
        if spec is None:
            continue  # deployments, messages, signals: the API has no search for them
        collection, key_of, finish = spec
        row = render(record)
        if finish is not None:
            finish(row)
        out.append((collection, key_of(record), row))
    return out
