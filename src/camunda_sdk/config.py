"""The SDK's configuration, as a client resolves it (the public module).

Each plugin declares the settings it reads, from its ``camunda_add_settings``
hook (as pytest plugins add options in ``pytest_addoption``); the client collects
them (:func:`collect_settings`) and resolves whatever they declare from a dotenv
file < the environment < ``configuration={...}`` (:func:`resolve_settings`). The
model itself is :mod:`camunda_sdk.settings`, which knows no plugin; this module
joins it to the plugin management and the built-in plugins:
:func:`resolve_config` resolves exactly as a client does, :func:`builtin_settings`
is what ``CamundaConfig(**fields)`` knows.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .pipeline.manager import collect_settings, create_plugin_manager, load_config
from .plugins import BUILTIN_PLUGINS, builtin_settings
from .settings import (
    LOAD_ENVFILE,
    NUMBER_CEILING,
    STRICT_CONFIG,
    CamundaConfig,
    ConfigurationWarning,
    Setting,
    SettingRegistry,
    resolve_settings,
)

if TYPE_CHECKING:
    import pluggy

__all__ = [
    "LOAD_ENVFILE",
    "NUMBER_CEILING",
    "STRICT_CONFIG",
    "CamundaConfig",
    "ConfigurationWarning",
    "Setting",
    "SettingRegistry",
    "builtin_settings",
    "collect_settings",
    "resolve_config",
    "resolve_settings",
]


def resolve_config(
    configuration: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    plugin_manager: pluggy.PluginManager | None = None,
) -> CamundaConfig:
    """Resolve the configuration exactly as a client with these arguments does.

    Collects the plugins' settings (:func:`collect_settings`) and calls the
    ``camunda_load_config`` hook: the built-in ``config`` plugin resolves them
    (:func:`resolve_settings`) and plugins apply their cross-setting rules (the
    ``auth`` plugin infers ``CAMUNDA_AUTH_STRATEGY`` from the credentials set).

    Args:
        configuration: explicit ``CAMUNDA_*`` keys (highest precedence).
        environ: the environment to read; ``os.environ`` when None.
        plugin_manager: the client's plugins; when None, the built-ins and the
            installed and configured plugins, as a client would load them.

    Raises:
        ConfigurationError: a value is malformed, a required credential is
            missing, or the auth strategy is ambiguous.
        PluginError: a plugin failed, or none resolved the configuration.
    """
    env = os.environ if environ is None else environ
    pm = plugin_manager
    if pm is None:
        pm = create_plugin_manager(
            builtins=BUILTIN_PLUGINS, configuration=configuration, environ=env
        )
    return load_config(pm, configuration, env)
