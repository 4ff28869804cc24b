"""The quickstart as `scripts/quickstart.sh` runs it: the example against the dev cluster.

The script starts `python -m camunda_sdk.devcluster --port 0`, reads the address it
prints, and runs `examples/quickstart.py` with only `CAMUNDA_REST_ADDRESS` and
`CAMUNDA_AUTH_STRATEGY=NONE` set; this test does the same, in fresh interpreters.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = (ROOT / "scripts" / "quickstart.sh").read_text()


@pytest.fixture(scope="module")
def cluster_env() -> Iterator[dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAMUNDA_", "ZEEBE_"))}
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen(
        [sys.executable, "-m", "camunda_sdk.devcluster", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"CAMUNDA_REST_ADDRESS=(\S+)", line)  # what the script reads, too
    assert match is not None, (line, proc.stderr.read() if proc.stderr else "")
    env.update(CAMUNDA_REST_ADDRESS=match.group(1), CAMUNDA_AUTH_STRATEGY="NONE")
    try:
        yield env
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


def test_the_script_starts_the_dev_cluster_unless_an_address_is_set() -> None:
    assert "python -m camunda_sdk.devcluster --port 0" in SCRIPT
    assert "CAMUNDA_REST_ADDRESS=\\([^ ]*\\)" in SCRIPT  # the line the cluster prints
    assert 'if [ -n "${CAMUNDA_REST_ADDRESS:-}" ]; then' in SCRIPT
    assert "prism" not in SCRIPT.lower() and "node" not in SCRIPT.lower()


def test_quickstart_runs_an_order_to_completion(cluster_env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "examples/quickstart.py"],
        cwd=ROOT,
        env=cluster_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "cluster: gateway 8.10.0-dev" in out
    deployed = re.search(r"deployed order-process version (\d+) \(key (\d+)\)", out)
    started = re.search(r"started process instance (\d+)", out)
    assert deployed and started, out
    key = started.group(1)
    assert re.search(r"worker: charging 42 for order A-17 \(job \d+\)", out), out
    assert f"process instance {key}: COMPLETED" in out
    assert out.splitlines()[-3:] == ["  amount = 42", "  charged = true", '  orderId = "A-17"']
    assert result.stderr == ""
