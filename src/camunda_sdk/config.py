"""Resolve the SDK's ``CAMUNDA_*`` configuration into one immutable object.

Sources, lowest precedence first:

1. a dotenv file, read only when ``CAMUNDA_LOAD_ENVFILE`` asks for it;
2. the process environment;
3. the explicit ``configuration={...}`` mapping given to the client.

Within one source a canonical key wins over its aliases; across sources the
higher source wins even when it uses an alias. An empty value counts as unset,
so an explicit ``""`` clears a value inherited from the environment.

:data:`SETTINGS` is the single source of truth for every recognised key: the
resolver, :meth:`CamundaConfig.redacted` and the README's configuration table are
all derived from it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs

from .errors import ConfigurationError, redact_url

__all__ = ["SETTINGS", "CamundaConfig", "Setting", "resolve_config"]

_MASK = "***"
_PREFIXES = ("CAMUNDA_", "ZEEBE_")

# Value kinds of a Setting, i.e. how its text is parsed:
#   str      plain text                 secret   text never shown
#   url      http(s) URL                address  the REST base URL (/v2 appended)
#   path     file system path (~)       bool     true/false, 1/0, yes/no, on/off
#   int      integer >= minimum         float    number >= minimum
#   choice   one of `choices`           list     comma-separated names
#   strategy upper-cased auth strategy name (plugins may add their own)
_KINDS = frozenset(
    (
        "str",
        "secret",
        "url",
        "address",
        "path",
        "bool",
        "int",
        "float",
        "choice",
        "list",
        "strategy",
    )
)


@attrs.frozen
class Setting:
    """One recognised configuration key.

    Attributes:
        key: the canonical ``CAMUNDA_*`` name.
        aliases: older or alternative names accepted for the same setting.
        default: the default as text (None: unset unless given).
        kind: how the value is parsed (see the module source for the list).
        description: one line for the README's configuration table.
        choices: the accepted values of a ``choice`` setting.
        minimum: the lowest accepted value of an ``int``/``float`` setting.
    """

    key: str
    aliases: tuple[str, ...]
    default: str | None
    kind: str
    description: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None

    def __attrs_post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown setting kind {self.kind!r} for {self.key}")

    @property
    def field(self) -> str:
        """The :class:`CamundaConfig` attribute holding this setting's value."""
        name = self.key
        for prefix in ("CAMUNDA_SDK_", "CAMUNDA_"):
            if name.startswith(prefix):
                name = name[len(prefix) :]
                break
        return name.lower()

    @property
    def secret(self) -> bool:
        """Whether the value must never be shown."""
        return self.kind == "secret"


