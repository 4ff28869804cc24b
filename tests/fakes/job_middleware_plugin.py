"""A plugin module with job handler middleware, for loading by name (CAMUNDA_SDK_PLUGINS).

It stamps every completion of every worker with ``{"stamped": True}``: loaded
like an entry-point plugin, so it proves discovered middleware wraps jobs.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from camunda_sdk.pipeline import hookimpl


@hookimpl(wrapper=True)
def camunda_job_handler(worker: Any) -> Generator[None, Any, Any]:
    """Add ``stamped`` to the variables a handler returns."""
    inner = yield

    async def stamp(job: Any) -> Any:
        result = await inner(job)
        return {**(result or {}), "stamped": True}

    return stamp
