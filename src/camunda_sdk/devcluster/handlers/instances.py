"""Process instances, element instances and variables."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

from ..engine import ProcessInstanceRecord
from ..problems import Problem, bad_request
from ..search import match_variables, search
from . import ApiRequest, Context, Reply, handles
from ._common import body_of, key_param, optional_key, search_index, visible

__all__ = ["DEFAULT_REQUEST_TIMEOUT_MS", "VARIABLE_TRUNCATION", "variable_search"]

#: The cluster's generic request timeout, for `awaitCompletion` without a `requestTimeout`.
DEFAULT_REQUEST_TIMEOUT_MS = 10_000
#: Variable values longer than this are cut in searches unless `truncateValues=false`
#: (Camunda's default variable size threshold).
VARIABLE_TRUNCATION = 8191


@handles("createProcessInstance")
async def create_process_instance(ctx: Context, req: ApiRequest) -> Reply:
    """Start an instance (by key, or by id and version); optionally wait for its end."""
    body = body_of(req)
    if body.get("runtimeInstructions"):
        raise bad_request("The dev cluster does not emulate 'runtimeInstructions'; leave it out.")
    engine = ctx.engine
    record = engine.create_process_instance(
        process_definition_id=body.get("processDefinitionId"),
        process_definition_key=optional_key(
            body.get("processDefinitionKey"), "processDefinitionKey"
        ),
        version=body.get("processDefinitionVersion", -1),
        variables=body.get("variables"),
        tenant_id=body.get("tenantId"),
        tags=body.get("tags"),
        start_instructions=body.get("startInstructions"),
    )
    variables: dict[str, Any] = {}
    if body.get("awaitCompletion"):
        ctx.export()  # the instance is searchable while the request waits
        timeout_ms = body.get("requestTimeout") or DEFAULT_REQUEST_TIMEOUT_MS
        record = await _ended(ctx, record, timeout_ms)
        everything = engine.variables_of(record.process_instance_key)
        names = body.get("fetchVariables")
        variables = {n: everything[n] for n in names if n in everything} if names else everything
    return Reply(
        200,
        {
            "processDefinitionId": record.process_definition_id,
            "processDefinitionVersion": record.process_definition_version,
            "tenantId": record.tenant_id,
            "variables": variables,
            "processDefinitionKey": str(record.process_definition_key),
            "processInstanceKey": str(record.process_instance_key),
            "tags": list(record.tags),
            "businessId": record.business_id,
        },
    )


async def _ended(
    ctx: Context, record: ProcessInstanceRecord, timeout_ms: int
) -> ProcessInstanceRecord:
    engine = ctx.engine
    key = record.process_instance_key
    ended: asyncio.Future[ProcessInstanceRecord] = asyncio.get_running_loop().create_future()

    def done(final: ProcessInstanceRecord) -> None:
        if not ended.done():
            ended.set_result(final)

    engine.on_instance_end(key, done)
    try:
        return await asyncio.wait_for(ended, timeout_ms / 1000)
    except asyncio.TimeoutError:
        raise Problem(
            504,
            f"Process instance {key} did not complete within the request timeout of "
            f"{timeout_ms} ms; it goes on running.",
            title="DEADLINE_EXCEEDED",
        ) from None
    finally:
        engine.remove_instance_end_callback(key, done)


@handles("getProcessInstance")
async def get_process_instance(ctx: Context, req: ApiRequest) -> Reply:
    """One process instance, as secondary storage holds it."""
    key = key_param(req, "processInstanceKey")
    return Reply(200, visible(ctx, "process-instances", key, "process instance"))


@handles("searchProcessInstances")
async def search_process_instances(ctx: Context, req: ApiRequest) -> Reply:
    """Process instances; the `variables` filter reads the instances' own variables."""
    by_instance: dict[str, dict[str, str]] | None = None

    def variables_match(row: Mapping[str, Any], wanted: Any) -> bool:
        nonlocal by_instance
        if by_instance is None:
            by_instance = {}
            for v in ctx.index.records("variables"):
                if v["scopeKey"] == v["processInstanceKey"]:
                    by_instance.setdefault(v["processInstanceKey"], {})[v["name"]] = v["value"]
        return match_variables(by_instance.get(row["processInstanceKey"], {}), wanted)

    result = search_index(
        ctx,
        req,
        "process-instances",
        "processInstanceKey",
        filters={"variables": variables_match},
    )
    return Reply(200, result)


