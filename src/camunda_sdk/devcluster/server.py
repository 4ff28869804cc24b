"""The HTTP layer: an aiohttp application that routes, reads, validates and answers.

One catch-all aiohttp route hands every request to :class:`Server`, which

1. routes it to an operation of the spec (`routes.py`: 404, 405);
2. answers `501` when no handler serves the operation (naming the area for the
   engine's operations it does not emulate yet);
3. reads the body under a size cap (413), parses JSON (400 for malformed or too
   deeply nested JSON) or multipart (`createDeployment`), and checks it against
   the operation's generated request model (`validation.py`: 400 naming the
   property);
4. calls the handler and renders its :class:`~.handlers.Reply` or
   :class:`~.problems.Problem`; an unexpected exception is a 500 problem, logged
   with its traceback, and the server keeps serving.

Each request runs in its own task on one event loop: a handler that waits (a job
long poll) blocks nobody, and handlers share state without locks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.multipart import BodyPartReader as _BodyPartReader

from .engine import EngineError
from .handlers import ApiRequest, Context, FilePart, Handler, Reply, load_handlers
from .handlers.engine import NOT_EMULATED
from .problems import PROBLEM_JSON, Problem, bad_request, engine_problem, not_emulated
from .routes import Router
from .validation import checker_for, request_body_types

if TYPE_CHECKING:
    from camunda_sdk.pipeline.operation import Operation

__all__ = ["DEFAULT_MAX_BODY_BYTES", "DEFAULT_MAX_DEPTH", "TICK_S", "Server", "make_app"]

log = logging.getLogger("camunda_sdk.devcluster")

DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
#: JSON nested deeper than this is refused (Jackson's default limit is 1,000; a
#: body of a process's variables hardly goes past 20).
DEFAULT_MAX_DEPTH = 256


class Server:
    """Routes requests to handlers over one :class:`Context`."""

    def __init__(
        self,
        context: Context,
        *,
        handlers: Mapping[str, Handler] | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_depth: int = DEFAULT_MAX_DEPTH,
    ) -> None:
        from camunda_sdk.operations.descriptors import OPERATIONS

        self.context = context
        self.router = Router(OPERATIONS.values())
        self.handlers: dict[str, Handler] = {**load_handlers(), **(handlers or {})}
        self.max_body_bytes = max_body_bytes
        self.max_depth = max_depth

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        """Answer one request (the aiohttp handler of every path)."""
        instance = request.rel_url.raw_path
        try:
            op, params = self.router.match(request.method, instance)
            handler = self.handlers.get(op.id)
            if handler is None:
                area = NOT_EMULATED.get(op.id)
                why = f"{area}: not emulated by the dev cluster's engine yet" if area else None
                raise not_emulated(op.id, why)
            api_request = await self._read(request, op, params)
            # What is due by the clock happens before the request is served, and what the
            # request changed is exported after it (also when it is refused half-way).
            context = self.context
            context.tick()
            try:
                reply = await handler(context, api_request)
            finally:
                context.export()
            return _render(reply)
        except Problem as problem:
            return _problem_response(problem, instance)
        except EngineError as refusal:
            return _problem_response(engine_problem(refusal), instance)
        except web.HTTPRequestEntityTooLarge:
            problem = Problem(
                413,
                f"The request body is larger than the dev cluster accepts "
                f"({self.max_body_bytes} bytes; see --max-body-bytes).",
            )
            return _problem_response(problem, instance)
        except Exception as exc:
            log.exception("%s %s failed", request.method, instance)
            problem = Problem(
                500,
                f"The dev cluster failed on this request: {type(exc).__name__}: {exc}. "
                "This is a bug of the dev cluster; please report it.",
            )
            return _problem_response(problem, instance)

    async def _read(
        self, request: web.Request, op: Operation, params: dict[str, str]
    ) -> ApiRequest:
        body: Any = None
        form: dict[str, Any] | None = None
        if op.body == "multipart":
            form = await self._read_multipart(request, op)
        elif op.body == "json":
            body = await self._read_json(request, op)
        query = request.rel_url.query
        return ApiRequest(
            op,
            params,
            query={k: query[k] for k in query},
            query_all={k: query.getall(k) for k in query},
            body=body,
            form=form,
            headers=request.headers,
            path=request.rel_url.raw_path,
        )

    async def _read_json(self, request: web.Request, op: Operation) -> Any:
        annotation, required = request_body_types()[op.id]
        raw = await request.read()
        if not raw.strip():
            if required:
                raise bad_request(f"The request body is missing; {op.id} requires one.")
            return None
        ctype = request.content_type
        if ctype not in ("application/json", "application/octet-stream") and not ctype.endswith(
            "+json"
        ):
            raise Problem(415, f"The request body must be application/json, not {ctype}.")
        try:
            body = json.loads(raw)
        except RecursionError:
            raise bad_request("The request body is nested too deeply.") from None
        except (UnicodeDecodeError, ValueError) as exc:
            raise bad_request(f"The request body is not valid JSON: {exc}.") from None
        if _too_deep(body, self.max_depth):
            raise bad_request(f"The request body is nested more than {self.max_depth} levels deep.")
        if body is None and required:
            raise bad_request(f"The request body is missing; {op.id} requires one.")
        message = checker_for(annotation)(body, "")
        if message is not None:
            raise bad_request(message)
        return body

    async def _read_multipart(self, request: web.Request, op: Operation) -> dict[str, Any]:
        from .validation import body_model

        if not request.content_type.startswith("multipart/"):
            raise Problem(
                415, f"{op.id} takes multipart/form-data, not {request.content_type or 'nothing'}."
            )
        model = body_model(op.id)
        wire = {} if model is None else {w: spec for w, spec in model.__wire__.values()}
        files = {w for w, spec in wire.items() if spec in ("binary", ("list", "binary"))}
        form: dict[str, Any] = {w: [] for w in files}
        total = 0
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, _BodyPartReader):
                raise bad_request("Nested multipart bodies are not supported.")
            name = part.name or ""
            if wire and name not in wire:
                raise bad_request(
                    f"The multipart part '{name}' is not a field of {op.id}; "
                    f"expected {', '.join(sorted(wire))}."
                )
            data = await part.read(decode=False)
            total += len(data)
            if total > self.max_body_bytes:
                raise web.HTTPRequestEntityTooLarge(max_size=self.max_body_bytes, actual_size=total)
            if name in files:
                ctype = part.headers.get("Content-Type", "application/octet-stream")
                form[name].append(FilePart(name, part.filename, ctype, bytes(data)))
            else:
                form[name] = bytes(data).decode("utf-8", errors="replace")
        if model is not None:
            import attrs

            for f in attrs.fields(model):  # type: ignore[arg-type]
                wire_name = model.__wire__[f.name][0]
                if f.default is attrs.NOTHING and not form.get(wire_name):
                    raise bad_request(f"The multipart part '{wire_name}' is required but missing.")
        return form


def _too_deep(value: Any, limit: int) -> bool:
    # Iterative, so a deep body cannot exhaust the interpreter's stack here.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > limit:
                return True
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            if depth > limit:
                return True
            stack.extend((v, depth + 1) for v in item)
    return False


def _render(reply: Reply | Mapping[str, Any] | None) -> web.Response:
    if reply is None:
        return web.Response(status=204)
    if not isinstance(reply, Reply):
        reply = Reply(200, dict(reply))
    body, ctype = reply.encode()
    response = web.Response(status=reply.status, body=body, headers=reply.headers)
    if ctype is not None:
        response.content_type = ctype.split(";")[0]
        if "charset=" in ctype:
            response.charset = ctype.split("charset=")[1]
    return response


def _problem_response(problem: Problem, instance: str) -> web.Response:
    raw = json.dumps(problem.body(instance), separators=(",", ":")).encode()
    response = web.Response(status=problem.status, body=raw, headers=problem.headers)
    response.content_type = PROBLEM_JSON
    return response


#: How often the background tick fires what the clock made due (timers, job timeouts).
TICK_S = 0.05


def make_app(server: Server) -> web.Application:
    """The aiohttp application serving `server` on every path, with the clock's tick."""
    # aiohttp enforces the body cap while reading (`request.read()` raises 413);
    # `Server.dispatch` turns that into a problem detail.
    app = web.Application(client_max_size=server.max_body_bytes)
    app.router.add_route("*", "/{tail:.*}", server.dispatch)
    app.cleanup_ctx.append(_ticking(server.context))
    return app


def _ticking(context: Context) -> Callable[[web.Application], AsyncIterator[None]]:
    """A task on the server's loop that advances the engine by the clock between requests.

    On the same loop as the handlers, so the engine is never touched from two threads.
    """

    async def tick_forever() -> None:
        while True:
            await asyncio.sleep(TICK_S)
            try:
                context.tick()
            except Exception:  # a bug must not stop time; log it and keep ticking
                log.exception("the dev cluster's clock tick failed")

    async def lifespan(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.ensure_future(tick_forever())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return lifespan
