"""Tasks, gateways, sub-processes, call activities, multi-instance and variable scopes."""

from __future__ import annotations

from engine_testkit import (
    END,
    START,
    chain,
    deploy,
    engine,
    flow,
    history,
    service,
    start,
    state,
    work,
)

from camunda_sdk.devcluster.engine import Engine

__all__ = ["engine"]


def io(*mappings: tuple[str, str, str]) -> str:
    """zeebe:ioMapping from (input|output, source, target) triples."""
    parts = "".join(
        f'<zeebe:{kind} source="{source}" target="{target}"/>' for kind, source, target in mappings
    )
    return f"<zeebe:ioMapping>{parts}</zeebe:ioMapping>"


def test_send_script_and_business_rule_tasks_are_jobs_with_headers(engine: Engine):
    body = (
        START
        + '<bpmn:sendTask id="send"><bpmn:extensionElements><zeebe:taskDefinition type="mail"/>'
        '<zeebe:taskHeaders><zeebe:header key="template" value="welcome"/></zeebe:taskHeaders>'
        "</bpmn:extensionElements></bpmn:sendTask>"
        '<bpmn:scriptTask id="script"><bpmn:extensionElements><zeebe:taskDefinition type="js"/>'
        "</bpmn:extensionElements></bpmn:scriptTask>"
        '<bpmn:businessRuleTask id="rule"><bpmn:extensionElements>'
        '<zeebe:taskDefinition type="rules"/></bpmn:extensionElements></bpmn:businessRuleTask>'
        + END
        + chain("start", "send", "script", "rule", "end")
    )
    deploy(engine, body)
    key = start(engine)
    [job] = engine.activate_jobs("mail", 5, 1000, "w")
    assert job.custom_headers == {"template": "welcome"}
    assert job.retries == 3
    engine.complete_job(job.job_key)
    work(engine, "js")
    work(engine, "rules")
    assert state(engine, key) == "COMPLETED"
    types = [t for _, t, _ in engine.inspect(key)]
    assert types == ["START_EVENT", "SEND_TASK", "SCRIPT_TASK", "BUSINESS_RULE_TASK", "END_EVENT"]


def test_job_type_and_retries_may_be_feel(engine: Engine):
    deploy(
        engine,
        START + service("task", "=kind", retries="=tries") + END + chain("start", "task", "end"),
    )
    start(engine, kind="billing", tries=7)
    [job] = engine.activate_jobs("billing", 1, 1000, "w")
    assert job.retries == 7


def test_a_job_type_expression_that_is_not_a_string_raises_an_incident(engine: Engine):
    deploy(engine, START + service("task", "=kind") + END + chain("start", "task", "end"))
    key = start(engine)
    [incident] = engine.incidents.values()
    assert incident.error_type == "EXTRACT_VALUE_ERROR"
    assert incident.element_id == "task"
    assert engine.process_instances[key].has_incident
    engine.set_variables(key, {"kind": "late"})
    engine.resolve_incident(incident.incident_key)
    work(engine, "late")
    assert state(engine, key) == "COMPLETED"
    assert not engine.process_instances[key].has_incident


def test_zeebe_script_evaluates_feel_into_the_result_variable(engine: Engine):
    body = (
        START + '<bpmn:scriptTask id="calc"><bpmn:extensionElements>'
        '<zeebe:script expression="=a + b" resultVariable="sum"/></bpmn:extensionElements>'
        "</bpmn:scriptTask>" + END + chain("start", "calc", "end")
    )
    deploy(engine, body)
    key = start(engine, a=2, b=3)
    assert state(engine, key) == "COMPLETED"
    assert engine.variables_of(key)["sum"] == 5


def test_manual_and_undefined_tasks_pass_through(engine: Engine):
    body = (
        START
        + '<bpmn:manualTask id="m"/><bpmn:task id="t"/>'
        + END
        + chain("start", "m", "t", "end")
    )
    deploy(engine, body)
    key = start(engine)
    assert engine.inspect(key) == [
        ("start", "START_EVENT", "COMPLETED"),
        ("m", "MANUAL_TASK", "COMPLETED"),
        ("t", "TASK", "COMPLETED"),
        ("end", "END_EVENT", "COMPLETED"),
    ]


