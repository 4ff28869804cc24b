"""Deployments: versions, forms, and the loud refusal of everything the engine cannot run."""

from __future__ import annotations

import json

import pytest
from engine_testkit import END, START, bpmn, chain, engine, service

from camunda_sdk.devcluster.engine import DeploymentRejected, Engine

__all__ = ["engine"]

SIMPLE = START + END + chain("start", "end")


def rejected(engine: Engine, body: str, extra: str = "") -> DeploymentRejected:
    with pytest.raises(DeploymentRejected) as caught:
        engine.deploy([("bad.bpmn", bpmn(body, extra=extra))])
    assert not engine.process_definitions, "a refused deployment must leave nothing behind"
    return caught.value


def test_deploy_several_files_and_processes_and_versions(engine: Engine):
    two = bpmn(SIMPLE, "a").replace(
        b"</bpmn:definitions>",
        b"""
  <bpmn:process id="b" isExecutable="true"><bpmn:startEvent id="s"/></bpmn:process>
  <bpmn:process id="draft" isExecutable="false"/>
</bpmn:definitions>""",
    )
    record = engine.deploy([("ab.bpmn", two), ("c.bpmn", bpmn(SIMPLE, "c"))])
    assert [
        (p.process_definition_id, p.process_definition_version, p.resource_name)
        for p in record.processes
    ] == [("a", 1, "ab.bpmn"), ("b", 1, "ab.bpmn"), ("c", 1, "c.bpmn")]
    assert record.deployment_key in engine.deployments
    again = engine.deploy([("c.bpmn", bpmn(SIMPLE, "c"))])  # identical: no new version
    assert again.processes[0].process_definition_key == record.processes[2].process_definition_key
    changed = engine.deploy([("c.bpmn", bpmn(SIMPLE, "c", name="C"))])
    assert changed.processes[0].process_definition_version == 2
    definition = engine.process_definitions[changed.processes[0].process_definition_key]
    assert (definition.name, definition.tenant_id) == ("C", "<default>")
    assert "<bpmn:process" in engine.process_definition_xml(definition.process_definition_key)


def test_forms_are_deployed_and_linked_to_user_tasks(engine: Engine):
    form = json.dumps({"id": "approve-form", "components": []}).encode()
    task = (
        '<bpmn:userTask id="approve"><bpmn:extensionElements><zeebe:userTask/>'
        '<zeebe:formDefinition formId="approve-form"/></bpmn:extensionElements></bpmn:userTask>'
    )
    record = engine.deploy(
        [
            ("approve.form", form),
            ("p.bpmn", bpmn(START + task + END + chain("start", "approve", "end"))),
        ]
    )
    [deployed_form] = record.forms
    assert (deployed_form.form_id, deployed_form.version) == ("approve-form", 1)
    engine.create_process_instance(process_definition_id="p")
    [user_task] = engine.user_tasks.values()
    assert user_task.form_key == deployed_form.form_key
    assert engine.forms[deployed_form.form_key].schema == form.decode()


