"""The README and the examples it points at.

The configuration table is generated from the settings table; every Python block
compiles; ``examples/order.bpmn`` is the process the examples expect; the
quickstart deploys it against a cluster and falls back only when a Prism mock
refuses the upload. (``tests/integration/test_readme_prism.py`` runs the README's
examples against the quickstart's Prism.)
"""

from __future__ import annotations

import importlib.util
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from camunda_sdk import CamundaClient

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
ZEEBE = "{http://camunda.org/schema/zeebe/1.0}"
# asyncio.run(main()) inside try/except KeyboardInterrupt or contextlib.suppress(KeyboardInterrupt)
CTRL_C_SAFE = re.compile(
    r"try:\n\s+asyncio\.run\(main\(\)\)\n\s*except KeyboardInterrupt:"
    r"|with contextlib\.suppress\(KeyboardInterrupt\):\n\s+asyncio\.run\(main\(\)\)"
)


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def python_blocks(markdown: str) -> list[str]:
    """The fenced ```python blocks of a Markdown text, in order."""
    return re.findall(r"^```python\n(.*?)^```$", markdown, flags=re.MULTILINE | re.DOTALL)


def test_readme_config_table_matches_settings() -> None:
    module = _load(ROOT / "scripts/config_table.py", "config_table")
    assert module.render(README) == README, "run: .venv/bin/python scripts/config_table.py --write"
    assert "`CAMUNDA_REST_ADDRESS`" in README


@pytest.mark.parametrize(
    "doc", ["README.md", *sorted(p.name for p in (ROOT / "docs").glob("*.md"))]
)
def test_python_blocks_compile(doc: str) -> None:
    path = ROOT / doc if doc == "README.md" else ROOT / "docs" / doc
    for index, block in enumerate(python_blocks(path.read_text())):
        compile(block, f"{doc} block {index + 1}", "exec")


def test_worker_examples_catch_ctrl_c() -> None:
    """Every block and example that runs workers under asyncio.run exits quietly on Ctrl+C."""
    sources = {f"README block {i}": b for i, b in enumerate(python_blocks(README))}
    sources.update({p.name: p.read_text() for p in (ROOT / "examples").glob("*.py")})
    runners = {name: src for name, src in sources.items() if "run_workers()" in src}
    assert runners, "no worker example found"
    for name, source in runners.items():
        assert CTRL_C_SAFE.search(source), f"{name}: catch KeyboardInterrupt around asyncio.run"


def test_order_bpmn_is_the_process_the_examples_use() -> None:
    root = ET.parse(ROOT / "examples/order.bpmn").getroot()
    assert root.tag == f"{BPMN}definitions"
    (process,) = root.findall(f"{BPMN}process")
    assert process.get("id") == "order-process"
    assert process.get("isExecutable") == "true"
    ids = {element.get("id") for element in process}
    (task,) = process.findall(f"{BPMN}serviceTask")
    definition = task.find(f"{BPMN}extensionElements/{ZEEBE}taskDefinition")
    assert definition is not None and definition.get("type") == "charge-card"
    assert len(process.findall(f"{BPMN}startEvent")) == len(process.findall(f"{BPMN}endEvent")) == 1
    for flow in process.findall(f"{BPMN}sequenceFlow"):
        assert flow.get("sourceRef") in ids and flow.get("targetRef") in ids
    assert '"examples/order.bpmn"' in README


Handler = Callable[[httpx.Request], httpx.Response]


def _cluster(deploy: Handler, seen: list[tuple[str, str, bytes]]) -> Handler:
    """A cluster for the quickstart's calls; ``deploy`` answers the deployment."""

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v2")
        seen.append((request.method, path, request.read()))
        if path == "/deployments":
            return deploy(request)
        answers: dict[str, Any] = {
            "/topology": {"clusterSize": 3, "gatewayVersion": "8.9.0", "brokers": []},
            "/process-definitions/search": {
                "items": [{"processDefinitionKey": "2251799813685300"}],
                "page": {"totalItems": 1},
            },
            "/process-instances": {
                "processDefinitionKey": "2251799813685249",
                "processInstanceKey": "2251799813685251",
            },
            "/process-instances/search": {"items": [], "page": {"totalItems": 0}},
            "/messages/publication": {"messageKey": "2251799813685260"},
        }
        if path.endswith("/cancellation"):
            return httpx.Response(204)
        return httpx.Response(200, json=answers[path])

    return handle


def _run_quickstart(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], deploy: Handler
) -> tuple[str, list[tuple[str, str, bytes]]]:
    quickstart = _load(ROOT / "examples/quickstart.py", "quickstart_example")
    seen: list[tuple[str, str, bytes]] = []
    transport = httpx.MockTransport(_cluster(deploy, seen))
    config = {"CAMUNDA_REST_ADDRESS": "http://camunda.test:8080", "CAMUNDA_AUTH_STRATEGY": "NONE"}
    monkeypatch.setattr(
        quickstart, "CamundaClient", lambda: CamundaClient(config, environ={}, transport=transport)
    )
    monkeypatch.delenv("QUICKSTART_MOCK", raising=False)
    quickstart.main()
    return capsys.readouterr().out, seen


def test_quickstart_deploys_order_bpmn_and_starts_the_deployed_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed = {
        "deploymentKey": "2251799813685248",
        "tenantId": "<default>",
        "deployments": [
            {
                "processDefinition": {
                    "processDefinitionId": "order-process",
                    "processDefinitionVersion": 1,
                    "resourceName": "order.bpmn",
                    "tenantId": "<default>",
                    "processDefinitionKey": "2251799813685249",
                }
            }
        ],
    }
    out, seen = _run_quickstart(
        monkeypatch, capsys, lambda _request: httpx.Response(200, json=deployed)
    )
    upload = next(body for method, path, body in seen if path == "/deployments")
    assert (ROOT / "examples/order.bpmn").read_bytes() in upload
    create = next(body for method, path, body in seen if path == "/process-instances")
    assert json.loads(create)["processDefinitionKey"] == "2251799813685249"
    assert "deployed order-process version 1 as process definition 2251799813685249" in out
    assert "cancelled process instance 2251799813685251" in out
    assert "mock" not in out.lower()
    assert not any(path == "/process-definitions/search" for _, path, _ in seen)


def test_quickstart_falls_back_to_a_searched_key_when_prism_refuses_the_upload(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    violation = [
        {
            "location": ["request", "body", "resources"],
            "severity": "Error",
            "code": "type",
            "message": "Request body property resources must be array",
        }
    ]

    def refuse(_request: httpx.Request) -> httpx.Response:
        headers = {"sl-violations": json.dumps(violation)}
        return httpx.Response(400, json={"title": "Bad Request"}, headers=headers)

    out, seen = _run_quickstart(monkeypatch, capsys, refuse)
    assert "the mock refused the upload (Request body property resources must be array)" in out
    assert "using process definition 2251799813685300 from search_process_definitions" in out
    create = next(body for method, path, body in seen if path == "/process-instances")
    assert json.loads(create)["processDefinitionKey"] == "2251799813685300"


def test_quickstart_reraises_a_cluster_refusing_the_deployment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from camunda_sdk.errors import BadRequestError

    def refuse(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"title": "INVALID_ARGUMENT", "detail": "not BPMN"})

    with pytest.raises(BadRequestError, match="not BPMN"):
        _run_quickstart(monkeypatch, capsys, refuse)
