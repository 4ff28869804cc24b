"""The README's examples, run as written against the quickstart's Prism mock.

``scripts/quickstart.sh`` serves the spec with Prism generating answers from the
schemas under a fixed seed; this module starts Prism the same way and runs the
README's blocks and the examples in fresh interpreters, from the checkout, with
only the quickstart's ``CAMUNDA_*`` settings in the environment.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.prism import load_prism_script

pytestmark = pytest.mark.prism

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def readme_block(containing: str) -> str:
    """The README's one ```python block that contains ``containing``."""
    blocks = re.findall(r"^```python\n(.*?)^```$", README, flags=re.MULTILINE | re.DOTALL)
    (block,) = [b for b in blocks if containing in b]
    return block


@pytest.fixture(scope="module")
def quickstart_env() -> Iterator[dict[str, str]]:
    """The environment ``scripts/quickstart.sh`` gives the example, around its own Prism."""
    prism = load_prism_script()
    if not prism.prism_executable().exists() and shutil.which("npm") is None:
        pytest.skip("needs npm (Node.js) to install @stoplight/prism-cli")
    port = prism.free_port()
    proc = prism.start_prism(port, extra_args=["-d", "--seed", "quickstart"])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAMUNDA_", "ZEEBE_"))}
    env.update(
        CAMUNDA_REST_ADDRESS=f"http://127.0.0.1:{port}/v2",
        CAMUNDA_AUTH_STRATEGY="BASIC",
        CAMUNDA_BASIC_AUTH_USERNAME="demo",
        CAMUNDA_BASIC_AUTH_PASSWORD="demo",
    )
    try:
        yield env
    finally:
        prism.stop_prism(proc)


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_first_example_is_refused_at_the_deployment_only(quickstart_env: dict[str, str]) -> None:
    """What the README says: Prism refuses the upload, for a reason no client can fix."""
    driver = (
        "import sys\n"
        "from camunda_sdk.errors import BadRequestError\n"
        "try:\n"
        "    exec(compile(sys.argv[1], 'README.md', 'exec'), {'__name__': '__main__'})\n"
        "except BadRequestError as error:\n"
        "    print(error.operation_id, error.headers.get('sl-violations'))\n"
    )
    block = readme_block('deploy_resources_from_files(["examples/order.bpmn"])')
    result = subprocess.run(
        [sys.executable, "-c", driver, block],
        cwd=ROOT,
        env=quickstart_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    operation, violations = result.stdout.strip().split(" ", 1)
    assert operation == "createDeployment"
    requests = [v for v in json.loads(violations) if v["location"][0] == "request"]
    assert [v["message"] for v in requests] == ["Request body property resources must be array"]


def test_mock_variant_of_the_first_example_runs(quickstart_env: dict[str, str]) -> None:
    block = readme_block("search_process_definitions")
    assert "cancel_process_instance" in block
    result = run_python(block, quickstart_env)
    assert result.returncode == 0, result.stderr


def interrupt_worker(code: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run a worker, send SIGINT (Ctrl+C) once it has asked for jobs, return its exit."""
    proc = subprocess.Popen(
        [sys.executable, *code],
        cwd=ROOT,
        env={**env, "CAMUNDA_SDK_LOG_LEVEL": "debug"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    polled = threading.Event()
    err: list[str] = []

    def drain() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            err.append(line)
            if "activateJobs" in line:  # the debug line of an activation call
                polled.set()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        polled.wait(20)
        time.sleep(0.3)  # let jobs from the first activation be in flight
        proc.send_signal(signal.SIGINT)
        out = proc.stdout.read()
        status = proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(5)
    return status, out, "".join(err)


@pytest.mark.parametrize("example", ["README", "examples/worker.py"])
def test_worker_examples_stop_on_ctrl_c_without_a_traceback(
    example: str, quickstart_env: dict[str, str]
) -> None:
    code = ["-c", readme_block("run_workers()")] if example == "README" else [example]
    returncode, out, err = interrupt_worker(code, quickstart_env)
    assert "activateJobs" in err, "the worker never polled"
    assert "Traceback" not in err, err[-2000:]
    assert "KeyboardInterrupt" not in err
    assert returncode == 0
    if example != "README":
        assert out.splitlines()[-1] == "stopped"
