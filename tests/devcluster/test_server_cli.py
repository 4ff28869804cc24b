"""`python -m camunda_sdk.devcluster` in a child process: the line it prints, signals."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _start(*args: str) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "camunda_sdk.devcluster", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"listening on (http://127\.0\.0\.1:\d+/v2)", line)
    if match is None:
        proc.kill()
        raise AssertionError(f"unexpected first line {line!r}; stderr: {proc.stderr.read()}")
    assert "CAMUNDA_REST_ADDRESS=http://127.0.0.1:" in line
    return proc, match.group(1)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_serves_and_stops_cleanly_on_signals(sig: signal.Signals) -> None:
    proc, url = _start("--indexing-lag-ms", "0")
    try:
        assert httpx.get(url + "/topology").json()["gatewayVersion"] == "8.10.0-dev"
        started = time.monotonic()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err
        assert time.monotonic() - started < 5
        assert "stopped" in out
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_refuses_a_busy_port() -> None:
    proc, url = _start()
    try:
        port = url.rsplit(":", 1)[1].split("/")[0]
        env = {**os.environ, "PYTHONPATH": SRC}
        busy = subprocess.run(
            [sys.executable, "-m", "camunda_sdk.devcluster", "--port", port],
            capture_output=True,
            text=True,
            env=env,
            timeout=20,
        )
        assert busy.returncode == 1
        assert "cannot listen" in busy.stderr
    finally:
        proc.terminate()
        proc.wait(10)


def test_cli_help_names_the_options() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "camunda_sdk.devcluster", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": SRC},
        timeout=20,
    ).stdout
    for option in ("--host", "--port", "--indexing-lag-ms", "--log-level", "--max-body-bytes"):
        assert option in out
