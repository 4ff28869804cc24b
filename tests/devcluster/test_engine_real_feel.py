"""The engine with the real FEEL (skipped until `camunda_sdk.devcluster.feel` is merged)."""

from __future__ import annotations

import pytest
from engine_testkit import END, START, chain, deploy, engine, flow, history, service, start, state

from camunda_sdk.devcluster.engine import Engine

__all__ = ["engine"]

pytest.importorskip("camunda_sdk.devcluster.feel")


def test_conditions_use_feel_functions(engine: Engine):
    body = (
        START
        + '<bpmn:exclusiveGateway id="gw" default="gw-other"/>'
        + '<bpmn:endEvent id="pasta"/><bpmn:endEvent id="other"/>'
        + flow("start", "gw")
        + flow("gw", "pasta", '=list contains(courses, "pasta")', "gw-pasta")
        + flow("gw", "other", flow_id="gw-other")
    )
    deploy(engine, body)
    assert history(engine, start(engine, courses=["salad", "pasta"]))[-1] == ("pasta", "COMPLETED")
    assert history(engine, start(engine, courses=[]))[-1] == ("other", "COMPLETED")


def test_now_and_today_follow_the_pinned_clock(engine: Engine):
    mapping = (
        '<zeebe:ioMapping><zeebe:output source="=string(today())" target="day"/></zeebe:ioMapping>'
    )
    deploy(engine, START + service("t", "t", mapping) + END + chain("start", "t", "end"))
    key = start(engine)
    [job] = engine.activate_jobs("t", 1, 1000, "w")
    engine.complete_job(job.job_key)
    assert engine.variables_of(key)["day"] == "2023-11-14"  # the testkit's pinned day


def test_a_timer_date_computed_by_feel(engine: Engine):
    timer = (
        '<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
        '<bpmn:timeDate>=now() + duration("PT1H")</bpmn:timeDate>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    )
    deploy(engine, START + timer + END + chain("start", "wait", "end"))
    key = start(engine)
    engine.clock.pin(engine.clock.now() + 3_599_999)
    assert state(engine, key) == "ACTIVE"
    engine.clock.pin(engine.clock.now() + 1)
    assert state(engine, key) == "COMPLETED"
