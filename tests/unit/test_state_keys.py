"""Typed keys of ``ClientContext.state`` and the bottom of the configuration and errors."""

from __future__ import annotations

import ast
import subprocess
import sys

import httpx

from camunda_sdk import CamundaAsyncClient, CamundaClient
from camunda_sdk.pipeline.context import PluginState, StateKey
from camunda_sdk.plugins.auth import AUTH_PROVIDER
from camunda_sdk.plugins.backpressure import LIMITER, BackpressureState
from camunda_sdk.plugins.tracing import IDLE, Idle


class Thing:
    pass


THING: StateKey[Thing] = StateKey("thing")


def test_a_typed_key_and_its_name_reach_the_same_entry() -> None:
    state = PluginState()
    assert state.get(THING) is None and THING not in state
    thing = state.setdefault(THING, Thing())
    assert state[THING] is thing is state["thing"] is state.get("thing")
    assert "thing" in state and THING in state and 3 not in state
    state["thing"] = other = Thing()  # a plugin written before keys were typed
    assert state[THING] is other
    assert state.pop(THING) is other and state.get(THING, "gone") == "gone"
    assert repr(THING) == "StateKey('thing')"


def test_the_state_shows_names_never_values() -> None:
    state = PluginState()
    state[THING] = "s3cr3t-token"  # type: ignore[assignment]
    assert repr(state) == "PluginState(thing)"


def test_the_built_in_plugins_keep_their_objects_under_their_keys() -> None:
    with CamundaClient(
        environ={}, transport=httpx.MockTransport(lambda r: httpx.Response(200))
    ) as c:
        state = c.context.state
        assert isinstance(state[LIMITER], BackpressureState)
        assert isinstance(state[IDLE], Idle)
        assert type(state[AUTH_PROVIDER]).__name__ == "NoAuth"
        assert state["backpressure"] is state[LIMITER]  # the names of before still work


async def test_the_derived_sync_client_is_kept_in_the_state_once() -> None:
    async with CamundaAsyncClient(environ={}) as client:
        assert client.sync_client() is client.sync_client()
        assert client.context.state["sync-client"] is client.sync_client()


def _modules_after(statement: str) -> set[str]:
    """The SDK's modules a fresh interpreter has loaded after ``statement``."""
    script = (
        f"import sys\n{statement}\n"
        "print(sorted(m for m in sys.modules if m.startswith('camunda_sdk')))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(ast.literal_eval(out.stdout))


def test_errors_is_a_leaf() -> None:
    package = _modules_after("import camunda_sdk")  # the generated names it exports
    loaded = _modules_after("import camunda_sdk.errors") - package
    assert loaded == {"camunda_sdk.errors", "camunda_sdk._redact", "camunda_sdk._retry_after"}


def test_the_settings_model_knows_no_plugin_and_no_plugin_manager() -> None:
    loaded = _modules_after("import camunda_sdk.settings")
    assert not [m for m in loaded if m.startswith(("camunda_sdk.pipeline", "camunda_sdk.plugins"))]
    assert "camunda_sdk.config" not in loaded