_LOG_LEVELS = ("silent", "error", "warn", "info", "debug", "trace", "silly")

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "CAMUNDA_REST_ADDRESS",
        ("ZEEBE_REST_ADDRESS",),
        "http://localhost:8080/v2",
        "address",
        "REST API base URL; `/v2` is appended when missing (alias ZEEBE_REST_ADDRESS).",
    ),
    Setting(
        "CAMUNDA_AUTH_STRATEGY",
        (),
        None,
        "strategy",
        "Authentication strategy: NONE, OAUTH, BASIC or a plugin's; inferred from "
        "the credentials when unset.",
    ),
    Setting(
        "CAMUNDA_OAUTH_URL",
        (),
        "https://login.cloud.camunda.io/oauth/token",
        "url",
        "OAuth 2.0 token endpoint URL.",
    ),
    Setting(
        "CAMUNDA_CLIENT_ID",
        ("CAMUNDA_CLIENT_AUTH_CLIENTID",),
        None,
        "str",
        "OAuth client id (alias CAMUNDA_CLIENT_AUTH_CLIENTID).",
    ),
    Setting(
        "CAMUNDA_CLIENT_SECRET",
        ("CAMUNDA_CLIENT_AUTH_CLIENTSECRET",),
        None,
        "secret",
        "OAuth client secret (alias CAMUNDA_CLIENT_AUTH_CLIENTSECRET).",
    ),
    Setting("CAMUNDA_TOKEN_AUDIENCE", (), "zeebe.camunda.io", "str", "OAuth token audience."),
    Setting("CAMUNDA_TOKEN_SCOPE", (), None, "str", "OAuth token scope, sent only when set."),
    Setting(
        "CAMUNDA_TOKEN_CACHE_DIR",
        (),
        None,
        "path",
        "Directory of the OAuth token disk cache; no disk cache when unset.",
    ),
    Setting(
        "CAMUNDA_TOKEN_DISK_CACHE_DISABLE",
        (),
        "false",
        "bool",
        "Disable the OAuth token disk cache even when a directory is set.",
    ),
    Setting(
        "CAMUNDA_BASIC_AUTH_USERNAME",
        (),
        None,
        "str",
        "Basic auth user name; required when CAMUNDA_AUTH_STRATEGY=BASIC.",
    ),
    Setting(
        "CAMUNDA_BASIC_AUTH_PASSWORD",
        (),
        None,
        "secret",
        "Basic auth password; required when CAMUNDA_AUTH_STRATEGY=BASIC.",
    ),
    Setting(
        "CAMUNDA_CA_CERTIFICATE_PATH",
        (),
        None,
        "path",
        "PEM file of CA certificates to trust besides the system store.",
    ),
    Setting(
        "CAMUNDA_MTLS_CERT_PATH",
        (),
        None,
        "path",
        "PEM client certificate for mutual TLS (may also hold the key).",
    ),
    Setting(
        "CAMUNDA_MTLS_KEY_PATH",
        (),
        None,
        "path",
        "PEM private key of the mutual-TLS client certificate.",
    ),
    Setting(
        "CAMUNDA_TENANT_ID",
        (),
        None,
        "str",
        "Default tenant id for operations that accept a tenant id.",
    ),
    Setting(
        "CAMUNDA_SDK_LOG_LEVEL",
        (),
        "error",
        "choice",
        "SDK log level: silent, error, warn, info, debug, trace or silly.",
        choices=_LOG_LEVELS,
    ),
    Setting(
        "CAMUNDA_SDK_BACKPRESSURE_PROFILE",
        (),
        "BALANCED",
        "choice",
        "Backpressure profile: BALANCED (adaptive gating) or LEGACY (observe only).",
        choices=("BALANCED", "LEGACY"),
    ),
    Setting(
        "CAMUNDA_SDK_TIMEOUT_MS",
        (),
        "30000",
        "int",
        "HTTP request timeout in milliseconds; 0 disables it.",
        minimum=0,
    ),
    Setting(
        "CAMUNDA_SDK_RETRY_MAX_ATTEMPTS",
        (),
        "4",
        "int",
        "Attempts per request including the first; 1 disables retries.",
        minimum=1,
    ),
    Setting(
        "CAMUNDA_SDK_RETRY_INITIAL_DELAY_MS",
        (),
        "100",
        "int",
        "First retry delay in milliseconds, grown exponentially with jitter.",
        minimum=0,
    ),
    Setting(
        "CAMUNDA_SDK_RETRY_MAX_DELAY_MS",
        (),
        "5000",
        "int",
        "Upper bound of a single retry delay in milliseconds.",
        minimum=0,
    ),
    Setting(
        "CAMUNDA_SDK_TRACING",
        (),
        "true",
        "bool",
        "Emit OpenTelemetry spans (a no-op unless an OpenTelemetry SDK is set up).",
    ),
    Setting(
        "CAMUNDA_SDK_PLUGINS",
        (),
        None,
        "list",
        "Comma-separated module names to import and register as plugins"
        " (for plugins without an entry point).",
    ),
    Setting(
        "CAMUNDA_SDK_DISABLE_PLUGINS",
        (),
        None,
        "list",
        "Comma-separated names of plugins (built-in or installed) not to load.",
    ),
    Setting(
        "CAMUNDA_WORKER_TIMEOUT",
        (),
        None,
        "int",
        "Default job timeout in milliseconds for job workers.",
        minimum=1,
    ),
    Setting(
        "CAMUNDA_WORKER_MAX_CONCURRENT_JOBS",
        (),
        None,
        "int",
        "Default maximum of jobs a worker runs at once.",
        minimum=1,
    ),
    Setting(
        "CAMUNDA_WORKER_REQUEST_TIMEOUT",
        (),
        None,
        "int",
        "Default long-poll timeout of job activation in milliseconds (0: server default).",
        minimum=0,
    ),
    Setting("CAMUNDA_WORKER_NAME", (), None, "str", "Default worker name reported to Camunda."),
    Setting(
        "CAMUNDA_WORKER_STARTUP_JITTER_MAX_SECONDS",
        (),
        None,
        "float",
        "Default maximum random delay in seconds before a worker starts polling.",
        minimum=0,
    ),
    Setting(
        "CAMUNDA_LOAD_ENVFILE",
        (),
        None,
        "str",
        "Load a dotenv file first: `true`/`1`/`yes` for ./.env, or a file path.",
    ),
)

_BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}
_KNOWN_NAMES = frozenset(name for s in SETTINGS for name in (s.key, *s.aliases))
_TRUE = frozenset({"true", "1", "yes", "on", "y", "t"})
_FALSE = frozenset({"false", "0", "no", "off", "n", "f"})
_CHOICE_ALIASES = {"warning": "warn"}
# Names of unknown (plugin) keys that probably hold credentials; masked too.
_SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|CREDENTIAL|API_?KEY|_TOKEN$|PRIVATE_KEY$")


def _is_secret_key(key: str) -> bool:
    setting = _setting_for_name(key)
    if setting is not None:
        return setting.secret
    return bool(_SECRET_NAME.search(key))


def _setting_for_name(name: str) -> Setting | None:
    setting = _BY_KEY.get(name)
    if setting is not None:
        return setting
    for candidate in SETTINGS:
        if name in candidate.aliases:
            return candidate
    return None


def _mask_value(key: str, value: str) -> str:
    if _is_secret_key(key):
        return _MASK if value else ""
    if key in ("CAMUNDA_REST_ADDRESS", "ZEEBE_REST_ADDRESS", "CAMUNDA_OAUTH_URL"):
        # URLs may embed user:password@.
        return redact_url(value)
    return value


def _freeze(mapping: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping))


