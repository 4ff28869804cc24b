"""Quickstart: the main flows of camunda_sdk against a cluster (or the Prism mock).

Reads CAMUNDA_* from the environment. ``scripts/quickstart.sh`` points it at a
Prism mock of the official spec when CAMUNDA_REST_ADDRESS is unset, and then sets
QUICKSTART_MOCK=prism so that this script says what the answers mean.

Against a cluster it deploys ``order.bpmn`` (beside this file), starts an order,
searches, publishes a message and cancels the order again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from camunda_sdk import (
    CamundaClient,
    MessagePublicationRequest,
    ProcessCreationByKey,
    ProcessDefinitionKey,
    ProcessDefinitionSearchQuery,
    ProcessInstanceSearchQuery,
)
from camunda_sdk.errors import ApiError, BadRequestError

ORDER_BPMN = Path(__file__).with_name("order.bpmn")
MOCK_NOTE = """\
Talking to a Prism mock of the spec, not to a cluster: the answers below are mock
data that Prism generates from the spec's schemas (seeded, so the same on every
run). Odd values, such as a negative broker count, come from the mock.
"""


def prism_violations(error: ApiError) -> list[str]:
    """The request violations a Prism mock reported for ``error`` (none from a cluster)."""
    try:
        entries = json.loads(error.headers.get("sl-violations", "[]"))
    except ValueError:
        return []
    return [
        str(entry.get("message"))
        for entry in entries
        if isinstance(entry, dict) and entry.get("location", [None])[0] == "request"
    ]


def deploy_order(client: CamundaClient) -> ProcessDefinitionKey:
    """Deploy ``order.bpmn``; against Prism, take a key the mock hands out instead."""
    try:
        deployment = client.deploy_resources_from_files([ORDER_BPMN])
    except BadRequestError as error:
        violations = prism_violations(error)
        if not violations:
            raise
        # Prism cannot validate a multipart array of files, so it refuses every
        # deployment ("resources must be array"); a cluster accepts it.
        print(f"deploy: the mock refused the upload ({'; '.join(violations)})")
        print("        Prism cannot validate multipart file uploads; a cluster accepts them.")
        found = client.search_process_definitions(data=ProcessDefinitionSearchQuery())
        key = found.items[0].process_definition_key
        print(f"        using process definition {key} from search_process_definitions instead")
        return key
    process = deployment.processes[0]
    print(
        f"deployed {process.process_definition_id} version {process.process_definition_version}"
        f" as process definition {process.process_definition_key}"
    )
    return process.process_definition_key


def main() -> None:
    if os.environ.get("QUICKSTART_MOCK"):
        print(MOCK_NOTE)
    with CamundaClient() as client:
        topology = client.get_topology()
        print(f"cluster: {topology.cluster_size} brokers, gateway {topology.gateway_version}")

        definition_key = deploy_order(client)

        created = client.create_process_instance(
            data=ProcessCreationByKey(
                process_definition_key=definition_key,
                variables={"orderId": "A-17", "amount": 42},
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
