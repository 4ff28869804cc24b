"""Fakes of the job endpoints for worker tests: activated-job JSON and an in-memory server.

:class:`FakeJobServer` is an ``httpx.MockTransport`` handler (no socket); for a
cluster on a real port that can be killed and restarted see ``job_cluster``.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections import deque
from collections.abc import Iterable
from typing import Any

import httpx

from camunda_sdk.client import CamundaAsyncClient
from camunda_sdk.workers import Backoff, WorkerConfig, WorkerTuning, run_workers, stop_workers

__all__ = [
    "FAST",
    "OUTCOME_PATH",
    "SETTINGS",
    "FakeJobServer",
    "config",
    "job_json",
    "make_client",
    "run_until_done",
]

#: The path of a job outcome: ``/v2/jobs/<key>/completion|failure|error``.
OUTCOME_PATH = re.compile(r"/v2/jobs/(?P<key>[^/]+)/(?P<kind>completion|failure|error)$")


def job_json(key: int | str, **fields: Any) -> dict[str, Any]:
    """An activated job as the newest spec describes it (every required field)."""
    job = {
        "type": "work",
        "processDefinitionId": "order",
        "processDefinitionVersion": 1,
        "elementId": "task",
        "customHeaders": {"h": "v"},
        "worker": "w",
        "retries": 3,
        "deadline": 1_700_000_000_000,
        "variables": {"n": int(key) if str(key).isdigit() else 0},
        "tenantId": "<default>",
        "physicalTenantId": "default",
        "jobKey": str(key),
        "processInstanceKey": "2251799813685249",
        "processDefinitionKey": "2251799813685248",
        "elementInstanceKey": "2251799813685250",
        "kind": "BPMN_ELEMENT",
        "listenerEventType": "UNSPECIFIED",
        "userTask": None,
        "tags": [],
        "rootProcessInstanceKey": None,
        "businessId": None,
        "priority": 0,
        "leaseToken": None,
    }
    job.update(fields)
    return job


class FakeJobServer:
    """Serves activation from a queue and records outcomes.

    ``script[(kind, key)]`` lists statuses to answer before succeeding, e.g.
    ``{("completion", "1"): [503]}``.
    """

    def __init__(self, jobs: Iterable[dict[str, Any]] = ()) -> None:
        self.queue: deque[dict[str, Any]] = deque(jobs)
        self.activations: list[dict[str, Any]] = []
        self.activation_statuses: list[int] = []
        self.outcomes: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        self.attempts: list[tuple[str, str, int]] = []
        self.script: dict[tuple[str, str], list[int]] = {}
        self.other: list[str] = []
        self.expected = 0
        self.done = asyncio.Event()
        self.lock = threading.Lock()

    def expect(self, n: int) -> None:
        self.expected = n
        self.done.clear()

    @property
    def completed(self) -> dict[str, dict[str, Any]]:
        return {
            k: body for k, v in self.outcomes.items() for kind, body in v if kind == "completion"
        }

    @property
    def failed(self) -> dict[str, dict[str, Any]]:
        return {k: body for k, v in self.outcomes.items() for kind, body in v if kind == "failure"}

    @property
    def errored(self) -> dict[str, dict[str, Any]]:
        return {k: body for k, v in self.outcomes.items() for kind, body in v if kind == "error"}

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        body = json.loads(request.content) if request.content else {}
        with self.lock:
            if path == "/v2/jobs/activation":
                self.activations.append(body)
                if self.activation_statuses:
                    return httpx.Response(self.activation_statuses.pop(0), json={})
                jobs = []
                while self.queue and len(jobs) < body["maxJobsToActivate"]:
                    jobs.append(self.queue.popleft())
                return httpx.Response(200, json={"jobs": jobs})
            match = OUTCOME_PATH.match(path)
            if match is None:
                self.other.append(path)
                return httpx.Response(200, json={})
            key, kind = match["key"], match["kind"]
            pending = self.script.get((kind, key))
            status = pending.pop(0) if pending else 204
            self.attempts.append((kind, key, status))
            if status != 204:
                return httpx.Response(status, json={"title": "busy", "status": status})
            self.outcomes.setdefault(key, []).append((kind, body))
            # n distinct jobs reported (a replayed outcome must not count twice)
            if self.expected and len(self.outcomes) >= self.expected:
                self.done.set()
            return httpx.Response(204)


# -- driving a worker against it -------------------------------------------------

#: Worker timing for tests: every pause a millisecond or two.
FAST = WorkerTuning(
    poll_backoff=Backoff(0.001, 0.002),
    idle_backoff=Backoff(0.001, 0.002),
    outcome_backoff=Backoff(0.001, 0.002),
    shutdown_timeout=2.0,
    random=lambda: 0.5,
)
SETTINGS = {
    "CAMUNDA_REST_ADDRESS": "http://camunda.test/v2",
    "CAMUNDA_SDK_RETRY_INITIAL_DELAY_MS": "1",
    "CAMUNDA_SDK_RETRY_MAX_DELAY_MS": "2",
}


def make_client(server: FakeJobServer, **settings: str) -> CamundaAsyncClient:
    """An async client whose requests ``server`` answers (no socket)."""
    return CamundaAsyncClient(
        configuration={**SETTINGS, **settings},
        transport=httpx.MockTransport(server.handle),
        environ={},
    )


def config(**overrides: Any) -> WorkerConfig:
    """A worker configuration for job type ``work`` with ``overrides``."""
    values: dict[str, Any] = {"job_type": "work", "job_timeout_milliseconds": 30_000}
    values.update(overrides)
    return WorkerConfig(**values)


async def run_until_done(
    client: CamundaAsyncClient, server: FakeJobServer, n: int, timeout: float = 5.0
) -> None:
    """Run the client's workers until ``server`` has outcomes for ``n`` jobs, then stop them."""
    server.expect(n)
    runner = asyncio.create_task(run_workers(client, handle_signals=False))
    try:
        await asyncio.wait_for(server.done.wait(), timeout)
    finally:
        await stop_workers(client, timeout=1.0)
        await asyncio.wait_for(runner, 2.0)
