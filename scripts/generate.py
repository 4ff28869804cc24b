#!/usr/bin/env python3
"""Generate `camunda_sdk.operations` from the Orchestration Cluster OpenAPI spec.

Usage:
    python scripts/generate.py [--spec PATH] [--check]

The spec defaults to `../shared/spec/main/rest-api.bundle.json` relative to the
repository root (or `$CAMUNDA_SPEC`); `spec-metadata.json` beside it names the
semantic key types. The output is deterministic: every file is rendered in
memory, formatted with `ruff format`, and only then compared with (or written
over) `src/camunda_sdk/operations`. `--check` writes nothing and exits 1 when
the checked-in files differ from what the spec produces.

What is generated:
- `semantic_types.py`: one `NewType` over `str` per semantic key type.
- `models/<tag>.py`: attrs classes, string enums and union aliases, grouped by
  the API tag of the first operation (in spec order) that reaches them; models
  no operation reaches live in `models/common.py`. Modules import each other
  only under `TYPE_CHECKING`, and `models/__init__.py` resolves names lazily.
- `descriptors.py`: one `Operation` per operationId plus `OPERATIONS`, each
  carrying the per-operation policy decided by `operation_policy` below.
- `aliases.py`: the friendlier public names of some models (`MODEL_ALIASES`).
- `client.py`: the `CamundaOperations` / `AsyncCamundaOperations` mixins with
  one thin typed method per operation and a one-line docstring, plus the
  read-side parameters and `iter_<method>` methods `read_policy` decides.
- `errors.py`: the table of the per-operation error classes
  (`CreateProcessInstanceBadRequest`, one per operation and error status the spec
  lists): pure data that imports nothing, from which `camunda_sdk.errors` makes
  each class on first use and exposes it by name.
- `error_classes.pyi`: a stub-only module declaring those classes for type
  checkers (`camunda_sdk.errors` reads it under `TYPE_CHECKING`).
"""

from __future__ import annotations

import argparse
import json
import keyword
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "src" / "camunda_sdk" / "operations"
DEFAULT_SPEC = ROOT.parent / "shared" / "spec" / "main" / "rest-api.bundle.json"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
COMMON = "common"
# Names the generated modules use themselves; a schema may not take them.
RESERVED = frozenset(
    {
        "Any",
        "ClassVar",
        "Enum",
        "IO",
        "Model",
        "TYPE_CHECKING",
        "TypeAlias",
        "define",
        "Operation",
        "VariablesInput",
    }
)
# Builtins used in annotations: a field with one of these names would shadow them
# inside the class body, so such fields get a trailing underscore.
SHADOWED = frozenset({"str", "int", "float", "bool", "bytes", "list", "dict", "tuple", "type"})
MODEL_ATTRS = frozenset({"to_dict", "from_dict"})
FILE_CONTENT = "FileContent"
FILE_CONTENT_ANN = (
    "bytes | IO[bytes] | tuple[str, bytes | IO[bytes]] | tuple[str, bytes | IO[bytes], str]"
)


# --------------------------------------------------------------------------- policy
#
# How the pipeline treats each operation is decided here, and only here: the decisions
# are written into every generated descriptor (`Operation(..., idempotent=, drains=)`),
# where the retry and backpressure plugins (and third-party plugins) read them.
#
# idempotent: sending the request again after an unknown outcome (a 5xx, a read
#     timeout) cannot apply it twice, so the retry stage may replay it. True for the
#     methods RFC 9110 defines as idempotent, and for POSTs that only read: the spec
#     uses POST for searches, statistics and listings because their query is a body.
# drains: the operation takes work out of the cluster (ends a job or a user task, or
#     extends a job's lease). Backpressure never holds it back: delaying it would keep
#     jobs and tasks alive longer, deepen the overload, and let leases run out.

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
READ_ONLY_POST_PREFIXES = ("search", "get", "list")
DRAINING_OPERATIONS: dict[str, str] = {
    "completeJob": "ends a job with its result",
    "failJob": "hands a job back or ends its retries",
    "throwJobError": "ends a job with a BPMN error",
    "completeUserTask": "ends a user task",
    "updateJob": "extends a job's lease; held back, the job could time out and run twice",
}


@dataclass(frozen=True)
class Policy:
    """The per-operation decisions written into a descriptor."""

    idempotent: bool
    drains: bool


def operation_policy(op_id: str, method: str) -> Policy:
    """Decide how the pipeline treats one operation (see the table above)."""
    read_only_post = method == "POST" and op_id.startswith(READ_ONLY_POST_PREFIXES)
    return Policy(
        idempotent=method in IDEMPOTENT_METHODS or read_only_post,
        drains=op_id in DRAINING_OPERATIONS,
    )


# Read-side helpers (`camunda_sdk.reading`) are decided here too, from the spec alone:
#
# eventually_consistent: the spec marks the operation `x-eventually-consistent: true` (it is
#     served from the secondary store that lags behind the engine). Its methods take
#     `consistency: ConsistencyOptions[<result>] | None = None` and call `_run_consistent`;
#     no other method takes `consistency=`, so passing it elsewhere is
#     a type error rather than a silent no-op.
# search (cursor-pageable): the JSON request body has a `page` property that offers a
#     forward cursor (`after`, in the object or in one of its variants), and the 200
#     result is an object with an `items` array and a `page` object carrying `endCursor`.
#     Such an operation also gets `iter_<method>`, which follows `endCursor` -> `page.after`
#     and yields the items (taking `consistency=`, for the first page, only if the search is
#     eventually consistent). Offset-only pages (`from`/`limit`) do not qualify: following
#     offsets under concurrent writes skips or repeats items.
#
# `descriptors.py` lists the decisions (`EVENTUALLY_CONSISTENT`, `SEARCHES`) for tests and plugins.

EVENTUALLY_CONSISTENT_FLAG = "x-eventually-consistent"


@dataclass(frozen=True)
class ReadPolicy:
    """The read-side decisions for one operation."""

    eventually_consistent: bool
    search_item_ann: str | None  # the item type `iter_<method>` yields; None: not a search


# Variables a request sends may be given as a class instance: a free-form `variables` object
# (`dict[str, Any]`) of a model that only request bodies reach is annotated `VariablesInput`
# (a mapping, a dataclass or an attrs instance; `camunda_sdk._serde`), and `to_wire` turns
# the instance into a JSON object. Models a response reaches keep `dict[str, Any]`, so
# reading a result's variables needs no narrowing.
VARIABLES_WIRE = "variables"
VARIABLES_INPUT = "VariablesInput"


# Friendlier public names for some models, as the README uses them: `camunda_sdk` exports
# them (read from the generated `aliases.py`), and the docstring of every method whose
# body accepts one of these models names it.
MODEL_ALIASES: dict[str, str] = {
    "ProcessCreationByKey": "ProcessInstanceCreationInstructionByKey",
    "ProcessCreationById": "ProcessInstanceCreationInstructionById",
}


