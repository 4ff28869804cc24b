"""Job worker throughput: jobs/s and client CPU per job, every contender against one fake.

The fake server (a child process pinned to CPU 1, its CPU reported beside each
contender's) hands out jobs without limit from ``POST /v2/jobs/activation`` and
accepts ``POST /v2/jobs/{key}/completion``. It is an asyncio ``Protocol`` server on
uvloop when uvloop is importable (``--server python``), or a Node ``http`` server
(``--server node``). Each contender runs in a child process pinned to CPU 0 with a
no-op handler and 32 concurrent jobs; it measures its own CPU time and the
completions the server counted over a fixed window after a warm-up:

- ``sdk async|thread / httpx|aiohttp``: this SDK's worker, each execution strategy
  on each async transport (``CAMUNDA_SDK_HTTP_TRANSPORT``);
- ``sdk async / httpx-aiohttp``: the SDK's httpx sender over ``httpx_aiohttp``'s
  transport (``transport=``), the other way to put aiohttp under the SDK;
- ``sdk async / aiohttp + otel``: tracing and metrics on, recorded by the
  OpenTelemetry SDK (batch span processor, in-memory metric reader), for the
  on/off CPU ratio;
- ``raw httpx async``, ``raw aiohttp``: a minimal loop on the same transport
  (one activation per 32 jobs, one POST per job), no SDK;
- ``reference 10.0.1``: the reference Python SDK, from its own venv ``.tools/refsdk``
  (created on first use; ``--reference-python PATH``, ``--no-reference``);
- ``TS SDK 9.1.5``: ``@camunda8/orchestration-cluster-api``'s worker
  (``benchmarks/ts_worker.mjs``), installed with Node 22 from npm into
  ``.tools/ts-sdk`` on first use; skipped with a message when npm is missing
  (``--no-ts``).

    .venv/bin/python benchmarks/worker_throughput.py
    .venv/bin/python benchmarks/worker_throughput.py --only "sdk async / aiohttp" --window 3

Every process stops by itself (the server after ``--server-lifetime`` seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import reference_python

JOB_TYPE = "bench"
HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
SRC = ROOT / "src"
TS_PACKAGE = "@camunda8/orchestration-cluster-api@9.1.5"
TS_DIR = ROOT / ".tools" / "ts-sdk"

# -- the fake server ---------------------------------------------------------------------

_JOB_TEMPLATE = (
    '{"type":"bench","processDefinitionId":"p","processDefinitionVersion":1,'
    '"elementId":"task","customHeaders":{},"worker":"w","retries":3,'
    '"deadline":1700000000000,"variables":{"n":1},"tenantId":"<default>",'
    '"jobKey":"KEY","processInstanceKey":"2251799813685249",'
    '"processDefinitionKey":"2251799813685248","elementInstanceKey":"2251799813685250",'
    '"kind":"BPMN_ELEMENT","listenerEventType":"UNSPECIFIED","tags":[],"priority":0,'
    '"physicalTenantId":"default","userTask":null,"rootProcessInstanceKey":null,'
    '"businessId":null,"leaseToken":null}'
)


class _Stats:
    next_key = 2251799813700000
    activations = 0
    activated = 0
    completed = 0


def _response(status: int, body: bytes = b"", content_type: str = "application/json") -> bytes:
    reason = {200: "OK", 204: "No Content", 404: "Not Found"}[status]
    head = f"HTTP/1.1 {status} {reason}\r\ncontent-length: {len(body)}\r\n"
    if body:
        head += f"content-type: {content_type}\r\n"
    return head.encode() + b"\r\n" + body


def _activation(body: bytes) -> bytes:
    wanted = json.loads(body).get("maxJobsToActivate", 1)
    jobs = []
    for _ in range(wanted):
        _Stats.next_key += 1
        jobs.append(_JOB_TEMPLATE.replace("KEY", str(_Stats.next_key)))
    _Stats.activations += 1
    _Stats.activated += wanted
    return _response(200, ('{"jobs":[' + ",".join(jobs) + "]}").encode())


class _HttpProtocol(asyncio.Protocol):
    """A minimal HTTP/1.1 keep-alive server: just enough for the two job endpoints."""

    def __init__(self) -> None:
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            method, path, _ = head.split(" ", 2)
            assert self.transport is not None
            self.transport.write(self.route(method, path, body))

    def route(self, method: str, path: str, body: bytes) -> bytes:
        if path.endswith("/jobs/activation"):
            return _activation(body)
        if path.endswith("/completion"):
            _Stats.completed += 1
            return _response(204)
        if path == "/stats":
            stats = {
                "completed": _Stats.completed,
                "activations": _Stats.activations,
                "activated": _Stats.activated,
                "cpu": time.process_time(),  # the server's own CPU, to show it is not the limit
            }
            return _response(200, json.dumps(stats).encode())
        return _response(404)


async def _serve(port: int, lifetime: float) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_HttpProtocol, "127.0.0.1", port, backlog=256)
    print("ready", flush=True)
    async with server:
        await asyncio.sleep(lifetime)  # bounded: the server always stops by itself


def _run_server(port: int, lifetime: float) -> None:
    _pin(1)
    try:
        import uvloop  # pyright: ignore[reportMissingImports]
    except ImportError:  # the plain asyncio loop costs the server more CPU per request
        asyncio.run(_serve(port, lifetime))
    else:
        uvloop.run(_serve(port, lifetime))


def _pin(cpu: int) -> None:
    # Client on CPU 0, server on CPU 1, so neither takes the other's time.
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {cpu})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the measured clients ------------------------------------------------------------------


def _stats(url: str) -> dict[str, Any]:
    import urllib.request

    with urllib.request.urlopen(url + "/stats") as answer:  # loopback only
        return json.loads(answer.read())


async def _measure(
    base: str,
    start_workers: Callable[[], Awaitable[Any]],
    stop_workers: Callable[[], Awaitable[Any]],
    warmup: float,
    window: float,
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    runner = asyncio.ensure_future(start_workers())
    await asyncio.sleep(warmup)
    before = await loop.run_in_executor(None, _stats, base)
    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(window)
    cpu1, t1 = time.process_time(), time.perf_counter()
    after = await loop.run_in_executor(None, _stats, base)
    await stop_workers()
    runner.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await runner
    jobs = after["completed"] - before["completed"]
    polls = after["activations"] - before["activations"]
    return {
        "jobs": jobs,
        "seconds": t1 - t0,
        "jobs_per_s": jobs / (t1 - t0),
        "cpu_ms_per_job": (cpu1 - cpu0) * 1000 / jobs if jobs else float("nan"),
        "jobs_per_poll": jobs / polls if polls else float("nan"),
    }


def _otel_providers() -> dict[str, Any]:
    """OpenTelemetry SDK providers that record everything and export nowhere."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    class Discard(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(Discard()))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    return {"tracer_provider": tracer_provider, "meter_provider": meter_provider}


