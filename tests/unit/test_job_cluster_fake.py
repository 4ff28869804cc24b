"""The fault-injecting job cluster fake itself, driven with plain httpx."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fakes.job_cluster import JobCluster

from camunda_sdk import CamundaClient
from camunda_sdk.operations.models import JobActivationRequest


@pytest.fixture
def cluster() -> Iterator[JobCluster]:
    with JobCluster() as running:
        yield running


@pytest.fixture
def http(cluster: JobCluster) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=cluster.rest_address, timeout=5.0) as client:
        yield client


def activate(http: httpx.Client, n: int = 10, **fields: Any) -> list[dict[str, Any]]:
    body = {"type": "work", "timeout": 10_000, "maxJobsToActivate": n, **fields}
    response = http.post("/jobs/activation", json=body)
    assert response.status_code == 200, response.text
    return response.json()["jobs"]


def complete(http: httpx.Client, key: str, **body: Any) -> int:
    return http.post(f"/jobs/{key}/completion", json=body).status_code


def wait_until(condition: Callable[[], Any], timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.001)


def test_activation_hands_out_queued_jobs_with_deadline_and_lease(
    cluster: JobCluster, http: httpx.Client
) -> None:
    keys = cluster.add_jobs(3)
    cluster.add_jobs(1, type="other")
    before = time.time() * 1000
    first = activate(http, 2, worker="w1", withLease=True)
    assert [job["jobKey"] for job in first] == keys[:2]
    for job in first:
        assert before + 10_000 <= job["deadline"] <= time.time() * 1000 + 10_000
        assert job["worker"] == "w1" and job["leaseToken"]
        assert job["processInstanceKey"] and job["variables"]  # a full activated job
    (third,) = activate(http, 5, fetchVariable=["none"])
    assert third["jobKey"] == keys[2] and third["leaseToken"] is None
    assert third["variables"] == {}
    assert activate(http) == [] and cluster.queued == 1  # the "other" job waits
    assert [body["maxJobsToActivate"] for _, body in cluster.activations] == [2, 5, 10]
    assert list(cluster.handouts) == keys


def test_an_outcome_is_accepted_once_and_unknown_jobs_get_404(
    cluster: JobCluster, http: httpx.Client
) -> None:
    one, two = cluster.add_jobs(2)
    activate(http)
    assert complete(http, one, variables={"x": 1}) == 204
    assert complete(http, one) == 404  # finished already
    assert complete(http, "123") == 404  # never handed out
    fail = http.post(f"/jobs/{two}/failure", json={"retries": 0, "errorMessage": "no"})
    assert fail.status_code == 204
    assert [(o.kind, o.key, o.status, o.accepted) for o in cluster.outcomes] == [
        ("completion", one, 204, True),
        ("completion", one, 404, False),
        ("completion", "123", 404, False),
        ("failure", two, 204, True),
    ]
    assert cluster.finished[one].body == {"variables": {"x": 1}}
    cluster.assert_every_job_reported_once()
    assert http.patch(f"/jobs/{one}", json={"changeset": {"retries": 1}}).status_code == 204
    assert [(m, p) for _, m, p, _ in cluster.other] == [("PATCH", f"/v2/jobs/{one}")]


def test_the_ledger_names_jobs_without_exactly_one_outcome(
    cluster: JobCluster, http: httpx.Client
) -> None:
    reported, silent = cluster.add_jobs(2)
    activate(http)
    cluster.fail_next("/completion", 503)
    assert complete(http, reported) == 503
    assert complete(http, reported) == 204
    with pytest.raises(AssertionError) as info:
        cluster.assert_every_job_reported_once()
    message = str(info.value)
    assert "1 of 2 jobs" in message and f"job {silent}:" in message
    assert "outcomes: none" in message and f"job {reported}" not in message


def test_a_leased_job_needs_its_token(cluster: JobCluster, http: httpx.Client) -> None:
    (key,) = cluster.add_jobs(1)
    (job,) = activate(http, withLease=True)
    assert complete(http, key) == 409
    assert complete(http, key, leaseToken="stale") == 409
    assert complete(http, key, leaseToken=job["leaseToken"]) == 204


async def test_a_long_poll_is_answered_as_soon_as_jobs_arrive(cluster: JobCluster) -> None:
    body = {"type": "work", "timeout": 1000, "maxJobsToActivate": 5, "requestTimeout": 10_000}
    async with httpx.AsyncClient(base_url=cluster.rest_address, timeout=5.0) as client:
        started = time.monotonic()
        poll = asyncio.create_task(client.post("/jobs/activation", json=body))
        while not cluster.activations:  # the request is held
            await asyncio.sleep(0.001)
        assert not poll.done()
        (key,) = cluster.add_jobs(1)
        response = await poll
        assert [job["jobKey"] for job in response.json()["jobs"]] == [key]
        assert time.monotonic() - started < 2.0
        empty = {**body, "requestTimeout": 50}
        started = time.monotonic()
        response = await client.post("/jobs/activation", json=empty)
        assert response.json() == {"jobs": []}
        assert time.monotonic() - started >= 0.05


def test_default_long_poll_applies_when_request_timeout_is_zero() -> None:
    with JobCluster(default_request_timeout_ms=50) as cluster, httpx.Client() as http:
        started = time.monotonic()
        body = {"type": "work", "timeout": 1, "maxJobsToActivate": 1, "requestTimeout": 0}
        assert http.post(cluster.rest_address + "/jobs/activation", json=body).json() == {
            "jobs": []
        }
        assert time.monotonic() - started >= 0.05


def test_stop_refuses_and_cuts_connections_and_restart_keeps_the_port(
    cluster: JobCluster, http: httpx.Client
) -> None:
    address = cluster.rest_address
    assert activate(http) == []  # a pooled keep-alive connection now exists
    errors: list[BaseException] = []
    long_poll = {"type": "work", "timeout": 1, "maxJobsToActivate": 1, "requestTimeout": 10_000}

    def poll() -> None:
        try:
            http.post("/jobs/activation", json=long_poll)
        except httpx.TransportError as exc:
            errors.append(exc)

    holder = threading.Thread(target=poll)
    holder.start()
    wait_until(lambda: len(cluster.activations) == 2)
    cluster.stop()
    holder.join(2.0)
    assert [type(e) for e in errors] in ([httpx.RemoteProtocolError], [httpx.ReadError])
    with pytest.raises(httpx.ConnectError):
        http.post("/jobs/activation", json=long_poll)
    cluster.start()
    assert cluster.rest_address == address
    (key,) = cluster.add_jobs(1)
    assert [job["jobKey"] for job in activate(http)] == [key]


def test_faults_answer_a_status_drop_the_connection_or_delay(
    cluster: JobCluster, http: httpx.Client
) -> None:
    one, two, three = cluster.add_jobs(3)
    activate(http)
    cluster.fail_next(r"/completion$", 503, count=2)
    assert [complete(http, one) for _ in range(3)] == [503, 503, 204]
    assert http.post(f"/jobs/{one}/completion", json={}).status_code == 404
    cluster.fail_next("/completion", None, drop=True)
    with pytest.raises(httpx.RemoteProtocolError):
        complete(http, two)
    assert two not in cluster.finished  # not carried out
    cluster.fail_next("/completion", None, drop=True, applied=True)  # the answer is lost
    with pytest.raises(httpx.RemoteProtocolError):
        complete(http, three)
    assert complete(http, three) == 404  # it was carried out
    cluster.fail_next("/completion", None, delay=0.1)
    started = time.monotonic()
    assert complete(http, two) == 204
    assert time.monotonic() - started >= 0.1
    cluster.fail_next(status=500, method="POST")  # any path
    assert http.post("/jobs/activation", json={}).status_code == 500
    statuses = [(o.key, o.status, o.accepted) for o in cluster.outcomes]
    assert statuses == [
        (one, 503, False),
        (one, 503, False),
        (one, 204, True),
        (one, 404, False),
        (two, None, False),
        (three, None, True),
        (three, 404, False),
        (two, 204, True),
    ]
    cluster.assert_every_job_reported_once()


def test_oauth_token_modes_and_a_token_endpoint_of_its_own() -> None:
    with JobCluster(oauth=True) as cluster, httpx.Client(timeout=5.0) as http:
        api = cluster.rest_address + "/jobs/activation"
        body = {"type": "work", "timeout": 1, "maxJobsToActivate": 1}
        assert http.post(api, json=body).status_code == 401
        form = {"grant_type": "client_credentials", "client_id": "worker"}
        token = http.post(cluster.token_url, data={**form, "client_secret": "worker-secret"})
        assert token.json()["expires_in"] == 300 and token.json()["token_type"] == "Bearer"
        bearer = {"authorization": "Bearer " + token.json()["access_token"]}
        assert http.post(api, json=body, headers=bearer).status_code == 200
        assert http.post(cluster.token_url, data={**form, "client_secret": "x"}).status_code == 401
        for mode, status in ((503, 503), (500, 500), (401, 401)):
            cluster.set_token_mode(mode)
            good = {**form, "client_secret": "worker-secret"}
            assert http.post(cluster.token_url, data=good).status_code == status
        cluster.token_endpoint.stop()  # refusing connections; the API stays up
        with pytest.raises(httpx.ConnectError):
            http.post(cluster.token_url, data=form)
        assert http.post(api, json=body, headers=bearer).status_code == 200
        cluster.expire_tokens()
        assert http.post(api, json=body, headers=bearer).status_code == 401
        assert len(cluster.token_requests) == 5 and len(cluster.unauthorized) == 2


def test_a_hanging_token_endpoint_holds_the_request() -> None:
    with JobCluster(oauth=True) as cluster, httpx.Client(timeout=0.1) as http:
        cluster.set_token_mode("hang")
        with pytest.raises(httpx.ReadTimeout):
            http.post(cluster.token_url, data={"client_id": "worker"})


def test_wait_for_outcomes_returns_once_reached_and_fails_with_the_ledger(
    cluster: JobCluster, http: httpx.Client
) -> None:
    keys = cluster.add_jobs(3)
    activate(http)
    reporter = threading.Thread(target=lambda: [complete(http, key) for key in keys])
    reporter.start()
    cluster.wait_for_outcomes(3, timeout=2.0)
    reporter.join()
    with pytest.raises(AssertionError, match="3 of 4 jobs finished; unfinished:\n  job "):
        cluster.add_jobs(1)
        activate(http)
        cluster.wait_for_outcomes(4, timeout=0.05)


async def test_wait_for_outcomes_async_leaves_the_loop_running(cluster: JobCluster) -> None:
    (key,) = cluster.add_jobs(1)
    async with httpx.AsyncClient(base_url=cluster.rest_address) as client:
        body = {"type": "work", "timeout": 1000, "maxJobsToActivate": 1}
        await client.post("/jobs/activation", json=body)

        async def report() -> None:
            await client.post(f"/jobs/{key}/completion", json={})

        reporting = asyncio.create_task(report())
        await cluster.wait_for_outcomes_async(1, timeout=2.0)
        await reporting


def test_the_sdk_client_works_with_the_settings() -> None:
    with JobCluster(oauth=True) as cluster:
        client = CamundaClient(cluster.settings(), environ={})
        (key,) = cluster.add_jobs(1)
        request = JobActivationRequest(type_="work", timeout=10_000, max_jobs_to_activate=1)
        (job,) = client.activate_jobs(data=request).jobs
        client.complete_job(job_key=job.job_key)
        client.close()
        assert list(cluster.finished) == [key]
        assert len(cluster.token_requests) == 1
