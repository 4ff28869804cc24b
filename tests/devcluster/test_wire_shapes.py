"""Every engine-backed answer has exactly the shape the newest spec gives it.

One scenario over raw HTTP (a fresh cluster, no indexing lag) touches every wired
operation once; each answer is checked against the spec's response schema and
parsed by the SDK's generated models, as `test_server_shapes` does for the rest.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from test_server_shapes import CALLS, SPEC, response_schema, violations

from camunda_sdk._serde import parse
from camunda_sdk.devcluster import DevCluster
from camunda_sdk.devcluster.handlers import load_handlers
from camunda_sdk.operations.descriptors import OPERATIONS

pytestmark = pytest.mark.skipif(not SPEC.exists(), reason=f"spec bundle not found at {SPEC}")

SHAPES_BPMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="x">
  <bpmn:process id="shapes" name="Shapes" isExecutable="true">
    <bpmn:startEvent id="start">
      <bpmn:extensionElements><zeebe:formDefinition formId="order-form"/></bpmn:extensionElements>
    </bpmn:startEvent>
    <bpmn:userTask id="review" name="Review">
      <bpmn:extensionElements><zeebe:userTask/>
        <zeebe:formDefinition formId="order-form"/></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:serviceTask id="work">
      <bpmn:extensionElements><zeebe:taskDefinition type="shape-work" retries="2"/>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:intermediateCatchEvent id="paid">
      <bpmn:messageEventDefinition messageRef="m-paid"/>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="work"/>
    <bpmn:sequenceFlow id="f3" sourceRef="work" targetRef="paid"/>
    <bpmn:sequenceFlow id="f4" sourceRef="paid" targetRef="end"/>
  </bpmn:process>
  <bpmn:process id="shapes-started" isExecutable="true">
    <bpmn:startEvent id="go"><bpmn:messageEventDefinition messageRef="m-go"/></bpmn:startEvent>
    <bpmn:serviceTask id="wait">
      <bpmn:extensionElements><zeebe:taskDefinition type="never"/></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="g1" sourceRef="go" targetRef="wait"/>
  </bpmn:process>
  <bpmn:message id="m-paid" name="paid">
    <bpmn:extensionElements><zeebe:subscription correlationKey="=orderId"/></bpmn:extensionElements>
  </bpmn:message>
  <bpmn:message id="m-go" name="go"/>
</bpmn:definitions>"""

FORM = json.dumps({"id": "order-form", "type": "default", "components": []}).encode()

ENGINE_OPS = {
    "createDeployment",
    "searchProcessDefinitions",
    "getProcessDefinition",
    "getProcessDefinitionXML",
    "getStartProcessForm",
    "getFormByKey",
    "createProcessInstance",
    "getProcessInstance",
    "searchProcessInstances",
    "cancelProcessInstance",
    "getProcessInstanceCallHierarchy",
    "searchElementInstances",
    "getElementInstance",
    "createElementInstanceVariables",
    "searchVariables",
    "getVariable",
    "searchUserTasks",
    "getUserTask",
    "getUserTaskForm",
    "searchUserTaskVariables",
    "searchUserTaskEffectiveVariables",
    "assignUserTask",
    "unassignUserTask",
    "updateUserTask",
    "completeUserTask",
    "activateJobs",
    "updateJob",
    "failJob",
    "throwJobError",
    "completeJob",
    "searchJobs",
    "searchIncidents",
    "getIncident",
    "searchProcessInstanceIncidents",
    "searchElementInstanceIncidents",
    "resolveIncident",
    "searchMessageSubscriptions",
    "publishMessage",
    "correlateMessage",
    "searchCorrelatedMessageSubscriptions",
    "broadcastSignal",
}


