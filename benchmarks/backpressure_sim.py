"""Watch the adaptive backpressure limit converge on a server's real capacity.

A small HTTP/1.1 server on loopback admits at most ``N`` requests at once
(each takes ``--service-ms``) and answers ``429`` to any request beyond that.
A third of the way through the run it raises ``N`` (8 -> 32 by default), and
two thirds of the way through it lifts it above the number of callers (1000):
the cluster is healthy again. Many concurrent
calls go through a pipeline assembled by pluggy from the SDK's real
``retry``, ``backpressure`` and ``transport`` plugins, under the async driver
(``--driver async``, the default) or the sync one with a thread per caller
(``--driver sync``).

Every ``--sample-ms`` it prints the server's cap, the client's limit, the
requests the client has in flight, the calls queued for a permit, and the
successes and 429s of that interval. Expect no cap until the first 429, the
limit to fall to about ``N`` within a second, to oscillate just around it, to
climb to the new ``N`` after the lift, and the cap (``-`` in the limit column)
to go ``--quiet-s`` after the last 429, when every caller is in flight at once.
The quiet period is 30 s in the SDK; the run shortens it to 2 s.

Run: ``.venv/bin/python benchmarks/backpressure_sim.py`` (about 14 s; the
server stops itself at the end).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import attrs
import httpx
import pluggy

from camunda_sdk.config import resolve_config
from camunda_sdk.pipeline import hookspecs
from camunda_sdk.pipeline.call import Call
from camunda_sdk.pipeline.context import ClientContext
from camunda_sdk.pipeline.drivers import AsyncDriver, SyncDriver
from camunda_sdk.pipeline.operation import Operation
from camunda_sdk.plugins import backpressure, retry, transport
from camunda_sdk.plugins.backpressure import BackpressureState, backpressure_state
from camunda_sdk.transport import AsyncHttpxSender, HttpxSender

TOPOLOGY = Operation("getTopology", "GET", "/topology", result=None)


# -- the server -------------------------------------------------------------------


class CappedServer:
    """An asyncio HTTP/1.1 server that sheds load above a cap.

    It runs in a child process, so that it does not compete with the client for
    the GIL (in a thread of the same process it measured 4 ms of GIL hand-over
    per request, which would make the client look slow). Cap and counters live
    in shared memory; the client sets ``cap``, the server writes the rest.
    """

    def __init__(self, cap: int, service_s: float, lifetime_s: float) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._cap = ctx.RawValue("i", cap)
        self._in_flight = ctx.RawValue("i", 0)  # admitted requests being served
        self._ok = ctx.RawValue("q", 0)
        self._rejected = ctx.RawValue("q", 0)
        self._stop = ctx.Event()
        self._ports = ctx.Queue()
        self._process = ctx.Process(
            target=_serve_forever,
            args=(
                self._cap, self._in_flight, self._ok, self._rejected,
                self._stop, self._ports, service_s, lifetime_s,
            ),
            daemon=True,
        )  # fmt: skip
        self.port = 0

    cap = property(lambda self: self._cap.value)
    in_flight = property(lambda self: self._in_flight.value)
    ok = property(lambda self: self._ok.value)
    rejected = property(lambda self: self._rejected.value)

    def set_cap(self, cap: int) -> None:
        """Change the capacity from now on."""
        self._cap.value = cap

    def start(self) -> None:
        self._process.start()
        self.port = self._ports.get(timeout=30)

    def stop(self) -> None:
        """Stop now rather than at the end of the server's lifetime, and wait."""
        self._stop.set()
        self._process.join(10)
        if self._process.is_alive():
            self._process.terminate()


def _serve_forever(
    cap: Any,
    in_flight: Any,
    ok: Any,
    rejected: Any,
    stop: Any,
    ports: Any,
    service_s: float,
    lifetime_s: float,
) -> None:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if length:
                    await reader.readexactly(length)
                if in_flight.value >= cap.value:
                    rejected.value += 1
                    writer.write(_response(429, b'{"title":"RESOURCE_EXHAUSTED"}'))
                else:
                    in_flight.value += 1
                    try:
                        await asyncio.sleep(service_s)
                    finally:
                        in_flight.value -= 1
                    ok.value += 1
                    writer.write(_response(200, b'{"brokers":[]}'))
                await writer.drain()
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        ports.put(server.sockets[0].getsockname()[1])
        deadline = time.monotonic() + lifetime_s
        async with server:
            # Bounded: the server stops itself even if the client never asks it to.
            while not stop.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)

    asyncio.run(main())


