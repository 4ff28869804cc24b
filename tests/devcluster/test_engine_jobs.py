"""Jobs: activation, timeouts, failures and retries, errors, incidents, refusals."""

from __future__ import annotations

import pytest
from engine_testkit import END, START, chain, deploy, engine, history, service, start, state, work

from camunda_sdk.devcluster.engine import (
    Conflict,
    Engine,
    InvalidArgument,
    NotFound,
)

__all__ = ["engine"]

ONE_TASK = START + service("task", "work", retries="2") + END + chain("start", "task", "end")


def error_boundary(boundary_id: str, attached: str, error_ref: str | None) -> str:
    ref = f' errorRef="{error_ref}"' if error_ref else ""
    return (
        f'<bpmn:boundaryEvent id="{boundary_id}" attachedToRef="{attached}">'
        f"<bpmn:errorEventDefinition{ref}/></bpmn:boundaryEvent>"
    )


def test_activation_takes_jobs_of_the_type_up_to_max_and_sets_a_deadline(engine: Engine):
    deploy(engine, ONE_TASK)
    keys = [start(engine, n=n) for n in range(3)]
    jobs = engine.activate_jobs("work", 2, 30_000, "w1")
    assert [job.process_instance_key for job in jobs] == keys[:2]
    assert jobs[0].deadline == engine.clock.now() + 30_000
    assert jobs[0].worker == "w1"
    assert engine.jobs[jobs[0].job_key].worker == "w1"
    assert len(engine.activate_jobs("work", 5, 30_000, "w2")) == 1
    assert engine.activate_jobs("work", 5, 30_000, "w2") == []
    assert engine.activate_jobs("other", 5, 30_000, "w2") == []


def test_fetch_variables_limits_what_a_worker_gets(engine: Engine):
    deploy(engine, ONE_TASK)
    start(engine, a=1, b=2, c=3)
    [job] = engine.activate_jobs("work", 1, 1000, "w", fetch_variables=["a", "c", "missing"])
    assert job.variables == {"a": 1, "c": 3}


def test_jobs_are_activated_only_for_the_requested_tenants(engine: Engine):
    from engine_testkit import bpmn

    engine.deploy([("p.bpmn", bpmn(ONE_TASK))], tenant_id="t1")
    record = engine.create_process_instance(process_definition_id="p", tenant_id="t1")
    assert record.tenant_id == "t1"
    assert engine.activate_jobs("work", 1, 1000, "w") == []
    [job] = engine.activate_jobs("work", 1, 1000, "w", tenant_ids=["t1"])
    assert job.tenant_id == "t1"


def test_a_timed_out_job_is_handed_out_again(engine: Engine):
    deploy(engine, ONE_TASK)
    start(engine)
    [job] = engine.activate_jobs("work", 1, 10_000, "slow")
    engine.clock.pin(engine.clock.now() + 9_999)
    assert engine.activate_jobs("work", 1, 10_000, "fast") == []
    engine.clock.pin(engine.clock.now() + 1)
    assert engine.jobs[job.job_key].state == "TIMED_OUT"
    [again] = engine.activate_jobs("work", 1, 10_000, "fast")
    assert again.job_key == job.job_key and again.worker == "fast"


def test_update_timeout_moves_the_deadline(engine: Engine):
    deploy(engine, ONE_TASK)
    start(engine)
    [job] = engine.activate_jobs("work", 1, 1_000, "w")
    engine.update_job(job.job_key, timeout_ms=60_000)
    engine.clock.pin(engine.clock.now() + 5_000)
    assert engine.activate_jobs("work", 1, 1_000, "w") == []
    assert engine.jobs[job.job_key].state == "TIMEOUT_UPDATED"


def test_fail_with_retries_left_hands_the_job_out_again_after_the_back_off(engine: Engine):
    deploy(engine, ONE_TASK)
    key = start(engine)
    [job] = engine.activate_jobs("work", 1, 1000, "w")
    engine.fail_job(job.job_key, 1, "flaky", retry_back_off_ms=5_000, variables={"attempt": 1})
    record = engine.jobs[job.job_key]
    assert (record.state, record.retries, record.error_message) == ("FAILED", 1, "flaky")
    assert engine.activate_jobs("work", 1, 1000, "w") == []
    engine.clock.pin(engine.clock.now() + 5_000)
    [again] = engine.activate_jobs("work", 1, 1000, "w")
    assert again.retries == 1
    assert again.variables["attempt"] == 1  # fail variables are local to the task
    engine.complete_job(again.job_key)
    assert state(engine, key) == "COMPLETED"
    assert "attempt" not in engine.variables_of(key)


