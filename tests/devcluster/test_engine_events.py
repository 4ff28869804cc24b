"""Messages, timers and signals: catch events, boundaries, gateways and start events."""

from __future__ import annotations

import pytest
from engine_testkit import (
    END,
    START,
    chain,
    deploy,
    engine,
    flow,
    history,
    message,
    service,
    start,
    state,
    work,
)

from camunda_sdk.devcluster.engine import Conflict, Engine, NotFound

__all__ = ["engine"]

PAID = message("m-paid", "paid", "=orderId")


def catch_message(event_id: str, ref: str = "m-paid") -> str:
    return (
        f'<bpmn:intermediateCatchEvent id="{event_id}">'
        f'<bpmn:messageEventDefinition messageRef="{ref}"/></bpmn:intermediateCatchEvent>'
    )


def timer(kind: str, value: str) -> str:
    return (
        f"<bpmn:timerEventDefinition><bpmn:{kind}>{value}</bpmn:{kind}></bpmn:timerEventDefinition>"
    )


def catch_timer(event_id: str, kind: str, value: str) -> str:
    return (
        f'<bpmn:intermediateCatchEvent id="{event_id}">{timer(kind, value)}'
        "</bpmn:intermediateCatchEvent>"
    )


def boundary(boundary_id: str, attached: str, definition: str, interrupting: bool = True) -> str:
    cancel = "" if interrupting else ' cancelActivity="false"'
    return (
        f'<bpmn:boundaryEvent id="{boundary_id}" attachedToRef="{attached}"{cancel}>'
        f"{definition}</bpmn:boundaryEvent>"
    )


def task_with_boundary(
    boundary_id: str,
    definition: str,
    then: str,
    *,
    via: str | None = None,
    interrupting: bool = True,
) -> str:
    """start -> service task `t` -> end, with a boundary event on `t` leading (through the
    service task `via`, if given) to the end event `then`."""
    path = [boundary_id, *([via] if via else []), then]
    return (
        START
        + service("t", "t")
        + boundary(boundary_id, "t", definition, interrupting)
        + (service(via, via) if via else "")
        + END
        + f'<bpmn:endEvent id="{then}"/>'
        + chain("start", "t", "end")
        + chain(*path)
    )


# ----------------------------------------------------------------- messages


def test_a_message_is_correlated_to_the_waiting_catch_event_by_name_and_key(engine: Engine):
    deploy(engine, START + catch_message("wait") + END + chain("start", "wait", "end"), extra=PAID)
    first = start(engine, orderId="o-1")
    second = start(engine, orderId="o-2")
    [subscription] = [
        s for s in engine.message_subscriptions.values() if s.correlation_key == "o-2"
    ]
    assert (subscription.message_name, subscription.message_subscription_state) == (
        "paid",
        "CREATED",
    )
    engine.publish_message("paid", "o-2", 0, variables={"amount": 10})
    assert state(engine, second) == "COMPLETED" and state(engine, first) == "ACTIVE"
    assert engine.variables_of(second)["amount"] == 10
    assert subscription.message_subscription_state == "CORRELATED"
    [correlated] = engine.correlated_messages.values()
    assert (correlated.process_instance_key, correlated.element_id) == (second, "wait")


def test_a_buffered_message_is_correlated_when_the_subscription_opens(engine: Engine):
    deploy(
        engine,
        START
        + service("before", "before")
        + catch_message("wait")
        + END
        + chain("start", "before", "wait", "end"),
        extra=PAID,
    )
    engine.publish_message("paid", "o-1", 60_000, variables={"early": True})
    key = start(engine, orderId="o-1")
    work(engine, "before")
    assert state(engine, key) == "COMPLETED"
    assert engine.variables_of(key)["early"] is True


def test_a_message_past_its_time_to_live_is_not_correlated(engine: Engine):
    deploy(engine, START + catch_message("wait") + END + chain("start", "wait", "end"), extra=PAID)
    engine.publish_message("paid", "o-1", 1_000)
    engine.clock.pin(engine.clock.now() + 1_000)
    key = start(engine, orderId="o-1")
    assert state(engine, key) == "ACTIVE"


def test_a_duplicate_message_id_is_refused_while_buffered(engine: Engine):
    engine.publish_message("paid", "o-1", 10_000, message_id="m1")
    with pytest.raises(Conflict, match="already published"):
        engine.publish_message("paid", "o-1", 10_000, message_id="m1")
    engine.publish_message("paid", "o-2", 10_000, message_id="m1")  # another key: fine
    engine.clock.pin(engine.clock.now() + 10_000)
    engine.publish_message("paid", "o-1", 10_000, message_id="m1")  # expired: fine again


