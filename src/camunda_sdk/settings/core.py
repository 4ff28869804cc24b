"""The core settings: those of the client itself rather than of one stage.

Declared here, at the bottom, so that :class:`~camunda_sdk.settings.CamundaConfig`
can offer them as typed attributes (``config.rest_address``, ``config.timeout_ms``,
``config.log_level``, ...); the built-in ``config`` plugin declares them to the
registry (and the ``logging`` plugin :data:`LOG_LEVEL`), like any plugin its own.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .setting import Setting

__all__ = [
    "CA_CERTIFICATE_PATH",
    "CORE_SETTINGS",
    "DISABLE_PLUGINS",
    "LOAD_ENVFILE",
    "LOG_LEVEL",
    "MTLS_CA",
    "MTLS_CERT",
    "MTLS_CERT_PATH",
    "MTLS_KEY",
    "MTLS_KEY_PASSPHRASE",
    "MTLS_KEY_PATH",
    "PLUGINS",
    "REST_ADDRESS",
    "REST_ADDRESS_EXACT",
    "STRICT_CONFIG",
    "TENANT_ID",
    "TIMEOUT_MS",
]


def _base_address(url: str) -> str:
    # Operation paths are appended to the address: a query or fragment would end
    # up in the middle of every URL.
    parts = urlsplit(url)
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ValueError("a base URL without ?query or #fragment")
    return url


def _pem(text: str) -> str:
    # Environment variables and .env files often carry PEM on one line with
    # literal "\n" escapes; accept them as the reference SDKs do.
    if "\n" not in text and "\\n" in text:
        text = text.replace("\\n", "\n")
    if "-----BEGIN " not in text:
        raise ValueError("PEM text (-----BEGIN ...-----), not a file path")
    return text + "\n"


def _inline_pem(key: str, description: str, *, secret: bool = False) -> Setting[str | None]:
    """A setting holding PEM text itself, the inline twin of a ``*_PATH`` setting."""
    return Setting(key, convert=_pem, secret=secret, description=description)


def _level(name: str) -> str:
    return "warn" if name == "warning" else name  # the stdlib's spelling, accepted too


REST_ADDRESS: Setting[str] = Setting(
    "CAMUNDA_REST_ADDRESS",
    "url",
    default="http://localhost:8080/v2",
    aliases=("ZEEBE_REST_ADDRESS",),
    convert=_base_address,
    description="REST API base URL; `/v2` is appended when missing. Credentials in it "
    "(`user:password@`) are taken out and used as Basic auth.",
)
REST_ADDRESS_EXACT = Setting.flag(
    "CAMUNDA_REST_ADDRESS_EXACT",
    False,
    "Use CAMUNDA_REST_ADDRESS as given, without appending `/v2` (an API gateway that maps "
    "its own path).",
)
TENANT_ID: Setting[str | None] = Setting(
    "CAMUNDA_TENANT_ID",
    description="Default tenant id for operations that accept a tenant id.",
)
TIMEOUT_MS = Setting.milliseconds(
    "CAMUNDA_SDK_TIMEOUT_MS",
    30000,
    "HTTP request timeout in milliseconds (token requests too); 0 disables it.",
    maximum=86_400_000,  # a day: beyond it, a typo rather than a wish
)
CA_CERTIFICATE_PATH: Setting[str | None] = Setting(
    "CAMUNDA_CA_CERTIFICATE_PATH",
    "path",
    aliases=("CAMUNDA_MTLS_CA_PATH",),
    description="PEM file of CA certificates to trust besides the system store.",
)
MTLS_CA = _inline_pem(
    "CAMUNDA_MTLS_CA",
    "Inline PEM CA certificates to trust besides the system store (with "
    "CAMUNDA_CA_CERTIFICATE_PATH: both).",
)
MTLS_CERT_PATH: Setting[str | None] = Setting(
    "CAMUNDA_MTLS_CERT_PATH",
    "path",
    description="PEM client certificate for mutual TLS (may also hold the key).",
)
MTLS_CERT = _inline_pem(
    "CAMUNDA_MTLS_CERT",
    "Inline PEM client certificate for mutual TLS; wins over CAMUNDA_MTLS_CERT_PATH.",
)
MTLS_KEY_PATH: Setting[str | None] = Setting(
    "CAMUNDA_MTLS_KEY_PATH",
    "path",
    description="PEM private key of the mutual-TLS client certificate.",
)
MTLS_KEY = _inline_pem(
    "CAMUNDA_MTLS_KEY",
    "Inline PEM private key of the mutual-TLS client certificate; wins over CAMUNDA_MTLS_KEY_PATH.",
    secret=True,
)
MTLS_KEY_PASSPHRASE: Setting[str | None] = Setting(
    "CAMUNDA_MTLS_KEY_PASSPHRASE",
    secret=True,
    description="Passphrase of an encrypted mutual-TLS private key.",
)
# Plugin discovery reads these two raw, before the configuration exists (see
# pipeline/manager.py); declared all the same, so they are validated and documented.
PLUGINS = Setting.names(
    "CAMUNDA_SDK_PLUGINS",
    "Module names to import and register as plugins (for plugins without an entry point); "
    "not read from a `.env` file.",
)
DISABLE_PLUGINS = Setting.names(
    "CAMUNDA_SDK_DISABLE_PLUGINS",
    "Names of plugins (built-in or installed) not to load; not read from a `.env` file.",
)

#: The switch of the dotenv source, read by the resolution before anything else.
LOAD_ENVFILE: Setting[str | None] = Setting(
    "CAMUNDA_LOAD_ENVFILE",
    description="Load a dotenv file first: `true`/`1`/`yes` for ./.env, or a file path.",
)
#: Unknown keys are errors rather than warnings.
STRICT_CONFIG = Setting.flag(
    "CAMUNDA_SDK_STRICT_CONFIG",
    False,
    "Make an unknown `CAMUNDA_*` key (a probable typo) a ConfigurationError instead of a warning.",
)

LOG_LEVEL: Setting[str] = Setting(
    "CAMUNDA_SDK_LOG_LEVEL",
    "choice",
    default="error",
    choices=("silent", "error", "warn", "info", "debug", "trace", "silly", "warning"),
    convert=_level,
    description="SDK log level (`warning` means `warn`).",
)


#: What the built-in ``config`` plugin declares, in the README table's order.
CORE_SETTINGS: tuple[Setting[Any], ...] = (
    REST_ADDRESS,
    REST_ADDRESS_EXACT,
    TENANT_ID,
    TIMEOUT_MS,
    CA_CERTIFICATE_PATH,
    MTLS_CA,
    MTLS_CERT_PATH,
    MTLS_CERT,
    MTLS_KEY_PATH,
    MTLS_KEY,
    MTLS_KEY_PASSPHRASE,
    LOAD_ENVFILE,
    STRICT_CONFIG,
    PLUGINS,
    DISABLE_PLUGINS,
)
