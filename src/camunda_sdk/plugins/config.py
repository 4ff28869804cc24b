"""Built-in plugin ``config``: resolves the configuration and applies call defaults.

It declares the core settings, those of the client itself rather than of one
stage: the REST address, the default tenant, the request timeout, TLS (defined
in :mod:`camunda_sdk.transport.tls`, which reads them), the dotenv switch,
strictness and plugin selection. At construction it resolves every
declared setting from ``.env`` < environment < ``configuration={...}`` (see
:func:`camunda_sdk.settings.resolve_settings`), appends ``/v2`` to the address
unless ``CAMUNDA_REST_ADDRESS_EXACT``, and takes any ``user:password@`` out of
it: they become the Basic credentials, so that the password is never part of a
URL that httpx logs or an error quotes. On each call it fills in the
configured default tenant (``CAMUNDA_TENANT_ID``) on bodies that have a
``tenant_id`` left empty.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import attrs

from .._serde import Model
from ..errors import ConfigurationError
from ..pipeline.call import Call
from ..pipeline.context import ClientContext
from ..pipeline.effects import Effect
from ..pipeline.hookspecs import Handler, hookimpl
from ..pipeline.http import Response
from ..settings import CamundaConfig, SettingRegistry, resolve_settings

# The core settings are read from here too (``plugins.config.TIMEOUT_MS``), as before
# they moved to camunda_sdk.settings.core; the redundant aliases re-export them.
from ..settings.core import CA_CERTIFICATE_PATH as CA_CERTIFICATE_PATH
from ..settings.core import CORE_SETTINGS, REST_ADDRESS, REST_ADDRESS_EXACT, TENANT_ID
from ..settings.core import DISABLE_PLUGINS as DISABLE_PLUGINS
from ..settings.core import LOAD_ENVFILE as LOAD_ENVFILE
from ..settings.core import MTLS_CA as MTLS_CA
from ..settings.core import MTLS_CERT as MTLS_CERT
from ..settings.core import MTLS_CERT_PATH as MTLS_CERT_PATH
from ..settings.core import MTLS_KEY as MTLS_KEY
from ..settings.core import MTLS_KEY_PASSPHRASE as MTLS_KEY_PASSPHRASE
from ..settings.core import MTLS_KEY_PATH as MTLS_KEY_PATH
from ..settings.core import PLUGINS as PLUGINS
from ..settings.core import STRICT_CONFIG as STRICT_CONFIG
from ..settings.core import TIMEOUT_MS as TIMEOUT_MS
from . import builtin_settings

#: The core settings this plugin declares (see :mod:`camunda_sdk.settings.core`).
SETTINGS = CORE_SETTINGS


def _api_base(url: str) -> str:
    # Users copy the cluster URL with or without the API version; the client
    # joins operation paths onto ".../v2" without a trailing slash.
    url = url.rstrip("/")
    return url if url.endswith("/v2") else url + "/v2"


# tryfirst: the core settings are declared first, so they lead the README table.
@hookimpl(tryfirst=True)
def camunda_add_settings(settings: SettingRegistry) -> None:
    """Declare the core settings."""
    settings.add(*SETTINGS)


@hookimpl(trylast=True)
def camunda_load_config(
    configuration: Mapping[str, Any] | None, environ: Mapping[str, str], settings: SettingRegistry
) -> CamundaConfig:
    """Resolve the declared settings from ``.env``, the environment and explicit values."""
    config = resolve_settings(settings, configuration, environ, also_known=_builtin_names)
    has_cert = config.get(MTLS_CERT) or config.get(MTLS_CERT_PATH)
    key = config.given_as(MTLS_KEY) or (config.get(MTLS_KEY_PATH) and "CAMUNDA_MTLS_KEY_PATH")
    if key and not has_cert:
        raise ConfigurationError(
            f"{key} is set but CAMUNDA_MTLS_CERT_PATH (or CAMUNDA_MTLS_CERT) is missing: "
            "mutual TLS needs the client certificate too",
            variable="CAMUNDA_MTLS_CERT_PATH",
        )
    if config.get(MTLS_KEY_PASSPHRASE) and not has_cert:
        raise ConfigurationError(
            "CAMUNDA_MTLS_KEY_PASSPHRASE is set but no client certificate and key are "
            "(CAMUNDA_MTLS_CERT_PATH, CAMUNDA_MTLS_KEY_PATH or the inline CAMUNDA_MTLS_*)",
            variable="CAMUNDA_MTLS_KEY_PASSPHRASE",
        )
    address = config.get(REST_ADDRESS)
    if not config.get(REST_ADDRESS_EXACT):
        address = _api_base(address)
    if address != config.rest_address:
        config = config.replace(rest_address=address)
    return _take_userinfo(config, settings)


def _builtin_names() -> list[str]:
    # The built-ins' keys are no typos even when their plugin is disabled: a
    # replacement may read them from config.raw.
    return list(builtin_settings().names())


def _strip_userinfo(url: str) -> tuple[str, str | None]:
    """``url`` without ``user:password@``, and the user-info (None when there was none)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, host = parts.netloc.rsplit("@", 1)
    return urlunsplit(parts._replace(netloc=host)), userinfo


def _take_userinfo(config: CamundaConfig, settings: SettingRegistry) -> CamundaConfig:
    # httpx would send user:password@ as Basic auth by itself, but also write the
    # URL, password included, into its log lines and exceptions; and a traceback
    # with local variables would show it. So it leaves the URL here, once.
    address, userinfo = _strip_userinfo(config.rest_address)
    if userinfo is None:
        return config
    given = config.given_as(REST_ADDRESS) or REST_ADDRESS.key
    raw = {
        key: _strip_userinfo(value)[0]
        if key in (REST_ADDRESS.key, *REST_ADDRESS.aliases)
        else value
        for key, value in config.raw.items()
    }
    username, _, password = userinfo.partition(":")
    username, password = unquote(username), unquote(password)
    user_setting = settings.get("CAMUNDA_BASIC_AUTH_USERNAME")
    password_setting = settings.get("CAMUNDA_BASIC_AUTH_PASSWORD")
    if user_setting is None or password_setting is None:
        raise ConfigurationError(
            f"{given} carries credentials (user:password@), but no plugin reads Basic "
            "credentials (is the auth plugin disabled?): remove them from the address",
            variable=given,
        )
    for setting, value in ((user_setting, username), (password_setting, password)):
        if config.given_as(setting) is not None and config.get(setting) != value:
            raise ConfigurationError(
                f"{given} carries credentials (user:password@) and {setting.key} is set "
                "to another value: keep one of them",
                variable=given,
            )
    return config.with_values(
        {REST_ADDRESS.key: address, user_setting.key: username, password_setting.key: password},
        given={user_setting.key: given, password_setting.key: given},
        raw=raw,
    )


@hookimpl(wrapper=True)
def camunda_call_handler(context: ClientContext) -> Generator[None, Handler, Handler]:
    """Apply the default tenant to request bodies that leave ``tenant_id`` empty."""
    inner = yield
    tenant = TENANT_ID.read(context.config)
    if not tenant:
        return inner  # no per-call work to do: leave the stage out entirely

    def apply_defaults(call: Call) -> Generator[Effect, Any, Response]:
        body = call.body
        if isinstance(body, Model) and getattr(body, "tenant_id", False) is None:
            call.body = attrs.evolve(body, tenant_id=tenant)  # type: ignore[misc]
        return (yield from inner(call))

    return apply_defaults