# Per-operation error classes: `<OperationId><Suffix>` for every error status the spec lists
# for an operation (`CreateProcessInstanceBadRequest`), each a subclass of the status class
# of `camunda_sdk.errors` named here. The suffixes are the statuses' reason phrases, as the
# reference SDK names its classes. A status the spec uses that is missing here is an error:
# add it with the status class `error_class_for_status` returns for it.
ERROR_STATUSES: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "BadRequestError"),
    401: ("Unauthorized", "UnauthorizedError"),
    403: ("Forbidden", "ForbiddenError"),
    404: ("NotFound", "NotFoundError"),
    405: ("MethodNotAllowed", "MethodNotAllowedError"),
    406: ("NotAcceptable", "NotAcceptableError"),
    408: ("RequestTimeout", "RequestTimeoutError"),
    409: ("Conflict", "ConflictError"),
    410: ("Gone", "GoneError"),
    412: ("PreconditionFailed", "PreconditionFailedError"),
    413: ("PayloadTooLarge", "PayloadTooLargeError"),
    415: ("UnsupportedMediaType", "UnsupportedMediaTypeError"),
    422: ("UnprocessableEntity", "UnprocessableEntityError"),
    429: ("TooManyRequests", "TooManyRequestsError"),
    500: ("InternalServerError", "InternalServerError"),
    501: ("NotImplemented", "NotImplementedServerError"),
    502: ("BadGateway", "BadGatewayError"),
    503: ("ServiceUnavailable", "ServiceUnavailableError"),
    504: ("GatewayTimeout", "GatewayTimeoutError"),
}


def error_class_name(op_id: str, status: int) -> str:
    """`createProcessInstance`, 400 -> `CreateProcessInstanceBadRequest`."""
    return op_id[:1].upper() + op_id[1:] + ERROR_STATUSES[status][0]


# --------------------------------------------------------------------------- naming


def snake(name: str) -> str:
    """`processInstanceKey` -> `process_instance_key`, `$or` -> `or_`."""
    s = name.lstrip("$")
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = re.sub(r"[^A-Za-z0-9]+", "_", s).strip("_").lower()
    if not s:
        s = "value"
    if s[0].isdigit():
        s = "f_" + s
    if keyword.iskeyword(s):
        s += "_"
    return s


def pascal(name: str) -> str:
    """`processInstanceKey` / `$or` / `some-name` -> `ProcessInstanceKey` / `Or` / `SomeName`."""
    parts = re.split(r"[^A-Za-z0-9]+", name)
    return "".join(p[:1].upper() + p[1:] for p in parts if p)


