"""Read-side helpers: eventual consistency, pagination and typed variables.

The client classes inherit :class:`ReadMethods` (sync) and
:class:`AsyncReadMethods` (async); the helpers build on the generated
operation methods and so run every call through the whole pipeline.

- ``consistency=ConsistencyOptions(...)`` on every operation the spec marks
  eventually consistent: the generated methods call :meth:`_run_consistent`,
  which waits until the answer is there (:mod:`.eventual`).
- ``iter_<search>(...)`` on every cursor-pageable search: the generated methods
  call :meth:`_iter_pages`, which follows the cursor (:mod:`.pagination`).
- :meth:`search_variables_as_dto`: the variables a class declares, as a
  :class:`VariableMap` (:mod:`.variables`).

This package is imported with the client, so its modules are loaded lazily:
a client that never waits, pages or reads typed variables never loads them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from ..pipeline.context import ClientContext
    from ..pipeline.operation import Operation
    from .eventual import ConsistencyOptions
    from .variables import VariableCollector, VariableMap

__all__ = ["AsyncReadMethods", "ReadMethods"]

T = TypeVar("T")


class ReadMethods:
    """Read-side methods of ``CamundaClient`` (a mixin of its bases)."""

    __slots__ = ()

    if TYPE_CHECKING:

        @property
        def context(self) -> ClientContext: ...

        def _run(
            self,
            op: Operation,
            path: dict[str, Any] | None,
            query: dict[str, Any] | None,
            body: Any,
        ) -> Any: ...

    def _run_consistent(
        self,
        op: Operation,
        path: dict[str, Any] | None,
        query: dict[str, Any] | None,
        body: Any,
        consistency: ConsistencyOptions[Any] | None,
    ) -> Any:
        """Call ``op``; with ``consistency``, until its answer is visible (generated methods)."""
        if consistency is None or consistency.wait_up_to_ms == 0:
            return self._run(op, path, query, body)  # the unchanged path: one call, as is
        from .eventual import wait

        return wait(self.context, op.id, lambda: self._run(op, path, query, body), consistency)

    def _iter_pages(
        self,
        op: Operation,
        path: dict[str, Any] | None,
        query: dict[str, Any] | None,
        data: Any,
        page_size: int,
        limit: int | None,
        consistency: ConsistencyOptions[Any] | None,
    ) -> Iterator[Any]:
        """Every item of the search ``op`` across pages (the generated ``iter_`` methods)."""
        from .pagination import iter_pages

        def fetch(body: dict[str, Any], wait: ConsistencyOptions[Any] | None) -> Any:
            return self._run_consistent(op, path, query, body, wait)

        return iter_pages(self.context, op, fetch, data, page_size, limit, consistency)

    def search_variables_as_dto(
        self,
        dto: type[T],
        *,
        process_instance_key: str,
        scope_key: str | None = None,
        tenant_id: str | None = None,
        page_size: int = 100,
        consistency: ConsistencyOptions[VariableMap[T]] | None = None,
    ) -> VariableMap[T]:
        """Read the variables ``dto`` declares from one process instance.

        Args:
            dto: a dataclass, an attrs class or a ``TypedDict``: one field per variable.
            process_instance_key: the process instance to read.
            scope_key: read only this scope (needed when a name exists at several).
            tenant_id: read only this tenant's variables.
            page_size: variables per page; every page is read.
            consistency: wait until the variable of every required field (one
                without a default) is visible, up to ``wait_up_to_ms``; then return
                what is there (``validate()`` names a variable still missing). A
                ``predicate`` is given the ``VariableMap``; one that never holds
                ends in ``EventualConsistencyTimeoutError``, like any wait.

        Raises:
            VariableScopeCollisionError: a declared name exists at several scopes.
            VariableDeserializationError: a declared variable's value is not JSON.
            EventualConsistencyTimeoutError: a custom ``predicate`` never held.
        """
        from ..operations import descriptors as d
        from .eventual import wait
        from .variables import VariableCollector, VariableMap

        read = _VariablesRead(dto, process_instance_key, scope_key, tenant_id)
        if not read.names:
            return VariableMap(dto, {})
        names, query = read.names, read.query

        def collect() -> VariableCollector:
            collector = VariableCollector(names)
            untruncated = {"truncateValues": False}
            for item in self._iter_pages(
                d.searchVariables, None, untruncated, query, page_size, None, None
            ):
                collector.add(item)
            for name, key in collector.truncated():  # the server truncated anyway
                full = self._run(d.getVariable, {"variableKey": key}, None, None)
                collector.replace_value(name, full.value)
            return collector

        if consistency is None or consistency.wait_up_to_ms == 0:
            collector = collect()
        else:
            collector = wait(self.context, d.searchVariables.id, collect, **read.wait(consistency))
        return VariableMap(dto, collector.values())


class AsyncReadMethods:
    """Read-side methods of ``CamundaAsyncClient`` (a mixin of its bases)."""

    __slots__ = ()

    if TYPE_CHECKING:

        @property
        def context(self) -> ClientContext: ...

        async def _arun(
            self,
            op: Operation,
            path: dict[str, Any] | None,
            query: dict[str, Any] | None,
            body: Any,
        ) -> Any: ...

    async def _arun_consistent(
        self,
        op: Operation,
        path: dict[str, Any] | None,
        query: dict[str, Any] | None,
        body: Any,
        consistency: ConsistencyOptions[Any] | None,
    ) -> Any:
        """Call ``op``; with ``consistency``, until its answer is visible (generated methods)."""
        if consistency is None or consistency.wait_up_to_ms == 0:
            return await self._arun(op, path, query, body)
        from .eventual import await_

        return await await_(
            self.context, op.id, lambda: self._arun(op, path, query, body), consistency
        )

    def _aiter_pages(
        self,
        op: Operation,
        path: dict[str, Any] | None,
        query: dict[str, Any] | None,
        data: Any,
        page_size: int,
        limit: int | None,
        consistency: ConsistencyOptions[Any] | None,
    ) -> AsyncIterator[Any]:
        """Every item of the search ``op`` across pages (the generated ``iter_`` methods)."""
        from .pagination import aiter_pages

        def fetch(body: dict[str, Any], wait: ConsistencyOptions[Any] | None) -> Any:
            return self._arun_consistent(op, path, query, body, wait)

        return aiter_pages(self.context, op, fetch, data, page_size, limit, consistency)

    async def search_variables_as_dto(
        self,
        dto: type[T],
        *,
        process_instance_key: str,
        scope_key: str | None = None,
        tenant_id: str | None = None,
        page_size: int = 100,
        consistency: ConsistencyOptions[VariableMap[T]] | None = None,
    ) -> VariableMap[T]:
        """Read the variables ``dto`` declares from one process instance.

        The async twin of ``CamundaClient.search_variables_as_dto``; same arguments,
        result and errors.
        """
        from ..operations import descriptors as d
        from .eventual import await_
        from .variables import VariableCollector, VariableMap

        read = _VariablesRead(dto, process_instance_key, scope_key, tenant_id)
        if not read.names:
            return VariableMap(dto, {})
        names, query = read.names, read.query

        async def collect() -> VariableCollector:
            collector = VariableCollector(names)
            untruncated = {"truncateValues": False}
            async for item in self._aiter_pages(
                d.searchVariables, None, untruncated, query, page_size, None, None
            ):
                collector.add(item)
            for name, key in collector.truncated():
                full = await self._arun(d.getVariable, {"variableKey": key}, None, None)
                collector.replace_value(name, full.value)
            return collector

        if consistency is None or consistency.wait_up_to_ms == 0:
            collector = await collect()
        else:
            collector = await await_(
                self.context, d.searchVariables.id, collect, **read.wait(consistency)
            )
        return VariableMap(dto, collector.values())


class _VariablesRead:
    """What both clients' ``search_variables_as_dto`` derive from their arguments."""

    __slots__ = ("dto", "fields", "names", "query")

    def __init__(
        self, dto: type, process_instance_key: str, scope_key: str | None, tenant_id: str | None
    ) -> None:
        from .variables import declared_fields, variables_query

        self.dto = dto
        self.fields = declared_fields(dto)
        self.names = [f.name for f in self.fields]
        self.query = variables_query(self.names, process_instance_key, scope_key, tenant_id)

    def wait(self, consistency: ConsistencyOptions[Any]) -> dict[str, Any]:
        """The options, predicate and ``keep_last`` of the wait for these variables."""
        return {
            "options": _variables_options(consistency, self.dto),
            "predicate": _all_found(self.fields),
            # Only the default wait returns what it found at the deadline (validate()
            # names what is missing); a caller's predicate that never held times out.
            "keep_last": consistency.predicate is None,
        }


def _all_found(fields: list[Any]) -> Any:
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
