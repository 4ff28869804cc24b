"""docs/reading.md: every Python block runs, against a fake that lags like the real store."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from fakes.reading import BASE, PagedSearch

import camunda_sdk

DOC = Path(__file__).resolve().parents[2] / "docs" / "reading.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```$", DOC.read_text(), flags=re.MULTILINE | re.DOTALL)


class LaggingCluster:
    """Answers the docs' calls; a new instance is not visible to the first read."""

    def __init__(self) -> None:
        self.reads = 0
        self.instances = PagedSearch(
            [{"processInstanceKey": str(i), "state": "ACTIVE"} for i in range(3)]
        )
        self.tasks = PagedSearch([{"userTaskKey": "7", "name": "Check order"}])
        self.variables = PagedSearch(
            [
                {"name": "order_id", "value": '"o-1"', "scopeKey": "1", "isTruncated": False},
                {"name": "amount", "value": "99.5", "scopeKey": "1", "isTruncated": False},
            ]
        )

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v2/process-instances":
            return httpx.Response(200, json={"processInstanceKey": "1"})
        if path == "/v2/process-instances/1":
            self.reads += 1
            if self.reads == 1:
                return httpx.Response(404, json={"title": "not found"})
            return httpx.Response(200, json={"processInstanceKey": "1", "state": "ACTIVE"})
        if path == "/v2/process-instances/search":
            return self.instances(request)
        if path == "/v2/user-tasks/search":
            return self.tasks(request)
        if path == "/v2/variables/search":
            return self.variables(request)
        return httpx.Response(404, json={"title": f"unexpected {path}"})


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_the_examples_run(index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = LaggingCluster()

    def sync_client(*args: Any, **kwargs: Any) -> camunda_sdk.CamundaClient:
        return camunda_sdk.client.CamundaClient(
            BASE, environ={}, transport=httpx.MockTransport(cluster)
        )

    def async_client(*args: Any, **kwargs: Any) -> camunda_sdk.CamundaAsyncClient:
        return camunda_sdk.client.CamundaAsyncClient(
            BASE, environ={}, transport=httpx.MockTransport(cluster)
        )

    import camunda_sdk.client  # the real classes, before the names are patched

    monkeypatch.setattr(camunda_sdk, "CamundaClient", sync_client)
    monkeypatch.setattr(camunda_sdk, "CamundaAsyncClient", async_client)
    exec(compile(BLOCKS[index], f"docs/reading.md block {index + 1}", "exec"), {})
    assert cluster.reads in (0, 2)  # the read by key waited through its 404
    for body in cluster.variables.bodies:  # only the declared variables were asked for
        assert body["filter"]["name"] == {"$in": ["order_id", "amount", "express"]}


def test_the_doc_states_the_generated_counts() -> None:
    from camunda_sdk.operations import descriptors

    text = DOC.read_text()
    assert f"the {len(descriptors.EVENTUALLY_CONSISTENT)} operations" in text
    assert f"the {len(descriptors.SEARCHES)} cursor-pageable searches" in text
