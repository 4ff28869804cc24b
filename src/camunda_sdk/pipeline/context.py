"""What a plugin knows about the client it serves: :class:`ClientContext`.

Plugins share per-client objects through :attr:`ClientContext.state`, under typed
keys (:class:`StateKey`) that the plugin owning the object declares.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import attrs

from .effects import Await

if TYPE_CHECKING:
    import pluggy
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

    from ..log import BoundLogger
    from ..settings import CamundaConfig
    from .effects import Flow

__all__ = ["ClientContext", "CloseCallback", "PluginState", "StateKey"]

T = TypeVar("T")
D = TypeVar("D")

#: What :meth:`ClientContext.on_close` takes: a function of no arguments that
#: returns None or, for resources of the async client, an awaitable.
CloseCallback = Callable[[], "Awaitable[object] | None"]


class StateKey(Generic[T]):
    """A typed key of :attr:`ClientContext.state`, declared by the plugin that owns the value.

    Declare it once, at module level, with the value type as its parameter::

        LIMITER: StateKey[BackpressureState] = StateKey("backpressure")

    ``context.state.get(LIMITER)`` is then a ``BackpressureState | None`` to type
    checkers, ``context.state[LIMITER]`` a ``BackpressureState``, and assigning
    anything else is an error. ``name`` is the plain-string key the same entry
    answers to (``context.state["backpressure"]``), for code written before keys
    were typed.
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"StateKey({self.name!r})"


def _name(key: StateKey[Any] | str) -> str:
    return key if isinstance(key, str) else key.name


class PluginState:
    """Per-client storage of the plugins: a mapping from :class:`StateKey` to its value.

    Reads and writes through a :class:`StateKey` are typed; a plain string (a
    plugin's name) reaches the same entries untyped. It answers the dict methods
    plugins use: ``[]``, ``get``, ``setdefault``, ``pop`` and ``in``.
    """

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: dict[str, object] = {}

    @overload
    def get(self, key: StateKey[T], default: None = None) -> T | None: ...
    @overload
    def get(self, key: StateKey[T], default: D) -> T | D: ...
    @overload
    def get(self, key: str, default: object = None) -> Any: ...
    def get(self, key: StateKey[Any] | str, default: object = None) -> Any:
        """The value under ``key``, or ``default`` when there is none."""
        return self._entries.get(_name(key), default)

    @overload
    def setdefault(self, key: StateKey[T], default: T) -> T: ...
    @overload
    def setdefault(self, key: str, default: object = None) -> Any: ...
    def setdefault(self, key: StateKey[Any] | str, default: object = None) -> Any:
        """The value under ``key``, first stored as ``default`` when there is none."""
        return self._entries.setdefault(_name(key), default)

    def pop(self, key: StateKey[Any] | str, default: object = None) -> object:
        """Remove the value under ``key`` and return it (``default`` when there is none)."""
        return self._entries.pop(_name(key), default)

    @overload
    def __getitem__(self, key: StateKey[T]) -> T: ...
    @overload
    def __getitem__(self, key: str) -> Any: ...
    def __getitem__(self, key: StateKey[Any] | str) -> Any:
        return self._entries[_name(key)]

    @overload
    def __setitem__(self, key: StateKey[T], value: T) -> None: ...
    @overload
    def __setitem__(self, key: str, value: object) -> None: ...
    def __setitem__(self, key: StateKey[Any] | str, value: object) -> None:
        self._entries[_name(key)] = value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, (str, StateKey)) and _name(key) in self._entries

    def __repr__(self) -> str:
        # Names only: the values include credentials (an OAuth token provider).
        return f"PluginState({', '.join(self._entries)})"


@attrs.define(kw_only=True, eq=False, repr=False)
class ClientContext:
    """Per-client state handed to every hook.

    Attributes:
        config: the resolved :class:`~camunda_sdk.settings.CamundaConfig`.
        logger: the SDK logger (already level-filtered).
        plugin_manager: the client's pluggy ``PluginManager``.
        tracer_provider: the OpenTelemetry tracer provider passed to the client, or None
            (use the global one).
        meter_provider: likewise for metrics.
        state: per-client storage for plugins (a token cache, a concurrency
            limiter), a :class:`PluginState` keyed by :class:`StateKey` (or by
            plugin name). Shared by every call of the client, by the views
            ``with_options`` makes and by the sync client derived with
            ``CamundaAsyncClient.sync_client()``.
    """

    # A weakref slot (attrs' default): per-client registries (metrics gauges) must
    # not keep it alive. Compared by identity, like the client it serves.
    config: CamundaConfig
    logger: BoundLogger
    plugin_manager: pluggy.PluginManager
    tracer_provider: TracerProvider | None = None
    meter_provider: MeterProvider | None = None
    state: PluginState = attrs.field(factory=PluginState, init=False)
    _close_callbacks: list[CloseCallback] = attrs.field(factory=list, init=False)

    def on_close(self, callback: CloseCallback) -> None:
        """Run ``callback`` when the client closes, before its connections close.

        Callbacks run last-registered first, so a resource registered after the
        one it depends on is released before it. A callback may return an
        awaitable (stop job workers, close an async pool): ``CamundaAsyncClient``
        awaits it; ``CamundaClient`` has no event loop, so there it is an error.
        A callback that raises is logged and does not keep the others from running.
        """
        self._close_callbacks.append(callback)

    def _take_close_callbacks(self) -> list[CloseCallback]:
        callbacks, self._close_callbacks = self._close_callbacks[::-1], []
        return callbacks

    def closing(self) -> Flow[None]:
        """Run the registered close callbacks, as a flow either client's driver runs.

        An awaitable a callback returns is awaited by the async client's driver;
        the sync client's refuses it, and that failure is logged like any other.
        """
        for callback in self._take_close_callbacks():
            try:
                result = callback()
                if inspect.isawaitable(result):
                    yield Await(result, f"close callback {callback!r}")
            except Exception as exc:
                self.logger.error(f"close callback {callback!r} failed", exc=exc)