async def _run_ours(
    base: str,
    concurrency: int,
    warmup: float,
    window: float,
    strategy: str,
    transport: str,
    otel: bool = False,
) -> dict[str, Any]:
    sys.path.insert(0, str(SRC))
    from camunda_sdk.client import CamundaAsyncClient
    from camunda_sdk.workers import (
        ConnectedJobContext,
        WorkerConfig,
        create_job_worker,
        run_workers,
        stop_workers,
    )

    extra: dict[str, Any] = _otel_providers() if otel else {}
    if transport == "httpx-aiohttp":
        import httpx_aiohttp

        extra["transport"] = httpx_aiohttp.AiohttpTransport()
    client = CamundaAsyncClient(
        configuration={
            "CAMUNDA_REST_ADDRESS": base + "/v2",
            "CAMUNDA_SDK_LOG_LEVEL": "error",
            "CAMUNDA_SDK_HTTP_TRANSPORT": "httpx" if transport == "httpx-aiohttp" else transport,
        },
        environ={},
        **extra,
    )

    async def handler(job: ConnectedJobContext) -> dict[str, Any]:
        return {}

    def sync_handler(job: Any) -> dict[str, Any]:
        return {}

    config = WorkerConfig(
        job_type=JOB_TYPE, job_timeout_milliseconds=30_000, max_concurrent_jobs=concurrency
    )
    chosen = handler if strategy == "async" else sync_handler
    create_job_worker(client, config, chosen, execution_strategy=strategy)  # pyright: ignore[reportArgumentType, reportCallIssue]
    result = await _measure(
        base, lambda: run_workers(client), lambda: stop_workers(client, 5), warmup, window
    )
    await client.close()
    return result


