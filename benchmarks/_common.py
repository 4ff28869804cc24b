"""Shared pieces of the benchmarks: the reference SDK's venv and a loopback server.

The reference SDK (``camunda-orchestration-sdk==10.0.1``) lives in its own venv
under ``.tools/refsdk`` so both SDKs are measured by the same script in one run.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import venv
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = "camunda-orchestration-sdk==10.0.1"
REFERENCE_VENV = ROOT / ".tools" / "refsdk"

TOPOLOGY = json.dumps(
    {
        "brokers": [
            {
                "nodeId": n,
                "brokerId": f"camunda-{n}",
                "host": f"camunda-{n}",
                "port": 26501,
                "version": "8.9.0",
                "partitions": [
                    {
                        "partitionId": p,
                        "role": "leader" if p == n + 1 else "follower",
                        "health": "healthy",
                        "state": "active",
                    }
                    for p in (1, 2, 3)
                ],
            }
            for n in range(3)
        ],
        "clusterId": "bench",
        "clusterSize": 3,
        "partitionsCount": 3,
        "replicationFactor": 3,
        "gatewayVersion": "8.9.0",
        "lastCompletedChangeId": "-1",
    }
).encode()


def reference_python() -> Path | None:
    """Return the reference SDK venv's python, creating the venv on first use."""
    python = REFERENCE_VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {REFERENCE_VENV} with {REFERENCE} ...", file=sys.stderr)
        venv.create(REFERENCE_VENV, with_pip=True)
        result = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", REFERENCE], capture_output=True, text=True
        )
        if result.returncode != 0:
            print(f"reference SDK unavailable: {result.stderr[-500:]}", file=sys.stderr)
            return None
    return python


_RESPONSE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
    + f"content-length: {len(TOPOLOGY)}\r\n\r\n".encode()
    + TOPOLOGY
)


class _TopologyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real gateway

    def setup(self) -> None:
        super().setup()
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(TOPOLOGY)))
        self.end_headers()
        self.wfile.write(TOPOLOGY)

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve_forever(port: int) -> None:
    """Serve ``GET *`` with a topology document on loopback (run in a child process)."""
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})  # clients that pin themselves use CPU 0
    ThreadingHTTPServer(("127.0.0.1", port), _TopologyHandler).serve_forever()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[subprocess.Popen[bytes], int]:
    """Start the topology server in its own process (its CPU is not the client's)."""
    port = free_port()
    code = f"from benchmarks._common import serve_forever; serve_forever({port})"
    proc = subprocess.Popen(
        [sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("benchmark server did not start")
