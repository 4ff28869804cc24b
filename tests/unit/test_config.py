"""Unit tests of camunda_sdk.config with the built-in plugins' settings: sources,
precedence, parsing, cross-setting rules and secrecy. The declaration machinery
itself (third-party settings, conflicts, the README table) is in test_settings.py."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import attrs
import pytest

from camunda_sdk import CamundaClient
from camunda_sdk.config import (
    CamundaConfig,
    ConfigurationWarning,
    builtin_settings,
    resolve_config,
    resolve_settings,
)
from camunda_sdk.errors import ConfigurationError
from camunda_sdk.plugins import BUILTIN_PLUGINS, auth, retry

SECRET = "s3cr3t-Value-42"
PASSWORD = "pa55-Word-99"


def write_env(path: Path, **values: str) -> Path:
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
    return path


# --- defaults and the settings table -------------------------------------------------


def test_zero_config_defaults() -> None:
    config = resolve_config(environ={})
    assert config.rest_address == "http://localhost:8080/v2"
    assert config.auth_strategy == "NONE"
    assert config.oauth_url == "https://login.cloud.camunda.io/oauth/token"
    assert config.token_audience == "zeebe.camunda.io"
    assert config.log_level == "error"
    assert config.backpressure_profile == "BALANCED"
    assert config.retry_max_attempts == 4
    assert config.retry_initial_delay_ms == 100
    assert config.retry_max_delay_ms == 5000
    assert config.timeout_ms == 30000
    assert config.tracing is True
    assert config.token_disk_cache_disable is False
    assert config.plugins == ()
    assert config.disable_plugins == ()
    assert config.tenant_id is None
    assert config.worker_timeout is None
    assert dict(config.raw) == {}


def test_resolved_defaults_match_a_hand_built_config() -> None:
    # Built by hand, the strategy is left unsettled: the auth plugin settles it.
    assert CamundaConfig().auth_strategy is None
    assert resolve_config(environ={}) == CamundaConfig(auth_strategy="NONE")


def test_every_builtin_plugin_with_settings_declares_its_own() -> None:
    settings = builtin_settings()
    owners = {s.key: settings.plugin_of(s) for s in settings}
    assert owners["CAMUNDA_REST_ADDRESS"] == "config"
    assert owners["CAMUNDA_SDK_PLUGINS"] == "config"
    assert owners["CAMUNDA_AUTH_STRATEGY"] == "auth"
    assert owners["CAMUNDA_CLIENT_SECRET"] == "oauth"
    assert owners["CAMUNDA_SDK_BACKPRESSURE_MAX_LIMIT"] == "backpressure"
    assert owners["CAMUNDA_SDK_LOG_LEVEL"] == "logging"
    assert owners["CAMUNDA_SDK_RETRY_MAX_ATTEMPTS"] == "retry"
    assert owners["CAMUNDA_SDK_TRACING"] == "tracing"
    assert owners["CAMUNDA_WORKER_TIMEOUT"] == "workers"
    # core first, then the plugins in registration order
    order = [name for name, _ in BUILTIN_PLUGINS if name in owners.values()]
    order.remove("config")
    assert list(dict.fromkeys(owners.values())) == ["config", *order]


def test_every_setting_is_an_attribute() -> None:
    config = resolve_config(environ={})
    for setting in config.settings:
        assert getattr(config, setting.field) == config.get(setting)
    with pytest.raises(AttributeError):
        config.no_such_setting  # noqa: B018


# --- sources and precedence ----------------------------------------------------------


def test_precedence_dotenv_below_env_below_explicit(tmp_path: Path) -> None:
    envfile = write_env(
        tmp_path / "dev.env",
        CAMUNDA_TENANT_ID="from-dotenv",
        CAMUNDA_WORKER_NAME="from-dotenv",
        CAMUNDA_TOKEN_SCOPE="from-dotenv",
    )
    environ = {
        "CAMUNDA_LOAD_ENVFILE": str(envfile),
        "CAMUNDA_TENANT_ID": "from-env",
        "CAMUNDA_WORKER_NAME": "from-env",
    }
    config = resolve_config({"CAMUNDA_TENANT_ID": "from-explicit"}, environ=environ)
    assert config.tenant_id == "from-explicit"
    assert config.worker_name == "from-env"
    assert config.token_scope == "from-dotenv"
    assert config.raw["CAMUNDA_TENANT_ID"] == "from-explicit"
    assert config.raw["CAMUNDA_TOKEN_SCOPE"] == "from-dotenv"


def test_environ_is_not_modified(tmp_path: Path) -> None:
    envfile = write_env(tmp_path / ".env", CAMUNDA_TENANT_ID="t")
    environ = {"CAMUNDA_LOAD_ENVFILE": str(envfile)}
    resolve_config(environ=environ)
    assert environ == {"CAMUNDA_LOAD_ENVFILE": str(envfile)}


def test_dotenv_ignored_without_load_envfile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_env(tmp_path / ".env", CAMUNDA_TENANT_ID="from-dotenv")
    monkeypatch.chdir(tmp_path)
    assert resolve_config(environ={}).tenant_id is None


@pytest.mark.parametrize("flag", ["true", "1", "yes", "TRUE"])
def test_load_envfile_true_reads_cwd_dotenv(
    flag: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_env(tmp_path / ".env", CAMUNDA_TENANT_ID="from-dotenv")
    monkeypatch.chdir(tmp_path)
    assert resolve_config(environ={"CAMUNDA_LOAD_ENVFILE": flag}).tenant_id == "from-dotenv"


@pytest.mark.parametrize("flag", ["false", "0", "no", ""])
def test_load_envfile_false_reads_nothing(
    flag: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_env(tmp_path / ".env", CAMUNDA_TENANT_ID="from-dotenv")
    monkeypatch.chdir(tmp_path)
    assert resolve_config(environ={"CAMUNDA_LOAD_ENVFILE": flag}).tenant_id is None


def test_load_envfile_explicit_path_and_explicit_flag(tmp_path: Path) -> None:
    envfile = write_env(tmp_path / "custom.env", CAMUNDA_TENANT_ID="custom")
    config = resolve_config({"CAMUNDA_LOAD_ENVFILE": str(envfile)}, environ={})
    assert config.tenant_id == "custom"


def test_load_envfile_explicit_overrides_environ_flag(tmp_path: Path) -> None:
    envfile = write_env(tmp_path / "custom.env", CAMUNDA_TENANT_ID="custom")
    config = resolve_config(
        {"CAMUNDA_LOAD_ENVFILE": "false"}, environ={"CAMUNDA_LOAD_ENVFILE": str(envfile)}
    )
    assert config.tenant_id is None


def test_load_envfile_expands_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    write_env(tmp_path / "dev.env", CAMUNDA_TENANT_ID="home")
    config = resolve_config(environ={"CAMUNDA_LOAD_ENVFILE": "~/dev.env"})
    assert config.tenant_id == "home"


def test_load_envfile_missing_file_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "nope.env"
    assert resolve_config(environ={"CAMUNDA_LOAD_ENVFILE": str(missing)}).tenant_id is None
    assert resolve_config(environ={"CAMUNDA_LOAD_ENVFILE": "true"}).tenant_id is None


def test_dotenv_keys_outside_the_prefixes_are_not_kept(tmp_path: Path) -> None:
    envfile = write_env(tmp_path / ".env", OTHER_VAR="x", CAMUNDA_TENANT_ID="t")
    config = resolve_config(environ={"CAMUNDA_LOAD_ENVFILE": str(envfile)})
    assert "OTHER_VAR" not in config.raw


def test_environment_keys_outside_the_prefixes_are_ignored() -> None:
    config = resolve_config(environ={"PATH": "/bin", "ZEEBE_GATEWAY": "x"})
    assert "PATH" not in config.raw
    assert config.raw["ZEEBE_GATEWAY"] == "x"


def test_empty_value_counts_as_unset_and_explicit_empty_clears() -> None:
    config = resolve_config({"CAMUNDA_TENANT_ID": ""}, environ={"CAMUNDA_TENANT_ID": "env"})
    assert config.tenant_id is None
    assert resolve_config(environ={"CAMUNDA_SDK_LOG_LEVEL": "  "}).log_level == "error"


def test_explicit_none_means_not_given() -> None:
    config = resolve_config({"CAMUNDA_TENANT_ID": None}, environ={"CAMUNDA_TENANT_ID": "env"})
    assert config.tenant_id == "env"


def test_unknown_camunda_keys_are_kept_in_raw() -> None:
    with pytest.warns(ConfigurationWarning, match="CAMUNDA_MY_PLUGIN_OPTION"):
        config = resolve_config({"CAMUNDA_MY_PLUGIN_OPTION": 5}, environ={})
    assert config.raw["CAMUNDA_MY_PLUGIN_OPTION"] == "5"


def test_explicit_keys_are_case_insensitive() -> None:
    assert resolve_config({"camunda_tenant_id": "t"}, environ={}).tenant_id == "t"


def test_explicit_key_without_prefix_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match="REST_ADDRESS") as info:
        resolve_config({"REST_ADDRESS": "http://x"}, environ={})
    assert info.value.variable == "REST_ADDRESS"


def test_raw_is_read_only() -> None:
    config = resolve_config({"CAMUNDA_TENANT_ID": "t"}, environ={})
    with pytest.raises(TypeError):
        config.raw["CAMUNDA_TENANT_ID"] = "other"  # type: ignore[index]


def test_non_string_explicit_values_are_accepted() -> None:
    # The engine alone: a client would import the modules named in CAMUNDA_SDK_PLUGINS.
    config = resolve_settings(
        builtin_settings(),
        {
            "CAMUNDA_SDK_RETRY_MAX_ATTEMPTS": 7,
            "CAMUNDA_SDK_TRACING": False,
            "CAMUNDA_TOKEN_DISK_CACHE_DISABLE": True,
            "CAMUNDA_WORKER_STARTUP_JITTER_MAX_SECONDS": 2.5,
            "CAMUNDA_SDK_PLUGINS": ["a", "b"],
            "CAMUNDA_TOKEN_CACHE_DIR": Path("/tmp/tokens"),
        },
        environ={},
    )
    assert config.retry_max_attempts == 7
    assert config.tracing is False
    assert config.token_disk_cache_disable is True
    assert config.worker_startup_jitter_max_seconds == 2.5
    assert config.plugins == ("a", "b")
    assert config.token_cache_dir == "/tmp/tokens"
    assert config.raw["CAMUNDA_SDK_TRACING"] == "false"


# --- aliases and addresses -----------------------------------------------------------


def test_zeebe_rest_address_alias() -> None:
    config = resolve_config(environ={"ZEEBE_REST_ADDRESS": "http://zeebe:8080/v2"})
    assert config.rest_address == "http://zeebe:8080/v2"


def test_key_and_alias_with_one_value_in_the_same_source_are_fine() -> None:
    config = resolve_config(
        environ={"ZEEBE_REST_ADDRESS": "http://one:1", "CAMUNDA_REST_ADDRESS": " http://one:1"}
    )
    assert config.rest_address == "http://one:1/v2"


def test_key_and_alias_with_different_values_in_the_same_source_name_both() -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_config(
            environ={"ZEEBE_REST_ADDRESS": "http://old:1", "CAMUNDA_REST_ADDRESS": "http://new:2"}
        )
    message = str(info.value)
    assert "CAMUNDA_REST_ADDRESS='http://new:2'" in message
    assert "ZEEBE_REST_ADDRESS='http://old:1'" in message


def test_secret_aliases_that_disagree_are_named_without_their_values() -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_config(
            {"CAMUNDA_CLIENT_SECRET": SECRET, "CAMUNDA_CLIENT_AUTH_CLIENTSECRET": PASSWORD},
            environ={},
        )
    message = str(info.value)
    assert "CAMUNDA_CLIENT_SECRET" in message and "CAMUNDA_CLIENT_AUTH_CLIENTSECRET" in message
    assert SECRET not in message and PASSWORD not in message


def test_two_spellings_of_one_explicit_key_that_disagree_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="'CAMUNDA_TENANT_ID' and 'camunda_tenant_id'"):
        resolve_config({"CAMUNDA_TENANT_ID": "a", "camunda_tenant_id": "b"}, environ={})
    config = resolve_config({"CAMUNDA_TENANT_ID": "a", "camunda_tenant_id": "a"}, environ={})
    assert config.tenant_id == "a"


def test_higher_source_wins_even_through_an_alias() -> None:
    config = resolve_config(
        {"ZEEBE_REST_ADDRESS": "http://explicit:1"},
        environ={"CAMUNDA_REST_ADDRESS": "http://env:2"},
    )
    assert config.rest_address == "http://explicit:1/v2"


def test_client_credential_aliases() -> None:
    config = resolve_config(
        environ={
            "CAMUNDA_CLIENT_AUTH_CLIENTID": "id",
            "CAMUNDA_CLIENT_AUTH_CLIENTSECRET": SECRET,
        }
    )
    assert config.client_id == "id"
    assert config.client_secret == SECRET
    assert config.auth_strategy == "OAUTH"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://localhost:8080", "http://localhost:8080/v2"),
        ("http://localhost:8080/", "http://localhost:8080/v2"),
        ("http://localhost:8080/v2", "http://localhost:8080/v2"),
        ("http://localhost:8080/v2/", "http://localhost:8080/v2"),
        ("https://cluster.example/prefix", "https://cluster.example/prefix/v2"),
        ("  https://cluster.example/v2  ", "https://cluster.example/v2"),
    ],
)
def test_rest_address_normalisation(given: str, expected: str) -> None:
    assert resolve_config({"CAMUNDA_REST_ADDRESS": given}, environ={}).rest_address == expected


@pytest.mark.parametrize("bad", ["localhost:8080", "ftp://host", "not a url"])
def test_rest_address_must_be_http(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="CAMUNDA_REST_ADDRESS") as info:
        resolve_config({"CAMUNDA_REST_ADDRESS": bad}, environ={})
    assert info.value.variable == "CAMUNDA_REST_ADDRESS"


def test_paths_expand_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    config = resolve_config(environ={"CAMUNDA_TOKEN_CACHE_DIR": "~/tokens"})
    assert config.token_cache_dir == str(tmp_path / "tokens")


def test_plugin_lists_are_split_and_trimmed() -> None:
    config = resolve_settings(
        builtin_settings(),
        environ={"CAMUNDA_SDK_PLUGINS": " a, b ,,c ", "CAMUNDA_SDK_DISABLE_PLUGINS": "retry"},
    )
    assert config.plugins == ("a", "b", "c")
    assert config.disable_plugins == ("retry",)


def test_disabled_plugins_settings_are_not_declared_but_stay_readable() -> None:
    config = resolve_config(
        environ={"CAMUNDA_SDK_DISABLE_PLUGINS": "retry", "CAMUNDA_SDK_RETRY_MAX_ATTEMPTS": "2"}
    )
    assert config.disable_plugins == ("retry",)
    assert "CAMUNDA_SDK_RETRY_MAX_ATTEMPTS" not in config.settings
    with pytest.raises(AttributeError):
        config.retry_max_attempts  # noqa: B018
    # a replacement plugin may still read the key, parsed from raw
    assert config.get(retry.MAX_ATTEMPTS) == 2
    assert config.redacted()["CAMUNDA_SDK_RETRY_MAX_ATTEMPTS"] == "2"


def test_mtls_key_without_cert_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match="CAMUNDA_MTLS_CERT_PATH"):
        resolve_config(environ={"CAMUNDA_MTLS_KEY_PATH": "/k.pem"})


def test_tls_paths() -> None:
    config = resolve_config(
        environ={
            "CAMUNDA_CA_CERTIFICATE_PATH": "/ca.pem",
            "CAMUNDA_MTLS_CERT_PATH": "/c.pem",
            "CAMUNDA_MTLS_KEY_PATH": "/k.pem",
        }
    )
    assert (config.ca_certificate_path, config.mtls_cert_path, config.mtls_key_path) == (
        "/ca.pem",
        "/c.pem",
        "/k.pem",
    )


def test_worker_defaults() -> None:
    config = resolve_config(
        environ={
            "CAMUNDA_WORKER_TIMEOUT": "30000",
            "CAMUNDA_WORKER_MAX_CONCURRENT_JOBS": "32",
            "CAMUNDA_WORKER_REQUEST_TIMEOUT": "0",
            "CAMUNDA_WORKER_NAME": "my-app",
            "CAMUNDA_WORKER_STARTUP_JITTER_MAX_SECONDS": "3",
        }
    )
    assert config.worker_timeout == 30000
    assert config.worker_max_concurrent_jobs == 32
    assert config.worker_request_timeout == 0
    assert config.worker_name == "my-app"
    assert config.worker_startup_jitter_max_seconds == 3.0


# --- auth strategy -------------------------------------------------------------------


def test_auto_detect_oauth() -> None:
    config = resolve_config(environ={"CAMUNDA_CLIENT_ID": "id", "CAMUNDA_CLIENT_SECRET": SECRET})
    assert config.auth_strategy == "OAUTH"


def test_auto_detect_basic() -> None:
    config = resolve_config(
        environ={"CAMUNDA_BASIC_AUTH_USERNAME": "u", "CAMUNDA_BASIC_AUTH_PASSWORD": PASSWORD}
    )
    assert config.auth_strategy == "BASIC"
    assert config.basic_auth_username == "u"
    assert config.basic_auth_password == PASSWORD


def test_auto_detect_none() -> None:
    assert resolve_config(environ={}).auth_strategy == "NONE"


def test_both_credential_sets_is_an_error_naming_the_keys() -> None:
    environ = {
        "CAMUNDA_CLIENT_AUTH_CLIENTID": "id",
        "CAMUNDA_CLIENT_SECRET": SECRET,
        "CAMUNDA_BASIC_AUTH_USERNAME": "u",
        "CAMUNDA_BASIC_AUTH_PASSWORD": PASSWORD,
    }
    with pytest.raises(ConfigurationError) as info:
        resolve_config(environ=environ)
    message = str(info.value)
    for key in environ:
        assert key in message
    assert "CAMUNDA_AUTH_STRATEGY" in message
    assert info.value.variable == "CAMUNDA_AUTH_STRATEGY"
    assert SECRET not in message
    assert PASSWORD not in message


def test_explicit_strategy_resolves_the_ambiguity() -> None:
    config = resolve_config(
        {"CAMUNDA_AUTH_STRATEGY": "basic"},
        environ={
            "CAMUNDA_CLIENT_ID": "id",
            "CAMUNDA_CLIENT_SECRET": SECRET,
            "CAMUNDA_BASIC_AUTH_USERNAME": "u",
            "CAMUNDA_BASIC_AUTH_PASSWORD": PASSWORD,
        },
    )
    assert config.auth_strategy == "BASIC"


@pytest.mark.parametrize(
    ("environ", "missing"),
    [
        ({"CAMUNDA_AUTH_STRATEGY": "OAUTH"}, "CAMUNDA_CLIENT_ID"),
        (
            {"CAMUNDA_AUTH_STRATEGY": "oauth", "CAMUNDA_CLIENT_ID": "id"},
            "CAMUNDA_CLIENT_SECRET",
        ),
        ({"CAMUNDA_AUTH_STRATEGY": "BASIC"}, "CAMUNDA_BASIC_AUTH_USERNAME"),
        (
            {"CAMUNDA_AUTH_STRATEGY": "BASIC", "CAMUNDA_BASIC_AUTH_USERNAME": "u"},
            "CAMUNDA_BASIC_AUTH_PASSWORD",
        ),
        ({"CAMUNDA_CLIENT_SECRET": SECRET}, "CAMUNDA_CLIENT_ID"),
        ({"CAMUNDA_BASIC_AUTH_USERNAME": "u"}, "CAMUNDA_BASIC_AUTH_PASSWORD"),
    ],
)
def test_missing_credentials_name_the_variable(environ: dict[str, str], missing: str) -> None:
    with pytest.raises(ConfigurationError, match=missing) as info:
        resolve_config(environ=environ)
    assert info.value.variable == missing
    assert SECRET not in str(info.value)


def test_none_strategy_with_credentials_is_allowed() -> None:
    config = resolve_config(
        {"CAMUNDA_AUTH_STRATEGY": "none"},
        environ={"CAMUNDA_CLIENT_ID": "id", "CAMUNDA_BASIC_AUTH_USERNAME": "u"},
    )
    assert config.auth_strategy == "NONE"


def test_plugin_strategy_name_is_kept_upper_cased() -> None:
    config = resolve_config({"CAMUNDA_AUTH_STRATEGY": "my_sso"}, environ={})
    assert config.auth_strategy == "MY_SSO"


def test_malformed_strategy_name() -> None:
    with pytest.raises(ConfigurationError, match="CAMUNDA_AUTH_STRATEGY"):
        resolve_config({"CAMUNDA_AUTH_STRATEGY": "o auth"}, environ={})


# --- malformed values ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "hint"),
    [
        ("CAMUNDA_SDK_RETRY_MAX_ATTEMPTS", "four", "integer"),
        ("CAMUNDA_SDK_RETRY_MAX_ATTEMPTS", "0", ">= 1"),
        ("CAMUNDA_SDK_RETRY_INITIAL_DELAY_MS", "1.5", "integer"),
        ("CAMUNDA_SDK_TIMEOUT_MS", "-1", "between 0 and 86400000"),
        ("CAMUNDA_SDK_TIMEOUT_MS", "1" + "0" * 30, "between 0 and 86400000"),
        ("CAMUNDA_SDK_RETRY_MAX_DELAY_MS", "1e30", "integer"),
        ("CAMUNDA_SDK_RETRY_MAX_DELAY_MS", "1" + "0" * 30, "at most 1e+12"),
        ("CAMUNDA_WORKER_STARTUP_JITTER_MAX_SECONDS", "1e30", "at most 1e+12"),
        ("CAMUNDA_REST_ADDRESS_EXACT", "exactly", "true/false"),
        ("CAMUNDA_SDK_STRICT_CONFIG", "very", "true/false"),
        ("CAMUNDA_WORKER_MAX_CONCURRENT_JOBS", "many", "integer"),
        ("CAMUNDA_WORKER_STARTUP_JITTER_MAX_SECONDS", "soon", "number"),
        ("CAMUNDA_WORKER_STARTUP_JITTER_MAX_SECONDS", "nan", "number"),
        ("CAMUNDA_SDK_TRACING", "maybe", "true/false"),
        ("CAMUNDA_TOKEN_DISK_CACHE_DISABLE", "2", "true/false"),
        ("CAMUNDA_SDK_LOG_LEVEL", "verbose", "silent, error, warn, info, debug, trace, silly"),
        ("CAMUNDA_SDK_BACKPRESSURE_PROFILE", "FAST", "BALANCED, LEGACY"),
        ("CAMUNDA_SDK_BACKPRESSURE_INITIAL_LIMIT", "0", ">= 1"),
        ("CAMUNDA_SDK_BACKPRESSURE_MAX_LIMIT", "lots", "integer"),
        ("CAMUNDA_AUTH_STRATEGY", "o auth", "NONE, OAUTH, BASIC or a plugin's strategy name"),
        ("CAMUNDA_OAUTH_URL", "login.example", "http"),
    ],
)
def test_malformed_values_name_variable_and_accepted_values(
    key: str, value: str, hint: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_config(environ={key: value})
    message = str(info.value)
    assert key in message
    assert hint in message
    assert info.value.variable == key


def test_error_names_the_alias_actually_used() -> None:
    with pytest.raises(ConfigurationError, match="ZEEBE_REST_ADDRESS"):
        resolve_config(environ={"ZEEBE_REST_ADDRESS": "nope"})


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("1", True), ("YES", True), ("on", True), ("false", False), ("0", False)],
)
def test_bool_spellings(value: str, expected: bool) -> None:
    assert resolve_config(environ={"CAMUNDA_SDK_TRACING": value}).tracing is expected


def test_enums_are_case_insensitive() -> None:
    config = resolve_config(
        environ={"CAMUNDA_SDK_LOG_LEVEL": "DEBUG", "CAMUNDA_SDK_BACKPRESSURE_PROFILE": "legacy"}
    )
    assert config.log_level == "debug"
    assert config.backpressure_profile == "LEGACY"
    assert resolve_config(environ={"CAMUNDA_SDK_LOG_LEVEL": "warning"}).log_level == "warn"


def test_boolean_given_for_a_number_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match="CAMUNDA_SDK_RETRY_MAX_ATTEMPTS"):
        resolve_config({"CAMUNDA_SDK_RETRY_MAX_ATTEMPTS": True}, environ={})


# --- secrets -------------------------------------------------------------------------


def secret_config() -> CamundaConfig:
    with pytest.warns(ConfigurationWarning, match="CAMUNDA_MY_PLUGIN_API_KEY"):
        return _secret_config()


def _secret_config() -> CamundaConfig:
    return resolve_config(
        {
            # BASIC: the credentials in the address are Basic ones (the same as below)
            "CAMUNDA_AUTH_STRATEGY": "BASIC",
            "CAMUNDA_CLIENT_ID": "the-id",
            "CAMUNDA_CLIENT_SECRET": SECRET,
            "CAMUNDA_BASIC_AUTH_USERNAME": "user",
            "CAMUNDA_BASIC_AUTH_PASSWORD": PASSWORD,
            "CAMUNDA_REST_ADDRESS": f"https://user:{PASSWORD}@cluster.example",
            "CAMUNDA_MY_PLUGIN_API_KEY": SECRET,
        },
        environ={"CAMUNDA_CLIENT_AUTH_CLIENTSECRET": SECRET},
    )


def test_repr_and_str_mask_secrets() -> None:
    config = secret_config()
    for text in (repr(config), str(config), f"{config}"):
        assert SECRET not in text
        assert PASSWORD not in text
        assert "the-id" in text
        assert "***" in text


def test_redacted_masks_secrets_and_keeps_the_rest() -> None:
    config = secret_config()
    redacted = config.redacted()
    assert SECRET not in repr(redacted)
    assert PASSWORD not in repr(redacted)
    assert redacted["CAMUNDA_CLIENT_SECRET"] == "***"
    assert redacted["CAMUNDA_BASIC_AUTH_PASSWORD"] == "***"
    assert redacted["CAMUNDA_MY_PLUGIN_API_KEY"] == "***"
    assert redacted["CAMUNDA_CLIENT_ID"] == "the-id"
    assert redacted["CAMUNDA_REST_ADDRESS"] == "https://cluster.example/v2"  # taken out
    assert "CAMUNDA_TENANT_ID" not in redacted  # unset settings are left out
    # the real values stay available to the auth stage
    assert config.client_secret == SECRET
    assert config.basic_auth_password == PASSWORD


def test_config_is_frozen_and_hashable() -> None:
    config = secret_config()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        config.client_id = "x"  # type: ignore[misc]
    hash(config)


@pytest.mark.parametrize("key", ["CAMUNDA_REST_ADDRESS", "CAMUNDA_OAUTH_URL"])
@pytest.mark.parametrize("value", ["demo:hunter2@zeebe:8080", "idp/token?client_secret=hunter2"])
def test_an_invalid_address_is_quoted_without_its_credentials(key: str, value: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_config({key: value}, {})
    assert "hunter2" not in str(info.value) and key in str(info.value)


# --- unknown keys ----------------------------------------------------------------------


def test_a_misspelt_environment_variable_warns_with_a_suggestion() -> None:
    with pytest.warns(ConfigurationWarning, match=r"CAMUNDA_REST_ADRESS .*CAMUNDA_REST_ADDRESS\?"):
        config = resolve_config(environ={"CAMUNDA_REST_ADRESS": "http://cluster:8080"})
    assert config.rest_address == "http://localhost:8080/v2"


def test_the_warning_points_at_the_callers_line() -> None:
    with pytest.warns(ConfigurationWarning) as record:
        resolve_config(environ={"CAMUNDA_CLIENT_SECRT": "x"})
    assert record[0].filename == __file__


def test_strict_config_makes_a_typo_an_error() -> None:
    with pytest.raises(ConfigurationError, match="did you mean CAMUNDA_REST_ADDRESS") as info:
        resolve_config(
            environ={"CAMUNDA_REST_ADRESS": "http://x", "CAMUNDA_SDK_STRICT_CONFIG": "true"}
        )
    assert info.value.variable == "CAMUNDA_REST_ADRESS"
    with pytest.raises(ConfigurationError, match="'camunda_tennant_id'"):
        resolve_config({"camunda_tennant_id": "t", "CAMUNDA_SDK_STRICT_CONFIG": True}, environ={})


@pytest.mark.filterwarnings("error::camunda_sdk.config.ConfigurationWarning")
def test_other_camunda_tools_variables_in_the_environment_do_not_warn() -> None:
    environ = {
        "ZEEBE_ADDRESS": "zeebe:26500",
        "ZEEBE_GRPC_ADDRESS": "grpc://zeebe:26500",
        "ZEEBE_CLIENT_SECRET": "x",
        "ZEEBE_REST_ADRESS": "x",  # all ZEEBE_* keys belong to other tools but our alias
        "CAMUNDA_OPERATE_BASE_URL": "http://operate",
        "CAMUNDA_TASKLIST_BASE_URL": "http://tasklist",
        "CAMUNDA_CONSOLE_CLIENT_SECRET": "x",
        "CAMUNDA_CLUSTER_ID": "c",
        "CAMUNDA_LOG_LEVEL": "info",
        "CAMUNDA_CLIENT_MODE": "saas",
        "CAMUNDA_MY_PLUGIN_OPTION": "5",
    }
    config = resolve_config(environ={**environ, "CAMUNDA_SDK_STRICT_CONFIG": "true"})
    assert config.raw["CAMUNDA_MY_PLUGIN_OPTION"] == "5"


def test_every_unknown_explicit_key_warns() -> None:
    with pytest.warns(ConfigurationWarning, match="'CAMUNDA_OPERATE_BASE_URL'"):
        resolve_config({"CAMUNDA_OPERATE_BASE_URL": "http://operate"}, environ={})


@pytest.mark.filterwarnings("error::camunda_sdk.config.ConfigurationWarning")
def test_settings_of_a_disabled_builtin_stay_known() -> None:
    resolve_config(
        {"CAMUNDA_SDK_RETRY_MAX_ATTEMPTS": 2, "CAMUNDA_SDK_DISABLE_PLUGINS": "retry"}, environ={}
    )


def test_a_lower_case_explicit_typo_is_reported_as_written() -> None:
    with pytest.warns(ConfigurationWarning, match="'camunda_rest_adress'.*CAMUNDA_REST_ADDRESS"):
        resolve_config({"camunda_rest_adress": "http://x"}, environ={})


# --- addresses -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        "http://cluster .example:8080",
        " http://cluster:80 80/v2",
        "http://[::1",
        "http://::1]:8080",
        "http://[cluster]:8080",
        "http://cluster/v2]",
        "http://cluster:port/v2",
        "http://cluster:99999",
        "grpc://cluster:26500",
        "http://",
        "http://cluster/v2?tenant=a",
        "http://cluster/v2#top",
    ],
)
def test_malformed_addresses_are_configuration_errors(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="CAMUNDA_REST_ADDRESS"):
        resolve_config({"CAMUNDA_REST_ADDRESS": bad}, environ={})


def test_an_ipv6_address_is_accepted() -> None:
    config = resolve_config({"CAMUNDA_REST_ADDRESS": "http://[::1]:8080"}, environ={})
    assert config.rest_address == "http://[::1]:8080/v2"


def test_a_bad_port_after_credentials_is_not_quoted() -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_config({"CAMUNDA_REST_ADDRESS": "http://demo:hunter2"}, environ={})
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize("flag", ["true", "1", "yes"])
def test_rest_address_exact_keeps_the_address_as_given(flag: str) -> None:
    config = resolve_config(
        {"CAMUNDA_REST_ADDRESS": "https://gateway.example/api", "CAMUNDA_REST_ADDRESS_EXACT": flag},
        environ={},
    )
    assert config.rest_address == "https://gateway.example/api"
    assert config.rest_address_exact is True


def test_credentials_in_the_address_become_basic_auth() -> None:
    config = resolve_config(
        environ={"CAMUNDA_REST_ADDRESS": f"https://demo:{quote(PASSWORD)}@cluster.example:8443/"}
    )
    assert config.rest_address == "https://cluster.example:8443/v2"
    assert config.auth_strategy == "BASIC"
    assert (config.basic_auth_username, config.basic_auth_password) == ("demo", PASSWORD)
    assert config.given_as(auth.BASIC_AUTH_PASSWORD) == "CAMUNDA_REST_ADDRESS"
    assert PASSWORD not in repr(config) and PASSWORD not in repr(dict(config.raw))
    assert config.raw["CAMUNDA_REST_ADDRESS"] == "https://cluster.example:8443/"


@pytest.mark.parametrize(
    "other",
    [
        {"CAMUNDA_AUTH_STRATEGY": "OAUTH", "CAMUNDA_CLIENT_ID": "id", "CAMUNDA_CLIENT_SECRET": "s"},
        {"CAMUNDA_AUTH_STRATEGY": "NONE"},
        {"CAMUNDA_CLIENT_ID": "id", "CAMUNDA_CLIENT_SECRET": "s"},
        {"CAMUNDA_BASIC_AUTH_PASSWORD": "another-one"},
    ],
)
def test_credentials_in_the_address_that_compete_are_refused(other: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match="CAMUNDA_REST_ADDRESS") as info:
        resolve_config(
            {"CAMUNDA_REST_ADDRESS": f"https://demo:{PASSWORD}@cluster.example", **other},
            environ={},
        )
    assert PASSWORD not in str(info.value)


# --- reference SDK keys and TLS --------------------------------------------------------

PEM_CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
PEM_KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----"


def test_reference_tls_keys_are_accepted() -> None:
    config = resolve_config(
        environ={
            "CAMUNDA_MTLS_CA_PATH": "/ca.pem",
            "CAMUNDA_MTLS_CA": PEM_CERT,
            "CAMUNDA_MTLS_CERT": PEM_CERT,
            "CAMUNDA_MTLS_KEY": PEM_KEY.replace("\n", "\\n"),  # one line, as env files hold it
            "CAMUNDA_MTLS_KEY_PASSPHRASE": SECRET,
            "CAMUNDA_TENANT_IDS": "a,b",
        }
    )
    assert config.ca_certificate_path == "/ca.pem"
    assert config.mtls_ca == config.mtls_cert == PEM_CERT + "\n"
    assert config.mtls_key == PEM_KEY + "\n"
    assert config.mtls_key_passphrase == SECRET
    assert config.tenant_ids == ("a", "b")
    shown = repr(config) + repr(config.redacted())
    assert "MIIE" not in shown and SECRET not in shown


def test_inline_pem_that_is_not_pem_is_refused_without_quoting_a_key() -> None:
    with pytest.raises(ConfigurationError, match=r"CAMUNDA_MTLS_CERT.*PEM"):
        resolve_config(
            environ={"CAMUNDA_MTLS_CERT": "/path/to/cert.pem", "CAMUNDA_MTLS_KEY": PEM_KEY}
        )
    with pytest.raises(ConfigurationError, match="CAMUNDA_MTLS_KEY") as info:
        resolve_config(environ={"CAMUNDA_MTLS_CERT": PEM_CERT, "CAMUNDA_MTLS_KEY": "hunter2-key"})
    assert "hunter2" not in str(info.value)


def test_inline_key_or_passphrase_without_certificate_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="CAMUNDA_MTLS_KEY is set"):
        resolve_config(environ={"CAMUNDA_MTLS_KEY": PEM_KEY})
    with pytest.raises(ConfigurationError, match="CAMUNDA_MTLS_KEY_PASSPHRASE"):
        resolve_config(environ={"CAMUNDA_MTLS_KEY_PASSPHRASE": SECRET})


# --- plugin selection ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["config", "transport", "logging"])
def test_required_plugins_cannot_be_disabled(name: str) -> None:
    with pytest.raises(ConfigurationError, match=f"names {name}: the client cannot work") as info:
        resolve_config({"CAMUNDA_SDK_DISABLE_PLUGINS": f"retry,{name}"}, environ={})
    assert info.value.variable == "CAMUNDA_SDK_DISABLE_PLUGINS"
    with pytest.raises(ConfigurationError, match=name):
        CamundaClient(environ={"CAMUNDA_SDK_DISABLE_PLUGINS": name})


def test_lower_case_disable_plugins_works_like_upper_case() -> None:
    config = resolve_config({"camunda_sdk_disable_plugins": "retry"}, environ={})
    assert "CAMUNDA_SDK_RETRY_MAX_ATTEMPTS" not in config.settings
    client = CamundaClient({"camunda_sdk_disable_plugins": ["tracing"]}, environ={})
    assert not client.plugin_manager.has_plugin("tracing")
    client.close()
