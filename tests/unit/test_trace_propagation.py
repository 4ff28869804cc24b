"""One trace across a process: creation calls carry the trace, job spans continue it."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fakes.jobs import FAST, SETTINGS, FakeJobServer, config, job_json, run_until_done
from fakes.telemetry import Telemetry
from opentelemetry.trace import format_span_id, format_trace_id

from camunda_sdk.client import CamundaAsyncClient, CamundaClient
from camunda_sdk.operations.models import (
    MessagePublicationRequest,
    ProcessInstanceCreationInstructionById,
)
from camunda_sdk.workers import create_job_worker

ON = {**SETTINGS, "CAMUNDA_SDK_TRACE_PROPAGATION": "true"}


def recording_client(telemetry: Telemetry, bodies: list[Any], **settings: str) -> CamundaClient:
    def answer(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        if request.url.path.endswith("/process-instances"):
            return httpx.Response(200, json={"processInstanceKey": "1", "variables": {}})
        return httpx.Response(200, json={"key": "1", "tenantId": "<default>"})

    return CamundaClient(
        configuration={**ON, **settings},
        transport=httpx.MockTransport(answer),
        environ={},
        tracer_provider=telemetry.tracer_provider,
        meter_provider=telemetry.meter_provider,
    )


def test_creation_and_publication_inside_a_span_carry_the_trace_context() -> None:
    telemetry = Telemetry()
    bodies: list[Any] = []
    client = recording_client(telemetry, bodies)
    tracer = telemetry.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("checkout") as span:
        client.create_process_instance(
            data=ProcessInstanceCreationInstructionById(
                process_definition_id="order", variables={"amount": 5}
            )
        )
        client.publish_message(data=MessagePublicationRequest(name="paid", correlation_key="c"))
    client.create_process_instance(  # outside any span: nothing added
        data=ProcessInstanceCreationInstructionById(process_definition_id="order")
    )
    trace_id = format_trace_id(span.get_span_context().trace_id)
    created, published, untraced = bodies
    assert created["variables"]["amount"] == 5
    assert created["variables"]["traceContext"]["traceparent"].split("-")[1] == trace_id
    assert published["variables"]["traceContext"]["traceparent"].split("-")[1] == trace_id
    assert "variables" not in untraced


def test_propagation_is_off_by_default_and_the_name_is_configurable() -> None:
    telemetry = Telemetry()
    bodies: list[Any] = []
    tracer = telemetry.tracer_provider.get_tracer("app")
    off = recording_client(telemetry, bodies, CAMUNDA_SDK_TRACE_PROPAGATION="false")
    named = recording_client(telemetry, bodies, CAMUNDA_SDK_TRACE_VARIABLE="otel")
    with tracer.start_as_current_span("checkout"):
        data = ProcessInstanceCreationInstructionById(process_definition_id="order")
        off.create_process_instance(data=data)
        named.create_process_instance(data=data)
    assert "variables" not in bodies[0]
    assert set(bodies[1]["variables"]) == {"otel"}


@pytest.mark.parametrize("mode", ["child", "link"])
async def test_a_job_span_continues_the_trace_its_process_carries(mode: str) -> None:
    telemetry = Telemetry()
    tracer = telemetry.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("checkout") as origin:
        context = origin.get_span_context()
    traceparent = f"00-{format_trace_id(context.trace_id)}-{format_span_id(context.span_id)}-01"
    server = FakeJobServer(
        [job_json(1, variables={"traceContext": {"traceparent": traceparent}, "n": 1})]
    )
    client = CamundaAsyncClient(
        configuration={**ON, "CAMUNDA_WORKER_TRACE_LINK": mode},
        transport=httpx.MockTransport(server.handle),
        environ={},
        tracer_provider=telemetry.tracer_provider,
        meter_provider=telemetry.meter_provider,
    )
    create_job_worker(client, config(fetch_variables=["n"]), lambda job: {}, tuning=FAST)
    await run_until_done(client, server, 1)
    await client.close()
    (job_span,) = telemetry.spans("process work")
    if mode == "child":
        assert job_span.context.trace_id == context.trace_id
        assert job_span.parent is not None and job_span.parent.span_id == context.span_id
    else:
        assert job_span.context.trace_id != context.trace_id
        assert [link.context.span_id for link in job_span.links] == [context.span_id]
    # a worker that fetches only some variables fetches the trace context too
    assert server.activations[0]["fetchVariable"] == ["n", "traceContext"]


async def test_one_trace_from_the_creation_call_to_the_job_handler() -> None:
    telemetry = Telemetry()
    bodies: list[Any] = []
    starter = recording_client(telemetry, bodies)
    tracer = telemetry.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("checkout") as checkout:
        starter.create_process_instance(
            data=ProcessInstanceCreationInstructionById(process_definition_id="order")
        )
    # the cluster hands the instance's variables to its job
    server = FakeJobServer([job_json(1, variables=bodies[0]["variables"])])
    worker_client = CamundaAsyncClient(
        configuration=ON,
        transport=httpx.MockTransport(server.handle),
        environ={},
        tracer_provider=telemetry.tracer_provider,
        meter_provider=telemetry.meter_provider,
    )
    create_job_worker(worker_client, config(), lambda job: {"ok": True}, tuning=FAST)
    await run_until_done(worker_client, server, 1)
    await worker_client.close()
    (job_span,) = telemetry.spans("process work")
    (completion,) = telemetry.spans("POST /jobs/{jobKey}/completion")
    (creation,) = telemetry.spans("POST /process-instances")
    trace_id = checkout.get_span_context().trace_id
    assert {s.context.trace_id for s in (creation, job_span, completion)} == {trace_id}
    assert job_span.parent is not None
    assert job_span.parent.span_id == checkout.get_span_context().span_id
    assert completion.parent is not None and completion.parent.span_id == job_span.context.span_id
