"""A user's own httpx or aiohttp instrumentation next to the SDK's spans: no duplicates.

The SDK makes one CLIENT span per API call; the official OpenTelemetry
instrumentations of httpx and aiohttp would add one per HTTP request under it.
The tracing stage suppresses them for API requests, on every transport, and
leaves a plugin's own requests (the OAuth token fetch) visible to them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fakes.job_cluster import JobCluster
from fakes.telemetry import Telemetry
from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import ReadableSpan

from camunda_sdk import CamundaAsyncClient, CamundaClient
from camunda_sdk.operations.models import JobActivationRequest
from camunda_sdk.transport import aiohttp_installed

TRANSPORTS = [
    "httpx",
    pytest.param("aiohttp", marks=pytest.mark.skipif(not aiohttp_installed(), reason="extra")),
]


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    """httpx and aiohttp instrumented as a user would, exporting to memory."""
    telemetry = Telemetry()
    httpx_instrumentor, aiohttp_instrumentor = (
        HTTPXClientInstrumentor(),
        AioHttpClientInstrumentor(),
    )
    httpx_instrumentor.instrument(tracer_provider=telemetry.tracer_provider)
    aiohttp_instrumentor.instrument(tracer_provider=telemetry.tracer_provider)
    try:
        yield telemetry
    finally:
        httpx_instrumentor.uninstrument()
        aiohttp_instrumentor.uninstrument()


def _by_scope(telemetry: Telemetry) -> dict[str, list[ReadableSpan]]:
    out: dict[str, list[ReadableSpan]] = {}
    for span in telemetry.spans():
        scope = span.instrumentation_scope.name if span.instrumentation_scope else ""
        out.setdefault(scope, []).append(span)
    return out


def _url(span: ReadableSpan) -> str:
    # The instrumentations write the old (http.url) or the stable (url.full) convention.
    attributes = span.attributes or {}
    return str(attributes.get("url.full") or attributes.get("http.url") or "")


def _check(telemetry: Telemetry, cluster: JobCluster) -> None:
    spans = _by_scope(telemetry)
    ours = spans.pop("camunda_sdk", [])
    assert sorted(span.name for span in ours) == [
        "POST /jobs/activation",
        "POST /jobs/{jobKey}/completion",
    ]
    # What the user's instrumentation recorded: the token fetch, and nothing of the API.
    theirs = [span for group in spans.values() for span in group]
    urls = [_url(span) for span in theirs]
    assert urls and all(url.startswith(cluster.token_url) for url in urls), urls
    assert not any(cluster.rest_address.split("/v2")[0] in url for url in urls)


def _request() -> JobActivationRequest:
    return JobActivationRequest(
        type_="work", timeout=30_000, max_jobs_to_activate=1, request_timeout=1_000
    )


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_async_api_calls_get_one_span_each_on_every_transport(
    telemetry: Telemetry, transport: str
) -> None:
    with JobCluster(oauth=True) as cluster:
        cluster.add_jobs(1)
        settings = cluster.settings(CAMUNDA_SDK_HTTP_TRANSPORT=transport)
        client: Any = CamundaAsyncClient(
            settings, environ={}, tracer_provider=telemetry.tracer_provider
        )
        try:
            [job] = (await client.activate_jobs(data=_request())).jobs
            await client.complete_job(job_key=job.job_key)
        finally:
            await client.close()
        _check(telemetry, cluster)


def test_sync_api_calls_get_one_span_each(telemetry: Telemetry) -> None:
    with JobCluster(oauth=True) as cluster:
        cluster.add_jobs(1)
        with CamundaClient(
            cluster.settings(), environ={}, tracer_provider=telemetry.tracer_provider
        ) as client:
            [job] = client.activate_jobs(data=_request()).jobs
            client.complete_job(job_key=job.job_key)
        _check(telemetry, cluster)