@pytest.mark.parametrize(
    ("body", "element", "words"),
    [
        (START + '<bpmn:complexGateway id="cx"/>' + chain("start", "cx"), "cx", "not supported"),
        (START + '<bpmn:serviceTask id="t"/>' + chain("start", "t"), "t", "zeebe:taskDefinition"),
        (START + service("t", "=a +") + chain("start", "t"), "t", "invalid FEEL"),
        (START + '<bpmn:sequenceFlow id="f" sourceRef="start" targetRef="ghost"/>', "f", "ghost"),
        (START + '<bpmn:userTask id="u"/>' + chain("start", "u"), "u", "zeebe:userTask"),
        (
            START + '<bpmn:subProcess id="e" triggeredByEvent="true"><bpmn:startEvent id="s"/>'
            "</bpmn:subProcess>",
            "e",
            "event sub-process needs",
        ),
        (
            START
            + '<bpmn:serviceTask id="t"><bpmn:extensionElements><zeebe:taskDefinition type="x"/>'
            "<zeebe:executionListeners/></bpmn:extensionElements></bpmn:serviceTask>",
            "t",
            "executionListeners",
        ),
        (
            START + '<bpmn:intermediateThrowEvent id="s">'
            "<bpmn:signalEventDefinition/></bpmn:intermediateThrowEvent>",
            "s",
            "not supported",
        ),
        (
            START + '<bpmn:intermediateCatchEvent id="c">'
            "<bpmn:escalationEventDefinition/></bpmn:intermediateCatchEvent>",
            "c",
            "escalation",
        ),
        (
            START
            + '<bpmn:task id="t"/>'
            + chain("start", "t")
            .replace("/>", ">")
            .replace(
                ">",
                "><bpmn:conditionExpression>=true</bpmn:conditionExpression></bpmn:sequenceFlow>",
                1,
            ),
            None,
            "conditional sequence flows",
        ),
        (
            START + '<bpmn:boundaryEvent id="b" attachedToRef="start"><bpmn:timerEventDefinition>'
            "<bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>",
            "b",
            "attachedToRef",
        ),
        (
            START + '<bpmn:intermediateCatchEvent id="c">'
            "<bpmn:timerEventDefinition><bpmn:timeDuration>soon"
            "</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>",
            "c",
            "ISO 8601",
        ),
        (START + '<bpmn:receiveTask id="r" messageRef="m"/>', "r", "correlation key"),
        (
            START
            + '<bpmn:exclusiveGateway id="g"/><bpmn:endEvent id="a"/><bpmn:endEvent id="b"/>'
            + chain("start", "g")
            + '<bpmn:sequenceFlow id="ga" sourceRef="g" targetRef="a"/>'
            '<bpmn:sequenceFlow id="gb" sourceRef="g" targetRef="b"/>',
            "ga",
            "needs a condition",
        ),
        (START + '<bpmn:startEvent id="start2"/>', "p", "at most one none start event"),
    ],
)
def test_unsupported_or_broken_models_are_refused_naming_the_element(
    engine: Engine, body, element, words
):
    error = rejected(engine, body, extra='<bpmn:message id="m" name="m"/>')
    assert error.resource_name == "bad.bpmn"
    if element is not None:
        assert error.element_id == element
    assert words in str(error)


def test_malformed_and_unsafe_xml_and_other_resources_are_refused(engine: Engine):
    with pytest.raises(DeploymentRejected, match="malformed"):
        engine.deploy([("x.bpmn", b"<bpmn:definitions")])
    bomb = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><d>&a;</d>'
    with pytest.raises(DeploymentRejected, match="forbidden"):
        engine.deploy([("x.bpmn", bomb)])
    with pytest.raises(DeploymentRejected, match="DMN"):
        engine.deploy([("x.dmn", b"<definitions/>")])
    with pytest.raises(DeploymentRejected, match="no executable process"):
        engine.deploy([("x.bpmn", bpmn(SIMPLE).replace(b'isExecutable="true"', b""))])
    with pytest.raises(DeploymentRejected, match="not valid JSON"):
        engine.deploy([("x.form", b"{")])


def test_a_bad_file_refuses_the_whole_deployment(engine: Engine):
    with pytest.raises(DeploymentRejected):
        engine.deploy([("good.bpmn", bpmn(SIMPLE, "good")), ("bad.bpmn", b"<oops")])
    assert engine.process_definitions == {} and engine.deployments == {}


def test_foreign_namespaces_are_ignored_as_zeebe_ignores_them(engine: Engine):
    body = (
        START.replace(
            "/>", ' xmlns:modeler="http://camunda.org/schema/modeler/1.0" modeler:x="1"/>'
        )
        + END
        + chain("start", "end")
    )
    record = engine.deploy([("p.bpmn", bpmn(body))])
    assert record.processes
