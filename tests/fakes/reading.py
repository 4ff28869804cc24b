"""A read-side fake for ``httpx.MockTransport``: scripted answers and a paging search.

- :class:`Script` answers each request to a path from a list of scripted answers
  (the last one repeats), e.g. empty results for the first N polls, then data.
- :class:`PagedSearch` serves a fixed list of items by cursor, as the API does,
  and records the cursor (and body) of every page asked for.
- :func:`page` builds a search result body.

Both also record every request, so a test can count attempts and read bodies::

    script = Script({"/v2/process-instances/search": [page([]), page([]), page([item])]})
    client = CamundaClient(BASE, environ={}, transport=httpx.MockTransport(script))
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

__all__ = ["BASE", "PagedSearch", "Script", "page", "problem"]

#: Client settings for these fakes: no retries, so one attempt is one request.
BASE = {"CAMUNDA_REST_ADDRESS": "http://camunda.test:8080", "CAMUNDA_SDK_RETRY_MAX_ATTEMPTS": "1"}


def page(
    items: Sequence[Mapping[str, Any]],
    *,
    total: int | None = None,
    end_cursor: str | None = "end",
    more: bool = False,
) -> tuple[int, dict[str, Any]]:
    """A 200 search result with these items (``total`` defaults to their number)."""
    return 200, {
        "items": list(items),
        "page": {
            "totalItems": len(items) if total is None else total,
            "hasMoreTotalItems": more,
            "startCursor": "start" if items else None,
            "endCursor": end_cursor if items else None,
        },
    }


def problem(status: int, title: str = "scripted") -> tuple[int, dict[str, Any]]:
    """An RFC 9457 problem answer."""
    return status, {"type": "about:blank", "title": title, "status": status}


def _response(answer: Any, request: httpx.Request) -> httpx.Response:
    if callable(answer):
        return answer(request)
    if isinstance(answer, httpx.Response):
        return answer
    status, body = answer
    return httpx.Response(status, json=body)


class Script:
    """Answers requests by path from scripted answer lists; the last answer repeats.

    Attributes:
        requests: every request received, in order.
    """

    def __init__(self, routes: Mapping[str, Sequence[Any]]) -> None:
        self.routes = {path: list(answers) for path, answers in routes.items()}
        self.served: dict[str, int] = dict.fromkeys(self.routes, 0)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        answers = self.routes.get(path)
        if not answers:
            return httpx.Response(404, json={"title": f"no route for {path}"})
        index = min(self.served[path], len(answers) - 1)
        self.served[path] += 1
        return _response(answers[index], request)

    def count(self, path: str) -> int:
        """How many requests went to ``path``."""
        return sum(1 for r in self.requests if r.url.path == path)

    def bodies(self, path: str | None = None) -> list[Any]:
        """The JSON bodies of the requests (to ``path`` only, when given)."""
        return [
            json.loads(r.content) if r.content else None
            for r in self.requests
            if path is None or r.url.path == path
        ]


class PagedSearch:
    """Serves ``items`` page by page, following ``page.after``, like the API.

    The cursor of a page is the index of its last item. ``with_totals=False``
    leaves ``totalItems`` out, as an older or capped answer might, so only an
    empty page ends the iteration.

    Attributes:
        cursors: the ``page.after`` of every request (None for the first page).
        bodies: every request body.
    """

    def __init__(
        self,
        items: Sequence[Mapping[str, Any]],
        *,
        with_totals: bool = True,
        first: Sequence[Any] = (),
    ) -> None:
        self.items = list(items)
        self.with_totals = with_totals
        self.first = list(first)  # scripted answers before the first real page
        self.cursors: list[str | None] = []
        self.bodies: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.queries: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else {}
        self.bodies.append(body)
        self.paths.append(request.url.path)
        self.queries.append(request.url.query.decode())
        if self.first:
            return _response(self.first.pop(0), request)
        page_request = body.get("page") or {}
        after = page_request.get("after")
        self.cursors.append(after)
        start = 0 if after is None else int(after) + 1
        limit = int(page_request.get("limit", 100))
        chunk = self.items[start : start + limit]
        result: dict[str, Any] = {
            "items": chunk,
            "page": {
                "startCursor": str(start) if chunk else None,
                "endCursor": str(start + len(chunk) - 1) if chunk else None,
            },
        }
        if self.with_totals:
            result["page"].update(totalItems=len(self.items), hasMoreTotalItems=False)
        return httpx.Response(200, json=result)
