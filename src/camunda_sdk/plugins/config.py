"""Built-in plugin ``config``: resolves the configuration and applies call defaults.

At construction it reads ``.env`` < environment < ``configuration={...}``
(see :func:`camunda_sdk.config.resolve_config`). On each call it fills in the
configured default tenant (``CAMUNDA_TENANT_ID``) on bodies that have a
``tenant_id`` left empty.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any

import attrs
import httpx

from .._serde import Model
from ..config import CamundaConfig, resolve_config
from ..pipeline.call import Call
from ..pipeline.context import ClientContext
from ..pipeline.effects import Effect
from ..pipeline.hookspecs import Handler, hookimpl


@hookimpl(trylast=True)
def camunda_load_config(
    configuration: Mapping[str, Any] | None, environ: Mapping[str, str]
) -> CamundaConfig:
    """Resolve the configuration from ``.env``, the environment and explicit values."""
    return resolve_config(configuration, environ)


@hookimpl(wrapper=True)
def camunda_call_handler(context: ClientContext) -> Generator[None, Handler, Handler]:
    """Apply the default tenant to request bodies that leave ``tenant_id`` empty."""
    inner = yield
    tenant = context.config.tenant_id
    if not tenant:
        return inner  # no per-call work to do: leave the stage out entirely

    def apply_defaults(call: Call) -> Generator[Effect, Any, httpx.Response]:
        body = call.body
        if isinstance(body, Model) and getattr(body, "tenant_id", False) is None:
            call.body = attrs.evolve(body, tenant_id=tenant)  # type: ignore[misc]
        return (yield from inner(call))

    return apply_defaults
