"""Typed variables: ``search_variables_as_dto`` and class instances sent as variables."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import json
from typing import Any, Literal, TypedDict

import attrs
import httpx
import pytest
from fakes.reading import BASE, PagedSearch, Script

from camunda_sdk import (
    CamundaAsyncClient,
    CamundaClient,
    ConsistencyOptions,
    EventualConsistencyTimeoutError,
    JobCompletionRequest,
    MessagePublicationRequest,
    MissingVariableError,
    ProcessCreationById,
    VariableDeserializationError,
    VariableMap,
    VariableScopeCollisionError,
)
from camunda_sdk._serde import is_variables_object, to_wire

SEARCH = "/v2/variables/search"


class Tier(enum.Enum):
    GOLD = "gold"
    SILVER = "silver"


@dataclasses.dataclass
class Address:
    city: str
    zip: str | None = None


@dataclasses.dataclass
class Order:
    order_id: str
    amount: float
    tier: Tier
    address: Address
    tags: list[str] = dataclasses.field(default_factory=list)
    note: str | None = None


@attrs.define
class Shipment:
    carrier: str
    express: bool = False


class Customer(TypedDict, total=False):
    customer_id: str
    vip: bool


def var(name: str, value: Any, *, scope: str = "100", raw: str | None = None, **extra: Any):
    """A variable search result; ``raw`` is the stored text when it is not ``value``'s JSON."""
    return {
        "name": name,
        "value": json.dumps(value) if raw is None else raw,
        "scopeKey": scope,
        "processInstanceKey": "100",
        "variableKey": f"k-{name}-{scope}",
        "tenantId": "<default>",
        "isTruncated": False,
        **extra,
    }


ORDER_VARS = [
    var("order_id", "o-1"),
    var("amount", 42),
    var("tier", "gold"),
    var("address", {"city": "Berlin"}),
    var("tags", ["a", "b"]),
]


def read(kind: str, handler: Any, dto: type, **kwargs: Any) -> VariableMap[Any]:
    kwargs.setdefault("process_instance_key", "100")
    if kind == "sync":
        with CamundaClient(BASE, environ={}, transport=httpx.MockTransport(handler)) as client:
            return client.search_variables_as_dto(dto, **kwargs)

    async def run() -> VariableMap[Any]:
        transport = httpx.MockTransport(handler)
        async with CamundaAsyncClient(BASE, environ={}, transport=transport) as client:
            return await client.search_variables_as_dto(dto, **kwargs)

    return asyncio.run(run())


both = pytest.mark.parametrize("kind", ["sync", "async"])


@both
def test_a_dataclass_round_trip_asks_only_for_its_variables(kind: str) -> None:
    server = PagedSearch(ORDER_VARS)
    variables = read(kind, server, Order, page_size=2)
    order = variables.validate()
    assert order == Order("o-1", 42.0, Tier.GOLD, Address("Berlin"), ["a", "b"])
    assert variables.get("note") is None and "note" not in variables
    assert variables["amount"] == 42
    body = server.bodies[0]
    assert body["filter"]["name"] == {
        "$in": ["order_id", "amount", "tier", "address", "tags", "note"]
    }
    assert body["filter"]["processInstanceKey"] == "100"
    assert "scopeKey" not in body["filter"]
    assert set(server.queries) == {"truncateValues=false"}
    assert len(server.bodies) == 3  # five variables, two per page: every page read


@both
def test_attrs_classes_and_typed_dicts_work_too(kind: str) -> None:
    shipment = read(kind, PagedSearch([var("carrier", "DHL")]), Shipment).validate()
    assert shipment == Shipment("DHL")
    customer = read(kind, PagedSearch([var("vip", True)]), Customer).validate()
    assert customer == {"vip": True}


def test_scope_and_tenant_narrow_the_search() -> None:
    server = PagedSearch([var("carrier", "DHL", scope="7")])
    read("sync", server, Shipment, scope_key="7", tenant_id="t1")
    assert server.bodies[0]["filter"]["scopeKey"] == "7"
    assert server.bodies[0]["filter"]["tenantId"] == "t1"


@both
def test_a_missing_variable_is_lenient_in_get_and_strict_in_validate(kind: str) -> None:
    variables = read(kind, PagedSearch([var("order_id", "o-1")]), Order)
    assert variables.get("amount") is None
    assert variables.get("amount", 0) == 0
    with pytest.raises(MissingVariableError) as caught:
        variables.validate()
    assert caught.value.name == "amount"
    assert "'amount'" in str(caught.value)