@pytest.fixture(scope="module")
def answers() -> Iterator[dict[str, httpx.Response]]:
    got: dict[str, httpx.Response] = {}
    with DevCluster(indexing_lag_ms=0) as cluster, httpx.Client(base_url=cluster.api_url) as http:

        def call(op_id: str, path: str, body: Any = None, **kw: Any) -> Any:
            answer = http.request(OPERATIONS[op_id].method, path, json=body, **kw)
            got[op_id] = answer
            assert answer.status_code < 300, (op_id, answer.text)
            return (
                answer.json()
                if answer.content and "json" in answer.headers.get("content-type", "")
                else None
            )

        files = [
            ("resources", ("shapes.bpmn", SHAPES_BPMN, "application/xml")),
            ("resources", ("order.form", FORM, "application/json")),
        ]
        got["createDeployment"] = http.post("/deployments", files=files)
        deployed = got["createDeployment"].json()
        pdk = deployed["deployments"][0]["processDefinition"]["processDefinitionKey"]
        form_key = deployed["deployments"][2]["form"]["formKey"]
        call("searchProcessDefinitions", "/process-definitions/search", {})
        call("getProcessDefinition", f"/process-definitions/{pdk}")
        call("getProcessDefinitionXML", f"/process-definitions/{pdk}/xml")
        call("getStartProcessForm", f"/process-definitions/{pdk}/form")
        call("getFormByKey", f"/forms/{form_key}")
        created = call(
            "createProcessInstance",
            "/process-instances",
            {"processDefinitionId": "shapes", "variables": {"orderId": "A-1"}, "tags": ["t"]},
        )
        pik = created["processInstanceKey"]
        call("getProcessInstance", f"/process-instances/{pik}")
        call("searchProcessInstances", "/process-instances/search", {"filter": {"state": "ACTIVE"}})
        call("getProcessInstanceCallHierarchy", f"/process-instances/{pik}/call-hierarchy")
        elements = call("searchElementInstances", "/element-instances/search", {})
        eik = elements["items"][-1]["elementInstanceKey"]
        call("getElementInstance", f"/element-instances/{eik}")
        call(
            "createElementInstanceVariables",
            f"/element-instances/{pik}/variables",
            {"variables": {"note": "x" * 10_000}},
        )
        variables = call("searchVariables", "/variables/search", {})
        call("getVariable", f"/variables/{variables['items'][0]['variableKey']}")
        tasks = call("searchUserTasks", "/user-tasks/search", {})
        utk = tasks["items"][0]["userTaskKey"]
        call("getUserTask", f"/user-tasks/{utk}")
        call("getUserTaskForm", f"/user-tasks/{utk}/form")
        http.put(
            f"/element-instances/{tasks['items'][0]['elementInstanceKey']}/variables",
            json={"variables": {"orderId": "local"}, "local": True},
        )
        call("searchUserTaskVariables", f"/user-tasks/{utk}/variables/search", {})
        call(
            "searchUserTaskEffectiveVariables",
            f"/user-tasks/{utk}/effective-variables/search?truncateValues=false",
            {},
        )
        call("assignUserTask", f"/user-tasks/{utk}/assignment", {"assignee": "demo"})
        call("unassignUserTask", f"/user-tasks/{utk}/assignee")
        call("updateUserTask", f"/user-tasks/{utk}", {"changeset": {"priority": 80}})
        call("completeUserTask", f"/user-tasks/{utk}/completion", {"variables": {"ok": True}})
        activation = {"type": "shape-work", "timeout": 60_000, "maxJobsToActivate": 5}
        jobs = call("activateJobs", "/jobs/activation", activation)["jobs"]
        job_key = jobs[0]["jobKey"]
        call("updateJob", f"/jobs/{job_key}", {"changeset": {"timeout": 30_000}})
        call("failJob", f"/jobs/{job_key}/failure", {"retries": 1, "errorMessage": "again"})
        http.post("/jobs/activation", json=activation)
        call("throwJobError", f"/jobs/{job_key}/error", {"errorCode": "uncaught"})
        incidents = call("searchIncidents", "/incidents/search", {})
        incident = incidents["items"][0]
        call("getIncident", f"/incidents/{incident['incidentKey']}")
        call("searchProcessInstanceIncidents", f"/process-instances/{pik}/incidents/search", {})
        call(
            "searchElementInstanceIncidents",
            f"/element-instances/{incident['elementInstanceKey']}/incidents/search",
            {},
        )
        call("resolveIncident", f"/incidents/{incident['incidentKey']}/resolution")
        [job] = http.post("/jobs/activation", json=activation).json()["jobs"]
        call("completeJob", f"/jobs/{job['jobKey']}/completion", {"variables": {"done": 1}})
        call("searchJobs", "/jobs/search", {})
        call("searchMessageSubscriptions", "/message-subscriptions/search", {})
        call(
            "publishMessage",
            "/messages/publication",
            {"name": "paid", "correlationKey": "A-1", "messageId": "p-1"},
        )
        call("correlateMessage", "/messages/correlation", {"name": "go"})
        call("searchCorrelatedMessageSubscriptions", "/correlated-message-subscriptions/search", {})
        call("broadcastSignal", "/signals/broadcast", {"signalName": "nobody-listens"})
        other = http.post("/process-instances", json={"processDefinitionId": "shapes"}).json()
        call(
            "cancelProcessInstance",
            f"/process-instances/{other['processInstanceKey']}/cancellation",
        )
        yield got