def test_a_message_is_correlated_once_per_process(engine: Engine):
    deploy(engine, START + catch_message("wait") + END + chain("start", "wait", "end"), extra=PAID)
    first = start(engine, orderId="same")
    second = start(engine, orderId="same")
    engine.publish_message("paid", "same", 60_000)
    states = sorted([state(engine, first), state(engine, second)])
    assert states == ["ACTIVE", "COMPLETED"]
    third = start(engine, orderId="same")
    assert state(engine, third) == "ACTIVE"  # the buffered message already went to this process


def test_receive_task_waits_for_its_message(engine: Engine):
    body = (
        START
        + '<bpmn:receiveTask id="recv" messageRef="m-paid"/>'
        + END
        + chain("start", "recv", "end")
    )
    deploy(engine, body, extra=PAID)
    key = start(engine, orderId=42)  # a number key is correlated as its text
    engine.publish_message("paid", "42", 0)
    assert state(engine, key) == "COMPLETED"
    assert engine.inspect(key)[1] == ("recv", "RECEIVE_TASK", "COMPLETED")


def test_correlate_message_answers_the_instance_or_not_found(engine: Engine):
    deploy(engine, START + catch_message("wait") + END + chain("start", "wait", "end"), extra=PAID)
    with pytest.raises(NotFound):
        engine.correlate_message("paid", "o-1")
    key = start(engine, orderId="o-1")
    result = engine.correlate_message("paid", "o-1", {"x": 1})
    assert result.process_instance_key == key
    assert state(engine, key) == "COMPLETED"


def test_message_start_event_starts_an_instance_with_the_message_variables(engine: Engine):
    body = (
        '<bpmn:startEvent id="start">'
        '<bpmn:messageEventDefinition messageRef="m-go"/></bpmn:startEvent>'
        + END
        + chain("start", "end")
    )
    deploy(engine, body, extra=message("m-go", "go"))
    [subscription] = engine.message_subscriptions.values()
    assert subscription.message_subscription_type == "START_EVENT"
    engine.publish_message("go", "", 0, variables={"v": 1})
    [instance] = engine.process_instances.values()
    assert instance.state == "COMPLETED"
    assert engine.variables_of(instance.process_instance_key) == {"v": 1}


def test_message_start_allows_one_active_instance_per_correlation_key(engine: Engine):
    body = (
        '<bpmn:startEvent id="start">'
        '<bpmn:messageEventDefinition messageRef="m-go"/></bpmn:startEvent>'
        + service("t", "t")
        + END
        + chain("start", "t", "end")
    )
    deploy(engine, body, extra=message("m-go", "go"))
    engine.publish_message("go", "k", 60_000)
    engine.publish_message("go", "k", 60_000)
    assert len(engine.process_instances) == 1
    work(engine, "t")  # the first ends: the buffered second message starts the next
    assert len(engine.process_instances) == 2


def test_interrupting_message_boundary_cancels_the_task(engine: Engine):
    body = task_with_boundary(
        "cancelled", '<bpmn:messageEventDefinition messageRef="m-paid"/>', "stopped"
    )
    deploy(engine, body, extra=PAID)
    key = start(engine, orderId="o")
    engine.publish_message("paid", "o", 0)
    assert history(engine, key) == [
        ("start", "COMPLETED"),
        ("t", "TERMINATED"),
        ("cancelled", "COMPLETED"),
        ("stopped", "COMPLETED"),
    ]


def test_non_interrupting_message_boundary_keeps_the_task(engine: Engine):
    body = task_with_boundary(
        "note",
        '<bpmn:messageEventDefinition messageRef="m-paid"/>',
        "noted",
        via="notify",
        interrupting=False,
    )
    deploy(engine, body, extra=PAID)
    key = start(engine, orderId="o")
    engine.publish_message("paid", "o", 0)
    work(engine, "notify")
    assert ("t", "ACTIVE") in history(engine, key)
    work(engine, "t")
    assert state(engine, key) == "COMPLETED"


