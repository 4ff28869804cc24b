"""The route table: every operation of the spec, from the generated descriptors.

Paths are matched segment by segment in a trie built once from
`camunda_sdk.operations.descriptors.OPERATIONS`: the `/v2` base for ordinary
operations, the server root for those marked `root=True` (`/cluster/v2/...`). A
literal segment wins over a parameter (`/process-instances/search` is not a key),
but when the literal route lacks the request's method the parameter route is
tried too, as a real server's pattern matching would. A path no operation has is
a 404; a known path with another method is a 405 naming the allowed ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import unquote

from .problems import Problem

if TYPE_CHECKING:
    from camunda_sdk.pipeline.operation import Operation

__all__ = ["API_BASE", "Router"]

API_BASE = "/v2"


class _Node:
    __slots__ = ("literal", "methods", "param")

    def __init__(self) -> None:
        self.literal: dict[str, _Node] = {}
        self.param: _Node | None = None
        self.methods: dict[str, tuple[Operation, tuple[str, ...]]] = {}


class Router:
    """Finds the operation and path parameters of a request."""

    def __init__(self, operations: Iterable[Operation]) -> None:
        self._root = _Node()
        for op in operations:
            self.add(op)

    def add(self, op: Operation) -> None:
        """Add one operation's route."""
        full = op.path if op.root else API_BASE + op.path
        node = self._root
        names: list[str] = []
        for segment in full.strip("/").split("/"):
            if segment.startswith("{") and segment.endswith("}"):
                names.append(segment[1:-1])
                if node.param is None:
                    node.param = _Node()
                node = node.param
            else:
                node = node.literal.setdefault(segment, _Node())
        if op.method in node.methods:
            raise ValueError(f"two operations for {op.method} {full}")
        node.methods[op.method] = (op, tuple(names))

    def match(self, method: str, raw_path: str) -> tuple[Operation, dict[str, str]]:
        """The operation and decoded path parameters for `method raw_path`.

        Raises:
            Problem: 404 when no operation has the path, 405 when none has it
                with this method.
        """
        allowed: set[str] = set()
        found = None
        # Only "/a/b" shapes: no trailing slash, no empty segment (a real server's
        # path matching does not take them either).
        if raw_path.startswith("/") and not raw_path.endswith("/"):
            segments = [unquote(s) for s in raw_path[1:].split("/")]
            found = self._walk(self._root, segments, 0, [], method, allowed)
        if found is not None:
            op, names, values = found
            return op, dict(zip(names, values, strict=True))
        if allowed:
            listed = ", ".join(sorted(allowed))
            raise Problem(
                405,
                f"The path {raw_path} does not take {method}; it takes {listed}.",
                headers={"Allow": listed},
            )
        raise Problem(
            404,
            f"No operation of the Orchestration Cluster API has the path {raw_path} "
            f"(the API lives under {API_BASE}).",
        )

    def _walk(
        self,
        node: _Node,
        segments: list[str],
        i: int,
        values: list[str],
        method: str,
        allowed: set[str],
    ) -> tuple[Operation, tuple[str, ...], list[str]] | None:
        if i == len(segments):
            hit = node.methods.get(method)
            if hit is not None:
                return hit[0], hit[1], list(values)
            allowed.update(node.methods)
            return None
        segment = segments[i]
        child = node.literal.get(segment)
        if child is not None:
            found = self._walk(child, segments, i + 1, values, method, allowed)
            if found is not None:
                return found
        if node.param is not None and segment:
            values.append(segment)
            found = self._walk(node.param, segments, i + 1, values, method, allowed)
            values.pop()
            if found is not None:
                return found
        return None
