"""docs/reading.md: every Python block runs, against a fake that lags like the real store."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from fakes.reading import BASE, PagedSearch

import camunda_sdk

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "reading.md"
PYTHON = re.compile(r"^```python\n(.*?)^```$", flags=re.MULTILINE | re.DOTALL)
BLOCKS = PYTHON.findall(DOC.read_text())
# The README's read-side section (up to the next heading) and its example.
README_SECTION = re.search(
    r"^### Reading: .*?(?=^#)", (ROOT / "README.md").read_text(), flags=re.MULTILINE | re.DOTALL
)


class LaggingCluster:
    """Answers the docs' calls; a new instance is not visible to the first read."""

    def __init__(self) -> None:
        self.reads = 0
        self.instances = PagedSearch(
            [{"processInstanceKey": str(i), "state": "ACTIVE"} for i in range(3)]
        )
        self.tasks = PagedSearch([{"userTaskKey": "7", "name": "Check order"}])
        self.incidents = PagedSearch([{"errorType": "IO_MAPPING_ERROR", "errorMessage": "x"}])
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
        if path.endswith("/incidents/search"):
            return self.incidents(request)
        if re.fullmatch(r"/v2/process-instances/\d+", path):
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


def patch_clients(monkeypatch: pytest.MonkeyPatch, cluster: LaggingCluster) -> None:
    """Make ``camunda_sdk.CamundaClient()`` (and the async one) talk to ``cluster``."""

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


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_the_examples_run(index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = LaggingCluster()
    patch_clients(monkeypatch, cluster)
    exec(compile(BLOCKS[index], f"docs/reading.md block {index + 1}", "exec"), {})
    assert cluster.reads in (0, 2)  # the read by key waited through its 404
    for body in cluster.variables.bodies:  # only the declared variables were asked for
        assert body["filter"]["name"] == {"$in": ["order_id", "amount", "express"]}


def test_the_doc_states_the_generated_counts() -> None:
    from camunda_sdk.operations import descriptors

    text = DOC.read_text()
    assert f"the {len(descriptors.EVENTUALLY_CONSISTENT)} operations" in text
    assert f"the {len(descriptors.SEARCHES)} cursor-pageable searches" in text


def test_the_readme_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    assert README_SECTION is not None, "README: no '### Reading: ...' section"
    (block,) = PYTHON.findall(README_SECTION.group(0))
    cluster = LaggingCluster()
    patch_clients(monkeypatch, cluster)
    exec(compile(block, "README.md reading block", "exec"), {})
    assert cluster.reads == 2  # the read by key waited through its 404
    assert len(cluster.incidents.bodies) == 1
    for name in ("ConsistencyOptions", "EventualConsistencyTimeoutError", "VariableMap"):
        assert name in README_SECTION.group(0)