def test_retries_exhausted_incident_update_retries_resolve_and_the_job_comes_back(engine: Engine):
    deploy(engine, ONE_TASK)
    key = start(engine)
    [job] = engine.activate_jobs("work", 1, 1000, "w")
    engine.fail_job(job.job_key, 0, "database down")
    [incident] = engine.incidents.values()
    assert incident.error_type == "JOB_NO_RETRIES"
    assert incident.error_message == "database down"
    assert incident.job_key == job.job_key and incident.element_id == "task"
    assert engine.process_instances[key].has_incident
    assert engine.activate_jobs("work", 1, 1000, "w") == []
    with pytest.raises(Conflict, match="update the job's retries first"):
        engine.resolve_incident(incident.incident_key)
    with pytest.raises(Conflict):
        engine.complete_job(job.job_key)
    engine.update_job(job.job_key, retries=3)
    assert engine.activate_jobs("work", 1, 1000, "w") == []  # still until resolved
    engine.resolve_incident(incident.incident_key)
    assert engine.incidents[incident.incident_key].state == "RESOLVED"
    assert not engine.process_instances[key].has_incident
    [again] = engine.activate_jobs("work", 1, 1000, "w")
    assert again.retries == 3
    engine.complete_job(again.job_key)
    assert state(engine, key) == "COMPLETED"
    with pytest.raises(NotFound):
        engine.resolve_incident(incident.incident_key)


def test_thrown_error_is_caught_by_the_boundary_with_its_code(engine: Engine):
    body = (
        START
        + service("pay", "pay")
        + error_boundary("declined", "pay", "err-declined")
        + error_boundary("any", "pay", None)
        + END
        + '<bpmn:endEvent id="handled"/><bpmn:endEvent id="other"/>'
        + chain("start", "pay", "end")
        + chain("declined", "handled")
        + chain("any", "other")
    )
    extra = '<bpmn:error id="err-declined" errorCode="DECLINED"/>'
    deploy(engine, body, extra=extra)
    key = start(engine)
    [job] = engine.activate_jobs("pay", 1, 1000, "w")
    engine.throw_job_error(job.job_key, "DECLINED", "card declined", variables={"reason": "card"})
    assert history(engine, key) == [
        ("start", "COMPLETED"),
        ("pay", "TERMINATED"),
        ("declined", "COMPLETED"),
        ("handled", "COMPLETED"),
    ]
    assert engine.jobs[job.job_key].state == "ERROR_THROWN"
    assert engine.variables_of(key) == {"reason": "card"}
    other = start(engine)
    [job] = engine.activate_jobs("pay", 1, 1000, "w")
    engine.throw_job_error(job.job_key, "SOMETHING_ELSE")
    assert history(engine, other)[-1] == ("other", "COMPLETED")


def caught_on_sub_process(inner: str) -> str:
    """start -> sub-process `sub` (its start event `s2`, then `inner`) -> end, with a boundary
    on `sub` catching error `e` and leading to the end event `recovered`."""
    return (
        START
        + '<bpmn:subProcess id="sub"><bpmn:startEvent id="s2"/>'
        + inner
        + "</bpmn:subProcess>"
        + error_boundary("caught", "sub", "e")
        + END
        + '<bpmn:endEvent id="recovered"/>'
        + chain("start", "sub", "end")
        + chain("caught", "recovered")
    )


def test_an_error_propagates_out_of_sub_processes_to_the_nearest_catch(engine: Engine):
    body = caught_on_sub_process(
        service("inner", "inner") + '<bpmn:endEvent id="e2"/>' + chain("s2", "inner", "e2")
    )
    deploy(engine, body, extra='<bpmn:error id="e" errorCode="BOOM"/>')
    key = start(engine)
    [job] = engine.activate_jobs("inner", 1, 1000, "w")
    engine.throw_job_error(job.job_key, "BOOM")
    assert ("sub", "TERMINATED") in history(engine, key)
    assert history(engine, key)[-1] == ("recovered", "COMPLETED")


def test_an_error_end_event_is_caught_on_its_sub_process(engine: Engine):
    body = caught_on_sub_process(
        '<bpmn:endEvent id="fail"><bpmn:errorEventDefinition errorRef="e"/></bpmn:endEvent>'
        + chain("s2", "fail")
    )
    deploy(engine, body, extra='<bpmn:error id="e" errorCode="BOOM"/>')
    key = start(engine)
    assert state(engine, key) == "COMPLETED"
    assert history(engine, key)[-1] == ("recovered", "COMPLETED")


