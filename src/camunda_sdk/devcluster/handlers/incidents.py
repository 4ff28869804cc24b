"""Incidents: search (all, of an instance, of an element), get, resolve."""

from __future__ import annotations

from ..search import search
from . import ApiRequest, Context, Reply, handles
from ._common import key_param, search_index, visible

__all__: list[str] = []


@handles("searchIncidents")
async def search_incidents(ctx: Context, req: ApiRequest) -> Reply:
    """Incidents as secondary storage holds them."""
    return Reply(200, search_index(ctx, req, "incidents", "incidentKey"))


@handles("searchProcessInstanceIncidents")
async def search_process_instance_incidents(ctx: Context, req: ApiRequest) -> Reply:
    """The incidents of one process instance and of the instances it called."""
    key = str(key_param(req, "processInstanceKey"))
    rows = [
        r
        for r in ctx.index.records("incidents")
        if key in (r["processInstanceKey"], r["rootProcessInstanceKey"])
    ]
    return Reply(200, search(rows, req.body, key="incidentKey"))


@handles("searchElementInstanceIncidents")
async def search_element_instance_incidents(ctx: Context, req: ApiRequest) -> Reply:
    """The incidents of one element instance."""
    key = str(key_param(req, "elementInstanceKey"))
    rows = [r for r in ctx.index.records("incidents") if r["elementInstanceKey"] == key]
    return Reply(200, search(rows, req.body, key="incidentKey"))


@handles("getIncident")
async def get_incident(ctx: Context, req: ApiRequest) -> Reply:
    """One incident."""
    key = key_param(req, "incidentKey")
    return Reply(200, visible(ctx, "incidents", key, "incident"))


@handles("resolveIncident")
async def resolve_incident(ctx: Context, req: ApiRequest) -> Reply:
    """Resolve: a job incident hands the job out again (raise its retries first)."""
    ctx.engine.resolve_incident(key_param(req, "incidentKey"))
    return Reply(204)
