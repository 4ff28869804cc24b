"""Built-in plugin ``logging``: the SDK logger and a stage that logs each exchange.

Only method, path template, operation id, status and duration are logged: never
headers or bodies, which carry credentials and business data.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import Any

from ..log import BoundLogger, make_logger
from ..pipeline.call import Call
from ..pipeline.context import ClientContext
from ..pipeline.effects import Effect
from ..pipeline.hookspecs import Handler, hookimpl
from ..pipeline.http import Response
from ..settings import CamundaConfig, SettingRegistry
from ..settings.core import LOG_LEVEL


@hookimpl
def camunda_add_settings(settings: SettingRegistry) -> None:
    """Declare the log level."""
    settings.add(LOG_LEVEL)


@hookimpl(trylast=True)
def camunda_make_logger(config: CamundaConfig) -> BoundLogger:
    """The default logger: loguru at the configured level (imported on first message)."""
    return make_logger(None, LOG_LEVEL.read(config))


@hookimpl(wrapper=True)
def camunda_call_handler(context: ClientContext) -> Generator[None, Handler, Handler]:
    """Log each HTTP exchange at debug level (one line per attempt)."""
    inner = yield
    log = context.logger

    def log_exchange(call: Call) -> Generator[Effect, Any, Response]:
        if not log.enabled("debug"):
            return (yield from inner(call))
        op = call.operation
        started = time.perf_counter()
        try:
            response = yield from inner(call)
        except Exception as exc:
            log.debug(f"{op.id}: {op.method} {op.path} failed: {type(exc).__name__}")
            raise
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.debug(
            f"{op.id}: {op.method} {op.path} -> {response.status_code} in {elapsed_ms:.1f} ms"
        )
        return response

    return log_exchange