def test_event_based_gateway_takes_the_first_event(engine: Engine):
    body = (
        START
        + '<bpmn:eventBasedGateway id="gw"/>'
        + catch_message("paid")
        + catch_timer("late", "timeDuration", "PT1H")
        + END
        + '<bpmn:endEvent id="timeout"/>'
        + flow("start", "gw")
        + flow("gw", "paid")
        + flow("gw", "late")
        + chain("paid", "end")
        + chain("late", "timeout")
    )
    deploy(engine, body, extra=PAID)
    by_message = start(engine, orderId="a")
    by_timer = start(engine, orderId="b")
    engine.publish_message("paid", "a", 0)
    assert history(engine, by_message)[-1] == ("end", "COMPLETED")
    engine.clock.pin(engine.clock.now() + 3_600_000)
    assert history(engine, by_timer)[-1] == ("timeout", "COMPLETED")
    assert ("paid", "ACTIVE") not in history(engine, by_timer)
    assert state(engine, by_message) == state(engine, by_timer) == "COMPLETED"
    late_instance = start(engine, orderId="c")
    engine.publish_message("paid", "a", 0)  # no one waits for "a" now
    assert state(engine, late_instance) == "ACTIVE"


# ----------------------------------------------------------------- timers


def test_intermediate_timer_fires_when_the_pinned_clock_passes_it(engine: Engine):
    deploy(
        engine,
        START + catch_timer("wait", "timeDuration", "P3D") + END + chain("start", "wait", "end"),
    )
    key = start(engine)
    engine.clock.pin(engine.clock.now() + 3 * 86_400_000 - 1)
    assert state(engine, key) == "ACTIVE"
    engine.clock.pin(engine.clock.now() + 1)
    assert state(engine, key) == "COMPLETED"


def test_timer_value_may_be_feel_or_a_date(engine: Engine):
    deploy(
        engine,
        START + catch_timer("wait", "timeDuration", "=delay") + END + chain("start", "wait", "end"),
    )
    key = start(engine, delay="PT5M")
    engine.clock.pin(engine.clock.now() + 300_000)
    assert state(engine, key) == "COMPLETED"
    deploy(
        engine,
        START
        + catch_timer("wait", "timeDate", "2030-01-01T00:00:00Z")
        + END
        + chain("start", "wait", "end"),
        "dated",
    )
    dated = start(engine, "dated")
    engine.clock.pin(1_893_456_000_000)
    assert state(engine, dated) == "COMPLETED"


def test_interrupting_timer_boundary(engine: Engine):
    body = task_with_boundary("late", timer("timeDuration", "PT10M"), "escalated")
    deploy(engine, body)
    key = start(engine)
    engine.clock.pin(engine.clock.now() + 600_000)
    assert history(engine, key)[-1] == ("escalated", "COMPLETED")
    assert ("t", "TERMINATED") in history(engine, key)
    assert engine.activate_jobs("t", 1, 1000, "w") == []


def test_non_interrupting_cycle_boundary_fires_its_repetitions(engine: Engine):
    body = task_with_boundary(
        "remind", timer("timeCycle", "R3/PT10S"), "pinged", via="ping", interrupting=False
    )
    deploy(engine, body)
    key = start(engine)
    for _ in range(5):
        engine.clock.pin(engine.clock.now() + 10_000)
    assert len(engine.activate_jobs("ping", 10, 1000, "w")) == 3
    assert state(engine, key) == "ACTIVE"


def test_timer_start_event_with_a_cycle(engine: Engine):
    body = (
        '<bpmn:startEvent id="start">'
        + timer("timeCycle", "R2/PT1M")
        + "</bpmn:startEvent>"
        + END
        + chain("start", "end")
    )
    deploy(engine, body)
    engine.clock.pin(engine.clock.now() + 60_000)
    assert len(engine.process_instances) == 1
    engine.clock.pin(engine.clock.now() + 60_000)
    engine.clock.pin(engine.clock.now() + 60_000)
    assert len(engine.process_instances) == 2


def test_timer_on_a_sub_process_terminates_everything_inside(engine: Engine):
    body = (
        START
        + '<bpmn:subProcess id="sub"><bpmn:startEvent id="s2"/>'
        + service("inner", "inner")
        + chain("s2", "inner")
        + "</bpmn:subProcess>"
        + boundary("late", "sub", timer("timeDuration", "PT1M"))
        + END
        + chain("start", "sub")
        + chain("late", "end")
    )
    deploy(engine, body)
    key = start(engine)
    engine.clock.pin(engine.clock.now() + 60_000)
    assert state(engine, key) == "COMPLETED"
    assert ("inner", "TERMINATED") in history(engine, key)