def _exclusive(default: bool = True) -> str:
    gateway = (
        '<bpmn:exclusiveGateway id="gw" default="gw-low"/>'
        if default
        else '<bpmn:exclusiveGateway id="gw"/>'
    )
    return (
        START
        + gateway
        + '<bpmn:endEvent id="high"/><bpmn:endEvent id="low"/>'
        + flow("start", "gw")
        + flow("gw", "high", "=amount &gt; 100", "gw-high")
        + (
            flow("gw", "low", flow_id="gw-low")
            if default
            else flow("gw", "low", "=amount &lt;= 100", "gw-low")
        )
    )


def test_exclusive_gateway_takes_the_first_true_condition_or_the_default(engine: Engine):
    deploy(engine, _exclusive())
    high = start(engine, amount=500)
    low = start(engine, amount=5)
    assert history(engine, high)[-1] == ("high", "COMPLETED")
    assert history(engine, low)[-1] == ("low", "COMPLETED")
    assert engine.inspect(high)[1][1] == "EXCLUSIVE_GATEWAY"


def test_exclusive_gateway_without_a_match_raises_an_incident_resolved_by_reevaluation(
    engine: Engine,
):
    deploy(engine, _exclusive(default=False))
    key = start(engine, amount="not a number")  # both comparisons are null: not boolean
    [incident] = engine.incidents.values()
    assert incident.error_type == "CONDITION_ERROR"
    assert "BOOLEAN" in incident.error_message
    assert history(engine, key)[-1] == ("gw", "ACTIVE")
    assert engine.element_instances[incident.element_instance_key].has_incident
    engine.set_variables(key, {"amount": 7})
    engine.resolve_incident(incident.incident_key)
    assert state(engine, key) == "COMPLETED"
    assert history(engine, key)[-1] == ("low", "COMPLETED")
    assert engine.incidents[incident.incident_key].state == "RESOLVED"


def test_exclusive_gateway_with_no_true_condition_and_no_default(engine: Engine):
    body = (
        START
        + '<bpmn:exclusiveGateway id="gw"/><bpmn:endEvent id="a"/><bpmn:endEvent id="b"/>'
        + flow("start", "gw")
        + flow("gw", "a", "=x = 1")
        + flow("gw", "b", "=x = 2")
    )
    deploy(engine, body)
    start(engine, x=3)
    [incident] = engine.incidents.values()
    assert incident.error_type == "CONDITION_ERROR"
    assert "at least one condition" in incident.error_message


def test_parallel_gateway_forks_and_joins(engine: Engine):
    body = (
        START
        + '<bpmn:parallelGateway id="fork"/><bpmn:parallelGateway id="join"/>'
        + service("a", "a")
        + service("b", "b")
        + END
        + chain("start", "fork")
        + flow("fork", "a")
        + flow("fork", "b")
        + flow("a", "join")
        + flow("b", "join")
        + chain("join", "end")
    )
    deploy(engine, body)
    key = start(engine)
    work(engine, "a")
    assert state(engine, key) == "ACTIVE"
    assert ("join", "COMPLETED") not in history(engine, key)
    work(engine, "b")
    assert state(engine, key) == "COMPLETED"
    assert history(engine, key).count(("join", "COMPLETED")) == 1
    assert history(engine, key).count(("end", "COMPLETED")) == 1


def _inclusive() -> str:
    return (
        START + '<bpmn:inclusiveGateway id="fork" default="fork-salad"/>'
        '<bpmn:inclusiveGateway id="join"/>'
        + service("pasta", "pasta")
        + service("steak", "steak")
        + service("salad", "salad")
        + END
        + flow("start", "fork")
        + flow("fork", "pasta", "=pasta", "fork-pasta")
        + flow("fork", "steak", "=steak", "fork-steak")
        + flow("fork", "salad", flow_id="fork-salad")
        + flow("pasta", "join")
        + flow("steak", "join")
        + flow("salad", "join")
        + flow("join", "end")
    )


