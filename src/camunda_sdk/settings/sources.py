"""Resolving the declared settings from their sources.

Sources, lowest precedence first:

1. a dotenv file, read only when ``CAMUNDA_LOAD_ENVFILE`` asks for it;
2. the process environment;
3. the explicit ``configuration={...}`` mapping given to the client.

Within one source a canonical key wins over its aliases; across sources the
higher source wins even when it uses an alias. An empty value counts as unset,
so an explicit ``""`` clears a value inherited from the environment. A key no
setting declares is reported as a probable typo (:class:`ConfigurationWarning`).
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError
from .config import CamundaConfig, SettingRegistry
from .core import LOAD_ENVFILE, STRICT_CONFIG
from .parsing import from_sources, to_text
from .setting import PREFIXES

__all__ = ["ConfigurationWarning", "resolve_settings"]


class ConfigurationWarning(UserWarning):
    """A configuration key the SDK does not know (probably a typo) was given.

    Raised as a :class:`~camunda_sdk.errors.ConfigurationError` instead when
    ``CAMUNDA_SDK_STRICT_CONFIG`` is true. Silence it with the ``warnings``
    module, e.g. ``warnings.simplefilter("ignore", ConfigurationWarning)``.
    """


# How alike an environment variable must be to a known key to be reported as a
# typo of it (difflib ratio). Measured against keys of other Camunda tools: 0.88
# catches one or two wrong letters and none of those.
_TYPO_CUTOFF = 0.88
# Keys of other Camunda SDKs and tools that resemble ours; a process may well have
# them in its environment, so they are never reported from there.
_OTHER_TOOLS = frozenset(
    {
        "CAMUNDA_LOG_LEVEL",
        "CAMUNDA_DEFAULT_TENANT_ID",
        "CAMUNDA_CLIENT_MODE",
        "CAMUNDA_CLIENT_REST_ADDRESS",
        "CAMUNDA_CLIENT_RESTADDRESS",
        "CAMUNDA_CLIENT_AUTH_CLIENT_ID",
        "CAMUNDA_CLIENT_AUTH_CLIENT_SECRET",
        "CAMUNDA_CONSOLE_CLIENT_ID",
        "CAMUNDA_CONSOLE_CLIENT_SECRET",
        "CAMUNDA_CLUSTER_ID",
        "CAMUNDA_OAUTH_CACHE_DIR",
        "CAMUNDA_OAUTH_TIMEOUT_MS",
        "CAMUNDA_SDK_HTTP_RETRY_MAX_ATTEMPTS",
    }
)


def _prefixed(mapping: Mapping[str, Any]) -> dict[str, str]:
    return {
        k: to_text(v)
        for k, v in mapping.items()
        if isinstance(k, str) and k.startswith(PREFIXES) and v is not None
    }


def _explicit(configuration: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The explicit keys, normalised to upper case, and the spelling each was given in."""
    out: dict[str, str] = {}
    spelled: dict[str, str] = {}
    for key, value in configuration.items():
        if not isinstance(key, str):
            raise ConfigurationError(f"configuration keys must be strings, got {key!r}")
        # Keys mirror environment variable names; accept any case since a
        # Python dict literal is where "camunda_rest_address" typos happen.
        name = key.strip().upper()
        if not name.startswith(PREFIXES):
            raise ConfigurationError(
                f"unknown configuration key {key!r}: keys are CAMUNDA_* environment "
                "variable names (e.g. CAMUNDA_REST_ADDRESS)",
                variable=key,
            )
        if value is None:  # None means "not given", not "clear"
            continue
        text = to_text(value)
        first = spelled.get(name)
        if first is not None and out[name].strip() != text.strip():
            # {"CAMUNDA_X": 1, "camunda_x": 2}: the dict order would decide silently.
            raise ConfigurationError(
                f"configuration keys {first!r} and {key!r} name the same setting {name} "
                "with different values: remove one of them",
                variable=name,
            )
        out[name] = text
        spelled.setdefault(name, key)
    return out, spelled


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


