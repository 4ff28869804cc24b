"""Read the OpenAPI spec and make example values from it.

The spec never lives in this repository: it is read from
``../shared/spec/<version>/rest-api.bundle.json`` next to the repository root,
or from the file named by ``CAMUNDA_SPEC`` (main version only).

:class:`SpecDoc` offers two ways to turn a schema into a value:

- ``sample(schema, mode="request")``: a value meant to pass request validation:
  every required property, plus the optional ones the spec gives an example for;
  the spec's own ``example`` wins wherever it exists.
- ``sample(schema, mode="full")``: every property, the way Prism builds a static
  example response (used for canned responses and the 8.9 compatibility test);
- ``sample(schema, mode="minimal")``: required properties only.
"""

from __future__ import annotations

import copy
import json
import keyword
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

__all__ = ["OperationSpec", "SpecDoc", "load_spec", "snake_case", "spec_file"]

REPO_ROOT = Path(__file__).resolve().parents[2]
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
Mode = Literal["request", "full", "minimal"]
_OMIT: Any = object()  # a property left out of the generated object

# Strings tried, in order, against a ``pattern`` the spec gives without an example.
_PATTERN_CANDIDATES = (
    "2251799813685249",
    "default",
    "<default>",
    "example-id",
    "abc",
    "a",
    "A",
    "PT1H",
    "1.0.0",
    "2025-01-01T00:00:00Z",
)
_FORMAT_VALUES = {
    "date-time": "2025-01-01T00:00:00Z",
    "date": "2025-01-01",
    "time": "00:00:00Z",
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "uri": "https://example.com/x",
    "url": "https://example.com/x",
    "email": "demo@example.com",
    "duration": "PT1H",
    "byte": "ZGVtbw==",
}


def spec_file(version: str = "main") -> Path:
    """Return the spec bundle of ``version`` (``main`` honours ``CAMUNDA_SPEC``)."""
    override = os.environ.get("CAMUNDA_SPEC")
    if version == "main" and override:
        return Path(override).expanduser().resolve()
    return (REPO_ROOT / ".." / "shared" / "spec" / version / "rest-api.bundle.json").resolve()


