"""Dev cluster throughput: one-service-task instances run end to end, per second.

The dev cluster runs in a child process (``python -m camunda_sdk.devcluster``); this
process deploys ``examples/order.bpmn``, then creates ``--instances`` instances
(``--concurrency`` creations in flight) while the SDK's async job worker completes
their ``charge-card`` jobs, and waits until every instance is COMPLETED *and*
searchable (``searchProcessInstances``, through the cluster's indexing lag). It
reports instances/s over that whole span and the cluster process's own CPU time
per instance (utime + stime from ``/proc/<pid>/stat``, so Linux only), next to
``uptime``'s load: the figures mean little on a machine busy with other work.

    .venv/bin/python benchmarks/devcluster_throughput.py
    .venv/bin/python benchmarks/devcluster_throughput.py --instances 5000 --pin

``--pin`` puts the cluster on CPU 1 and this process on CPU 0.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
sys.path.insert(0, str(SRC))

from camunda_sdk import (  # noqa: E402  # after the path insertion above
    CamundaAsyncClient,
    ConnectedJobContext,
    LimitPagination,
    ProcessCreationById,
    ProcessDefinitionId,
    ProcessInstanceFilter,
    ProcessInstanceSearchQuery,
    ProcessInstanceStateEnum,
    WorkerConfig,
)

ORDER_BPMN = ROOT / "examples" / "order.bpmn"
TICKS = os.sysconf("SC_CLK_TCK")
# DEVCLUSTER_PROFILE=out.prof runs the cluster under cProfile (written when it stops).
PROFILE = (
    ["-m", "cProfile", "-o", os.environ["DEVCLUSTER_PROFILE"]]
    if os.environ.get("DEVCLUSTER_PROFILE")
    else []
)


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds (fields 14 and 15 of /proc/<pid>/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def start_cluster(lag_ms: float, pin: bool) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    command = [sys.executable, *PROFILE, "-m", "camunda_sdk.devcluster", "--port", "0"]
    command += ["--indexing-lag-ms", str(lag_ms)]
    if pin:
        command = ["taskset", "-c", "1", *command]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"CAMUNDA_REST_ADDRESS=(\S+)", line)
    if match is None:
        proc.kill()
        raise SystemExit(f"the dev cluster did not start: {line!r}")
    return proc, match.group(1)


async def run(address: str, instances: int, concurrency: int, max_jobs: int) -> float:
    config = {"CAMUNDA_REST_ADDRESS": address, "CAMUNDA_AUTH_STRATEGY": "NONE"}
    async with CamundaAsyncClient(configuration=config) as client:
        await client.deploy_resources_from_files([ORDER_BPMN])

        async def charge(job: ConnectedJobContext) -> dict[str, Any]:
            return {"charged": True}

        client.create_job_worker(
            config=WorkerConfig(
                job_type="charge-card",
                job_timeout_milliseconds=60_000,
                max_concurrent_jobs=max_jobs,
                request_timeout_milliseconds=1_000,
            ),
            callback=charge,
        )
        workers = asyncio.create_task(client.run_workers(handle_signals=False))
        await asyncio.sleep(0.2)  # the worker's first poll is out
        gate = asyncio.Semaphore(concurrency)

        async def create(i: int) -> None:
            async with gate:
                await client.create_process_instance(
                    data=ProcessCreationById(
                        process_definition_id=ProcessDefinitionId("order-process"),
                        variables={"n": i},
                    )
                )

        done = ProcessInstanceSearchQuery(
            filter=ProcessInstanceFilter(state=ProcessInstanceStateEnum.COMPLETED),
            page=LimitPagination(limit=1),  # only the total matters
        )
        started = time.perf_counter()
        await asyncio.gather(*(create(i) for i in range(instances)))
        while True:
            found = await client.search_process_instances(data=done)
            if found.page.total_items >= instances:
                break
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - started
        await client.stop_workers(timeout=2)
        await workers
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description="Dev cluster throughput (see the module doc).")
    parser.add_argument("--instances", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=64, help="creations in flight")
    parser.add_argument("--max-jobs", type=int, default=64, help="the worker's concurrent jobs")
    parser.add_argument("--lag-ms", type=float, default=50, help="the cluster's indexing lag")
    parser.add_argument("--pin", action="store_true", help="cluster on CPU 1, this on CPU 0")
    args = parser.parse_args()
    if args.pin:
        os.sched_setaffinity(0, {0})
    load = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout
    proc, address = start_cluster(args.lag_ms, args.pin)
    try:
        before = cpu_seconds(proc.pid)
        mine = time.process_time()
        elapsed = asyncio.run(run(address, args.instances, args.concurrency, args.max_jobs))
        cluster_cpu = cpu_seconds(proc.pid) - before
        client_cpu = time.process_time() - mine
    finally:
        proc.terminate()
        proc.wait(10)
    n = args.instances
    print(f"uptime: {load.strip()}")
    print(
        f"{n} one-task instances (create, activate, complete, completed and searchable) "
        f"in {elapsed:.2f} s: {n / elapsed:,.0f} instances/s"
    )
    print(
        f"cluster CPU {cluster_cpu:.2f} s = {cluster_cpu / n * 1e3:.3f} ms per instance; "
        f"client (SDK worker and creator) CPU {client_cpu:.2f} s = "
        f"{client_cpu / n * 1e3:.3f} ms per instance"
    )


if __name__ == "__main__":
    main()