def test_every_engine_handler_is_exercised() -> None:
    identity_and_system = {c[0] for c in CALLS} | {
        "getAuthorization",
        "updateAuthorization",
        "deleteAuthorization",
    }
    assert set(load_handlers()) - identity_and_system == ENGINE_OPS


@pytest.mark.parametrize("op_id", sorted(ENGINE_OPS))
def test_engine_answer_matches_the_spec_schema_and_parses(
    answers: dict[str, httpx.Response], op_id: str
) -> None:
    answer = answers[op_id]
    assert 200 <= answer.status_code < 300, (op_id, answer.text)
    if op_id == "getProcessDefinitionXML":
        assert answer.headers["content-type"].startswith("text/xml")
        assert b'id="shapes"' in answer.content
        return
    schema = response_schema(op_id, answer.status_code)
    if schema is None or answer.status_code == 204:
        assert answer.content == b""
        return
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert violations(body, schema) == []
    parsed = parse(OPERATIONS[op_id].result, body)
    assert parsed is not None


def test_the_scenario_ran_as_a_cluster_would(answers: dict[str, httpx.Response]) -> None:
    variables = answers["searchVariables"].json()["items"]
    note = next(v for v in variables if v["name"] == "note")
    assert note["isTruncated"] is True and len(note["value"]) == 8191
    assert answers["getStartProcessForm"].json()["formId"] == "order-form"
    correlated = answers["searchCorrelatedMessageSubscriptions"].json()["items"]
    assert {c["messageName"] for c in correlated} == {"paid", "go"}
    visible = answers["searchUserTaskVariables"].json()["items"]
    assert sorted(v["value"] for v in visible if v["name"] == "orderId") == ['"A-1"', '"local"']
    effective = answers["searchUserTaskEffectiveVariables"].json()["items"]
    assert [v["value"] for v in effective if v["name"] == "orderId"] == ['"local"']
    note = next(v for v in effective if v["name"] == "note")
    assert note["isTruncated"] is False and len(note["value"]) == 10_002
    [entry] = answers["getProcessInstanceCallHierarchy"].json()
    assert entry["processDefinitionName"] == "Shapes"


def test_engine_refusals_are_problem_details() -> None:
    schema = {"$ref": "#/components/schemas/ProblemDetail"}
    with DevCluster(indexing_lag_ms=0) as cluster, httpx.Client(base_url=cluster.api_url) as http:
        bad = http.post(
            "/deployments",
            files=[("resources", ("broken.bpmn", b"<definitions", "application/xml"))],
        )
        assert bad.status_code == 400 and "broken.bpmn" in bad.json()["detail"]
        missing = http.post("/process-instances", json={"processDefinitionId": "nope"})
        assert missing.status_code == 404 and "nope" in missing.json()["detail"]
        gone = http.post("/jobs/2251799813685249/completion", json={})
        assert gone.status_code == 404
        http.post("/deployments", files=[("resources", ("s.bpmn", SHAPES_BPMN, "text/xml"))])
        message = {"name": "paid", "correlationKey": "k", "messageId": "once", "timeToLive": 9000}
        assert http.post("/messages/publication", json=message).status_code == 200
        duplicate = http.post("/messages/publication", json=message)
        assert duplicate.status_code == 409
        for answer in (bad, missing, gone, duplicate):
            assert violations(answer.json(), schema) == []
