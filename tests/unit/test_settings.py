"""Settings declared by plugins (``camunda_add_settings``): a third party's setting is
resolved, validated, masked and documented exactly like a built-in one."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from fakes import Recorder

from camunda_sdk import CamundaClient, hookimpl
from camunda_sdk.config import (
    CamundaConfig,
    Setting,
    SettingRegistry,
    builtin_settings,
    resolve_config,
)
from camunda_sdk.errors import ConfigurationError
from camunda_sdk.pipeline.manager import PluginError
from camunda_sdk.plugins import retry

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "team-t0ken-Value-77"

TEAM_HEADER: Setting[str] = Setting(
    "CAMUNDA_TEAM_HEADER",
    "choice",
    default="payments",
    choices=("payments", "billing"),
    aliases=("CAMUNDA_TEAM",),
    description="Team named in the x-team header.",
)
TEAM_TOKEN: Setting[str | None] = Setting(
    "CAMUNDA_TEAM_TOKEN", secret=True, description="Token sent in the x-team-token header."
)
TEAM_WEIGHT: Setting[int] = Setting(
    "CAMUNDA_TEAM_WEIGHT",
    "int",
    default=5,
    minimum=1,
    maximum=10,
    description="A bounded number.",
)


class TeamHeader:
    """A third-party plugin that declares its settings and reads them in its stage."""

    name = "team-header"

    @hookimpl
    def camunda_add_settings(self, settings: SettingRegistry) -> None:
        for setting in (TEAM_HEADER, TEAM_TOKEN, TEAM_WEIGHT):
            settings.add(setting)

    @hookimpl(wrapper=True)
    def camunda_call_handler(self, context: Any) -> Any:
        inner = yield
        team = TEAM_HEADER.read(context.config)
        token = context.config.get(TEAM_TOKEN)

        def stage(call: Any) -> Any:
            call.headers["x-team"] = team
            if token:
                call.headers["x-team-token"] = token
            return (yield from inner(call))

        return stage


def client(recorder: Recorder | None = None, environ: Any = None, **config: Any) -> CamundaClient:
    return CamundaClient(
        {"CAMUNDA_REST_ADDRESS": "http://camunda.test", **config},
        plugins=[TeamHeader()],
        environ=environ or {},
        transport=httpx.MockTransport(recorder or Recorder(httpx.Response(200, json={}))),
    )


def load_config_table() -> ModuleType:
    spec = importlib.util.spec_from_file_location("config_table", ROOT / "scripts/config_table.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- a third party's setting -------------------------------------------------------------


def test_third_party_setting_is_resolved_from_environment_and_configuration() -> None:
    environ = {"CAMUNDA_TEAM_HEADER": "billing", "CAMUNDA_TEAM_TOKEN": TOKEN}
    config = client(environ=environ).config
    assert config.get(TEAM_HEADER) == "billing"
    assert config.team_header == "billing"  # attribute access by field name too
    assert config.given_as(TEAM_HEADER) == "CAMUNDA_TEAM_HEADER"
    assert config.get(TEAM_WEIGHT) == 5  # the declared default
    # explicit configuration beats the environment, even through an alias
    config = client(environ=environ, camunda_team="PAYMENTS").config
    assert config.get(TEAM_HEADER) == "payments"
    assert config.given_as(TEAM_HEADER) == "CAMUNDA_TEAM"


def test_third_party_setting_reaches_its_stage() -> None:
    recorder = Recorder(httpx.Response(200, json={}))
    client(recorder, CAMUNDA_TEAM_HEADER="billing", CAMUNDA_TEAM_TOKEN=TOKEN).get_topology()
    headers = recorder.requests[0].headers
    assert (headers["x-team"], headers["x-team-token"]) == ("billing", TOKEN)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("CAMUNDA_TEAM_HEADER", "sales", "one of payments, billing"),
        ("CAMUNDA_TEAM", "sales", "one of payments, billing"),
        ("CAMUNDA_TEAM_WEIGHT", "11", "an integer between 1 and 10"),
        ("CAMUNDA_TEAM_WEIGHT", "heavy", "an integer between 1 and 10"),
    ],
)
def test_third_party_setting_is_validated_naming_the_variable(
    key: str, value: str, expected: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        client(environ={key: value})
    assert info.value.variable == key
    assert f"{key}={value!r} is invalid: expected {expected}" in str(info.value)


def test_third_party_secret_is_masked() -> None:
    config = client(CAMUNDA_TEAM_TOKEN=TOKEN).config
    assert config.get(TEAM_TOKEN) == TOKEN
    for text in (repr(config), str(config), repr(config.redacted())):
        assert TOKEN not in text
    assert config.redacted()["CAMUNDA_TEAM_TOKEN"] == "***"
    assert "team_token='***'" in repr(config)


def test_third_party_setting_appears_in_the_configuration_table() -> None:
    config_table = load_config_table()
    text = config_table.table(client().config.settings)
    rows = text.splitlines()
    row = next(r for r in rows if r.startswith("| `CAMUNDA_TEAM_HEADER`"))
    assert row == (
        "| `CAMUNDA_TEAM_HEADER` | `payments`, `billing` | `payments` | team-header "
        "| Team named in the x-team header. Alias: `CAMUNDA_TEAM`. |"
    )
    assert "| `CAMUNDA_TEAM_TOKEN` | text, secret | — | team-header |" in text
    assert "| `CAMUNDA_TEAM_WEIGHT` | integer 1 to 10 | `5` | team-header |" in text
    # the built-ins' rows come first, the core ones leading
    assert rows[2].startswith("| `CAMUNDA_REST_ADDRESS`")
    assert rows.index(row) > len(builtin_settings()) + 1
    # the script's own way: the settings of built-ins plus the given plugins
    assert config_table.table(builtin_settings(TeamHeader())).count("team-header") == 3


def test_config_table_script_takes_a_plugin_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "team_settings_plugin.py").write_text(
        "from camunda_sdk import hookimpl\n"
        "from camunda_sdk.config import Setting\n\n"
        "@hookimpl\n"
        "def camunda_add_settings(settings):\n"
        "    settings.add(Setting('CAMUNDA_TEAM_ROOM', description='Where the team sits.'))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    load_config_table().main(["--plugin", "team_settings_plugin"])
    out = capsys.readouterr().out
    assert "| `CAMUNDA_TEAM_ROOM` | text | — | team_settings_plugin | Where the team sits. |" in out
    with pytest.raises(SystemExit):
        load_config_table().main(["--write", "--plugin", "team_settings_plugin"])
    sys.modules.pop("team_settings_plugin", None)


# -- declaring -------------------------------------------------------------------------------


class Declares:
    """A plugin declaring the given settings."""

    def __init__(self, name: str, *settings: Setting[Any]) -> None:
        self.name = name
        self.settings = settings

    @hookimpl
    def camunda_add_settings(self, settings: SettingRegistry) -> None:
        for setting in self.settings:
            settings.add(setting)


def test_a_key_declared_twice_names_both_plugins() -> None:
    other = Setting("CAMUNDA_TEAM_HEADER", description="The same key again.")
    with pytest.raises(PluginError) as info:
        CamundaClient(plugins=[TeamHeader(), Declares("copycat", other)], environ={})
    assert info.value.plugin == "copycat"
    assert str(info.value) == (
        "camunda_sdk plugin 'copycat': cannot declare CAMUNDA_TEAM_HEADER: "
        "plugin 'team-header' declares it already"
    )


def test_an_alias_or_field_taken_by_a_builtin_is_a_conflict() -> None:
    alias = Setting("CAMUNDA_MY_ADDRESS", aliases=("ZEEBE_REST_ADDRESS",), description="x")
    with pytest.raises(PluginError, match="ZEEBE_REST_ADDRESS: plugin 'config' declares it"):
        CamundaClient(plugins=[Declares("mine", alias)], environ={})
    # CAMUNDA_SDK_TENANT_ID would be config.tenant_id like CAMUNDA_TENANT_ID
    field = Setting("CAMUNDA_SDK_TENANT_ID", description="x")
    with pytest.raises(PluginError, match=r"config\.tenant_id, as CAMUNDA_TENANT_ID.*'config'"):
        CamundaClient(plugins=[Declares("mine", field)], environ={})
    method = Setting("CAMUNDA_REDACTED", description="x")
    with pytest.raises(PluginError, match=r"would hide CamundaConfig\.redacted"):
        CamundaClient(plugins=[Declares("mine", method)], environ={})


def test_a_failing_or_wrapping_implementation_is_a_plugin_error() -> None:
    class Broken:
        name = "broken"

        @hookimpl
        def camunda_add_settings(self, settings: SettingRegistry) -> None:
            raise KeyError("oops")

    class Wrapping:
        name = "wrapping"

        @hookimpl(wrapper=True)
        def camunda_add_settings(self, settings: SettingRegistry) -> Any:
            return (yield)

    with pytest.raises(PluginError, match="'broken': camunda_add_settings failed: KeyError"):
        CamundaClient(plugins=[Broken()], environ={})
    with pytest.raises(PluginError, match="'wrapping': camunda_add_settings cannot be a wrapper"):
        CamundaClient(plugins=[Wrapping()], environ={})


def test_the_registry_is_closed_after_collection() -> None:
    with pytest.raises(RuntimeError, match="camunda_add_settings"):
        builtin_settings().add(Setting("CAMUNDA_LATE", description="x"))


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"key": "TEAM_HEADER"}, "upper-case CAMUNDA_"),
        ({"key": "CAMUNDA_X", "aliases": ("TEAM",)}, "alias 'TEAM'"),
        ({"key": "CAMUNDA_X", "kind": "color"}, "unknown kind"),
        ({"key": "CAMUNDA_X", "kind": "choice"}, "choices are required"),
        ({"key": "CAMUNDA_X", "choices": ("a",)}, "choices are required"),
        ({"key": "CAMUNDA_X", "minimum": 1}, "minimum/maximum"),
        ({"key": "CAMUNDA_X", "description": ""}, "description"),
    ],
)
def test_a_malformed_declaration_is_refused(kwargs: dict[str, Any], problem: str) -> None:
    kwargs.setdefault("description", "something")
    with pytest.raises(ValueError, match=problem):
        Setting(**kwargs)


def test_convert_normalises_or_rejects_with_what_was_expected() -> None:
    def even(value: int) -> int:
        if value % 2:
            raise ValueError("an even number")
        return value // 2

    half: Setting[int] = Setting("CAMUNDA_HALF", "int", convert=even, description="x")
    plugin = Declares("halves", half)
    assert resolve_config({"CAMUNDA_HALF": 8}, {}, plugin_manager=_pm(plugin)).get(half) == 4
    with pytest.raises(ConfigurationError, match=r"CAMUNDA_HALF='7' is invalid: expected an even"):
        resolve_config({"CAMUNDA_HALF": 7}, {}, plugin_manager=_pm(plugin))


def _pm(*plugins: object) -> Any:
    from camunda_sdk.pipeline.manager import create_plugin_manager
    from camunda_sdk.plugins import BUILTIN_PLUGINS

    return create_plugin_manager(
        builtins=BUILTIN_PLUGINS, plugins=plugins, configuration={}, environ={}
    )


# -- reading ---------------------------------------------------------------------------------


def test_a_plugin_registered_later_reads_its_setting_from_raw() -> None:
    recorder = Recorder(httpx.Response(200, json={}))
    late = CamundaClient(
        {"CAMUNDA_REST_ADDRESS": "http://camunda.test", "CAMUNDA_TEAM": "billing"},
        environ={},
        transport=httpx.MockTransport(recorder),
    )
    late.register_plugin(TeamHeader())
    assert "CAMUNDA_TEAM_HEADER" not in late.config.settings
    assert late.config.get(TEAM_HEADER) == "billing"
    assert late.config.given_as(TEAM_HEADER) == "CAMUNDA_TEAM"
    late.get_topology()
    assert recorder.requests[0].headers["x-team"] == "billing"


def test_a_hand_built_config_and_replace() -> None:
    config = CamundaConfig(retry_max_attempts=2, raw={"CAMUNDA_X": "1"})
    assert config.get(retry.MAX_ATTEMPTS) == 2
    assert config.rest_address == "http://localhost:8080/v2"
    changed = config.replace(retry_max_attempts=3)
    assert (config.retry_max_attempts, changed.retry_max_attempts) == (2, 3)
    assert changed.raw == config.raw
    with pytest.raises(TypeError, match="team_header"):
        CamundaConfig(team_header="billing")
    with pytest.raises(TypeError, match="nope"):
        config.replace(nope=1)


@pytest.mark.filterwarnings("error::camunda_sdk.config.ConfigurationWarning")
def test_a_plugins_declared_keys_are_known_to_the_typo_check() -> None:
    with client(CAMUNDA_TEAM="billing", CAMUNDA_TEAM_TOKEN=TOKEN) as sdk:
        assert sdk.config.team_header == "billing"


def test_a_typo_of_a_plugins_key_gets_a_suggestion() -> None:
    from camunda_sdk.config import ConfigurationWarning

    with (
        pytest.warns(ConfigurationWarning, match="did you mean CAMUNDA_TEAM_HEADER"),
        client(environ={"CAMUNDA_TEAM_HEADRE": "billing"}),
    ):
        pass


def test_the_core_settings_are_attributes_of_the_class_itself() -> None:
    # Declared on CamundaConfig (not found through __getattr__), so type checkers see them.
    from camunda_sdk.settings.core import CORE_SETTINGS, LOG_LEVEL

    config = CamundaConfig(timeout_ms=5)
    for setting in (*CORE_SETTINGS, LOG_LEVEL):
        assert setting.field in vars(CamundaConfig), setting.key
        assert getattr(config, setting.field) == config.get(setting)
    assert config.timeout_ms == 5
