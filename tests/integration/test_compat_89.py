"""Responses shaped like Camunda 8.9's must still parse with the SDK generated from main.

For every operation of the 8.9 spec that main still has, every 2xx JSON example
response of the 8.9 spec (its own media examples, and the full example Prism
would build from the 8.9 schema) is parsed with the main descriptor's result spec.
Parsing is liberal: a field 8.9 does not send becomes None, an unknown field is
ignored, so none of this may raise.
"""

from __future__ import annotations

from typing import Any

import pytest
from fakes import OperationSpec, SpecDoc, load_spec, spec_file

from camunda_sdk._serde import Model, parse, resolve

if not spec_file("8.9").exists():  # pragma: no cover - the shared spec is always there in CI
    pytest.skip(f"8.9 spec not found at {spec_file('8.9')}", allow_module_level=True)

OLD = load_spec("8.9")
MAIN = load_spec("main")
SHARED = sorted(op_id for op_id in OLD.operations if op_id in MAIN.operations)


def json_examples(spec: SpecDoc, op: OperationSpec) -> list[tuple[str, Any]]:
    """``(label, value)`` for every 2xx JSON example of ``op`` in ``spec``."""
    found: list[tuple[str, Any]] = []
    for status, response in op.success_responses():
        for media_type, media in spec.deref(response).get("content", {}).items():
            if "json" not in media_type:
                continue
            explicit = media.get("examples") or {}
            for name, example in explicit.items() if isinstance(explicit, dict) else ():
                value = spec.deref(example).get("value")
                if value is not None:
                    found.append((f"{status} example {name}", value))
            if "example" in media:
                found.append((f"{status} example", media["example"]))
            if "schema" in media:
                found.append((f"{status} full", spec.sample(media["schema"], mode="full")))
                found.append((f"{status} minimal", spec.sample(media["schema"], mode="minimal")))
    return found


WITH_JSON = [op_id for op_id in SHARED if json_examples(OLD, OLD.operations[op_id])]


def test_shared_operations() -> None:
    """8.9 is (nearly) a subset of main: report any operation main dropped."""
    dropped = sorted(set(OLD.operations) - set(MAIN.operations))
    assert len(SHARED) >= 180, dropped
    assert not dropped, f"operations of 8.9 missing from main: {dropped}"


@pytest.mark.parametrize("operation_id", WITH_JSON)
def test_89_examples_parse(operation_id: str) -> None:
    """Every 8.9 2xx example of the operation parses into main's result type."""
    from camunda_sdk.operations.descriptors import OPERATIONS

    result_spec = OPERATIONS[operation_id].result
    examples = json_examples(OLD, OLD.operations[operation_id])
    expected: Any = None
    if isinstance(result_spec, str) and result_spec not in ("text", "bytes"):
        expected = resolve(result_spec)
    for label, value in examples:
        try:
            parsed = parse(result_spec, value)
        except Exception as exc:
            pytest.fail(f"{operation_id} {label}: parse({result_spec!r}) raised {exc!r}")
        if isinstance(expected, type) and issubclass(expected, Model) and isinstance(value, dict):
            assert isinstance(parsed, expected), f"{operation_id} {label}: got {parsed!r:.200}"
