"""A small HTTP/1.1 server on a loopback port, run by an event loop in a thread of its own.

For fakes that must answer over a real socket (cassette recording, a client's own
connection pool) and fakes that a test kills and brings back on the same port
(``job_cluster``). Sync and async tests drive it alike: its loop is not theirs.
Stdlib only: asyncio streams, keep-alive, ``Content-Length`` bodies::

    async def handler(request: HttpRequest) -> HttpResponse:
        return HttpResponse.of_json(200, {"path": request.path})

    with LoopbackServer(handler) as server:  # started
        httpx.get(server.url + "/x")
        server.stop()  # connection refused; open connections are cut
        server.start()  # the same port again
"""

from __future__ import annotations

import asyncio
import json
import threading
import traceback
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, TypeVar

__all__ = ["DROP", "EventLoopThread", "HttpRequest", "HttpResponse", "LoopbackServer"]

T = TypeVar("T")

#: What a handler returns to close the connection without answering.
DROP: Any = object()


@dataclass
class HttpRequest:
    """A request as received: ``target`` is the path with its query, header names lower-case."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes = field(repr=False)

    @property
    def path(self) -> str:
        """The path without the query."""
        return self.target.split("?", 1)[0]

    def json(self) -> Any:
        """The body decoded as JSON (None when empty)."""
        return json.loads(self.body) if self.body else None


@dataclass
class HttpResponse:
    """An answer; ``Content-Length`` and ``Connection`` are added when it is sent."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of_json(
        cls, status: int, value: Any, headers: dict[str, str] | None = None
    ) -> HttpResponse:
        """An ``application/json`` answer (``application/problem+json`` for a problem)."""
        is_problem = isinstance(value, dict) and "title" in value and status >= 400
        kind = "application/problem+json" if is_problem else "application/json"
        return cls(status, json.dumps(value).encode(), {"content-type": kind, **(headers or {})})


Handler = Callable[[HttpRequest], Awaitable[Any]]  # an HttpResponse, or DROP


class EventLoopThread:
    """An asyncio event loop running in a daemon thread until :meth:`close`."""

    def __init__(self, name: str = "loopback") -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        """Run ``coro`` on the loop and return its result (from any other thread)."""
        if threading.current_thread() is self.thread:
            coro.close()
            raise RuntimeError("EventLoopThread.run called from its own loop: await instead")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Schedule ``fn(*args)`` on the loop (from any thread, the loop's own included)."""
        self.loop.call_soon_threadsafe(fn, *args)

    def close(self) -> None:
        """Stop the loop and its thread."""
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5.0)
        self.loop.close()


class LoopbackServer:
    """Serves ``handler`` on ``127.0.0.1:port`` (0: a free port, kept across restarts).

    Args:
        handler: ``async def handler(request: HttpRequest) -> HttpResponse | DROP``;
            it runs on the server's loop. An exception becomes a 500 carrying the traceback.
        port: the port to listen on.
        loop: the loop thread to run on (several servers may share one);
            default: one of its own, closed by :meth:`close`.
    """

    def __init__(self, handler: Handler, *, port: int = 0, loop: EventLoopThread | None = None):
        self.handler = handler
        self.port = port
        self._own_loop = loop is None
        self.loop = loop or EventLoopThread()
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        """Whether it is listening."""
        return self._server is not None

    def start(self) -> None:
        """Listen (again, on the same port after the first start)."""
        self.loop.run(self.astart())

    def stop(self) -> None:
        """Close the listening socket and cut every open connection.

        Clients then see their requests in flight fail (connection reset or closed
        without a response) and new connections refused.
        """
        self.loop.run(self.astop())

    def restart(self) -> None:
        """:meth:`stop`, then :meth:`start` on the same port."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop, and end the loop thread when it is this server's own."""
        if not self.loop.loop.is_closed():
            self.stop()
        if self._own_loop:
            self.loop.close()

    async def astart(self) -> None:
        """:meth:`start`, on the server's loop."""
        if self._server is None:
            self._server = await asyncio.start_server(
                self._serve, "127.0.0.1", self.port, reuse_address=True
            )
            self.port = self._server.sockets[0].getsockname()[1]

    async def astop(self) -> None:
        """:meth:`stop`, on the server's loop."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        tasks = list(self._connections)
        for task, writer in list(self._connections.items()):
            writer.transport.abort()
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if server is not None:
            await server.wait_closed()

    def __enter__(self) -> LoopbackServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request, keep_alive = _parse_head(head)
                if "chunked" in request.headers.get("transfer-encoding", ""):
                    writer.write(
                        _encode(HttpResponse(501, b"chunked bodies: not supported"), False)
                    )
                    break
                length = int(request.headers.get("content-length") or 0)
                request.body = await reader.readexactly(length) if length else b""
                try:
                    answer = await self.handler(request)
                except Exception:
                    answer = HttpResponse(500, traceback.format_exc().encode())
                if answer is DROP:
                    writer.transport.abort()
                    break
                writer.write(_encode(answer, keep_alive))
                await writer.drain()
                if not keep_alive:
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass  # the client went away
        finally:
            self._connections.pop(task, None)
            writer.close()


def _parse_head(head: bytes) -> tuple[HttpRequest, bool]:
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    connection = headers.get("connection", "").lower()
    keep_alive = connection != "close" and (version != "HTTP/1.0" or connection == "keep-alive")
    return HttpRequest(method, target, headers, b""), keep_alive


def _encode(response: HttpResponse, keep_alive: bool) -> bytes:
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = ""
    lines = [f"HTTP/1.1 {response.status} {reason}"]
    skip = {"content-length", "transfer-encoding", "connection", "content-encoding"}
    lines += [f"{k}: {v}" for k, v in response.headers.items() if k.lower() not in skip]
    if response.status not in (204, 304):
        lines.append(f"content-length: {len(response.body)}")
    if not keep_alive:
        lines.append("connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + response.body
