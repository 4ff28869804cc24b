"""Liberal parsing edge cases of camunda_sdk._serde."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from camunda_sdk import _serde
from camunda_sdk._serde import parse


def test_unknown_discriminator_value_keeps_the_data() -> None:
    spec = (
        "union",
        ("AgentInstanceTextContent",),
        "contentType",
        {"TEXT": "AgentInstanceTextContent"},
    )
    newer = {"contentType": "AUDIO", "audioUrl": "https://example.test/a.ogg"}
    assert parse(spec, newer) == newer
    known = parse(spec, {"contentType": "TEXT", "text": "hi"})
    assert type(known).__name__ == "AgentInstanceTextContent"


def test_wrong_json_types_are_handed_over_untouched() -> None:
    assert parse("TopologyResponse", [1, 2]) == [1, 2]
    assert parse("PartitionRole", {"odd": True}) == {"odd": True}
    assert parse(("list", "BrokerInfo"), "not a list") == "not a list"


def test_self_referencing_specs_compile() -> None:
    parsed = parse("ElementInstanceFilter", {"$or": [{"elementId": "a"}], "elementId": "b"})
    assert parsed is not None


def test_first_parses_from_many_threads_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    # Fresh caches, so every thread races to compile the same nested models.
    monkeypatch.setattr(_serde, "_parsers", {})
    monkeypatch.setattr(_serde, "_model_parsers", {})
    build = _serde._build_model_parser

    def slow_build(cls: type) -> object:
        time.sleep(0.005)  # widen the window a race would need
        return build(cls)  # type: ignore[arg-type]

    monkeypatch.setattr(_serde, "_build_model_parser", slow_build)
    body = {"brokers": [{"nodeId": 1, "partitions": [{"partitionId": 1, "role": "leader"}]}]}
    barrier = threading.Barrier(8)

    def parse_once(_: int) -> object:
        barrier.wait()
        return parse("TopologyResponse", body)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(parse_once, range(8)))
    assert all(r.brokers[0].partitions[0].partition_id == 1 for r in results)  # type: ignore[attr-defined]
