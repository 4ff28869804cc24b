"""Example plugin: ``CAMUNDA_AUTH_STRATEGY=API_KEY`` sends ``CAMUNDA_API_KEY`` as a header."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from camunda_sdk.errors import ConfigurationError
from camunda_sdk.pipeline import AuthProvider, Call, Handler, hookimpl
from camunda_sdk.pipeline.context import ClientContext


class ApiKeyAuth(AuthProvider):
    name = "API_KEY"

    def __init__(self, key: str) -> None:
        self._key = key

    def __repr__(self) -> str:
        return "ApiKeyAuth(<redacted>)"  # never show the key

    def flow(self, call: Call, inner: Handler) -> Generator[Any, Any, Any]:
        call.headers["x-api-key"] = self._key
        return (yield from inner(call))


@hookimpl
def camunda_auth_provider(strategy: str, context: ClientContext) -> AuthProvider | None:
    if strategy != "API_KEY":
        return None
    key = context.config.raw.get("CAMUNDA_API_KEY")
    if not key:
        raise ConfigurationError("API_KEY auth needs CAMUNDA_API_KEY", variable="CAMUNDA_API_KEY")
    return ApiKeyAuth(key)
