"""Job worker throughput: jobs/s and client CPU per job against a loopback fake server.

The fake server (a child process, so its CPU is not counted) hands out jobs without
limit from ``POST /v2/jobs/activation`` and accepts ``POST /v2/jobs/{key}/completion``.
Each SDK runs in a child process of its own with a no-op ``async def`` handler and
32 concurrent jobs; it measures its own ``time.process_time()`` and the completions
the server counted over a fixed window after a warm-up.

    .venv/bin/python benchmarks/worker_throughput.py              # both SDKs, one run
    .venv/bin/python benchmarks/worker_throughput.py --no-reference

The reference SDK (``camunda-orchestration-sdk==10.0.1``) runs from its own venv,
``.tools/refsdk`` (created on first use), or ``--reference-python PATH``.

Every process stops by itself (the server after ``--server-lifetime`` seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import reference_python

JOB_TYPE = "bench"
HERE = Path(__file__).resolve()
SRC = HERE.parent.parent / "src"

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
            }
            return _response(200, json.dumps(stats).encode())
        return _response(404)


async def _serve(port: int, lifetime: float) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_HttpProtocol, "127.0.0.1", port, backlog=256)
    print("ready", flush=True)
    async with server:
        await asyncio.sleep(lifetime)  # bounded: the server always stops by itself


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the measured clients ------------------------------------------------------------------


def _stats(url: str) -> dict[str, int]:
    import urllib.request

    with urllib.request.urlopen(url + "/stats") as answer:  # loopback only
        return json.loads(answer.read())


async def _measure(base: str, start_workers, stop_workers, warmup: float, window: float) -> dict:
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


async def _run_ours(base: str, concurrency: int, warmup: float, window: float) -> dict:
    sys.path.insert(0, str(SRC))
    from camunda_sdk.client import CamundaAsyncClient
    from camunda_sdk.workers import ConnectedJobContext, WorkerConfig
    from camunda_sdk.workers.runtime import create_job_worker, run_workers, stop_workers

    client = CamundaAsyncClient(
        configuration={"CAMUNDA_REST_ADDRESS": base + "/v2", "CAMUNDA_SDK_LOG_LEVEL": "error"},
        environ={},
    )

    async def handler(job: ConnectedJobContext) -> dict:
        return {}

    config = WorkerConfig(
        job_type=JOB_TYPE, job_timeout_milliseconds=30_000, max_concurrent_jobs=concurrency
    )
    create_job_worker(client, config, handler)
    result = await _measure(
        base, lambda: run_workers(client), lambda: stop_workers(client, 5), warmup, window
    )
    await client.close()
    return result


async def _run_floor(base: str, concurrency: int, warmup: float, window: float) -> dict:
    """The floor: raw httpx, one activation per batch and one POST per job, no SDK."""
    import httpx

    stopping = False
    http = httpx.AsyncClient(limits=httpx.Limits(max_keepalive_connections=concurrency + 4))

    async def loop() -> None:
        while not stopping:
            answer = await http.post(
                base + "/v2/jobs/activation",
                json={"type": JOB_TYPE, "timeout": 30_000, "maxJobsToActivate": concurrency},
            )
            jobs = json.loads(answer.content)["jobs"]
            await asyncio.gather(
                *(http.post(f"{base}/v2/jobs/{job['jobKey']}/completion", json={}) for job in jobs)
            )

    async def stop() -> None:
        nonlocal stopping
        stopping = True

    result = await _measure(base, loop, stop, warmup, window)
    await http.aclose()
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


# -- orchestration ---------------------------------------------------------------------------


def _child(python: str, mode: str, base: str, args: argparse.Namespace) -> dict:
    command = [
        python, str(HERE), mode, "--url", base, "--concurrency", str(args.concurrency),
        "--warmup", str(args.warmup), "--window", str(args.window),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAMUNDA_", "ZEEBE_"))}
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=args.warmup + args.window + 60, env=env
    )
    if done.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "mode",
        nargs="?",
        default="compare",
        choices=["compare", "serve", "ours", "floor", "reference"],
    )
    parser.add_argument("--url", default="")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=1.5)
    parser.add_argument("--window", type=float, default=5.0)
    parser.add_argument("--server-lifetime", type=float, default=300.0)
    parser.add_argument("--reference-python", default="")
    parser.add_argument("--no-reference", action="store_true")
    args = parser.parse_args()

    if args.mode == "serve":
        asyncio.run(_serve(args.port, args.server_lifetime))
        return
    if args.mode in ("ours", "floor", "reference"):
        run = {"ours": _run_ours, "floor": _run_floor, "reference": _run_reference}[args.mode]
        result = asyncio.run(run(args.url, args.concurrency, args.warmup, args.window))
        print(json.dumps(result))
        return

    port = args.port or _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, str(HERE), "serve", "--port", str(port),
         "--server-lifetime", str(args.server_lifetime)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        if server.stdout.readline().strip() != "ready":
            raise SystemExit("the fake server did not start")
        rows = {
            "raw httpx floor": _child(sys.executable, "floor", base, args),
            "camunda_sdk": _child(sys.executable, "ours", base, args),
        }
        reference = args.reference_python or (None if args.no_reference else reference_python())
        if reference:
            rows["reference 10.0.1"] = _child(str(reference), "reference", base, args)
    finally:
        server.terminate()
        server.wait(10)

    print(
        f"no-op handler, {args.concurrency} concurrent, {args.window:.0f} s window,"
        " loopback fake server"
    )
    print(f"{'sdk':<18} {'jobs/s':>10} {'CPU ms/job':>11} {'jobs/poll':>10}")
    for name, row in rows.items():
        print(
            f"{name:<18} {row['jobs_per_s']:>10.1f} {row['cpu_ms_per_job']:>11.3f}"
            f" {row['jobs_per_poll']:>10.1f}"
        )
    ours, floor = rows["camunda_sdk"], rows["raw httpx floor"]
    print(
        "camunda_sdk CPU per job: "
        f"{ours['cpu_ms_per_job'] / floor['cpu_ms_per_job']:.2f}x the floor"
    )
    if "reference 10.0.1" in rows:
        ref = rows["reference 10.0.1"]
        print(
            f"ratio: {ours['jobs_per_s'] / ref['jobs_per_s']:.1f}x the jobs/s, "
            f"{ref['cpu_ms_per_job'] / ours['cpu_ms_per_job']:.2f}x less CPU per job"
        )


if __name__ == "__main__":
    main()