@attrs.frozen(repr=False)
class CamundaConfig:
    """The resolved, validated configuration of one client.

    Build it with :func:`resolve_config`; every field has the documented default,
    so ``CamundaConfig()`` is the zero-config local setup. ``raw`` holds every
    ``CAMUNDA_*``/``ZEEBE_*`` key as merged from all sources, for plugins that read
    keys of their own. ``repr()`` and :meth:`redacted` mask secrets.
    """

    rest_address: str = "http://localhost:8080/v2"
    auth_strategy: str = "NONE"
    oauth_url: str = "https://login.cloud.camunda.io/oauth/token"
    client_id: str | None = None
    client_secret: str | None = None
    token_audience: str = "zeebe.camunda.io"
    token_scope: str | None = None
    token_cache_dir: str | None = None
    token_disk_cache_disable: bool = False
    basic_auth_username: str | None = None
    basic_auth_password: str | None = None
    ca_certificate_path: str | None = None
    mtls_cert_path: str | None = None
    mtls_key_path: str | None = None
    tenant_id: str | None = None
    log_level: str = "error"
    backpressure_profile: str = "BALANCED"
    timeout_ms: int = 30000
    retry_max_attempts: int = 4
    retry_initial_delay_ms: int = 100
    retry_max_delay_ms: int = 5000
    tracing: bool = True
    plugins: tuple[str, ...] = ()
    disable_plugins: tuple[str, ...] = ()
    worker_timeout: int | None = None
    worker_max_concurrent_jobs: int | None = None
    worker_request_timeout: int | None = None
    worker_name: str | None = None
    worker_startup_jitter_max_seconds: float | None = None
    load_envfile: str | None = None
    # Excluded from hashing: a mapping is not hashable, and the typed fields
    # already identify the configuration.
    raw: Mapping[str, str] = attrs.field(factory=dict, converter=_freeze, hash=False)

    def redacted(self) -> dict[str, str]:
        """Every set value as text, keyed by variable name, secrets masked.

        Meant for diagnostics (``print``, a debug log, a bug report). Unset
        settings are left out; unknown keys from ``raw`` are included, masked
        when their name suggests a credential.
        """
        out: dict[str, str] = {}
        for setting in SETTINGS:
            value = getattr(self, setting.field)
            if value is None or value == ():
                continue
            out[setting.key] = _mask_value(setting.key, _to_text(value))
        for key, value in self.raw.items():
            if key not in _KNOWN_NAMES:
                out[key] = _mask_value(key, value)
        return out

    def __repr__(self) -> str:
        parts = []
        for field in attrs.fields(CamundaConfig):
            value = getattr(self, field.name)
            if field.name == "raw":
                shown: object = {k: _mask_value(k, v) for k, v in value.items()}
            elif field.name in ("client_secret", "basic_auth_password"):
                shown = _MASK if value else value
            elif field.name in ("rest_address", "oauth_url"):
                shown = redact_url(value)
            else:
                shown = value
            parts.append(f"{field.name}={shown!r}")
        return f"CamundaConfig({', '.join(parts)})"

    __str__ = __repr__


