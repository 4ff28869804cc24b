"""Acceptance: real processes run end to end through the SDK against the dev cluster.

Written the way one tests against a real cluster: deploy, start, let a real SDK job
worker do the work, then wait for secondary storage with `consistency=` and assert.
Nothing here reaches into the dev cluster's insides: with `CAMUNDA_ACCEPTANCE_ADDRESS`
set (and the usual `CAMUNDA_*` credentials), the same tests run against that cluster
instead, Camunda 8 Run say (see docs/devcluster.md); process ids, job types, message
names and correlation keys carry a per-run suffix, so earlier runs do not interfere.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from camunda_sdk import (
    CamundaAsyncClient,
    CamundaClient,
    ConnectedJobContext,
    ConsistencyOptions,
    JobFailure,
    ProcessCreationById,
    WorkerConfig,
)
from camunda_sdk.devcluster import DevCluster
from camunda_sdk.operations.models import (
    ClockPinRequest,
    IncidentFilter,
    IncidentSearchQuery,
    JobChangeset,
    JobUpdateRequest,
    MessagePublicationRequest,
    MessageSubscriptionFilter,
    MessageSubscriptionSearchQuery,
    ProcessInstanceFilter,
    ProcessInstanceResult,
    ProcessInstanceSearchQuery,
    UserTaskCompletionRequest,
    UserTaskFilter,
    UserTaskSearchQuery,
    VariableFilter,
    VariableSearchQuery,
)

ORDER_BPMN = Path(__file__).resolve().parents[2] / "examples" / "order.bpmn"
#: A real cluster to run against instead of a dev cluster (None: a dev cluster).
ACCEPT = "CAMUNDA_ACCEPTANCE_ADDRESS"
REAL = os.environ.get(ACCEPT) or None
RUN = uuid.uuid4().hex[:8]
dev_cluster_only = pytest.mark.skipif(REAL is not None, reason="tests the dev cluster itself")
WAIT = ConsistencyOptions[Any](wait_up_to_ms=10_000, poll_interval_ms=20)


def state_of(instance: ProcessInstanceResult) -> str:
    return str(getattr(instance.state, "value", instance.state))


UNTIL_ENDED = ConsistencyOptions[ProcessInstanceResult](
    wait_up_to_ms=10_000,
    poll_interval_ms=20,
    predicate=lambda found: state_of(found) in ("COMPLETED", "TERMINATED"),
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[DevCluster | None]:
    if REAL is not None:
        yield None
        return
    with DevCluster() as running:  # the default lag: reads trail writes, as on a cluster
        yield running


@pytest.fixture
def fresh(cluster: DevCluster | None) -> DevCluster | None:
    if cluster is not None:
        cluster.reset()
    return cluster


def configuration(cluster: DevCluster | None, transport: str = "aiohttp") -> dict[str, str]:
    """Client settings for the cluster under test (a real one: CAMUNDA_* of the shell)."""
    if cluster is None:
        return {
            **{k: v for k, v in os.environ.items() if k.startswith("CAMUNDA_") and k != ACCEPT},
            "CAMUNDA_REST_ADDRESS": str(REAL),
            "CAMUNDA_SDK_HTTP_TRANSPORT": transport,
        }
    return cluster.configuration({"CAMUNDA_SDK_HTTP_TRANSPORT": transport})


@pytest.fixture(params=["aiohttp"] if REAL else ["aiohttp", "httpx"])
async def client(fresh: DevCluster | None, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    async with CamundaAsyncClient(configuration=configuration(fresh, request.param)) as c:
        yield c


@contextlib.asynccontextmanager
async def workers_running(client: CamundaAsyncClient) -> AsyncIterator[None]:
    """Run the client's job workers in a task for the block, then stop them cleanly."""
    task = asyncio.create_task(client.run_workers(handle_signals=False))
    try:
        yield
    finally:
        # Nothing is left to do: an outstanding long poll is abandoned after a second.
        await client.stop_workers(timeout=1)
        await asyncio.wait_for(task, 10)


