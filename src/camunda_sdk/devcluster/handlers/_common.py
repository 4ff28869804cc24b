"""What the engine-backed handlers share: keys from paths, reads of the index, searches."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..problems import bad_request, not_found
from ..search import Matcher, search
from . import ApiRequest, Context

__all__ = ["body_of", "key_param", "optional_key", "search_index", "visible"]


def body_of(req: ApiRequest) -> dict[str, Any]:
    """The JSON body, or an empty one."""
    body = req.body
    return body if isinstance(body, dict) else {}


def key_param(req: ApiRequest, name: str) -> int:
    """The path parameter `name` as a key (400 unless it is a string of digits)."""
    raw = req.params[name]
    if not raw.isdigit() or len(raw) > 19:
        raise bad_request(
            f"The path parameter '{name}' must be a key: a string of digits such as "
            f"'2251799813685249', got '{raw}'."
        )
    return int(raw)


def optional_key(value: Any, name: str) -> int | None:
    """A key given in a body (a digit string, validated already), as the engine's int."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise bad_request(f"The request property '{name}' must be a key, got {value!r}.")


def visible(ctx: Context, collection: str, key: int, what: str) -> dict[str, Any]:
    """The record as secondary storage holds it now, or a 404 naming it."""
    found = ctx.index.get(collection, key)
    if found is None:
        raise not_found(f"The {what} with key '{key}' was not found.")
    return found


def search_index(
    ctx: Context,
    req: ApiRequest,
    collection: str,
    key: str | Callable[[Mapping[str, Any]], Any],
    *,
    filters: Mapping[str, str | Matcher] | None = None,
    shape: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Filter, sort and page the visible records of `collection` as the request says."""
    result = search(ctx.index.records(collection), req.body, key=key, filters=filters)
    if shape is not None:
        result["items"] = [shape(item) for item in result["items"]]
    return result
