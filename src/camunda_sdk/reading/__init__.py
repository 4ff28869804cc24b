"""Read-side helpers: eventual consistency, pagination and typed variables.

Each helper is written once, as an effect flow built on calls (see
:data:`~camunda_sdk.pipeline.effects.Flow`); the sync and the async client both
run it with their driver, so every call it makes goes through the whole
pipeline, and there is no sync/async twin here.

- ``consistency=ConsistencyOptions(...)`` on every operation the spec marks
  eventually consistent: :func:`consistent` waits until the answer is there
  (:mod:`.eventual`).
- ``iter_<search>(...)`` on every cursor-pageable search: :func:`paged` follows
  the cursor (:mod:`.pagination`).
- ``search_variables_as_dto``: :func:`read_variables`, the variables a class declares,
  as a :class:`~camunda_sdk.reading.variables.VariableMap` (:mod:`.variables`).

A helper gets the calls it makes from ``call(op, path, query, body)``, which the
client supplies: the flow of one call through its stage chain, decoded. This
package is imported with the client, so its modules are loaded lazily: a client
that never waits, pages or reads typed variables never loads them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from ..consistency import ConsistencyOptions
    from ..pipeline.context import ClientContext
    from ..pipeline.effects import Flow
    from ..pipeline.operation import Operation
    from .variables import VariableCollector, VariableMap

__all__ = ["CallFlow", "consistent", "paged", "read_variables"]

T = TypeVar("T")

#: What a helper calls the API with: ``call(op, path, query, body)`` returns the
#: flow of one call of ``op`` through the client's stage chain, decoded.
CallFlow = Callable[
    ["Operation", "dict[str, Any] | None", "dict[str, Any] | None", Any], "Flow[Any]"
]


def consistent(
    context: ClientContext,
    operation_id: str,
    attempt: Callable[[], Flow[T]],
    consistency: ConsistencyOptions[Any] | None,
) -> Flow[T]:
    """``attempt()``'s call; with ``consistency``, repeated until its answer is visible."""
    if consistency is None or consistency.wait_up_to_ms == 0:
        return attempt()  # the unchanged path: one call, as is
    from .eventual import wait

    return wait(context, operation_id, attempt, consistency)


def paged(
    context: ClientContext,
    op: Operation,
    page: Callable[[dict[str, Any], ConsistencyOptions[Any] | None], Flow[Any]],
    data: Any,
    page_size: int,
    limit: int | None,
    consistency: ConsistencyOptions[Any] | None,
) -> Flow[None]:
    """Every item of the search ``op`` across pages, handed out page by page.

    ``page(body, consistency)`` makes the flow of one page's call. The arguments
    are checked now, not when the driver starts the flow.
    """
    from .pagination import Pager, pages

    return pages(context, op, page, Pager(data, page_size, limit), consistency)


def read_variables(
    context: ClientContext,
    call: CallFlow,
    dto: type[T],
    process_instance_key: str,
    scope_key: str | None,
    tenant_id: str | None,
    page_size: int,
    consistency: ConsistencyOptions[VariableMap[T]] | None,
) -> Flow[VariableMap[T]]:
    """The variables ``dto`` declares, read from one process instance (see the clients'
    ``search_variables_as_dto`` for the arguments and errors)."""
    from ..operations import descriptors as d
    from .eventual import wait
    from .pagination import Pager, pages
    from .variables import VariableCollector, VariableMap, declared_fields, variables_query

    fields = declared_fields(dto)
    names = [f.name for f in fields]
    if not names:
        return _just(VariableMap(dto, {}))
    query = variables_query(names, process_instance_key, scope_key, tenant_id)
    untruncated = {"truncateValues": False}

    def collect() -> Flow[VariableCollector]:
        collector = VariableCollector(names)
        pager = Pager(query, page_size, None)

        def fetch(body: dict[str, Any], _: ConsistencyOptions[Any] | None) -> Flow[Any]:
            return call(d.searchVariables, None, untruncated, body)

        yield from pages(context, d.searchVariables, fetch, pager, None, sink=collector.add_all)
        for name, key in collector.truncated():  # the server truncated anyway
            full = yield from call(d.getVariable, {"variableKey": key}, None, None)
            collector.replace_value(name, full.value)
        return collector

    def read() -> Flow[VariableMap[T]]:
        if consistency is None or consistency.wait_up_to_ms == 0:
            collector = yield from collect()
        else:
            collector = yield from wait(
                context,
                d.searchVariables.id,
                collect,
                _variables_options(consistency, dto),
                _all_found(fields),
                # Only the default wait returns what it found at the deadline (validate()
                # names what is missing); a caller's predicate that never held times out.
                keep_last=consistency.predicate is None,
            )
        return VariableMap(dto, collector.values())

    return read()


def _just(value: T) -> Flow[T]:
    """A flow that makes no call and returns ``value``."""
    return value
    yield  # a generator: the driver runs it like any other flow


def _all_found(fields: list[Any]) -> Callable[[VariableCollector], bool]:
    """Done when every required field has its variable (any one, if none is required).

    Fields with a default do not hold the wait: such a variable may never be set.
    """
    required = frozenset(f.name for f in fields if f.required)
    if not required:
        return lambda collector: bool(collector.found)
    return lambda collector: required <= collector.found


def _variables_options(
    options: ConsistencyOptions[VariableMap[Any]], dto: type
) -> ConsistencyOptions[Any]:
    """The caller's predicate sees a ``VariableMap`` of what was collected, not the collector."""
    user = options.predicate
    if user is None:
        return options
    from dataclasses import replace

    from .variables import VariableMap

    return replace(options, predicate=lambda c: user(VariableMap(dto, c.values())))
