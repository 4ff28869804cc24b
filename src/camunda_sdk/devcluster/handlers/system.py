"""Cluster-level operations: topology, status, license, the clock.

The dev cluster presents itself as one broker with one partition, leader and
healthy, at the address the request reached it on; the gateway version says what
it emulates (:data:`GATEWAY_VERSION`).
"""

from __future__ import annotations

from typing import Any

from . import ApiRequest, Context, Reply, handles

__all__ = ["CLUSTER_ID", "GATEWAY_VERSION", "PARTITIONS"]

#: The Camunda version whose REST API the dev cluster emulates (the newest spec
#: the SDK is generated from), marked as a development build.
GATEWAY_VERSION = "8.10.0-dev"
CLUSTER_ID = "camunda-devcluster"
PARTITIONS = 1


def _host_port(req: ApiRequest) -> tuple[str, int]:
    host = req.headers.get("Host", "127.0.0.1:8080")
    name, _, port = host.rpartition(":")
    if not name or not port.isdigit():
        return host, 80
    return name.strip("[]"), int(port)


def _partitions() -> list[dict[str, Any]]:
    return [
        {"partitionId": i, "role": "leader", "health": "healthy", "state": "active"}
        for i in range(1, PARTITIONS + 1)
    ]


@handles("getTopology")
async def get_topology(ctx: Context, req: ApiRequest) -> Reply:
    """One broker, leader of every partition."""
    host, port = _host_port(req)
    broker = {
        "nodeId": 0,
        "brokerId": "0",
        "host": host,
        "port": port,
        "partitions": _partitions(),
        "version": GATEWAY_VERSION,
    }
    return Reply(
        200,
        {
            "brokers": [broker],
            "clusterId": CLUSTER_ID,
            "clusterSize": 1,
            "partitionsCount": PARTITIONS,
            "replicationFactor": 1,
            "gatewayVersion": GATEWAY_VERSION,
            "lastCompletedChangeId": "-1",
        },
    )


@handles("getClusterTopology")
async def get_cluster_topology(ctx: Context, req: ApiRequest) -> Reply:
    """The same single broker, as the one physical tenant `default`."""
    host, port = _host_port(req)
    return Reply(
        200,
        {
            "brokers": [{"brokerId": "0", "host": host, "port": port, "version": GATEWAY_VERSION}],
            "clusterId": CLUSTER_ID,
            "clusterSize": 1,
            "gatewayVersion": GATEWAY_VERSION,
            "physicalTenants": [
                {
                    "physicalTenantId": "default",
                    "partitionsCount": PARTITIONS,
                    "replicationFactor": 1,
                    "lastCompletedChangeId": "-1",
                    "brokers": [{"brokerId": "0", "partitions": _partitions()}],
                }
            ],
        },
    )


@handles("getStatus")
async def get_status(ctx: Context, req: ApiRequest) -> Reply:
    """Healthy: 204 as soon as the server answers at all."""
    return Reply(204)


@handles("getClusterStatus")
async def get_cluster_status(ctx: Context, req: ApiRequest) -> Reply:
    """Healthy."""
    return Reply(200, {"status": "HEALTHY"})


@handles("getLicense")
async def get_license(ctx: Context, req: ApiRequest) -> Reply:
    """A non-commercial development license that never expires."""
    return Reply(
        200,
        {
            "validLicense": True,
            "licenseType": "development",
            "isCommercial": False,
            "expiresAt": None,
        },
    )


@handles("pinClock")
async def pin_clock(ctx: Context, req: ApiRequest) -> Reply:
    """Hold the cluster's clock at `timestamp` (epoch milliseconds)."""
    ctx.clock.pin(int(req.body["timestamp"]))
    return Reply(204)


@handles("resetClock")
async def reset_clock(ctx: Context, req: ApiRequest) -> Reply:
    """Let the cluster's clock follow real time again."""
    ctx.clock.reset()
    return Reply(204)
