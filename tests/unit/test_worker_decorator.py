"""@client.job_worker: decorator registration, with typed variable parameters."""

from __future__ import annotations

from typing import Any

from fakes.jobs import FakeJobServer, job_json, make_client, run_until_done

from camunda_sdk.workers import ConnectedJobContext, JobContext


def process_charge(amount: float, customer: str = "guest") -> dict[str, Any]:
    return {"charged": amount, "customer": customer}


async def test_typed_parameters_are_filled_from_the_variables() -> None:
    server = FakeJobServer(
        [
            job_json(1, variables={"amount": 12.5, "customer": "c1", "other": "x"}),
            job_json(2, variables={"amount": 3}),  # an int where a float is declared: fine
        ]
    )
    client = make_client(server)

    @client.job_worker("work", timeout=30_000, max_concurrent_jobs=4)
    async def charge(amount: float, customer: str = "guest") -> dict[str, Any]:
        return {"charged": amount, "customer": customer}

    assert charge.__name__ == "charge"  # returned unchanged
    (worker,) = client.workers
    assert worker.config.max_concurrent_jobs == 4
    assert worker.execution_strategy == "async"
    await run_until_done(client, server, 2)
    assert server.completed == {
        "1": {"variables": {"charged": 12.5, "customer": "c1"}},
        "2": {"variables": {"charged": 3.0, "customer": "guest"}},
    }
    # only the declared variables are fetched
    assert server.activations[0]["fetchVariable"] == ["amount", "customer"]
    assert server.activations[0]["timeout"] == 30_000


async def test_a_missing_or_mistyped_variable_fails_the_job_naming_it() -> None:
    server = FakeJobServer(
        [
            job_json(1, variables={"customer": "c1"}),
            job_json(2, variables={"amount": "12", "customer": "c1"}),
            job_json(3, variables={"amount": True, "customer": "c1"}),
            job_json(4, variables={"amount": 1.0, "customer": None}),
        ]
    )
    client = make_client(server)

    @client.job_worker("work", timeout=30_000)
    async def charge(amount: float, customer: str | None) -> None:
        assert amount == 1.0 and customer is None

    await run_until_done(client, server, 4)
    assert server.failed == {
        "1": {"retries": 0, "errorMessage": "job variable 'amount' is missing", "retryBackOff": 0},
        "2": {"retries": 0, "errorMessage": "job variable 'amount' must be float, got str",
              "retryBackOff": 0},
        "3": {"retries": 0, "errorMessage": "job variable 'amount' must be float, got bool",
              "retryBackOff": 0},
    }  # fmt: skip
    assert set(server.completed) == {"4"}


async def test_the_context_comes_along_when_asked_for() -> None:
    server = FakeJobServer([job_json(7, variables={"n": 2, "extra": 1})])
    client = make_client(server)

    @client.job_worker("work", timeout=30_000)
    async def double(job: ConnectedJobContext, n: int) -> dict[str, Any]:
        return {"doubled": n * 2, "key": job.job_key, "extra": job.variables["extra"]}

    await run_until_done(client, server, 1)
    assert server.completed == {"7": {"variables": {"doubled": 4, "key": "7", "extra": 1}}}
    assert "fetchVariable" not in server.activations[0]  # the handler may read any variable


async def test_plain_context_handlers_and_sync_functions_work_too() -> None:
    server = FakeJobServer([job_json(1)])
    client = make_client(server)

    @client.job_worker("work", timeout=30_000)
    async def plain(job: JobContext) -> dict[str, Any]:
        return {"n": job.variables["n"]}

    assert client.workers[0].execution_strategy == "async"
    await run_until_done(client, server, 1)
    assert server.completed == {"1": {"variables": {"n": 1}}}

    server = FakeJobServer([job_json(2, variables={"amount": 2.5})])
    client = make_client(server)

    @client.job_worker("work", timeout=30_000)
    def blocking(amount: float) -> dict[str, Any]:
        return {"half": amount / 2}

    assert client.workers[0].execution_strategy == "thread"
    await run_until_done(client, server, 1)
    assert server.completed == {"2": {"variables": {"half": 1.25}}}


async def test_typed_handlers_run_in_child_processes() -> None:
    server = FakeJobServer([job_json(1, variables={"amount": 4.0, "customer": "p"})])
    client = make_client(server)
    client.job_worker("work", timeout=30_000, execution_strategy="process")(process_charge)
    await run_until_done(client, server, 1, timeout=30)
    assert server.completed == {"1": {"variables": {"charged": 4.0, "customer": "p"}}}
