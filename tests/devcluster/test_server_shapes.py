"""Every emulated answer has exactly the shape the newest spec gives it.

Each response is checked twice: against the spec's response schema (a small
JSON-schema check over the bundle's `$ref`s, strict about properties the schema
does not declare) and by parsing it with the SDK's generated models.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from functools import cache
from typing import Any

import httpx
import pytest
from fakes.spec import spec_file

from camunda_sdk._serde import parse
from camunda_sdk.devcluster import DevCluster
from camunda_sdk.devcluster.handlers import load_handlers
from camunda_sdk.operations.descriptors import OPERATIONS

SPEC = spec_file()
pytestmark = pytest.mark.skipif(not SPEC.exists(), reason=f"spec bundle not found at {SPEC}")


@cache
def bundle() -> dict[str, Any]:
    return json.loads(SPEC.read_text(encoding="utf-8"))


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = bundle()["components"]["schemas"][name]
    return schema


def flat(schema: dict[str, Any]) -> tuple[dict[str, Any], set[str], bool]:
    """Properties, required names and nullability of an object schema (allOf merged)."""
    schema = resolve(schema)
    props: dict[str, Any] = dict(schema.get("properties", {}))
    required = set(schema.get("required", []))
    for part in schema.get("allOf", []):
        p, r, _ = flat(part)
        props.update(p)
        required |= r
    return props, required, bool(schema.get("nullable"))


def violations(value: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """What in `value` the schema does not allow (empty: it conforms)."""
    schema = resolve(schema)
    if value is None:
        nullable = schema.get("nullable") or any(
            resolve(p).get("nullable") for p in schema.get("allOf", [])
        )
        return [] if nullable else [f"{path}: null where the schema is not nullable"]
    for key in ("oneOf", "anyOf"):
        if key in schema:
            results = [violations(value, v, path) for v in schema[key]]
            if any(not r for r in results):
                return []
            return [f"{path}: matches no variant of {key}: {results}"]
    if "allOf" in schema and "properties" not in schema and len(schema["allOf"]) == 1:
        return violations(value, schema["allOf"][0], path)
    kind = schema.get("type")
    if kind is None and ("properties" in schema or "allOf" in schema):
        kind = "object"
    if kind is None:
        for part in schema.get("allOf", []):
            if resolve(part).get("type"):
                kind = resolve(part)["type"]
    problems: list[str] = []
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{path}: expected an object"]
        props, required, _ = flat(schema)
        problems += [f"{path}.{r}: required, missing" for r in sorted(required - value.keys())]
        free = schema.get("additionalProperties")
        for k, v in value.items():
            if k in props:
                problems += violations(v, props[k], f"{path}.{k}")
            elif props and not free:
                problems.append(f"{path}.{k}: not a property of the schema")
    elif kind == "array":
        if not isinstance(value, list):
            return [f"{path}: expected an array"]
        for i, v in enumerate(value):
            problems += violations(v, schema.get("items", {}), f"{path}[{i}]")
    elif kind == "string":
        if not isinstance(value, str):
            return [f"{path}: expected a string, got {value!r}"]
        if "enum" in schema and value not in schema["enum"]:
            problems.append(f"{path}: {value!r} not in {schema['enum']}")
        pattern = schema.get("pattern") or next(
            (
                resolve(p).get("pattern")
                for p in schema.get("allOf", [])
                if resolve(p).get("pattern")
            ),
            None,
        )
        if pattern and not _matches(pattern, value):
            problems.append(f"{path}: {value!r} does not match {pattern}")
        if schema.get("format") == "date-time":
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                problems.append(f"{path}: a date-time without an offset")
    elif kind == "integer":
        if not (isinstance(value, int) and not isinstance(value, bool)):
            problems.append(f"{path}: expected an integer, got {value!r}")
    elif kind == "number":
        if not (isinstance(value, (int, float)) and not isinstance(value, bool)):
            problems.append(f"{path}: expected a number")
    elif kind == "boolean" and not isinstance(value, bool):
        problems.append(f"{path}: expected a boolean")
    return problems


def _matches(pattern: str, value: str) -> bool:
    # Java patterns with Unicode classes (\p{L}) are beyond Python's re: take the
    # letters and digits they stand for as matching.
    try:
        return re.search(pattern, value) is not None
    except re.error:
        simpler = pattern.replace("\\p{L}", "a-zA-Z").replace("\\p{N}", "0-9")
        try:
            return re.search(simpler, value) is not None
        except re.error:
            return True


def response_schema(op_id: str, status: int) -> dict[str, Any] | None:
    for item in bundle()["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == op_id:
                content = op["responses"][str(status)].get("content") or {}
                media = content.get("application/json") or content.get("application/problem+json")
                return None if media is None else media["schema"]
    raise KeyError(op_id)


AUTH = {
    "ownerId": "demo",
    "ownerType": "USER",
    "resourceType": "PROCESS_DEFINITION",
    "resourceId": "order",
    "permissionTypes": ["READ_PROCESS_DEFINITION"],
}

# (operation id, path, body): run in order against a fresh cluster.
CALLS: list[tuple[str, str, Any]] = [
    ("getTopology", "/v2/topology", None),
    ("getClusterTopology", "/cluster/v2/topology", None),
    ("getClusterStatus", "/cluster/v2/status", None),
    ("getLicense", "/v2/license", None),
    ("getStatus", "/v2/status", None),
    ("createUser", "/v2/users", {"username": "ada", "password": "p", "name": "Ada"}),
    ("getUser", "/v2/users/ada", None),
    ("updateUser", "/v2/users/ada", {"email": "ada@x.io"}),
    ("searchUsers", "/v2/users/search", {"sort": [{"field": "username", "order": "DESC"}]}),
    ("createGroup", "/v2/groups", {"groupId": "eng", "name": "Engineering"}),
    ("getGroup", "/v2/groups/eng", None),
    ("updateGroup", "/v2/groups/eng", {"name": "Eng", "description": "d"}),
    ("searchGroups", "/v2/groups/search", {"filter": {"groupId": {"$like": "e*"}}}),
    ("createRole", "/v2/roles", {"roleId": "dev", "name": "Dev"}),
    ("getRole", "/v2/roles/dev", None),
    ("updateRole", "/v2/roles/dev", {"name": "Developer"}),
    ("searchRoles", "/v2/roles/search", {}),
    ("createTenant", "/v2/tenants", {"tenantId": "acme", "name": "ACME"}),
    ("getTenant", "/v2/tenants/acme", None),
    ("updateTenant", "/v2/tenants/acme", {"name": "ACME Inc."}),
    ("searchTenants", "/v2/tenants/search", {"sort": [{"field": "key"}]}),
    (
        "createMappingRule",
        "/v2/mapping-rules",
        {"mappingRuleId": "mr", "claimName": "c", "claimValue": "v", "name": "M"},
    ),
    ("getMappingRule", "/v2/mapping-rules/mr", None),
    (
        "updateMappingRule",
        "/v2/mapping-rules/mr",
        {"claimName": "c", "claimValue": "w", "name": "M"},
    ),
    ("searchMappingRule", "/v2/mapping-rules/search", {}),
    ("assignUserToGroup", "/v2/groups/eng/users/ada", None),
    ("assignClientToGroup", "/v2/groups/eng/clients/worker", None),
    ("assignMappingRuleToGroup", "/v2/groups/eng/mapping-rules/mr", None),
    ("assignRoleToGroup", "/v2/roles/dev/groups/eng", None),
    ("assignRoleToUser", "/v2/roles/dev/users/ada", None),
    ("assignRoleToClient", "/v2/roles/dev/clients/worker", None),
    ("assignRoleToMappingRule", "/v2/roles/dev/mapping-rules/mr", None),
    ("assignUserToTenant", "/v2/tenants/acme/users/ada", None),
    ("assignClientToTenant", "/v2/tenants/acme/clients/worker", None),
    ("assignGroupToTenant", "/v2/tenants/acme/groups/eng", None),
    ("assignMappingRuleToTenant", "/v2/tenants/acme/mapping-rules/mr", None),
    ("assignRoleToTenant", "/v2/tenants/acme/roles/dev", None),
    ("searchUsersForGroup", "/v2/groups/eng/users/search", {}),
    ("searchClientsForGroup", "/v2/groups/eng/clients/search", {}),
    ("searchMappingRulesForGroup", "/v2/groups/eng/mapping-rules/search", {}),
    ("searchRolesForGroup", "/v2/groups/eng/roles/search", {}),
    ("searchUsersForRole", "/v2/roles/dev/users/search", {}),
    ("searchClientsForRole", "/v2/roles/dev/clients/search", {}),
    ("searchGroupsForRole", "/v2/roles/dev/groups/search", {}),
    ("searchMappingRulesForRole", "/v2/roles/dev/mapping-rules/search", {}),
    ("searchUsersForTenant", "/v2/tenants/acme/users/search", {}),
    ("searchClientsForTenant", "/v2/tenants/acme/clients/search", {}),
    ("searchGroupIdsForTenant", "/v2/tenants/acme/groups/search", {}),
    ("searchMappingRulesForTenant", "/v2/tenants/acme/mapping-rules/search", {}),
    ("searchRolesForTenant", "/v2/tenants/acme/roles/search", {}),
    ("createAuthorization", "/v2/authorizations", AUTH),
    ("searchAuthorizations", "/v2/authorizations/search", {}),
    ("searchOwnAuthorizations", "/v2/authentication/me/authorizations/search", {}),
    ("getAuthentication", "/v2/authentication/me", None),
    ("pinClock", "/v2/clock", {"timestamp": 1_700_000_000_000}),
    ("resetClock", "/v2/clock/reset", None),
    ("unassignUserFromGroup", "/v2/groups/eng/users/ada", None),
    ("unassignClientFromGroup", "/v2/groups/eng/clients/worker", None),
    ("unassignMappingRuleFromGroup", "/v2/groups/eng/mapping-rules/mr", None),
    ("unassignRoleFromGroup", "/v2/roles/dev/groups/eng", None),
    ("unassignRoleFromUser", "/v2/roles/dev/users/ada", None),
    ("unassignRoleFromClient", "/v2/roles/dev/clients/worker", None),
    ("unassignRoleFromMappingRule", "/v2/roles/dev/mapping-rules/mr", None),
    ("unassignUserFromTenant", "/v2/tenants/acme/users/ada", None),
    ("unassignClientFromTenant", "/v2/tenants/acme/clients/worker", None),
    ("unassignGroupFromTenant", "/v2/tenants/acme/groups/eng", None),
    ("unassignMappingRuleFromTenant", "/v2/tenants/acme/mapping-rules/mr", None),
    ("unassignRoleFromTenant", "/v2/tenants/acme/roles/dev", None),
    ("deleteUser", "/v2/users/ada", None),
    ("deleteGroup", "/v2/groups/eng", None),
    ("deleteRole", "/v2/roles/dev", None),
    ("deleteTenant", "/v2/tenants/acme", None),
    ("deleteMappingRule", "/v2/mapping-rules/mr", None),
]


@pytest.fixture(scope="module")
def answers() -> Iterator[dict[str, httpx.Response]]:
    got: dict[str, httpx.Response] = {}
    with DevCluster(indexing_lag_ms=0) as cluster, httpx.Client(base_url=cluster.address) as http:
        for op_id, path, body in CALLS:
            op = OPERATIONS[op_id]
            got[op_id] = http.request(op.method, path, json=body)
        key = got["createAuthorization"].json()["authorizationKey"]
        for op_id in ("getAuthorization", "updateAuthorization", "deleteAuthorization"):
            op = OPERATIONS[op_id]
            body = AUTH if op_id == "updateAuthorization" else None
            got[op_id] = http.request(op.method, f"/v2/authorizations/{key}", json=body)
        yield got


def test_every_handled_operation_is_exercised() -> None:
    exercised = {c[0] for c in CALLS} | {
        "getAuthorization",
        "updateAuthorization",
        "deleteAuthorization",
    }
    # The engine-backed handlers are exercised by test_wire_shapes.
    engine_backed = {
        op
        for op, fn in load_handlers().items()
        if fn.__module__.rsplit(".", 1)[1] not in ("system", "identity")
    }
    assert set(load_handlers()) - engine_backed == exercised


@pytest.mark.parametrize("op_id", [c[0] for c in CALLS] + ["getAuthorization"])
def test_answer_matches_the_spec_schema_and_parses(
    answers: dict[str, httpx.Response], op_id: str
) -> None:
    answer = answers[op_id]
    assert 200 <= answer.status_code < 300, (op_id, answer.text)
    schema = response_schema(op_id, answer.status_code)
    if schema is None:
        assert answer.content == b""
        return
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert violations(body, schema) == []
    parsed = parse(OPERATIONS[op_id].result, body)
    assert parsed is not None


def test_problem_answers_match_the_problem_schema() -> None:
    schema = {"$ref": "#/components/schemas/ProblemDetail"}
    with DevCluster() as cluster, httpx.Client(base_url=cluster.address) as http:
        for method, path, body in [
            ("GET", "/v2/nope", None),
            ("DELETE", "/v2/topology", None),
            ("POST", "/v2/process-instances", {}),
            ("POST", "/v2/users", {"username": 1}),
            ("GET", "/v2/users/none", None),
        ]:
            answer = http.request(method, path, json=body)
            assert answer.status_code >= 400
            assert violations(answer.json(), schema) == []


def test_the_checker_catches_what_it_should() -> None:
    schema = {"$ref": "#/components/schemas/UserResult"}
    assert violations({"username": "a", "name": None, "email": None}, schema) == []
    assert violations({"username": "a", "name": None}, schema)  # email missing
    assert violations({"username": "a", "name": None, "email": None, "x": 1}, schema)
    assert violations({"username": 5, "name": None, "email": None}, schema)