def test_inclusive_gateway_forks_on_conditions_and_joins_the_tokens_that_can_arrive(engine: Engine):
    deploy(engine, _inclusive())
    key = start(engine, pasta=True, steak=True)
    assert {e for e, s in history(engine, key) if s == "ACTIVE"} == {"pasta", "steak"}
    work(engine, "pasta")
    assert state(engine, key) == "ACTIVE"  # steak can still reach the join
    work(engine, "steak")
    assert state(engine, key) == "COMPLETED"
    assert history(engine, key).count(("join", "COMPLETED")) == 1


def test_inclusive_gateway_with_one_branch_joins_at_once_and_default_applies(engine: Engine):
    deploy(engine, _inclusive())
    one = start(engine, pasta=True, steak=False)
    work(engine, "pasta")
    assert state(engine, one) == "COMPLETED"
    none = start(engine, pasta=False, steak=False)
    work(engine, "salad")
    assert state(engine, none) == "COMPLETED"


def test_terminate_end_event_ends_every_other_path(engine: Engine):
    body = (
        START
        + '<bpmn:parallelGateway id="fork"/>'
        + service("slow", "slow")
        + '<bpmn:endEvent id="stop"><bpmn:terminateEventDefinition/></bpmn:endEvent>'
        + chain("start", "fork")
        + flow("fork", "slow")
        + flow("fork", "stop")
    )
    deploy(engine, body)
    key = start(engine)
    assert state(engine, key) == "COMPLETED"
    assert ("slow", "TERMINATED") in history(engine, key)
    [job] = engine.jobs.values()
    assert job.state == "CANCELED"
    assert engine.activate_jobs("slow", 1, 1000, "w") == []


def test_embedded_subprocess_has_its_own_scope(engine: Engine):
    body = (
        START
        + '<bpmn:subProcess id="sub"><bpmn:extensionElements>'
        + io(("input", "=1", "local"), ("output", "=local + 1", "result"))
        + '</bpmn:extensionElements><bpmn:startEvent id="s2"/>'
        + service("inner", "inner")
        + '<bpmn:endEvent id="e2"/>'
        + chain("s2", "inner", "e2")
        + "</bpmn:subProcess>"
        + END
        + chain("start", "sub", "end")
    )
    deploy(engine, body)
    key = start(engine)
    [job] = engine.activate_jobs("inner", 1, 1000, "w")
    assert job.variables == {"local": 1}
    engine.complete_job(job.job_key, {"local": 10, "fromJob": True})
    assert state(engine, key) == "COMPLETED"
    # `local` existed in the sub-process scope: the job updated it there; `fromJob` went up.
    assert engine.variables_of(key) == {"fromJob": True, "result": 11}
    assert [t for _, t, _ in engine.inspect(key)][1] == "SUB_PROCESS"


def deploy_child_and_parent(
    engine: Engine, job_type: str, called: str, propagate: str, mapping: tuple[str, str, str]
) -> None:
    """Deploy `child` (one service task of `job_type`) and `parent`, whose call activity calls
    `called` with propagateAllChildVariables=`propagate` and one io `mapping`."""
    from engine_testkit import bpmn

    child = START + service("work", job_type) + END + chain("start", "work", "end")
    engine.deploy([("child.bpmn", bpmn(child, "child"))])
    parent = (
        START + '<bpmn:callActivity id="call"><bpmn:extensionElements>'
        f'<zeebe:calledElement processId="{called}" propagateAllChildVariables="{propagate}"/>'
        + io(mapping)
        + "</bpmn:extensionElements></bpmn:callActivity>"
        + END
        + chain("start", "call", "end")
    )
    deploy(engine, parent, "parent")


def test_call_activity_passes_variables_in_and_all_child_variables_out(engine: Engine):
    deploy_child_and_parent(
        engine, "child-work", "=childId", "true", ("input", "=order.id", "orderId")
    )
    key = start(engine, "parent", childId="child", order={"id": "A1"})
    [job] = engine.activate_jobs("child-work", 1, 1000, "w")
    assert job.variables["orderId"] == "A1"
    child_key = job.process_instance_key
    child_record = engine.process_instances[child_key]
    assert child_record.parent_process_instance_key == key
    assert child_record.root_process_instance_key == key
    engine.complete_job(job.job_key, {"shipped": True})
    assert state(engine, child_key) == "COMPLETED"
    assert state(engine, key) == "COMPLETED"
    assert engine.variables_of(key)["shipped"] is True


