"""What a plugin knows about the client it serves."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pluggy

    from ..config import CamundaConfig
    from ..log import BoundLogger

__all__ = ["ClientContext", "CloseCallback"]

#: What :meth:`ClientContext.on_close` takes: a function of no arguments that
#: returns None or, for resources of the async client, an awaitable.
CloseCallback = Callable[[], "Awaitable[Any] | None"]


class ClientContext:
    """Per-client state handed to every hook.

    Attributes:
        config: the resolved :class:`~camunda_sdk.config.CamundaConfig`.
        logger: the SDK logger (already level-filtered).
        plugin_manager: the client's pluggy ``PluginManager``.
        tracer_provider: the OpenTelemetry tracer provider passed to the client, or None
            (use the global one).
        meter_provider: likewise for metrics.
        state: per-client storage for plugins, keyed by plugin name (a token cache,
            a concurrency limiter). Shared by every call of the client, by the
            views ``with_options`` makes and by the sync client derived with
            ``CamundaAsyncClient.sync_client()``.
    """

    __slots__ = (
        "__weakref__",  # per-client registries (metrics gauges) must not keep it alive
        "_close_callbacks",
        "config",
        "logger",
        "meter_provider",
        "plugin_manager",
        "state",
        "tracer_provider",
    )

    def __init__(
        self,
        *,
        config: CamundaConfig,
        logger: BoundLogger,
        plugin_manager: pluggy.PluginManager,
        tracer_provider: Any = None,
        meter_provider: Any = None,
    ) -> None:
        self.config = config
        self.logger = logger
        self.plugin_manager = plugin_manager
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider
        self.state: dict[str, Any] = {}
        self._close_callbacks: list[CloseCallback] = []

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

    def run_close_callbacks(self) -> None:
        """Run the registered close callbacks of a sync client (called by ``close()``)."""
        for callback in self._take_close_callbacks():
            try:
                result = callback()
                if inspect.isawaitable(result):
                    if inspect.iscoroutine(result):
                        result.close()  # never awaited: say so instead of a RuntimeWarning
                    raise TypeError(
                        f"close callback {callback!r} returned an awaitable, but"
                        " CamundaClient.close() cannot await it"
                    )
            except Exception as exc:
                self.logger.error(f"close callback {callback!r} failed", exc=exc)

    async def arun_close_callbacks(self) -> None:
        """Run the registered close callbacks of an async client, awaiting their results."""
        for callback in self._take_close_callbacks():
            try:
                result = callback()
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:
                self.logger.error(f"close callback {callback!r} failed", exc=exc)
