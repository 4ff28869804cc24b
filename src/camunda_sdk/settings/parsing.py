"""Parsing a setting's text into its value, and finding it in the sources.

Every failure is a :class:`~camunda_sdk.errors.ConfigurationError` that names the
variable and says what was expected, quoting the value unless it is a secret.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .._redact import redact_url
from ..errors import ConfigurationError
from .setting import NUMBER_CEILING, Setting

__all__ = ["from_sources", "parse", "to_text"]

T = TypeVar("T")

_TRUE = frozenset({"true", "1", "yes", "on", "y", "t"})
_FALSE = frozenset({"false", "0", "no", "off", "n", "f"})


def to_text(value: object) -> str:
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


def parse(setting: Setting[T], name: str, text: str) -> T:
    """Parse ``text``, found under ``name`` (the key or an alias), as ``setting``."""
    value = _PARSERS[setting.kind](setting, name, text)
    if setting.convert is not None:
        try:
            value = setting.convert(value)
        except ValueError as exc:
            raise _fail(setting, name, text, str(exc)) from None
    return value


def from_sources(setting: Setting[T], sources: Iterable[Mapping[str, str]]) -> tuple[T, str | None]:
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
                value = parse(setting, name, text)
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
    if not other_text or other_text == text or parse(setting, other, other_text) == value:
        return
    raise ConfigurationError(
        f"{_show(setting, name, text)} and {_show(setting, other, other_text)} set one "
        "setting to different values: remove one of them",
        variable=name,
    )
