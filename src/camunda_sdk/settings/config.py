"""The settings one client knows (:class:`SettingRegistry`) and their resolved values
(:class:`CamundaConfig`).

Both sit below the plugins and know none: a registry is filled by whoever asks the
plugins (:func:`camunda_sdk.pipeline.manager.collect_settings`), and what
``CamundaConfig(**fields)`` knows without ``settings=`` is installed from above
(:func:`use_default_settings`, called by :mod:`camunda_sdk.plugins`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, KeysView, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any, Generic, TypeVar, overload

import attrs

from .._redact import MASK, redact_url
from ..errors import PluginError
from . import core
from .parsing import from_sources, to_text
from .setting import Setting

__all__ = ["CamundaConfig", "SettingRegistry", "use_default_settings"]

T = TypeVar("T")

_Values = Mapping[str, Any]  # values by setting key, each of its setting's type
_Names = Mapping[str, str]

# Names of undeclared keys that probably hold credentials; masked too.
_SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|CREDENTIAL|API_?KEY|_TOKEN$|PRIVATE_KEY$")
_MISSING: Any = object()


class SettingRegistry:
    """The settings the plugins of one client declared, in declaration order.

    Plugins receive it in ``camunda_add_settings(settings)`` and call :meth:`add`;
    :func:`~camunda_sdk.pipeline.manager.collect_settings` asks them, each inside
    :meth:`declaring`, and then :meth:`freeze` s it.
    """

    __slots__ = ("_by_field", "_by_name", "_frozen", "_owners", "_plugin", "_settings")

    def __init__(self) -> None:
        self._settings: list[Setting[Any]] = []
        self._by_name: dict[str, Setting[Any]] = {}  # key and aliases
        self._by_field: dict[str, Setting[Any]] = {}
        self._owners: dict[str, str] = {}  # key -> declaring plugin
        self._plugin = "?"  # the plugin currently declaring (see declaring)
        self._frozen = False

    @contextmanager
    def declaring(self, plugin: str) -> Iterator[None]:
        """Attribute the settings added inside the block to ``plugin`` (for conflicts)."""
        self._plugin = plugin
        try:
            yield
        finally:
            self._plugin = "?"

    def freeze(self) -> None:
        """Close the registry: every later :meth:`add` raises ``RuntimeError``."""
        self._frozen = True

    def add(self, *settings: Setting[Any]) -> None:
        """Declare each of ``settings``, in order.

        Raises:
            PluginError: another plugin (or this one) already declared its key, one
                of its aliases, or a key that maps to the same attribute name, or
                its attribute name would hide one of :class:`CamundaConfig`.
        """
        if self._frozen:
            raise RuntimeError("settings are declared from camunda_add_settings only")
        for setting in settings:
            self._add(setting)

    def _add(self, setting: Setting[Any]) -> None:
        names = (setting.key, *setting.aliases)
        for name in names:
            other = self._by_name.get(name)
            if other is not None:
                self._conflict(name, other)
        field = setting.field
        other = self._by_field.get(field)
        if other is not None:
            self._conflict(f"{setting.key} (config.{field}, as {other.key})", other)
        taken = getattr(CamundaConfig, field, None)
        # A core setting's typed attribute is its own, not hidden.
        if taken is not None and not (isinstance(taken, _Field) and taken.setting == setting):
            raise PluginError(self._plugin, f"{setting.key} would hide CamundaConfig.{field}")
        self._settings.append(setting)
        self._by_field[field] = setting
        for name in names:
            self._by_name[name] = setting
        self._owners[setting.key] = self._plugin

    def _conflict(self, name: str, other: Setting[Any]) -> None:
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

    def names(self) -> KeysView[str]:
        """Every declared key and alias."""
        return self._by_name.keys()

    def __iter__(self) -> Iterator[Setting[Any]]:
        return iter(self._settings)

    def __len__(self) -> int:
        return len(self._settings)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __repr__(self) -> str:
        return f"SettingRegistry({', '.join(s.key for s in self._settings)})"


_default_settings: Callable[[], SettingRegistry] | None = None


def use_default_settings(provider: Callable[[], SettingRegistry]) -> None:
    """Make ``provider()`` the settings that ``CamundaConfig(**fields)`` knows by default.

    :mod:`camunda_sdk.plugins` installs the built-in plugins' settings at its
    import: this module, below the plugins, cannot ask them itself.
    """
    global _default_settings
    _default_settings = provider


def _freeze(mapping: Mapping[str, T]) -> Mapping[str, T]:
    return MappingProxyType(dict(mapping))


class _Field(Generic[T]):
    """A core setting as a typed attribute: ``config.timeout_ms`` is ``config.get(TIMEOUT_MS)``."""

    __slots__ = ("setting",)

    def __init__(self, setting: Setting[T]) -> None:
        self.setting = setting

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> _Field[T]: ...
    @overload
    def __get__(self, instance: CamundaConfig, owner: type[Any]) -> T: ...
    def __get__(self, instance: CamundaConfig | None, owner: type[Any]) -> T | _Field[T]:
        return self if instance is None else instance.get(self.setting)


class CamundaConfig:
    """The resolved, validated configuration of one client.

    Read a setting by its declaration (typed) with :meth:`get` or
    ``SETTING.read(config)``. The core settings are typed attributes too
    (``config.rest_address``, ``config.timeout_ms``, ``config.log_level``, ...);
    a plugin's setting is an attribute by its field name as well
    (``config.retry_max_attempts``: the key without ``CAMUNDA_``/``CAMUNDA_SDK_``,
    lower case; see :attr:`Setting.field`), untyped. ``raw`` holds every
    ``CAMUNDA_*``/``ZEEBE_*`` key as merged from all sources. ``repr()`` and
    :meth:`redacted` mask secrets. Immutable and hashable.

    :func:`camunda_sdk.config.resolve_config` builds it as a client does.
    ``CamundaConfig(**fields)`` builds one by hand (tests, a plugin's
    ``camunda_load_config``) from field values, as given and unchecked; unset
    fields take their declared defaults.

    Args:
        raw: the merged raw keys, if any.
        settings: the declarations ``fields`` refer to (default: the built-in
            plugins', see :func:`camunda_sdk.config.builtin_settings`).
        fields: values by field name.
    """

    __slots__ = ("_given", "_settings", "_values", "raw")

    _given: _Names
    _settings: SettingRegistry
    _values: _Values
    raw: _Names

    rest_address = _Field(core.REST_ADDRESS)
    rest_address_exact = _Field(core.REST_ADDRESS_EXACT)
    tenant_id = _Field(core.TENANT_ID)
    timeout_ms = _Field(core.TIMEOUT_MS)
    ca_certificate_path = _Field(core.CA_CERTIFICATE_PATH)
    mtls_ca = _Field(core.MTLS_CA)
    mtls_cert_path = _Field(core.MTLS_CERT_PATH)
    mtls_cert = _Field(core.MTLS_CERT)
    mtls_key_path = _Field(core.MTLS_KEY_PATH)
    mtls_key = _Field(core.MTLS_KEY)
    mtls_key_passphrase = _Field(core.MTLS_KEY_PASSPHRASE)
    load_envfile = _Field(core.LOAD_ENVFILE)
    strict_config = _Field(core.STRICT_CONFIG)
    plugins = _Field(core.PLUGINS)
    disable_plugins = _Field(core.DISABLE_PLUGINS)
    log_level = _Field(core.LOG_LEVEL)

    def __init__(
        self,
        *,
        raw: _Names | None = None,
        settings: SettingRegistry | None = None,
        **fields: Any,
    ) -> None:
        if settings is None:
            if _default_settings is None:
                raise TypeError(
                    "CamundaConfig() without settings= knows the built-in plugins' settings "
                    "once camunda_sdk.plugins is imported"
                )
            settings = _default_settings()
        values = {s.key: s.default for s in settings}
        values.update(
            _by_key(settings, fields, "CamundaConfig() got an unexpected keyword argument")
        )
        self._set(settings, values, {}, raw or {})

    @classmethod
    def from_values(
        cls, settings: SettingRegistry, values: _Values, given: _Names, raw: _Names
    ) -> CamundaConfig:
        """A configuration of ``values`` by setting key, as resolved (unchecked).

        Args:
            settings: the declarations the values belong to.
            values: the value of every setting of ``settings``, by key.
            given: the variable name each set value was given under (see :meth:`given_as`).
            raw: the merged raw keys.
        """
        config = cls.__new__(cls)
        config._set(settings, values, given, raw)
        return config

    def _set(self, settings: SettingRegistry, values: _Values, given: _Names, raw: _Names) -> None:
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
            return from_sources(setting, [self.raw])[0]
        return value

    def given_as(self, setting: Setting[Any]) -> str | None:
        """The variable name ``setting`` was set under (its key or an alias), None if unset."""
        if setting.key in self._values:
            return self._given.get(setting.key)
        return from_sources(setting, [self.raw])[1]

    @property
    def settings(self) -> SettingRegistry:
        """The declarations this configuration was resolved from."""
        return self._settings

    def __getattr__(self, name: str) -> Any:
        # Reached only when normal lookup fails, i.e. for the fields of plugins'
        # settings (untyped: their declarations are not known here).
        setting = None if name.startswith("_") else self._settings.for_field(name)
        if setting is None:
            raise AttributeError(f"'CamundaConfig' object has no attribute {name!r}")
        return self._values.get(setting.key)

    def replace(self, **fields: Any) -> CamundaConfig:
        """A copy with the given fields (by field name) replaced, unchecked."""
        return self.with_values(
            _by_key(self._settings, fields, "CamundaConfig has no setting field")
        )

    def with_values(
        self, values: _Values, *, given: _Names | None = None, raw: _Names | None = None
    ) -> CamundaConfig:
        """A copy with ``values`` (by setting key) replaced, unchecked.

        For a ``camunda_load_config`` implementation that moves a value from one
        setting to another (the ``config`` plugin turns address credentials into
        Basic ones): ``given`` names the variable each new value counts as given
        under (see :meth:`given_as`), and ``raw`` replaces the raw keys.
        """
        return CamundaConfig.from_values(
            self._settings,
            {**self._values, **values},
            {**self._given, **(given or {})},
            self.raw if raw is None else raw,
        )

    # -- immutability, equality, pickling -----------------------------------------

    def __setattr__(self, name: str, value: object) -> None:
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

    def __reduce__(self) -> tuple[object, ...]:
        state = (self._settings, dict(self._values), dict(self._given), dict(self.raw))
        return (CamundaConfig.from_values, state)

    # -- showing -------------------------------------------------------------------

    def _masked(self, name: str, value: str) -> str:
        setting = self._settings.get(name)
        if setting is None:
            return MASK if value and _SECRET_NAME.search(name) else value
        if setting.secret:
            return MASK if value else ""
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
            out[setting.key] = self._masked(setting.key, to_text(value))
        for key, value in self.raw.items():
            if key not in self._settings:
                out[key] = self._masked(key, value)
        return out

    def __repr__(self) -> str:
        parts = []
        for setting in self._settings:
            value = self._values.get(setting.key)
            if setting.secret and value:
                value = MASK
            elif setting.kind == "url" and isinstance(value, str):
                value = redact_url(value)
            parts.append(f"{setting.field}={value!r}")
        raw = {k: self._masked(k, v) for k, v in self.raw.items()}
        parts.append(f"raw={raw!r}")
        return f"CamundaConfig({', '.join(parts)})"

    __str__ = __repr__


def _by_key(settings: SettingRegistry, fields: Mapping[str, Any], refusal: str) -> dict[str, Any]:
    """``fields`` (values by field name) by setting key; TypeError for a name none declares."""
    values: dict[str, Any] = {}
    for name, value in fields.items():
        setting = settings.for_field(name)
        if setting is None:
            raise TypeError(f"{refusal} {name!r}")
        values[setting.key] = value
    return values
