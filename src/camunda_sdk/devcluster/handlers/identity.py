"""Identity resources as plain in-memory records: users, groups, roles, tenants,
mapping rules, their memberships, and authorizations.

They behave as the API describes (create, get, search, update, delete, assign,
unassign; `409` for a duplicate id or a duplicate assignment; `404` for a missing
owner, a missing group, role or mapping rule to assign, or a membership to remove)
but **nothing is enforced**: requests are not authenticated, passwords are stored
only to be ignored, and authorizations are records, not rules. Gets and searches
read the lagging index like every eventually consistent operation; commands check
the primary state at once.

A fresh (or reset) cluster holds what Camunda 8 Run starts with: the user `demo`,
the role `admin` with `demo` in it, and the tenant `<default>`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..problems import already_exists, not_found
from ..search import search
from . import ApiRequest, Reply, handles

if TYPE_CHECKING:
    from . import Context

__all__ = ["DEMO_USER", "DEFAULT_TENANT", "KINDS", "IdentityStore", "Kind"]

DEMO_USER = "demo"
DEFAULT_TENANT = "<default>"
_MEMBERS = "members"
_AUTHORIZATIONS = "authorizations"


class Kind:
    """One kind of identity entity: its index collection, id field and fields."""

    __slots__ = ("collection", "fields", "id_field", "label", "name")

    def __init__(
        self, name: str, collection: str, id_field: str, fields: tuple[str, ...], label: str
    ) -> None:
        self.name = name
        self.collection = collection
        self.id_field = id_field
        self.fields = fields  # the result fields besides the id, None when not given
        self.label = label  # "a user with username" ...


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("user", "users", "username", ("name", "email"), "user with username"),
        Kind("group", "groups", "groupId", ("name", "description"), "group with id"),
        Kind("role", "roles", "roleId", ("name", "description"), "role with id"),
        Kind("tenant", "tenants", "tenantId", ("name", "description"), "tenant with id"),
        Kind(
            "mappingRule",
            "mapping-rules",
            "mappingRuleId",
            ("claimName", "claimValue", "name"),
            "mapping rule with id",
        ),
    )
}
# Path segments and their kinds; clients have no records, only memberships.
_SEGMENTS = {
    "users": "user",
    "groups": "group",
    "roles": "role",
    "tenants": "tenant",
    "mapping-rules": "mappingRule",
    "clients": "client",
}
_MEMBER_PARAMS = {
    "user": "username",
    "client": "clientId",
    "group": "groupId",
    "role": "roleId",
    "mappingRule": "mappingRuleId",
    "tenant": "tenantId",
}
# Kinds that must exist before they can be assigned (users and clients may come
# from an identity provider, so any name is accepted for them).
_MUST_EXIST = frozenset({"group", "role", "mappingRule"})


class IdentityStore:
    """The primary identity state; every change is exported to the index."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self.entities: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in KINDS}
        self.passwords: dict[str, str] = {}
        # (owner kind, owner id) -> member kind -> member ids (a dict as an ordered set)
        self.members: dict[tuple[str, str], dict[str, dict[str, None]]] = {}
        self.authorizations: dict[str, dict[str, Any]] = {}
        self.tenant_keys: dict[str, int] = {}
        self._seed()

    def reset(self) -> None:
        """Back to the seeded state."""
        for rows in self.entities.values():
            rows.clear()
        self.passwords.clear()
        self.members.clear()
        self.authorizations.clear()
        self.tenant_keys.clear()
        self._seed()

    def _seed(self) -> None:
        self.create("user", {"username": DEMO_USER, "name": "Demo", "email": "demo@example.com"})
        self.passwords[DEMO_USER] = DEMO_USER
        self.create("role", {"roleId": "admin", "name": "Admin"})
        self.create("tenant", {"tenantId": DEFAULT_TENANT, "name": "Default"})
        self.assign("role", "admin", "user", DEMO_USER)
        self._ctx.index.flush()  # a new cluster's seed is already indexed

    # -- entities -----------------------------------------------------------------

    def exists(self, kind: str, entity_id: str) -> bool:
        """Whether the entity exists (primary state)."""
        return entity_id in self.entities[kind]

    def require(self, kind: str, entity_id: str) -> dict[str, Any]:
        """The entity, or a 404 problem naming it."""
        found = self.entities[kind].get(entity_id)
        if found is None:
            raise not_found(f"No {KINDS[kind].label} '{entity_id}' exists.")
        return found

    def create(self, kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Create an entity from a create request body (409 when the id is taken)."""
        k = KINDS[kind]
        entity_id = body[k.id_field]
        if entity_id in self.entities[kind]:
            raise already_exists(f"A {k.label} '{entity_id}' already exists.")
        record = {k.id_field: entity_id, **{f: body.get(f) for f in k.fields}}
        if kind == "user" and body.get("password") is not None:
            self.passwords[entity_id] = body["password"]
        if kind == "tenant":
            self.tenant_keys[entity_id] = self._ctx.new_key()
        self.entities[kind][entity_id] = record
        self._export(kind, record)
        return record

    def update(self, kind: str, entity_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Apply an update request; fields it leaves out keep their values."""
        k = KINDS[kind]
        record = dict(self.require(kind, entity_id))
        for f in k.fields:
            if body.get(f) is not None:
                record[f] = body[f]
        if kind == "user" and body.get("password") is not None:
            self.passwords[entity_id] = body["password"]
        self.entities[kind][entity_id] = record
        self._export(kind, record)
        return record

    def delete(self, kind: str, entity_id: str) -> None:
        """Delete an entity and every membership it owns or is part of."""
        self.require(kind, entity_id)
        del self.entities[kind][entity_id]
        if kind == "user":
            self.passwords.pop(entity_id, None)
        elif kind == "tenant":
            self.tenant_keys.pop(entity_id, None)
        self._ctx.index.delete(KINDS[kind].collection, entity_id)
        owned = self.members.pop((kind, entity_id), {})
        for member_kind, ids in owned.items():
            for member_id in ids:
                self._ctx.index.delete(_MEMBERS, (kind, entity_id, member_kind, member_id))
        for (owner_kind, owner_id), by_kind in self.members.items():
            ids = by_kind.get(kind, {})
            if entity_id in ids:
                del ids[entity_id]
                self._ctx.index.delete(_MEMBERS, (owner_kind, owner_id, kind, entity_id))

    def _export(self, kind: str, record: dict[str, Any]) -> None:
        k = KINDS[kind]
        row = dict(record)
        if kind == "tenant":
            row["_key"] = self.tenant_keys[record[k.id_field]]
        self._ctx.index.put(k.collection, record[k.id_field], row)

    # -- memberships ----------------------------------------------------------------

    def assign(self, owner_kind: str, owner_id: str, member_kind: str, member_id: str) -> None:
        """Add a member (404 for a missing owner or entity, 409 when already a member)."""
        self.require(owner_kind, owner_id)
        if member_kind in _MUST_EXIST:
            self.require(member_kind, member_id)
        ids = self.members.setdefault((owner_kind, owner_id), {}).setdefault(member_kind, {})
        if member_id in ids:
            raise already_exists(
                f"The {_label(member_kind)} '{member_id}' is already assigned to the "
                f"{KINDS[owner_kind].name} '{owner_id}'."
            )
        ids[member_id] = None
        row = {"ownerKind": owner_kind, "ownerId": owner_id, "memberKind": member_kind}
        row["memberId"] = member_id
        self._ctx.index.put(_MEMBERS, (owner_kind, owner_id, member_kind, member_id), row)

    def unassign(self, owner_kind: str, owner_id: str, member_kind: str, member_id: str) -> None:
        """Remove a member (404 when it is not one)."""
        self.require(owner_kind, owner_id)
        ids = self.members.get((owner_kind, owner_id), {}).get(member_kind, {})
        if member_id not in ids:
            raise not_found(
                f"The {_label(member_kind)} '{member_id}' is not assigned to the "
                f"{KINDS[owner_kind].name} '{owner_id}'."
            )
        del ids[member_id]
        self._ctx.index.delete(_MEMBERS, (owner_kind, owner_id, member_kind, member_id))

    def memberships_of(self, member_kind: str, member_id: str, owner_kind: str) -> list[str]:
        """The owners of `owner_kind` that `member_id` belongs to (primary state)."""
        return [
            oid
            for (okind, oid), by_kind in self.members.items()
            if okind == owner_kind and member_id in by_kind.get(member_kind, {})
        ]

    # -- authorizations ---------------------------------------------------------------

    def put_authorization(self, key: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Store an authorization record (create or replace)."""
        record = {
            "authorizationKey": key,
            "ownerId": body["ownerId"],
            "ownerType": body["ownerType"],
            "resourceType": body["resourceType"],
            "resourceId": body.get("resourceId"),
            "resourcePropertyName": body.get("resourcePropertyName"),
            "permissionTypes": list(body["permissionTypes"]),
        }
        self.authorizations[key] = record
        self._ctx.index.put(_AUTHORIZATIONS, key, record)
        return record

    def require_authorization(self, key: str) -> dict[str, Any]:
        """The authorization, or a 404 problem."""
        found = self.authorizations.get(key)
        if found is None:
            raise not_found(f"No authorization with key '{key}' exists.")
        return found

    def delete_authorization(self, key: str) -> None:
        """Delete an authorization (404 when there is none)."""
        self.require_authorization(key)
        del self.authorizations[key]
        self._ctx.index.delete(_AUTHORIZATIONS, key)


def _label(kind: str) -> str:
    return {"mappingRule": "mapping rule"}.get(kind, kind)


def _public(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def _indexed(ctx: Context, kind: str, entity_id: str) -> dict[str, Any]:
    found = ctx.index.get(KINDS[kind].collection, entity_id)
    if found is None:
        raise not_found(f"No {KINDS[kind].label} '{entity_id}' exists.")
    return found


def _searched(result: dict[str, Any]) -> Reply:
    result["items"] = [_public(r) for r in result["items"]]
    return Reply(200, result)


# -- entity CRUD, one set of handlers per kind -----------------------------------------


def _register_crud(
    kind: str, create: str, get: str, search_op: str, update: str, delete: str
) -> None:
    k = KINDS[kind]
    param = _MEMBER_PARAMS[kind]
    sort_fields = {"key": "_key"} if kind == "tenant" else None

    @handles(create)
    async def create_entity(ctx: Context, req: ApiRequest) -> Reply:
        return Reply(201, _public(ctx.identity.create(kind, req.body)))

    @handles(get)
    async def get_entity(ctx: Context, req: ApiRequest) -> Reply:
        return Reply(200, _public(_indexed(ctx, kind, req.params[param])))

    @handles(search_op)
    async def search_entities(ctx: Context, req: ApiRequest) -> Reply:
        rows = ctx.index.records(k.collection)
        return _searched(search(rows, req.body, key=k.id_field, sort_fields=sort_fields))

    @handles(update)
    async def update_entity(ctx: Context, req: ApiRequest) -> Reply:
        return Reply(200, _public(ctx.identity.update(kind, req.params[param], req.body)))

    @handles(delete)
    async def delete_entity(ctx: Context, req: ApiRequest) -> Reply:
        ctx.identity.delete(kind, req.params[param])
        return Reply(204)


_register_crud("user", "createUser", "getUser", "searchUsers", "updateUser", "deleteUser")
_register_crud("group", "createGroup", "getGroup", "searchGroups", "updateGroup", "deleteGroup")
_register_crud("role", "createRole", "getRole", "searchRoles", "updateRole", "deleteRole")
_register_crud(
    "tenant", "createTenant", "getTenant", "searchTenants", "updateTenant", "deleteTenant"
)
_register_crud(
    "mappingRule",
    "createMappingRule",
    "getMappingRule",
    "searchMappingRule",
    "updateMappingRule",
    "deleteMappingRule",
)


# -- memberships ----------------------------------------------------------------------

# (assign op, unassign op, owner kind, member kind)
_ASSIGNMENTS = [
    ("assignUserToGroup", "unassignUserFromGroup", "group", "user"),
    ("assignClientToGroup", "unassignClientFromGroup", "group", "client"),
    ("assignMappingRuleToGroup", "unassignMappingRuleFromGroup", "group", "mappingRule"),
    ("assignRoleToUser", "unassignRoleFromUser", "role", "user"),
    ("assignRoleToClient", "unassignRoleFromClient", "role", "client"),
    ("assignRoleToGroup", "unassignRoleFromGroup", "role", "group"),
    ("assignRoleToMappingRule", "unassignRoleFromMappingRule", "role", "mappingRule"),
    ("assignUserToTenant", "unassignUserFromTenant", "tenant", "user"),
    ("assignClientToTenant", "unassignClientFromTenant", "tenant", "client"),
    ("assignGroupToTenant", "unassignGroupFromTenant", "tenant", "group"),
    ("assignMappingRuleToTenant", "unassignMappingRuleFromTenant", "tenant", "mappingRule"),
    ("assignRoleToTenant", "unassignRoleFromTenant", "tenant", "role"),
]


def _register_assignment(assign: str, unassign: str, owner: str, member: str) -> None:
    owner_param, member_param = _MEMBER_PARAMS[owner], _MEMBER_PARAMS[member]

    @handles(assign)
    async def assign_member(ctx: Context, req: ApiRequest) -> Reply:
        ctx.identity.assign(owner, req.params[owner_param], member, req.params[member_param])
        return Reply(204)

    @handles(unassign)
    async def unassign_member(ctx: Context, req: ApiRequest) -> Reply:
        ctx.identity.unassign(owner, req.params[owner_param], member, req.params[member_param])
        return Reply(204)


for _entry in _ASSIGNMENTS:
    _register_assignment(*_entry)


# (search op, path owner kind, listed kind, reverse): the members of the path's
# entity, or with `reverse` the entities the path's entity is a member of (the roles
# of a group are the roles that have the group as a member).
_MEMBER_SEARCHES = [
    ("searchUsersForGroup", "group", "user", False),
    ("searchClientsForGroup", "group", "client", False),
    ("searchMappingRulesForGroup", "group", "mappingRule", False),
    ("searchRolesForGroup", "group", "role", True),
    ("searchUsersForRole", "role", "user", False),
    ("searchClientsForRole", "role", "client", False),
    ("searchGroupsForRole", "role", "group", False),
    ("searchMappingRulesForRole", "role", "mappingRule", False),
    ("searchUsersForTenant", "tenant", "user", False),
    ("searchClientsForTenant", "tenant", "client", False),
    ("searchGroupIdsForTenant", "tenant", "group", False),
    ("searchMappingRulesForTenant", "tenant", "mappingRule", False),
    ("searchRolesForTenant", "tenant", "role", False),
]
# Listed kinds answered with the whole entity; the others with their id alone.
_FULL_ITEMS = frozenset({"mappingRule", "role"})


def _register_member_search(op_id: str, path_kind: str, listed: str, reverse: bool) -> None:
    param = _MEMBER_PARAMS[path_kind]
    id_field = _MEMBER_PARAMS[listed]

    @handles(op_id)
    async def search_members(ctx: Context, req: ApiRequest) -> Reply:
        path_id = req.params[param]
        _indexed(ctx, path_kind, path_id)  # 404 until the entity itself is indexed
        ids: list[str] = []
        for row in ctx.index.records(_MEMBERS):
            if reverse:
                if (row["memberKind"], row["memberId"], row["ownerKind"]) == (
                    path_kind,
                    path_id,
                    listed,
                ):
                    ids.append(row["ownerId"])
            elif (row["ownerKind"], row["ownerId"], row["memberKind"]) == (
                path_kind,
                path_id,
                listed,
            ):
                ids.append(row["memberId"])
        if listed in _FULL_ITEMS:
            collection = ctx.index.collection(KINDS[listed].collection)
            items = [collection[i] for i in ids if i in collection]
        else:
            items = [{id_field: i} for i in ids]
        return _searched(search(items, req.body, key=id_field))


for _search_entry in _MEMBER_SEARCHES:
    _register_member_search(*_search_entry)


# -- authorizations ---------------------------------------------------------------------

_AUTHORIZATION_FILTERS = {
    "resourceIds": lambda record, wanted: record.get("resourceId") in wanted,
    "resourcePropertyNames": lambda record, wanted: record.get("resourcePropertyName") in wanted,
}


@handles("createAuthorization")
async def create_authorization(ctx: Context, req: ApiRequest) -> Reply:
    """Store an authorization (never enforced) under a new key."""
    key = str(ctx.new_key())
    ctx.identity.put_authorization(key, req.body)
    return Reply(201, {"authorizationKey": key})


@handles("getAuthorization")
async def get_authorization(ctx: Context, req: ApiRequest) -> Reply:
    """One authorization, from the index."""
    key = req.params["authorizationKey"]
    found = ctx.index.get(_AUTHORIZATIONS, key)
    if found is None:
        raise not_found(f"No authorization with key '{key}' exists.")
    return Reply(200, found)


@handles("updateAuthorization")
async def update_authorization(ctx: Context, req: ApiRequest) -> Reply:
    """Replace an authorization's owner, resource and permissions."""
    key = req.params["authorizationKey"]
    ctx.identity.require_authorization(key)
    ctx.identity.put_authorization(key, req.body)
    return Reply(204)


@handles("deleteAuthorization")
async def delete_authorization(ctx: Context, req: ApiRequest) -> Reply:
    """Delete an authorization."""
    ctx.identity.delete_authorization(req.params["authorizationKey"])
    return Reply(204)


@handles("searchAuthorizations")
async def search_authorizations(ctx: Context, req: ApiRequest) -> Reply:
    """Search the stored authorizations."""
    rows = ctx.index.records(_AUTHORIZATIONS)
    return _searched(search(rows, req.body, key="authorizationKey", filters=_AUTHORIZATION_FILTERS))


# -- the current user --------------------------------------------------------------------


def current_username(req: ApiRequest) -> str:
    """The Basic-auth user name of the request, or `demo` (nothing is authenticated)."""
    header = req.headers.get("Authorization", "")
    if header[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return DEMO_USER
        name = decoded.partition(":")[0]
        if name:
            return name
    return DEMO_USER


@handles("getAuthentication")
async def get_authentication(ctx: Context, req: ApiRequest) -> Reply:
    """Who the caller is: the Basic-auth user when it exists, else `demo`."""
    store = ctx.identity
    username = current_username(req)
    if not store.exists("user", username):
        username = DEMO_USER
    user = store.entities["user"].get(username) or {"name": None, "email": None}
    tenant_ids = store.memberships_of("user", username, "tenant")
    tenants = [_public(store.entities["tenant"][t]) for t in tenant_ids]
    return Reply(
        200,
        {
            "username": username,
            "displayName": user.get("name"),
            "email": user.get("email"),
            "authorizedComponents": ["*"],
            "tenants": tenants,
            "groups": store.memberships_of("user", username, "group"),
            "roles": store.memberships_of("user", username, "role"),
            "salesPlanType": None,
            "c8Links": {},
            "canLogout": True,
        },
    )


@handles("searchOwnAuthorizations")
async def search_own_authorizations(ctx: Context, req: ApiRequest) -> Reply:
    """The caller's authorizations: its own, its groups' and its roles'."""
    store = ctx.identity
    username = current_username(req)
    owners = {("USER", username)}
    owners |= {("GROUP", g) for g in store.memberships_of("user", username, "group")}
    owners |= {("ROLE", r) for r in store.memberships_of("user", username, "role")}
    rows = [
        r for r in ctx.index.records(_AUTHORIZATIONS) if (r["ownerType"], r["ownerId"]) in owners
    ]
    result = search(rows, req.body, key="authorizationKey", filters=_AUTHORIZATION_FILTERS)
    result["authorizationsEnabled"] = False  # stored, never enforced
    return Reply(200, result)
