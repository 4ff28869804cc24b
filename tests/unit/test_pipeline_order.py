"""The order of the call stages: stated once in code (``BUILTIN_PLUGINS``), shown by
``describe_pipeline()``, and every statement of it in the docs checked against both."""

from __future__ import annotations

import re
from collections.abc import Generator
from pathlib import Path
from typing import Any

import httpx
import pytest

import camunda_sdk.pipeline.hookspecs as hookspecs_module
import camunda_sdk.plugins as plugins_module
from camunda_sdk import CamundaAsyncClient, CamundaClient, hookimpl
from camunda_sdk.pipeline.manager import Pipeline, Stage, describe_pipeline
from camunda_sdk.plugins import BUILTIN_PLUGINS

ROOT = Path(__file__).resolve().parents[2]
BUILTIN_NAMES = [name for name, _ in BUILTIN_PLUGINS]


def builtin_chain() -> list[str]:
    """The built-in stages a call meets, outermost first, as a default client builds them."""
    with CamundaClient(environ={}) as client:
        return list(client.describe_pipeline().names)


# -- the docs ---------------------------------------------------------------------------

# A chain as the docs write it: plugin names joined by "->" (or "→"), ending at the transport.
_CHAIN = re.compile(r"\b[a-z][a-z-]*(?:\s*(?:->|→)\s*[a-z][a-z-]*)*\s*(?:->|→)\s*transport\b")
# The registration order as the docs write it: "innermost first: `a`, `b`, ...".
_REGISTRATION = re.compile(r"innermost first: ((?:`[a-z-]+`(?:, | and |, then )?)+)")


def documents() -> dict[str, str]:
    """Every text that states the order: the Markdown docs and two docstrings."""
    texts = {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8") for path in _docs()}
    for module in (plugins_module, hookspecs_module):
        texts[module.__name__] = module.__doc__ or ""
    return texts


def _docs() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def stated_chains(text: str) -> list[list[str]]:
    """The names of each chain ``text`` states, outermost first."""
    flat = " ".join(text.replace("`", " ").split())  # a chain may be wrapped over lines
    return [re.split(r"\s*(?:->|→)\s*", match.group(0)) for match in _CHAIN.finditer(flat)]


def test_every_chain_the_docs_state_is_the_built_in_order() -> None:
    expected = builtin_chain()
    found = 0
    for where, text in documents().items():
        for names in stated_chains(text):
            found += 1
            assert names == expected, (
                f"{where} states the chain {' -> '.join(names)}; the built-in stages are "
                f"{' -> '.join(expected)} (camunda_sdk.plugins.BUILTIN_PLUGINS, innermost first)"
            )
    assert found >= 5  # docs/plugins.md, architecture, retry, backpressure, the docstrings


def test_every_registration_order_the_docs_state_is_builtin_plugins() -> None:
    found = 0
    for where, text in documents().items():
        for match in _REGISTRATION.finditer(" ".join(text.split())):
            found += 1
            names = re.findall(r"`([a-z-]+)`", match.group(1))
            assert names == BUILTIN_NAMES, (
                f"{where} lists {names}; BUILTIN_PLUGINS: {BUILTIN_NAMES}"
            )
    assert found >= 1


def test_the_docstrings_state_the_chain() -> None:
    # Where a plugin author looks first: the catalog and the built-ins' package.
    for module in (plugins_module, hookspecs_module):
        assert stated_chains(module.__doc__ or ""), module.__name__


def test_the_built_in_chain_follows_builtin_plugins_reversed() -> None:
    chain = builtin_chain()
    assert chain[-1] == "transport"
    assert chain == [name for name in reversed(BUILTIN_NAMES) if name in chain]


# -- describe_pipeline -----------------------------------------------------------------


def recording(name: str, seen: list[str], **placement: bool) -> object:
    """A user plugin whose stage, at ``placement``, records ``name`` when a call passes it."""

    class Recording:
        @hookimpl(wrapper=True, **placement)
        def camunda_call_handler(self, context: Any) -> Generator[None, Any, Any]:
            inner = yield

            def record(call: Any) -> Any:
                seen.append(name)
                return (yield from inner(call))

            return record

    plugin = Recording()
    plugin.name = name  # type: ignore[attr-defined]
    return plugin


def test_describe_pipeline_lists_the_stages_in_the_order_a_call_meets_them() -> None:
    seen: list[str] = []
    plugins = [
        recording("plain", seen),
        recording("outermost", seen, tryfirst=True),
        recording("innermost", seen, trylast=True),
        recording("later", seen),
    ]
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    with CamundaClient(environ={}, plugins=plugins, transport=transport) as client:
        pipeline = client.describe_pipeline()
        client.get_topology()
    names = list(pipeline.names)
    assert [name for name in names if name in seen] == seen  # the order calls meet them
    assert seen == ["outermost", "later", "plain", "innermost"]
    builtins = builtin_chain()
    assert names == ["outermost", "later", "plain", *builtins[:-1], "innermost", "transport"]
    by_name = {stage.plugin: stage for stage in pipeline.stages}
    assert by_name["outermost"].placement == "tryfirst"
    assert by_name["innermost"].placement == "trylast"
    assert by_name["plain"] == Stage(
        plugin="plain",
        function=f"{__name__}.recording.<locals>.Recording.camunda_call_handler",
        wraps=True,
        placement="",
        builtin=False,
    )
    assert by_name["transport"].builtin and not by_name["transport"].wraps
    assert all(by_name[name].builtin for name in builtins)


def test_describe_pipeline_shows_a_plugin_that_answers_before_the_transport() -> None:
    class Replacement:
        name = "my-transport"

        @hookimpl
        def camunda_call_handler(self, context: Any) -> Any:
            return None  # declines: the built-in transport answers

    with CamundaClient(environ={}, plugins=[Replacement()]) as client:
        names = client.describe_pipeline().names
    assert names[-2:] == ("my-transport", "transport")  # asked first, then the built-in


def test_describe_pipeline_is_readable() -> None:
    with CamundaClient(environ={}, plugins=[recording("team-header", [], tryfirst=True)]) as client:
        pipeline = client.describe_pipeline()
    text = str(pipeline)
    lines = text.splitlines()
    assert lines[0] == "camunda_call_handler, outermost first:"
    assert re.fullmatch(
        r"\s+1\. team-header\s+stage, tryfirst\s+\S+Recording\.camunda_call_handler", lines[1]
    )
    assert re.fullmatch(
        r"\s*\d+\. transport\s+answers, trylast\s+camunda_sdk\.plugins\.transport\.\S+", lines[-1]
    )
    assert len(lines) == len(pipeline.stages) + 1
    assert repr(pipeline) == f"Pipeline(camunda_call_handler: {' -> '.join(pipeline.names)})"


async def test_both_clients_and_the_derived_sync_client_describe_the_same_pipeline() -> None:
    async with CamundaAsyncClient(environ={}) as client:
        described = client.describe_pipeline()
        assert client.sync_client().describe_pipeline() == described
    assert described == describe_pipeline(client.plugin_manager)
    assert isinstance(described, Pipeline)


@pytest.mark.parametrize("hook", ["camunda_add_settings", "camunda_make_logger"])
def test_describe_pipeline_describes_any_hook(hook: str) -> None:
    with CamundaClient(environ={}) as client:
        pipeline = describe_pipeline(client.plugin_manager, hook)
    assert pipeline.hook == hook and pipeline.stages
