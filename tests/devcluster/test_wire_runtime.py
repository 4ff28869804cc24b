"""The wiring's own behaviour: long polls, the clock's tick, reset, export, inspect."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from camunda_sdk.devcluster import DevCluster

ORDER_BPMN = (Path(__file__).resolve().parents[2] / "examples" / "order.bpmn").read_bytes()
TIMER_BPMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
    targetNamespace="x">
  <bpmn:process id="short-timer" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:intermediateCatchEvent id="wait">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT0.3S</bpmn:timeDuration>
      </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="s1" sourceRef="start" targetRef="wait"/>
    <bpmn:sequenceFlow id="s2" sourceRef="wait" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>"""
POLL = {"type": "charge-card", "timeout": 30_000, "maxJobsToActivate": 10}


@pytest.fixture
def cluster() -> Iterator[DevCluster]:
    with DevCluster(indexing_lag_ms=0) as running:
        yield running


@pytest.fixture
def http(cluster: DevCluster) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=cluster.api_url, timeout=30) as client:
        yield client


def deploy(http: httpx.Client, name: str, content: bytes) -> None:
    answer = http.post("/deployments", files=[("resources", (name, content, "text/xml"))])
    assert answer.status_code == 200, answer.text


def start(http: httpx.Client, process_id: str) -> str:
    answer = http.post("/process-instances", json={"processDefinitionId": process_id})
    assert answer.status_code == 200, answer.text
    return answer.json()["processInstanceKey"]


def in_thread(fn: object) -> tuple[threading.Thread, list[object]]:
    out: list[object] = []
    thread = threading.Thread(target=lambda: out.append(fn()))  # type: ignore[operator]
    thread.start()
    return thread, out


def test_a_long_poll_answers_as_soon_as_a_job_exists_and_blocks_nobody(
    cluster: DevCluster, http: httpx.Client
) -> None:
    deploy(http, "order.bpmn", ORDER_BPMN)
    began = time.monotonic()
    poll = {**POLL, "requestTimeout": 10_000}
    thread, out = in_thread(lambda: httpx.post(cluster.api_url + "/jobs/activation", json=poll))
    time.sleep(0.2)
    assert http.get("/topology").status_code == 200  # the waiting poll blocks nobody
    key = start(http, "order-process")
    thread.join(5)
    [answer] = out
    assert isinstance(answer, httpx.Response)
    [job] = answer.json()["jobs"]
    assert job["processInstanceKey"] == key
    assert time.monotonic() - began < 2


def test_a_long_poll_ends_empty_at_its_request_timeout(http: httpx.Client) -> None:
    began = time.monotonic()
    answer = http.post("/jobs/activation", json={**POLL, "requestTimeout": 300})
    assert answer.json() == {"jobs": []}
    assert 0.25 < time.monotonic() - began < 2
    began = time.monotonic()
    assert http.post("/jobs/activation", json={**POLL, "requestTimeout": -1}).json() == {"jobs": []}
    assert time.monotonic() - began < 0.25


def test_a_reset_wakes_the_long_polls_of_the_old_cluster(cluster: DevCluster) -> None:
    poll = {**POLL, "requestTimeout": 10_000}
    thread, out = in_thread(lambda: httpx.post(cluster.api_url + "/jobs/activation", json=poll))
    time.sleep(0.2)
    began = time.monotonic()
    cluster.reset()
    thread.join(5)
    [answer] = out
    assert isinstance(answer, httpx.Response) and answer.json() == {"jobs": []}
    assert time.monotonic() - began < 1


def test_timers_fire_by_the_clock_without_any_request(
    cluster: DevCluster, http: httpx.Client
) -> None:
    deploy(http, "timer.bpmn", TIMER_BPMN)
    key = start(http, "short-timer")
    time.sleep(0.6)  # no request meanwhile: the background tick fires the timer
    assert cluster.inspect(key)[-1] == ("end", "END_EVENT", "COMPLETED")
    assert http.get(f"/process-instances/{key}").json()["state"] == "COMPLETED"


def test_inspect_tells_what_an_instance_did(cluster: DevCluster, http: httpx.Client) -> None:
    deploy(http, "order.bpmn", ORDER_BPMN)
    key = start(http, "order-process")
    [job] = http.post("/jobs/activation", json=POLL).json()["jobs"]
    http.post(f"/jobs/{job['jobKey']}/completion", json={"variables": {"charged": True}})
    assert cluster.inspect(key) == [
        ("order-received", "START_EVENT", "COMPLETED"),
        ("charge-card", "SERVICE_TASK", "COMPLETED"),
        ("order-done", "END_EVENT", "COMPLETED"),
    ]


def test_every_change_of_a_command_is_exported(cluster: DevCluster, http: httpx.Client) -> None:
    deploy(http, "order.bpmn", ORDER_BPMN)
    key = start(http, "order-process")
    [job] = http.post("/jobs/activation", json={**POLL, "worker": "w1"}).json()["jobs"]
    jobs = http.post("/jobs/search", json={"filter": {"processInstanceKey": key}}).json()
    [found] = jobs["items"]
    assert found["worker"] == "w1" and found["state"] == "CREATED" and found["deadline"]
    http.post(f"/jobs/{job['jobKey']}/completion", json={"variables": {"charged": True}})
    [done] = http.post("/jobs/search", json={"filter": {"jobKey": job["jobKey"]}}).json()["items"]
    assert done["state"] == "COMPLETED" and done["endTime"]
    elements = http.post("/element-instances/search", json={"filter": {"processInstanceKey": key}})
    assert [e["state"] for e in elements.json()["items"]] == ["COMPLETED"] * 3
    variables = http.post("/variables/search", json={"filter": {"name": "charged"}}).json()
    assert [v["value"] for v in variables["items"]] == ["true"]
    assert cluster.context.index.pending == 0
