"""Jobs: activation with long polling, completion, failure, BPMN errors, updates, search."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from ..engine import ActivatedJob
from ..export import render
from ..problems import bad_request
from . import ApiRequest, Context, Reply, handles
from ._common import body_of, key_param, search_index

__all__ = ["DEFAULT_LONG_POLL_MS"]

#: How long an activation waits for jobs when the request says `requestTimeout: 0` or
#: nothing (the gateway's default long-polling timeout).
DEFAULT_LONG_POLL_MS = 10_000

_ACTIVATED_EXTRA: dict[str, Any] = {"physicalTenantId": "default", "leaseToken": None}


@handles("activateJobs")
async def activate_jobs(ctx: Context, req: ApiRequest) -> Reply:
    """Hand out jobs of a type; without any, wait for one up to `requestTimeout` (long poll).

    Waiting is a future woken by the engine's job listener, so a long poll costs nothing
    and blocks no other request.
    """
    body = body_of(req)
    if body.get("withLease"):
        raise bad_request("The dev cluster issues no lease tokens; leave out 'withLease'.")
    job_type = body["type"]
    request_timeout = body.get("requestTimeout")
    wait_ms = DEFAULT_LONG_POLL_MS if not request_timeout else max(request_timeout, 0)
    engine = ctx.engine
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_ms / 1000

    def activate() -> list[ActivatedJob]:
        return engine.activate_jobs(
            job_type,
            body["maxJobsToActivate"],
            body["timeout"],
            worker=body.get("worker"),
            fetch_variables=body.get("fetchVariable"),
            tenant_ids=body.get("tenantIds"),
        )

    jobs = activate()
    if jobs or wait_ms <= 0:
        return _activated(jobs)
    woken = asyncio.Event()

    def listener(created_type: str) -> None:
        if created_type == job_type or not created_type:  # "": the engine was replaced
            woken.set()

    remove = engine.add_job_listener(listener)
    try:
        while not jobs:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            woken.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(woken.wait(), remaining)
            if ctx.engine is not engine:  # the cluster was reset while we waited
                break
            jobs = activate()
    finally:
        remove()
    return _activated(jobs)


def _activated(jobs: list[ActivatedJob]) -> Reply:
    return Reply(200, {"jobs": [render(job, _ACTIVATED_EXTRA) for job in jobs]})


@handles("completeJob")
async def complete_job(ctx: Context, req: ApiRequest) -> Reply:
    """Complete a job; its variables are merged into the instance."""
    body = body_of(req)
    if body.get("result"):
        raise bad_request(
            "The dev cluster does not emulate job results (task listener corrections, "
            "ad-hoc sub-process activation); complete the job with variables only."
        )
    ctx.engine.complete_job(key_param(req, "jobKey"), body.get("variables"))
    return Reply(204)


@handles("failJob")
async def fail_job(ctx: Context, req: ApiRequest) -> Reply:
    """Fail a job: handed out again while retries are left, else an incident."""
    body = body_of(req)
    ctx.engine.fail_job(
        key_param(req, "jobKey"),
        body.get("retries") or 0,
        error_message=body.get("errorMessage"),
        retry_back_off_ms=body.get("retryBackOff") or 0,
        variables=body.get("variables"),
    )
    return Reply(204)


@handles("throwJobError")
async def throw_job_error(ctx: Context, req: ApiRequest) -> Reply:
    """Throw a BPMN error from a job (caught by a boundary, else an incident)."""
    body = body_of(req)
    ctx.engine.throw_job_error(
        key_param(req, "jobKey"),
        body["errorCode"],
        error_message=body.get("errorMessage"),
        variables=body.get("variables"),
    )
    return Reply(204)


@handles("updateJob")
async def update_job(ctx: Context, req: ApiRequest) -> Reply:
    """Change a job's retries and/or timeout."""
    changes = body_of(req).get("changeset") or {}
    ctx.engine.update_job(
        key_param(req, "jobKey"), retries=changes.get("retries"), timeout_ms=changes.get("timeout")
    )
    return Reply(204)


@handles("searchJobs")
async def search_jobs(ctx: Context, req: ApiRequest) -> Reply:
    """Jobs as secondary storage holds them."""
    return Reply(200, search_index(ctx, req, "jobs", "jobKey"))
