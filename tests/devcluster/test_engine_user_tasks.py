"""User tasks: the attributes Camunda gives them, and assign, update and complete."""

from __future__ import annotations

import pytest
from engine_testkit import END, START, chain, deploy, engine, start, state

from camunda_sdk.devcluster.engine import Conflict, Engine, InvalidArgument

__all__ = ["engine"]

TASK = (
    '<bpmn:userTask id="review" name="Review"><bpmn:extensionElements><zeebe:userTask/>'
    '<zeebe:assignmentDefinition assignee="=owner" candidateGroups="sales, ops" '
    'candidateUsers="=reviewers"/>'
    '<zeebe:taskSchedule dueDate="2024-05-01T10:00:00Z" followUpDate="=followUp"/>'
    '<zeebe:priorityDefinition priority="80"/>'
    '<zeebe:taskHeaders><zeebe:header key="k" value="v"/></zeebe:taskHeaders>'
    "</bpmn:extensionElements></bpmn:userTask>"
)


def test_a_user_task_carries_its_attributes(engine: Engine):
    deploy(engine, START + TASK + END + chain("start", "review", "end"))
    start(engine, owner="ada", reviewers=["bob", "cy"], followUp="2024-04-01T09:00:00+02:00")
    [task] = engine.user_tasks.values()
    assert (task.name, task.state, task.assignee) == ("Review", "CREATED", "ada")
    assert task.candidate_groups == ["sales", "ops"]
    assert task.candidate_users == ["bob", "cy"]
    assert task.due_date == "2024-05-01T10:00:00.000Z"
    assert task.follow_up_date == "2024-04-01T07:00:00.000Z"
    assert (task.priority, task.custom_headers) == (80, {"k": "v"})
    assert engine.inspect(task.process_instance_key)[1][1] == "USER_TASK"


def test_assign_unassign_update_and_complete(engine: Engine):
    deploy(engine, START + TASK + END + chain("start", "review", "end"))
    key = start(engine, owner="ada", reviewers=[])
    [task] = engine.user_tasks.values()
    with pytest.raises(Conflict, match="already assigned"):
        engine.assign_user_task(task.user_task_key, "bob", allow_override=False)
    engine.assign_user_task(task.user_task_key, "bob")
    assert task.assignee == "bob"
    engine.unassign_user_task(task.user_task_key)
    assert task.assignee is None
    engine.update_user_task(task.user_task_key, priority=10, candidate_groups=["x"], due_date=None)
    assert (task.priority, task.candidate_groups, task.due_date) == (10, ["x"], None)
    with pytest.raises(InvalidArgument):
        engine.update_user_task(task.user_task_key, priority=101)
    engine.complete_user_task(task.user_task_key, {"approved": True})
    assert task.state == "COMPLETED" and task.completion_date
    assert state(engine, key) == "COMPLETED"
    assert engine.variables_of(key)["approved"] is True
    with pytest.raises(Conflict):
        engine.complete_user_task(task.user_task_key)


def test_a_user_task_of_a_cancelled_instance_is_canceled(engine: Engine):
    deploy(engine, START + TASK + END + chain("start", "review", "end"))
    key = start(engine, owner="ada", reviewers=[])
    engine.cancel_process_instance(key)
    [task] = engine.user_tasks.values()
    assert task.state == "CANCELED"


def test_a_missing_form_raises_an_incident(engine: Engine):
    task = (
        '<bpmn:userTask id="u"><bpmn:extensionElements><zeebe:userTask/>'
        '<zeebe:formDefinition formId="nope"/></bpmn:extensionElements></bpmn:userTask>'
    )
    deploy(engine, START + task + chain("start", "u"))
    start(engine)
    [incident] = engine.incidents.values()
    assert incident.error_type == "FORM_NOT_FOUND"
