"""`python -m camunda_sdk.devcluster`: serve the dev cluster until Ctrl+C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import signal
import sys
from collections.abc import Sequence

from .cluster import DEFAULT_INDEXING_LAG_MS, DevCluster
from .server import DEFAULT_MAX_BODY_BYTES


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m camunda_sdk.devcluster",
        description="An in-memory Camunda Orchestration Cluster REST API for development "
        "and tests (not for production).",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, loopback only)"
    )
    parser.add_argument(
        "--port", type=int, default=8080, help="port to listen on; 0 picks a free one (8080)"
    )
    parser.add_argument(
        "--indexing-lag-ms",
        type=float,
        default=DEFAULT_INDEXING_LAG_MS,
        help="how long searches and gets trail writes, in milliseconds "
        f"(default: {DEFAULT_INDEXING_LAG_MS}; 0: at once)",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=DEFAULT_MAX_BODY_BYTES,
        help=f"largest request body accepted (default: {DEFAULT_MAX_BODY_BYTES})",
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log level of the dev cluster's log on stderr (DEBUG logs each request)",
    )
    return parser


async def _serve(cluster: DevCluster) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Windows has no loop signal handlers: Ctrl+C raises KeyboardInterrupt there.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with cluster:
        print(
            f"Camunda dev cluster listening on {cluster.api_url} - point the SDK at it with "
            f"CAMUNDA_REST_ADDRESS={cluster.address} (Ctrl+C stops it)",
            flush=True,
        )
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the dev cluster in the foreground; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, args.log_level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # The cluster holds every record in memory, so the collector's older-generation passes
    # over them grow with the state (a 10,000-instance run lost a quarter of its speed to
    # them). Collect less often; this process is the cluster's alone.
    gc.set_threshold(100_000, 50, 1000)
    if args.indexing_lag_ms < 0:
        print("--indexing-lag-ms must be 0 or more", file=sys.stderr)
        return 2
    cluster = DevCluster(
        host=args.host,
        port=args.port,
        indexing_lag_ms=args.indexing_lag_ms,
        max_body_bytes=args.max_body_bytes,
    )
    try:
        asyncio.run(_serve(cluster))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print("Camunda dev cluster stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
