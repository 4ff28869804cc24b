"""The README and the examples it points at.

The configuration table is generated from the settings table; every Python block
compiles; ``examples/order.bpmn`` is the process the examples expect; the
quickstart runs an order to completion on the dev cluster.
(``tests/integration/test_readme_prism.py`` runs the README's examples against
Prism, ``tests/integration/test_quickstart.py`` the quickstart as its script does.)
"""

from __future__ import annotations

import importlib.util
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

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


def test_quickstart_runs_the_order_to_completion_on_a_dev_cluster(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    from camunda_sdk.devcluster import DevCluster

    quickstart = _load(ROOT / "examples/quickstart.py", "quickstart_example")
    with DevCluster() as cluster:
        monkeypatch.setattr(quickstart, "CamundaAsyncClient", cluster.async_client)
        asyncio.run(quickstart.main())
    out = capsys.readouterr().out
    assert re.search(r"deployed order-process version 1 \(key \d+\)", out), out
    started = re.search(r"started process instance (\d+)", out)
    assert started, out
    assert f"process instance {started.group(1)}: COMPLETED" in out
    assert "worker: charging 42 for order A-17" in out
    assert out.splitlines()[-3:] == ["  amount = 42", "  charged = true", '  orderId = "A-17"']