def test_a_timer_already_due_fires_at_once(engine: Engine):
    deploy(
        engine,
        START + catch_timer("wait", "timeDuration", "PT0S") + END + chain("start", "wait", "end"),
    )
    key = start(engine)
    assert state(engine, key) == "COMPLETED"
    assert engine.advance() == 0


# ----------------------------------------------------------------- signals


def test_signal_broadcast_reaches_every_catch_event_and_start_event(engine: Engine):
    signal = '<bpmn:signal id="s-alarm" name="alarm"/>'
    catch = (
        '<bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition signalRef="s-alarm"/>'
        "</bpmn:intermediateCatchEvent>"
    )
    deploy(engine, START + catch + END + chain("start", "wait", "end"), extra=signal)
    starter = (
        '<bpmn:startEvent id="start"><bpmn:signalEventDefinition signalRef="s-alarm"/>'
        "</bpmn:startEvent>"
    )
    deploy(engine, starter + END + chain("start", "end"), "on-alarm", extra=signal)
    first, second = start(engine), start(engine)
    record = engine.broadcast_signal("alarm", {"level": 3})
    assert record.signal_key in engine.signals
    assert state(engine, first) == state(engine, second) == "COMPLETED"
    assert engine.variables_of(first) == {"level": 3}
    started = [
        r for r in engine.process_instances.values() if r.process_definition_id == "on-alarm"
    ]
    assert len(started) == 1 and started[0].state == "COMPLETED"


def test_message_throw_event_and_message_end_event_are_jobs(engine: Engine):
    throw = (
        '<bpmn:intermediateThrowEvent id="notify">'
        '<bpmn:extensionElements><zeebe:taskDefinition type="send"/>'
        "</bpmn:extensionElements><bpmn:messageEventDefinition/></bpmn:intermediateThrowEvent>"
    )
    end = (
        '<bpmn:endEvent id="end"><bpmn:extensionElements><zeebe:taskDefinition type="send-end"/>'
        "</bpmn:extensionElements><bpmn:messageEventDefinition/></bpmn:endEvent>"
    )
    none_throw = '<bpmn:intermediateThrowEvent id="mark"/>'
    deploy(engine, START + none_throw + throw + end + chain("start", "mark", "notify", "end"))
    key = start(engine)
    work(engine, "send")
    work(engine, "send-end", {"sent": True})
    assert state(engine, key) == "COMPLETED"
    assert engine.variables_of(key) == {"sent": True}
    assert [t for _, t, _ in engine.inspect(key)][1:3] == ["INTERMEDIATE_THROW_EVENT"] * 2


def test_signal_boundary_interrupts_the_task(engine: Engine):
    signal = '<bpmn:signal id="s-stop" name="stop"/>'
    body = task_with_boundary(
        "stopped", '<bpmn:signalEventDefinition signalRef="s-stop"/>', "halted"
    )
    deploy(engine, body, extra=signal)
    key = start(engine)
    engine.broadcast_signal("stop")
    assert history(engine, key)[-1] == ("halted", "COMPLETED")


def test_a_clock_jump_fires_a_missed_cycle_once_not_a_backlog(engine: Engine):
    body = (
        START
        + service("t", "t")
        + boundary("tick", "t", timer("timeCycle", "R/PT1S"), False)
        + chain("start", "t")
    )
    deploy(engine, body)
    key = start(engine)
    engine.clock.pin(engine.clock.now() + 86_400_000)
    ticks = [e for e, s in history(engine, key) if e == "tick"]
    assert len(ticks) == 1


def test_message_start_event_deployed_later_takes_a_buffered_message(engine: Engine):
    engine.publish_message("go", "", 60_000, variables={"early": 1})
    body = (
        '<bpmn:startEvent id="start"><bpmn:messageEventDefinition messageRef="m-go"/>'
        "</bpmn:startEvent>" + END + chain("start", "end")
    )
    deploy(engine, body, extra=message("m-go", "go"))
    [instance] = engine.process_instances.values()
    assert engine.variables_of(instance.process_instance_key) == {"early": 1}


def test_timer_start_event_on_a_date(engine: Engine):
    body = (
        '<bpmn:startEvent id="start">'
        + timer("timeDate", "2030-01-01T00:00:00Z")
        + "</bpmn:startEvent>"
        + END
        + chain("start", "end")
    )
    deploy(engine, body)
    assert not engine.process_instances
    engine.clock.pin(1_893_456_000_000)
    engine.clock.pin(1_893_456_000_000 + 86_400_000)
    assert len(engine.process_instances) == 1