def enum_member(value: str) -> str:
    """`userTask` -> `USER_TASK`, `ACTIVE` -> `ACTIVE`."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(value))
    s = re.sub(r"[^A-Za-z0-9]+", "_", s).strip("_").upper()
    if not s:
        s = "EMPTY"
    if s[0].isdigit():
        s = "V_" + s
    return s


ASCII = str.maketrans(
    {
        "\u2010": "-",
        "\u2011": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2264": "<=",
        "\u2265": ">=",
        "\u00a0": " ",
    }
)


def one_line(text: str | None, fallback: str) -> str:
    """The first sentence of a description, short enough for a one-line docstring."""
    text = (text or "").strip()
    if not text:
        return fallback
    lines = []
    for line in text.split("\n\n")[0].splitlines():
        if lines and line.lstrip().startswith(("- ", "* ", "1.")):
            break  # stop before a list
        lines.append(line)
    first = " ".join(" ".join(lines).split()).translate(ASCII)
    m = re.match(r"(.+?[.!?])(\s|$)", first)
    if m:
        first = m.group(1)
    if len(first) > 88:
        cut = first[:85].rsplit(" ", 1)[0]
        first = cut.rstrip(",;:") + "..."
    if not first.endswith((".", "!", "?")):
        first += "."
    return first.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def humanize(op_id: str) -> str:
    return snake(op_id).replace("_", " ").capitalize() + "."


# --------------------------------------------------------------------------- model


@dataclass
class FieldDef:
    py: str
    wire: str
    ann: str
    spec: Any
    required: bool
    nullable: bool


@dataclass
class Def:
    """A generated model (`kind="model"`), enum (`"enum"`) or union alias (`"alias"`)."""

    kind: str
    name: str
    doc: str
    fields: list[FieldDef] = field(default_factory=list)
    members: list[tuple[str, str]] = field(default_factory=list)
    ann: str = ""
    module: str = COMMON
    deps: set[str] = field(default_factory=set)  # every def it reaches (annotations and specs)
    ann_deps: set[str] = field(default_factory=set)  # the defs its annotations name


@dataclass
class Param:
    py: str
    wire: str
    location: str
    ann: str
    required: bool


@dataclass
class OpDef:
    id: str
    method: str
    path: str
    tag: str
    summary: str
    params: list[Param]
    body: str | None
    body_ann: str | None
    body_required: bool
    result: Any
    result_ann: str
    root_server: bool
    roots: set[str] = field(default_factory=set)
    errors: list[int] = field(default_factory=list)  # the error statuses the spec lists
    read: ReadPolicy = ReadPolicy(False, None)  # decided by `Generator.read_policy`


IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Generator:
    def __init__(self, spec: dict[str, Any], meta: dict[str, Any]) -> None:
        self.spec = spec
        self.version = spec["info"]["version"]
        self.schemas: dict[str, Any] = spec["components"]["schemas"]
        self.semantic: list[str] = sorted({k["semanticType"] for k in meta["semanticKeys"]})
        self.semantic_set = set(self.semantic)
        self.defs: dict[str, Def] = {}
        self.ops: list[OpDef] = []
        self.ref_cache: dict[str, tuple[str, Any]] = {}
        self.inline_cache: dict[int, tuple[str, Any]] = {}  # id(schema) -> named inline type
        # Docstring fallbacks for inline schemas, keyed by the name hint they are built under.
        self.inline_docs: dict[str, str] = {}
        clash = (self.semantic_set | set(self.schemas)) & RESERVED
        if clash:
            raise SystemExit(f"schema names clash with generated helpers: {sorted(clash)}")

    # ------------------------------------------------------------------ schemas

    def ref_name(self, schema: dict[str, Any]) -> str:
        ref = schema["$ref"]
        if not ref.startswith("#/components/schemas/"):
            raise SystemExit(f"unsupported $ref {ref}")
        return ref.rsplit("/", 1)[1]

    def kind_of(self, name: str) -> str:
        sc = self.schemas[name]
        if name in self.semantic_set:
            return "semantic"
        if "oneOf" in sc or "anyOf" in sc:
            return "alias"
        if "enum" in sc:
            return "enum"
        if "properties" in sc:
            return "model"
        if "allOf" in sc and sc.get("type") not in (
            "string",
            "integer",
            "number",
            "boolean",
            "array",
        ):
            return "model"
        return "inline"

    def unique(self, base: str) -> str:
        name, i = base, 2
        while name in self.defs or name in self.schemas or name in self.semantic_set:
            name = f"{base}{i}"
            i += 1
        return name

    def type_of(self, sc: dict[str, Any], hint: str) -> tuple[str, Any]:
        """Return (annotation, serde spec) for a schema; inline objects/enums get `hint` as name."""
        if "$ref" in sc:
            return self.ref_type(self.ref_name(sc))
        if "allOf" in sc and len(sc["allOf"]) == 1 and "properties" not in sc:
            return self.type_of(sc["allOf"][0], hint)
        if id(sc) in self.inline_cache:
            # The same inline schema reached again (an allOf parent flattening it): reuse it.
            return self.inline_cache[id(sc)]
        if "allOf" in sc or "properties" in sc:
            name = self.unique(hint)
            self.inline_cache[id(sc)] = (name, name)
            self.build_model(name, sc, hint)
            return name, name
        if "oneOf" in sc or "anyOf" in sc:
            return self.union_type(sc, hint)
        if "enum" in sc:
            name = self.unique(hint)
            self.inline_cache[id(sc)] = (name, name)
            self.build_enum(name, sc, hint)
            return name, name
        t = sc.get("type")
        if t == "string":
            if sc.get("format") == "binary":
                return FILE_CONTENT, "binary"
            return "str", None
        if t == "integer":
            return "int", None
        if t == "number":
            return "float", None
        if t == "boolean":
            return "bool", None
        if t == "array":
            ann, spec = self.type_of(sc.get("items", {}), hint)
            return f"list[{ann}]", (None if spec is None else ("list", spec))
        ap = sc.get("additionalProperties")
        if isinstance(ap, dict) and ap:
            ann, spec = self.type_of(ap, hint + "Value")
            return f"dict[str, {ann}]", (None if spec is None else ("dict", spec))
        if t == "object":
            return "dict[str, Any]", None
        return "Any", None

    def ref_type(self, name: str) -> tuple[str, Any]:
        # Cached, so an inline enum under an alias schema is named (and built) once.
        if name not in self.ref_cache:
            self.ref_cache[name] = self._ref_type(name)
        return self.ref_cache[name]

    def _ref_type(self, name: str) -> tuple[str, Any]:
        kind = self.kind_of(name)
        if kind == "semantic":
            return name, None
        if kind == "inline":
            return self.type_of(self.schemas[name], name)
        d = self.defs.get(name)
        if d is None:
            raise SystemExit(f"schema {name} referenced before it was built")
        if kind == "alias":
            return name, self.union_spec(self.schemas[name], name)
        return name, name

    def variants(self, sc: dict[str, Any], hint: str) -> list[tuple[str, Any]]:
        out = []
        for i, v in enumerate(sc.get("oneOf") or sc.get("anyOf") or []):
            out.append(self.type_of(v, f"{hint}Option{i + 1}"))
        return out

    def union_spec(self, sc: dict[str, Any], hint: str) -> Any:
        vs = self.variants(sc, hint)
        specs = tuple(dict.fromkeys(s for _, s in vs))
        if all(s is None for s in specs):
            return None
        disc = sc.get("discriminator")
        prop = disc.get("propertyName") if disc else None
        mapping = None
        if disc and disc.get("mapping"):
            mapping = {k: v.rsplit("/", 1)[1] for k, v in sorted(disc["mapping"].items())}
        return ("union", specs, prop, mapping)

    def union_type(self, sc: dict[str, Any], hint: str) -> tuple[str, Any]:
        anns = list(dict.fromkeys(a for a, _ in self.variants(sc, hint)))
        return " | ".join(anns), self.union_spec(sc, hint)

    def collect(self, sc: dict[str, Any], props: dict[str, Any], required: list[str]) -> None:
        """Flatten allOf chains into one property map and required list."""
        for part in sc.get("allOf", []):
            if "$ref" in part:
                self.collect(self.schemas[self.ref_name(part)], props, required)
            else:
                self.collect(part, props, required)
        for k, v in sc.get("properties", {}).items():
            props[k] = v
        for r in sc.get("required", []):
            if r not in required:
                required.append(r)

    def build_model(self, name: str, sc: dict[str, Any], hint: str) -> None:
        fallback = self.inline_docs.get(hint, f"{name}.")
        d = Def("model", name, one_line(sc.get("description") or sc.get("title"), fallback))
        self.defs[name] = d
        props: dict[str, Any] = {}
        required: list[str] = []
        self.collect(sc, props, required)
        used: set[str] = set()
        fields = []
        for wire, ps in props.items():
            py = snake(wire)
            if py in SHADOWED or py in MODEL_ATTRS:
                py += "_"
            while py in used:
                py += "_"
            used.add(py)
            self.inline_docs[name + pascal(wire)] = f"The `{wire}` value of `{name}`."
            ann, spec = self.type_of(ps, name + pascal(wire))
            nullable = bool(ps.get("nullable")) or ann == "Any"
            fields.append(FieldDef(py, wire, ann, spec, wire in required, nullable))
        # Required fields first (spec order), then optional ones (spec order).
        d.fields = [f for f in fields if f.required] + [f for f in fields if not f.required]

    def build_enum(self, name: str, sc: dict[str, Any], hint: str = "") -> None:
        fallback = self.inline_docs.get(hint, f"{name}.")
        d = Def("enum", name, one_line(sc.get("description") or sc.get("title"), fallback))
        seen: set[str] = set()
        for v in sc["enum"]:
            if v is None:
                continue
            m = enum_member(v)
            base, i = m, 2
            while m in seen:
                m = f"{base}_{i}"
                i += 1
            seen.add(m)
            d.members.append((m, str(v)))
        self.defs[name] = d

    def build_components(self) -> None:
        # Register every named class first so references resolve in any order.
        for name, sc in self.schemas.items():
            kind = self.kind_of(name)
            doc = one_line(sc.get("description") or sc.get("title"), f"{name}.")
            if kind == "model":
                self.defs[name] = Def("model", name, doc)
            elif kind == "enum":
                self.build_enum(name, sc)
            elif kind == "alias":
                self.defs[name] = Def("alias", name, doc)
        # Inline enums/objects take the name of the schema that declares them, even when an
        # allOf parent flattening that schema comes first in the spec.
        for name, sc in self.schemas.items():
            if self.kind_of(name) == "model":
                for part in [sc, *(p for p in sc.get("allOf", []) if "$ref" not in p)]:
                    for wire, ps in part.get("properties", {}).items():
                        if "enum" in ps or "properties" in ps:
                            self.inline_docs[name + pascal(wire)] = (
                                f"The `{wire}` value of `{name}`."
                            )
                            self.type_of(ps, name + pascal(wire))
        for name, sc in self.schemas.items():
            kind = self.kind_of(name)
            if kind == "model":
                self.build_model(name, sc, name)
            elif kind == "alias":
                self.defs[name].ann = self.union_type(sc, name)[0]
        # Component aliases that are plain scalars (`ResourceKey`) stay aliases too.

    # ------------------------------------------------------------------ operations

    def build_operations(self) -> None:
        for path, item in self.spec["paths"].items():
            root_server = any(
                not s["url"].rstrip("/").endswith("/v2") for s in item.get("servers", [])
            )
            for method in HTTP_METHODS:
                if method in item:
                    self.ops.append(
                        self.build_operation(path, method, item, item[method], root_server)
                    )
        ids = [op.id for op in self.ops]
        names = [snake(i) for i in ids]
        if len(set(ids)) != len(ids) or len(set(names)) != len(names):
            raise SystemExit("operationIds collide after snake_case conversion")

    def build_operation(
        self, path: str, method: str, item: dict[str, Any], op: dict[str, Any], root_server: bool
    ) -> OpDef:
        op_id = op["operationId"]
        op_pascal = op_id[:1].upper() + op_id[1:]
        params: list[Param] = []
        raw = list(item.get("parameters", [])) + list(op.get("parameters", []))
        for p in raw:
            if "$ref" in p:
                raise SystemExit(f"{op_id}: parameter $ref is not supported")
            if p["in"] not in ("path", "query"):
                raise SystemExit(f"{op_id}: {p['in']} parameters are not supported")
            self.inline_docs[op_pascal + pascal(p["name"])] = (
                f"The `{p['name']}` parameter of `{op_id}`."
            )
            ann, _ = self.type_of(p.get("schema", {}), op_pascal + pascal(p["name"]))
            py = snake(p["name"])
            params.append(Param(py, p["name"], p["in"], ann, bool(p.get("required"))))
        body = body_ann = None
        body_required = False
        rb = op.get("requestBody")
        if rb:
            body_required = bool(rb.get("required"))
            content = rb["content"]
            if "multipart/form-data" in content:
                body, media = "multipart", content["multipart/form-data"]
            elif "application/json" in content:
                body, media = "json", content["application/json"]
            else:
                raise SystemExit(f"{op_id}: unsupported request media {sorted(content)}")
            schema = media.get("schema")
            self.inline_docs[op_pascal + "Request"] = f"The request body of `{op_id}`."
            body_ann = (
                self.type_of(schema, op_pascal + "Request")[0] if schema else "dict[str, Any]"
            )
        result: Any = None
        result_ann = "None"
        optional = False
        found = False
        for code in sorted(c for c in op["responses"] if c.startswith("2")):
            resp = op["responses"][code]
            content = resp.get("content") or {}
            if code == "204" or not content:
                optional = True
                continue
            if found:
                continue
            found = True
            if "application/json" in content:
                schema = content["application/json"].get("schema", {})
                self.inline_docs[op_pascal + "Response"] = f"The response of `{op_id}`."
                result_ann, result = self.type_of(schema, op_pascal + "Response")
                if result is None:
                    # A truthy spec that parses as-is (None would mean "no content").
                    result = ("list", None) if result_ann.startswith("list[") else ("dict", None)
            elif any(ct.startswith("text/") for ct in content):
                result, result_ann = "text", "str"
            elif any(ct == "application/octet-stream" for ct in content):
                result, result_ann = "bytes", "bytes"
            else:
                raise SystemExit(f"{op_id}: unsupported response media {sorted(content)}")
        if found and optional:
            result_ann += " | None"
        errors = sorted(int(c) for c in op["responses"] if c[:1] in "45" and c.isdigit())
        unknown = [c for c in errors if c not in ERROR_STATUSES]
        if unknown:
            raise SystemExit(f"{op_id}: error statuses {unknown} are not in ERROR_STATUSES")
        names = [p.py for p in params] + (["data"] if body else [])
        if len(set(names)) != len(names) or "self" in names:
            raise SystemExit(f"{op_id}: parameter names collide: {names}")
        summary = op.get("summary") or one_line(op.get("description"), humanize(op_id))
        d = OpDef(
            id=op_id,
            method=method.upper(),
            path=path,
            tag=(op.get("tags") or ["common"])[0],
            summary=one_line(summary, humanize(op_id)),
            params=params,
            body=body,
            body_ann=body_ann,
            body_required=body_required,
            result=result,
            result_ann=result_ann,
            root_server=root_server,
            errors=errors,
        )
        d.read = self.read_policy(op, result_ann)
        for ann in [p.ann for p in params] + [body_ann or "", result_ann]:
            d.roots |= self.names_in(ann)
        return d

    def flat_props(self, sc: dict[str, Any]) -> dict[str, Any]:
        """The properties of a schema, `$ref`s resolved and `allOf` chains flattened."""
        while "$ref" in sc:
            sc = self.schemas[self.ref_name(sc)]
        props: dict[str, Any] = {}
        self.collect(sc, props, [])
        return props

    def offers_cursor(self, sc: dict[str, Any]) -> bool:
        """Whether a `page` request schema (or one of its variants) takes `after`."""
        while "$ref" in sc or ("allOf" in sc and len(sc["allOf"]) == 1):
            # Unwrap references and one-part `allOf` wrappers (a description over a $ref).
            sc = self.schemas[self.ref_name(sc)] if "$ref" in sc else sc["allOf"][0]
        variants = sc.get("oneOf") or sc.get("anyOf") or [sc]
        return any("after" in self.flat_props(v) for v in variants)

    def read_policy(self, op: dict[str, Any], result_ann: str) -> ReadPolicy:
        """Decide the read-side helpers of one operation (see the table at the top)."""
        consistent = bool(op.get(EVENTUALLY_CONSISTENT_FLAG))
        body = (op.get("requestBody") or {}).get("content", {}).get("application/json", {})
        result = (op["responses"].get("200") or {}).get("content", {}).get("application/json")
        if not body.get("schema") or not result or not result.get("schema"):
            return ReadPolicy(consistent, None)
        page = self.flat_props(body["schema"]).get("page")
        props = self.flat_props(result["schema"])
        items, result_page = props.get("items"), props.get("page")
        if page is None or items is None or result_page is None:
            return ReadPolicy(consistent, None)
        if not self.offers_cursor(page) or "endCursor" not in self.flat_props(result_page):
            return ReadPolicy(consistent, None)
        d = self.defs.get(result_ann)
        item_field = next((f for f in d.fields if f.wire == "items"), None) if d else None
        if item_field is None or not item_field.ann.startswith("list["):
            raise SystemExit(f"{op['operationId']}: a search result without a typed items list")
        return ReadPolicy(consistent, item_field.ann[len("list[") : -1])

    def check_tables(self) -> None:
        """Fail on hand-written table entries the spec no longer backs."""
        ids = {op.id for op in self.ops}
        stale = sorted(set(DRAINING_OPERATIONS) - ids)
        if stale:
            raise SystemExit(f"DRAINING_OPERATIONS names unknown operations: {stale}")
        for alias, target in MODEL_ALIASES.items():
            d = self.defs.get(target)
            if d is None or d.kind != "model":
                raise SystemExit(f"MODEL_ALIASES: {alias} names no model ({target})")
            if alias in self.defs or alias in self.semantic_set:
                raise SystemExit(f"MODEL_ALIASES: {alias} is already a generated name")

    # ------------------------------------------------------------------ grouping

    def names_in(self, ann: str) -> set[str]:
        return {n for n in IDENT.findall(ann) if n in self.defs}

    def compute_deps(self) -> None:
        for d in self.defs.values():
            text = d.ann + " " + " ".join(f.ann for f in d.fields)
            d.ann_deps = self.names_in(text) - {d.name}
            d.deps = set(d.ann_deps)
            spec_text = " ".join(repr(f.spec) for f in d.fields)
            d.deps |= self.names_in(spec_text) - {d.name}

    def closure(self, roots: Iterable[str]) -> set[str]:
        """Every def the `roots` reach."""
        seen: set[str] = set()
        stack = [n for n in roots if n in self.defs]
        while stack:
            n = stack.pop()
            if n not in seen:
                seen.add(n)
                stack.extend(self.defs[n].deps)
        return seen

    def widen_request_variables(self) -> None:
        """Annotate request-only `variables` objects as `VariablesInput` (see the table)."""
        requested = self.closure(n for op in self.ops for n in self.names_in(op.body_ann or ""))
        answered = self.closure(n for op in self.ops for n in self.names_in(op.result_ann))
        for name in sorted(requested - answered):
            for f in self.defs[name].fields:
                if f.wire == VARIABLES_WIRE and f.ann == "dict[str, Any]":
                    f.ann = VARIABLES_INPUT

    def assign_modules(self) -> None:
        if FILE_CONTENT in self.defs:
            raise SystemExit(f"a schema is called {FILE_CONTENT}")
        assigned: set[str] = set()
        for op in self.ops:
            module = snake(op.tag)
            if module == "models" or keyword.iskeyword(module):
                module += "_"
            stack = sorted(op.roots)
            while stack:
                n = stack.pop()
                if n in assigned:
                    continue
                assigned.add(n)
                self.defs[n].module = module
                stack.extend(sorted(self.defs[n].deps))

    # ------------------------------------------------------------------ rendering

    def header(self) -> str:
        return (
            "# GENERATED by scripts/generate.py from the Orchestration Cluster OpenAPI spec "
            f"({self.version}). Do not edit.\n"
        )

    def render_all(self) -> dict[str, str]:
        files: dict[str, str] = {}
        files["__init__.py"] = self.header() + (
            '"""Generated from the Orchestration Cluster OpenAPI spec by scripts/generate.py.\n\n'
            "`models` holds the attrs models, `semantic_types` the key types, `descriptors`\n"
            "the operation descriptors, `aliases` the models' friendlier public names,\n"
            "`client` the typed client methods and `errors` the per-operation error classes.\n"
            '"""\n'
        )
        files["semantic_types.py"] = self.render_semantic()
        modules: dict[str, list[Def]] = {}
        for d in self.defs.values():
            modules.setdefault(d.module, []).append(d)
        modules.setdefault(COMMON, [])
        for mod, defs in sorted(modules.items()):
            files[f"models/{mod}.py"] = self.render_module(mod, defs)
        files["models/__init__.py"] = self.render_models_init(modules)
        files["descriptors.py"] = self.render_descriptors()
        files["aliases.py"] = self.render_aliases()
        files["client.py"] = self.render_client()
        files["errors.py"] = self.render_errors()
        files["error_classes.pyi"] = self.render_errors_stub()
        return files

    def error_classes(self) -> list[tuple[str, str, int]]:
        """(class name, operationId, status) of every per-operation error class, by name."""
        out = [(error_class_name(op.id, s), op.id, s) for op in self.ops for s in op.errors]
        names = [n for n, _, _ in out]
        if len(set(names)) != len(names):
            raise SystemExit("per-operation error class names collide")
        clash = set(names) & (set(self.defs) | self.semantic_set)
        if clash:
            raise SystemExit(f"error class names clash with models: {sorted(clash)}")
        return sorted(out)

    def render_errors(self) -> str:
        classes = self.error_classes()
        used = sorted({s for _, _, s in classes})
        table = ", ".join(f"{s}: {ERROR_STATUSES[s]!r}" for s in used)
        # No trailing commas, so that `ruff format` keeps each entry on one line.
        errors = ", ".join(f"{op.id!r}: {tuple(op.errors)!r}" for op in self.ops if op.errors)
        return "\n".join(
            [
                self.header(),
                '"""The table of the per-operation error classes: pure data, importing nothing.\n\n'
                "`CreateProcessInstanceBadRequest` is the error `createProcessInstance` raises\n"
                "for a 400: a subclass of `camunda_sdk.errors.BadRequestError`. There is one per\n"
                "operation and error status listed here; `camunda_sdk.errors` makes each on\n"
                "first use and exposes it by name, and `error_classes.pyi` declares them for\n"
                "type checkers.\n"
                '"""\n',
                "#: status -> (class name suffix, status class in `camunda_sdk.errors`)",
                f"STATUS_CLASSES: dict[int, tuple[str, str]] = {{{table}}}\n",
                "#: operationId -> the error statuses the spec lists for it",
                f"ERRORS: dict[str, tuple[int, ...]] = {{{errors}}}\n",
            ]
        )

    def render_errors_stub(self) -> str:
        classes = self.error_classes()
        bases = sorted({ERROR_STATUSES[s][1] for _, _, s in classes})
        out = [
            self.header(),
            '"""Type declarations of the per-operation error classes (generated, stub only).\n\n'
            "There is no runtime module behind this stub: `camunda_sdk.errors` makes the\n"
            "classes on first use and is where they are imported from.\n"
            '"""\n',
            f"from camunda_sdk.errors import {', '.join(bases)}\n",
            "__all__ = [" + ", ".join(f'"{n}"' for n, _, _ in classes) + "]\n",
        ]
        for name, op_id, status in classes:
            base = ERROR_STATUSES[status][1]
            out.append(f"class {name}({base}):")
            out.append(f'    """{error_doc(op_id, status, base)}"""\n')
        return "\n".join(out)

    def render_aliases(self) -> str:
        names = sorted(MODEL_ALIASES)
        out = [
            self.header(),
            '"""Friendlier public names for some models; `camunda_sdk` exports them.\n\n'
            "`ALIASES` maps each public name to the model it stands for. Resolving a name\n"
            "here imports that model's module on first use, like `models`.\n"
            '"""\n',
            "from __future__ import annotations\n",
            "from typing import TYPE_CHECKING, Any\n",
            "if TYPE_CHECKING:",
        ]
        out += [f"    from .models import {MODEL_ALIASES[n]} as {n}" for n in names]
        out.append("\n__all__ = [" + ", ".join(f'"{n}"' for n in names) + "]\n")
        out.append(
            "ALIASES: dict[str, str] = {"
            + ", ".join(f'"{n}": "{MODEL_ALIASES[n]}"' for n in names)
            + "}\n"
        )
        out.append(
            "\ndef __getattr__(name: str) -> Any:\n"
            "    try:\n"
            "        target = ALIASES[name]\n"
            "    except KeyError:\n"
            '        msg = f"module {__name__!r} has no attribute {name!r}"\n'
            "        raise AttributeError(msg) from None\n"
            "    from . import models\n\n"
            "    value = getattr(models, target)\n"
            "    globals()[name] = value\n"
            "    return value\n"
        )
        return "\n".join(out)

    def render_semantic(self) -> str:
        lines = [
            self.header(),
            '"""Semantic key types: distinct `str` types that keep kinds of key apart."""\n',
            "from __future__ import annotations\n",
            "from typing import NewType\n",
            "__all__ = [" + ", ".join(f'"{n}"' for n in self.semantic) + "]\n",
        ]
        for n in self.semantic:
            lines.append(f'{n} = NewType("{n}", str)')
        return "\n".join(lines) + "\n"

    def render_module(self, mod: str, defs: list[Def]) -> str:
        defs = sorted(defs, key=lambda d: ({"enum": 0, "model": 1, "alias": 2}[d.kind], d.name))
        names = [d.name for d in defs]
        if mod == COMMON:
            names.append(FILE_CONTENT)
        text = "\n".join(self.render_def(d) for d in defs)
        if mod == COMMON:
            text += (
                f'\n{FILE_CONTENT}: TypeAlias = "{FILE_CONTENT_ANN}"\n'
                '"""File content for a multipart upload: bytes or a binary file, optionally as\n'
                '(filename, content) or (filename, content, content type)."""\n'
            )
        used = set(IDENT.findall(text))
        typing_names = [n for n in ("IO", "Any", "ClassVar", "TypeAlias") if n in used]
        cross: dict[str, set[str]] = {}
        semantic: set[str] = set()
        for d in defs:
            for dep in d.ann_deps:
                dd = self.defs[dep]
                if dd.module != mod:
                    cross.setdefault(dd.module, set()).add(dep)
            for f in d.fields:
                semantic |= {n for n in IDENT.findall(f.ann) if n in self.semantic_set}
            semantic |= {n for n in IDENT.findall(d.ann) if n in self.semantic_set}
            if FILE_CONTENT in IDENT.findall(" ".join(f.ann for f in d.fields)) and mod != COMMON:
                cross.setdefault(COMMON, set()).add(FILE_CONTENT)
        out = [
            self.header(),
            f'"""Models of the {mod.replace("_", " ")} operations (generated)."""\n',
        ]
        out.append("from __future__ import annotations\n")
        if any(d.kind == "enum" for d in defs):
            out.append("from enum import Enum")
        variables_input = VARIABLES_INPUT in used
        if cross or semantic or variables_input:
            typing_names.insert(1 if "IO" in typing_names else 0, "TYPE_CHECKING")
        if typing_names:
            out.append(f"from typing import {', '.join(typing_names)}")
        if any(d.kind == "model" for d in defs):
            out.append("\nfrom attrs import define\n")
            out.append("from camunda_sdk._serde import Model")
        if cross or semantic or variables_input:
            out.append("\nif TYPE_CHECKING:")
            if variables_input:
                out.append(f"    from camunda_sdk._serde import {VARIABLES_INPUT}")
            if semantic:
                out.append(f"    from ..semantic_types import {', '.join(sorted(semantic))}")
            for m in sorted(cross):
                out.append(f"    from .{m} import {', '.join(sorted(cross[m]))}")
        out.append("\n__all__ = [" + ", ".join(f'"{n}"' for n in sorted(names)) + "]\n")
        return "\n".join(out) + "\n" + text

    def render_def(self, d: Def) -> str:
        if d.kind == "enum":
            lines = [f"\nclass {d.name}(str, Enum):", f'    """{d.doc}"""', ""]
            lines += [f"    {m} = {json.dumps(v)}" for m, v in d.members]
            return "\n".join(lines) + "\n"
        if d.kind == "alias":
            return f'\n{d.name}: TypeAlias = "{d.ann}"\n"""{d.doc}"""\n'
        wire = ", ".join(f"{f.py!r}: ({f.wire!r}, {f.spec!r})" for f in d.fields)
        lines = [
            "\n@define(kw_only=True)",
            f"class {d.name}(Model):",
            f'    """{d.doc}"""',
            "",
            f"    __wire__: ClassVar[dict[str, tuple[str, Any]]] = {{{wire}}}",
        ]
        for f in d.fields:
            ann = f.ann
            if (f.nullable or not f.required) and ann != "Any" and not ann.endswith("| None"):
                ann += " | None"
            if f.required:
                lines.append(f"    {f.py}: {ann}")
            else:
                lines.append(f"    {f.py}: {ann} = None")
        return "\n".join(lines) + "\n"

    def render_models_init(self, modules: dict[str, list[Def]]) -> str:
        index: dict[str, str] = {FILE_CONTENT: COMMON}
        for mod, defs in modules.items():
            for d in defs:
                index[d.name] = mod
        names = sorted(index)
        out = [
            self.header(),
            '"""The generated models, loaded lazily: a name imports its module on first use."""\n',
            "from __future__ import annotations\n",
            "import importlib",
            "from typing import TYPE_CHECKING, Any\n",
            "if TYPE_CHECKING:",
        ]
        by_mod: dict[str, list[str]] = {}
        for n in names:
            by_mod.setdefault(index[n], []).append(n)
        for mod in sorted(by_mod):
            out.append(f"    from .{mod} import {', '.join(by_mod[mod])}")
        out.append("\n__all__ = [" + ", ".join(f'"{n}"' for n in names) + "]\n")
        out.append(
            "_INDEX: dict[str, str] = {" + ", ".join(f'"{n}": "{index[n]}"' for n in names) + "}\n"
        )
        out.append(
            "\ndef __getattr__(name: str) -> Any:\n"
            "    try:\n"
            "        module = _INDEX[name]\n"
            "    except KeyError:\n"
            '        msg = f"module {__name__!r} has no attribute {name!r}"\n'
            "        raise AttributeError(msg) from None\n"
            '    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)\n'
            "    globals()[name] = value\n"
            "    return value\n\n"
            "\ndef __dir__() -> list[str]:\n"
            "    return sorted(set(globals()) | set(__all__))\n"
        )
        return "\n".join(out)

    def render_descriptors(self) -> str:
        out = [
            self.header(),
            '"""One `Operation` descriptor per operationId; `OPERATIONS` maps ids to them."""\n',
            "from __future__ import annotations\n",
            "from camunda_sdk.pipeline.operation import Operation\n",
            '__all__ = ["EVENTUALLY_CONSISTENT", "OPERATIONS", "SEARCHES"]\n',
            "# `root=True`: the spec serves the path from the server root, not the `/v2` base.\n"
            "# `idempotent` and `drains`: decided by `operation_policy` in scripts/generate.py.\n",
        ]
        for op in self.ops:
            args = [repr(op.id), repr(op.method), repr(op.path)]
            if op.body:
                args.append(f"body={op.body!r}")
            if op.result is not None:
                args.append(f"result={op.result!r}")
            if op.root_server:
                args.append("root=True")
            policy = operation_policy(op.id, op.method)
            args.append(f"idempotent={policy.idempotent}")
            if policy.drains:
                args.append("drains=True")
            out.append(f"{op.id} = Operation({', '.join(args)})")
        out.append("\nOPERATIONS: dict[str, Operation] = {")
        out += [f"    {op.id!r}: {op.id}," for op in self.ops]
        out.append("}")
        consistent = sorted(op.id for op in self.ops if op.read.eventually_consistent)
        searches = sorted(op.id for op in self.ops if op.read.search_item_ann)
        out.append("\n#: The `x-eventually-consistent` operations (they take `consistency=`).")
        out.append(f"EVENTUALLY_CONSISTENT: frozenset[str] = frozenset({consistent!r})")
        out.append("\n#: The cursor-pageable searches (each has an `iter_<method>`).")
        out.append(f"SEARCHES: frozenset[str] = frozenset({searches!r})")
        return "\n".join(out) + "\n"

    def render_client(self) -> str:
        used: set[str] = set()
        sync_methods: list[str] = []
        async_methods: list[str] = []
        for op in self.ops:
            s, a, names = self.render_method(op)
            sync_methods.append(s)
            async_methods.append(a)
            used |= names
        models = sorted(n for n in used if n in self.defs or n == FILE_CONTENT)
        semantic = sorted(n for n in used if n in self.semantic_set)
        out = [
            self.header(),
            '"""Typed client methods, one per operation, as sync and async mixins.\n\n'
            "Each method hands the operation descriptor, its path and query parameters (keyed by\n"
            "wire name) and the body to `_run`, which the client base class provides for both;\n"
            "eventually consistent operations go through `_run_consistent` and `iter_<search>`\n"
            "through `_iter_pages`: one definition on the client base for both clients, which\n"
            "runs a flow written once in `camunda_sdk.reading` with the client's driver.\n"
            '"""\n',
            "from __future__ import annotations\n",
            "from typing import TYPE_CHECKING, Any\n",
            "if TYPE_CHECKING:",
            "    from collections.abc import AsyncIterator, Iterator\n",
            "    from camunda_sdk.pipeline.operation import Operation",
            "    from camunda_sdk.consistency import ConsistencyOptions\n",
            "    from . import descriptors as _d",
        ]
        if models:
            out.append(f"    from .models import {', '.join(models)}")
        if semantic:
            out.append(f"    from .semantic_types import {', '.join(semantic)}")
        out.append(
            "else:\n\n"
            "    class _Descriptors:\n"
            '        """`_d.<operationId>`: that descriptor, from `descriptors` at first use.\n\n'
            "        Constructing a client needs no descriptor, so importing this module\n"
            "        does not build them.\n"
            '        """\n\n'
            "        def __getattr__(self, name: str) -> Any:\n"
            "            from . import descriptors\n\n"
            "            value = getattr(descriptors, name)\n"
            "            setattr(self, name, value)  # found without this hook from now on\n"
            "            return value\n\n"
            "    _d = _Descriptors()\n"
        )
        out.append('\n__all__ = ["AsyncCamundaOperations", "CamundaOperations"]\n')
        out.append(
            "\nclass CamundaOperations:\n"
            '    """The typed operation methods of `CamundaClient` (sync)."""\n\n'
            "    __slots__ = ()\n\n"
            "    if TYPE_CHECKING:\n\n"
            "        def _run(\n"
            "            self,\n"
            "            op: Operation,\n"
            "            path: dict[str, Any] | None,\n"
            "            query: dict[str, Any] | None,\n"
            "            body: Any,\n"
            "        ) -> Any: ...\n\n"
            "        def _run_consistent(\n"
            "            self,\n"
            "            op: Operation,\n"
            "            path: dict[str, Any] | None,\n"
            "            query: dict[str, Any] | None,\n"
            "            body: Any,\n"
            "            consistency: ConsistencyOptions[Any] | None,\n"
            "        ) -> Any: ...\n\n"
            "        def _iter_pages(\n"
            "            self,\n"
            "            op: Operation,\n"
            "            path: dict[str, Any] | None,\n"
            "            query: dict[str, Any] | None,\n"
            "            data: Any,\n"
            "            page_size: int,\n"
            "            limit: int | None,\n"
            "            consistency: ConsistencyOptions[Any] | None,\n"
            "        ) -> Iterator[Any]: ...\n"
        )
        out += sync_methods
        out.append(
            "\nclass AsyncCamundaOperations:\n"
            '    """The typed operation methods of `CamundaAsyncClient` (async)."""\n\n'
            "    __slots__ = ()\n\n"
            "    if TYPE_CHECKING:\n\n"
            "        async def _run(\n"
            "            self,\n"
            "            op: Operation,\n"
            "            path: dict[str, Any] | None,\n"
            "            query: dict[str, Any] | None,\n"
            "            body: Any,\n"
            "        ) -> Any: ...\n\n"
            "        async def _run_consistent(\n"
            "            self,\n"
            "            op: Operation,\n"
            "            path: dict[str, Any] | None,\n"
            "            query: dict[str, Any] | None,\n"
            "            body: Any,\n"
            "            consistency: ConsistencyOptions[Any] | None,\n"
            "        ) -> Any: ...\n\n"
            "        def _iter_pages(\n"
            "            self,\n"
            "            op: Operation,\n"
            "            path: dict[str, Any] | None,\n"
            "            query: dict[str, Any] | None,\n"
            "            data: Any,\n"
            "            page_size: int,\n"
            "            limit: int | None,\n"
            "            consistency: ConsistencyOptions[Any] | None,\n"
            "        ) -> AsyncIterator[Any]: ...\n"
        )
        out += async_methods
        return "\n".join(out)

    def render_method(self, op: OpDef) -> tuple[str, str, set[str]]:
        path = [p for p in op.params if p.location == "path"]
        query = [p for p in op.params if p.location == "query"]
        query = [p for p in query if p.required] + [p for p in query if not p.required]
        sig: list[str] = []
        anns: list[str] = [op.result_ann]
        for p in path:
            sig.append(f"{p.py}: {p.ann}")
            anns.append(p.ann)
        if op.body:
            assert op.body_ann is not None
            anns.append(op.body_ann)
            if op.body_required:
                sig.append(f"data: {op.body_ann}")
            else:
                sig.append(f"data: {op.body_ann} | None = None")
        for p in query:
            anns.append(p.ann)
            if p.required:
                sig.append(f"{p.py}: {p.ann}")
            else:
                sig.append(f"{p.py}: {p.ann} | None = None")
        params = "self" + (", *, " + ", ".join(sig) if sig else "")
        path_arg = "{" + ", ".join(f"{p.wire!r}: {p.py}" for p in path) + "}" if path else "None"
        query_arg = "{" + ", ".join(f"{p.wire!r}: {p.py}" for p in query) + "}" if query else "None"
        body_arg = "data" if op.body else "None"
        call = f"_d.{op.id}, {path_arg}, {query_arg}, {body_arg}"
        # One line: the signature already shows every parameter's type, and repeating
        # it as Args/Returns prose for both mixins was most of this module.
        doc = f'        """{self.method_doc(op)}"""'
        name = snake(op.id)
        run = "_run"
        if op.read.eventually_consistent:
            option = f"ConsistencyOptions[{op.result_ann}] | None = None"
            params += ("" if sig else ", *") + f", consistency: {option}"
            run = "_run_consistent"
            call += ", consistency"
        sync = (
            f"\n    def {name}({params}) -> {op.result_ann}:\n{doc}\n"
            f"        return self.{run}({call})\n"
        )
        asyn = (
            f"\n    async def {name}({params}) -> {op.result_ann}:\n{doc}\n"
            f"        return await self.{run}({call})\n"
        )
        item = op.read.search_item_ann
        if item is not None:
            # The search's own parameters, then the paging ones; `data` stays optional.
            # `consistency=` only where the search itself takes it (the first page waits).
            consistent = op.read.eventually_consistent
            pages = ", ".join(
                [s for s in sig if not s.startswith("data:")]
                + [f"data: {op.body_ann} | None = None"]
                + ["page_size: int = 100", "limit: int | None = None"]
                + (
                    [f"consistency: ConsistencyOptions[{op.result_ann}] | None = None"]
                    if consistent
                    else []
                )
            )
            wait = "consistency" if consistent else "None"
            call = f"_d.{op.id}, {path_arg}, {query_arg}, data, page_size, limit, {wait}"
            idoc = f'        """Every item of `{name}`, across pages (see docs/reading.md)."""'
            sync += (
                f"\n    def iter_{name}(self, *, {pages}) -> Iterator[{item}]:\n{idoc}\n"
                f"        return self._iter_pages({call})\n"
            )
            asyn += (
                f"\n    def iter_{name}(self, *, {pages}) -> AsyncIterator[{item}]:\n{idoc}\n"
                f"        return self._iter_pages({call})\n"
            )
            anns.append(item)
        used = {n for a in anns for n in IDENT.findall(a)}
        return sync, asyn, used

    def method_doc(self, op: OpDef) -> str:
        """The summary, naming the README's alias of any model the body accepts."""
        if not op.body_ann:
            return op.summary
        accepted = self.union_members(op.body_ann)
        public = {target: alias for alias, target in MODEL_ALIASES.items()}
        if not any(m in public for m in accepted):
            return op.summary
        names = [f"`{public.get(m, m)}`" for m in accepted]
        listed = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
        return f"{op.summary.rstrip('.')} (data: {listed})."

    def union_members(self, ann: str) -> list[str]:
        """The members of a top-level union annotation, union aliases expanded, in order."""
        parts, depth, start = [], 0, 0
        for i, ch in enumerate(ann):
            depth += ch == "["
            depth -= ch == "]"
            if ch == "|" and depth == 0:
                parts.append(ann[start:i].strip())
                start = i + 1
        parts.append(ann[start:].strip())
        out: list[str] = []
        for part in parts:
            d = self.defs.get(part)
            members = self.union_members(d.ann) if d and d.kind == "alias" else [part]
            out += [m for m in members if m not in out]
        return out

    # ------------------------------------------------------------------ driver

    def run(self) -> dict[str, str]:
        self.build_components()
        self.build_operations()
        self.check_tables()
        self.compute_deps()
        self.widen_request_variables()
        self.assign_modules()
        return self.render_all()