def test_call_activity_without_child_propagation_keeps_only_output_mappings(engine: Engine):
    deploy_child_and_parent(engine, "w2", "child", "false", ("output", "=a", "fromChild"))
    key = start(engine, "parent")
    work(engine, "w2", {"a": 1, "b": 2})
    assert engine.variables_of(key) == {"fromChild": 1}


def test_call_activity_to_an_undeployed_process_raises_an_incident(engine: Engine):
    from engine_testkit import bpmn

    parent = (
        START + '<bpmn:callActivity id="call"><bpmn:extensionElements>'
        '<zeebe:calledElement processId="later"/></bpmn:extensionElements></bpmn:callActivity>'
        + END
        + chain("start", "call", "end")
    )
    deploy(engine, parent, "parent")
    key = start(engine, "parent")
    [incident] = engine.incidents.values()
    assert incident.error_type == "CALLED_ELEMENT_ERROR"
    engine.deploy([("later.bpmn", bpmn(START + END + chain("start", "end"), "later"))])
    engine.resolve_incident(incident.incident_key)
    assert state(engine, key) == "COMPLETED"


def test_cancelling_a_parent_terminates_the_called_instance(engine: Engine):
    from engine_testkit import bpmn

    engine.deploy([("c.bpmn", bpmn(START + service("w", "cw") + chain("start", "w"), "child"))])
    parent = (
        START + '<bpmn:callActivity id="call"><bpmn:extensionElements>'
        '<zeebe:calledElement processId="child"/></bpmn:extensionElements></bpmn:callActivity>'
        + chain("start", "call")
    )
    deploy(engine, parent, "parent")
    key = start(engine, "parent")
    [child_key] = [
        k for k, r in engine.process_instances.items() if r.parent_process_instance_key == key
    ]
    import pytest

    from camunda_sdk.devcluster.engine import Conflict

    with pytest.raises(Conflict):
        engine.cancel_process_instance(child_key)
    engine.cancel_process_instance(key)
    assert state(engine, key) == "TERMINATED"
    assert state(engine, child_key) == "TERMINATED"
    assert all(j.state == "CANCELED" for j in engine.jobs.values())


def _multi(sequential: bool) -> str:
    seq = "true" if sequential else "false"
    return (
        START
        + '<bpmn:serviceTask id="each"><bpmn:extensionElements><zeebe:taskDefinition type="item"/>'
        "</bpmn:extensionElements>"
        f'<bpmn:multiInstanceLoopCharacteristics isSequential="{seq}"><bpmn:extensionElements>'
        '<zeebe:loopCharacteristics inputCollection="=items" inputElement="item" '
        'outputCollection="results" outputElement="=result"/>'
        "</bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics></bpmn:serviceTask>"
        + END
        + chain("start", "each", "end")
    )


def test_parallel_multi_instance_collects_outputs_in_input_order(engine: Engine):
    deploy(engine, _multi(sequential=False))
    key = start(engine, items=["a", "b", "c"])
    jobs = engine.activate_jobs("item", 10, 1000, "w")
    assert [j.variables["item"] for j in jobs] == ["a", "b", "c"]
    assert [j.variables["loopCounter"] for j in jobs] == [1, 2, 3]
    for job in reversed(jobs):
        engine.complete_job(job.job_key, {"result": job.variables["item"].upper()})
    assert state(engine, key) == "COMPLETED"
    variables = engine.variables_of(key)
    assert variables["results"] == ["A", "B", "C"]
    assert "result" not in variables and "item" not in variables
    assert engine.inspect(key)[1][1] == "MULTI_INSTANCE_BODY"


