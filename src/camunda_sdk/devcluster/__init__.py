"""A Camunda in the box: an in-memory emulation of the Orchestration Cluster REST API.

For development, the quickstart, documentation and tests: it speaks real HTTP on
a local socket, validates requests against the spec's shapes, answers with the
spec's shapes, and refuses loudly (`501`) what it does not emulate. Not a
production engine. See docs/devcluster.md.

    from camunda_sdk.devcluster import DevCluster

    with DevCluster() as cluster:
        with cluster.client() as client:
            print(client.get_topology())

Or from a shell: `python -m camunda_sdk.devcluster` serves `http://127.0.0.1:8080/v2`,
the SDK's default address. It needs aiohttp (`pip install 'camunda-sdk[aiohttp]'`).
"""

from __future__ import annotations

from .cluster import DEFAULT_INDEXING_LAG_MS, DevCluster
from .engine import Clock

__all__ = ["DEFAULT_INDEXING_LAG_MS", "Clock", "DevCluster"]
