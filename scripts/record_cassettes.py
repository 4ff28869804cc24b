"""Re-record the project's cassettes (``cassettes/test_flows_cassettes/``).

Usage::

    python scripts/record_cassettes.py            # against a Prism mock of the spec
    CAMUNDA_REST_ADDRESS=... python scripts/record_cassettes.py   # against a cluster

Without ``CAMUNDA_REST_ADDRESS`` it installs and starts Prism (see
``scripts/prism.py``) in dynamic mode with a fixed seed, so keys are numeric
strings the spec's path patterns accept, and records with Basic credentials
(Prism enforces the spec's security but checks no password). With
``CAMUNDA_REST_ADDRESS`` set it records against that cluster with the
``CAMUNDA_*`` credentials of the environment.

Either way it runs ``pytest tests/integration/test_flows_cassettes.py
--camunda-record-mode=all``; extra arguments are passed on to pytest (e.g.
``-k topology``). The plugin scrubs credentials before anything is written:
review ``git diff cassettes/`` and commit.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parent.parent
SUITE = "tests/integration/test_flows_cassettes.py"
PRISM_SEED = "camunda"
# Prism checks that credentials are present, not what they are.
RECORDING_USER = "recorder"
RECORDING_PASSWORD = "recording-password-not-a-secret"


def _prism_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "camunda_prism_script", REPO_ROOT / "scripts" / "prism.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def start_dynamic_prism(
    prism: ModuleType, port: int, timeout: float = 90.0
) -> subprocess.Popen[str]:
    """Start ``prism mock -d --seed`` on ``127.0.0.1:port`` and wait for it to listen."""
    return prism.start_prism(port, timeout=timeout, extra_args=["-d", "--seed", PRISM_SEED])


def main(argv: list[str]) -> int:
    """Record the suite; returns pytest's exit code."""
    env = {k: v for k, v in os.environ.items() if k != "CI"}  # CI would mean replay-only
    proc = None
    prism = None
    if not env.get("CAMUNDA_REST_ADDRESS"):
        prism = _prism_script()
        port = prism.free_port()
        print(f"starting Prism (dynamic, seed {PRISM_SEED!r}) on port {port} ...", flush=True)
        proc = start_dynamic_prism(prism, port)
        for key in list(env):
            if key.startswith(("CAMUNDA_", "ZEEBE_")):
                del env[key]  # record exactly what the committed cassettes hold
        env.update(
            CAMUNDA_REST_ADDRESS=f"http://127.0.0.1:{port}/v2",
            CAMUNDA_AUTH_STRATEGY="BASIC",
            CAMUNDA_BASIC_AUTH_USERNAME=RECORDING_USER,
            CAMUNDA_BASIC_AUTH_PASSWORD=RECORDING_PASSWORD,
        )
    else:
        print(f"recording against {env['CAMUNDA_REST_ADDRESS']}", flush=True)
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        SUITE,
        "--camunda-record-mode=all",
        "-p",
        "no:randomly",
        *argv,
    ]
    try:
        return subprocess.run(cmd, cwd=REPO_ROOT, env=env, check=False).returncode
    finally:
        if proc is not None and prism is not None:
            prism.stop_prism(proc)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