def test_sequential_multi_instance_runs_one_at_a_time(engine: Engine):
    deploy(engine, _multi(sequential=True))
    key = start(engine, items=[1, 2])
    [first] = engine.activate_jobs("item", 10, 1000, "w")
    assert first.variables["item"] == 1
    engine.complete_job(first.job_key, {"result": 10})
    [second] = engine.activate_jobs("item", 10, 1000, "w")
    assert second.variables["item"] == 2
    engine.complete_job(second.job_key, {"result": 20})
    assert engine.variables_of(key)["results"] == [10, 20]


def test_multi_instance_over_an_empty_collection_is_skipped(engine: Engine):
    deploy(engine, _multi(sequential=False))
    key = start(engine, items=[])
    assert state(engine, key) == "COMPLETED"
    assert engine.variables_of(key)["results"] == []


def test_multi_instance_input_that_is_not_a_list_raises_an_incident(engine: Engine):
    deploy(engine, _multi(sequential=False))
    start(engine, items="abc")
    [incident] = engine.incidents.values()
    assert incident.error_type == "EXTRACT_VALUE_ERROR"
    assert "ARRAY" in incident.error_message


def test_input_mappings_are_local_and_output_mappings_choose_what_propagates(engine: Engine):
    mappings = io(
        ("input", "=customer.name", "sender"),
        ("input", "=customer.iban", "account.iban"),
        ("input", "=customer.name", "account.owner"),
        ("output", "=status", "paymentStatus"),
        ("output", "=status", "order.status"),
    )
    deploy(engine, START + service("pay", "pay", mappings) + END + chain("start", "pay", "end"))
    key = start(engine, customer={"name": "Ada", "iban": "DE1"}, order={"id": 7})
    [job] = engine.activate_jobs("pay", 1, 1000, "w")
    assert job.variables["sender"] == "Ada"
    assert job.variables["account"] == {"iban": "DE1", "owner": "Ada"}
    engine.complete_job(job.job_key, {"status": "ok", "noise": 1})
    variables = engine.variables_of(key)
    assert variables["paymentStatus"] == "ok"
    assert variables["order"] == {"id": 7, "status": "ok"}  # the leaf merged, siblings kept
    assert "noise" not in variables and "sender" not in variables
    task_scope = engine.inspect(key)
    assert task_scope[1] == ("pay", "SERVICE_TASK", "COMPLETED")


def test_job_variables_propagate_to_the_nearest_scope_that_has_them(engine: Engine):
    body = (
        START
        + '<bpmn:subProcess id="sub"><bpmn:extensionElements>'
        + io(("input", "=0", "counter"))
        + '</bpmn:extensionElements><bpmn:startEvent id="s2"/>'
        + service("inner", "inner")
        + '<bpmn:endEvent id="e2"/>'
        + chain("s2", "inner", "e2")
        + "</bpmn:subProcess>"
        + service("after", "after")
        + END
        + chain("start", "sub", "after", "end")
    )
    deploy(engine, body)
    start(engine, total=1)
    work(engine, "inner", {"counter": 5, "total": 2, "fresh": "x"})
    [job] = engine.activate_jobs("after", 1, 1000, "w")
    assert job.variables == {"total": 2, "fresh": "x"}  # counter died with the sub-process
    sub_key = next(k for k, r in engine.element_instances.items() if r.element_id == "sub")
    counter = [v for v in engine.variables.values() if v.name == "counter"]
    assert [(v.scope_key, v.value) for v in counter] == [(sub_key, "5")]


def test_set_variables_local_and_propagating(engine: Engine):
    deploy(engine, START + service("t", "t") + END + chain("start", "t", "end"))
    key = start(engine, a=1)
    task_key = next(k for k, r in engine.element_instances.items() if r.element_id == "t")
    engine.set_variables(task_key, {"a": 2, "b": 3})  # a exists at the root; b lands there too
    engine.set_variables(task_key, {"c": 4}, local=True)
    assert engine.variables_of(key) == {"a": 2, "b": 3}
    assert engine.variables_of(task_key) == {"c": 4}


def test_start_instructions_start_at_the_named_element(engine: Engine):
    deploy(
        engine,
        START + service("a", "a") + service("b", "b") + END + chain("start", "a", "b", "end"),
    )
    record = engine.create_process_instance(
        process_definition_id="p", start_instructions=[{"elementId": "b"}]
    )
    assert history(engine, record.process_instance_key) == [("b", "ACTIVE")]


