"""Helpers for the engine's tests: an engine fixture and terse BPMN building blocks."""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from camunda_sdk.devcluster.engine import Engine, expressions

START_MS = 1_700_000_000_000  # 2023-11-14T22:13:20Z: every test starts on a pinned clock


def _feel_module() -> Any:
    # The real FEEL once it is merged; until then the test double.
    try:
        return importlib.import_module("camunda_sdk.devcluster.feel")
    except ImportError:
        return importlib.import_module("engine_feel_fake")


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setattr(expressions, "feel_backend", _feel_module())
    engine = Engine()
    engine.clock.pin(START_MS)
    yield engine


def bpmn(body: str, process_id: str = "p", extra: str = "", name: str = "") -> bytes:
    """A definitions document with one executable process holding `body`."""
    name_attr = f' name="{name}"' if name else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    id="defs" targetNamespace="http://example.com">
  <bpmn:process id="{process_id}" isExecutable="true"{name_attr}>
{body}
  </bpmn:process>
{extra}
</bpmn:definitions>""".encode()


def flow(source: str, target: str, condition: str | None = None, flow_id: str | None = None) -> str:
    flow_id = flow_id or f"{source}-{target}"
    if condition is None:
        return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>'
    return (
        f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}'
        "</bpmn:conditionExpression></bpmn:sequenceFlow>"
    )


def chain(*ids: str) -> str:
    return "\n".join(flow(a, b) for a, b in itertools.pairwise(ids))


def service(
    task_id: str, job_type: str, extensions: str = "", retries: str = "3", **attrs: str
) -> str:
    extra = "".join(f' {k}="{v}"' for k, v in attrs.items())
    return (
        f'<bpmn:serviceTask id="{task_id}"{extra}><bpmn:extensionElements>'
        f'<zeebe:taskDefinition type="{job_type}" retries="{retries}"/>{extensions}'
        "</bpmn:extensionElements></bpmn:serviceTask>"
    )


def message(message_id: str, name: str, correlation_key: str | None = None) -> str:
    if correlation_key is None:
        return f'<bpmn:message id="{message_id}" name="{name}"/>'
    return (
        f'<bpmn:message id="{message_id}" name="{name}"><bpmn:extensionElements>'
        f'<zeebe:subscription correlationKey="{correlation_key}"/></bpmn:extensionElements>'
        "</bpmn:message>"
    )


START = '<bpmn:startEvent id="start"/>'
END = '<bpmn:endEvent id="end"/>'


def deploy(engine: Engine, body: str, process_id: str = "p", extra: str = "") -> int:
    record = engine.deploy([(f"{process_id}.bpmn", bpmn(body, process_id, extra))])
    return record.processes[0].process_definition_key


def start(engine: Engine, process_id: str = "p", **variables: Any) -> int:
    return engine.create_process_instance(
        process_definition_id=process_id, variables=variables
    ).process_instance_key


def work(engine: Engine, job_type: str, variables: dict[str, Any] | None = None) -> int:
    """Activate exactly one job of `job_type` and complete it; return its key."""
    jobs = engine.activate_jobs(job_type, 1, 60_000, "test-worker")
    assert len(jobs) == 1, f"expected one {job_type} job, got {len(jobs)}"
    engine.complete_job(jobs[0].job_key, variables)
    return jobs[0].job_key


def history(engine: Engine, instance_key: int) -> list[tuple[str, str]]:
    """(element id, state) in the order entered."""
    return [(element, state) for element, _type, state in engine.inspect(instance_key)]


def state(engine: Engine, instance_key: int) -> str:
    return engine.process_instances[instance_key].state


def root_variables(engine: Engine, instance_key: int) -> dict[str, Any]:
    return engine.variables_of(instance_key)