@both
def test_an_undecodable_value_names_the_variable_not_the_value(kind: str) -> None:
    server = PagedSearch([var("carrier", None, raw="s3cr3t{not json")])
    with pytest.raises(VariableDeserializationError) as caught:
        read(kind, server, Shipment)
    assert caught.value.name == "carrier"
    assert "s3cr3t" not in str(caught.value)
    assert caught.value.__cause__ is None  # the JSON error would quote the value


def test_a_value_of_the_wrong_type_fails_validate_naming_it() -> None:
    variables = read("sync", PagedSearch([*ORDER_VARS[:1], var("amount", "lots")]), Order)
    with pytest.raises(VariableDeserializationError) as caught:
        variables.validate()
    assert caught.value.name == "amount"
    assert "lots" not in str(caught.value)
    nested = [*ORDER_VARS[:3], var("address", {"zip": "1"})]
    with pytest.raises(MissingVariableError, match=r"address\.city"):
        read("sync", PagedSearch(nested), Order).validate()


@both
def test_the_same_name_at_two_scopes_is_a_collision(kind: str) -> None:
    server = PagedSearch([var("carrier", "DHL", scope="1"), var("carrier", "UPS", scope="2")])
    with pytest.raises(VariableScopeCollisionError) as caught:
        read(kind, server, Shipment)
    assert caught.value.name == "carrier"
    assert caught.value.scope_keys == ["1", "2"]
    assert "scope_key" in str(caught.value)
    assert "DHL" not in str(caught.value)


def test_a_value_truncated_anyway_is_read_in_full() -> None:
    truncated = {"items": [var("carrier", "D", isTruncated=True)], "page": {"endCursor": None}}
    script = Script(
        {
            SEARCH: [(200, truncated)],
            "/v2/variables/k-carrier-100": [(200, var("carrier", "DHL"))],
        }
    )
    assert read("sync", script, Shipment).validate().carrier == "DHL"


@dataclasses.dataclass
class Pair:
    left: str
    right: str
    extra: str | None = None


@both
def test_consistency_waits_until_every_required_variable_is_there(kind: str) -> None:
    rounds = iter([[var("left", "L")], [var("left", "L"), var("right", "R")]])
    current: list[Any] = []
    passes: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if "after" not in body["page"]:
            passes.append(1)
            current[:] = next(rounds, current)
        return PagedSearch(current)(request)

    options = ConsistencyOptions(wait_up_to_ms=2000, poll_interval_ms=10)
    pair = read(kind, handler, Pair, consistency=options).validate()
    assert pair == Pair("L", "R")  # `extra`, with a default, did not hold the wait
    assert len(passes) == 2


def test_a_consistency_timeout_returns_what_is_there() -> None:
    options = ConsistencyOptions(wait_up_to_ms=30, poll_interval_ms=10)
    variables = read("sync", PagedSearch([var("carrier", "DHL")]), Shipment, consistency=options)
    assert dict(variables) == {"carrier": "DHL"}


def test_anything_but_the_three_kinds_of_class_is_refused() -> None:
    class Plain:
        x: int

    with pytest.raises(TypeError, match="dataclass, an attrs class or a TypedDict"):
        read("sync", PagedSearch([]), Plain)


def test_the_map_never_shows_values() -> None:
    variables = VariableMap(Shipment, {"carrier": "s3cr3t"})
    assert "s3cr3t" not in repr(variables)


# -- the other direction: class instances wherever request variables go ---------------


def test_to_wire_sends_dataclasses_attrs_and_typed_dicts_as_objects() -> None:
    order = Order("o-1", 1.5, Tier.SILVER, Address("Paris", zip=None))
    assert to_wire(order) == {
        "order_id": "o-1",
        "amount": 1.5,
        "tier": "silver",
        "address": {"city": "Paris", "zip": None},
        "tags": [],
        "note": None,
    }
    assert to_wire(Shipment("DHL")) == {"carrier": "DHL", "express": False}
    assert to_wire(Customer(vip=True)) == {"vip": True}
    assert is_variables_object(order) and is_variables_object(Shipment("x"))
    assert not is_variables_object(JobCompletionRequest()) and not is_variables_object(Order)