def test_versions_by_id_latest_or_given_and_by_key(engine: Engine):
    first = deploy(engine, START + END + chain("start", "end"))
    second = deploy(engine, START + service("t", "t") + END + chain("start", "t", "end"))
    assert first != second
    latest = engine.create_process_instance(process_definition_id="p")
    assert latest.process_definition_version == 2
    old = engine.create_process_instance(process_definition_id="p", version=1)
    assert old.process_definition_key == first and old.state == "COMPLETED"
    by_key = engine.create_process_instance(process_definition_key=first, tags=["t1"])
    assert by_key.tags == ["t1"]


def test_multi_instance_completion_condition_ends_the_loop_early(engine: Engine):
    body = (
        START
        + '<bpmn:serviceTask id="each"><bpmn:extensionElements><zeebe:taskDefinition type="bid"/>'
        "</bpmn:extensionElements>"
        "<bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements>"
        '<zeebe:loopCharacteristics inputCollection="=bidders" inputElement="bidder"/>'
        "</bpmn:extensionElements>"
        "<bpmn:completionCondition>=accepted</bpmn:completionCondition>"
        "</bpmn:multiInstanceLoopCharacteristics></bpmn:serviceTask>"
        + END
        + chain("start", "each", "end")
    )
    deploy(engine, body)
    key = start(engine, bidders=["a", "b", "c"], accepted=False)
    jobs = engine.activate_jobs("bid", 10, 1000, "w")
    engine.complete_job(jobs[0].job_key, {"accepted": True})
    assert state(engine, key) == "COMPLETED"
    assert history(engine, key).count(("each", "TERMINATED")) == 2


def test_an_output_mapping_that_fails_raises_an_incident_and_resolving_retries_it(
    engine: Engine,
):
    # A mapping that cannot be evaluated (a FEEL error) keeps the task active with an incident.
    from camunda_sdk.devcluster.engine import expressions

    class Failing:
        source = "explode()"

        def evaluate(self, variables, *, now=None):
            feel = expressions.feel_backend
            assert feel is not None
            if not variables.get("fixed"):
                raise feel.FeelEvaluationError("no such function explode()")
            return "ok"

    deploy(
        engine,
        START + service("t", "t", io(("output", "=x", "y"))) + END + chain("start", "t", "end"),
    )
    key = start(engine)
    model = next(iter(engine._models.values()))
    mapping = model.nodes["t"].outputs[0]
    object.__setattr__(mapping, "source", expressions.CompiledExpression("explode()", Failing()))
    work(engine, "t")
    [incident] = engine.incidents.values()
    assert incident.error_type == "IO_MAPPING_ERROR"
    assert history(engine, key)[1] == ("t", "ACTIVE")
    engine.set_variables(key, {"fixed": True})
    engine.resolve_incident(incident.incident_key)
    assert state(engine, key) == "COMPLETED"
    assert engine.variables_of(key)["y"] == "ok"


def test_the_debug_log_tells_what_happened_without_variable_values(engine: Engine, caplog):
    import logging

    deploy(engine, START + service("t", "t") + END + chain("start", "t", "end"))
    with caplog.at_level(logging.DEBUG, logger="camunda_sdk.devcluster"):
        key = start(engine, secret="hunter2")
        work(engine, "t", {"token": "s3cr3t"})
    text = caplog.text
    assert f"instance {key}" in text
    assert "SERVICE_TASK t entered" in text and "job" in text and "completed" in text
    assert "hunter2" not in text and "s3cr3t" not in text


def test_variables_of_an_ended_scope_are_still_readable(engine: Engine):
    deploy(
        engine,
        START + service("t", "t", io(("input", "=1", "local"))) + END + chain("start", "t", "end"),
    )
    key = start(engine, a=1)
    task_key = next(k for k, r in engine.element_instances.items() if r.element_id == "t")
    work(engine, "t", {"b": 2})
    assert engine.variables_of(key) == {"a": 1, "b": 2}
    assert engine.variables_of(task_key) == {"local": 1}
    assert engine.element_instances[task_key].end_date is not None
