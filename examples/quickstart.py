"""Quickstart: the main flows of camunda_sdk against a cluster (or the Prism mock).

Reads CAMUNDA_* from the environment (``scripts/quickstart.sh`` points it at a
Prism mock of the official spec when CAMUNDA_REST_ADDRESS is unset).
"""

from __future__ import annotations

from camunda_sdk import (
    CamundaClient,
    MessagePublicationRequest,
    ProcessCreationById,
    ProcessDefinitionId,
    ProcessInstanceSearchQuery,
)
from camunda_sdk.errors import ApiError


def main() -> None:
    with CamundaClient() as client:
        topology = client.get_topology()
        print(f"cluster: {topology.cluster_size} brokers, gateway {topology.gateway_version}")

        created = client.create_process_instance(
            data=ProcessCreationById(
                process_definition_id=ProcessDefinitionId("order-process"),
                variables={"orderId": "A-17"},
            )
        )
        instance_key = created.process_instance_key
        print(f"started process instance {instance_key}")

        found = client.search_process_instances(data=ProcessInstanceSearchQuery())
        print(f"search: {len(found.items)} of {found.page.total_items} instances")

        published = client.publish_message(
            data=MessagePublicationRequest(
                name="payment-received", correlation_key="A-17", time_to_live=60_000
            )
        )
        print(f"published message {published.message_key}")

        try:
            client.cancel_process_instance(process_instance_key=instance_key)
            print(f"cancelled process instance {instance_key}")
        except ApiError as error:  # a real cluster may have completed it already
            print(f"cancel refused: {error}")


if __name__ == "__main__":
    main()
