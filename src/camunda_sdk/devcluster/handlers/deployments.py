"""Deployments, process definitions and forms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..export import render
from ..problems import bad_request
from . import ApiRequest, Context, FilePart, Reply, handles
from ._common import key_param, search_index, visible

__all__: list[str] = []


@handles("createDeployment")
async def create_deployment(ctx: Context, req: ApiRequest) -> Reply:
    """Deploy the files of a multipart upload, all or nothing (a 400 names file and element)."""
    form = req.form or {}
    parts: list[FilePart] = form.get("resources") or []
    resources: list[tuple[str, bytes]] = []
    for i, part in enumerate(parts):
        if not part.filename:
            raise bad_request(f"The multipart part 'resources' #{i + 1} has no file name.")
        resources.append((part.filename, part.content))
    tenant = form.get("tenantId") or None
    deployment = ctx.engine.deploy(resources, tenant_id=tenant)
    entries: list[dict[str, Any]] = [_metadata(process=render(p)) for p in deployment.processes]
    entries += [_metadata(form=render(f)) for f in deployment.forms]
    return Reply(
        200,
        {
            "deploymentKey": str(deployment.deployment_key),
            "tenantId": deployment.tenant_id,
            "deployments": entries,
        },
    )


def _metadata(
    process: dict[str, Any] | None = None, form: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "processDefinition": process,
        "decisionDefinition": None,
        "decisionRequirements": None,
        "form": form,
        "resource": None,
    }


@handles("searchProcessDefinitions")
async def search_process_definitions(ctx: Context, req: ApiRequest) -> Reply:
    """Process definitions as secondary storage holds them; `isLatestVersion` per id."""
    latest: dict[tuple[str, str], int] = {}
    for row in ctx.index.records("process-definitions"):
        ident = (row["tenantId"], row["processDefinitionId"])
        latest[ident] = max(latest.get(ident, 0), row["version"])

    def is_latest(row: Mapping[str, Any], wanted: Any) -> bool:
        newest = latest.get((row["tenantId"], row["processDefinitionId"])) == row["version"]
        return newest == bool(wanted)

    result = search_index(
        ctx,
        req,
        "process-definitions",
        "processDefinitionKey",
        filters={"isLatestVersion": is_latest},
    )
    return Reply(200, result)


@handles("getProcessDefinition")
async def get_process_definition(ctx: Context, req: ApiRequest) -> Reply:
    """One process definition."""
    key = key_param(req, "processDefinitionKey")
    return Reply(200, visible(ctx, "process-definitions", key, "process definition"))


@handles("getProcessDefinitionXML")
async def get_process_definition_xml(ctx: Context, req: ApiRequest) -> Reply:
    """The BPMN XML the definition was deployed from."""
    key = key_param(req, "processDefinitionKey")
    visible(ctx, "process-definitions", key, "process definition")
    xml = ctx.engine.process_definition_xml(key)
    return Reply(200, xml, content_type="text/xml; charset=utf-8")


@handles("getStartProcessForm")
async def get_start_process_form(ctx: Context, req: ApiRequest) -> Reply:
    """The form linked to the definition's start event (204 when it has none)."""
    key = key_param(req, "processDefinitionKey")
    visible(ctx, "process-definitions", key, "process definition")
    form = ctx.engine.start_form(key)
    if form is None:
        return Reply(204)
    return Reply(200, visible(ctx, "forms", form.form_key, "form"))


@handles("getFormByKey")
async def get_form_by_key(ctx: Context, req: ApiRequest) -> Reply:
    """One deployed form."""
    key = key_param(req, "formKey")
    return Reply(200, visible(ctx, "forms", key, "form"))
