"""``consistency=``: waiting for eventually consistent reads, on both clients."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import httpx
import pytest
from fakes import snake_case
from fakes.reading import BASE, Script, page, problem
from fakes.telemetry import Telemetry

from camunda_sdk import (
    CamundaAsyncClient,
    CamundaClient,
    ConsistencyOptions,
    EventualConsistencyTimeoutError,
    ProcessInstanceKey,
)
from camunda_sdk.errors import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
    UnprocessableEntityError,
)
from camunda_sdk.operations import descriptors
from camunda_sdk.reading import eventual
from camunda_sdk.reading.eventual import ATTEMPT, WaitState, wait_flow

SEARCH = "/v2/process-instances/search"
GET = "/v2/process-instances/1"
INSTANCE = {"processInstanceKey": "1", "processDefinitionId": "order"}
FAST = ConsistencyOptions(wait_up_to_ms=2000, poll_interval_ms=10)


def call(
    kind: str, script: Script, method: str, *, telemetry: Telemetry | None = None, **kwargs: Any
) -> Any:
    """Call ``method`` on a sync or an async client over the script (traced into ``telemetry``)."""
    options: dict[str, Any] = {"environ": {}, "transport": httpx.MockTransport(script)}
    if telemetry is not None:
        options["tracer_provider"] = telemetry.tracer_provider
    if kind == "sync":
        with CamundaClient(BASE, **options) as client:
            return getattr(client, method)(**kwargs)

    async def run() -> Any:
        async with CamundaAsyncClient(BASE, **options) as client:
            return await getattr(client, method)(**kwargs)

    return asyncio.run(run())


both = pytest.mark.parametrize("kind", ["sync", "async"])


@both
def test_a_search_is_polled_until_it_has_items(kind: str) -> None:
    script = Script({SEARCH: [page([]), page([]), page([]), page([INSTANCE])]})
    result = call(kind, script, "search_process_instances", consistency=FAST)
    assert [i.process_instance_key for i in result.items] == ["1"]
    assert script.count(SEARCH) == 4


@both
def test_a_read_by_key_treats_404_as_not_yet(kind: str) -> None:
    script = Script({GET: [problem(404), problem(404), (200, INSTANCE)]})
    key = ProcessInstanceKey("1")
    result = call(kind, script, "get_process_instance", process_instance_key=key, consistency=FAST)
    assert result.process_instance_key == "1"
    assert script.count(GET) == 3


@both
def test_a_hard_403_ends_the_wait_at_once(kind: str) -> None:
    script = Script({SEARCH: [page([]), problem(403), page([INSTANCE])]})
    with pytest.raises(ForbiddenError):
        call(kind, script, "search_process_instances", consistency=FAST)
    assert script.count(SEARCH) == 2


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequestError),
        (401, UnauthorizedError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
    ],
)
def test_request_errors_end_the_wait_with_their_own_error(status: int, error: type) -> None:
    script = Script({GET: [problem(status), (200, INSTANCE)]})
    with pytest.raises(error):
        call("sync", script, "get_process_instance", process_instance_key="1", consistency=FAST)
    assert script.count(GET) == 1


@both
def test_a_busy_cluster_keeps_the_wait_going(kind: str) -> None:
    script = Script({SEARCH: [problem(503), problem(429), page([INSTANCE])]})
    result = call(kind, script, "search_process_instances", consistency=FAST)
    assert len(result.items) == 1


@both
def test_the_wait_times_out_with_what_it_did(kind: str) -> None:
    script = Script({SEARCH: [page([])]})
    options = ConsistencyOptions(wait_up_to_ms=60, poll_interval_ms=10)
    with pytest.raises(EventualConsistencyTimeoutError) as caught:
        call(kind, script, "search_process_instances", consistency=options)
    error = caught.value
    assert error.operation_id == "searchProcessInstances"
    assert error.attempts == script.count(SEARCH) >= 2
    assert error.elapsed_ms >= 60
    assert error.last_status == 200
    assert "wait_up_to_ms" in str(error)


def test_a_timeout_on_404s_reports_the_404_and_chains_it() -> None:
    script = Script({GET: [problem(404)]})
    options = ConsistencyOptions(wait_up_to_ms=30, poll_interval_ms=10)
    with pytest.raises(EventualConsistencyTimeoutError) as caught:
        call("sync", script, "get_process_instance", process_instance_key="1", consistency=options)
    assert caught.value.last_status == 404
    assert isinstance(caught.value.__cause__, NotFoundError)


@both
def test_wait_up_to_zero_returns_the_first_answer(kind: str) -> None:
    script = Script({SEARCH: [page([]), page([INSTANCE])]})
    options = ConsistencyOptions(wait_up_to_ms=0)
    result = call(kind, script, "search_process_instances", consistency=options)
    assert result.items == []
    assert script.count(SEARCH) == 1


def test_wait_up_to_zero_raises_the_first_error() -> None:
    script = Script({GET: [problem(404), (200, INSTANCE)]})
    options = ConsistencyOptions(wait_up_to_ms=0)
    with pytest.raises(NotFoundError):
        call("sync", script, "get_process_instance", process_instance_key="1", consistency=options)


@both
def test_without_the_option_nothing_changes(kind: str) -> None:
    script = Script({SEARCH: [page([]), page([INSTANCE])]})
    assert call(kind, script, "search_process_instances").items == []
    assert script.count(SEARCH) == 1


@both
def test_a_custom_predicate_decides(kind: str) -> None:
    script = Script(
        {SEARCH: [page([INSTANCE]), page([INSTANCE, {**INSTANCE, "processInstanceKey": "2"}])]}
    )
    options = ConsistencyOptions(
        wait_up_to_ms=2000, poll_interval_ms=10, predicate=lambda r: len(r.items) == 2
    )
    result = call(kind, script, "search_process_instances", consistency=options)
    assert len(result.items) == 2
    assert script.count(SEARCH) == 2


def test_operations_that_are_not_eventually_consistent_do_not_take_the_option() -> None:
    with CamundaClient(BASE, environ={}) as client:
        assert "consistency" not in inspect.signature(client.create_process_instance).parameters
        assert "consistency" not in inspect.signature(client.get_topology).parameters
        with pytest.raises(TypeError):
            client.get_topology(consistency=FAST)  # type: ignore[call-arg]


@pytest.mark.parametrize("cls", [CamundaClient, CamundaAsyncClient])
def test_exactly_the_eventually_consistent_operations_take_the_option(cls: type) -> None:
    assert len(descriptors.EVENTUALLY_CONSISTENT) == 95
    for op_id in descriptors.OPERATIONS:
        method = getattr(cls, snake_case(op_id))
        takes = "consistency" in inspect.signature(method).parameters
        assert takes == (op_id in descriptors.EVENTUALLY_CONSISTENT), op_id


def test_the_interval_has_a_floor_and_never_sleeps_past_the_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr(eventual.time, "sleep", sleeps.append)
    script = Script({SEARCH: [page([]), page([]), page([INSTANCE])]})
    options = ConsistencyOptions(wait_up_to_ms=1000, poll_interval_ms=0)
    call("sync", script, "search_process_instances", consistency=options)
    assert sleeps == [0.01, 0.01]


def test_the_policy_never_sleeps_past_the_deadline() -> None:
    state = WaitState()
    options = ConsistencyOptions(wait_up_to_ms=50, poll_interval_ms=10_000)
    flow = wait_flow("op", options, state)
    assert next(flow) is ATTEMPT
    pause = flow.send((type("R", (), {"items": []})(), None))
    assert 0 < pause <= 0.05


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="wait_up_to_ms"):
        ConsistencyOptions(wait_up_to_ms=-1)
    with pytest.raises(ValueError, match="poll_interval_ms"):
        ConsistencyOptions(wait_up_to_ms=1, poll_interval_ms=-5)


def test_the_timeout_error_survives_pickling() -> None:
    import pickle

    error = EventualConsistencyTimeoutError("op", attempts=3, elapsed_ms=12, last_status=404)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.operation_id, copy.attempts, copy.elapsed_ms, copy.last_status) == (
        "op",
        3,
        12,
        404,
    )


@both
def test_each_attempt_is_a_client_span_under_one_wait_span(kind: str) -> None:
    telemetry = Telemetry()
    script = Script({SEARCH: [page([]), page([]), page([INSTANCE])]})
    call(kind, script, "search_process_instances", telemetry=telemetry, consistency=FAST)
    (wait,) = telemetry.spans("camunda.consistency.wait searchProcessInstances")
    attempts = telemetry.spans("POST /process-instances/search")
    assert len(attempts) == 3
    assert all(s.parent is not None and s.parent.span_id == wait.context.span_id for s in attempts)
    assert all(s.context.trace_id == wait.context.trace_id for s in attempts)
    attrs = dict(wait.attributes or {})
    assert attrs["camunda.consistency.attempts"] == 3
    assert attrs["camunda.consistency.outcome"] == "consistent"
    assert attrs["camunda.operation_id"] == "searchProcessInstances"


def test_a_timed_out_wait_span_is_an_error() -> None:
    telemetry = Telemetry()
    script = Script({SEARCH: [page([])]})
    client = CamundaClient(
        BASE,
        environ={},
        transport=httpx.MockTransport(script),
        tracer_provider=telemetry.tracer_provider,
    )
    with client, pytest.raises(EventualConsistencyTimeoutError):
        client.search_process_instances(
            consistency=ConsistencyOptions(wait_up_to_ms=30, poll_interval_ms=10)
        )
    (wait,) = telemetry.spans("camunda.consistency.wait searchProcessInstances")
    attrs = dict(wait.attributes or {})
    assert attrs["camunda.consistency.outcome"] == "timeout"
    assert attrs["error.type"].endswith("EventualConsistencyTimeoutError")
    assert not wait.status.is_ok


def test_no_wait_span_when_tracing_is_off() -> None:
    telemetry = Telemetry()
    script = Script({SEARCH: [page([]), page([INSTANCE])]})
    client = CamundaClient(
        {**BASE, "CAMUNDA_SDK_TRACING": "false"},
        environ={},
        transport=httpx.MockTransport(script),
        tracer_provider=telemetry.tracer_provider,
    )
    with client:
        client.search_process_instances(consistency=FAST)
    assert telemetry.spans() == []


@both
def test_a_predicate_that_raises_ends_the_wait_with_its_error(kind: str) -> None:
    telemetry = Telemetry()
    script = Script({SEARCH: [page([]), page([INSTANCE])]})

    def broken(result: Any) -> bool:
        raise LookupError("predicate bug")

    options = ConsistencyOptions(wait_up_to_ms=2000, poll_interval_ms=10, predicate=broken)
    with pytest.raises(LookupError, match="predicate bug"):
        call(kind, script, "search_process_instances", telemetry=telemetry, consistency=options)
    assert script.count(SEARCH) == 1  # no attempt after the predicate failed
    (wait,) = telemetry.spans("camunda.consistency.wait searchProcessInstances")
    assert dict(wait.attributes or {})["camunda.consistency.outcome"] == "error"
    assert not wait.status.is_ok


def test_cancelling_a_wait_stops_it_ends_its_span_and_restores_the_context() -> None:
    from opentelemetry import trace

    telemetry = Telemetry()
    script = Script({SEARCH: [page([])]})

    async def run() -> None:
        async with CamundaAsyncClient(
            BASE,
            environ={},
            transport=httpx.MockTransport(script),
            tracer_provider=telemetry.tracer_provider,
        ) as client:
            options = ConsistencyOptions(wait_up_to_ms=60_000, poll_interval_ms=10)
            task = asyncio.ensure_future(client.search_process_instances(consistency=options))
            while script.count(SEARCH) < 2:
                await asyncio.sleep(0.005)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            before = script.count(SEARCH)
            await asyncio.sleep(0.05)
            assert script.count(SEARCH) == before  # nothing polls on after the cancel
        assert not trace.get_current_span().get_span_context().is_valid

    asyncio.run(run())
    (wait,) = telemetry.spans("camunda.consistency.wait searchProcessInstances")
    assert dict(wait.attributes or {})["camunda.consistency.outcome"] == "cancelled"


def test_a_stop_iteration_from_an_attempt_is_not_taken_for_the_end_of_the_wait() -> None:
    def attempt() -> Any:
        raise StopIteration
        yield  # an attempt's flow

    # Inside a flow a stray StopIteration becomes a RuntimeError (PEP 479): the
    # driver can never mistake it for the wait's end and return None.
    with CamundaClient(BASE, environ={}) as client, pytest.raises(RuntimeError) as caught:
        client._get_driver().run(eventual.wait(client.context, "op", attempt, FAST))
    assert isinstance(caught.value.__cause__, StopIteration)


def test_a_whole_wait_sleeps_no_longer_than_its_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    monkeypatch.setattr(eventual.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(eventual.time, "sleep", sleep)
    script = Script({SEARCH: [page([])]})
    options = ConsistencyOptions(wait_up_to_ms=1250, poll_interval_ms=500)
    with pytest.raises(EventualConsistencyTimeoutError) as caught:
        call("sync", script, "search_process_instances", consistency=options)
    assert sleeps == [0.5, 0.5, 0.25]  # the last pause is cut to the deadline
    assert caught.value.attempts == script.count(SEARCH) == 4
    assert caught.value.elapsed_ms == 1250
