"""Worker health for operators: what each worker is doing, and an optional HTTP probe.

``worker.health()`` and ``client.workers_health()`` return :class:`WorkerHealth`.
With ``CAMUNDA_WORKER_HEALTH_PORT`` set, ``run_workers()`` also serves, on that
port of every interface (``CAMUNDA_WORKER_HEALTH_HOST`` narrows it):

- ``GET /live``: 200 while the workers run (the event loop answers at all);
- ``GET /ready``: 200 when every worker is polling (not backing off, stopping
  or stopped), 503 otherwise; both with the workers' health as JSON.

It is deliberately tiny (stdlib asyncio streams, one request per connection):
a probe for Kubernetes or a load balancer, not a web server.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

import attrs

from ..plugins.workers import HEALTH_HOST, HEALTH_PORT

if TYPE_CHECKING:
    from ..log import BoundLogger
    from ..settings import CamundaConfig

__all__ = ["HealthServer", "WorkerHealth", "WorkerState", "serve_health"]

WorkerState = Literal["polling", "backing off", "stopping", "stopped"]


@attrs.frozen
class WorkerHealth:
    """A snapshot of one worker.

    Attributes:
        job_type: the job type the worker polls for.
        state: ``polling`` (healthy), ``backing off`` (activations fail),
            ``stopping`` (draining) or ``stopped``.
        last_successful_poll: when an activation last succeeded (epoch seconds), or None.
        consecutive_errors: activations failed in a row since the last success.
        in_flight: jobs being handled or reported.
        free_capacity: jobs the worker could take on now.
    """

    job_type: str
    state: WorkerState
    last_successful_poll: float | None
    consecutive_errors: int
    in_flight: int
    free_capacity: int

    @property
    def ready(self) -> bool:
        """Whether the worker is polling normally."""
        return self.state == "polling"

    def to_dict(self) -> dict[str, object]:
        """The snapshot as JSON-ready data."""
        return attrs.asdict(self)


class HealthServer:
    """Answers ``/live`` and ``/ready`` from ``snapshot()`` on ``host:port``."""

    def __init__(
        self, snapshot: Callable[[], Sequence[WorkerHealth]], port: int, host: str = ""
    ) -> None:
        self._snapshot = snapshot
        self._port = port
        self._host = host or None
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        """The port it listens on (the one the OS chose when asked for 0)."""
        assert self._server is not None and self._server.sockets
        return self._server.sockets[0].getsockname()[1]

    async def start(self) -> None:
        """Listen (on the running loop)."""
        self._server = await asyncio.start_server(self._serve, self._host, self._port)

    async def close(self) -> None:
        """Stop listening."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            method, target, *_ = request.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
            path = target.split("?", 1)[0]
            workers = list(self._snapshot())
            body = {"workers": [w.to_dict() for w in workers]}
            if method != "GET" or path not in ("/live", "/ready"):
                status, body = 404, {"error": "try GET /live or GET /ready"}
            elif path == "/ready":
                ready = bool(workers) and all(w.ready for w in workers)
                status = 200 if ready else 503
            else:
                status = 200
            payload = json.dumps({"status": status, **body}).encode()
            reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
            writer.write(
                f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
                f"content-length: {len(payload)}\r\nconnection: close\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass  # a probe that hung up or sent nonsense gets nothing
        finally:
            writer.close()


async def serve_health(
    config: CamundaConfig, snapshot: Callable[[], Sequence[WorkerHealth]], log: BoundLogger
) -> HealthServer | None:
    """Start the probe where ``CAMUNDA_WORKER_HEALTH_PORT`` asks for one (None: not asked)."""
    port = HEALTH_PORT.read(config)
    if port is None:
        return None
    host = HEALTH_HOST.read(config)
    server = HealthServer(snapshot, port, host or "")
    await server.start()
    log.info(f"worker health at http://{host or '*'}:{server.port}/live and /ready")
    return server
