"""A configuration key, as a plugin declares it: :class:`Setting`.

The bottom of the configuration model: it imports nothing of the SDK. How a
setting's text is parsed is in :mod:`.parsing`, its resolution in :mod:`.sources`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

import attrs

__all__ = ["NUMBER_CEILING", "PREFIXES", "Setting", "SettingSource"]

T = TypeVar("T")

#: The prefixes of the keys the SDK reads; the environment is filtered by them.
PREFIXES = ("CAMUNDA_", "ZEEBE_")

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


class SettingSource(Protocol):
    """What :meth:`Setting.read` reads from: a ``CamundaConfig``, or any object like it."""

    def get(self, setting: Setting[T]) -> T:
        """The value of ``setting``."""
        ...


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
    ``Setting[tuple[str, ...]]`` with ``default=()`` (see :meth:`names`).

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
            if not (alias.startswith(PREFIXES) and re.fullmatch(r"[A-Z0-9_]+", alias)):
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

    # Typed shorthands for the commonest kinds: the value type follows from the
    # kind, so a declaration cannot pair kind "int" with a bool default.

    @staticmethod
    def flag(key: str, default: bool, description: str) -> Setting[bool]:
        """A ``bool`` setting: ``true``/``false``, ``1``/``0``, ``yes``/``no``, ``on``/``off``."""
        return Setting(key, "bool", default=default, description=description)

    @staticmethod
    def count(
        key: str, default: int, description: str, *, minimum: int, maximum: int | None = None
    ) -> Setting[int]:
        """An ``int`` setting: a whole number from ``minimum`` (to ``maximum``)."""
        return Setting(
            key, "int", default=default, minimum=minimum, maximum=maximum, description=description
        )

    @staticmethod
    def milliseconds(
        key: str, default: int, description: str, *, maximum: int | None = None
    ) -> Setting[int]:
        """An ``int`` setting holding a duration in milliseconds, 0 or more."""
        return Setting.count(key, default, description, minimum=0, maximum=maximum)

    @staticmethod
    def names(key: str, description: str) -> Setting[tuple[str, ...]]:
        """A ``list`` setting: comma-separated names, empty when unset."""
        return Setting(key, "list", default=(), description=description)

    def read(self, config: SettingSource) -> T:
        """This setting's value in ``config`` (the same as ``config.get(setting)``).

        Raises:
            ConfigurationError: the value is malformed (it names the variable).
        """
        return config.get(self)
