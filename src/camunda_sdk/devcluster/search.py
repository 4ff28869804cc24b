"""Generic search over records in API shape: filter, sort and page as the spec says.

Every search operation of the spec takes the same request shape (`filter`, `sort`,
`page`) and answers `{"items": [...], "page": {...}}`. :func:`search` applies it to
any list of records (dicts keyed by the API's field names, keys as strings):

- **filter**: each property is either a plain value (equality; on a list field,
  "contains") or an advanced filter object with the operators `$eq $neq $in $notIn
  $exists $like $gt $gte $lt $lte`, all of them ANDed. `$like` takes `*` (any run of
  characters) and `?` (one character), `\\` escapes the next character; it is
  case-sensitive and matches the whole value. A missing field counts as "not
  equal" for `$neq` and `$notIn` (as a document store's must-not query does) and
  never satisfies a comparison. `$or` takes a list of filter objects, one of which
  must match as well. Keys (digit strings) compare as numbers and ISO 8601 dates as
  instants, so `$gt` means what it says on both.
- **sort**: a list of `{field, order}` (`ASC` by default); missing values sort last
  in either order; ties are broken by the record key, ascending, so paging is
  stable. Without a sort, records come in key order.
- **page**: `limit` (default 100; 1 to 10,000 for limit and cursor paging), `from`
  (an offset) or the opaque cursors `after` / `before` from a previous answer's
  `endCursor` / `startCursor`. The answer's page has `totalItems` (all matches),
  `hasMoreTotalItems` (always false: totals are never capped here) and the cursors
  of its first and last item (null on an empty page).

A property whose meaning is not "the record field of the same name" (a filter
named `resourceIds` over a field `resourceId`, the `variables` filter) is given to
:func:`search` as a custom matcher. Bad input (an unknown operator, a cursor this
search did not write) raises a 400 :class:`~.problems.Problem`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import heapq
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from .problems import Problem

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "Matcher",
    "decode_cursor",
    "encode_cursor",
    "like_pattern",
    "match_filter",
    "match_value",
    "match_variables",
    "search",
]

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000

#: A custom filter property: `(record, filter value) -> matches`.
Matcher = Callable[[Mapping[str, Any], Any], bool]

_OPERATORS = frozenset(
    {"$eq", "$neq", "$in", "$notIn", "$exists", "$like", "$gt", "$gte", "$lt", "$lte"}
)
_INTEGER = re.compile(r"-?[0-9]+")
# Keys and instants start with a digit (or a minus): only such text needs a normal form
# to compare.
_NUMERIC_START = re.compile(r"[-0-9]").match
# Enough of ISO 8601 to tell a date-time string from other text before parsing it.
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def search(
    records: Iterable[Mapping[str, Any]],
    body: Mapping[str, Any] | None,
    *,
    key: str | Callable[[Mapping[str, Any]], Any],
    filters: Mapping[str, str | Matcher] | None = None,
    sort_fields: Mapping[str, str | Callable[[Mapping[str, Any]], Any]] | None = None,
    default_limit: int = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """Answer the search request `body` over `records`.

    Args:
        records: the candidates, each a dict in API shape.
        body: the request body (`filter`, `sort`, `page`), already validated
            against the operation's request model; None is an empty request.
        key: the record's unique key (a field name, or a function of the record):
            the tie-breaker of every sort and the last element of every cursor.
        filters: filter properties that are not a plain record field: a field
            name to read instead, or a matcher function.
        sort_fields: sort fields that are not a plain record field: a field name
            or a function of the record.
        default_limit: the page size when the request gives none.

    Returns:
        `{"items": [...], "page": {"totalItems", "hasMoreTotalItems",
        "startCursor", "endCursor"}}`; items are the matching records themselves.
    """
    body = body or {}
    key_of = _getter(key)
    custom = filters or {}
    flt = body.get("filter") or {}
    matched = [r for r in records if match_filter(r, flt, custom)]
    getters, orders = _sort_spec(body.get("sort") or [], sort_fields or {})

    def sort_values(record: Mapping[str, Any]) -> list[Any]:
        return [g(record) for g in getters]

    def compare(a: tuple[list[Any], Any], b: tuple[list[Any], Any]) -> int:
        for va, vb, desc in zip(a[0], b[0], orders, strict=True):
            c = _compare_nulls_last(va, vb, desc)
            if c:
                return c
        return _compare(a[1], b[1])

    page = body.get("page") or {}
    limit, offset, after, before = _page_spec(page, default_limit, len(getters))
    if getters:
        rows = [((sort_values(r), key_of(r)), r) for r in matched]
        rows.sort(key=functools.cmp_to_key(lambda x, y: compare(x[0], y[0])))
    else:
        # Key order only: the normal forms of keys are totally ordered, so a key sort does,
        # and a page near the start is picked without sorting everything (a poll of a
        # large search asks for one small page, again and again).
        no_values: list[Any] = []
        rows = [((no_values, key_of(r)), r) for r in matched]
        if after is not None:
            floor = _key_normal(after[1])
            rows = [row for row in rows if _key_normal(row[0][1]) > floor]
            after = None
            offset = 0
        if before is None and offset + limit < len(rows) // 4:
            rows = heapq.nsmallest(offset + limit, rows, key=lambda row: _key_normal(row[0][1]))
        else:
            rows.sort(key=lambda row: _key_normal(row[0][1]))

    if after is not None:
        rows = [row for row in rows if compare(row[0], after) > 0][:limit]
    elif before is not None:
        rows = [row for row in rows if compare(row[0], before) < 0]
        rows = rows[max(0, len(rows) - limit) :]
    else:
        rows = rows[offset : offset + limit]
    items = [r for _, r in rows]
    return {
        "items": items,
        "page": {
            "totalItems": len(matched),
            "hasMoreTotalItems": False,
            "startCursor": encode_cursor(rows[0][0]) if rows else None,
            "endCursor": encode_cursor(rows[-1][0]) if rows else None,
        },
    }


# -- filters -----------------------------------------------------------------------


def match_filter(
    record: Mapping[str, Any],
    flt: Mapping[str, Any],
    custom: Mapping[str, str | Matcher] | None = None,
) -> bool:
    """Whether `record` satisfies every property of the filter object `flt`."""
    custom = custom or {}
    for name, wanted in flt.items():
        if wanted is None:
            continue  # an explicit null filters nothing, like an absent property
        if name == "$or":
            if not isinstance(wanted, list):
                raise Problem(400, "The filter property '$or' must be a list of filter objects.")
            if wanted and not any(match_filter(record, sub, custom) for sub in wanted):
                return False
            continue
        how = custom.get(name, name)
        if callable(how):
            if not how(record, wanted):
                return False
        elif not match_value(record.get(how), wanted, name):
            return False
    return True


def match_value(actual: Any, wanted: Any, name: str = "value") -> bool:
    """Whether the field value `actual` satisfies the filter value `wanted`.

    `wanted` is a plain value (equality; contains, on a list), a list (any of
    its values) or an advanced filter object (`{"$gt": ..., "$lt": ...}`).
    """
    if isinstance(wanted, dict):
        return _match_advanced(actual, wanted, name)
    if isinstance(wanted, list):
        return any(_equal_any(actual, w) for w in wanted)
    return _equal_any(actual, wanted)


def _match_advanced(actual: Any, ops: Mapping[str, Any], name: str) -> bool:
    for op, operand in ops.items():
        if op not in _OPERATORS:
            raise Problem(
                400,
                f"The filter property '{name}' has an unknown operator '{op}'; "
                f"use one of {', '.join(sorted(_OPERATORS))}.",
            )
        if operand is None:
            continue
        if op == "$exists":
            present = actual is not None and actual != []
            if present != bool(operand):
                return False
        elif op == "$eq":
            if not _equal_any(actual, operand):
                return False
        elif op == "$neq":
            if _equal_any(actual, operand):
                return False
        elif op == "$in":
            if not any(_equal_any(actual, v) for v in _as_list(operand, name, op)):
                return False
        elif op == "$notIn":
            if any(_equal_any(actual, v) for v in _as_list(operand, name, op)):
                return False
        elif op == "$like":
            if not isinstance(operand, str):
                raise Problem(400, f"The filter property '{name}' needs a string for '$like'.")
            regex = like_pattern(operand)
            if not any(isinstance(v, str) and regex.fullmatch(v) for v in _values(actual)):
                return False
        else:  # $gt $gte $lt $lte
            if not any(_ordered(v, operand, op) for v in _values(actual)):
                return False
    return True


def _as_list(operand: Any, name: str, op: str) -> list[Any]:
    if not isinstance(operand, list):
        raise Problem(400, f"The filter property '{name}' needs a list for '{op}'.")
    return operand


def _values(actual: Any) -> list[Any]:
    if actual is None:
        return []
    return actual if isinstance(actual, list) else [actual]


def _equal_any(actual: Any, wanted: Any) -> bool:
    # On a list field (tags, candidate groups) equality means "one element equals".
    return any(_equal(v, wanted) for v in _values(actual))


def _equal(a: Any, b: Any) -> bool:
    if a == b and type(a) is type(b):
        return True
    if type(a) is str and type(b) is str and not (_NUMERIC_START(a) or _NUMERIC_START(b)):
        return False  # plain text (a state, a name): unequal text is unequal
    na, nb = _normal(a), _normal(b)
    return na == nb


def _ordered(actual: Any, operand: Any, op: str) -> bool:
    na, nb = _normal(actual), _normal(operand)
    if na[0] != nb[0]:
        return False  # a number is neither above nor below a string
    if op == "$gt":
        return na > nb
    if op == "$gte":
        return na >= nb
    if op == "$lt":
        return na < nb
    return na <= nb


@functools.lru_cache(maxsize=256)
def like_pattern(pattern: str) -> re.Pattern[str]:
    """The regular expression of a `$like` pattern (`*`, `?`, backslash escapes)."""
    out: list[str] = []
    chars = iter(pattern)
    for ch in chars:
        if ch == "\\":
            escaped = next(chars, "\\")  # a trailing backslash stands for itself
            out.append(re.escape(escaped))
        elif ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out), re.DOTALL)


def match_variables(variables: Mapping[str, str], wanted: Sequence[Mapping[str, Any]]) -> bool:
    """The spec's `variables` filter: every `{name, value}` entry must match.

    `variables` maps names to their JSON text, as the API serves variable values;
    `value` is a string filter (exact JSON text, or an advanced filter over it).
    """
    for entry in wanted:
        name = entry.get("name")
        if not isinstance(name, str) or name not in variables:
            return False
        value = entry.get("value")
        if value is not None and not match_value(variables[name], value, f"variables.{name}"):
            return False
    return True


# -- comparing values ----------------------------------------------------------------

# Normal forms make values of one kind comparable: (kind, value). Kind 0: numbers
# and digit-string keys, 1: instants, 2: other text, 3: booleans, 4: the rest.


def _normal(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool):
        return (3, int(value))
    if isinstance(value, (int, float)):
        return (0, value)
    if isinstance(value, str):
        if _INTEGER.fullmatch(value) and len(value) <= 25:
            return (0, int(value))
        if _DATETIME.match(value):
            instant = _instant(value)
            if instant is not None:
                return (1, instant)
        return (2, value)
    return (4, json.dumps(value, sort_keys=True, default=str))


@functools.lru_cache(maxsize=4096)
def _instant(text: str) -> float | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None  # the API's instants all carry an offset; compare others as text
    return parsed.timestamp()


def _key_normal(value: Any) -> tuple[int, Any]:
    # The common key, a digit string, without the regular expressions of `_normal`.
    if type(value) is str and value.isascii() and value.isdigit() and len(value) <= 25:
        return (0, int(value))
    return _normal(value)


def _compare(a: Any, b: Any) -> int:
    na, nb = _normal(a), _normal(b)
    return (na > nb) - (na < nb)


def _compare_nulls_last(a: Any, b: Any, desc: bool) -> int:
    if a is None or b is None:
        return (a is None) - (b is None)
    c = _compare(a, b)
    return -c if desc else c


# -- sort and page -------------------------------------------------------------------


def _getter(how: str | Callable[[Mapping[str, Any]], Any]) -> Callable[[Mapping[str, Any]], Any]:
    if callable(how):
        return how
    return lambda record: record.get(how)


def _sort_spec(
    sort: Sequence[Mapping[str, Any]],
    fields: Mapping[str, str | Callable[[Mapping[str, Any]], Any]],
) -> tuple[list[Callable[[Mapping[str, Any]], Any]], list[bool]]:
    getters: list[Callable[[Mapping[str, Any]], Any]] = []
    orders: list[bool] = []
    for i, entry in enumerate(sort):
        field = entry.get("field")
        if not isinstance(field, str):
            raise Problem(400, f"The request property 'sort[{i}].field' must name a field.")
        order = entry.get("order") or "ASC"
        if order not in ("ASC", "DESC", "asc", "desc"):
            raise Problem(400, f"The request property 'sort[{i}].order' must be ASC or DESC.")
        getters.append(_getter(fields.get(field, field)))
        orders.append(order.upper() == "DESC")
    return getters, orders


def _page_spec(
    page: Mapping[str, Any], default_limit: int, n_sort: int
) -> tuple[int, int, tuple[list[Any], Any] | None, tuple[list[Any], Any] | None]:
    limit = page.get("limit")
    offset = page.get("from")
    after, before = page.get("after"), page.get("before")
    given = [
        n for n, v in (("from", offset), ("after", after), ("before", before)) if v is not None
    ]
    if len(given) > 1:
        raise Problem(
            400,
            f"The request property 'page' combines {' and '.join(given)}; "
            "use offset paging (from) or one cursor (after or before), not both.",
        )
    if limit is None:
        limit = default_limit
    if offset is not None:
        if offset < 0:
            raise Problem(400, "The request property 'page.from' must be 0 or more.")
        if limit < 1:
            raise Problem(400, "The request property 'page.limit' must be 1 or more.")
    elif not 1 <= limit <= MAX_LIMIT:
        raise Problem(400, f"The request property 'page.limit' must be from 1 to {MAX_LIMIT}.")
    return (
        limit,
        offset or 0,
        None if after is None else decode_cursor(after, n_sort, "page.after"),
        None if before is None else decode_cursor(before, n_sort, "page.before"),
    )


def encode_cursor(position: tuple[list[Any], Any]) -> str:
    """The opaque cursor of a row: base64 of the JSON list of its sort values and key."""
    values, key = position
    raw = json.dumps([*values, key], separators=(",", ":"), default=str)
    return base64.b64encode(raw.encode()).decode("ascii")


def decode_cursor(cursor: Any, n_sort: int, where: str = "cursor") -> tuple[list[Any], Any]:
    """The position an :func:`encode_cursor` cursor stands for (400 when it is not one)."""
    try:
        decoded = json.loads(base64.b64decode(str(cursor), validate=True))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        decoded = None
    if not isinstance(decoded, list) or len(decoded) != n_sort + 1:
        raise Problem(
            400,
            f"The request property '{where}' is not a cursor of this search; pass the "
            "startCursor or endCursor of an earlier answer to the same query.",
        )
    return decoded[:-1], decoded[-1]
