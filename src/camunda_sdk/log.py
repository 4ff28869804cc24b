"""The SDK's logging front: one small interface over loguru, stdlib or any logger.

Internal code logs through a :class:`BoundLogger` made by :func:`make_logger`:

- no logger given: loguru's global ``logger`` bound with ``sdk="camunda_sdk"``,
  filtered to ``CAMUNDA_SDK_LOG_LEVEL``. Filtering happens here, before any
  formatting, and loguru's handlers are left alone (a library must not
  reconfigure its host application's logging);
- a stdlib :class:`logging.Logger` (or ``LoggerAdapter``): its own level decides;
  the SDK's ``trace`` maps to ``DEBUG``;
- any object with ``debug``/``info``/``warning``/``error`` (see
  :class:`SdkLogger`): it receives every message and filters for itself;
  ``trace`` goes to its ``trace`` method when it has one, else to ``debug``;
- :class:`NullLogger`: everything is discarded.

Messages are plain strings: they are never run through ``str.format`` or ``%``,
so braces and percent signs in user data are safe. Structured context goes
through :meth:`BoundLogger.bind` or keyword fields; loguru receives it as
``extra``, other loggers as a `` [key=value ...]`` suffix.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from .errors import ConfigurationError

__all__ = ["BoundLogger", "NullLogger", "SdkLogger", "make_logger"]

# Numeric levels follow stdlib's spacing, with loguru's TRACE at 5 and "silly"
# just below it so that it is the most verbose setting.
_TRACE, _DEBUG, _INFO, _WARNING, _ERROR = 5, 10, 20, 30, 40
# The levels a message is logged at, and the thresholds CAMUNDA_SDK_LOG_LEVEL names:
# the same, plus one below every level and one above.
_LEVELS: dict[str, int] = {
    "trace": _TRACE,
    "debug": _DEBUG,
    "info": _INFO,
    "warn": _WARNING,
    "warning": _WARNING,
    "error": _ERROR,
}
_THRESHOLDS: dict[str, int] = {"silly": 1, **_LEVELS, "silent": 1000}
_LOGURU_NAMES = {
    _TRACE: "TRACE",
    _DEBUG: "DEBUG",
    _INFO: "INFO",
    _WARNING: "WARNING",
    _ERROR: "ERROR",
}
_STDLIB_LEVELS = {
    _TRACE: logging.DEBUG,
    _DEBUG: logging.DEBUG,
    _INFO: logging.INFO,
    _WARNING: logging.WARNING,
    _ERROR: logging.ERROR,
}


@runtime_checkable
class SdkLogger(Protocol):
    """What an injected logger must offer (stdlib, loguru, structlog and most others do)."""

    def debug(self, msg: str, *args: Any, **kwargs: Any) -> Any:
        """Log a debug message."""

    def info(self, msg: str, *args: Any, **kwargs: Any) -> Any:
        """Log an informational message."""

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> Any:
        """Log a warning."""

    def error(self, msg: str, *args: Any, **kwargs: Any) -> Any:
        """Log an error."""


class NullLogger:
    """A logger that discards everything; pass it as ``logger=`` to silence the SDK."""

    def trace(self, msg: str, *args: Any, **kwargs: Any) -> None:
        """Discard a trace message."""

    def debug(self, msg: str, *args: Any, **kwargs: Any) -> None:
        """Discard a debug message."""

    def info(self, msg: str, *args: Any, **kwargs: Any) -> None:
        """Discard an informational message."""

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None:
        """Discard a warning."""

    def error(self, msg: str, *args: Any, **kwargs: Any) -> None:
        """Discard an error."""

    def exception(self, msg: str, *args: Any, **kwargs: Any) -> None:
        """Discard an error and its exception."""

    def enabled(self, level: str) -> bool:
        """Nothing is ever emitted."""
        return False

    def bind(self, **context: Any) -> NullLogger:
        """Return this logger: there is no context to keep."""
        return self

    def __repr__(self) -> str:
        return "NullLogger()"


_Exc = BaseException | None  # an exception to log with the message
_Fields = Mapping[str, object]  # keyword context of one message


def _format_value(value: object) -> str:
    text = str(value)
    # Quote values that would otherwise make the suffix ambiguous to read.
    if not text or any(c.isspace() for c in text) or "=" in text:
        return repr(text)
    return text


def _suffix(context: Mapping[str, object]) -> str:
    if not context:
        return ""
    return " [" + " ".join(f"{k}={_format_value(v)}" for k, v in context.items()) + "]"


class BoundLogger:
    """The logger the SDK's internals use; build one with :func:`make_logger`.

    Every method takes a plain message plus optional keyword fields that are
    attached as context for that one message. ``warning`` and ``error`` also
    take ``exc=`` to attach an exception and its traceback.
    """

    __slots__ = ("_context", "_threshold")

    def __init__(self, threshold: int, context: Mapping[str, object]) -> None:
        self._threshold = threshold
        self._context: dict[str, object] = dict(context)

    @property
    def context(self) -> Mapping[str, object]:
        """The context bound so far (read-only view of a copy)."""
        return dict(self._context)

    def trace(self, msg: str, *args: object, **fields: object) -> None:
        """Log the most detailed diagnostics (request/response level)."""
        if self._threshold <= _TRACE:
            self._emit(_TRACE, _interpolate(msg, args), fields, None)

    def debug(self, msg: str, *args: object, **fields: object) -> None:
        """Log a debug message."""
        if self._threshold <= _DEBUG:
            self._emit(_DEBUG, _interpolate(msg, args), fields, None)

    def info(self, msg: str, *args: object, **fields: object) -> None:
        """Log an informational message."""
        if self._threshold <= _INFO:
            self._emit(_INFO, _interpolate(msg, args), fields, None)

    def warning(
        self, msg: str, *args: object, exc: _Exc = None, exc_info: object = None, **fields: object
    ) -> None:
        """Log a warning, optionally with an exception (``exc=`` or stdlib's ``exc_info=``)."""
        self._log_failure(_WARNING, msg, args, _exception(exc, exc_info), fields)

    def error(
        self, msg: str, *args: object, exc: _Exc = None, exc_info: object = None, **fields: object
    ) -> None:
        """Log an error, optionally with an exception (``exc=`` or stdlib's ``exc_info=``)."""
        self._log_failure(_ERROR, msg, args, _exception(exc, exc_info), fields)

    def _log_failure(
        self, level: int, msg: str, args: tuple[object, ...], exc: _Exc, fields: _Fields
    ) -> None:
        # Not on a hot path, unlike the levels below: one call more is no cost.
        if self._threshold <= level:
            self._emit(level, _interpolate(msg, args), fields, exc)

    def exception(self, msg: str, *args: object, **fields: object) -> None:
        """Log an error with the exception being handled, like ``logging.exception``."""
        if self._threshold <= _ERROR:
            self._emit(_ERROR, _interpolate(msg, args), fields, sys.exc_info()[1])

    def enabled(self, level: str) -> bool:
        """Whether a message at ``level`` would be emitted; cheap, for hot paths.

        Use it to skip building expensive messages: ``if log.enabled("trace"): ...``.
        """
        return self._threshold <= _level_number(level)

    def bind(self, **context: object) -> BoundLogger:
        """Return a child logger that adds ``context`` to every message."""
        raise NotImplementedError

    def _emit(
        self, level: int, msg: str, fields: Mapping[str, object], exc: BaseException | None
    ) -> None:
        raise NotImplementedError

    def __reduce__(self) -> tuple[Any, ...]:
        # Handlers run by the process-pool strategy get their logger pickled;
        # loguru sinks and arbitrary objects do not travel well, so they
        # degrade to a silent logger in the child process.
        return (_null_bound, ())


def _interpolate(msg: str, args: tuple[object, ...]) -> str:
    """Apply stdlib-style ``%`` arguments (``log.info("job %s", key)``)."""
    if not args:
        return msg
    try:
        return msg % args
    except (TypeError, ValueError):
        # A message that does not match its arguments still gets logged, whole.
        return f"{msg} {' '.join(map(str, args))}"


def _exception(exc: BaseException | None, exc_info: object) -> BaseException | None:
    if exc is not None or not exc_info:
        return exc
    if isinstance(exc_info, BaseException):
        return exc_info
    if isinstance(exc_info, tuple) and len(exc_info) == 3:
        return exc_info[1]
    return sys.exc_info()[1]


def _level_number(level: str) -> int:
    try:
        return _LEVELS[level]
    except KeyError:
        try:
            return _LEVELS[level.lower()]
        except (KeyError, AttributeError):
            raise ValueError(
                f"unknown log level {level!r}; expected one of {', '.join(_LEVELS)}"
            ) from None


class _NullBoundLogger(BoundLogger):
    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(_THRESHOLDS["silent"], {})

    def bind(self, **context: object) -> BoundLogger:
        return self

    def _emit(
        self, level: int, msg: str, fields: Mapping[str, object], exc: BaseException | None
    ) -> None:
        pass  # unreachable: the threshold is above every level


def _null_bound() -> BoundLogger:
    return _NullBoundLogger()


# Frames between loguru's log call and the SDK code that logged:
# _emit -> trace/debug/... -> caller. Loguru uses the caller's module for
# its enable/disable filters and for the record's location.
_LOGURU_DEPTH = 2


class _LoguruLogger(BoundLogger):
    __slots__ = ("_logger",)

    def __init__(self, logger: Any, threshold: int, context: Mapping[str, object]) -> None:
        # logger None: loguru's global logger, imported at the first message that
        # passes the threshold (at the default level, errors only: often never).
        super().__init__(threshold, context)
        self._logger = logger

    def bind(self, **context: object) -> BoundLogger:
        logger = None if self._logger is None else self._logger.bind(**context)
        return _LoguruLogger(logger, self._threshold, {**self._context, **context})

    def _emit(
        self, level: int, msg: str, fields: Mapping[str, object], exc: BaseException | None
    ) -> None:
        logger = self._logger
        if logger is None:
            from loguru import logger as loguru_logger

            logger = loguru_logger.bind(sdk="camunda_sdk", **self._context)
            logger = self._logger = logger.opt(depth=_LOGURU_DEPTH)
        if fields:
            logger = logger.bind(**fields)
        if exc is not None:
            logger = logger.opt(exception=exc, depth=_LOGURU_DEPTH)
        # No args are passed, so loguru does not str.format the message.
        logger.log(_LOGURU_NAMES[level], msg)


class _StdlibLogger(BoundLogger):
    __slots__ = ("_logger", "_suffix")

    def __init__(
        self, logger: logging.Logger | logging.LoggerAdapter[Any], context: Mapping[str, object]
    ) -> None:
        # The stdlib logger's own level decides, checked per message in _emit
        # (it can change at run time), so our threshold lets everything through.
        super().__init__(0, context)
        self._logger = logger
        self._suffix = _suffix(context)

    def enabled(self, level: str) -> bool:
        return self._logger.isEnabledFor(_STDLIB_LEVELS[_level_number(level)])

    def bind(self, **context: object) -> BoundLogger:
        return _StdlibLogger(self._logger, {**self._context, **context})

    def _emit(
        self, level: int, msg: str, fields: Mapping[str, object], exc: BaseException | None
    ) -> None:
        std_level = _STDLIB_LEVELS[level]
        if not self._logger.isEnabledFor(std_level):
            return
        text = msg + (_suffix({**self._context, **fields}) if fields else self._suffix)
        # No args: stdlib applies `%` formatting only when args are given.
        # stacklevel 3 points the record at the SDK code that logged.
        self._logger.log(std_level, text, exc_info=exc, stacklevel=3)

    def __reduce__(self) -> tuple[Any, ...]:
        # Stdlib loggers pickle by name, so they survive a process boundary.
        return (_StdlibLogger, (self._logger, self._context))


class _ObjectLogger(BoundLogger):
    __slots__ = ("_methods", "_suffix", "_target")

    def __init__(self, target: Any, context: Mapping[str, object]) -> None:
        # The object has no level we can query, so it gets every message.
        super().__init__(0, context)
        self._target = target
        self._suffix = _suffix(context)
        # Resolve the methods once instead of a getattr per message.
        self._methods: dict[int, Callable[..., Any]] = {
            _TRACE: getattr(target, "trace", None) or target.debug,
            _DEBUG: target.debug,
            _INFO: target.info,
            _WARNING: target.warning,
            _ERROR: target.error,
        }

    def bind(self, **context: object) -> BoundLogger:
        return _ObjectLogger(self._target, {**self._context, **context})

    def _emit(
        self, level: int, msg: str, fields: Mapping[str, object], exc: BaseException | None
    ) -> None:
        text = msg + (_suffix({**self._context, **fields}) if fields else self._suffix)
        if exc is None:
            self._methods[level](text)
        else:
            self._methods[level](text, exc_info=exc)


def _is_loguru(logger: object) -> bool:
    return type(logger).__module__.startswith("loguru")


def _threshold(level: str) -> int:
    try:
        return _THRESHOLDS[level.strip().lower()]
    except (KeyError, AttributeError):
        raise ConfigurationError(
            f"CAMUNDA_SDK_LOG_LEVEL={level!r} is invalid: expected one of "
            "silent, error, warn, info, debug, trace, silly",
            variable="CAMUNDA_SDK_LOG_LEVEL",
        ) from None


def make_logger(logger: object | None, level: str = "error") -> BoundLogger:
    """Wrap ``logger`` (or loguru's, when None) in a :class:`BoundLogger`.

    Args:
        logger: None for loguru, a :class:`NullLogger`, a stdlib logger or
            adapter, loguru's ``logger``, or any object with ``debug``,
            ``info``, ``warning`` and ``error`` methods. A ``BoundLogger`` is
            returned unchanged.
        level: ``CAMUNDA_SDK_LOG_LEVEL`` (silent, error, warn, info, debug,
            trace, silly). It filters loguru output; injected stdlib loggers and
            custom objects do their own filtering.

    Raises:
        ConfigurationError: ``level`` is not a known level.
        TypeError: ``logger`` lacks the logging methods.
    """
    if isinstance(logger, BoundLogger):
        return logger
    threshold = _threshold(level)
    if isinstance(logger, NullLogger):
        return _NullBoundLogger()
    if isinstance(logger, (logging.Logger, logging.LoggerAdapter)):
        return _StdlibLogger(logger, {})
    if logger is None or _is_loguru(logger):
        if threshold >= _THRESHOLDS["silent"]:
            return _NullBoundLogger()  # and loguru is never imported
        if logger is None:
            return _LoguruLogger(None, threshold, {})  # loguru imported on first use
        bound = logger.bind(sdk="camunda_sdk").opt(depth=_LOGURU_DEPTH)  # type: ignore[attr-defined]
        return _LoguruLogger(bound, threshold, {})
    if isinstance(logger, SdkLogger):
        return _ObjectLogger(logger, {})
    raise TypeError(
        f"logger must offer debug, info, warning and error methods; got {type(logger).__name__}"
    )
