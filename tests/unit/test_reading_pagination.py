"""``iter_<search>``: every item across pages, following the cursor, on both clients."""

from __future__ import annotations

import asyncio
import inspect
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fakes import snake_case
from fakes.reading import BASE, PagedSearch, page
from fakes.telemetry import Telemetry

from camunda_sdk import (
    CamundaAsyncClient,
    CamundaClient,
    ConsistencyOptions,
    ProcessInstanceSearchQuery,
)
from camunda_sdk.errors import ForbiddenError
from camunda_sdk.operations import descriptors
from camunda_sdk.operations.models import (
    CursorForwardPagination,
    ProcessInstanceFilter,
    ProcessInstanceSearchQuerySortRequest,
)
from camunda_sdk.reading.pagination import MAX_PAGE_SIZE, Pager

SEARCH = "/v2/process-instances/search"


def instances(n: int) -> list[dict[str, Any]]:
    return [{"processInstanceKey": str(i)} for i in range(n)]


def collect(kind: str, handler: Any, method: str = "iter_search_process_instances", **kw: Any):
    """The keys (or items) an ``iter_`` method yields on a sync or an async client."""
    if kind == "sync":
        with CamundaClient(BASE, environ={}, transport=httpx.MockTransport(handler)) as client:
            return list(getattr(client, method)(**kw))

    async def run() -> list[Any]:
        transport = httpx.MockTransport(handler)
        async with CamundaAsyncClient(BASE, environ={}, transport=transport) as client:
            return [item async for item in getattr(client, method)(**kw)]

    return asyncio.run(run())


def keys(items: list[Any]) -> list[str]:
    return [i.process_instance_key for i in items]


both = pytest.mark.parametrize("kind", ["sync", "async"])


@both
@pytest.mark.parametrize(
    ("count", "page_size", "requests"),
    [
        (0, 3, 1),  # nothing at all: one request
        (1, 3, 1),  # one item
        (3, 3, 1),  # exactly one full page: totalItems says there is no more
        (10, 3, 4),  # many pages, the last one short
        (9, 3, 3),  # many full pages
    ],
)
def test_every_item_once_each_page_requested_once(
    kind: str, count: int, page_size: int, requests: int
) -> None:
    server = PagedSearch(instances(count))
    items = collect(kind, server, page_size=page_size)
    assert keys(items) == [str(i) for i in range(count)]
    assert len(server.cursors) == requests
    assert len(set(server.cursors)) == len(server.cursors)  # no page twice
    assert all(b["page"]["limit"] == page_size for b in server.bodies)


@both
def test_without_totals_an_empty_page_ends_it(kind: str) -> None:
    server = PagedSearch(instances(6), with_totals=False)
    items = collect(kind, server, page_size=3)
    assert keys(items) == [str(i) for i in range(6)]
    assert server.cursors == [None, "2", "5"]


@both
def test_filter_and_sort_are_kept_on_every_page(kind: str) -> None:
    server = PagedSearch(instances(5))
    query = ProcessInstanceSearchQuery(
        filter=ProcessInstanceFilter(process_definition_id="order"),  # type: ignore[arg-type]
        sort=[ProcessInstanceSearchQuerySortRequest(field="startDate", order="DESC")],  # type: ignore[arg-type]
    )
    collect(kind, server, data=query, page_size=2)
    assert len(server.bodies) == 3
    for body in server.bodies:
        assert body["filter"] == {"processDefinitionId": "order"}
        assert body["sort"] == [{"field": "startDate", "order": "DESC"}]
    assert [b["page"].get("after") for b in server.bodies] == [None, "1", "3"]


@both
def test_limit_stops_early_and_asks_for_no_more_than_it_yields(kind: str) -> None:
    server = PagedSearch(instances(10))
    items = collect(kind, server, page_size=3, limit=4)
    assert keys(items) == ["0", "1", "2", "3"]
    assert [b["page"]["limit"] for b in server.bodies] == [3, 1]


def test_limit_zero_sends_nothing() -> None:
    server = PagedSearch(instances(3))
    assert collect("sync", server, limit=0) == []
    assert server.bodies == []


def test_a_caller_cursor_is_where_it_starts() -> None:
    server = PagedSearch(instances(6))
    query = ProcessInstanceSearchQuery(page=CursorForwardPagination(after="2", limit=50))  # type: ignore[arg-type]
    assert keys(collect("sync", server, data=query, page_size=2)) == ["3", "4", "5"]


