"""Run Prism, a third-party mock server, against the Camunda REST API spec.

Prism (``@stoplight/prism-cli``) serves example responses for every operation of
an OpenAPI document and validates each request against it, reporting what it
finds in the ``sl-violations`` response header. The SDK's conformance tests and
the README's quickstart (when ``CAMUNDA_REST_ADDRESS`` is unset) use it.

Everything lands in ``.tools/`` (git-ignored):

- ``.tools/prism/``: the npm installation (installed once, then reused);
- ``.tools/prism/spec-v2.json``: a copy of the spec whose paths carry the ``/v2``
  prefix, because Prism ignores the base path of the spec's ``servers`` (a spec
  named by ``CAMUNDA_SPEC`` gets its own ``spec-v2-<hash>.json``).

The spec itself stays outside the repository: ``../shared/spec/main/rest-api.bundle.json``
relative to the repository root, or the file named by ``CAMUNDA_SPEC``.

Usage::

    python scripts/prism.py install            # npm install + spec copy
    python scripts/prism.py serve --port 4010  # then CAMUNDA_REST_ADDRESS=http://127.0.0.1:4010/v2
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "PRISM_VERSION",
    "PrismError",
    "ensure_prism",
    "free_port",
    "prism_executable",
    "spec_path",
    "start_prism",
    "stop_prism",
    "write_v2_spec",
]

PRISM_VERSION = "5.16.0"
REPO_ROOT = Path(__file__).resolve().parent.parent
TOOLS_DIR = REPO_ROOT / ".tools" / "prism"
V2_SPEC = TOOLS_DIR / "spec-v2.json"
DEFAULT_SPEC = REPO_ROOT.parent / "shared" / "spec" / "main" / "rest-api.bundle.json"
READY_LINE = "Prism is listening"


class PrismError(RuntimeError):
    """Prism could not be installed or did not start."""


def spec_path() -> Path:
    """Return the spec to mock: ``$CAMUNDA_SPEC`` or the shared main bundle."""
    override = os.environ.get("CAMUNDA_SPEC")
    if override:
        return Path(override).expanduser().resolve()
    return DEFAULT_SPEC.resolve()


def prism_executable(tools_dir: Path = TOOLS_DIR) -> Path:
    """Return where npm puts the ``prism`` launcher inside ``tools_dir``."""
    return tools_dir / "node_modules" / ".bin" / "prism"


def _installed_version(tools_dir: Path) -> str | None:
    manifest = tools_dir / "node_modules" / "@stoplight" / "prism-cli" / "package.json"
    try:
        return str(json.loads(manifest.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def ensure_prism(tools_dir: Path = TOOLS_DIR) -> Path:
    """Install ``@stoplight/prism-cli`` into ``tools_dir`` unless it is already there.

    Returns the path of the ``prism`` launcher. Raises :class:`PrismError` when npm
    is missing or the install fails.
    """
    exe = prism_executable(tools_dir)
    if exe.exists() and _installed_version(tools_dir) == PRISM_VERSION:
        return exe
    npm = shutil.which("npm")
    if npm is None:
        raise PrismError("npm is not installed; Prism needs Node.js and npm")
    tools_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        npm, "install", "--no-audit", "--no-fund", "--prefix", str(tools_dir),
        f"@stoplight/prism-cli@{PRISM_VERSION}",
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not exe.exists():
        raise PrismError(f"npm install failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return exe


def _own_servers(item: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The ``servers`` a path item (or one of its operations) overrides, if any."""
    if "servers" in item:
        return list(item["servers"])
    for op in item.values():
        if isinstance(op, dict) and "servers" in op:
            return list(op["servers"])
    return None


def _without_servers(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: v for k, v in node.items() if k != "servers"}
    return node


