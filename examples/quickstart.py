"""Quickstart: deploy a process, start an order, let a job worker charge it, see it done.

Reads CAMUNDA_* from the environment, like every client. ``bash scripts/quickstart.sh``
runs it against the dev cluster (``python -m camunda_sdk.devcluster``, started and
stopped for you) unless CAMUNDA_REST_ADDRESS names a cluster.

``order.bpmn`` (beside this file) is start -> "Charge card" (a job of type
``charge-card``) -> end.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from camunda_sdk import (
    CamundaAsyncClient,
    ConnectedJobContext,
    ConsistencyOptions,
    ProcessCreationById,
    ProcessInstanceStateEnum,
    VariableFilter,
    VariableSearchQuery,
    WorkerConfig,
)

ORDER_BPMN = Path(__file__).with_name("order.bpmn")


async def charge_card(job: ConnectedJobContext) -> dict[str, Any]:
    """The worker's handler: its result completes the job and becomes process variables."""
    order = job.variables.to_dict()
    print(f"worker: charging {order['amount']} for order {order['orderId']} (job {job.job_key})")
    return {"charged": True}


async def main() -> None:
    async with CamundaAsyncClient() as client:
        topology = await client.get_topology()
        print(f"cluster: gateway {topology.gateway_version}")

        deployment = await client.deploy_resources_from_files([ORDER_BPMN])
        process = deployment.processes[0]
        print(
            f"deployed {process.process_definition_id} version"
            f" {process.process_definition_version} (key {process.process_definition_key})"
        )

        created = await client.create_process_instance(
            data=ProcessCreationById(
                process_definition_id=process.process_definition_id,
                variables={"orderId": "A-17", "amount": 42},
            )
        )
        key = created.process_instance_key
        print(f"started process instance {key}")

        # A worker for the "charge-card" jobs, polling in the background.
        client.create_job_worker(
            config=WorkerConfig(
                job_type="charge-card",
                job_timeout_milliseconds=30_000,
                request_timeout_milliseconds=1_000,  # so that stopping it takes a second
            ),
            callback=charge_card,
        )
        workers = asyncio.create_task(client.run_workers(handle_signals=False))

        # Searches and gets read secondary storage, which trails the engine a little:
        # wait (up to 30 s) until the instance shows as ended.
        instance = await client.get_process_instance(
            process_instance_key=key,
            consistency=ConsistencyOptions(
                wait_up_to_ms=30_000,
                poll_interval_ms=100,
                predicate=lambda found: found.state != ProcessInstanceStateEnum.ACTIVE,
            ),
        )
        await client.stop_workers()
        await workers
        print(f"process instance {key}: {instance.state.value}")

        variables = await client.search_variables(
            data=VariableSearchQuery(filter=VariableFilter(process_instance_key=key))
        )
        for variable in sorted(variables.items, key=lambda v: v.name):
            print(f"  {variable.name} = {variable.value}")


if __name__ == "__main__":
    asyncio.run(main())