@handles("cancelProcessInstance")
async def cancel_process_instance(ctx: Context, req: ApiRequest) -> Reply:
    """Terminate an active root instance and everything in it."""
    ctx.engine.cancel_process_instance(key_param(req, "processInstanceKey"))
    return Reply(204)


@handles("getProcessInstanceCallHierarchy")
async def get_process_instance_call_hierarchy(ctx: Context, req: ApiRequest) -> Reply:
    """The instance and the instances that called it, root first."""
    key = key_param(req, "processInstanceKey")
    row: dict[str, Any] | None = visible(ctx, "process-instances", key, "process instance")
    chain: list[dict[str, Any]] = []
    while row is not None:
        chain.append(
            {
                "processInstanceKey": row["processInstanceKey"],
                "processDefinitionKey": row["processDefinitionKey"],
                "processDefinitionName": row["processDefinitionName"] or row["processDefinitionId"],
            }
        )
        parent = row["parentProcessInstanceKey"]
        row = ctx.index.get("process-instances", int(parent)) if parent else None
    chain.reverse()
    return Reply(200, chain)


# -- element instances --------------------------------------------------------------


@handles("searchElementInstances")
async def search_element_instances(ctx: Context, req: ApiRequest) -> Reply:
    """Element instances (start events, tasks, gateways, ... of every instance)."""
    result = search_index(ctx, req, "element-instances", "elementInstanceKey")
    return Reply(200, result)


@handles("getElementInstance")
async def get_element_instance(ctx: Context, req: ApiRequest) -> Reply:
    """One element instance."""
    key = key_param(req, "elementInstanceKey")
    return Reply(200, visible(ctx, "element-instances", key, "element instance"))


@handles("createElementInstanceVariables")
async def create_element_instance_variables(ctx: Context, req: ApiRequest) -> Reply:
    """Set variables on an active scope (local, or propagated to where they live)."""
    body = body_of(req)
    ctx.engine.set_variables(
        key_param(req, "elementInstanceKey"),
        body.get("variables") or {},
        local=bool(body.get("local")),
    )
    return Reply(204)


# -- variables ------------------------------------------------------------------------


@handles("searchVariables")
async def search_variables(ctx: Context, req: ApiRequest) -> Reply:
    """Variables of every scope; long values cut unless `truncateValues=false`."""
    return Reply(200, variable_search(req, ctx.index.records("variables")))


def variable_search(req: ApiRequest, rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Search variable rows; long values cut unless the query says `truncateValues=false`."""
    truncate = req.query.get("truncateValues", "true").lower() != "false"

    def is_truncated(row: Mapping[str, Any], wanted: Any) -> bool:
        return (truncate and len(row["value"]) > VARIABLE_TRUNCATION) == bool(wanted)

    result = search(rows, req.body, key="variableKey", filters={"isTruncated": is_truncated})
    shaped: list[dict[str, Any]] = []
    for row in result["items"]:
        value = row["value"]
        cut = truncate and len(value) > VARIABLE_TRUNCATION
        shaped.append(
            {**row, "value": value[:VARIABLE_TRUNCATION] if cut else value, "isTruncated": cut}
        )
    result["items"] = shaped
    return result


@handles("getVariable")
async def get_variable(ctx: Context, req: ApiRequest) -> Reply:
    """One variable, its whole value."""
    key = key_param(req, "variableKey")
    return Reply(200, visible(ctx, "variables", key, "variable"))
