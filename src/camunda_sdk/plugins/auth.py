"""Built-in plugin ``auth``: the auth stage and the NONE and BASIC strategies.

The stage asks :func:`camunda_auth_provider` once per client for the provider of
``CAMUNDA_AUTH_STRATEGY`` and runs every call through its ``flow``. Strategies
are plugins too: OAuth lives in ``camunda_sdk.plugins.oauth``; a user adds
another by answering the hook for a new name.

It declares ``CAMUNDA_AUTH_STRATEGY`` and the Basic credentials, and settles the
strategy once the configuration is resolved: a named strategy must have its
credentials; an unset one is inferred from which credentials are set (credentials
in the REST address count as Basic ones: the ``config`` plugin moves them there).

The stage also keeps the credentials it sent from coming back: an error response
whose body echoes them (a debugging proxy, a server quoting the request) has
them replaced by ``***`` before any other stage, log or exception sees it.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Generator
from typing import Any
from urllib.parse import quote, quote_plus

from ..errors import ConfigurationError
from ..pipeline.call import Call
from ..pipeline.context import ClientContext, StateKey
from ..pipeline.effects import Effect
from ..pipeline.hookspecs import AuthProvider, Handler, hookimpl
from ..pipeline.http import Response
from ..settings import CamundaConfig, Setting, SettingRegistry
from ..settings.core import REST_ADDRESS
from .oauth import CLIENT_ID, CLIENT_SECRET


def _strategy_name(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", text):
        raise ValueError("NONE, OAUTH, BASIC or a plugin's strategy name")
    return text.upper()


AUTH_STRATEGY: Setting[str | None] = Setting(
    "CAMUNDA_AUTH_STRATEGY",
    convert=_strategy_name,
    description="Authentication strategy: NONE, OAUTH, BASIC or a plugin's; inferred from "
    "the credentials when unset.",
)
BASIC_AUTH_USERNAME: Setting[str | None] = Setting(
    "CAMUNDA_BASIC_AUTH_USERNAME",
    description="Basic auth user name; required when CAMUNDA_AUTH_STRATEGY=BASIC.",
)
BASIC_AUTH_PASSWORD: Setting[str | None] = Setting(
    "CAMUNDA_BASIC_AUTH_PASSWORD",
    secret=True,
    description="Basic auth password; required when CAMUNDA_AUTH_STRATEGY=BASIC.",
)

#: The provider of the client's strategy, as the auth stage last chose it.
AUTH_PROVIDER: StateKey[AuthProvider] = StateKey("auth")

_OAUTH = (CLIENT_ID, CLIENT_SECRET)
_BASIC = (BASIC_AUTH_USERNAME, BASIC_AUTH_PASSWORD)


@hookimpl
def camunda_add_settings(settings: SettingRegistry) -> None:
    """Declare the strategy and the Basic credentials."""
    settings.add(AUTH_STRATEGY, *_BASIC)


@hookimpl(wrapper=True)
def camunda_load_config() -> Generator[None, CamundaConfig | None, CamundaConfig | None]:
    """Settle ``CAMUNDA_AUTH_STRATEGY`` on the resolved configuration."""
    config = yield
    if not isinstance(config, CamundaConfig):
        return config  # a plugin's own kind of configuration answers for itself
    return config.replace(auth_strategy=settle_strategy(config))


def settle_strategy(config: CamundaConfig) -> str:
    """The auth strategy: the one named, once its credentials are checked, or the inferred one.

    Raises:
        ConfigurationError: credentials the strategy needs are missing, or both
            OAuth and Basic credentials are set and no strategy is named.
    """
    strategy = config.get(AUTH_STRATEGY)
    from_address = config.given_as(BASIC_AUTH_USERNAME)
    if from_address in (REST_ADDRESS.key, *REST_ADDRESS.aliases) and strategy not in (
        None,
        "BASIC",
    ):
        # Dropping them silently would leave a user wondering why they are ignored.
        raise ConfigurationError(
            f"{from_address} carries credentials (user:password@), but "
            f"CAMUNDA_AUTH_STRATEGY={strategy}: remove them from the address",
            variable=from_address,
        )
    if strategy == "OAUTH":
        _require(config, _OAUTH, "CAMUNDA_AUTH_STRATEGY=OAUTH requires it")
    elif strategy == "BASIC":
        _require(config, _BASIC, "CAMUNDA_AUTH_STRATEGY=BASIC requires it")
    if strategy is not None:
        # NONE, or a plugin's strategy which validates its own settings.
        return strategy

    oauth = [name for name in map(config.given_as, _OAUTH) if name]
    basic = list(dict.fromkeys(name for name in map(config.given_as, _BASIC) if name))
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
        _require(config, _OAUTH, f"{oauth[0]} is, so OAuth was inferred")
        return "OAUTH"
    if basic:
        _require(config, _BASIC, f"{basic[0]} is, so Basic auth was inferred")
        return "BASIC"
    return "NONE"


def _require(config: CamundaConfig, settings: tuple[Setting[Any], ...], reason: str) -> None:
    for setting in settings:
        if config.given_as(setting) is None:
            also = f" (or {', '.join(setting.aliases)})" if setting.aliases else ""
            raise ConfigurationError(
                f"{setting.key}{also} is not set, but {reason}", variable=setting.key
            )


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

    def flow(self, call: Call, inner: Handler) -> Generator[Effect, Any, Response]:
        # An Authorization given for this call (with_options(headers=...)) wins.
        call.headers.setdefault("authorization", self._header)
        return (yield from inner(call))


@hookimpl(trylast=True)
def camunda_auth_provider(strategy: str, context: ClientContext) -> AuthProvider | None:
    """Provide the built-in NONE and BASIC strategies."""
    if strategy == "NONE":
        return NoAuth()
    if strategy == "BASIC":
        username = BASIC_AUTH_USERNAME.read(context.config)
        password = BASIC_AUTH_PASSWORD.read(context.config)
        if not username or password is None:
            raise ConfigurationError(
                "CAMUNDA_AUTH_STRATEGY=BASIC needs CAMUNDA_BASIC_AUTH_USERNAME and "
                "CAMUNDA_BASIC_AUTH_PASSWORD",
                variable="CAMUNDA_BASIC_AUTH_USERNAME",
            )
        return BasicAuth(username, password)
    return None


@hookimpl(wrapper=True)
def camunda_call_handler(context: ClientContext) -> Generator[None, Handler, Handler]:
    """Wrap the inner handler with the configured strategy's flow."""
    inner = yield
    strategy = (AUTH_STRATEGY.read(context.config) or "NONE").upper()
    provider = context.plugin_manager.hook.camunda_auth_provider(strategy=strategy, context=context)
    if provider is None:
        raise ConfigurationError(
            f"CAMUNDA_AUTH_STRATEGY={strategy!r} is not provided by any installed plugin "
            "(built-in strategies: NONE, BASIC, OAUTH)",
            variable="CAMUNDA_AUTH_STRATEGY",
        )
    context.state[AUTH_PROVIDER] = provider
    if type(provider) is NoAuth:
        return inner  # nothing to add: keep the hot path one frame shorter

    flow = provider.flow

    def authenticate(call: Call) -> Generator[Effect, Any, Response]:
        response = yield from flow(call, inner)
        if response.status_code >= 400:
            return unecho(response, call.headers.get("authorization"))
        return response

    return authenticate


