"""The handler table: one async function per emulated operation, and what they share.

A handler translates one operation between HTTP and the cluster's state, and
nothing else (moto's `responses.py`): the server has already routed the request,
checked its body against the operation's generated request model and parsed
multipart parts; the handler reads :class:`ApiRequest`, calls into the state held
by :class:`Context` and returns a :class:`Reply` (or a dict for `200` JSON, or
None for `204`), raising :class:`~camunda_sdk.devcluster.problems.Problem` to
refuse. Wiring an operation is a few lines::

    @handles("createProcessInstance")
    async def create_process_instance(ctx: Context, req: ApiRequest) -> Reply:
        created = ctx.engine.create_process_instance(**req.body)
        return Reply(200, render(created))

Operations without a handler answer `501`; those listed in
:data:`~camunda_sdk.devcluster.handlers.engine.NOT_EMULATED` name their area.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..engine import Clock, Engine
from ..export import export_entries
from ..store import Index

if TYPE_CHECKING:
    from camunda_sdk.pipeline.operation import Operation

__all__ = [
    "HANDLERS",
    "ApiRequest",
    "Context",
    "FilePart",
    "Handler",
    "Reply",
    "handles",
    "load_handlers",
]


class Reply:
    """An answer: status, JSON body (or raw bytes), extra headers."""

    __slots__ = ("body", "content_type", "headers", "status")

    def __init__(
        self,
        status: int = 200,
        body: Any = None,
        *,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = dict(headers or {})

    def encode(self) -> tuple[bytes | None, str | None]:
        """The body bytes and content type to send."""
        if self.body is None:
            return None, None
        if isinstance(self.body, bytes):
            return self.body, self.content_type or "application/octet-stream"
        if isinstance(self.body, str) and self.content_type:
            return self.body.encode(), self.content_type
        raw = json.dumps(self.body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return raw.encode(), self.content_type or "application/json"

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.body!r})"


class FilePart:
    """One file part of a multipart body (a deployment resource)."""

    __slots__ = ("content", "content_type", "filename", "name")

    def __init__(self, name: str, filename: str | None, content_type: str, content: bytes):
        self.name = name
        self.filename = filename
        self.content_type = content_type
        self.content = content

    def __repr__(self) -> str:
        return f"FilePart({self.name!r}, {self.filename!r}, {len(self.content)} bytes)"


class ApiRequest:
    """One routed, validated request as a handler sees it.

    Attributes:
        operation: the operation's descriptor (`operation.id`, `operation.path`, ...).
        params: path parameters by their spec names, percent-decoded.
        query: query parameters (first value of each; `query_all` keeps them all).
        body: the JSON body (dicts in wire shape, validated), or None.
        form: a multipart body: the file parts (lists of :class:`FilePart`) and
            the text parts by name; None for other bodies.
        headers: the request headers.
        path: the request path.
    """

    __slots__ = ("body", "form", "headers", "operation", "params", "path", "query", "query_all")

    def __init__(
        self,
        operation: Operation,
        params: Mapping[str, str],
        *,
        query: Mapping[str, str] | None = None,
        query_all: Mapping[str, list[str]] | None = None,
        body: Any = None,
        form: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        path: str = "",
    ) -> None:
        self.operation = operation
        self.params = params
        self.query = query or {}
        self.query_all = query_all or {}
        self.body = body
        self.form = form
        self.headers = headers or {}
        self.path = path

    def model(self) -> Any:
        """The body parsed into the operation's generated request model (None: no body)."""
        from camunda_sdk._serde import parse

        from ..validation import request_body_types

        entry = request_body_types().get(self.operation.id)
        if entry is None or self.body is None:
            return None
        return parse(_serde_spec(entry[0]), self.body)


def _serde_spec(annotation: str) -> Any:
    """The `_serde` spec of a body annotation: a model name, or a union of them."""
    from camunda_sdk.operations import models

    names = [p.strip() for p in annotation.split("|")]
    if len(names) == 1:
        target = getattr(models, names[0], None)
        if isinstance(target, str):  # a type alias of a union of models
            names = [p.strip() for p in target.split("|")]
        elif target is not None:
            return names[0]
    variants = tuple(n for n in names if isinstance(getattr(models, n, None), type))
    return ("union", variants, None, None) if variants else None


class Context:
    """The state handlers share: one clock, one engine (and its key space), the index.

    One per running cluster. Everything runs on the server's event loop, so no
    handler needs a lock (the engine is not thread-safe). The engine's keys serve
    the identity records too (:meth:`new_key`), so a key never names two things.
    :meth:`on_reset` registers what :meth:`reset` must clear besides the built-ins.
    """

    def __init__(self, *, indexing_lag_ms: float = 50, clock: Clock | None = None) -> None:
        from .identity import IdentityStore

        self.clock = clock or Clock()
        self.index = Index(indexing_lag_ms)
        self.engine = Engine(self.clock)
        self.identity = IdentityStore(self)
        self._reset_hooks: list[Callable[[], None]] = []

    def new_key(self) -> int:
        """A fresh cluster-wide key."""
        return self.engine.new_key()

    def export(self) -> None:
        """Hand what the engine changed since the last export to the lagging index."""
        changed = self.engine.take_changes()
        if changed:
            self.index.put_many(export_entries(changed))

    def tick(self) -> None:
        """Fire what is due by the clock (timers, job timeouts, TTLs) and export it."""
        self.engine.advance()
        self.export()

    def on_reset(self, hook: Callable[[], None]) -> None:
        """Call `hook()` on every :meth:`reset` (after the built-in state is cleared)."""
        self._reset_hooks.append(hook)

    def reset(self) -> None:
        """Forget every record, pin nothing, start keys afresh: a new cluster."""
        old = self.engine
        old.clock.remove_listener(old.advance)
        self.clock.reset()
        self.engine = Engine(self.clock)
        old.close()  # after the swap: the long polls it wakes see the fresh engine
        self.index.clear()
        self.identity.reset()
        for hook in self._reset_hooks:
            hook()


#: A handler: `async def handler(ctx, request) -> Reply | dict | None`.
Handler = Callable[[Context, ApiRequest], Awaitable["Reply | Mapping[str, Any] | None"]]

#: Every registered handler, by operation id (filled by the modules of this package).
HANDLERS: dict[str, Handler] = {}


def handles(*operation_ids: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of `operation_ids`."""
    from camunda_sdk.operations.descriptors import OPERATIONS

    for op_id in operation_ids:
        if op_id not in OPERATIONS:
            raise ValueError(f"{op_id!r} is not an operation of the spec")

    def register(fn: Handler) -> Handler:
        for op_id in operation_ids:
            if op_id in HANDLERS and HANDLERS[op_id] is not fn:
                raise ValueError(f"{op_id!r} already has a handler")
            HANDLERS[op_id] = fn
        return fn

    return register


def load_handlers() -> dict[str, Handler]:
    """Import the handler modules (registering them) and return the table."""
    from . import (  # noqa: F401  # registration by import
        deployments,
        engine,
        identity,
        incidents,
        instances,
        jobs,
        messages,
        system,
        user_tasks,
    )

    return HANDLERS