def _response(status: int, body: bytes) -> bytes:
    reason = {200: "OK", 429: "Too Many Requests"}[status]
    return (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    ).encode() + body


class LeanTransport(httpx.AsyncBaseTransport):
    """A minimal keep-alive HTTP/1.1 transport for this loopback server only.

    httpcore 1.0.9's pool checks every pooled connection (one ``poll()`` each) on
    every request and release: measured here at 4.9 ms of CPU per request with
    32 connections, which would cap the client at about 110 requests/s on this
    2-core machine and hide the limiter's behaviour behind the pool's. This
    transport keeps a stack of idle connections instead. ``--httpx-pool`` uses
    httpx's own pool.
    """

    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._port = port
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._idle:
            reader, writer = self._idle.pop()
        else:
            try:
                reader, writer = await asyncio.open_connection(self._host, self._port)
            except OSError as exc:
                raise httpx.ConnectError(str(exc), request=request) from exc
        body = request.content
        target = request.url.raw_path.decode()
        head = [f"{request.method} {target} HTTP/1.1", f"host: {self._host}"]
        head += [f"{k}: {v}" for k, v in request.headers.items() if k.lower() != "host"]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            writer.close()
            raise httpx.RemoteProtocolError("connection closed", request=request) from exc
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = [
            (name, value)
            for name, _, value in (line.partition(": ") for line in lines[1:])
            if value
        ]
        length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
        content = await reader.readexactly(length) if length else b""
        self._idle.append((reader, writer))
        return httpx.Response(status, headers=headers, content=content, request=request)

    async def aclose(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()


# -- the client pipeline ------------------------------------------------------------


@attrs.define
class Row:
    t: float
    cap: int
    limit: int | None
    in_flight: int
    waiters: int
    server_in_flight: int
    ok_per_s: float
    rejected_per_s: float
    severity: str


def build_pipeline(port: int, **settings: str) -> tuple[Any, ClientContext]:
    """Register the real plugins in the built-in order and build the handler."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name, plugin in (("transport", transport), ("backpressure", backpressure)):
        pm.register(plugin, name=name)
    pm.register(retry, name="retry")  # registered later: wraps backpressure
    config = resolve_config({"CAMUNDA_REST_ADDRESS": f"http://127.0.0.1:{port}", **settings}, {})
    context = ClientContext(config=config, logger=None, plugin_manager=pm)  # type: ignore[arg-type]
    return pm.hook.camunda_call_handler(context=context), context


class Sampler:
    """Takes a row every ``interval`` seconds (on its own thread: works for both drivers)."""

    def __init__(self, server: CappedServer, state: BackpressureState, interval: float) -> None:
        self.server = server
        self.state = state
        self.interval = interval
        self.rows: list[Row] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @contextmanager
    def running(self) -> Iterator[None]:
        self._thread.start()
        try:
            yield
        finally:
            self._stop.set()
            self._thread.join()

    def _run(self) -> None:
        start = time.monotonic()
        last_ok, last_rejected = 0, 0
        while not self._stop.wait(self.interval):
            snap = self.state.snapshot()
            ok, rejected = self.server.ok, self.server.rejected
            self.rows.append(
                Row(
                    t=time.monotonic() - start,
                    cap=self.server.cap,
                    limit=snap["limit"],
                    in_flight=snap["in_flight"],
                    waiters=snap["waiters"],
                    server_in_flight=self.server.in_flight,
                    ok_per_s=(ok - last_ok) / self.interval,
                    rejected_per_s=(rejected - last_rejected) / self.interval,
                    severity=snap["severity"],
                )
            )
            last_ok, last_rejected = ok, rejected


async def drive_async(handler: Any, server: CappedServer, args: argparse.Namespace) -> int:
    limits = httpx.Limits(max_connections=args.callers, max_keepalive_connections=args.callers)
    failed = 0
    lean = None if args.httpx_pool else LeanTransport("127.0.0.1", server.port)
    async with httpx.AsyncClient(limits=limits, transport=lean) as http:
        driver = AsyncDriver(AsyncHttpxSender(http))
        deadline = time.monotonic() + args.seconds

        async def caller() -> None:
            nonlocal failed
            while time.monotonic() < deadline:
                response = await driver.run(handler(Call(TOPOLOGY)))
                failed += response.status_code != 200

        async def lift() -> None:
            await asyncio.sleep(args.seconds / 3)
            server.set_cap(args.lifted_cap)
            await asyncio.sleep(args.seconds / 3)
            server.set_cap(args.healthy_cap)

        await asyncio.gather(lift(), *(caller() for _ in range(args.callers)))
    return failed


def drive_sync(handler: Any, server: CappedServer, args: argparse.Namespace) -> int:
    limits = httpx.Limits(max_connections=args.callers, max_keepalive_connections=args.callers)
    failed = 0
    lock = threading.Lock()
    with httpx.Client(limits=limits) as http:
        driver = SyncDriver(HttpxSender(http))
        deadline = time.monotonic() + args.seconds

        def caller() -> None:
            nonlocal failed
            while time.monotonic() < deadline:
                response = driver.run(handler(Call(TOPOLOGY)))
                if response.status_code != 200:
                    with lock:
                        failed += 1

        timers = [
            threading.Timer(args.seconds / 3, lambda: server.set_cap(args.lifted_cap)),
            threading.Timer(2 * args.seconds / 3, lambda: server.set_cap(args.healthy_cap)),
        ]
        for timer in timers:
            timer.start()
        with ThreadPoolExecutor(args.callers) as pool:
            for future in [pool.submit(caller) for _ in range(args.callers)]:
                future.result()
        for timer in timers:
            timer.cancel()
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--driver", choices=("async", "sync"), default="async")
    parser.add_argument("--cap", type=int, default=8, help="server capacity, first half")
    parser.add_argument("--lifted-cap", type=int, default=32, help="capacity, second third")
    parser.add_argument("--healthy-cap", type=int, default=1000, help="capacity, last third")
    parser.add_argument("--quiet-s", type=float, default=2.0, help="quiet period lifting the cap")
    parser.add_argument("--callers", type=int, default=128, help="concurrent calls")
    parser.add_argument("--httpx-pool", action="store_true", help="async: httpx's own pool")
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--service-ms", type=float, default=50.0)
    parser.add_argument("--sample-ms", type=float, default=250.0)
    args = parser.parse_args()

    server = CappedServer(args.cap, args.service_ms / 1000, lifetime_s=args.seconds + 10)
    server.start()
    handler, context = build_pipeline(server.port)
    state = backpressure_state(context)
    assert state is not None
    state.quiet_period = args.quiet_s
    sampler = Sampler(server, state, args.sample_ms / 1000)
    started = time.monotonic()
    with sampler.running():
        if args.driver == "async":
            failed = asyncio.run(drive_async(handler, server, args))
        else:
            failed = drive_sync(handler, server, args)
    elapsed = time.monotonic() - started
    server.stop()

    print(
        f"driver={args.driver} callers={args.callers} service={args.service_ms:g} ms "
        f"cap {args.cap} -> {args.lifted_cap} at t={args.seconds / 3:g} s "
        f"-> {args.healthy_cap} at t={2 * args.seconds / 3:g} s; quiet period {args.quiet_s:g} s"
    )
    print(
        "| t (s) | server cap | limit | in flight | waiting | server busy | ok/s | 429/s "
        "| severity |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in sampler.rows:
        print(
            f"| {r.t:.2f} | {r.cap} | {'-' if r.limit is None else r.limit} | {r.in_flight} | "
            f"{r.waiters} | "
            f"{r.server_in_flight} | {r.ok_per_s:.0f} | {r.rejected_per_s:.0f} | {r.severity} |"
        )
    third = args.seconds / 3
    for label, lo, hi, cap in (
        ("first third, after 1 s", 1.0, third, args.cap),
        ("second third, after 1 s", third + 1.0, 2 * third, args.lifted_cap),
    ):
        rows = [r for r in sampler.rows if lo <= r.t < hi]
        capped = [r.limit for r in rows if r.limit is not None]
        if rows and capped:
            mean_limit = sum(capped) / len(capped)
            ok = sum(r.ok_per_s for r in rows) / len(rows)
            rejected = sum(r.rejected_per_s for r in rows) / len(rows)
            ideal = cap / (args.service_ms / 1000)
            print(
                f"{label}: mean limit {mean_limit:.1f} (cap {cap}), {ok:.0f} ok/s "
                f"({ok / ideal:.0%} of the cap's {ideal:.0f}/s), {rejected:.0f} 429/s"
            )
    uncapped = [r for r in sampler.rows if r.t >= 2 * third and r.limit is None]
    if uncapped:
        print(
            f"last third: uncapped from t={uncapped[0].t:.2f} s; "
            f"peak in flight after that {max(r.in_flight for r in uncapped)} "
            f"of {args.callers} callers"
        )
    print(
        f"server totals: {server.ok} ok, {server.rejected} rejected; "
        f"calls that gave up after retries: {failed}; wall time {elapsed:.1f} s"
    )


if __name__ == "__main__":
    main()
