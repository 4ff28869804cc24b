"""The generic search (filter, sort, page) on its own, without HTTP."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from camunda_sdk.devcluster.problems import Problem
from camunda_sdk.devcluster.search import (
    decode_cursor,
    encode_cursor,
    like_pattern,
    match_value,
    match_variables,
    search,
)

RECORDS: list[dict[str, Any]] = [
    {
        "key": "2251799813685251",
        "name": "gamma",
        "state": "ACTIVE",
        "version": 3,
        "startDate": "2026-01-03T00:00:00.000+00:00",
        "tags": ["b"],
    },
    {
        "key": "2251799813685249",
        "name": "alpha",
        "state": "COMPLETED",
        "version": 1,
        "startDate": "2026-01-01T00:00:00.000+00:00",
        "tags": ["a", "b"],
    },
    {
        "key": "2251799813685250",
        "name": "beta",
        "state": "ACTIVE",
        "version": 2,
        "startDate": "2026-01-02T00:00:00.000+00:00",
        "tags": [],
        "endDate": None,
    },
    {
        "key": "9007199254740993",
        "name": "a*b?c",
        "state": "TERMINATED",
        "version": 2,
        "startDate": "2026-01-02T12:00:00.000+01:00",
        "tags": ["c"],
        "endDate": "2026-01-05T00:00:00.000+00:00",
    },
]


def names(body: dict[str, Any] | None, **kw: Any) -> list[str]:
    return [r["name"] for r in search(RECORDS, body, key="key", **kw)["items"]]


def test_no_body_returns_everything_in_key_order() -> None:
    result = search(RECORDS, None, key="key")
    assert [r["key"] for r in result["items"]] == [
        "2251799813685249",
        "2251799813685250",
        "2251799813685251",
        "9007199254740993",
    ]
    assert result["page"]["totalItems"] == 4
    assert result["page"]["hasMoreTotalItems"] is False


def test_equality_and_and() -> None:
    assert names({"filter": {"state": "ACTIVE"}}) == ["beta", "gamma"]
    assert names({"filter": {"state": "ACTIVE", "version": 3}}) == ["gamma"]
    assert names({"filter": {"state": "NOPE"}}) == []
    # null filter values filter nothing
    assert len(names({"filter": {"state": None}})) == 4


def test_equality_on_keys_and_dates_is_by_value() -> None:
    assert names({"filter": {"key": "2251799813685250"}}) == ["beta"]
    # the same instant written with another offset
    assert names({"filter": {"startDate": "2026-01-02T11:00:00Z"}}) == ["a*b?c"]


def test_list_fields_match_by_contains() -> None:
    assert names({"filter": {"tags": "b"}}) == ["alpha", "gamma"]
    assert names({"filter": {"tags": {"$in": ["c", "a"]}}}) == ["alpha", "a*b?c"]


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({"$eq": "ACTIVE"}, ["beta", "gamma"]),
        ({"$neq": "ACTIVE"}, ["alpha", "a*b?c"]),
        ({"$in": ["COMPLETED", "TERMINATED"]}, ["alpha", "a*b?c"]),
        ({"$notIn": ["COMPLETED", "TERMINATED"]}, ["beta", "gamma"]),
        ({"$like": "*TIV*"}, ["beta", "gamma"]),
        ({"$like": "A?TIVE"}, ["beta", "gamma"]),
        ({"$like": "active"}, []),  # case-sensitive
        ({"$like": "ACTIV"}, []),  # anchored: the whole value
        ({"$exists": True}, ["alpha", "beta", "gamma", "a*b?c"]),
        ({"$eq": "ACTIVE", "$neq": "ACTIVE"}, []),  # operators are ANDed
    ],
)
def test_string_operators(flt: dict[str, Any], expected: list[str]) -> None:
    assert sorted(names({"filter": {"state": flt}})) == sorted(expected)


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({"$gt": 1}, ["beta", "gamma", "a*b?c"]),
        ({"$gte": 2, "$lt": 3}, ["beta", "a*b?c"]),
        ({"$lte": 1}, ["alpha"]),
        ({"$in": [1, 3]}, ["alpha", "gamma"]),
        ({"$neq": 2}, ["alpha", "gamma"]),
    ],
)
def test_integer_operators(flt: dict[str, Any], expected: list[str]) -> None:
    assert sorted(names({"filter": {"version": flt}})) == sorted(expected)


def test_key_comparisons_are_numeric_not_lexical() -> None:
    # "9007199254740993" < "2251..." as text, but it is the greatest key
    assert names({"filter": {"key": {"$gt": "2251799813685251"}}}) == ["a*b?c"]


def test_date_operators_compare_instants_across_offsets() -> None:
    # 2026-01-02T12:00+01:00 is 11:00Z: after 2026-01-02T10:00Z, before 12:00Z
    flt = {"startDate": {"$gt": "2026-01-02T10:00:00Z", "$lt": "2026-01-02T12:00:00.000+00:00"}}
    assert names({"filter": flt}) == ["a*b?c"]
    assert names({"filter": {"startDate": {"$gte": "2026-01-03T00:00:00Z"}}}) == ["gamma"]


def test_exists_false_takes_missing_and_null() -> None:
    assert sorted(names({"filter": {"endDate": {"$exists": False}}})) == [
        "alpha",
        "beta",
        "gamma",
    ]
    assert names({"filter": {"endDate": {"$exists": True}}}) == ["a*b?c"]


def test_missing_fields_are_not_equal_and_never_ordered() -> None:
    assert sorted(names({"filter": {"endDate": {"$neq": "x"}}})) == [
        "a*b?c",
        "alpha",
        "beta",
        "gamma",
    ]
    assert names({"filter": {"endDate": {"$gt": "2000-01-01T00:00:00Z"}}}) == ["a*b?c"]


def test_like_wildcards_and_escapes() -> None:
    assert like_pattern("a*").fullmatch("abc")
    assert like_pattern("a?c").fullmatch("abc")
    assert not like_pattern("a?c").fullmatch("ac")
    assert like_pattern(r"a\*b\?c").fullmatch("a*b?c")
    assert not like_pattern(r"a\*b").fullmatch("axb")
    assert like_pattern("a.b").fullmatch("a.b")  # regex characters are literal
    assert not like_pattern("a.b").fullmatch("axb")
    assert like_pattern("x\\").fullmatch("x\\")  # a trailing backslash stands for itself
    assert names({"filter": {"name": {"$like": r"a\*b\?c"}}}) == ["a*b?c"]
    assert names({"filter": {"name": {"$like": "*a"}}}) == ["alpha", "beta", "gamma"]


def test_or_groups() -> None:
    body = {"filter": {"$or": [{"name": "alpha"}, {"version": {"$gte": 3}}]}}
    assert names(body) == ["alpha", "gamma"]
    body = {"filter": {"state": "ACTIVE", "$or": [{"name": "alpha"}, {"version": 3}]}}
    assert names(body) == ["gamma"]


def test_unknown_operator_is_a_400_naming_the_property() -> None:
    with pytest.raises(Problem) as info:
        search(RECORDS, {"filter": {"state": {"$regex": "x"}}}, key="key")
    assert info.value.status == 400
    assert "'state'" in info.value.detail and "$regex" in info.value.detail


def test_custom_filters() -> None:
    body = {"filter": {"names": ["alpha", "beta"]}}
    got = names(body, filters={"names": lambda r, v: r["name"] in v})
    assert got == ["alpha", "beta"]
    assert names({"filter": {"label": "beta"}}, filters={"label": "name"}) == ["beta"]


def test_variables_filter() -> None:
    variables = {"amount": "42", "customer": '"Ada"'}
    assert match_variables(variables, [{"name": "amount", "value": "42"}])
    assert match_variables(variables, [{"name": "customer", "value": {"$like": '"A*"'}}])
    assert not match_variables(variables, [{"name": "amount", "value": "43"}])
    assert not match_variables(variables, [{"name": "missing", "value": "1"}])
    assert match_variables(variables, [])


def test_sort_asc_desc_and_tie_break_on_key() -> None:
    assert names({"sort": [{"field": "name"}]}) == ["a*b?c", "alpha", "beta", "gamma"]
    assert names({"sort": [{"field": "version", "order": "DESC"}]}) == [
        "gamma",
        "beta",  # version 2, smaller key first
        "a*b?c",
        "alpha",
    ]
    assert names({"sort": [{"field": "version", "order": "DESC"}, {"field": "name"}]}) == [
        "gamma",
        "a*b?c",
        "beta",
        "alpha",
    ]


def test_sort_puts_missing_values_last_either_way() -> None:
    asc = names({"sort": [{"field": "endDate"}]})
    desc = names({"sort": [{"field": "endDate", "order": "DESC"}]})
    assert asc[0] == "a*b?c" and desc[0] == "a*b?c"


def test_sort_by_dates_is_chronological() -> None:
    assert names({"sort": [{"field": "startDate"}]}) == ["alpha", "beta", "a*b?c", "gamma"]


def test_limit_and_offset() -> None:
    result = search(RECORDS, {"page": {"limit": 2}}, key="key")
    assert len(result["items"]) == 2
    assert result["page"]["totalItems"] == 4
    result = search(RECORDS, {"page": {"from": 3, "limit": 2}}, key="key")
    assert [r["name"] for r in result["items"]] == ["a*b?c"]
    result = search(RECORDS, {"page": {"from": 10}}, key="key")
    assert result["items"] == []
    assert result["page"]["startCursor"] is None and result["page"]["endCursor"] is None


def test_default_limit() -> None:
    many = [{"key": str(i)} for i in range(250)]
    assert len(search(many, {}, key="key")["items"]) == 100
    assert len(search(many, {}, key="key", default_limit=7)["items"]) == 7


@pytest.mark.parametrize(
    "page",
    [
        {"limit": 0},
        {"limit": 10_001},
        {"from": -1},
        {"from": 1, "after": "WzFd"},
        {"after": "WzFd", "before": "WzFd"},
        {"after": "not base64!"},
        {"after": base64.b64encode(b'{"a": 1}').decode()},
        {"after": base64.b64encode(b"[1, 2, 3]").decode()},  # wrong arity
    ],
)
def test_bad_pages_are_400(page: dict[str, Any]) -> None:
    with pytest.raises(Problem) as info:
        search(RECORDS, {"page": page}, key="key")
    assert info.value.status == 400
    assert "page" in info.value.detail


def _walk(body: dict[str, Any], limit: int) -> list[str]:
    seen: list[str] = []
    after = None
    while True:
        page: dict[str, Any] = {"limit": limit}
        if after:
            page["after"] = after
        result = search(RECORDS, {**body, "page": page}, key="key")
        seen += [r["name"] for r in result["items"]]
        if not result["items"]:
            return seen
        after = result["page"]["endCursor"]


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
@pytest.mark.parametrize(
    "sort",
    [[], [{"field": "version", "order": "DESC"}], [{"field": "endDate"}, {"field": "state"}]],
)
def test_cursor_forward_walk_visits_each_once_in_order(
    limit: int, sort: list[dict[str, Any]]
) -> None:
    body = {"sort": sort}
    everything = names({**body, "page": {"limit": 100}})
    assert _walk(body, limit) == everything


def test_cursor_backward() -> None:
    body: dict[str, Any] = {"sort": [{"field": "name"}]}
    last = search(RECORDS, {**body, "page": {"from": 2, "limit": 2}}, key="key")
    assert [r["name"] for r in last["items"]] == ["beta", "gamma"]
    before = search(
        RECORDS, {**body, "page": {"before": last["page"]["startCursor"], "limit": 1}}, key="key"
    )
    assert [r["name"] for r in before["items"]] == ["alpha"]
    before = search(
        RECORDS, {**body, "page": {"before": last["page"]["startCursor"], "limit": 5}}, key="key"
    )
    assert [r["name"] for r in before["items"]] == ["a*b?c", "alpha"]


def test_cursors_survive_inserts_between_pages() -> None:
    records = [{"key": str(k), "n": k} for k in (10, 20, 30, 40)]
    first = search(records, {"page": {"limit": 2}}, key="key")
    records.append({"key": "15", "n": 15})  # lands before the cursor: not seen again
    rest = search(records, {"page": {"limit": 10, "after": first["page"]["endCursor"]}}, key="key")
    assert [r["n"] for r in rest["items"]] == [30, 40]


def test_cursor_is_base64_json_of_sort_values_and_key() -> None:
    cursor = encode_cursor((["x", 3], "2251799813685249"))
    assert json.loads(base64.b64decode(cursor)) == ["x", 3, "2251799813685249"]
    assert decode_cursor(cursor, 2) == (["x", 3], "2251799813685249")


def test_match_value_direct() -> None:
    assert match_value("a", "a")
    assert match_value("a", ["b", "a"])
    assert not match_value(None, "a")
    assert match_value(None, {"$exists": False})
    assert not match_value(5, {"$gt": "x"})  # a number is not above a string
    assert match_value(True, True)
    assert not match_value(1, True)  # booleans are not numbers
