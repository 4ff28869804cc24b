"""User tasks: search, get, assign, unassign, update, complete, their form."""

from __future__ import annotations

from typing import Any

from ..engine import NotFound
from ..problems import bad_request
from . import ApiRequest, Context, Reply, handles
from ._common import body_of, key_param, search_index, visible
from .instances import variable_search

__all__: list[str] = []

# UserTaskChangeset property -> the engine's keyword.
_CHANGES = {
    "dueDate": "due_date",
    "followUpDate": "follow_up_date",
    "candidateUsers": "candidate_users",
    "candidateGroups": "candidate_groups",
    "priority": "priority",
}


@handles("searchUserTasks")
async def search_user_tasks(ctx: Context, req: ApiRequest) -> Reply:
    """User tasks; `candidateGroup` / `candidateUser` match one of the task's candidates."""
    result = search_index(
        ctx,
        req,
        "user-tasks",
        "userTaskKey",
        filters={"candidateGroup": "candidateGroups", "candidateUser": "candidateUsers"},
    )
    return Reply(200, result)


@handles("getUserTask")
async def get_user_task(ctx: Context, req: ApiRequest) -> Reply:
    """One user task."""
    key = key_param(req, "userTaskKey")
    return Reply(200, visible(ctx, "user-tasks", key, "user task"))


@handles("assignUserTask")
async def assign_user_task(ctx: Context, req: ApiRequest) -> Reply:
    """Assign the task (`allowOverride: false` refuses a task assigned to someone else)."""
    body = body_of(req)
    assignee = body.get("assignee")
    if not assignee:
        raise bad_request("The request property 'assignee' is required to assign a user task.")
    allow = body.get("allowOverride")
    ctx.engine.assign_user_task(
        key_param(req, "userTaskKey"), assignee, allow_override=allow is not False
    )
    return Reply(204)


@handles("unassignUserTask")
async def unassign_user_task(ctx: Context, req: ApiRequest) -> Reply:
    """Remove the assignee."""
    ctx.engine.unassign_user_task(key_param(req, "userTaskKey"))
    return Reply(204)


@handles("updateUserTask")
async def update_user_task(ctx: Context, req: ApiRequest) -> Reply:
    """Change the dates, candidates or priority given in the changeset."""
    changes = body_of(req).get("changeset") or {}
    given: dict[str, Any] = {_CHANGES[k]: v for k, v in changes.items() if k in _CHANGES}
    ctx.engine.update_user_task(key_param(req, "userTaskKey"), **given)
    return Reply(204)


@handles("completeUserTask")
async def complete_user_task(ctx: Context, req: ApiRequest) -> Reply:
    """Complete the task; its variables are merged into the instance."""
    ctx.engine.complete_user_task(key_param(req, "userTaskKey"), body_of(req).get("variables"))
    return Reply(204)


@handles("getUserTaskForm")
async def get_user_task_form(ctx: Context, req: ApiRequest) -> Reply:
    """The form linked to the task (204 when it has none)."""
    task = visible(ctx, "user-tasks", key_param(req, "userTaskKey"), "user task")
    if task["formKey"] is None:
        return Reply(204)
    return Reply(200, visible(ctx, "forms", int(task["formKey"]), "form"))


def _task_scopes(ctx: Context, req: ApiRequest) -> list[str]:
    """The scope keys the task sees variables from, innermost first."""
    task = visible(ctx, "user-tasks", key_param(req, "userTaskKey"), "user task")
    try:
        return [str(k) for k in ctx.engine.scope_keys(int(task["elementInstanceKey"]))]
    except NotFound:  # the task has ended: its own scope and its instance's
        return [task["elementInstanceKey"], task["processInstanceKey"]]


@handles("searchUserTaskVariables")
async def search_user_task_variables(ctx: Context, req: ApiRequest) -> Reply:
    """Every variable visible from the task's scope (one row per scope that has it)."""
    scopes = set(_task_scopes(ctx, req))
    rows = [r for r in ctx.index.records("variables") if r["scopeKey"] in scopes]
    return Reply(200, variable_search(req, rows))


@handles("searchUserTaskEffectiveVariables")
async def search_user_task_effective_variables(ctx: Context, req: ApiRequest) -> Reply:
    """The variables as the task sees them: one per name, the innermost scope's."""
    order = {scope: i for i, scope in enumerate(_task_scopes(ctx, req))}
    effective: dict[str, dict[str, Any]] = {}
    for row in ctx.index.records("variables"):
        depth = order.get(row["scopeKey"])
        if depth is None:
            continue
        seen = effective.get(row["name"])
        if seen is None or depth < order[seen["scopeKey"]]:
            effective[row["name"]] = row
    return Reply(200, variable_search(req, effective.values()))