def bpmn(process_id: str, body: str, extra: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    id="defs-{process_id}" targetNamespace="https://example.invalid">
  <bpmn:process id="{process_id}" isExecutable="true">
{body}
  </bpmn:process>
{extra}
</bpmn:definitions>""".encode()


async def deploy(client: CamundaAsyncClient, folder: Path, name: str, content: bytes) -> None:
    """Deploy one model, as a user would: written to a file, deployed from it."""
    await client.deploy_resources_from_files([write(folder, name, content)])


def write(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


async def variables_of(client: CamundaAsyncClient, instance_key: Any) -> dict[str, Any]:
    import json

    found = await client.search_variables(
        data=VariableSearchQuery(
            filter=VariableFilter(process_instance_key=instance_key, scope_key=instance_key)
        ),
        consistency=WAIT,
    )
    return {v.name: json.loads(v.value) for v in found.items}


# -- the order process, a worker completing its job ----------------------------------------


async def test_order_runs_end_to_end_with_a_job_worker(client: CamundaAsyncClient) -> None:
    deployment = await client.deploy_resources_from_files([ORDER_BPMN])
    [process] = deployment.processes
    assert process.process_definition_id == "order-process"
    charged: list[str] = []

    async def charge(job: ConnectedJobContext) -> dict[str, Any]:
        amount = job.variables.to_dict()["amount"]
        charged.append(str(job.process_instance_key))
        return {"charged": True, "receipt": f"R-{amount}"}

    client.create_job_worker(
        config=WorkerConfig(job_type="charge-card", job_timeout_milliseconds=30_000),
        callback=charge,
    )
    keys = []
    for amount in (10, 20, 30):
        created = await client.create_process_instance(
            data=ProcessCreationById(
                process_definition_id="order-process",
                variables={"orderId": f"A-{amount}", "amount": amount},
            )
        )
        keys.append(created.process_instance_key)
    async with workers_running(client):
        finals = [
            await client.get_process_instance(process_instance_key=k, consistency=UNTIL_ENDED)
            for k in keys
        ]
    assert [state_of(f) for f in finals] == ["COMPLETED"] * 3
    assert {str(k) for k in keys} <= set(charged)  # a shared cluster may hold more orders
    assert await variables_of(client, keys[1]) == {
        "orderId": "A-20",
        "amount": 20,
        "charged": True,
        "receipt": "R-20",
    }


async def test_await_completion_returns_the_variables(client: CamundaAsyncClient) -> None:
    await client.deploy_resources_from_files([ORDER_BPMN])

    @client.job_worker("charge-card", timeout=30_000)
    async def charge(amount: int) -> dict[str, Any]:
        return {"charged": amount}

    async with workers_running(client):
        result = await client.create_process_instance(
            data=ProcessCreationById(
                process_definition_id="order-process",
                variables={"amount": 7},
                await_completion=True,
                fetch_variables=["charged"],
                request_timeout=5_000,
            )
        )
    assert result.variables == {"charged": 7}


# -- an exclusive gateway ------------------------------------------------------------------

GATEWAY = bpmn(
    f"approval-{RUN}",
    f"""
    <bpmn:startEvent id="start"/>
    <bpmn:exclusiveGateway id="big" default="small"/>
    <bpmn:serviceTask id="review"><bpmn:extensionElements>
      <zeebe:taskDefinition type="review-{RUN}"/></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:serviceTask id="approve"><bpmn:extensionElements>
      <zeebe:taskDefinition type="approve-{RUN}"/></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="s1" sourceRef="start" targetRef="big"/>
    <bpmn:sequenceFlow id="large" sourceRef="big" targetRef="review">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">=amount &gt; 100
      </bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="small" sourceRef="big" targetRef="approve"/>
    <bpmn:sequenceFlow id="s2" sourceRef="review" targetRef="end"/>
    <bpmn:sequenceFlow id="s3" sourceRef="approve" targetRef="end"/>
    """,
)


async def test_an_exclusive_gateway_takes_the_path_its_condition_says(
    client: CamundaAsyncClient, tmp_path: Path
) -> None:
    await deploy(client, tmp_path, "approval.bpmn", GATEWAY)
    seen: dict[str, str] = {}

    async def review(job: ConnectedJobContext) -> dict[str, Any]:
        seen[str(job.process_instance_key)] = "review"
        return {"path": "review"}

    async def approve(job: ConnectedJobContext) -> dict[str, Any]:
        seen[str(job.process_instance_key)] = "approve"
        return {"path": "approve"}

    client.create_job_worker(
        config=WorkerConfig(job_type=f"review-{RUN}", job_timeout_milliseconds=30_000),
        callback=review,
    )
    client.create_job_worker(
        config=WorkerConfig(job_type=f"approve-{RUN}", job_timeout_milliseconds=30_000),
        callback=approve,
    )
    big = await client.create_process_instance(
        data=ProcessCreationById(process_definition_id=f"approval-{RUN}", variables={"amount": 500})
    )
    small = await client.create_process_instance(
        data=ProcessCreationById(process_definition_id=f"approval-{RUN}", variables={"amount": 5})
    )
    async with workers_running(client):
        for created in (big, small):
            await client.get_process_instance(
                process_instance_key=created.process_instance_key, consistency=UNTIL_ENDED
            )
    assert seen == {
        str(big.process_instance_key): "review",
        str(small.process_instance_key): "approve",
    }
    assert (await variables_of(client, big.process_instance_key))["path"] == "review"


# -- messages ------------------------------------------------------------------------------

PAYMENT = bpmn(
    f"payment-{RUN}",
    """
    <bpmn:startEvent id="start"/>
    <bpmn:intermediateCatchEvent id="paid">
      <bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="s1" sourceRef="start" targetRef="paid"/>
    <bpmn:sequenceFlow id="s2" sourceRef="paid" targetRef="end"/>
    """,
    f"""<bpmn:message id="m" name="payment-received-{RUN}"><bpmn:extensionElements>
      <zeebe:subscription correlationKey="=orderId"/></bpmn:extensionElements></bpmn:message>""",
)


async def test_a_message_correlates_before_and_after_the_subscription_exists(
    client: CamundaAsyncClient, tmp_path: Path
) -> None:
    await deploy(client, tmp_path, "payment.bpmn", PAYMENT)
    # Before: published first, buffered by its time to live, correlated on arrival.
    await client.publish_message(
        data=MessagePublicationRequest(
            name=f"payment-received-{RUN}",
            correlation_key=f"early-{RUN}",
            time_to_live=60_000,
            variables={"paidBy": "card"},
        )
    )
    early = await client.create_process_instance(
        data=ProcessCreationById(
            process_definition_id=f"payment-{RUN}", variables={"orderId": f"early-{RUN}"}
        )
    )
    # After: the instance waits; its subscription shows in the search, then the message.
    late = await client.create_process_instance(
        data=ProcessCreationById(
            process_definition_id=f"payment-{RUN}", variables={"orderId": f"late-{RUN}"}
        )
    )
    subscriptions = await client.search_message_subscriptions(
        data=MessageSubscriptionSearchQuery(
            filter=MessageSubscriptionFilter(process_instance_key=late.process_instance_key)
        ),
        consistency=WAIT,
    )
    [subscription] = subscriptions.items
    assert subscription.correlation_key == f"late-{RUN}"
    await client.publish_message(
        data=MessagePublicationRequest(
            name=f"payment-received-{RUN}",
            correlation_key=f"late-{RUN}",
            variables={"paidBy": "cash"},
        )
    )
    for created, paid_by in ((early, "card"), (late, "cash")):
        final = await client.get_process_instance(
            process_instance_key=created.process_instance_key, consistency=UNTIL_ENDED
        )
        assert state_of(final) == "COMPLETED"
        assert (await variables_of(client, created.process_instance_key))["paidBy"] == paid_by


# -- a timer, jumped with the clock --------------------------------------------------------

REMINDER = bpmn(
    f"reminder-{RUN}",
    """
    <bpmn:startEvent id="start"/>
    <bpmn:intermediateCatchEvent id="three-days">
      <bpmn:timerEventDefinition><bpmn:timeDuration>P3D</bpmn:timeDuration>
      </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="s1" sourceRef="start" targetRef="three-days"/>
    <bpmn:sequenceFlow id="s2" sourceRef="three-days" targetRef="end"/>
    """,
)


async def test_a_three_day_timer_fires_when_the_clock_is_pinned_past_it(
    client: CamundaAsyncClient, tmp_path: Path
) -> None:
    await deploy(client, tmp_path, "reminder.bpmn", REMINDER)
    now_ms = int(time.time() * 1000)
    await client.pin_clock(data=ClockPinRequest(timestamp=now_ms))
    created = await client.create_process_instance(
        data=ProcessCreationById(process_definition_id=f"reminder-{RUN}")
    )
    waiting = await client.get_process_instance(
        process_instance_key=created.process_instance_key, consistency=WAIT
    )
    assert state_of(waiting) == "ACTIVE"
    await client.pin_clock(data=ClockPinRequest(timestamp=now_ms + 3 * 86_400_000 + 1_000))
    final = await client.get_process_instance(
        process_instance_key=created.process_instance_key, consistency=UNTIL_ENDED
    )
    assert state_of(final) == "COMPLETED"
    await client.reset_clock()


# -- an incident, repaired -----------------------------------------------------------------


async def test_a_failed_job_raises_an_incident_that_retries_and_resolve_repair(
    client: CamundaAsyncClient,
) -> None:
    await client.deploy_resources_from_files([ORDER_BPMN])
    attempts: list[int] = []

    async def flaky(job: ConnectedJobContext) -> dict[str, Any]:
        attempts.append(job.retries)
        if len(attempts) == 1:
            raise JobFailure(message="card declined", retries=0)
        return {"charged": True}

    client.create_job_worker(
        config=WorkerConfig(job_type="charge-card", job_timeout_milliseconds=30_000), callback=flaky
    )
    created = await client.create_process_instance(
        data=ProcessCreationById(process_definition_id="order-process", variables={"amount": 1})
    )
    async with workers_running(client):
        incidents = await client.search_incidents(
            data=IncidentSearchQuery(
                filter=IncidentFilter(process_instance_key=created.process_instance_key)
            ),
            consistency=WAIT,
        )
        [incident] = incidents.items
        assert incident.error_message == "card declined"
        assert str(getattr(incident.error_type, "value", incident.error_type)) == "JOB_NO_RETRIES"
        assert incident.job_key is not None
        instance = await client.get_process_instance(
            process_instance_key=created.process_instance_key
        )
        assert instance.has_incident
        await client.update_job(
            job_key=incident.job_key, data=JobUpdateRequest(changeset=JobChangeset(retries=1))
        )
        await client.resolve_incident(incident_key=incident.incident_key)
        final = await client.get_process_instance(
            process_instance_key=created.process_instance_key, consistency=UNTIL_ENDED
        )
    assert state_of(final) == "COMPLETED" and not final.has_incident
    assert attempts == [3, 1]


# -- a user task ---------------------------------------------------------------------------

DECIDE = """
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="decide" name="Decide"><bpmn:extensionElements>
      <zeebe:userTask/><zeebe:assignmentDefinition assignee="=manager"/>
    </bpmn:extensionElements></bpmn:userTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="s1" sourceRef="start" targetRef="decide"/>
    <bpmn:sequenceFlow id="s2" sourceRef="decide" targetRef="end"/>
    """
APPROVAL_TASK = bpmn(f"vacation-{RUN}", DECIDE)
MANY_TASKS = bpmn(f"many-{RUN}", DECIDE)  # for the 250: a process no other test starts


async def test_a_user_task_is_completed_through_the_api(
    client: CamundaAsyncClient, tmp_path: Path
) -> None:
    await deploy(client, tmp_path, "vacation.bpmn", APPROVAL_TASK)
    created = await client.create_process_instance(
        data=ProcessCreationById(
            process_definition_id=f"vacation-{RUN}", variables={"manager": "ada"}
        )
    )
    tasks = await client.search_user_tasks(
        data=UserTaskSearchQuery(
            filter=UserTaskFilter(process_instance_key=created.process_instance_key)
        ),
        consistency=WAIT,
    )
    [task] = tasks.items
    assert task.assignee == "ada" and task.name == "Decide"
    await client.complete_user_task(
        user_task_key=task.user_task_key,
        data=UserTaskCompletionRequest(variables={"approved": True}),
    )
    final = await client.get_process_instance(
        process_instance_key=created.process_instance_key, consistency=UNTIL_ENDED
    )
    assert state_of(final) == "COMPLETED"
    assert (await variables_of(client, created.process_instance_key))["approved"] is True


# -- reading many, and typed ---------------------------------------------------------------


def test_iter_search_process_instances_pages_over_250(
    fresh: DevCluster | None, tmp_path: Path
) -> None:
    with CamundaClient(configuration=configuration(fresh)) as client:
        client.deploy_resources_from_files([write(tmp_path, "many.bpmn", MANY_TASKS)])
        keys = {
            str(
                client.create_process_instance(
                    data=ProcessCreationById(
                        process_definition_id=f"many-{RUN}", variables={"manager": f"m{i}"}
                    )
                ).process_instance_key
            )
            for i in range(250)
        }
        query = ProcessInstanceSearchQuery(
            filter=ProcessInstanceFilter(process_definition_id=f"many-{RUN}")
        )
        client.search_process_instances(
            data=query,
            consistency=ConsistencyOptions(
                wait_up_to_ms=10_000,
                poll_interval_ms=20,
                predicate=lambda r: r.page.total_items == 250,
            ),
        )
        seen = [
            str(i.process_instance_key)
            for i in client.iter_search_process_instances(data=query, page_size=40)
        ]
    assert len(seen) == 250 and set(seen) == keys


@dataclass
class Order:
    orderId: str  # the process variable's name
    amount: int
    express: bool = False


async def test_search_variables_as_dto_reads_typed_variables(client: CamundaAsyncClient) -> None:
    await client.deploy_resources_from_files([ORDER_BPMN])
    created = await client.create_process_instance(
        data=ProcessCreationById(
            process_definition_id="order-process", variables={"orderId": "B-2", "amount": 99}
        )
    )
    found = await client.search_variables_as_dto(
        Order, process_instance_key=created.process_instance_key, consistency=WAIT
    )
    order = found.validate()
    assert order == Order(orderId="B-2", amount=99)


# -- the lag is real -----------------------------------------------------------------------


@dev_cluster_only
def test_a_search_right_after_a_create_lags_unless_it_waits() -> None:
    with DevCluster(indexing_lag_ms=1_500) as lagging, lagging.client() as client:
        client.deploy_resources_from_files([ORDER_BPMN])
        created = client.create_process_instance(
            data=ProcessCreationById(process_definition_id="order-process")
        )
        query = ProcessInstanceSearchQuery(
            filter=ProcessInstanceFilter(process_instance_key=created.process_instance_key)
        )
        assert client.search_process_instances(data=query).items == []
        waited = client.search_process_instances(data=query, consistency=WAIT)
        assert [i.process_instance_key for i in waited.items] == [created.process_instance_key]