def _stopper() -> tuple[list[bool], Callable[[], Awaitable[None]]]:
    flag = [False]

    async def stop() -> None:
        flag[0] = True

    return flag, stop


async def _run_raw_httpx(base: str, concurrency: int, warmup: float, window: float) -> dict:
    """raw httpx async: one activation per batch and one POST per job, no SDK."""
    import httpx

    stopping, stop = _stopper()
    http = httpx.AsyncClient(limits=httpx.Limits(max_keepalive_connections=concurrency + 4))

    async def loop() -> None:
        while not stopping[0]:
            answer = await http.post(
                base + "/v2/jobs/activation",
                json={"type": JOB_TYPE, "timeout": 30_000, "maxJobsToActivate": concurrency},
            )
            jobs = json.loads(answer.content)["jobs"]
            await asyncio.gather(
                *(http.post(f"{base}/v2/jobs/{job['jobKey']}/completion", json={}) for job in jobs)
            )

    result = await _measure(base, loop, stop, warmup, window)
    await http.aclose()
    return result


async def _run_raw_aiohttp(base: str, concurrency: int, warmup: float, window: float) -> dict:
    """raw aiohttp: the same loop on a plain ``aiohttp.ClientSession``."""
    import aiohttp

    stopping, stop = _stopper()
    session = aiohttp.ClientSession()

    async def complete(key: str) -> None:
        async with session.post(f"{base}/v2/jobs/{key}/completion", json={}) as answer:
            await answer.read()

    async def loop() -> None:
        body = {"type": JOB_TYPE, "timeout": 30_000, "maxJobsToActivate": concurrency}
        while not stopping[0]:
            async with session.post(base + "/v2/jobs/activation", json=body) as answer:
                jobs = json.loads(await answer.read())["jobs"]
            await asyncio.gather(*(complete(job["jobKey"]) for job in jobs))

    result = await _measure(base, loop, stop, warmup, window)
    await session.close()
    return result


async def _run_reference(base: str, concurrency: int, warmup: float, window: float) -> dict:
    # Only installed in the reference's own venv.
    from camunda_orchestration_sdk import (  # pyright: ignore[reportMissingImports]
        CamundaAsyncClient,
        WorkerConfig,
    )

    client = CamundaAsyncClient(
        configuration={
            "CAMUNDA_REST_ADDRESS": base + "/v2",
            "CAMUNDA_SDK_LOG_LEVEL": "error",
            "CAMUNDA_AUTH_STRATEGY": "NONE",
        }
    )

    async def handler(job: object) -> dict:
        return {}

    config = WorkerConfig(
        job_type=JOB_TYPE, job_timeout_milliseconds=30_000, max_concurrent_jobs=concurrency
    )

    async def start() -> None:
        client.create_job_worker(config=config, callback=handler)
        await client.run_workers()

    async def stop() -> None:
        for worker in getattr(client, "_workers", []):
            worker.stop()

    result = await _measure(base, start, stop, warmup, window)
    with contextlib.suppress(Exception):  # its close is not what is measured
        await client.__aexit__(None, None, None)
    return result


# -- the TypeScript contender ------------------------------------------------------------------


