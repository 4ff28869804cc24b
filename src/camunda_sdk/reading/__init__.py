"""Read-side helpers: eventual consistency, pagination and typed variables.

The client classes inherit :class:`ReadMethods` (sync) and
:class:`AsyncReadMethods` (async); the helpers build on the generated
operation methods and so run every call through the whole pipeline.
"""

from __future__ import annotations

__all__ = ["AsyncReadMethods", "ReadMethods"]


class ReadMethods:
    """Read-side methods of ``CamundaClient`` (a mixin of its bases)."""


class AsyncReadMethods:
    """Read-side methods of ``CamundaAsyncClient`` (a mixin of its bases)."""
