"""pyright accepts the read-side signatures and rejects ``consistency=`` where it means nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYRIGHT = shutil.which("pyright", path=str(Path(sys.executable).parent))

# Lines marked "# error" must be reported, and nothing else.
PROBE = """
from __future__ import annotations

import dataclasses
from typing import TypedDict

import attrs

from camunda_sdk import (
    CamundaAsyncClient,
    CamundaClient,
    ConsistencyOptions,
    JobCompletionRequest,
    MessagePublicationRequest,
    ProcessCreationById,
    ProcessDefinitionId,
    ProcessInstanceKey,
    ProcessInstanceResult,
    VariableMap,
)


@dataclasses.dataclass
class Order:
    order_id: str


@attrs.define
class Shipment:
    carrier: str


class Customer(TypedDict):
    vip: bool


WAIT = ConsistencyOptions(wait_up_to_ms=5000, poll_interval_ms=100)


def sync_probe(c: CamundaClient) -> None:
    c.get_process_instance(process_instance_key=ProcessInstanceKey("1"), consistency=WAIT)
    c.search_process_instances(consistency=WAIT)
    c.search_process_instances(
        consistency=ConsistencyOptions(wait_up_to_ms=1, predicate=lambda r: len(r.items) > 1)
    )
    c.search_jobs(
        consistency=ConsistencyOptions(wait_up_to_ms=1, predicate=lambda r: r.itemz)  # error: typed
    )
    found: list[ProcessInstanceResult] = list(c.iter_search_process_instances(page_size=10))
    variables: VariableMap[Order] = c.search_variables_as_dto(Order, process_instance_key="1")
    order: Order = variables.validate()
    c.create_process_instance(
        data=ProcessCreationById(
            process_definition_id=ProcessDefinitionId("p"), variables=Order("1")
        )
    )
    JobCompletionRequest(variables=Shipment("DHL"))
    MessagePublicationRequest(name="m", variables=Customer(vip=True))
    JobCompletionRequest(variables=42)  # error: not variables
    c.get_topology(consistency=WAIT)  # error
    c.create_process_instance(
        data=ProcessCreationById(process_definition_id=ProcessDefinitionId("p")),
        consistency=WAIT,  # error
    )
    del found, order


async def async_probe(c: CamundaAsyncClient) -> None:
    await c.search_process_instances(consistency=WAIT)
    async for item in c.iter_search_process_instances(limit=5):
        key: ProcessInstanceKey | None = item.process_instance_key
        del key
    variables = await c.search_variables_as_dto(Customer, process_instance_key="1")
    customer: Customer = variables.validate()
    await c.publish_message(data=MessagePublicationRequest(name="m"), consistency=WAIT)  # error
    del customer
"""


@pytest.mark.skipif(PYRIGHT is None, reason="no pyright")
def test_pyright_accepts_the_helpers_and_rejects_consistency_elsewhere(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE, encoding="utf-8")
    config = {
        "include": ["probe.py"],
        "extraPaths": [os.path.relpath(ROOT / "src", tmp_path)],
        "pythonVersion": "3.10",
        "typeCheckingMode": "standard",
        "venvPath": str(ROOT),
        "venv": ".venv",
    }
    (tmp_path / "pyrightconfig.json").write_text(json.dumps(config), encoding="utf-8")
    res = subprocess.run(
        [str(PYRIGHT), "--outputjson", "-p", str(tmp_path / "pyrightconfig.json")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    report = json.loads(res.stdout)
    errors = [d for d in report["generalDiagnostics"] if d["severity"] == "error"]
    lines = PROBE.splitlines()
    expected = sorted(i for i, line in enumerate(lines) if "# error" in line)
    got = sorted(e["range"]["start"]["line"] for e in errors)
    assert got == expected, errors
    wrong_option = [e for e in errors if lines[e["range"]["start"]["line"]].endswith("# error")]
    assert len(wrong_option) == 3
    assert all("consistency" in e["message"] for e in wrong_option), errors
