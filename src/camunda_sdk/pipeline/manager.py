"""Plugin discovery and registration.

Order of registration (and so of wrapping, see ``hookspecs``):

1. the built-in plugins of ``camunda_sdk.plugins.BUILTIN_PLUGINS``, innermost first;
2. third-party plugins from the ``camunda_sdk`` entry-point group, sorted by name;
3. modules named in ``CAMUNDA_SDK_PLUGINS`` (imported and registered by module name);
4. the objects passed as ``plugins=[...]`` to the client, in the given order.

Any of them is skipped when its name is listed in ``CAMUNDA_SDK_DISABLE_PLUGINS``,
except the built-ins the client cannot work without (:data:`REQUIRED_PLUGINS`).
A plugin that fails to load raises :class:`PluginError` naming it.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import pluggy

from ..errors import CamundaError
from . import hookspecs
from .hookspecs import PROJECT

__all__ = [
    "LATE_HOOKS",
    "REQUIRED_PLUGINS",
    "PluginError",
    "create_plugin_manager",
    "plugin_names_setting",
]

#: Built-in plugins that cannot be disabled, with the hook that replaces each: the
#: client has no configuration, no transport or no logger without them.
REQUIRED_PLUGINS: Mapping[str, str] = {
    "config": "camunda_load_config",
    "transport": "camunda_call_handler",
    "logging": "camunda_make_logger",
}

#: Hooks whose specifications are added at first use rather than at construction:
#: the job worker's (``camunda_sdk.workers.hookspecs``, added when a client creates
#: its first worker, so that a client without workers never imports them). A plugin
#: may implement them all the same; pluggy checks it against them then.
LATE_HOOKS = frozenset({"camunda_worker_executor", "camunda_job_handler"})


class PluginError(CamundaError):
    """A plugin could not be loaded, or raised while the pipeline was being built."""

    def __init__(self, plugin: str, problem: str) -> None:
        super().__init__(f"camunda_sdk plugin {plugin!r}: {problem}")
        self.plugin = plugin


def plugin_names_setting(
    key: str, configuration: Mapping[str, Any] | None, environ: Mapping[str, str]
) -> list[str]:
    """Read a comma-separated list of plugin names (explicit configuration wins).

    Read here, raw, rather than from ``CamundaConfig``: the configuration is itself
    resolved by a plugin (``camunda_load_config``), so which plugins exist must be
    known first. A ``.env`` file is therefore not consulted for these two keys.
    Explicit keys are matched in any case, as the configuration matches them.
    """
    raw = None
    if configuration:
        for name, value in configuration.items():
            if isinstance(name, str) and name.strip().upper() == key and value is not None:
                raw = value  # the resolver refuses two spellings with different values
    if raw is None and key in environ:
        raw = environ[key]
    if raw is None:
        return []
    items = raw if isinstance(raw, (list, tuple)) else str(raw).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


@lru_cache(maxsize=1)
def _entry_points() -> tuple[Any, ...]:
    # Scanning installed distributions costs milliseconds: do it once per process.
    if not _may_declare_plugins():
        # Importing importlib.metadata alone costs about 12 ms, most of constructing a
        # client, and most processes have no third-party plugin to find with it.
        return ()
    from importlib.metadata import entry_points

    return tuple(sorted(entry_points(group=PROJECT), key=lambda ep: ep.name))


def _may_declare_plugins() -> bool:
    """Whether an installed distribution may declare an entry point of our group.

    False only when ``importlib.metadata`` would find none: this reads the same
    ``*.dist-info`` / ``*.egg-info`` folders on ``sys.path`` that its path finder
    reads, and answers True (the real discovery then runs) for anything it does
    not read itself: a zip file or an egg on the path, another finder that
    discovers distributions, an unexpected read error, or a section header that
    mentions the group at all.
    """
    from importlib.machinery import PathFinder

    for finder in sys.meta_path:
        if finder is not PathFinder and hasattr(finder, "find_distributions"):
            return True
    for entry in sys.path:
        if not isinstance(entry, str) or entry.lower().endswith(".egg"):
            return True
        root = entry or "."  # "" is the current directory, as for importlib.metadata
        try:
            names = os.listdir(root)
        except NotADirectoryError:
            return True  # a zip archive, which importlib.metadata reads
        except OSError:
            continue  # missing or unreadable: importlib.metadata skips it too
        for name in names:
            if not name.lower().endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(os.path.join(root, name, "entry_points.txt"), encoding="utf-8") as f:
                    text = f.read()
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError):
                continue  # importlib.metadata reads no entry points there either
            except Exception:
                return True
            for line in text.splitlines():
                line = line.strip()
                if line.startswith("[") and PROJECT in line.lower():
                    return True
    return False


def _builtin_plugins() -> Sequence[tuple[str, str]]:
    from ..plugins import BUILTIN_PLUGINS

    return BUILTIN_PLUGINS


def create_plugin_manager(
    *,
    plugins: Iterable[object] = (),
    configuration: Mapping[str, Any] | None,
    environ: Mapping[str, str],
) -> pluggy.PluginManager:
    """Return a ``PluginManager`` with the hook catalog and every enabled plugin."""
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    # Historic: plugins registered below that add hook specs are called at registration.
    pm.hook.camunda_add_hookspecs.call_historic(kwargs={"plugin_manager": pm})
    disabled = set(plugin_names_setting("CAMUNDA_SDK_DISABLE_PLUGINS", configuration, environ))
    required = sorted(disabled.intersection(REQUIRED_PLUGINS))
    if required:
        from ..errors import ConfigurationError

        hooks = ", ".join(f"{name}: {REQUIRED_PLUGINS[name]}" for name in required)
        raise ConfigurationError(
            f"CAMUNDA_SDK_DISABLE_PLUGINS names {', '.join(required)}: the client cannot "
            "work without them. To replace one, register a plugin whose non-wrapper "
            f"implementation of its hook answers first ({hooks})",
            variable="CAMUNDA_SDK_DISABLE_PLUGINS",
        )

    for name, module in _builtin_plugins():
        if name not in disabled:
            pm.register(importlib.import_module(module), name=name)

    for ep in _entry_points():
        if ep.name in disabled or pm.has_plugin(ep.name):
            continue
        try:
            plugin = ep.load()
        except Exception as exc:  # surface, never swallow: the user installed it on purpose
            raise PluginError(ep.name, f"entry point {ep.value!r} failed to load: {exc}") from exc
        _register(pm, plugin, ep.name)

    for module_name in plugin_names_setting("CAMUNDA_SDK_PLUGINS", configuration, environ):
        if module_name in disabled or pm.has_plugin(module_name):
            continue
        try:
            plugin = importlib.import_module(module_name)
        except Exception as exc:
            raise PluginError(module_name, f"module named in CAMUNDA_SDK_PLUGINS: {exc}") from exc
        _register(pm, plugin, module_name)

    for plugin in plugins:
        name = getattr(plugin, "name", None) or getattr(plugin, "__name__", None)
        name = name if isinstance(name, str) else f"{type(plugin).__name__}@{id(plugin):x}"
        if name not in disabled:
            _register(pm, plugin, name)
    _check_pending(pm)
    return pm


def _check_pending(pm: pluggy.PluginManager) -> None:
    """A hookimpl whose name is not in the catalog is a typo: say so (pluggy's
    ``check_pending``, which cannot wait for :data:`LATE_HOOKS`)."""
    for plugin in pm.get_plugins():
        for hook in pm.get_hookcallers(plugin) or ():
            if hook.has_spec() or hook.name in LATE_HOOKS:
                continue
            for impl in hook.get_hookimpls():
                if impl.plugin is plugin and not impl.optionalhook:
                    name = pm.get_name(plugin) or "?"
                    raise PluginError(name, f"unknown hook {hook.name!r} in plugin {plugin!r}")


def build_chain(hook: Any, innermost: str, **kwargs: Any) -> Any:
    """Call a chain-building hook (``camunda_call_handler``, ``camunda_job_handler``).

    An SDK error raised while building passes through; any other failure becomes a
    :class:`PluginError` naming the hook, and a chain nobody built one naming
    ``innermost``, the plugin that should have answered.
    """
    try:
        chain = hook(**kwargs)
    except CamundaError:
        raise
    except Exception as exc:
        raise PluginError(hook.name, f"building the chain failed: {exc!r}") from exc
    if chain is None:
        raise PluginError(innermost, f"no plugin answers {hook.name} with the innermost link")
    return chain


def _register(pm: pluggy.PluginManager, plugin: object, name: str) -> None:
    try:
        pm.register(plugin, name=name)
    except Exception as exc:  # pluggy validation errors: wrong hook name or signature
        raise PluginError(name, f"registration failed: {exc}") from exc