_MASK = b"***"


def unecho(response: Response, authorization: str | None) -> Response:
    """``response`` with the credential of ``authorization`` masked in its body.

    The credential is looked for as sent (``Bearer <token>``), alone (the token,
    the Basic ``user:password`` blob), decoded (a Basic password) and in the
    escaped forms a server quoting it in JSON or a URL would write. A response
    that does not contain it is returned as is.
    """
    if not authorization:
        return response
    content = response.content
    values = _credential_forms(authorization)
    found = [value for value in values if value in content]
    if not found:
        return response
    for value in found:
        content = content.replace(value, _MASK)
    headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
    return Response(response.status_code, headers, content, response.request)


def _credential_forms(authorization: str) -> list[bytes]:
    scheme, _, credential = authorization.strip().partition(" ")
    credential = credential.strip()
    values = {authorization.strip(), credential}
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credential, validate=True).decode("utf-8")
        except ValueError:  # not base64, or not UTF-8: nothing more to look for
            decoded = ""
        username, _, password = decoded.partition(":")
        values.update((decoded, password))
        if username != password:
            values.discard(username)  # no secret, and often legitimately quoted
    forms: set[str] = set()
    for value in values:
        if len(value) >= 4:  # shorter ones would mask unrelated text; no real secret is
            forms.update((value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]))
    # Longest first, so a header is masked whole before the credential inside it.
    return sorted((form.encode() for form in forms), key=len, reverse=True)
