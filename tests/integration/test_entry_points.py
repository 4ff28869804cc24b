"""Third-party plugins packaged with an entry point are discovered at construction.

Installs the example plugin packages of ``examples/plugins/`` into a fresh
temporary venv (which sees camunda_sdk and its dependencies through a .pth
file) and checks, in that venv, that a client picks them up, that
``CAMUNDA_SDK_DISABLE_PLUGINS`` turns one off, that the order is documented,
and that an installed package replaces the default logger while an explicit
``logger=`` still wins.
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
        for name in ("camunda-team-header", "camunda-api-key-auth", "camunda-json-logger")
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


LOGGING_PROBE = r"""
import json, logging, sys, httpx
from camunda_sdk import CamundaClient

config = json.loads(sys.argv[1])
explicit = sys.argv[2] == "explicit"
logging.basicConfig(stream=sys.stdout, level=logging.DEBUG, format="stdlib %(message)s")
answer = lambda request: httpx.Response(200, json={"brokers": [], "clusterSize": 1})
logger = logging.getLogger("app") if explicit else None
client = CamundaClient(
    config, environ={}, transport=httpx.MockTransport(answer), logger=logger
)
client.get_topology()
"""


def logged(
    python: Path, config: dict[str, str], explicit: bool
) -> subprocess.CompletedProcess[str]:
    mode = "explicit" if explicit else "default"
    return subprocess.run(
        [str(python), "-c", LOGGING_PROBE, json.dumps(config), mode],
        check=True, capture_output=True, text=True,
    )  # fmt: skip


def test_an_installed_package_replaces_the_default_logger(plugin_venv: Path) -> None:
    out = logged(plugin_venv, {**BASE, "CAMUNDA_SDK_LOG_LEVEL": "debug"}, explicit=False)
    lines = [json.loads(line) for line in out.stderr.splitlines() if line.startswith("{")]
    assert any(
        line["level"] == "debug" and line["msg"].startswith("getTopology: GET /topology -> 200")
        for line in lines
    ), out.stderr
    assert "| DEBUG" not in out.stderr  # loguru's default format: the default was replaced


def test_an_explicit_logger_wins_over_a_logger_plugin(plugin_venv: Path) -> None:
    out = logged(plugin_venv, {**BASE, "CAMUNDA_SDK_LOG_LEVEL": "debug"}, explicit=True)
    assert "stdlib getTopology: GET /topology -> 200" in out.stdout
    assert not [line for line in out.stderr.splitlines() if line.startswith("{")]


def test_disabling_the_logger_plugin_brings_back_loguru(plugin_venv: Path) -> None:
    config = {
        **BASE,
        "CAMUNDA_SDK_LOG_LEVEL": "debug",
        "CAMUNDA_SDK_DISABLE_PLUGINS": "json-logger",
    }
    out = logged(plugin_venv, config, explicit=False)
    assert "getTopology: GET /topology -> 200" in out.stderr
    assert not [line for line in out.stderr.splitlines() if line.startswith("{")]