@both
def test_process_creation_job_completion_and_messages_accept_class_instances(kind: str) -> None:
    answers = {
        "/v2/process-instances": [(200, {"processInstanceKey": "1"})],
        "/v2/jobs/5/completion": [httpx.Response(204)],
        "/v2/messages/publication": [(200, {"messageKey": "9"})],
    }
    script = Script(answers)
    shipment = Shipment("DHL", express=True)
    calls: list[tuple[str, dict[str, Any]]] = [
        (
            "create_process_instance",
            {"data": ProcessCreationById(process_definition_id="order", variables=shipment)},  # type: ignore[arg-type]
        ),
        (
            "complete_job",
            {"job_key": "5", "data": JobCompletionRequest(variables=Customer(vip=True))},
        ),
        (
            "publish_message",
            {"data": MessagePublicationRequest(name="paid", variables=Address("Rome"))},
        ),
    ]
    for method, kwargs in calls:
        if kind == "sync":
            with CamundaClient(BASE, environ={}, transport=httpx.MockTransport(script)) as c:
                getattr(c, method)(**kwargs)
        else:

            async def run(method: str = method, kwargs: dict[str, Any] = kwargs) -> None:
                transport = httpx.MockTransport(script)
                async with CamundaAsyncClient(BASE, environ={}, transport=transport) as c:
                    await getattr(c, method)(**kwargs)

            asyncio.run(run())
    sent = [b["variables"] for b in script.bodies()]
    assert sent == [
        {"carrier": "DHL", "express": True},
        {"vip": True},
        {"city": "Rome", "zip": None},
    ]


def test_literal_and_union_fields_are_checked() -> None:
    @dataclasses.dataclass
    class Flags:
        mode: Literal["a", "b"]
        size: int | str

    ok = VariableMap(Flags, {"mode": "a", "size": "big"}).validate()
    assert ok == Flags("a", "big")
    with pytest.raises(VariableDeserializationError, match="mode"):
        VariableMap(Flags, {"mode": "c", "size": 1}).validate()
    with pytest.raises(VariableDeserializationError, match="size"):
        VariableMap(Flags, {"mode": "a", "size": True}).validate()


def test_a_custom_predicate_that_never_holds_times_out() -> None:
    options = ConsistencyOptions[VariableMap[Shipment]](
        wait_up_to_ms=30, poll_interval_ms=10, predicate=lambda v: v.get("carrier") == "UPS"
    )
    with pytest.raises(EventualConsistencyTimeoutError) as caught:
        read("sync", PagedSearch([var("carrier", "DHL")]), Shipment, consistency=options)
    assert caught.value.operation_id == "searchVariables"
    assert caught.value.last_status == 200


def test_a_custom_predicate_sees_the_variable_map() -> None:
    seen: list[Any] = []

    def holds(variables: VariableMap[Shipment]) -> bool:
        seen.append(variables)
        return variables.get("carrier") == "DHL"

    options = ConsistencyOptions(wait_up_to_ms=2000, poll_interval_ms=10, predicate=holds)
    variables = read("sync", PagedSearch([var("carrier", "DHL")]), Shipment, consistency=options)
    assert variables.validate() == Shipment("DHL")
    assert len(seen) == 1 and isinstance(seen[0], VariableMap)


def test_a_mismatch_inside_a_dict_does_not_show_its_keys() -> None:
    @dataclasses.dataclass
    class Prices:
        prices: dict[str, float]

    with pytest.raises(VariableDeserializationError) as caught:
        VariableMap(Prices, {"prices": {"card-4111111111111111": "free"}}).validate()
    assert caught.value.name == "prices[]"
    assert "4111" not in str(caught.value) and "free" not in str(caught.value)


@dataclasses.dataclass
class Card:
    last4: str


@dataclasses.dataclass
class Wire:
    iban: str


@dataclasses.dataclass
class Payment:
    method: Card | Wire
    fallback: Card | None = None


def test_a_union_of_classes_takes_the_arm_the_value_fits() -> None:
    paid = VariableMap(Payment, {"method": {"iban": "DE00"}}).validate()
    assert paid == Payment(Wire("DE00"))
    with pytest.raises(VariableDeserializationError, match="method"):
        VariableMap(Payment, {"method": {"bic": "X"}}).validate()
    with pytest.raises(MissingVariableError, match=r"fallback\.last4"):  # an optional's own error
        VariableMap(Payment, {"method": {"iban": "DE00"}, "fallback": {}}).validate()


def test_one_unresolvable_annotation_leaves_the_other_fields_checked() -> None:
    @dataclasses.dataclass
    class Local:
        amount: int
        card: Card
        other: Unknown  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(VariableDeserializationError, match="amount"):
        VariableMap(Local, {"amount": "1", "card": {"last4": "1"}, "other": 1}).validate()
    built = VariableMap(Local, {"amount": 1, "card": {"last4": "1"}, "other": [1]}).validate()
    assert built.card == Card("1") and built.other == [1]  # unresolved: the value as it is
