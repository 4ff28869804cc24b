"""Built-in plugin ``auth``: the auth stage and the NONE and BASIC strategies.

The stage asks :func:`camunda_auth_provider` once per client for the provider of
``CAMUNDA_AUTH_STRATEGY`` and runs every call through its ``flow``. Strategies
are plugins too: OAuth lives in ``camunda_sdk.plugins.oauth``; a user adds
another by answering the hook for a new name.
"""

from __future__ import annotations

import base64
from collections.abc import Generator
from typing import Any

import httpx

from ..errors import ConfigurationError
from ..pipeline.call import Call
from ..pipeline.context import ClientContext
from ..pipeline.effects import Effect
from ..pipeline.hookspecs import AuthProvider, Handler, hookimpl


class NoAuth(AuthProvider):
    """``NONE``: send requests without credentials."""

    name = "NONE"


class BasicAuth(AuthProvider):
    """``BASIC``: a precomputed ``Authorization: Basic`` header on every request."""

    name = "BASIC"

    def __init__(self, username: str, password: str) -> None:
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        self._header = f"Basic {token}"

    def __repr__(self) -> str:
        return "BasicAuth(<redacted>)"

    def flow(self, call: Call, inner: Handler) -> Generator[Effect, Any, httpx.Response]:
        # An Authorization given for this call (with_options(headers=...)) wins.
        call.headers.setdefault("authorization", self._header)
        return (yield from inner(call))


@hookimpl(trylast=True)
def camunda_auth_provider(strategy: str, context: ClientContext) -> AuthProvider | None:
    """Provide the built-in NONE and BASIC strategies."""
    if strategy == "NONE":
        return NoAuth()
    if strategy == "BASIC":
        config = context.config
        if not config.basic_auth_username or config.basic_auth_password is None:
            raise ConfigurationError(
                "CAMUNDA_AUTH_STRATEGY=BASIC needs CAMUNDA_BASIC_AUTH_USERNAME and "
                "CAMUNDA_BASIC_AUTH_PASSWORD",
                variable="CAMUNDA_BASIC_AUTH_USERNAME",
            )
        return BasicAuth(config.basic_auth_username, config.basic_auth_password)
    return None


@hookimpl(wrapper=True)
def camunda_call_handler(context: ClientContext) -> Generator[None, Handler, Handler]:
    """Wrap the inner handler with the configured strategy's flow."""
    inner = yield
    strategy = (context.config.auth_strategy or "NONE").upper()
    provider = context.plugin_manager.hook.camunda_auth_provider(strategy=strategy, context=context)
    if provider is None:
        raise ConfigurationError(
            f"CAMUNDA_AUTH_STRATEGY={strategy!r} is not provided by any installed plugin "
            "(built-in strategies: NONE, BASIC, OAUTH)",
            variable="CAMUNDA_AUTH_STRATEGY",
        )
    context.state["auth"] = provider
    if type(provider) is NoAuth:
        return inner  # nothing to add: keep the hot path one frame shorter

    flow = provider.flow

    def authenticate(call: Call) -> Generator[Effect, Any, httpx.Response]:
        return (yield from flow(call, inner))

    return authenticate
