"""Liberal parsing edge cases of camunda_sdk._serde."""

from __future__ import annotations

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
