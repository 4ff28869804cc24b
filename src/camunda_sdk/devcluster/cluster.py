"""`DevCluster`: start, address, clients, reset, stop.

The cluster is an aiohttp server on a real loopback socket. `with DevCluster()`
runs it in a background thread with its own event loop (so synchronous code and
tests can call it); `async with DevCluster()` runs it as tasks on the running
loop. Either way, the listening socket is bound before start-up returns, so
`address` is known at once and the first request is answered.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from aiohttp import web

    from camunda_sdk.client import CamundaAsyncClient, CamundaClient

    from .handlers import Context, Handler

__all__ = ["DEFAULT_INDEXING_LAG_MS", "DevCluster"]

DEFAULT_INDEXING_LAG_MS = 50
_STOP_TIMEOUT_S = 5.0
# A pending long poll gets this long to finish once the cluster stops.
_SHUTDOWN_GRACE_S = 0.25

log = logging.getLogger("camunda_sdk.devcluster")
_T = TypeVar("_T")


class DevCluster:
    """An in-memory Camunda Orchestration Cluster REST API on a local socket.

    Args:
        host: the address to bind (loopback unless told otherwise).
        port: the port; 0 picks a free one.
        indexing_lag_ms: how long after a write eventually consistent reads
            (searches, most gets) see it; 0 makes them see it at once.
        max_body_bytes: the largest request body accepted (413 beyond).
        handlers: handlers to add or replace, by operation id (for wiring and
            tests).

    Use it as a context manager (`with` or `async with`), or call
    :meth:`start` / :meth:`stop` (or their `a`-prefixed async forms).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        indexing_lag_ms: float = DEFAULT_INDEXING_LAG_MS,
        max_body_bytes: int | None = None,
        handlers: Mapping[str, Handler] | None = None,
    ) -> None:
        from .handlers import Context

        if indexing_lag_ms < 0:
            raise ValueError(f"indexing_lag_ms must be 0 or more, got {indexing_lag_ms}")
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self.indexing_lag_ms = indexing_lag_ms
        self._max_body_bytes = max_body_bytes
        self._handlers = dict(handlers or {})
        self.context: Context = Context(indexing_lag_ms=indexing_lag_ms)
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # -- where it is -----------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port it listens on (once started)."""
        if self._port is None:
            raise RuntimeError("the dev cluster is not started")
        return self._port

    @property
    def address(self) -> str:
        """`http://127.0.0.1:PORT`: what `CAMUNDA_REST_ADDRESS` takes (the SDK adds `/v2`)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def api_url(self) -> str:
        """`http://127.0.0.1:PORT/v2`: the base URL of the REST API."""
        return self.address + "/v2"

    @property
    def running(self) -> bool:
        """Whether it is serving."""
        return self._runner is not None

    # -- clients -----------------------------------------------------------------------

    def configuration(self, configuration: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Client settings that point at this cluster (no auth), `configuration` on top.

        Credentials and an exact-address switch inherited from the environment are
        cleared (an empty value counts as unset), so a developer's shell pointed at
        a real cluster does not leak in.
        """
        return {
            "CAMUNDA_REST_ADDRESS": self.address,
            "CAMUNDA_REST_ADDRESS_EXACT": "",
            "CAMUNDA_AUTH_STRATEGY": "NONE",
            "CAMUNDA_CLIENT_ID": "",
            "CAMUNDA_CLIENT_SECRET": "",
            "CAMUNDA_BASIC_AUTH_USERNAME": "",
            "CAMUNDA_BASIC_AUTH_PASSWORD": "",
            "CAMUNDA_TOKEN_DISK_CACHE_DISABLE": "true",
            **(configuration or {}),
        }

    def client(
        self, configuration: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> CamundaClient:
        """A :class:`~camunda_sdk.CamundaClient` for this cluster (close it when done)."""
        from camunda_sdk.client import CamundaClient

        return CamundaClient(configuration=self.configuration(configuration), **kwargs)

    def async_client(
        self, configuration: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> CamundaAsyncClient:
        """A :class:`~camunda_sdk.CamundaAsyncClient` for this cluster."""
        from camunda_sdk.client import CamundaAsyncClient

        return CamundaAsyncClient(configuration=self.configuration(configuration), **kwargs)

    # -- state ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Clear all state (records, index, keys, the pinned clock): a fresh cluster.

        Safe from any thread: with a background thread, the reset runs on the
        cluster's loop and this call waits for it.
        """
        self._on_loop(self.context.reset)

    def inspect(self, process_instance_key: int | str) -> list[tuple[str, str, str]]:
        """What an instance did, for test failure messages: `(element id, element type,
        state)` for each element instance, in the order entered (the engine's own state,
        not the lagging index). Safe from any thread, like :meth:`reset`.
        """
        key = int(process_instance_key)
        return self._on_loop(lambda: self.context.engine.inspect(key))

    def _on_loop(self, fn: Callable[[], _T]) -> _T:
        # The engine is not thread-safe: run `fn` on the cluster's loop and wait for it.
        loop = self._loop
        if loop is None or self._thread is None or _running_loop() is loop:
            return fn()
        done = threading.Event()
        result: list[_T] = []
        failure: list[BaseException] = []

        def run() -> None:
            try:
                result.append(fn())
            except BaseException as exc:  # handed to the caller below
                failure.append(exc)
            finally:
                done.set()

        loop.call_soon_threadsafe(run)
        if not done.wait(_STOP_TIMEOUT_S):
            raise TimeoutError("the dev cluster did not answer in time")
        if failure:
            raise failure[0]
        return result[0]

    # -- async lifecycle -------------------------------------------------------------------

    async def astart(self) -> DevCluster:
        """Start serving on the running event loop."""
        if self._runner is not None:
            raise RuntimeError("the dev cluster is already started")
        sock = self._bind()
        try:
            await self._serve(sock)
        except BaseException:
            sock.close()
            raise
        self._loop = asyncio.get_running_loop()
        return self

    async def astop(self) -> None:
        """Stop serving (pending requests get a short grace, then are cancelled)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        if self._thread is None:
            self._loop = None

    async def __aenter__(self) -> DevCluster:
        return await self.astart()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.astop()

    # -- sync lifecycle (a background thread) ------------------------------------------------

    def start(self) -> DevCluster:
        """Start serving in a background thread with its own event loop."""
        if self._runner is not None or self._thread is not None:
            raise RuntimeError("the dev cluster is already started")
        sock = self._bind()
        loop = asyncio.new_event_loop()
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._serve(sock))
            except BaseException as exc:  # handed to the starting thread
                failure.append(exc)
                sock.close()
                started.set()
                loop.close()
                return
            started.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self.astop())
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="camunda-devcluster", daemon=True)
        self._thread.start()
        started.wait()
        if failure:
            self._thread.join()
            self._thread = self._loop = None
            raise failure[0]
        return self

    def stop(self) -> None:
        """Stop the background server and wait for its thread."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(_STOP_TIMEOUT_S)
        self._thread = None
        self._loop = None

    def __enter__(self) -> DevCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals -----------------------------------------------------------------------------

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self._requested_port))
        except OSError:
            sock.close()
            raise
        self._port = sock.getsockname()[1]
        return sock

    async def _serve(self, sock: socket.socket) -> None:
        from aiohttp import web

        from .server import DEFAULT_MAX_BODY_BYTES, Server, make_app

        server = Server(
            self.context,
            handlers=self._handlers,
            max_body_bytes=self._max_body_bytes or DEFAULT_MAX_BODY_BYTES,
        )
        access_log = log if log.isEnabledFor(logging.DEBUG) else None
        # handler_cancellation: a client that hangs up (a worker abandoning its long poll)
        # cancels the request's handler, so no dead poll activates jobs nobody will get.
        runner = web.AppRunner(
            make_app(server),
            access_log=access_log,
            shutdown_timeout=_SHUTDOWN_GRACE_S,
            handler_cancellation=True,
        )
        await runner.setup()
        try:
            await web.SockSite(runner, sock).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        log.debug("dev cluster listening on %s", self.api_url)

    def __repr__(self) -> str:
        where = self.api_url if self._port is not None else "not started"
        return f"DevCluster({where})"


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