def error_doc(op_id: str, status: int, base: str) -> str:
    """The docstring of a per-operation error class (the runtime builds the same text)."""
    return f"`{op_id}` answered {status} (a `{base}` subclass)."


# --------------------------------------------------------------------------- output


def find_ruff() -> list[str]:
    exe = Path(sys.executable).parent / "ruff"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("ruff")
    if found:
        return [found]
    return [sys.executable, "-m", "ruff"]


def format_files(files: dict[str, str]) -> dict[str, str]:
    """Format the rendered files with `ruff format` (isolated: no project excludes apply)."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "operations"
        for rel, text in files.items():
            p = base / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
        common = ["--isolated", "--quiet", "--line-length", "100", "--target-version", "py310"]
        isort = [
            "check",
            *common,
            "--select",
            "I",
            "--fix",
            "--exit-zero",
            "--config",
            "lint.isort.known-first-party = ['camunda_sdk']",
        ]
        for cmd in (
            [*find_ruff(), *isort, str(base)],
            [*find_ruff(), "format", *common, str(base)],
        ):
            res = subprocess.run(cmd, capture_output=True, text=True)
            if res.returncode != 0:
                raise SystemExit(f"ruff failed: {' '.join(cmd)}\n{res.stdout}{res.stderr}")
        return {rel: (base / rel).read_text(encoding="utf-8") for rel in files}


def existing_files(out_dir: Path) -> set[str]:
    if not out_dir.exists():
        return set()
    return {
        p.relative_to(out_dir).as_posix()
        for p in out_dir.rglob("*.py*")
        if "__pycache__" not in p.parts and p.suffix in (".py", ".pyi")
    }


def main(argv: Iterable[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spec", default=os.environ.get("CAMUNDA_SPEC") or str(DEFAULT_SPEC))
    ap.add_argument("--out", default=str(OUT_DIR), help=argparse.SUPPRESS)
    ap.add_argument("--check", action="store_true", help="fail if the output is not up to date")
    args = ap.parse_args(list(argv) if argv is not None else None)
    spec_path = Path(args.spec)
    if not spec_path.is_absolute() and not spec_path.exists():
        spec_path = ROOT / spec_path  # relative to the repository root as a fallback
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    meta = json.loads((spec_path.parent / "spec-metadata.json").read_text(encoding="utf-8"))
    files = format_files(Generator(spec, meta).run())
    out_dir = Path(args.out)
    present = existing_files(out_dir)
    changed = sorted(
        rel
        for rel, text in files.items()
        if not (out_dir / rel).exists() or (out_dir / rel).read_text(encoding="utf-8") != text
    )
    stale = sorted(present - set(files))
    if args.check:
        if changed or stale:
            print("camunda_sdk.operations is out of date; run scripts/generate.py", file=sys.stderr)
            for rel in changed:
                print(f"  changed: {rel}", file=sys.stderr)
            for rel in stale:
                print(f"  stale:   {rel}", file=sys.stderr)
            return 1
        print(f"camunda_sdk.operations is up to date ({len(files)} files)")
        return 0
    for rel in changed:
        p = out_dir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(files[rel], encoding="utf-8")
    for rel in stale:
        (out_dir / rel).unlink()
    print(f"wrote {len(changed)} of {len(files)} files, removed {len(stale)} to {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
