"""Built-in plugin ``config``: resolves the configuration and applies call defaults.

It declares the core settings, those of the client itself rather than of one
stage: the REST address, the default tenant, the request timeout, TLS, the
dotenv switch and plugin selection. At construction it resolves every declared
setting from ``.env`` < environment < ``configuration={...}`` (see
:func:`camunda_sdk.config.resolve_settings`). On each call it fills in the
configured default tenant (``CAMUNDA_TENANT_ID``) on bodies that have a
``tenant_id`` left empty.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any

import attrs
import httpx

from .._serde import Model
from ..config import LOAD_ENVFILE, CamundaConfig, Setting, SettingRegistry, resolve_settings
from ..errors import ConfigurationError
from ..pipeline.call import Call
from ..pipeline.context import ClientContext
from ..pipeline.effects import Effect
from ..pipeline.hookspecs import Handler, hookimpl


def _api_base(url: str) -> str:
    # Users copy the cluster URL with or without the API version; the client
    # joins operation paths onto ".../v2" without a trailing slash.
    url = url.rstrip("/")
    return url if url.endswith("/v2") else url + "/v2"


REST_ADDRESS: Setting[str] = Setting(
    "CAMUNDA_REST_ADDRESS",
    "url",
    default="http://localhost:8080/v2",
    aliases=("ZEEBE_REST_ADDRESS",),
    convert=_api_base,
    description="REST API base URL; `/v2` is appended when missing.",
)
TENANT_ID: Setting[str | None] = Setting(
    "CAMUNDA_TENANT_ID",
    description="Default tenant id for operations that accept a tenant id.",
)
TIMEOUT_MS: Setting[int] = Setting(
    "CAMUNDA_SDK_TIMEOUT_MS",
    "int",
    default=30000,
    minimum=0,
    description="HTTP request timeout in milliseconds (token requests too); 0 disables it.",
)
CA_CERTIFICATE_PATH: Setting[str | None] = Setting(
    "CAMUNDA_CA_CERTIFICATE_PATH",
    "path",
    description="PEM file of CA certificates to trust besides the system store.",
)
MTLS_CERT_PATH: Setting[str | None] = Setting(
    "CAMUNDA_MTLS_CERT_PATH",
    "path",
    description="PEM client certificate for mutual TLS (may also hold the key).",
)
MTLS_KEY_PATH: Setting[str | None] = Setting(
    "CAMUNDA_MTLS_KEY_PATH",
    "path",
    description="PEM private key of the mutual-TLS client certificate.",
)
# Plugin discovery reads these two raw, before the configuration exists (see
# pipeline/manager.py); declared all the same, so they are validated and documented.
PLUGINS: Setting[tuple[str, ...]] = Setting(
    "CAMUNDA_SDK_PLUGINS",
    "list",
    default=(),
    description="Module names to import and register as plugins (for plugins without an "
    "entry point); not read from a `.env` file.",
)
DISABLE_PLUGINS: Setting[tuple[str, ...]] = Setting(
    "CAMUNDA_SDK_DISABLE_PLUGINS",
    "list",
    default=(),
    description="Names of plugins (built-in or installed) not to load; not read from a "
    "`.env` file.",
)

SETTINGS = (
    REST_ADDRESS,
    TENANT_ID,
    TIMEOUT_MS,
    CA_CERTIFICATE_PATH,
    MTLS_CERT_PATH,
    MTLS_KEY_PATH,
    LOAD_ENVFILE,
    PLUGINS,
    DISABLE_PLUGINS,
)


# tryfirst: the core settings are declared first, so they lead the README table.
@hookimpl(tryfirst=True)
def camunda_add_settings(settings: SettingRegistry) -> None:
    """Declare the core settings."""
    for setting in SETTINGS:
        settings.add(setting)


@hookimpl(trylast=True)
def camunda_load_config(
    configuration: Mapping[str, Any] | None, environ: Mapping[str, str], settings: SettingRegistry
) -> CamundaConfig:
    """Resolve the declared settings from ``.env``, the environment and explicit values."""
    config = resolve_settings(settings, configuration, environ)
    if config.get(MTLS_KEY_PATH) and not config.get(MTLS_CERT_PATH):
        raise ConfigurationError(
            "CAMUNDA_MTLS_KEY_PATH is set but CAMUNDA_MTLS_CERT_PATH is missing: "
            "mutual TLS needs the client certificate too",
            variable="CAMUNDA_MTLS_CERT_PATH",
        )
    return config


@hookimpl(wrapper=True)
def camunda_call_handler(context: ClientContext) -> Generator[None, Handler, Handler]:
    """Apply the default tenant to request bodies that leave ``tenant_id`` empty."""
    inner = yield
    tenant = TENANT_ID.read(context.config)
    if not tenant:
        return inner  # no per-call work to do: leave the stage out entirely

    def apply_defaults(call: Call) -> Generator[Effect, Any, httpx.Response]:
        body = call.body
        if isinstance(body, Model) and getattr(body, "tenant_id", False) is None:
            call.body = attrs.evolve(body, tenant_id=tenant)  # type: ignore[misc]
        return (yield from inner(call))

    return apply_defaults
