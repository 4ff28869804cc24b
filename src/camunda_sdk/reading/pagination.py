"""``iter_<search>``: every item of a search, across pages, following the API's cursor.

The generator gives each cursor-pageable search an ``iter_<method>`` (see
``read_policy`` in ``scripts/generate.py``). It sends the caller's query with
``page = {"limit": page_size, "after": <endCursor of the previous page>}``,
keeping the filter and sort as given, and stops when:

- a page has no items, or carries no ``endCursor``;
- the items seen reach ``page.totalItems`` and the server says there are no
  more (``hasMoreTotalItems`` false), so a last full page costs no empty request;
- ``limit`` items have been yielded;
- the server hands back a cursor already requested (a page is never asked for twice).

``consistency=`` applies to the first page only: once the first page is visible,
later pages are read as they are.

The bookkeeping lives in :class:`Pager`, free of I/O; :func:`pages` is the
paged read as one effect flow, which the sync and the async driver both run
(their ``iterate``). A span named ``camunda.paginate <operationId>`` groups the
page calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._serde import to_wire
from ..pipeline.effects import Emit, Flow

if TYPE_CHECKING:
    from ..consistency import ConsistencyOptions
    from ..pipeline.context import ClientContext
    from ..pipeline.operation import Operation

__all__ = ["MAX_PAGE_SIZE", "Pager", "pages"]

#: The largest ``page.limit`` the API accepts (``CursorForwardPagination.limit``'s
#: ``maximum`` in the spec); a larger ``page_size`` fails at the call, not with a 400.
MAX_PAGE_SIZE = 10_000


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Pager:
    """The cursor bookkeeping of one paged read (no I/O).

    Call :meth:`next_body` for the body of the next page (None: done), send it,
    then hand the result to :meth:`take`, which returns the items to yield.
    """

    __slots__ = ("_base", "_cursor", "_done", "_limit", "_sent", "items", "page_size", "pages")

    def __init__(self, data: Any, page_size: int, limit: int | None) -> None:
        if not _is_int(page_size) or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(
                f"page_size must be an int from 1 to {MAX_PAGE_SIZE}, got {page_size!r}"
            )
        if limit is not None and (not _is_int(limit) or limit < 0):
            raise ValueError(f"limit must be None or an int of 0 or more, got {limit!r}")
        base = to_wire(data) if data is not None else {}
        if not isinstance(base, dict):
            raise TypeError(f"data must be the search's query model, got {type(data).__name__}")
        page = base.get("page")
        # A cursor the caller put in the query is where the iteration starts.
        self._cursor: Any = page.get("after") if isinstance(page, dict) else None
        self._base = base
        self._sent: set[Any] = set()
        self._limit = limit
        self._done = limit == 0
        self.page_size = page_size
        self.pages = 0
        self.items = 0

    def next_body(self) -> dict[str, Any] | None:
        """The body of the next page request, or None when the iteration is over."""
        if self._done:
            return None
        size = self.page_size
        if self._limit is not None:
            size = min(size, self._limit - self.items)  # fetch no more than will be yielded
        page: dict[str, Any] = {"limit": size}
        if self._cursor is not None:
            page["after"] = self._cursor
        self._sent.add(self._cursor)
        return {**self._base, "page": page}

    def take(self, result: Any) -> list[Any]:
        """Record one page's result; return its items that are to be yielded."""
        self.pages += 1
        received = list(getattr(result, "items", None) or ())
        # Everything the server has handed out so far, before `limit` cuts this page.
        served = self.items + len(received)
        items = received if self._limit is None else received[: self._limit - self.items]
        self.items += len(items)
        page = getattr(result, "page", None)
        cursor = getattr(page, "end_cursor", None)
        total = getattr(page, "total_items", None)
        # `hasMoreTotalItems` true means totalItems is a capped count: keep following.
        all_served = getattr(page, "has_more_total_items", None) is False and (
            isinstance(total, int) and served >= total
        )
        self._done = (
            not received
            or cursor is None
            or cursor in self._sent
            or (self._limit is not None and self.items >= self._limit)
            or all_served
        )
        self._cursor = cursor
        return items


def _attributes(op: Operation, pager: Pager) -> dict[str, Any]:
    return {"camunda.operation_id": op.id, "camunda.page_size": pager.page_size}


def _totals(pager: Pager) -> dict[str, Any]:
    return {"camunda.pages": pager.pages, "camunda.items": pager.items}


def pages(
    context: ClientContext,
    op: Operation,
    fetch: Callable[[dict[str, Any], ConsistencyOptions[Any] | None], Flow[Any]],
    pager: Pager,
    consistency: ConsistencyOptions[Any] | None,
    sink: Callable[[list[Any]], object] | None = None,
) -> Flow[None]:
    """The paged read as an effect flow: ``fetch(body, consistency)`` makes one page's
    flow; each page's items are handed out with :class:`Emit`, or to ``sink``.

    With :class:`Emit`, a driver's ``iterate`` runs it (``SyncDriver.iterate``,
    ``AsyncDriver.iterate``); with a ``sink`` it is an ordinary flow that another
    flow can ``yield from``. Build the :class:`Pager` first, so bad arguments fail
    at the call, not at the first ``next()``.
    """
    from ._spans import start_group_span

    span = start_group_span(context, f"camunda.paginate {op.id}", _attributes(op, pager))
    failure: BaseException | None = None
    try:
        while (body := pager.next_body()) is not None:
            token = span.attach()  # current for the page's call only, never across an Emit
            try:
                result = yield from fetch(body, consistency if pager.pages == 0 else None)
            finally:
                span.detach(token)
            items = pager.take(result)
            if sink is not None:
                sink(items)
            elif items:
                yield Emit(items)
    except GeneratorExit:  # the caller stopped early: not an error
        raise
    except BaseException as exc:
        failure = exc
        raise
    finally:
        span.end(_totals(pager), failure)
