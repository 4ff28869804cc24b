"""Example plugin: tag every Camunda request with the team that sent it.

Reads ``CAMUNDA_TEAM`` from the client's configuration (any ``CAMUNDA_*`` key
reaches plugins through ``context.config.raw``).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from camunda_sdk.pipeline import Call, Handler, hookimpl
from camunda_sdk.pipeline.context import ClientContext


@hookimpl(wrapper=True)
def camunda_call_handler(context: ClientContext) -> Generator[None, Handler, Handler]:
    inner = yield
    team = context.config.raw.get("CAMUNDA_TEAM", "unknown")

    def add_team(call: Call) -> Generator[Any, Any, Any]:
        call.headers["x-team"] = team
        return (yield from inner(call))

    return add_team