@both
def test_a_repeated_cursor_ends_it_instead_of_looping(kind: str) -> None:
    calls: list[Any] = []

    def stuck(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        status, body = page(instances(2), total=100, more=True, end_cursor="same")
        return httpx.Response(status, json=body)

    items = collect(kind, stuck, page_size=2)
    assert len(calls) == 2  # the first page, then "same"; "same" is never asked for twice
    assert len(items) == 4


@both
def test_consistency_applies_to_the_first_page_only(kind: str) -> None:
    empty = page([])
    server = PagedSearch(instances(4), first=[empty, empty])
    options = ConsistencyOptions(wait_up_to_ms=2000, poll_interval_ms=10)
    items = collect(kind, server, page_size=2, consistency=options)
    assert keys(items) == ["0", "1", "2", "3"]
    assert len(server.bodies) == 4  # two empty polls, then two pages


@both
def test_an_error_on_a_later_page_is_raised(kind: str) -> None:
    server = PagedSearch(instances(4))

    def failing(request: httpx.Request) -> httpx.Response:
        if server.bodies:
            return httpx.Response(403, json={"title": "no"})
        return server(request)

    with pytest.raises(ForbiddenError):
        collect(kind, failing, page_size=2)


def test_bad_arguments_fail_at_the_call_not_at_the_first_item() -> None:
    with CamundaClient(BASE, environ={}) as client:
        with pytest.raises(ValueError, match="page_size"):
            client.iter_search_process_instances(page_size=0)
        with pytest.raises(ValueError, match="limit"):
            client.iter_search_process_instances(limit=-1)


def test_path_and_query_parameters_reach_every_page() -> None:
    server = PagedSearch([{"username": f"u{i}"} for i in range(3)])
    items = collect("sync", server, "iter_search_users_for_group", group_id="g1", page_size=2)
    assert [u.username for u in items] == ["u0", "u1", "u2"]
    assert server.paths == ["/v2/groups/g1/users/search"] * 2

    server = PagedSearch([{"name": "a", "value": '"x"'}])
    collect("sync", server, "iter_search_variables", truncate_values=False)
    assert server.queries == ["truncateValues=false"]


@pytest.mark.parametrize("cls", [CamundaClient, CamundaAsyncClient])
def test_every_cursor_pageable_search_has_an_iterator(cls: type) -> None:
    assert "searchProcessInstances" in descriptors.SEARCHES
    assert "getProcessDefinitionInstanceStatistics" not in descriptors.SEARCHES  # offsets only
    for op_id in descriptors.OPERATIONS:
        name = "iter_" + snake_case(op_id)
        assert hasattr(cls, name) == (op_id in descriptors.SEARCHES), op_id
        if op_id in descriptors.SEARCHES:  # the first page waits only where the search can
            takes = "consistency" in inspect.signature(getattr(cls, name)).parameters
            assert takes == (op_id in descriptors.EVENTUALLY_CONSISTENT), op_id


def test_a_paged_read_is_one_span_over_its_page_spans() -> None:
    telemetry = Telemetry()
    server = PagedSearch(instances(5))
    client = CamundaClient(
        BASE,
        environ={},
        transport=httpx.MockTransport(server),
        tracer_provider=telemetry.tracer_provider,
    )
    with client:
        assert len(list(client.iter_search_process_instances(page_size=2))) == 5
    (group,) = telemetry.spans("camunda.paginate searchProcessInstances")
    pages = telemetry.spans("POST /process-instances/search")
    assert len(pages) == 3
    assert all(p.parent is not None and p.parent.span_id == group.context.span_id for p in pages)
    attrs = dict(group.attributes or {})
    assert (attrs["camunda.pages"], attrs["camunda.items"], attrs["camunda.page_size"]) == (3, 5, 2)


def test_an_abandoned_iteration_ends_its_span_without_error() -> None:
    telemetry = Telemetry()
    server = PagedSearch(instances(5))
    client = CamundaClient(
        BASE,
        environ={},
        transport=httpx.MockTransport(server),
        tracer_provider=telemetry.tracer_provider,
    )
    with client:
        iterator = client.iter_search_process_instances(page_size=2)
        next(iterator)
        iterator.close()  # type: ignore[attr-defined]
    (group,) = telemetry.spans("camunda.paginate searchProcessInstances")
    assert group.status.is_ok or group.status.status_code.name == "UNSET"
    assert len(server.bodies) == 1


def test_a_capped_total_is_not_the_end() -> None:
    server = PagedSearch(instances(5))

    def capped(request: httpx.Request) -> httpx.Response:
        body = server(request).json()
        body["page"].update(totalItems=2, hasMoreTotalItems=True)  # "at least 2"
        return httpx.Response(200, json=body)

    assert keys(collect("sync", capped, page_size=2)) == ["0", "1", "2", "3", "4"]
    assert server.cursors == [None, "1", "3", "4"]  # only an empty page can end it


@both
def test_an_empty_page_that_still_carries_a_cursor_ends_it(kind: str) -> None:
    bodies: list[Any] = []

    def server(request: httpx.Request) -> httpx.Response:
        bodies.append(request)
        if len(bodies) == 1:
            _, body = page(instances(2), total=10, more=True, end_cursor="c1")
        else:
            body = {"items": [], "page": {"totalItems": 10, "endCursor": "c2"}}
        return httpx.Response(200, json=body)

    assert keys(collect(kind, server, page_size=2)) == ["0", "1"]
    assert len(bodies) == 2


def test_a_cursor_cycle_ends_before_asking_for_a_page_again() -> None:
    pager = Pager(None, 2, None)
    sent: list[Any] = []
    cursors = iter(["a", "b", "a"])
    while (body := pager.next_body()) is not None:
        sent.append(body["page"].get("after"))
        pager.take(
            SimpleNamespace(
                items=[1, 2], page=SimpleNamespace(end_cursor=next(cursors), total_items=None)
            )
        )
    assert sent == [None, "a", "b"]  # "a" came back: not asked for a second time


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"page_size": 10_001}, "page_size"),
        ({"page_size": True}, "page_size"),
        ({"page_size": 2.5}, "page_size"),
        ({"limit": 1.5}, "limit"),
        ({"limit": True}, "limit"),
    ],
)
def test_page_size_and_limit_are_bounded(kwargs: dict[str, Any], match: str) -> None:
    with CamundaClient(BASE, environ={}) as client, pytest.raises(ValueError, match=match):
        client.iter_search_process_instances(**kwargs)


def test_the_largest_page_size_is_accepted() -> None:
    server = PagedSearch(instances(1))
    collect("sync", server, page_size=MAX_PAGE_SIZE)
    assert server.bodies[0]["page"]["limit"] == MAX_PAGE_SIZE
