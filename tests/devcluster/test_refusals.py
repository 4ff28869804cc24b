"""Bad deployments through the SDK's own client: a problem detail, nothing deployed.

Written as against a real cluster: deploy, expect the typed 400, then search (with
``consistency=``) and see that no process definition arrived, not even the good file
that came in the same deployment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from camunda_sdk import ConsistencyOptions
from camunda_sdk.devcluster import DevCluster
from camunda_sdk.errors import BadRequestError

ORDER = (Path(__file__).resolve().parents[2] / "examples" / "order.bpmn").read_bytes()
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"


def process(body: str) -> bytes:
    return (
        f'<bpmn:definitions xmlns:bpmn="{BPMN}" xmlns:zeebe="{ZEEBE}" id="d">'
        f'<bpmn:process id="bad" isExecutable="true">{body}</bpmn:process>'
        "</bpmn:definitions>"
    ).encode()


BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    b"<lolz>&lol2;</lolz>"
)
EXTERNAL = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>'
COMPLEX_GATEWAY = process('<bpmn:startEvent id="s"/><bpmn:complexGateway id="cg"/>')
BAD_FEEL = process(
    '<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g" default="f2"/>'
    '<bpmn:endEvent id="e"/>'
    '<bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="g"/>'
    '<bpmn:sequenceFlow id="f1" sourceRef="g" targetRef="e">'
    "<bpmn:conditionExpression>= amount &gt;&gt; 3</bpmn:conditionExpression>"
    "</bpmn:sequenceFlow>"
    '<bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="e"/>'
)


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("bomb.bpmn", BOMB, "bomb.bpmn"),
        ("external.bpmn", EXTERNAL, "external.bpmn"),
        ("broken.bpmn", b"<bpmn:definitions", "broken.bpmn"),
        ("complex.bpmn", COMPLEX_GATEWAY, "cg"),
        ("feel.bpmn", BAD_FEEL, "f1"),
    ],
)
def test_a_bad_file_is_a_400_naming_it_and_nothing_is_deployed(
    tmp_path: Path, name: str, content: bytes, words: str
) -> None:
    good, bad = tmp_path / "order.bpmn", tmp_path / name
    good.write_bytes(ORDER)
    bad.write_bytes(content)
    with DevCluster(indexing_lag_ms=0) as cluster, cluster.client() as client:
        with pytest.raises(BadRequestError) as refused:
            client.deploy_resources_from_files([good, bad])
        assert words in (refused.value.detail or "")
        # The cluster lives on and holds nothing of the refused deployment.
        assert client.get_topology().brokers
        found = client.search_process_definitions(
            consistency=ConsistencyOptions[Any](
                wait_up_to_ms=300, poll_interval_ms=20, predicate=lambda r: True
            )
        )
        assert found.items == []
        # A good deployment afterwards works as usual.
        deployed = client.deploy_resources_from_files([good])
        assert [p.process_definition_id for p in deployed.processes] == ["order-process"]
