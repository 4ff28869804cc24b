"""Third-party plugins packaged with an entry point are discovered at construction.

Installs the two example plugin packages of ``examples/plugins/`` into a fresh
temporary venv (which sees camunda_sdk and its dependencies through a .pth
file) and checks, in that venv, that a client picks them up, that
``CAMUNDA_SDK_DISABLE_PLUGINS`` turns one off, and that the order is documented.
"""

from __future__ import annotations

import json
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, sys, httpx
from camunda_sdk import CamundaClient

seen = {}
def answer(request):
    seen.update(request.headers)
    return httpx.Response(200, json={"brokers": [], "clusterSize": 1})

config = json.loads(sys.argv[1])
client = CamundaClient(config, environ={}, transport=httpx.MockTransport(answer))
client.get_topology()
names = [name for name, _ in client.plugin_manager.list_name_plugin()]
result = {"x-team": seen.get("x-team"), "x-api-key": seen.get("x-api-key"), "plugins": names}
print(json.dumps(result))
"""


@pytest.fixture(scope="module")
def plugin_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("plugin-venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    # The new venv borrows camunda_sdk (editable: its src folder) and its dependencies.
    ours = [sysconfig.get_paths()["purelib"], *site.getsitepackages(), str(ROOT / "src")]
    (Path(purelib) / "_camunda_dev.pth").write_text("\n".join(dict.fromkeys(ours)) + "\n")
    packages = [
        str(ROOT / "examples/plugins" / name)
        for name in ("camunda-team-header", "camunda-api-key-auth")
    ]
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", *packages],
        check=True, capture_output=True, text=True, cwd=venv,
    )  # fmt: skip
    return python


def probe(python: Path, config: dict[str, str]) -> dict[str, object]:
    out = subprocess.run(
        [str(python), "-c", PROBE, json.dumps(config)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


BASE = {"CAMUNDA_REST_ADDRESS": "http://camunda.test", "CAMUNDA_TEAM": "payments"}


def test_installed_plugins_are_picked_up(plugin_venv: Path) -> None:
    config = {**BASE, "CAMUNDA_AUTH_STRATEGY": "API_KEY", "CAMUNDA_API_KEY": "k-123"}
    result = probe(plugin_venv, config)
    assert result["x-team"] == "payments"
    assert result["x-api-key"] == "k-123"
    names = result["plugins"]
    assert isinstance(names, list)
    # Built-ins first (innermost), then entry points sorted by name.
    assert names.index("transport") < names.index("tracing") < names.index("api-key-auth")
    assert names.index("api-key-auth") < names.index("team-header")


def test_disable_plugins_by_name(plugin_venv: Path) -> None:
    result = probe(plugin_venv, {**BASE, "CAMUNDA_SDK_DISABLE_PLUGINS": "team-header"})
    assert result["x-team"] is None
    assert "team-header" not in result["plugins"]  # type: ignore[operator]


def test_plugins_absent_from_an_environment_without_them() -> None:
    result = probe(Path(sys.executable), BASE)
    assert result["x-team"] is None
