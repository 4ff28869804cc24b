"""The dev cluster's HTTP-free parts: clock, index lag, keys, routes, validation."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest

from camunda_sdk.devcluster.engine import (
    FIRST_KEY,
    Clock,
    Engine,
    InvalidArgument,
    format_timestamp,
)
from camunda_sdk.devcluster.problems import Problem
from camunda_sdk.devcluster.routes import Router
from camunda_sdk.devcluster.store import Index
from camunda_sdk.devcluster.validation import check, checker_for, request_body_types
from camunda_sdk.operations.descriptors import OPERATIONS

# -- clock ----------------------------------------------------------------------------


def test_clock_pins_and_resets_and_notifies() -> None:
    clock = Clock()
    seen: list[int | None] = []
    clock.add_listener(lambda: seen.append(clock.pinned))
    assert clock.pinned is None
    clock.pin(5)
    assert clock.now() == 5 and clock.pinned == 5
    clock.reset()
    assert clock.now() > 1_700_000_000_000
    assert seen == [5, None]
    with pytest.raises(InvalidArgument):  # a 400, not a crash
        clock.pin(True)


def test_dates_are_utc_with_milliseconds_and_parse() -> None:
    text = format_timestamp(1_767_225_600_123)
    assert text == "2026-01-01T00:00:00.123Z"
    assert datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() == 1_767_225_600.123


# -- index --------------------------------------------------------------------------------


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_index_shows_writes_only_after_the_lag() -> None:
    t = FakeTime()
    index = Index(50, monotonic=t)
    index.put("users", "a", {"username": "a", "name": "one"})
    assert index.get("users", "a") is None and index.pending == 1
    t.now += 0.049
    assert index.get("users", "a") is None
    t.now += 0.001
    assert index.get("users", "a") == {"username": "a", "name": "one"}
    index.put("users", "a", {"username": "a", "name": "two"})
    t.now += 0.01
    index.delete("users", "a")
    t.now += 0.045
    assert index.get("users", "a") == {"username": "a", "name": "two"}  # as of now - lag
    t.now += 0.01
    assert index.get("users", "a") is None
    assert list(index.records("users")) == []


def test_index_snapshots_are_copies() -> None:
    index = Index(0)
    record = {"username": "a"}
    index.put("users", "a", record)
    record["username"] = "changed"
    assert index.get("users", "a") == {"username": "a"}


def test_index_zero_lag_flush_and_clear() -> None:
    t = FakeTime()
    index = Index(0, monotonic=t)
    index.put("c", 1, {"k": 1})
    assert index.get("c", 1) == {"k": 1}
    lagging = Index(10_000, monotonic=t)
    lagging.put("c", 1, {"k": 1})
    lagging.flush()
    assert lagging.get("c", 1) == {"k": 1}
    lagging.put("c", 2, {"k": 2})
    lagging.clear()
    assert lagging.pending == 0 and lagging.get("c", 1) is None
    with pytest.raises(ValueError):
        Index(-1)


def test_keys_look_like_a_clusters_and_a_fresh_engine_starts_again() -> None:
    engine = Engine()
    assert engine.new_key() == FIRST_KEY == 2251799813685249
    assert engine.new_key() == 2251799813685250
    assert Engine().new_key() == FIRST_KEY


# -- routes -----------------------------------------------------------------------------------


def _sample_path(op: Any) -> str:
    path = op.path if op.root else "/v2" + op.path
    return re.sub(r"\{[^}]+\}", "2251799813685249", path)


def test_every_operation_routes_to_itself() -> None:
    router = Router(OPERATIONS.values())
    for op in OPERATIONS.values():
        found, params = router.match(op.method, _sample_path(op))
        assert found is op, (op, found)
        assert set(params) == set(re.findall(r"\{([^}]+)\}", op.path))


def test_literal_segments_win_and_parameters_are_decoded() -> None:
    router = Router(OPERATIONS.values())
    op, params = router.match("POST", "/v2/users/search")
    assert op.id == "searchUsers" and params == {}
    op, params = router.match("GET", "/v2/users/search")  # GET: the parameter route
    assert op.id == "getUser" and params == {"username": "search"}
    op, params = router.match("GET", "/v2/users/a%2Fb%40c")
    assert params == {"username": "a/b@c"}
    op, _ = router.match("GET", "/cluster/v2/topology")
    assert op.id == "getClusterTopology"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v2/nothing-here", 404),
        ("GET", "/topology", 404),
        ("GET", "/v2/topology/", 404),
        ("GET", "/v2/users//x", 404),
        ("DELETE", "/v2/topology", 405),
        ("PATCH", "/v2/users/search", 405),
    ],
)
def test_unknown_paths_and_methods(method: str, path: str, status: int) -> None:
    with pytest.raises(Problem) as info:
        Router(OPERATIONS.values()).match(method, path)
    assert info.value.status == status
    if status == 405:
        assert info.value.headers["Allow"]


# -- validation ----------------------------------------------------------------------------------


def test_every_body_operation_has_a_compilable_checker() -> None:
    types = request_body_types()
    with_body = {op.id for op in OPERATIONS.values() if op.body}
    assert set(types) == with_body
    for annotation, _ in types.values():
        checker_for(annotation)
    assert types["createUser"] == ("UserRequest", True)
    assert types["searchUsers"] == ("UserSearchQueryRequest", False)


@pytest.mark.parametrize(
    ("annotation", "body", "message"),
    [
        ("UserRequest", {"username": "a"}, "'password' is required"),
        (
            "UserRequest",
            {"username": "a", "password": "p", "nmae": "x"},
            "'nmae' is not a property",
        ),
        ("UserRequest", {"username": 5, "password": "p"}, "'username' must be a string"),
        ("UserRequest", [], "must be an object"),
        ("UserSearchQueryRequest", {"sort": [{"field": "x"}]}, "'sort[0].field' has the unknown"),
        ("UserSearchQueryRequest", {"sort": {"field": "name"}}, "'sort' must be an array"),
        ("UserSearchQueryRequest", {"page": {"limit": "5"}}, "'page.limit' must be an integer"),
        (
            "UserSearchQueryRequest",
            {"filter": {"name": {"$like": 5}}},
            "'filter.name.$like' must be a string",
        ),
        (
            "UserSearchQueryRequest",
            {"filter": {"name": {"$nope": "x"}}},
            "'filter.name.$nope' is not a property",
        ),
        ("ClockPinRequest", {"timestamp": "soon"}, "'timestamp' must be an integer"),
        ("ClockPinRequest", {"timestamp": True}, "'timestamp' must be an integer"),
        (
            "AuthorizationRequest",
            {
                "ownerId": "u",
                "ownerType": "USER",
                "resourceType": "NOPE",
                "resourceId": "*",
                "permissionTypes": ["READ"],
            },
            "'resourceType' has the unknown value 'NOPE'",
        ),
        (
            "SetVariableRequest",
            {"variables": {"a": 1}, "operationReference": "x"},
            "'operationReference' must be an integer",
        ),
    ],
)
def test_violations_name_the_property(annotation: str, body: Any, message: str) -> None:
    with pytest.raises(Problem) as info:
        check(annotation, body)
    assert info.value.status == 400
    assert message in info.value.detail, info.value.detail


@pytest.mark.parametrize(
    ("annotation", "body"),
    [
        ("UserRequest", {"username": "a", "password": "p", "name": None}),
        ("UserSearchQueryRequest", {}),
        ("UserSearchQueryRequest", {"filter": {"name": "x", "email": {"$in": ["a"]}}}),
        ("UserSearchQueryRequest", {"page": {"from": 0, "limit": 5}}),
        ("UserSearchQueryRequest", {"page": {"after": "WzFd"}}),
        ("ClockPinRequest", {"timestamp": 3.0}),
        ("SetVariableRequest", {"variables": {"a": {"deep": [1, {"x": None}]}}}),
    ],
)
def test_valid_bodies_pass(annotation: str, body: Any) -> None:
    check(annotation, body)


def test_keys_must_be_digit_strings() -> None:
    check("ProcessInstanceCreationInstructionByKey", {"processDefinitionKey": "2251799813685249"})
    with pytest.raises(Problem) as info:
        check("ProcessInstanceCreationInstructionByKey", {"processDefinitionKey": "abc"})
    assert "'processDefinitionKey' must be a key" in info.value.detail
