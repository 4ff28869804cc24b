"""Integration fixtures: a Prism mock server for the whole session.

``prism_url`` installs Prism on first use (``scripts/prism.py``), starts it on a
free loopback port and yields ``http://127.0.0.1:PORT/v2``. Tests that use it
are skipped only when Prism is not installed and npm is missing.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
_STATS: dict[str, Any] = {}


def _load_prism_script() -> ModuleType:
    """Import ``scripts/prism.py`` (``scripts`` is not a package)."""
    name = "camunda_sdk_prism_script"
    module = sys.modules.get(name)
    if module is not None:
        return module
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "scripts" / "prism.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def prism_url() -> Iterator[str]:
    """Base URL (``http://127.0.0.1:PORT/v2``) of a Prism mock of the main spec."""
    prism = _load_prism_script()
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
