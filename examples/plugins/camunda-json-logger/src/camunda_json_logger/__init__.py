"""Example plugin: replace the SDK's default logger (loguru) with JSON lines on stderr.

Installed, it answers ``camunda_make_logger``, which a client asks when it was
given no ``logger=`` (an explicit ``logger=`` always wins). ``make_logger``
adapts any object with ``debug``/``info``/``warning``/``error`` methods and
applies ``CAMUNDA_SDK_LOG_LEVEL``.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from camunda_sdk.config import CamundaConfig
from camunda_sdk.log import BoundLogger, make_logger
from camunda_sdk.pipeline import hookimpl


class JsonLines:
    """Writes one JSON object per message to standard error."""

    def _write(self, level: str, msg: str, **fields: Any) -> None:
        record = {"ts": round(time.time(), 3), "level": level, "msg": msg}
        if fields.get("exc_info") is not None:
            record["exception"] = repr(fields["exc_info"])
        sys.stderr.write(json.dumps(record) + "\n")

    def debug(self, msg: str, *args: Any, **fields: Any) -> None:
        self._write("debug", msg, **fields)

    def info(self, msg: str, *args: Any, **fields: Any) -> None:
        self._write("info", msg, **fields)

    def warning(self, msg: str, *args: Any, **fields: Any) -> None:
        self._write("warning", msg, **fields)

    def error(self, msg: str, *args: Any, **fields: Any) -> None:
        self._write("error", msg, **fields)


@hookimpl
def camunda_make_logger(config: CamundaConfig) -> BoundLogger:
    """Log JSON lines at the configured level."""
    return make_logger(JsonLines(), config.log_level)