def resolve_settings(
    settings: SettingRegistry,
    configuration: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    also_known: Callable[[], Iterable[str]] | None = None,
) -> CamundaConfig:
    """Resolve every declared setting from dotenv file, environment and explicit values.

    The resolution alone: no plugin's cross-setting rules (see
    :func:`camunda_sdk.config.resolve_config`).

    Args:
        settings: what to resolve (see :func:`camunda_sdk.pipeline.manager.collect_settings`).
        configuration: explicit ``CAMUNDA_*`` keys (highest precedence). Values
            may be strings, numbers or booleans; None means "not given".
        environ: the environment to read; ``os.environ`` when None. It is never
            modified.
        also_known: names that are no typo though ``settings`` does not declare
            them, asked for only when some key is unknown (the ``config`` plugin
            gives the settings of built-ins that are disabled: a replacement may
            read them from ``config.raw``).

    Raises:
        ConfigurationError: a value is malformed (the error names the variable).
    """
    explicit, spelled = _explicit(configuration or {})
    env = _prefixed(os.environ if environ is None else environ)

    dotenv: dict[str, str] = {}
    flag = from_sources(LOAD_ENVFILE, [explicit, env])[0]
    if flag is not None:
        path = _envfile_path(flag)
        if path is not None:
            dotenv = _prefixed(_read_envfile(path))

    sources = [explicit, env, dotenv]  # highest precedence first
    strict = from_sources(STRICT_CONFIG, sources)[0]
    _report_unknown(settings, spelled, env, dotenv, strict, also_known)
    values: dict[str, Any] = {}
    given: dict[str, str] = {}
    for setting in settings:
        values[setting.key], name = from_sources(setting, sources)
        if name is not None:
            given[setting.key] = name
    return CamundaConfig.from_values(settings, values, given, {**dotenv, **env, **explicit})


def _report_unknown(
    settings: SettingRegistry,
    explicit: Mapping[str, str],
    env: Mapping[str, str],
    dotenv: Mapping[str, str],
    strict: bool,
    also_known: Callable[[], Iterable[str]] | None,
) -> None:
    """Warn about (or, when strict, refuse) keys no setting declares.

    Every unknown explicit key is reported: it was written for this client. An
    environment or dotenv key only when it is close to a known key: other Camunda
    tools read ``CAMUNDA_*``/``ZEEBE_*`` variables of their own, and a process
    that has them must not warn on every client.
    """
    unknown = [k for k in explicit if k not in settings]
    unknown_env = [k for k in (*env, *dotenv) if k not in settings and k not in explicit]
    if not unknown and not unknown_env:
        return  # the common case: no import, no work
    known = {*settings.names(), *(also_known() if also_known is not None else ())}
    problems: list[tuple[str, str]] = []  # (key, message)
    import difflib  # only when some key is unknown

    for name in unknown:
        if name in known:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        hint = f" (did you mean {close[0]}?)" if close else ""
        problems.append(
            (name, f"configuration key {explicit[name]!r} is not a known setting{hint}")
        )
    for name in dict.fromkeys(unknown_env):
        if name in known or name in _OTHER_TOOLS or not name.startswith("CAMUNDA_"):
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=_TYPO_CUTOFF)
        if close:
            where = "environment variable" if name in env else "key in the .env file"
            problems.append(
                (name, f"{where} {name} is not a known setting (did you mean {close[0]}?)")
            )
    if not problems:
        return
    if strict:
        raise ConfigurationError(
            "; ".join(message for _, message in problems) + " (CAMUNDA_SDK_STRICT_CONFIG is on)",
            variable=problems[0][0] if len(problems) == 1 else None,
        )
    for _, problem in problems:
        warnings.warn(
            f"{problem}: no plugin declares it, so nothing may read it "
            "(CAMUNDA_SDK_STRICT_CONFIG=true makes this an error)",
            ConfigurationWarning,
            stacklevel=_caller_level(),
        )


def _caller_level() -> int:
    # Point the warning at the user's line (CamundaClient(...)), past the SDK's
    # and pluggy's frames, so that warning filters by module work as expected.
    frame = sys._getframe(1)
    level = 1
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module != "camunda_sdk" and not module.startswith(("camunda_sdk.", "pluggy")):
            return level
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return 1
