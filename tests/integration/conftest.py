"""Integration fixtures: a Prism mock server for the whole session.

``prism_url`` installs Prism on first use (``scripts/prism.py``), starts it on a
free loopback port and yields ``http://127.0.0.1:PORT/v2``. Tests that use it
are skipped only when Prism is not installed and npm is missing.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes.prism import load_prism_script

REPO_ROOT = Path(__file__).resolve().parents[2]
_STATS: dict[str, Any] = {}


@pytest.fixture(scope="session")
def prism_url() -> Iterator[str]:
    """Base URL (``http://127.0.0.1:PORT/v2``) of a Prism mock of the main spec."""
    prism = load_prism_script()
    if not prism.prism_executable().exists() and shutil.which("npm") is None:
        pytest.skip("Prism tests need npm (Node.js) to install @stoplight/prism-cli")
    started = time.monotonic()
    prism.ensure_prism()
    installed = time.monotonic()
    port = prism.free_port()
    proc = prism.start_prism(port)
    ready = time.monotonic()
    _STATS.update(install=installed - started, start=ready - installed, port=port)
    try:
        yield f"http://127.0.0.1:{port}/v2"
    finally:
        prism.stop_prism(proc)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Report how long Prism took to install and start."""
    if _STATS:
        terminalreporter.write_line(
            f"prism: install/check {_STATS['install']:.1f} s, "
            f"start {_STATS['start']:.1f} s (port {_STATS['port']})"
        )