def v2_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of ``spec`` laid out for Prism, which ignores the servers' base paths.

    Every path is prefixed by ``/v2`` (the base path of the spec's servers) and the
    servers are set to ``/``. Paths that override ``servers`` with a root URL (the
    cluster administration endpoints, ``/cluster/v2/...``) are served at the root,
    as a real cluster does; their server overrides are dropped.
    """
    out = dict(spec)
    paths: dict[str, Any] = {}
    for path, item in spec["paths"].items():
        own = _own_servers(item)
        if own is None or any(s.get("url", "").rstrip("/").endswith("/v2") for s in own):
            prefix = "/v2"
        else:
            prefix = ""
        if own is not None:
            item = {k: _without_servers(v) for k, v in item.items() if k != "servers"}
        paths[prefix + path] = item
    out["paths"] = paths
    out["servers"] = [{"url": "/"}]
    return out


def _default_target(source: Path) -> Path:
    """``spec-v2.json`` for the shared main bundle; its own file for any other spec."""
    if source.resolve() == DEFAULT_SPEC.resolve():
        return V2_SPEC
    tag = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:12]
    return TOOLS_DIR / f"spec-v2-{tag}.json"


def _source_stamp(source: Path) -> str:
    """What the copy was made from: the spec's path, size and mtime, and this script's."""
    spec_stat, script_stat = source.stat(), Path(__file__).stat()
    return json.dumps(
        [str(source.resolve()), spec_stat.st_size, spec_stat.st_mtime_ns, script_stat.st_mtime_ns]
    )


def write_v2_spec(source: Path | None = None, target: Path | None = None) -> Path:
    """Write the ``/v2``-prefixed copy of ``source`` (default: :func:`spec_path`).

    The copy of the shared main bundle is ``.tools/prism/spec-v2.json``; a spec named
    by ``CAMUNDA_SPEC`` gets a file of its own, so switching specs never serves a
    stale copy. A copy is rewritten whenever its spec's path, size or mtime changed.
    """
    source = source or spec_path()
    if not source.exists():
        raise PrismError(f"spec not found at {source} (set CAMUNDA_SPEC)")
    target = target or _default_target(source)
    stamp = target.with_name(target.name + ".source")
    wanted = _source_stamp(source)
    try:
        if target.exists() and stamp.read_text(encoding="utf-8") == wanted:
            return target
    except OSError:
        pass
    spec = json.loads(source.read_text(encoding="utf-8"))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(v2_spec(spec)), encoding="utf-8")
    tmp.replace(target)
    stamp.write_text(wanted, encoding="utf-8")
    return target


def free_port() -> int:
    """Return a TCP port on the loopback interface that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_prism(
    port: int,
    *,
    timeout: float = 60.0,
    spec: Path | None = None,
    extra_args: Sequence[str] = (),
) -> subprocess.Popen[str]:
    """Install Prism if needed, start ``prism mock`` on ``127.0.0.1:port`` and wait until ready.

    ``extra_args`` go to ``prism mock`` (e.g. ``["-d", "--seed", "x"]`` for generated data).

    Readiness is the line ``Prism is listening`` on Prism's output. The process
    keeps running after this returns (its output is drained in a daemon thread);
    stop it with :func:`stop_prism`. Raises :class:`PrismError` with the captured
    output when Prism exits or stays silent for ``timeout`` seconds.
    """
    exe = ensure_prism()
    spec_file = write_v2_spec(spec) if spec is not None else write_v2_spec()
    cmd = [
        str(exe),
        "mock",
        *extra_args,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        str(spec_file),
    ]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        bufsize=1,
        start_new_session=True,  # Prism's node children go down with the group
    )
    lines: list[str] = []
    ready = threading.Event()

    def drain() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if len(lines) < 2000:
                lines.append(line)
            if READY_LINE in line:
                ready.set()
        ready.set()  # EOF: the process ended; the waiter checks which

    threading.Thread(target=drain, name=f"prism-{port}", daemon=True).start()
    deadline = time.monotonic() + timeout
    try:
        while not ready.wait(0.1):
            if time.monotonic() > deadline:
                raise PrismError(f"Prism not ready after {timeout:.0f} s:\n{''.join(lines)}")
        if not any(READY_LINE in line for line in lines):
            raise PrismError(f"Prism exited with {proc.poll()}:\n{''.join(lines)}")
    except BaseException:  # also an interrupt: never leave Prism running behind
        stop_prism(proc)
        raise
    return proc


def stop_prism(proc: subprocess.Popen[str], timeout: float = 10.0) -> None:
    """Terminate a Prism process started by :func:`start_prism` (its whole process group)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            proc.kill()
        proc.wait(timeout)


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``install`` or ``serve [--port N]``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install", help="install Prism and write the /v2 spec copy")
    serve = sub.add_parser("serve", help="run the mock server until interrupted")
    serve.add_argument("--port", type=int, default=4010)
    serve.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for start")
    serve.add_argument(
        "--seed",
        help="answer with data generated from the schemas (numeric keys that later calls"
        " accept) instead of the spec's examples, reproducibly from this seed",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "install":
            print(ensure_prism())
            print(write_v2_spec())
            return 0
        # Prism runs in its own session, so a signal to this process does not reach
        # it: turn SIGTERM/SIGINT/SIGHUP into an exit that stops Prism in ``finally``.
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, _exit_on_signal)
        started = time.monotonic()
        extra = ["-d", "--seed", args.seed] if args.seed else []
        proc = start_prism(args.port, timeout=args.timeout, extra_args=extra)
    except PrismError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(
        f"Prism listening after {time.monotonic() - started:.1f} s; "
        f"CAMUNDA_REST_ADDRESS=http://127.0.0.1:{args.port}/v2 (Ctrl-C to stop)",
        flush=True,
    )
    try:
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop_prism(proc)


if __name__ == "__main__":
    sys.exit(main())