def ts_node() -> Path | None:
    """Node 22's binary in ``.tools/ts-sdk`` with the TS SDK beside it; installed on first use.

    The TS SDK needs Node 22; the ``node`` package of the npm registry brings its
    binary, so no system Node upgrade is needed. None (with a message) without npm.
    """
    node = TS_DIR / "node_modules" / ".bin" / "node"
    package = TS_DIR / "node_modules" / "@camunda8" / "orchestration-cluster-api"
    if node.exists() and package.exists():
        return node
    npm = shutil.which("npm")
    if npm is None:
        print("TS SDK contender skipped: npm is not installed", file=sys.stderr)
        return None
    print(f"installing {TS_PACKAGE} and node@22 into {TS_DIR} ...", file=sys.stderr)
    TS_DIR.mkdir(parents=True, exist_ok=True)
    if not (TS_DIR / "package.json").exists():
        (TS_DIR / "package.json").write_text('{"name": "ts-sdk-bench", "private": true}\n')
    done = subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", TS_PACKAGE, "node@22"],
        cwd=TS_DIR, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode != 0 or not node.exists():
        print(
            f"TS SDK contender skipped: npm install failed: {done.stderr[-500:]}", file=sys.stderr
        )
        return None
    return node


# -- orchestration ---------------------------------------------------------------------------

# name -> (mode, strategy, transport, otel)
OURS = {
    f"sdk {strategy} / {transport}": ("ours", strategy, transport, False)
    for transport in ("aiohttp", "httpx")
    for strategy in ("async", "thread")
}
OURS["sdk async / httpx-aiohttp"] = ("ours", "async", "httpx-aiohttp", False)
OURS["sdk async / aiohttp + otel"] = ("ours", "async", "aiohttp", True)
RAW = {
    "raw aiohttp": ("raw-aiohttp", "", "", False),
    "raw httpx async": ("raw-httpx", "", "", False),
}


def _pinned(command: list[str]) -> list[str]:
    taskset = shutil.which("taskset")
    return [taskset, "-c", "0", *command] if taskset and (os.cpu_count() or 1) > 1 else command


def _child(command: list[str], name: str, base: str, args: argparse.Namespace) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAMUNDA_", "ZEEBE_"))}
    env["TS_SDK_DIR"] = str(TS_DIR)
    before = _stats(base)
    done = subprocess.run(
        _pinned(command),
        capture_output=True,
        text=True,
        timeout=args.warmup + args.window + 60,
        env=env,
    )
    if done.returncode != 0:
        print(f"{name} failed:\n{done.stderr[-3000:]}", file=sys.stderr)
        return {}
    row = json.loads(done.stdout.strip().splitlines()[-1])
    after = _stats(base)
    # Server CPU over the whole child run (warm-up included) per job it completed then.
    jobs = after["completed"] - before["completed"]
    row["server_us_per_job"] = (after["cpu"] - before["cpu"]) * 1e6 / jobs if jobs else None
    return row


def _python_command(python: str, mode: str, base: str, args: argparse.Namespace) -> list[str]:
    return [
        python, str(HERE), mode, "--url", base, "--concurrency", str(args.concurrency),
        "--warmup", str(args.warmup), "--window", str(args.window),
    ]  # fmt: skip