def snake_case(name: str) -> str:
    """``getProcessDefinitionXML`` -> ``get_process_definition_xml``; ``from`` -> ``from_``."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    name = re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()
    return name + "_" if keyword.iskeyword(name) else name


@dataclass(frozen=True)
class OperationSpec:
    """One operation of the spec, with what a test needs to call it.

    Attributes:
        id: operationId.
        method: upper-case HTTP method.
        path: path template relative to ``/v2``.
        raw: the operation object of the spec.
        parameters: path and query parameter objects, ``$ref`` resolved.
    """

    id: str
    method: str
    path: str
    raw: dict[str, Any] = field(repr=False)
    parameters: tuple[dict[str, Any], ...] = field(repr=False, default=())

    @property
    def body_media(self) -> tuple[str, dict[str, Any]] | None:
        """The request body's media type and media object, or None."""
        body = self.raw.get("requestBody")
        if not body:
            return None
        for media_type, media in body.get("content", {}).items():
            return str(media_type), media if isinstance(media, dict) else {}
        return None

    @property
    def body_required(self) -> bool:
        """Whether the spec requires a request body."""
        return bool(self.raw.get("requestBody", {}).get("required"))

    @property
    def is_multipart(self) -> bool:
        """Whether the request body is ``multipart/form-data``."""
        media = self.body_media
        return media is not None and media[0].startswith("multipart/")

    def success(self) -> tuple[str, dict[str, Any]]:
        """The first 2xx status and its response object (what Prism answers)."""
        for status, response in self.raw["responses"].items():
            if status.startswith("2"):
                return status, response
        raise LookupError(f"{self.id} has no 2xx response")

    def success_responses(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every 2xx status and its response object."""
        for status, response in self.raw["responses"].items():
            if status.startswith("2"):
                yield status, response

    def security_schemes(self) -> set[str]:
        """Names of the security schemes the operation accepts."""
        return {name for req in self.raw.get("security", []) for name in req}


class SpecDoc:
    """A loaded spec bundle with ``$ref`` resolution and example synthesis."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.schemas: dict[str, Any] = doc.get("components", {}).get("schemas", {})
        self.operations: dict[str, OperationSpec] = {}
        for path, item in doc["paths"].items():
            shared = item.get("parameters", [])
            for method in HTTP_METHODS:
                op = item.get(method)
                if op is None:
                    continue
                params = tuple(self.deref(p) for p in [*shared, *op.get("parameters", [])])
                self.operations[op["operationId"]] = OperationSpec(
                    op["operationId"], method.upper(), path, op, params
                )

    # -- references ---------------------------------------------------------------

    def deref(self, node: Any) -> Any:
        """Follow ``$ref`` chains to the referenced object."""
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            node = self.ref(node["$ref"])
            seen += 1
            if seen > 50:
                raise ValueError("$ref cycle")
        return node

    def ref(self, pointer: str) -> Any:
        """Return the object a local JSON pointer (``#/components/...``) names."""
        if not pointer.startswith("#/"):
            raise ValueError(f"only local references are supported: {pointer}")
        node: Any = self.doc
        for part in pointer[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    @staticmethod
    def ref_name(schema: dict[str, Any]) -> str | None:
        """The component name of a ``{"$ref": "#/components/schemas/X"}`` schema."""
        pointer = schema.get("$ref") if isinstance(schema, dict) else None
        if isinstance(pointer, str) and pointer.startswith("#/components/schemas/"):
            return pointer.rsplit("/", 1)[1]
        return None

    # -- examples -----------------------------------------------------------------

    def explicit_example(self, node: dict[str, Any]) -> Any:
        """The ``example``/first of ``examples`` of a schema or media object, or ``_OMIT``."""
        if not isinstance(node, dict):
            return _OMIT
        if "example" in node:
            return copy.deepcopy(node["example"])
        examples = node.get("examples")
        if isinstance(examples, dict) and examples:
            first = self.deref(next(iter(examples.values())))
            if isinstance(first, dict) and "value" in first:
                return copy.deepcopy(first["value"])
        if isinstance(examples, list) and examples:
            return copy.deepcopy(examples[0])
        return _OMIT

    def has_example(self, schema: Any, depth: int = 0) -> bool:
        """Whether ``schema`` (or a single ``$ref``/``allOf`` it wraps) carries an example."""
        if not isinstance(schema, dict) or depth > 10:
            return False
        if self.explicit_example(schema) is not _OMIT:
            return True
        if "$ref" in schema:
            return self.has_example(self.deref(schema), depth + 1)
        parts = schema.get("allOf")
        if isinstance(parts, list) and len(parts) == 1:
            return self.has_example(parts[0], depth + 1)
        return "enum" in schema

    def media_example(self, media: dict[str, Any], mode: Mode = "request") -> Any:
        """An example for a media object: its own example, else one from its schema."""
        value = self.explicit_example(media)
        if value is not _OMIT:
            return self._complete(media.get("schema", {}), value, mode, (), 0)
        return self.sample(media.get("schema", {}), mode=mode)

    def parameter_value(self, param: dict[str, Any]) -> Any:
        """A value for a path or query parameter: its example, or one made from its schema."""
        value = self.explicit_example(param)
        if value is not _OMIT:
            return value
        return self.sample(param.get("schema", {}))

    def parameter_wanted(self, param: dict[str, Any]) -> bool:
        """Whether to send a parameter: it is required or the spec shows an example of it."""
        if param.get("required"):
            return True
        return self.explicit_example(param) is not _OMIT or self.has_example(param.get("schema"))

    def request_body(self, op: OperationSpec) -> Any:
        """The JSON request body of ``op``: the spec's example, completed from the schema.

        None when the operation takes no body or its media type has no schema.
        """
        media = op.body_media
        if media is None or "schema" not in media[1]:
            return None
        return self.media_example(media[1])

    def sample(self, schema: Any, mode: Mode = "request") -> Any:
        """Return a value valid for ``schema`` (see the module docstring for ``mode``)."""
        value = self._sample(schema, mode, (), 0)
        return None if value is _OMIT else value

    def _sample(self, schema: Any, mode: Mode, stack: tuple[str, ...], depth: int) -> Any:
        if not isinstance(schema, dict) or depth > 12:
            return _OMIT
        example = self.explicit_example(schema)
        if example is not _OMIT:
            # The spec's examples sometimes omit required fields: fill those in.
            return self._complete(schema, example, mode, stack, depth)
        if "$ref" in schema:
            name = schema["$ref"]
            if stack.count(name) >= 1:  # a recursive schema: stop here
                return _OMIT
            return self._sample(self.deref(schema), mode, (*stack, name), depth + 1)
        if "allOf" in schema:
            view = self.object_view(schema)
            if view is not None:
                return self._sample_object(view, mode, stack, depth)
            return self._sample_all_of(schema, mode, stack, depth)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return self._sample_one_of(schema, key, mode, stack, depth)
        if "enum" in schema:
            values = [v for v in schema["enum"] if v is not None]
            return values[0] if values else None
        if "const" in schema:
            return schema["const"]
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        if kind == "object" or (kind is None and ("properties" in schema or "required" in schema)):
            return self._sample_object(schema, mode, stack, depth)
        if kind == "array":
            item = self._sample(schema.get("items", {}), mode, stack, depth + 1)
            if item is _OMIT:
                return []
            return [item] * max(1, int(schema.get("minItems", 1)))
        if kind == "string":
            return self._sample_string(schema)
        if kind == "integer":
            return int(schema.get("minimum", 1) if schema.get("minimum", 1) > 0 else 1)
        if kind == "number":
            return float(schema.get("minimum", 1.0) if schema.get("minimum", 1) > 0 else 1.0)
        if kind == "boolean":
            return True
        return {} if kind is None and mode == "full" else _OMIT

    def _complete(
        self, schema: Any, value: Any, mode: Mode, stack: tuple[str, ...], depth: int
    ) -> Any:
        """Add the required properties an example object lacks (recursively)."""
        if not isinstance(schema, dict) or depth > 12:
            return value
        if "$ref" in schema:
            name = schema["$ref"]
            if name in stack:
                return value
            return self._complete(self.deref(schema), value, mode, (*stack, name), depth + 1)
        if isinstance(value, list) and isinstance(schema.get("items"), dict):
            return [self._complete(schema["items"], v, mode, stack, depth + 1) for v in value]
        if not isinstance(value, dict):
            return value
        view = self.object_view(schema) or schema
        props = view.get("properties", {})
        for name in view.get("required", ()):
            if name not in value and name in props:
                sampled = self._sample(props[name], mode, stack, depth + 1)
                value[name] = {} if sampled is _OMIT else sampled
        for name, prop in props.items():
            if name in value:
                value[name] = self._complete(prop, value[name], mode, stack, depth + 1)
        return value

    def object_view(self, schema: Any, depth: int = 0) -> dict[str, Any] | None:
        """An object schema with the properties and required names of its ``allOf`` merged in.

        None when the schema is not a plain object (a scalar, or polymorphic through
        ``oneOf``/``anyOf`` somewhere in its ``allOf``).
        """
        schema = self.deref(schema)
        if not isinstance(schema, dict) or depth > 20:
            return None
        if "oneOf" in schema or "anyOf" in schema:
            return None
        props: dict[str, Any] = {}
        required: list[str] = []
        for part in schema.get("allOf", ()):
            view = self.object_view(part, depth + 1)
            if view is None:
                return None
            props.update(view["properties"])
            required += [r for r in view["required"] if r not in required]
        props.update(schema.get("properties", {}))
        required += [r for r in schema.get("required", ()) if r not in required]
        kind = schema.get("type")
        if not props and not required and kind != "object":
            return None
        return {"type": "object", "properties": props, "required": required}

    def _sample_all_of(
        self, schema: dict[str, Any], mode: Mode, stack: tuple[str, ...], depth: int
    ) -> Any:
        parts = [self._sample(p, mode, stack, depth + 1) for p in schema["allOf"]]
        siblings = {k: v for k, v in schema.items() if k in ("properties", "required", "type")}
        if siblings.get("properties") or siblings.get("required"):
            parts.append(self._sample_object(siblings, mode, stack, depth))
        parts = [p for p in parts if p is not _OMIT]
        if not parts:
            return _OMIT
        if all(isinstance(p, dict) for p in parts):
            merged: dict[str, Any] = {}
            for p in parts:
                merged.update(p)
            return merged
        return parts[0]

    def _sample_one_of(
        self, schema: dict[str, Any], key: str, mode: Mode, stack: tuple[str, ...], depth: int
    ) -> Any:
        for variant in schema[key]:
            resolved = self.deref(variant)
            if isinstance(resolved, dict) and resolved.get("type") == "null":
                continue
            value = self._sample(variant, mode, stack, depth + 1)
            if value is not _OMIT:
                return value
        return _OMIT

    def _sample_object(
        self, schema: dict[str, Any], mode: Mode, stack: tuple[str, ...], depth: int
    ) -> Any:
        required = set(schema.get("required", ()))
        out: dict[str, Any] = {}
        for name, prop in schema.get("properties", {}).items():
            if isinstance(prop, dict) and (prop.get("readOnly") and mode == "request"):
                continue
            wanted = (
                name in required or mode == "full" or (mode == "request" and self.has_example(prop))
            )
            if not wanted:
                continue
            value = self._sample(prop, mode, stack, depth + 1)
            if value is _OMIT:
                if name in required:
                    value = {}
                else:
                    continue
            out[name] = value
        return out

    @staticmethod
    def _sample_string(schema: dict[str, Any]) -> str:
        pattern = schema.get("pattern")
        fmt = schema.get("format")
        candidates: list[str] = []
        if fmt in _FORMAT_VALUES:
            candidates.append(_FORMAT_VALUES[fmt])
        if pattern:
            candidates.extend(_PATTERN_CANDIDATES)
        candidates.append("string-value")
        low, high = int(schema.get("minLength", 0)), int(schema.get("maxLength", 1 << 30))
        for value in candidates:
            if not low <= len(value) <= high:
                continue
            if pattern and not re.search(pattern, value):
                continue
            return value
        return "x" * max(low, 1)


@cache
def load_spec(version: str = "main") -> SpecDoc:
    """Load (once) and wrap the spec bundle of ``version``."""
    path = spec_file(version)
    return SpecDoc(json.loads(path.read_text(encoding="utf-8")))
