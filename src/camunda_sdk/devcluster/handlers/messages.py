"""Messages (publish, correlate, subscriptions, correlations) and signals."""

from __future__ import annotations

from ..engine import Conflict
from ..problems import already_exists
from . import ApiRequest, Context, Reply, handles
from ._common import body_of, search_index

__all__: list[str] = []


@handles("publishMessage")
async def publish_message(ctx: Context, req: ApiRequest) -> Reply:
    """Correlate to what waits now, buffer for `timeToLive`; 409 for a buffered messageId."""
    body = body_of(req)
    try:
        message = ctx.engine.publish_message(
            body["name"],
            body.get("correlationKey"),
            body.get("timeToLive") or 0,
            message_id=body.get("messageId") or None,
            variables=body.get("variables"),
            tenant_id=body.get("tenantId"),
        )
    except Conflict as duplicate:
        raise already_exists(f"{str(duplicate)[:1].upper()}{str(duplicate)[1:]}.") from None
    return Reply(200, {"tenantId": message.tenant_id, "messageKey": str(message.message_key)})


@handles("correlateMessage")
async def correlate_message(ctx: Context, req: ApiRequest) -> Reply:
    """Correlate now, never buffered: 404 when nothing waits for the message."""
    body = body_of(req)
    result = ctx.engine.correlate_message(
        body["name"],
        body.get("correlationKey"),
        variables=body.get("variables"),
        tenant_id=body.get("tenantId"),
    )
    return Reply(
        200,
        {
            "tenantId": result.tenant_id,
            "messageKey": str(result.message_key),
            "processInstanceKey": str(result.process_instance_key),
        },
    )


@handles("broadcastSignal")
async def broadcast_signal(ctx: Context, req: ApiRequest) -> Reply:
    """Trigger every signal catch, boundary and start event of the name."""
    body = body_of(req)
    signal = ctx.engine.broadcast_signal(
        body["signalName"], body.get("variables"), tenant_id=body.get("tenantId")
    )
    return Reply(200, {"tenantId": signal.tenant_id, "signalKey": str(signal.signal_key)})


@handles("searchMessageSubscriptions")
async def search_message_subscriptions(ctx: Context, req: ApiRequest) -> Reply:
    """Message subscriptions of waiting elements and deployed message start events."""
    result = search_index(ctx, req, "message-subscriptions", "messageSubscriptionKey")
    return Reply(200, result)


@handles("searchCorrelatedMessageSubscriptions")
async def search_correlated_message_subscriptions(ctx: Context, req: ApiRequest) -> Reply:
    """Which message reached which subscription, and when."""
    result = search_index(
        ctx,
        req,
        "correlated-message-subscriptions",
        lambda row: (int(row["messageKey"]), int(row["subscriptionKey"])),
    )
    return Reply(200, result)
