"""Plugin management: discovery, registration, the plugins' settings and the chain's shape.

Order of registration (and so of wrapping, see ``hookspecs``):

1. the built-in plugins the caller names (``camunda_sdk.plugins.BUILTIN_PLUGINS``
   for a client), innermost first;
2. third-party plugins from the ``camunda_sdk`` entry-point group, sorted by name;
3. modules named in ``CAMUNDA_SDK_PLUGINS`` (imported and registered by module name);
4. the objects passed as ``plugins=[...]`` to the client, in the given order.

Any of them is skipped when its name is listed in ``CAMUNDA_SDK_DISABLE_PLUGINS``,
except the built-ins the client cannot work without (:data:`REQUIRED_PLUGINS`).
A plugin that fails to load raises :class:`PluginError` naming it.

Built-ins are named by module, like the plugins of ``CAMUNDA_SDK_PLUGINS``: this
layer sits below them and imports none. It may import the settings model, which
knows no plugin: :func:`collect_settings` asks the plugins for their settings and
:func:`load_config` for the resolved configuration. :func:`describe_pipeline` shows
where each plugin sits in a chain.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from types import FunctionType
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from ..errors import CamundaError, ConfigurationError, PluginError
from ..settings import CamundaConfig, SettingRegistry
from . import hookspecs
from .hookspecs import PROJECT

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

__all__ = [
    "LATE_HOOKS",
    "REQUIRED_PLUGINS",
    "Pipeline",
    "PluginError",
    "Stage",
    "build_chain",
    "collect_settings",
    "create_plugin_manager",
    "declared_settings",
    "describe_pipeline",
    "load_config",
    "plugin_name",
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
def _entry_points() -> tuple[EntryPoint, ...]:
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


def plugin_name(plugin: object) -> str | None:
    """The name a plugin object is registered under: its ``name``, else its ``__name__``."""
    name = getattr(plugin, "name", None) or getattr(plugin, "__name__", None)
    return name if isinstance(name, str) else None


def create_plugin_manager(
    *,
    builtins: Sequence[tuple[str, str]],
    plugins: Iterable[object] = (),
    configuration: Mapping[str, Any] | None,
    environ: Mapping[str, str],
) -> pluggy.PluginManager:
    """Return a ``PluginManager`` with the hook catalog and every enabled plugin.

    Args:
        builtins: the built-in plugins as ``(name, module)``, innermost first
            (a client's are ``camunda_sdk.plugins.BUILTIN_PLUGINS``).
        plugins: the objects given as ``plugins=[...]``.
        configuration: the explicit configuration (for the two plugin keys).
        environ: the environment (likewise).
    """
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    # Historic: plugins registered below that add hook specs are called at registration.
    pm.hook.camunda_add_hookspecs.call_historic(kwargs={"plugin_manager": pm})
    disabled = set(plugin_names_setting("CAMUNDA_SDK_DISABLE_PLUGINS", configuration, environ))
    required = sorted(disabled.intersection(REQUIRED_PLUGINS))
    if required:
        hooks = ", ".join(f"{name}: {REQUIRED_PLUGINS[name]}" for name in required)
        raise ConfigurationError(
            f"CAMUNDA_SDK_DISABLE_PLUGINS names {', '.join(required)}: the client cannot "
            "work without them. To replace one, register a plugin whose non-wrapper "
            f"implementation of its hook answers first ({hooks})",
            variable="CAMUNDA_SDK_DISABLE_PLUGINS",
        )

    for name, module in builtins:
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
        name = plugin_name(plugin) or f"{type(plugin).__name__}@{id(plugin):x}"
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


def build_chain(hook: pluggy.HookCaller, innermost: str, **kwargs: object) -> Callable[..., Any]:
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


# -- the plugins' settings and configuration ------------------------------------------


def collect_settings(plugin_manager: pluggy.PluginManager) -> SettingRegistry:
    """Ask every registered plugin's ``camunda_add_settings`` for its settings.

    Plugins are asked in registration order (built-ins, entry points,
    ``CAMUNDA_SDK_PLUGINS``, ``plugins=[...]``), ``tryfirst`` implementations
    first: that order is the README table's, and the built-in ``config`` plugin
    is ``tryfirst`` so that the core settings lead it.

    Declarations are static: the registry of a set of module-level
    implementations (every built-in's) is collected once per process and shared.

    Raises:
        PluginError: a plugin declared a taken name, or its hook failed.
    """
    # pluggy keeps implementations as trylast, plain (in registration order),
    # tryfirst; it would call them last-registered first. Called by hand instead,
    # both to keep that readable order and to know who declares what.
    impls = plugin_manager.hook.camunda_add_settings.get_hookimpls()
    first = [impl for impl in impls if impl.tryfirst]
    last = [impl for impl in impls if impl.trylast]
    plain = [impl for impl in impls if not (impl.tryfirst or impl.trylast)]
    ordered = first + plain + last
    # Only plain functions make the key: a plugin object's bound method would
    # keep the object alive in the cache.
    key = tuple((impl.plugin_name, impl.function) for impl in ordered)
    cacheable = all(type(impl.function) is FunctionType for impl in ordered)
    registry = _COLLECTED.get(key) if cacheable else None
    if registry is None:
        registry = _collect(ordered)
        if cacheable:
            if len(_COLLECTED) >= 8:  # a handful of plugin sets per process at most
                _COLLECTED.clear()
            _COLLECTED[key] = registry
    return registry


# Registries by plugin set: collecting for every client would cost as much as resolving.
_COLLECTED: dict[tuple[tuple[str, object], ...], SettingRegistry] = {}


def _collect(impls: list[pluggy.HookImpl]) -> SettingRegistry:
    registry = SettingRegistry()
    arguments = {"settings": registry}
    for impl in impls:
        if impl.wrapper or impl.hookwrapper:
            raise PluginError(impl.plugin_name, "camunda_add_settings cannot be a wrapper")
        with registry.declaring(impl.plugin_name):
            try:
                impl.function(*(arguments[name] for name in impl.argnames))
            except CamundaError:
                raise
            except Exception as exc:
                problem = f"camunda_add_settings failed: {exc!r}"
                raise PluginError(impl.plugin_name, problem) from exc
    registry.freeze()
    return registry


def declared_settings(
    builtins: Sequence[tuple[str, str]], plugins: Iterable[object] = ()
) -> SettingRegistry:
    """The settings ``builtins`` and then ``plugins`` declare, as a client collects them.

    Neither installed entry points nor ``CAMUNDA_SDK_PLUGINS`` are consulted.
    """
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    for name, module in builtins:
        pm.register(importlib.import_module(module), name=name)
    for plugin in plugins:
        pm.register(plugin, name=plugin_name(plugin))
    return collect_settings(pm)


def load_config(
    plugin_manager: pluggy.PluginManager,
    configuration: Mapping[str, Any] | None,
    environ: Mapping[str, str],
) -> CamundaConfig:
    """The configuration ``plugin_manager``'s plugins resolve (``camunda_load_config``).

    Raises:
        ConfigurationError: a value is malformed or contradicts another.
        PluginError: a plugin failed, or none resolved the configuration.
    """
    settings = collect_settings(plugin_manager)
    config = plugin_manager.hook.camunda_load_config(
        configuration=configuration, environ=environ, settings=settings
    )
    if config is None:
        raise PluginError("config", "no plugin resolved the configuration (is it disabled?)")
    return config


# -- the shape of a chain --------------------------------------------------------------


@attrs.frozen
class Stage:
    """One implementation of a chain-building hook, where the chain meets it.

    Attributes:
        plugin: the name the plugin is registered under.
        function: where the implementation is defined (``module.qualname``).
        wraps: True for a stage (``wrapper=True``: it wraps the handler inside
            it); False for an implementation that answers with the innermost
            handler itself (the first that answers wins, and those after it are
            never asked).
        placement: ``"tryfirst"``, ``"trylast"`` or ``""``.
        builtin: whether the implementation is the SDK's own.
    """

    plugin: str
    function: str
    wraps: bool
    placement: str
    builtin: bool

    def __str__(self) -> str:
        role = "stage" if self.wraps else "answers"
        return f"{role}, {self.placement}" if self.placement else role


@attrs.frozen(repr=False)
class Pipeline:
    """The implementations of a chain-building hook (``hook``), outermost first.

    ``str()`` gives one line per implementation; ``stages`` holds them as :class:`Stage` s.
    """

    hook: str
    stages: tuple[Stage, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The plugins' names, outermost first."""
        return tuple(stage.plugin for stage in self.stages)

    def __repr__(self) -> str:
        return f"Pipeline({self.hook}: {' -> '.join(self.names)})"

    def __str__(self) -> str:
        width = max((len(stage.plugin) for stage in self.stages), default=0)
        roles = [str(stage) for stage in self.stages]
        role_width = max(map(len, roles), default=0)
        lines = [f"{self.hook}, outermost first:"]
        for index, (stage, role) in enumerate(zip(self.stages, roles, strict=True), 1):
            line = f"{index:>3}. {stage.plugin:<{width}}  {role:<{role_width}}  {stage.function}"
            lines.append(line)
        return "\n".join(lines)


def describe_pipeline(
    plugin_manager: pluggy.PluginManager, hook: str = "camunda_call_handler"
) -> Pipeline:
    """The implementations of ``hook`` in the order a call meets them, outermost first.

    For ``camunda_call_handler`` these are a client's call stages, the user's
    (``plugins=[...]``, entry points) and the built-ins alike, with their
    ``tryfirst``/``trylast`` placement; the last is the innermost handler (the
    built-in ``transport`` unless a plugin answers before it). A stage may leave
    itself out of a client's chain when it has nothing to do (``tracing`` when
    disabled): it is listed all the same, at the place it takes when it acts.
    ``describe_pipeline(pm, "camunda_job_handler")`` shows a job chain.
    """
    caller: pluggy.HookCaller = getattr(plugin_manager.hook, hook)
    # pluggy lists implementations innermost first: plain ones (trylast, by
    # registration, tryfirst), then wrappers likewise; a call runs them reversed.
    stages = tuple(_stage(impl) for impl in reversed(caller.get_hookimpls()))
    return Pipeline(hook, stages)


def _stage(impl: pluggy.HookImpl) -> Stage:
    function = impl.function
    module = getattr(function, "__module__", None) or ""
    where = f"{module}.{getattr(function, '__qualname__', repr(function))}"
    placement = "tryfirst" if impl.tryfirst else "trylast" if impl.trylast else ""
    return Stage(
        plugin=impl.plugin_name,
        function=where,
        wraps=bool(impl.wrapper or impl.hookwrapper),
        placement=placement,
        builtin=module == "camunda_sdk" or module.startswith("camunda_sdk."),
    )
