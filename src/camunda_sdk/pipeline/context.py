"""What a plugin knows about the client it serves."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pluggy

    from ..config import CamundaConfig
    from ..log import BoundLogger

__all__ = ["ClientContext"]


class ClientContext:
    """Per-client state handed to every hook.

    Attributes:
        config: the resolved :class:`~camunda_sdk.config.CamundaConfig`.
        logger: the SDK logger (already level-filtered).
        plugin_manager: the client's pluggy ``PluginManager``.
        tracer_provider: the OpenTelemetry tracer provider passed to the client, or None
            (use the global one).
        meter_provider: likewise for metrics.
        is_async: whether the client is ``CamundaAsyncClient``.
        state: per-client storage for plugins, keyed by plugin name (a token cache,
            a concurrency limiter). Shared by every call of the client.
    """

    __slots__ = (
        "__weakref__",  # per-client registries (metrics gauges) must not keep it alive
        "config",
        "is_async",
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
        is_async: bool = False,
    ) -> None:
        self.config = config
        self.logger = logger
        self.plugin_manager = plugin_manager
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider
        self.is_async = is_async
        self.state: dict[str, Any] = {}