def _to_text(value: object) -> str:
    """Render a configuration value (explicit mappings may hold non-strings) as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list, set, frozenset)):
        return ",".join(str(v) for v in value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)  # type: ignore[arg-type]
    return str(value)


_USERINFO = re.compile(r"^([a-z][a-z0-9+.-]*://)?[^/@\s]*@", re.IGNORECASE)


def _show(setting: Setting | None, name: str, text: str) -> str:
    # Error messages quote the offending value to help fixing it, except for
    # secrets, and never at unbounded length.
    if setting is not None and setting.secret:
        return f"{name} (value hidden)"
    if setting is not None and setting.kind in ("url", "address"):
        # An address may carry credentials (user:password@host, ?client_secret=),
        # even a malformed one without a scheme.
        text = _USERINFO.sub("***@", redact_url(text))
    shown = text if len(text) <= 60 else text[:57] + "..."
    return f"{name}={shown!r}"


def _fail(setting: Setting, name: str, text: str, expected: str) -> ConfigurationError:
    return ConfigurationError(
        f"{_show(setting, name, text)} is invalid: expected {expected}", variable=name
    )


def _parse_bool(setting: Setting, name: str, text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise _fail(setting, name, text, "a boolean (true/false, 1/0, yes/no, on/off)")


def _parse_number(setting: Setting, name: str, text: str) -> int | float:
    lower = setting.minimum
    bound = f" >= {lower:g}" if lower is not None else ""
    try:
        if setting.kind == "int":
            number: int | float = int(text)
        else:
            number = float(text)
            if number != number or number in (float("inf"), float("-inf")):
                raise ValueError(text)
    except ValueError:
        noun = "an integer" if setting.kind == "int" else "a number"
        raise _fail(setting, name, text, noun + bound) from None
    if lower is not None and number < lower:
        noun = "an integer" if setting.kind == "int" else "a number"
        raise _fail(setting, name, text, noun + bound)
    return number


def _parse_choice(setting: Setting, name: str, text: str) -> str:
    lowered = _CHOICE_ALIASES.get(text.lower(), text.lower())
    for choice in setting.choices:
        if choice.lower() == lowered:
            return choice
    raise _fail(setting, name, text, "one of " + ", ".join(setting.choices))


def _parse_url(setting: Setting, name: str, text: str) -> str:
    if not re.match(r"^https?://[^/\s]+", text, re.IGNORECASE):
        raise _fail(setting, name, text, "an http:// or https:// URL")
    return text


def _parse_address(setting: Setting, name: str, text: str) -> str:
    url = _parse_url(setting, name, text).rstrip("/")
    # Users copy the cluster URL with or without the API version; the client
    # joins operation paths onto ".../v2" without a trailing slash.
    if not url.endswith("/v2"):
        url += "/v2"
    return url


def _parse(setting: Setting, name: str, text: str) -> Any:
    kind = setting.kind
    if kind in ("str", "secret"):
        return text
    if kind == "path":
        return os.path.expanduser(text)
    if kind == "bool":
        return _parse_bool(setting, name, text)
    if kind in ("int", "float"):
        return _parse_number(setting, name, text)
    if kind == "choice":
        return _parse_choice(setting, name, text)
    if kind == "url":
        return _parse_url(setting, name, text)
    if kind == "address":
        return _parse_address(setting, name, text)
    if kind == "list":
        return tuple(item.strip() for item in text.split(",") if item.strip())
    if kind == "strategy":
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", text):
            raise _fail(setting, name, text, "NONE, OAUTH, BASIC or a plugin's strategy name")
        return text.upper()
    raise AssertionError(kind)  # pragma: no cover - guarded by Setting


def _prefixed(mapping: Mapping[str, Any]) -> dict[str, str]:
    return {
        k: _to_text(v)
        for k, v in mapping.items()
        if isinstance(k, str) and k.startswith(_PREFIXES) and v is not None
    }


def _explicit(configuration: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in configuration.items():
        if not isinstance(key, str):
            raise ConfigurationError(f"configuration keys must be strings, got {key!r}")
        # Keys mirror environment variable names; accept any case since a
        # Python dict literal is where "camunda_rest_address" typos happen.
        name = key.strip().upper()
        if not name.startswith(_PREFIXES):
            raise ConfigurationError(
                f"unknown configuration key {key!r}: keys are CAMUNDA_* environment "
                "variable names (e.g. CAMUNDA_REST_ADDRESS)",
                variable=key,
            )
        if value is not None:  # None means "not given", not "clear"
            out[name] = _to_text(value)
    return out


def _envfile_path(flag: str) -> Path | None:
    value = flag.strip()
    lowered = value.lower()
    if lowered in ("", "false", "0", "no", "off"):
        return None
    if lowered in ("true", "1", "yes", "on"):
        return Path.cwd() / ".env"
    path = Path(value).expanduser()
    # A directory means "the .env inside it", the liberal reading.
    return path / ".env" if path.is_dir() else path


def _read_envfile(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}  # documented: a missing file is silently ignored
    # Imported here so that `import camunda_sdk` does not pay for dotenv.
    from dotenv import dotenv_values

    values = dotenv_values(path)
    return {k: v for k, v in values.items() if v is not None}


def _lookup(setting: Setting, sources: list[dict[str, str]]) -> tuple[str, str] | None:
    """Find (name, text) of a setting: highest source first, canonical before aliases."""
    names = (setting.key, *setting.aliases)
    for source in sources:
        for name in names:
            if name in source:
                return name, source[name]
    return None


def resolve_config(
    configuration: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> CamundaConfig:
    """Merge dotenv file, environment and explicit configuration into a CamundaConfig.

    Args:
        configuration: explicit ``CAMUNDA_*`` keys (highest precedence). Values
            may be strings, numbers or booleans; None means "not given".
        environ: the environment to read; ``os.environ`` when None. It is never
            modified.

    Raises:
        ConfigurationError: a value is malformed, a required credential is
            missing, or the auth strategy is ambiguous.
    """
    explicit = _explicit(configuration or {})
    env = _prefixed(os.environ if environ is None else environ)

    dotenv: dict[str, str] = {}
    flag = explicit.get("CAMUNDA_LOAD_ENVFILE", env.get("CAMUNDA_LOAD_ENVFILE"))
    if flag is not None:
        path = _envfile_path(flag)
        if path is not None:
            dotenv = _prefixed(_read_envfile(path))

    sources = [explicit, env, dotenv]  # highest precedence first
    raw = {**dotenv, **env, **explicit}

    values: dict[str, Any] = {}
    found: dict[str, str] = {}  # setting key -> the name it was found under
    for setting in SETTINGS:
        hit = _lookup(setting, sources)
        name, text = setting.key, None
        if hit is not None:
            name, given = hit
            text = given.strip()
            if text:
                found[setting.key] = name
            else:
                text = None  # empty means unset
        if text is None:
            if setting.default is None:
                # An unset list is empty rather than None, so callers can iterate.
                values[setting.field] = () if setting.kind == "list" else None
                continue
            name, text = setting.key, setting.default
        values[setting.field] = _parse(setting, name, text)

    values["auth_strategy"] = _auth_strategy(values, found)
    if values["mtls_key_path"] and not values["mtls_cert_path"]:
        raise ConfigurationError(
            "CAMUNDA_MTLS_KEY_PATH is set but CAMUNDA_MTLS_CERT_PATH is missing: "
            "mutual TLS needs the client certificate too",
            variable="CAMUNDA_MTLS_CERT_PATH",
        )
    return CamundaConfig(raw=raw, **values)


_OAUTH_KEYS = ("CAMUNDA_CLIENT_ID", "CAMUNDA_CLIENT_SECRET")
_BASIC_KEYS = ("CAMUNDA_BASIC_AUTH_USERNAME", "CAMUNDA_BASIC_AUTH_PASSWORD")


def _require(keys: tuple[str, ...], found: Mapping[str, str], reason: str) -> None:
    for key in keys:
        if key not in found:
            setting = _BY_KEY[key]
            also = f" (or {', '.join(setting.aliases)})" if setting.aliases else ""
            raise ConfigurationError(f"{key}{also} is not set, but {reason}", variable=key)


def _auth_strategy(values: Mapping[str, Any], found: Mapping[str, str]) -> str:
    strategy: str | None = values["auth_strategy"]
    if strategy == "OAUTH":
        _require(_OAUTH_KEYS, found, "CAMUNDA_AUTH_STRATEGY=OAUTH requires it")
    elif strategy == "BASIC":
        _require(_BASIC_KEYS, found, "CAMUNDA_AUTH_STRATEGY=BASIC requires it")
    if strategy is not None:
        # NONE, or a plugin's strategy which validates its own settings.
        return strategy

    oauth = [found[k] for k in _OAUTH_KEYS if k in found]
    basic = [found[k] for k in _BASIC_KEYS if k in found]
    if oauth and basic:
        raise ConfigurationError(
            "cannot infer the auth strategy: both OAuth credentials ("
            + ", ".join(oauth)
            + ") and Basic credentials ("
            + ", ".join(basic)
            + ") are set; set CAMUNDA_AUTH_STRATEGY to OAUTH or BASIC",
            variable="CAMUNDA_AUTH_STRATEGY",
        )
    if oauth:
        # A lone id or secret is almost certainly a mistake; failing here beats
        # silently sending unauthenticated requests that come back as 401.
        _require(_OAUTH_KEYS, found, f"{oauth[0]} is, so OAuth was inferred")
        return "OAUTH"
    if basic:
        _require(_BASIC_KEYS, found, f"{basic[0]} is, so Basic auth was inferred")
        return "BASIC"
    return "NONE"