def test_an_error_from_a_called_process_is_caught_in_the_caller(engine: Engine):
    from engine_testkit import bpmn

    engine.deploy(
        [("c.bpmn", bpmn(START + service("w", "cw") + END + chain("start", "w", "end"), "child"))]
    )
    parent = (
        START + '<bpmn:callActivity id="call"><bpmn:extensionElements>'
        '<zeebe:calledElement processId="child"/></bpmn:extensionElements></bpmn:callActivity>'
        + error_boundary("caught", "call", None)
        + END
        + '<bpmn:endEvent id="recovered"/>'
        + chain("start", "call", "end")
        + chain("caught", "recovered")
    )
    deploy(engine, parent, "parent")
    key = start(engine, "parent")
    [job] = engine.activate_jobs("cw", 1, 1000, "w")
    engine.throw_job_error(job.job_key, "ANY")
    assert history(engine, key)[-1] == ("recovered", "COMPLETED")
    assert state(engine, job.process_instance_key) == "TERMINATED"


def test_an_uncaught_error_raises_an_incident_and_resolving_re_enables_the_job(engine: Engine):
    deploy(engine, ONE_TASK)
    key = start(engine)
    [job] = engine.activate_jobs("work", 1, 1000, "w")
    engine.throw_job_error(job.job_key, "NOPE", "no handler")
    [incident] = engine.incidents.values()
    assert incident.error_type == "UNHANDLED_ERROR_EVENT"
    assert "NOPE" in incident.error_message and incident.job_key == job.job_key
    engine.resolve_incident(incident.incident_key)
    work(engine, "work")
    assert state(engine, key) == "COMPLETED"


def test_refused_operations_change_nothing(engine: Engine):
    deploy(engine, ONE_TASK)
    key = start(engine)
    [job] = engine.activate_jobs("work", 1, 1000, "w")
    before = (engine.jobs[job.job_key].state, dict(engine.variables), engine._next_key)
    with pytest.raises(InvalidArgument):
        engine.complete_job(job.job_key, {"bad": {1, 2}})  # not JSON
    with pytest.raises(InvalidArgument):
        engine.fail_job(job.job_key, -1)
    with pytest.raises(InvalidArgument):
        engine.update_job(job.job_key, retries=0)
    with pytest.raises(InvalidArgument):
        engine.throw_job_error(job.job_key, "")
    with pytest.raises(NotFound):
        engine.complete_job(123)
    assert (engine.jobs[job.job_key].state, dict(engine.variables), engine._next_key) == before
    engine.complete_job(job.job_key)
    with pytest.raises(NotFound, match="COMPLETED"):
        engine.complete_job(job.job_key)
    assert state(engine, key) == "COMPLETED"


def test_a_job_of_a_cancelled_instance_is_canceled(engine: Engine):
    deploy(engine, ONE_TASK)
    key = start(engine)
    [job] = engine.activate_jobs("work", 1, 1000, "w")
    engine.cancel_process_instance(key)
    assert state(engine, key) == "TERMINATED"
    assert history(engine, key)[-1] == ("task", "TERMINATED")
    assert engine.jobs[job.job_key].state == "CANCELED"
    with pytest.raises(NotFound):
        engine.complete_job(job.job_key)
    with pytest.raises(NotFound):
        engine.cancel_process_instance(key)


def test_keys_are_one_increasing_counter_from_zeebes_first_key(engine: Engine):
    from camunda_sdk.devcluster.engine import FIRST_KEY

    deployment = engine.deploy([("p.bpmn", __import__("engine_testkit").bpmn(ONE_TASK))])
    assert deployment.deployment_key == FIRST_KEY
    key = start(engine)
    [job] = engine.activate_jobs("work", 1, 1000, "w")
    assert FIRST_KEY < deployment.processes[0].process_definition_key < key < job.job_key


def test_await_completion_callback(engine: Engine):
    deploy(engine, ONE_TASK)
    key = start(engine)
    ended = []
    engine.on_instance_end(key, lambda record: ended.append(record.state))
    assert ended == []
    work(engine, "work")
    assert ended == ["COMPLETED"]
    engine.on_instance_end(key, lambda record: ended.append("again"))
    assert ended == ["COMPLETED", "again"]


def test_job_listeners_hear_of_new_jobs(engine: Engine):
    deploy(engine, ONE_TASK)
    heard = []
    remove = engine.add_job_listener(heard.append)
    start(engine)
    remove()
    start(engine)
    assert heard == ["work"]
