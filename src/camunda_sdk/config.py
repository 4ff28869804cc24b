"""Resolve the SDK's ``CAMUNDA_*`` configuration into one immutable object.

Each plugin declares the settings it reads, from its ``camunda_add_settings``
hook (as pytest plugins add options in ``pytest_addoption``); :func:`collect_settings`
gathers them into a :class:`SettingRegistry`, and the engine here resolves whatever
the registry holds. It knows no plugin's keys: the REST address and the other
core settings are declared by the built-in ``config`` plugin, retry's by
``retry``, and so on.

Sources, lowest precedence first:

1. a dotenv file, read only when ``CAMUNDA_LOAD_ENVFILE`` asks for it;
2. the process environment;
3. the explicit ``configuration={...}`` mapping given to the client.

Within one source a canonical key wins over its aliases; across sources the
higher source wins even when it uses an alias. An empty value counts as unset,
so an explicit ``""`` clears a value inherited from the environment.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from types import FunctionType, MappingProxyType
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import urlsplit

import attrs

from .errors import ConfigurationError, redact_url

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

T = TypeVar("T")

_MASK = "***"
_PREFIXES = ("CAMUNDA_", "ZEEBE_")

# Value kinds of a Setting, i.e. how its text is parsed:
#   str     plain text                 url     http(s) URL
#   path    file system path (~)       bool    true/false, 1/0, yes/no, on/off
#   int     integer within bounds      float   finite number within bounds
#   choice  one of `choices` (any case)
#   list    comma-separated names, a tuple (empty when unset)
_KINDS = frozenset(("str", "url", "path", "bool", "int", "float", "choice", "list"))

#: The highest value an ``int``/``float`` setting without a declared ``maximum``
#: accepts. Far beyond any sensible count or duration, yet low enough that a
#: millisecond value still fits the platform's socket and lock timeouts: a typo
#: such as ``1e30`` is a ConfigurationError here, not an OverflowError at the first call.
NUMBER_CEILING = 10**12


class ConfigurationWarning(UserWarning):
    """A configuration key the SDK does not know (probably a typo) was given.

    Raised as a :class:`~camunda_sdk.errors.ConfigurationError` instead when
    ``CAMUNDA_SDK_STRICT_CONFIG`` is true. Silence it with the ``warnings``
    module, e.g. ``warnings.simplefilter("ignore", ConfigurationWarning)``.
    """


@attrs.frozen
class Setting(Generic[T]):
    """One configuration key, declared by the plugin that reads it.

    Declare it once, at module level, with the value type as its parameter, and
    add it from the plugin's ``camunda_add_settings`` hook::

        RETRY_MAX_ATTEMPTS: Setting[int] = Setting(
            "CAMUNDA_SDK_RETRY_MAX_ATTEMPTS", "int", default=4, minimum=1,
            description="Attempts per request including the first.",
        )

    A setting without a default is ``Setting[X | None]``; a ``list`` setting is
    ``Setting[tuple[str, ...]]`` with ``default=()``.

    Attributes:
        key: the canonical ``CAMUNDA_*`` name; the :class:`CamundaConfig`
            attribute is derived from it (see :attr:`field`).
        kind: how the text is parsed: ``str``, ``url``, ``path``, ``bool``,
            ``int``, ``float``, ``choice`` or ``list``.
        description: one line for the README's configuration table (required).
        default: the value when unset (already parsed; None: unset).
        aliases: older or alternative names accepted for the same setting.
        choices: the accepted values of a ``choice`` setting (matched in any case).
        minimum: the lowest accepted value of an ``int``/``float`` setting.
        maximum: the highest accepted value of an ``int``/``float`` setting
            (undeclared: :data:`NUMBER_CEILING`).
        secret: never shown: masked in ``repr``, :meth:`CamundaConfig.redacted`
            and error messages.
        convert: applied to the parsed value, to normalise it or to check what
            the kind cannot; raise ``ValueError("what was expected")`` to reject it.
    """

    key: str
    kind: str = "str"
    description: str = attrs.field(kw_only=True)
    default: T | None = attrs.field(default=None, kw_only=True)
    aliases: tuple[str, ...] = attrs.field(default=(), kw_only=True)
    choices: tuple[str, ...] = attrs.field(default=(), kw_only=True)
    minimum: float | None = attrs.field(default=None, kw_only=True)
    maximum: float | None = attrs.field(default=None, kw_only=True)
    secret: bool = attrs.field(default=False, kw_only=True)
    convert: Callable[[Any], T] | None = attrs.field(default=None, kw_only=True)
    #: The :class:`CamundaConfig` attribute: the key without ``CAMUNDA_[SDK_]``, lower case.
    field: str = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        # Checked here, at the plugin's import: a bad declaration then fails as
        # "plugin X failed to load", not at some user's first call.
        def bad(problem: str) -> ValueError:
            return ValueError(f"Setting {self.key!r}: {problem}")

        if not re.fullmatch(r"CAMUNDA_[A-Z0-9_]+", self.key):
            raise bad("the key must be an upper-case CAMUNDA_* name")
        for alias in self.aliases:
            # The environment is filtered by these prefixes before lookup.
            if not (alias.startswith(_PREFIXES) and re.fullmatch(r"[A-Z0-9_]+", alias)):
                raise bad(f"alias {alias!r} must be an upper-case CAMUNDA_* or ZEEBE_* name")
        if self.kind not in _KINDS:
            raise bad(f"unknown kind {self.kind!r} (one of {', '.join(sorted(_KINDS))})")
        if bool(self.choices) != (self.kind == "choice"):
            raise bad("choices are required for, and only for, kind 'choice'")
        bounded = self.minimum is not None or self.maximum is not None
        if bounded and self.kind not in ("int", "float"):
            raise bad("minimum/maximum apply to kinds 'int' and 'float' only")
        if not self.description.strip() or "\n" in self.description:
            raise bad("a one-line description is required (it goes into the README)")
        # Computed once: the registry and attribute access look it up often.
        prefix = "CAMUNDA_SDK_" if self.key.startswith("CAMUNDA_SDK_") else "CAMUNDA_"
        object.__setattr__(self, "field", self.key.removeprefix(prefix).lower())

    def read(self, config: CamundaConfig) -> T:
        """This setting's value in ``config`` (the same as ``config.get(setting)``).

        Raises:
            ConfigurationError: the value is malformed (it names the variable).
        """
        return config.get(self)


class SettingRegistry:
    """The settings the plugins of one client declared, in declaration order.

    Plugins receive it in ``camunda_add_settings(settings)`` and call
    :meth:`add`; :func:`collect_settings` asks them and then freezes it.
    """

    __slots__ = ("_by_field", "_by_name", "_frozen", "_owners", "_plugin", "_settings")

    def __init__(self) -> None:
        self._settings: list[Setting[Any]] = []
        self._by_name: dict[str, Setting[Any]] = {}  # key and aliases
        self._by_field: dict[str, Setting[Any]] = {}
        self._owners: dict[str, str] = {}  # key -> declaring plugin
        self._plugin = "?"  # the plugin currently declaring, set by collect_settings
        self._frozen = False

    def add(self, setting: Setting[Any]) -> None:
        """Declare ``setting``.

        Raises:
            PluginError: another plugin (or this one) already declared its key, one
                of its aliases, or a key that maps to the same attribute name.
        """
        if self._frozen:
            raise RuntimeError("settings are declared from camunda_add_settings only")
        names = (setting.key, *setting.aliases)
        for name in names:
            other = self._by_name.get(name)
            if other is not None:
                self._conflict(name, other)
        field = setting.field
        other = self._by_field.get(field)
        if other is not None:
            self._conflict(f"{setting.key} (config.{field}, as {other.key})", other)
        if hasattr(CamundaConfig, field):
            from .pipeline.manager import PluginError

            raise PluginError(self._plugin, f"{setting.key} would hide CamundaConfig.{field}")
        self._settings.append(setting)
        self._by_field[field] = setting
        for name in names:
            self._by_name[name] = setting
        self._owners[setting.key] = self._plugin

    def _conflict(self, name: str, other: Setting[Any]) -> None:
        from .pipeline.manager import PluginError

        raise PluginError(
            self._plugin,
            f"cannot declare {name}: plugin {self._owners[other.key]!r} declares it already",
        )

    def get(self, name: str) -> Setting[Any] | None:
        """The setting whose key or alias is ``name``."""
        return self._by_name.get(name)

    def for_field(self, field: str) -> Setting[Any] | None:
        """The setting read as ``config.<field>``."""
        return self._by_field.get(field)

    def plugin_of(self, setting: Setting[Any]) -> str:
        """The name of the plugin that declared ``setting``."""
        return self._owners[setting.key]

    def __iter__(self) -> Iterator[Setting[Any]]:
        return iter(self._settings)

    def __len__(self) -> int:
        return len(self._settings)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __repr__(self) -> str:
        return f"SettingRegistry({', '.join(s.key for s in self._settings)})"


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


def _collect(impls: list[Any]) -> SettingRegistry:
    from .errors import CamundaError
    from .pipeline.manager import PluginError

    registry = SettingRegistry()
    arguments = {"settings": registry}
    for impl in impls:
        registry._plugin = impl.plugin_name
        if impl.wrapper or impl.hookwrapper:
            raise PluginError(impl.plugin_name, "camunda_add_settings cannot be a wrapper")
        try:
            impl.function(*(arguments[name] for name in impl.argnames))
        except CamundaError:
            raise
        except Exception as exc:
            raise PluginError(impl.plugin_name, f"camunda_add_settings failed: {exc!r}") from exc
    registry._plugin = "?"
    registry._frozen = True
    return registry


def builtin_settings(*plugins: object) -> SettingRegistry:
    """The settings of the built-in plugins, then those of ``plugins``.

    What ``CamundaConfig(...)`` built by hand knows, and what the README's
    configuration table lists (``scripts/config_table.py`` passes plugins to
    add theirs). Installed entry points are not consulted.
    """
    return _collect_builtin(plugins) if plugins else _builtin_only()


@lru_cache(maxsize=1)
def _builtin_only() -> SettingRegistry:
    return _collect_builtin(())


def _collect_builtin(plugins: tuple[object, ...]) -> SettingRegistry:
    # Imported here: the built-in plugins import this module.
    import importlib

    import pluggy

    from .pipeline import hookspecs
    from .plugins import BUILTIN_PLUGINS

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name, module in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(module), name=name)
    for plugin in plugins:
        # Named as the client names plugins=[...]: a ``name`` attribute, else ``__name__``.
        name = getattr(plugin, "name", None) or getattr(plugin, "__name__", None)
        pm.register(plugin, name=name if isinstance(name, str) else None)
    return collect_settings(pm)


_TRUE = frozenset({"true", "1", "yes", "on", "y", "t"})
_FALSE = frozenset({"false", "0", "no", "off", "n", "f"})
# Names of undeclared keys that probably hold credentials; masked too.
_SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|CREDENTIAL|API_?KEY|_TOKEN$|PRIVATE_KEY$")
_MISSING: Any = object()


def _freeze(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


class CamundaConfig:
    """The resolved, validated configuration of one client.

    Read a setting by its declaration (typed) with :meth:`get`, or by attribute:
    ``config.rest_address``, ``config.retry_max_attempts`` (the key without
    ``CAMUNDA_``/``CAMUNDA_SDK_``, lower case; see :attr:`Setting.field`).
    ``raw`` holds every ``CAMUNDA_*``/``ZEEBE_*`` key as merged from all sources.
    ``repr()`` and :meth:`redacted` mask secrets. Immutable and hashable.

    :func:`resolve_config` builds it as a client does. ``CamundaConfig(**fields)``
    builds one by hand (tests, a plugin's ``camunda_load_config``) from field
    values, as given and unchecked; unset fields take their declared defaults.

    Args:
        raw: the merged raw keys, if any.
        settings: the declarations ``fields`` refer to (default: the built-in
            plugins', see :func:`builtin_settings`).
        fields: values by field name.
    """

    __slots__ = ("_given", "_settings", "_values", "raw")

    _given: Mapping[str, str]
    _settings: SettingRegistry
    _values: Mapping[str, Any]
    raw: Mapping[str, str]

    def __init__(
        self,
        *,
        raw: Mapping[str, str] | None = None,
        settings: SettingRegistry | None = None,
        **fields: Any,
    ) -> None:
        settings = builtin_settings() if settings is None else settings
        values = {s.key: s.default for s in settings}
        for name, value in fields.items():
            setting = settings.for_field(name)
            if setting is None:
                raise TypeError(f"CamundaConfig() got an unexpected keyword argument {name!r}")
            values[setting.key] = value
        self._init(settings, values, {}, raw or {})

    @classmethod
    def _create(
        cls,
        settings: SettingRegistry,
        values: Mapping[str, Any],
        given: Mapping[str, str],
        raw: Mapping[str, str],
    ) -> CamundaConfig:
        config = cls.__new__(cls)
        config._init(settings, values, given, raw)
        return config

    def _init(
        self,
        settings: SettingRegistry,
        values: Mapping[str, Any],
        given: Mapping[str, str],
        raw: Mapping[str, str],
    ) -> None:
        set_ = object.__setattr__  # the class is frozen: __setattr__ refuses
        set_(self, "_settings", settings)
        set_(self, "_values", _freeze(values))
        set_(self, "_given", _freeze(given))
        set_(self, "raw", _freeze(raw))

    # -- reading -----------------------------------------------------------------

    def get(self, setting: Setting[T]) -> T:
        """The value of ``setting`` (its default when unset).

        A setting that was not declared when this configuration was resolved (its
        plugin was registered later, with ``client.register_plugin``) is parsed
        from :attr:`raw` on each read.
        """
        value = self._values.get(setting.key, _MISSING)
        if value is _MISSING:
            return _from_sources(setting, [self.raw])[0]
        return value

    def given_as(self, setting: Setting[Any]) -> str | None:
        """The variable name ``setting`` was set under (its key or an alias), None if unset."""
        if setting.key in self._values:
            return self._given.get(setting.key)
        return _from_sources(setting, [self.raw])[1]

    @property
    def settings(self) -> SettingRegistry:
        """The declarations this configuration was resolved from."""
        return self._settings

    def __getattr__(self, name: str) -> Any:
        # Reached only when normal lookup fails, i.e. for the settings' fields.
        setting = None if name.startswith("_") else self._settings.for_field(name)
        if setting is None:
            raise AttributeError(f"'CamundaConfig' object has no attribute {name!r}")
        return self._values.get(setting.key)

    def replace(self, **fields: Any) -> CamundaConfig:
        """A copy with the given fields (by field name) replaced, unchecked."""
        values = dict(self._values)
        for name, value in fields.items():
            setting = self._settings.for_field(name)
            if setting is None:
                raise TypeError(f"CamundaConfig has no setting field {name!r}")
            values[setting.key] = value
        return CamundaConfig._create(self._settings, values, self._given, self.raw)

    def _evolve(
        self,
        values: Mapping[str, Any],
        *,
        given: Mapping[str, str],
        raw: Mapping[str, str] | None = None,
    ) -> CamundaConfig:
        """A copy with values (by key), the names they count as given under, and ``raw`` replaced.

        For a ``camunda_load_config`` implementation that moves a value from one
        setting to another (the ``config`` plugin turns address credentials into
        Basic ones): ``given_as`` then reports where it came from.
        """
        return CamundaConfig._create(
            self._settings,
            {**self._values, **values},
            {**self._given, **given},
            self.raw if raw is None else raw,
        )

    # -- immutability, equality, pickling -----------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        raise attrs.exceptions.FrozenInstanceError()

    def __delattr__(self, name: str) -> None:
        raise attrs.exceptions.FrozenInstanceError()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CamundaConfig):
            return NotImplemented
        return self._values == other._values and self.raw == other.raw

    def __hash__(self) -> int:
        try:
            return hash(frozenset(self._values.items()))
        except TypeError:  # a hand-built config may hold a list: hash the keys only
            return hash(frozenset(self._values))

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            CamundaConfig._create,
            (self._settings, dict(self._values), dict(self._given), dict(self.raw)),
        )

    # -- showing -------------------------------------------------------------------

    def _masked(self, name: str, value: str) -> str:
        setting = self._settings.get(name)
        if setting is None:
            return _MASK if value and _SECRET_NAME.search(name) else value
        if setting.secret:
            return _MASK if value else ""
        if setting.kind == "url":
            return redact_url(value)  # URLs may embed user:password@
        return value

    def redacted(self) -> dict[str, str]:
        """Every set value as text, keyed by variable name, secrets masked.

        Meant for diagnostics (``print``, a debug log, a bug report). Unset
        settings are left out; undeclared keys from ``raw`` are included, masked
        when their name suggests a credential.
        """
        out: dict[str, str] = {}
        for setting in self._settings:
            value = self._values.get(setting.key)
            if value is None or value == ():
                continue
            out[setting.key] = self._masked(setting.key, _to_text(value))
        for key, value in self.raw.items():
            if key not in self._settings:
                out[key] = self._masked(key, value)
        return out

    def __repr__(self) -> str:
        parts = []
        for setting in self._settings:
            value = self._values.get(setting.key)
            if setting.secret and value:
                value = _MASK
            elif setting.kind == "url" and isinstance(value, str):
                value = redact_url(value)
            parts.append(f"{setting.field}={value!r}")
        raw = {k: self._masked(k, v) for k, v in self.raw.items()}
        parts.append(f"raw={raw!r}")
        return f"CamundaConfig({', '.join(parts)})"

    __str__ = __repr__


# -- parsing ----------------------------------------------------------------------------


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


def _show(setting: Setting[Any], name: str, text: str) -> str:
    # Error messages quote the offending value to help fixing it, except for
    # secrets, and never at unbounded length.
    if setting.secret:
        return f"{name} (value hidden)"
    if setting.kind == "url":
        # An address may carry credentials (user:password@host, ?client_secret=),
        # even a malformed one without a scheme.
        text = _USERINFO.sub("***@", redact_url(text))
    shown = text if len(text) <= 60 else text[:57] + "..."
    return f"{name}={shown!r}"


def _fail(setting: Setting[Any], name: str, text: str, expected: str) -> ConfigurationError:
    return ConfigurationError(
        f"{_show(setting, name, text)} is invalid: expected {expected}", variable=name
    )


def _parse_bool(setting: Setting[Any], name: str, text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise _fail(setting, name, text, "a boolean (true/false, 1/0, yes/no, on/off)")


def _number(value: float) -> str:
    # 86400000 rather than 8.64e+07: the user compares it with what they typed.
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else f"{value:g}"


def _bounds(setting: Setting[Any]) -> str:
    low, high = setting.minimum, setting.maximum
    if low is not None and high is not None:
        return f" between {_number(low)} and {_number(high)}"
    if low is not None:
        return f" >= {_number(low)}"
    return f" <= {_number(high)}" if high is not None else ""


def _parse_number(setting: Setting[Any], name: str, text: str) -> int | float:
    noun = "an integer" if setting.kind == "int" else "a number"
    try:
        if setting.kind == "int":
            number: int | float = int(text)
        else:
            number = float(text)
            if number != number or number in (float("inf"), float("-inf")):
                raise ValueError(text)
    except ValueError:
        raise _fail(setting, name, text, noun + _bounds(setting)) from None
    low, high = setting.minimum, setting.maximum
    if (low is not None and number < low) or (high is not None and number > high):
        raise _fail(setting, name, text, noun + _bounds(setting))
    if number > NUMBER_CEILING:
        raise _fail(setting, name, text, f"{noun}{_bounds(setting)} (at most {NUMBER_CEILING:g})")
    return number


def _parse_choice(setting: Setting[Any], name: str, text: str) -> str:
    lowered = text.lower()
    for choice in setting.choices:
        if choice.lower() == lowered:
            return choice
    raise _fail(setting, name, text, "one of " + ", ".join(setting.choices))


_URL_EXPECTED = "an http:// or https:// URL"


def _parse_url(setting: Setting[Any], name: str, text: str) -> str:
    # Checked here so that a malformed address fails at construction naming the
    # variable, not at the first call as an httpx error about some URL.
    if re.search(r"[\s\x00-\x1f\x7f]", text):
        raise _fail(setting, name, text, _URL_EXPECTED + " without spaces")
    if not re.match(r"^https?://[^/]", text, re.IGNORECASE):
        raise _fail(setting, name, text, _URL_EXPECTED)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number 0-65535
        host = parts.hostname
    except ValueError as exc:  # unbalanced [ ], a bad port
        # Not quoting exc: "http://user:secret" would show "secret" as the bad port.
        if "Port" in str(exc):
            # "user:secret" without its "@host" parses as host:port: not quoted.
            shown = re.sub(r"^([^:]+://[^/:@]*:)[^/@]*", r"\1***", text)
            expected = f"{_URL_EXPECTED} (a port is a number 0-65535)"
            raise _fail(setting, name, shown, expected) from None
        raise _fail(setting, name, text, f"{_URL_EXPECTED} (unbalanced [ ])") from None
    if not host:
        raise _fail(setting, name, text, _URL_EXPECTED + " with a host name")
    if "[" in parts.netloc.rsplit("@", 1)[-1]:
        import ipaddress  # rare: only bracketed hosts pay for it

        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise _fail(
                setting, name, text, _URL_EXPECTED + " ([...] holds an IPv6 address)"
            ) from None
    elif re.search(r"[\[\]]", parts.netloc.rsplit("@", 1)[-1] + parts.path):
        raise _fail(setting, name, text, _URL_EXPECTED + " (brackets enclose IPv6 hosts only)")
    return text


_PARSERS: dict[str, Callable[[Setting[Any], str, str], Any]] = {
    "str": lambda setting, name, text: text,
    "path": lambda setting, name, text: os.path.expanduser(text),
    "bool": _parse_bool,
    "int": _parse_number,
    "float": _parse_number,
    "choice": _parse_choice,
    "url": _parse_url,
    "list": lambda setting, name, text: tuple(
        item.strip() for item in text.split(",") if item.strip()
    ),
}


def _parse(setting: Setting[T], name: str, text: str) -> T:
    """Parse ``text``, found under ``name`` (the key or an alias), as ``setting``."""
    value = _PARSERS[setting.kind](setting, name, text)
    if setting.convert is not None:
        try:
            value = setting.convert(value)
        except ValueError as exc:
            raise _fail(setting, name, text, str(exc)) from None
    return value


def _from_sources(
    setting: Setting[T], sources: Iterable[Mapping[str, str]]
) -> tuple[T, str | None]:
    """The value of ``setting`` and the name it was given under (None: the default).

    Sources are searched highest first, the canonical key before the aliases.

    Raises:
        ConfigurationError: a value is malformed, or two names of the setting
            (key and alias) carry different values in the same source.
    """
    names = (setting.key, *setting.aliases)
    for source in sources:
        for index, name in enumerate(names):
            if name in source:
                text = str(source[name]).strip()
                if not text:  # empty means unset: an explicit "" clears the environment
                    return setting.default, None  # type: ignore[return-value]
                value = _parse(setting, name, text)
                for other in names[index + 1 :]:
                    _check_same(setting, source, name, text, value, other)
                return value, name
    return setting.default, None  # type: ignore[return-value]


def _check_same(
    setting: Setting[Any], source: Mapping[str, str], name: str, text: str, value: Any, other: str
) -> None:
    # Two spellings of one setting that disagree: which one wins is a rule few
    # remember, and the loser may be the one the user just edited. Say so.
    if other not in source:
        return
    other_text = str(source[other]).strip()
    if not other_text or other_text == text or _parse(setting, other, other_text) == value:
        return
    raise ConfigurationError(
        f"{_show(setting, name, text)} and {_show(setting, other, other_text)} set one "
        "setting to different values: remove one of them",
        variable=name,
    )


# -- sources ----------------------------------------------------------------------------

#: The switch of the dotenv source. The engine reads it before anything else; the
#: built-in ``config`` plugin declares it.
LOAD_ENVFILE: Setting[str | None] = Setting(
    "CAMUNDA_LOAD_ENVFILE",
    description="Load a dotenv file first: `true`/`1`/`yes` for ./.env, or a file path.",
)
#: Unknown keys are errors rather than warnings. The engine reads it; the
#: built-in ``config`` plugin declares it.
STRICT_CONFIG: Setting[bool] = Setting(
    "CAMUNDA_SDK_STRICT_CONFIG",
    "bool",
    default=False,
    description="Make an unknown `CAMUNDA_*` key (a probable typo) a ConfigurationError "
    "instead of a warning.",
)

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
        k: _to_text(v)
        for k, v in mapping.items()
        if isinstance(k, str) and k.startswith(_PREFIXES) and v is not None
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
        if not name.startswith(_PREFIXES):
            raise ConfigurationError(
                f"unknown configuration key {key!r}: keys are CAMUNDA_* environment "
                "variable names (e.g. CAMUNDA_REST_ADDRESS)",
                variable=key,
            )
        if value is None:  # None means "not given", not "clear"
            continue
        text = _to_text(value)
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
) -> CamundaConfig:
    """Resolve every declared setting from dotenv file, environment and explicit values.

    The engine alone: no plugin's cross-setting rules (see :func:`resolve_config`).

    Args:
        settings: what to resolve (see :func:`collect_settings`).
        configuration: explicit ``CAMUNDA_*`` keys (highest precedence). Values
            may be strings, numbers or booleans; None means "not given".
        environ: the environment to read; ``os.environ`` when None. It is never
            modified.

    Raises:
        ConfigurationError: a value is malformed (the error names the variable).
    """
    explicit, spelled = _explicit(configuration or {})
    env = _prefixed(os.environ if environ is None else environ)

    dotenv: dict[str, str] = {}
    flag = _from_sources(LOAD_ENVFILE, [explicit, env])[0]
    if flag is not None:
        path = _envfile_path(flag)
        if path is not None:
            dotenv = _prefixed(_read_envfile(path))

    sources = [explicit, env, dotenv]  # highest precedence first
    _report_unknown(settings, spelled, env, dotenv, _from_sources(STRICT_CONFIG, sources)[0])
    values: dict[str, Any] = {}
    given: dict[str, str] = {}
    for setting in settings:
        values[setting.key], name = _from_sources(setting, sources)
        if name is not None:
            given[setting.key] = name
    return CamundaConfig._create(settings, values, given, {**dotenv, **env, **explicit})


def _report_unknown(
    settings: SettingRegistry,
    explicit: Mapping[str, str],
    env: Mapping[str, str],
    dotenv: Mapping[str, str],
    strict: bool,
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
    # Settings of built-in plugins that are disabled stay known: a replacement
    # plugin may read them from config.raw.
    builtin = builtin_settings()
    known = {*settings._by_name, *builtin._by_name}
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
    from .pipeline.manager import PluginError, create_plugin_manager

    env = os.environ if environ is None else environ
    pm = plugin_manager
    if pm is None:
        pm = create_plugin_manager(configuration=configuration, environ=env)
    config = pm.hook.camunda_load_config(
        configuration=configuration, environ=env, settings=collect_settings(pm)
    )
    if config is None:
        raise PluginError("config", "no plugin resolved the configuration (is it disabled?)")
    return config