# ----------------------------------------------------------------- event sub-processes


def event_subprocess(esp_id: str, start_definition: str, interrupting: bool = True) -> str:
    flag = "" if interrupting else ' isInterrupting="false"'
    return (
        f'<bpmn:subProcess id="{esp_id}" triggeredByEvent="true">'
        f'<bpmn:startEvent id="{esp_id}-start"{flag}>{start_definition}</bpmn:startEvent>'
        + service(f"{esp_id}-work", f"{esp_id}-work")
        + f'<bpmn:endEvent id="{esp_id}-end"/>'
        + chain(f"{esp_id}-start", f"{esp_id}-work", f"{esp_id}-end")
        + "</bpmn:subProcess>"
    )


def test_interrupting_message_event_subprocess_replaces_the_main_flow(engine: Engine):
    cancel = message("m-cancel", "cancel", "=orderId")
    body = (
        START
        + service("t", "t")
        + END
        + chain("start", "t", "end")
        + event_subprocess("onCancel", '<bpmn:messageEventDefinition messageRef="m-cancel"/>')
    )
    deploy(engine, body, extra=cancel)
    key = start(engine, orderId="o")
    engine.publish_message("cancel", "o", 0, variables={"why": "customer"})
    assert ("t", "TERMINATED") in history(engine, key)
    assert engine.inspect(key)[2][:2] == ("onCancel", "EVENT_SUB_PROCESS")
    [job] = engine.activate_jobs("onCancel-work", 1, 1000, "w")
    assert job.variables["why"] == "customer"
    engine.complete_job(job.job_key)
    assert state(engine, key) == "COMPLETED"


def test_non_interrupting_timer_event_subprocess_runs_beside_the_main_flow(engine: Engine):
    body = (
        START
        + service("t", "t")
        + END
        + chain("start", "t", "end")
        + event_subprocess("remind", timer("timeDuration", "PT1H"), interrupting=False)
    )
    deploy(engine, body)
    key = start(engine)
    engine.clock.pin(engine.clock.now() + 3_600_000)
    work(engine, "remind-work")
    assert state(engine, key) == "ACTIVE"
    work(engine, "t")
    assert state(engine, key) == "COMPLETED"


def test_error_event_subprocess_inside_a_sub_process_catches_before_its_boundary(engine: Engine):
    errors = '<bpmn:error id="e" errorCode="BOOM"/>'
    inner = event_subprocess("handler", '<bpmn:errorEventDefinition errorRef="e"/>')
    body = (
        START
        + '<bpmn:subProcess id="sub"><bpmn:startEvent id="s2"/>'
        + service("inner", "inner")
        + '<bpmn:endEvent id="e2"/>'
        + chain("s2", "inner", "e2")
        + inner
        + "</bpmn:subProcess>"
        + '<bpmn:boundaryEvent id="outer" attachedToRef="sub"><bpmn:errorEventDefinition/>'
        "</bpmn:boundaryEvent>"
        + END
        + '<bpmn:endEvent id="outerEnd"/>'
        + chain("start", "sub", "end")
        + chain("outer", "outerEnd")
    )
    deploy(engine, body, extra=errors)
    key = start(engine)
    [job] = engine.activate_jobs("inner", 1, 1000, "w")
    engine.throw_job_error(job.job_key, "BOOM", variables={"code": 1})
    work(engine, "handler-work")
    assert state(engine, key) == "COMPLETED"
    assert ("outer", "COMPLETED") not in history(engine, key)
    assert history(engine, key)[-1] == ("end", "COMPLETED")


def test_a_pinned_clock_holds_for_feel_too(engine: Engine):
    # `now()` needs the real FEEL; with the test double this checks the clock is passed.
    from camunda_sdk.devcluster.engine import expressions

    seen = []

    class Probe:
        source = "probe"

        def evaluate(self, variables, *, now=None):
            seen.append(now)
            return "PT1M"

    body = (
        START + catch_timer("wait", "timeDuration", "=later") + END + chain("start", "wait", "end")
    )
    deploy(engine, body)
    model = next(iter(engine._models.values()))
    node = model.nodes["wait"]
    assert node.timer is not None
    probe = expressions.Property(expression=expressions.CompiledExpression("probe", Probe()))
    object.__setattr__(node.timer, "value", probe)
    start(engine)
    assert seen and seen[0].timestamp() * 1000 == engine.clock.now()
