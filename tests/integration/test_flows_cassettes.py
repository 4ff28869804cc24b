"""End-to-end flows of the SDK, replayed from committed cassettes.

The cassettes under ``cassettes/test_flows_cassettes/`` were recorded against
Prism, a mock server of the official spec, by ``python scripts/record_cassettes.py``
(which can also record them against a real cluster). They replay with no server
and no credentials: CI runs this module with record mode ``none``.

Prism ran in dynamic mode (``-d --seed``) for the recording, so keys are numeric
strings that the spec's path patterns accept and other values are arbitrary:
the assertions below check shapes, not values.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from camunda_sdk.operations.models import (
    CursorForwardPagination,
    JobTypeStatisticsFilter,
    JobTypeStatisticsQuery,
    MessagePublicationRequest,
    ProcessInstanceCreationInstructionById,
)
from camunda_sdk.transport import aiohttp_installed

pytestmark = pytest.mark.camunda_cassette

# The async tests replay one cassette on each transport: vcrpy patches httpx and
# aiohttp separately, and a cassette must not care which one recorded it.
TRANSPORTS = [
    "httpx",
    pytest.param("aiohttp", marks=pytest.mark.skipif(not aiohttp_installed(), reason="extra")),
]


@pytest.fixture
def camunda_transport() -> str:
    """The async client's transport (tests parametrize it)."""
    return "auto"


@pytest.fixture
def camunda_configuration(
    camunda_record_mode: str, camunda_transport: str
) -> Mapping[str, Any] | None:
    """Replays ignore the developer's ``CAMUNDA_*`` shell settings.

    The cassettes were recorded with Basic auth; an OAuth setup in the shell would
    ask for a token that the cassettes do not hold. Recording uses the environment
    that ``scripts/record_cassettes.py`` sets up.
    """
    if camunda_record_mode in ("all", "new_episodes"):
        return None
    return {
        "CAMUNDA_REST_ADDRESS": "http://localhost:8080/v2",
        "CAMUNDA_AUTH_STRATEGY": "NONE",
        "CAMUNDA_CLIENT_ID": "",
        "CAMUNDA_CLIENT_SECRET": "",
        "CAMUNDA_BASIC_AUTH_USERNAME": "",
        "CAMUNDA_BASIC_AUTH_PASSWORD": "",
        "CAMUNDA_SDK_HTTP_TRANSPORT": camunda_transport,
    }


def test_topology(camunda_client: Any) -> None:
    topology = camunda_client.get_topology()
    assert isinstance(topology.brokers, list)
    assert isinstance(topology.cluster_size, int)


def test_create_and_cancel_process_instance(camunda_client: Any) -> None:
    created = camunda_client.create_process_instance(
        data=ProcessInstanceCreationInstructionById(
            process_definition_id="order-process",
            variables={"orderId": "A-1001", "amount": 42.5, "items": ["book", "pen"]},
        )
    )
    assert str(created.process_instance_key).lstrip("-").isdigit()
    assert (
        camunda_client.cancel_process_instance(process_instance_key=created.process_instance_key)
        is None
    )


def test_publish_message(camunda_client: Any) -> None:
    result = camunda_client.publish_message(
        data=MessagePublicationRequest(
            name="payment-received",
            correlation_key="A-1001",
            time_to_live=60_000,
            variables={"paid": True},
        )
    )
    assert result.message_key


def test_search_and_cursor_pagination(camunda_client: Any) -> None:
    # Prism rejects every `page` of the shared SearchQueryPageRequest (its oneOf
    # branches overlap, so no page matches exactly one), so the process instance
    # search runs with the server's default page, and the cursor is walked on an
    # endpoint whose page is plain CursorForwardPagination.
    instances = camunda_client.search_process_instances()
    assert isinstance(instances.items, list)
    assert instances.page is not None

    window = JobTypeStatisticsFilter(from_="2026-01-01T00:00:00Z", to="2026-01-02T00:00:00Z")
    cursor: str | None = None
    pages = []
    for _ in range(3):  # bounded: a mock may claim there is always more
        page = camunda_client.get_job_type_statistics(
            data=JobTypeStatisticsQuery(
                filter=window, page=CursorForwardPagination(after=cursor, limit=2)
            )
        )
        pages.append(page)
        cursor = page.page.end_cursor if page.page is not None else None
        if not cursor:
            break
    assert len(pages) >= 1
    assert all(isinstance(p.items, list) for p in pages)


@pytest.mark.camunda_cassette("test_async_client")
@pytest.mark.parametrize("camunda_transport", TRANSPORTS)
async def test_async_client(camunda_async_client: Any) -> None:
    topology, instances = await asyncio.gather(
        camunda_async_client.get_topology(), camunda_async_client.search_process_instances()
    )
    assert isinstance(topology.brokers, list)
    assert isinstance(instances.items, list)


@pytest.mark.camunda_cassette("test_worker_completes_and_fails_jobs")
@pytest.mark.parametrize("camunda_transport", TRANSPORTS)
async def test_worker_completes_and_fails_jobs(camunda_async_client: Any) -> None:
    from camunda_sdk.workers import (
        JobFailure,
        WorkerConfig,
        create_job_worker,
        run_workers,
        stop_workers,
    )

    handled: list[str] = []
    done = asyncio.Event()

    async def handler(job: Any) -> dict[str, Any]:
        handled.append(str(job.job_key))
        if len(handled) == 1:
            return {"shipped": True}  # completes the job
        if len(handled) == 2:
            done.set()
            raise JobFailure("warehouse offline", retries=2)  # fails it
        # Later jobs wait to be cancelled by the stop below, so they send nothing:
        # how many more polls happen before the stop is a matter of timing.
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    create_job_worker(
        camunda_async_client,
        WorkerConfig(
            job_type="ship-order",
            job_timeout_milliseconds=30_000,
            request_timeout_milliseconds=1_000,
            max_concurrent_jobs=1,  # one job at a time keeps the request order fixed
            worker_name="cassette-worker",
        ),
        handler,
        startup_jitter_max_seconds=0,
    )
    runner = asyncio.create_task(run_workers(camunda_async_client))
    try:
        await asyncio.wait_for(done.wait(), timeout=20)
    finally:
        await stop_workers(camunda_async_client, timeout=0.05)
        await runner
    assert len(handled) >= 2