def _start_server(args: argparse.Namespace, port: int) -> subprocess.Popen[str]:
    if args.server == "node":
        node = ts_node() or shutil.which("node")
        if node is None:
            raise SystemExit("--server node needs node")
        command = [str(node), str(HERE.with_name("fake_server.mjs")), str(port)]
        command += [str(args.server_lifetime)]
        taskset = shutil.which("taskset")
        if taskset and (os.cpu_count() or 1) > 1:
            command = [taskset, "-c", "1", *command]
    else:
        command = [sys.executable, str(HERE), "serve", "--port", str(port),
                   "--server-lifetime", str(args.server_lifetime)]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "mode",
        nargs="?",
        default="compare",
        choices=["compare", "serve", "ours", "raw-httpx", "raw-aiohttp", "reference"],
    )
    parser.add_argument("--url", default="")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=1.5)
    parser.add_argument("--window", type=float, default=5.0)
    parser.add_argument("--server-lifetime", type=float, default=600.0)
    parser.add_argument("--server", choices=["python", "node"], default="python")
    parser.add_argument("--strategy", default="async")
    parser.add_argument("--transport", default="auto")
    parser.add_argument("--otel", action="store_true", help="ours: an OpenTelemetry SDK records")
    parser.add_argument("--reference-python", default="")
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--no-ts", action="store_true")
    parser.add_argument("--only", action="append", default=[], help="run only these rows")
    args = parser.parse_args()

    if args.mode == "serve":
        _run_server(args.port, args.server_lifetime)
        return
    if args.mode == "ours":
        result = asyncio.run(
            _run_ours(
                args.url,
                args.concurrency,
                args.warmup,
                args.window,
                args.strategy,
                args.transport,
                args.otel,
            )
        )
        print(json.dumps(result))
        return
    if args.mode in ("raw-httpx", "raw-aiohttp", "reference"):
        run = {
            "raw-httpx": _run_raw_httpx,
            "raw-aiohttp": _run_raw_aiohttp,
            "reference": _run_reference,
        }[args.mode]
        print(json.dumps(asyncio.run(run(args.url, args.concurrency, args.warmup, args.window))))
        return

    port = args.port or _free_port()
    base = f"http://127.0.0.1:{port}"
    contenders: dict[str, list[str]] = {}
    for name, (mode, strategy, transport, otel) in {**OURS, **RAW}.items():
        command = _python_command(sys.executable, mode, base, args)
        if mode == "ours":
            command += ["--strategy", strategy, "--transport", transport]
            if otel:
                command.append("--otel")
        contenders[name] = command
    node = None if args.no_ts else ts_node()
    if node is not None:
        script = str(HERE.with_name("ts_worker.mjs"))
        contenders["TS SDK 9.1.5"] = [
            str(node),
            script,
            base,
            str(args.concurrency),
            str(args.warmup),
            str(args.window),
        ]
    reference = args.reference_python or (None if args.no_reference else reference_python())
    if reference:
        contenders["reference 10.0.1"] = _python_command(str(reference), "reference", base, args)
    if args.only:
        contenders = {k: v for k, v in contenders.items() if k in args.only}

    server = _start_server(args, port)
    rows: dict[str, dict[str, Any]] = {}
    try:
        assert server.stdout is not None
        if server.stdout.readline().strip() != "ready":
            raise SystemExit("the fake server did not start")
        for name, command in contenders.items():
            rows[name] = _child(command, name, base, args)
    finally:
        server.terminate()
        server.wait(10)

    print(
        f"no-op handler, {args.concurrency} concurrent, {args.warmup:g} s warm-up,"
        f" {args.window:g} s window, {args.server} fake server (CPU 1), clients on CPU 0"
    )
    print(
        f"{'contender':<22} {'jobs/s':>9} {'client us/job':>14} {'jobs/poll':>10}"
        f" {'server us/job':>14}"
    )
    for name, row in rows.items():
        if not row:
            print(f"{name:<22} {'failed':>9}")
            continue
        server_us = row.get("server_us_per_job")
        print(
            f"{name:<22} {row['jobs_per_s']:>9.1f} {row['cpu_ms_per_job'] * 1000:>14.0f}"
            f" {row['jobs_per_poll'] or float('nan'):>10.1f}"
            f" {server_us if server_us is not None else float('nan'):>14.0f}"
        )
    on, off = rows.get("sdk async / aiohttp + otel"), rows.get("sdk async / aiohttp")
    if on and off:
        print(
            f"tracing and metrics recorded: {on['cpu_ms_per_job'] / off['cpu_ms_per_job']:.2f}x"
            " the CPU per job without an OpenTelemetry SDK"
        )
    ts = rows.get("TS SDK 9.1.5")
    for name in OURS:
        row = rows.get(name)
        if row and ts:
            print(
                f"{name}: {row['jobs_per_s'] / ts['jobs_per_s']:.2f}x the TS SDK's jobs/s,"
                f" {row['cpu_ms_per_job'] / ts['cpu_ms_per_job']:.2f}x its CPU per job"
            )


if __name__ == "__main__":
    main()
