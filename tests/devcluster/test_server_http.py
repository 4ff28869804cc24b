"""The dev cluster over real sockets, driven by the SDK's own clients."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from camunda_sdk import (
    ConsistencyOptions,
    GroupCreateRequest,
    MappingRuleCreateRequest,
    RoleCreateRequest,
    TenantCreateRequest,
    UserRequest,
    UserSearchQueryRequest,
    UserUpdateRequest,
)
from camunda_sdk.devcluster import DevCluster
from camunda_sdk.devcluster.handlers import ApiRequest, Context, Reply
from camunda_sdk.devcluster.handlers.engine import NOT_EMULATED
from camunda_sdk.errors import (
    BadRequestError,
    ConflictError,
    EventualConsistencyTimeoutError,
    NotFoundError,
    NotImplementedServerError,
)
from camunda_sdk.operations.descriptors import OPERATIONS

TRANSPORTS = ["httpx", "aiohttp"]


@pytest.fixture(scope="module")
def cluster() -> Iterator[DevCluster]:
    """A cluster without indexing lag, for tests that are not about the lag."""
    with DevCluster(indexing_lag_ms=0) as c:
        yield c


@pytest.fixture
def fresh(cluster: DevCluster) -> DevCluster:
    cluster.reset()
    return cluster


# -- lifecycle ----------------------------------------------------------------------------


def test_sync_form_serves_on_a_free_loopback_port() -> None:
    cluster = DevCluster()
    started = time.perf_counter()
    with cluster:
        answer = httpx.get(cluster.api_url + "/status")
        elapsed = time.perf_counter() - started
        assert answer.status_code == 204
        assert cluster.address == f"http://127.0.0.1:{cluster.port}"
        assert cluster.api_url == cluster.address + "/v2"
        assert cluster.running
    assert elapsed < 0.3, f"start-up to first answer took {elapsed:.3f} s"
    assert not cluster.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(cluster.api_url + "/status", timeout=1)


async def test_async_form_runs_on_the_running_loop() -> None:
    async with DevCluster() as cluster:
        async with httpx.AsyncClient() as http:
            answer = await http.get(cluster.api_url + "/topology")
        assert answer.status_code == 200
        assert cluster._thread is None  # no thread: tasks on this loop
        async with cluster.async_client() as client:
            assert (await client.get_topology()).cluster_size == 1
    assert not cluster.running


def test_two_clusters_side_by_side_are_independent() -> None:
    with DevCluster(indexing_lag_ms=0) as a, DevCluster(indexing_lag_ms=0) as b:
        assert a.port != b.port
        with a.client() as ca, b.client() as cb:
            ca.create_user(data=UserRequest(username="only-a", password="p"))
            assert ca.get_user(username="only-a").username == "only-a"
            with pytest.raises(NotFoundError):
                cb.get_user(username="only-a")


def test_start_twice_and_busy_port_fail_clearly(cluster: DevCluster) -> None:
    with pytest.raises(RuntimeError, match="already started"):
        cluster.start()
    with pytest.raises(OSError):
        DevCluster(port=cluster.port).start()


def test_reset_clears_state_and_restores_the_seed(fresh: DevCluster) -> None:
    with fresh.client() as client:
        client.create_user(data=UserRequest(username="temp", password="p"))
        client.pin_clock(data={"timestamp": 1000})  # type: ignore[arg-type]
        fresh.reset()
        with pytest.raises(NotFoundError):
            client.get_user(username="temp")
        assert client.get_user(username="demo").name == "Demo"
    assert not fresh.context.clock.pinned


# -- clients on both transports ------------------------------------------------------------


def test_sync_client_reads_topology_and_me(fresh: DevCluster) -> None:
    with fresh.client() as client:
        topology = client.get_topology()
        assert topology.gateway_version == "8.10.0-dev"
        assert topology.brokers[0].partitions[0].role.value == "leader"
        client.get_status()
        me = client.get_authentication()
        assert me.username == "demo" and me.roles == ["admin"]
        assert client.get_license().valid_license is True


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_async_client_on_each_transport(fresh: DevCluster, transport: str) -> None:
    settings = {"CAMUNDA_SDK_HTTP_TRANSPORT": transport}
    async with fresh.async_client(settings) as client:
        topology = await client.get_topology()
        assert topology.partitions_count == 1
        await client.create_group(data=GroupCreateRequest(group_id="g-" + transport, name="G"))
        group = await client.get_group(group_id="g-" + transport)
        assert group.name == "G" and group.description is None
        found = [u.username async for u in client.iter_search_users(page_size=1)]
        assert found == ["demo"]


# -- the 501s, 404s, 405s -------------------------------------------------------------------


def test_every_operation_without_a_handler_answers_501(fresh: DevCluster) -> None:
    from camunda_sdk.devcluster.handlers import load_handlers

    handled = load_handlers()
    base = fresh.address
    missing = [op for op in OPERATIONS.values() if op.id not in handled]
    assert len(missing) > 90
    with httpx.Client(base_url=base) as http:
        for op in missing:
            path = op.path if op.root else "/v2" + op.path
            path = path.replace("{", "").replace("}", "")  # any value will do
            answer = http.request(op.method, path.replace("Key", "1"), json={})
            assert answer.status_code == 501, (op.id, answer.text)
            problem = answer.json()
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert set(problem) >= {"type", "title", "status", "detail", "instance"}
            assert problem["status"] == 501
            assert f"'{op.id}'" in problem["detail"] and "does not emulate" in problem["detail"]
            if op.id in NOT_EMULATED:
                assert "engine" in problem["detail"]


def test_501_reaches_the_sdk_as_its_typed_error(fresh: DevCluster) -> None:
    with fresh.client() as client, pytest.raises(NotImplementedServerError) as info:
        client.search_batch_operations()
    assert "searchBatchOperations" in str(info.value.detail)


def test_unknown_path_and_wrong_method(fresh: DevCluster) -> None:
    answer = httpx.get(fresh.address + "/v2/no-such-thing")
    assert answer.status_code == 404
    assert answer.json()["instance"] == "/v2/no-such-thing"
    answer = httpx.delete(fresh.address + "/v2/topology")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET"


# -- request validation ------------------------------------------------------------------------


def post(cluster: DevCluster, path: str, **kw: Any) -> httpx.Response:
    return httpx.post(cluster.api_url + path, **kw)


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"username": "a"}', "'password' is required"),
        (b'{"username": "a", "password": "p", "extra": 1}', "'extra' is not a property"),
        (b'{"username": ["a"], "password": "p"}', "'username' must be a string"),
        (b"[]", "must be an object"),
        (b"", "request body is missing"),
        (b"null", "request body is missing"),
        (b"\xff\xfe", "not valid JSON"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(
    fresh: DevCluster, content: bytes, detail: str
) -> None:
    answer = post(fresh, "/users", content=content, headers={"content-type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert detail in answer.json()["detail"]


def test_unknown_enum_values_are_400(fresh: DevCluster) -> None:
    answer = post(fresh, "/users/search", json={"sort": [{"field": "age"}]})
    assert answer.status_code == 400
    assert "'sort[0].field' has the unknown value 'age'" in answer.json()["detail"]


def test_sdk_sees_validation_errors_as_bad_request(fresh: DevCluster) -> None:
    with fresh.client() as client, pytest.raises(BadRequestError) as info:
        client.search_users(data=UserSearchQueryRequest(page={"limit": 0}))  # type: ignore[arg-type]
    assert "page.limit" in str(info.value.detail)


def test_wrong_content_type_is_415(fresh: DevCluster) -> None:
    answer = post(fresh, "/users", content=b"username=a", headers={"content-type": "text/plain"})
    assert answer.status_code == 415


def test_oversized_body_is_413_and_the_server_lives_on() -> None:
    with DevCluster(max_body_bytes=1024) as cluster:
        big = {"username": "a", "password": "p", "name": "x" * 2000}
        answer = post(cluster, "/users", json=big)
        assert answer.status_code == 413
        assert answer.json()["status"] == 413
        assert post(cluster, "/users/search", json={}).status_code == 200


@pytest.mark.parametrize(("depth", "status"), [(50, 204), (300, 400), (100_000, 400)])
def test_deeply_nested_json_is_400_not_a_crash(depth: int, status: int) -> None:
    async def accept(ctx: Context, req: ApiRequest) -> Reply:
        return Reply(204)

    with DevCluster(handlers={"createElementInstanceVariables": accept}) as cluster:
        nested = "[" * depth + "]" * depth
        answer = httpx.put(
            cluster.api_url + "/element-instances/2251799813685249/variables",
            content=('{"variables": {"v": ' + nested + "}}").encode(),
            headers={"content-type": "application/json"},
        )
        assert answer.status_code == status, answer.text
        if status == 400:
            assert "nested" in answer.json()["detail"]
        assert httpx.get(cluster.api_url + "/topology").status_code == 200


def test_a_failing_handler_is_a_500_problem_and_the_server_lives_on() -> None:
    async def broken(ctx: Context, req: ApiRequest) -> Reply:
        raise KeyError("boom")

    with DevCluster(handlers={"getLicense": broken}) as cluster:
        answer = httpx.get(cluster.api_url + "/license")
        assert answer.status_code == 500
        assert "KeyError" in answer.json()["detail"]
        assert httpx.get(cluster.api_url + "/topology").status_code == 200


# -- multipart ----------------------------------------------------------------------------------


def test_multipart_deployment_parts_reach_the_handler() -> None:
    seen: dict[str, Any] = {}

    async def deploy(ctx: Context, req: ApiRequest) -> Reply:
        assert req.form is not None
        seen.update(req.form)
        return Reply(200, {"deploymentKey": "1", "tenantId": "<default>", "deployments": []})

    with DevCluster(handlers={"createDeployment": deploy}) as cluster:
        from camunda_sdk import CreateDeploymentRequest

        with cluster.client() as client:
            client.create_deployment(
                data=CreateDeploymentRequest(
                    resources=[("a.bpmn", b"<a/>"), ("b.form", b"{}", "application/json")],
                    tenant_id="<default>",
                )
            )
        assert [(p.filename, p.content) for p in seen["resources"]] == [
            ("a.bpmn", b"<a/>"),
            ("b.form", b"{}"),
        ]
        assert seen["tenantId"] == "<default>"
        files = {"nonsense": ("x.bpmn", b"<x/>")}
        answer = httpx.post(cluster.api_url + "/deployments", files=files)
        assert answer.status_code == 400
        assert "'nonsense'" in answer.json()["detail"]
        answer = httpx.post(cluster.api_url + "/deployments", data={"tenantId": "t"})
        assert answer.status_code in (400, 415)
        answer = httpx.post(cluster.api_url + "/deployments", json={"resources": []})
        assert answer.status_code == 415


# -- identity through the SDK ---------------------------------------------------------------------


def test_user_crud_and_duplicate(fresh: DevCluster) -> None:
    with fresh.client() as client:
        created = client.create_user(
            data=UserRequest(username="ada", password="secret", name="Ada", email="ada@x.io")
        )
        assert (created.username, created.name, created.email) == ("ada", "Ada", "ada@x.io")
        with pytest.raises(ConflictError) as info:
            client.create_user(data=UserRequest(username="ada", password="x"))
        assert "ada" in str(info.value.detail)
        updated = client.update_user(username="ada", data=UserUpdateRequest(name="Ada L."))
        assert (updated.name, updated.email) == ("Ada L.", "ada@x.io")
        assert client.get_user(username="ada").name == "Ada L."
        client.delete_user(username="ada")
        with pytest.raises(NotFoundError):
            client.get_user(username="ada")
        with pytest.raises(NotFoundError):
            client.delete_user(username="ada")
        with pytest.raises(NotFoundError):
            client.update_user(username="ada", data=UserUpdateRequest(name="x"))


def test_user_search_filters_sorts_and_pages(fresh: DevCluster) -> None:
    with fresh.client() as client:
        for i in range(7):
            client.create_user(
                data=UserRequest(username=f"u{i}", password="p", name=f"N{6 - i}", email=None)
            )
        result = client.search_users(
            data=UserSearchQueryRequest.from_dict(
                {"filter": {"username": {"$like": "u*"}}, "sort": [{"field": "name"}]}
            )
        )
        assert [u.username for u in result.items] == [f"u{i}" for i in range(6, -1, -1)]
        assert result.page.total_items == 7
        every = [u.username for u in client.iter_search_users(page_size=2)]
        assert every == ["demo", *[f"u{i}" for i in range(7)]]
        limited = list(client.iter_search_users(page_size=3, limit=4))
        assert len(limited) == 4
        search = UserSearchQueryRequest.from_dict({"filter": {"username": {"$in": ["u1", "u3"]}}})
        assert [u.username for u in client.iter_search_users(data=search)] == ["u1", "u3"]


def test_groups_roles_tenants_mapping_rules_and_memberships(fresh: DevCluster) -> None:
    with fresh.client() as c:
        c.create_group(data=GroupCreateRequest(group_id="eng", name="Engineering"))
        c.create_role(data=RoleCreateRequest(role_id="dev", name="Developer", description="d"))
        c.create_tenant(data=TenantCreateRequest(tenant_id="acme", name="ACME"))
        c.create_mapping_rule(
            data=MappingRuleCreateRequest(
                mapping_rule_id="mr1", claim_name="groups", claim_value="eng", name="Eng"
            )
        )
        with pytest.raises(ConflictError):
            c.create_group(data=GroupCreateRequest(group_id="eng", name="Again"))
        c.assign_user_to_group(group_id="eng", username="demo")
        c.assign_user_to_group(group_id="eng", username="external-user")  # may come from an IdP
        with pytest.raises(ConflictError):
            c.assign_user_to_group(group_id="eng", username="demo")
        with pytest.raises(NotFoundError):
            c.assign_user_to_group(group_id="nope", username="demo")
        c.assign_mapping_rule_to_group(group_id="eng", mapping_rule_id="mr1")
        with pytest.raises(NotFoundError):
            c.assign_mapping_rule_to_group(group_id="eng", mapping_rule_id="missing")
        c.assign_role_to_group(role_id="dev", group_id="eng")
        c.assign_client_to_group(group_id="eng", client_id="worker-1")
        c.assign_group_to_tenant(tenant_id="acme", group_id="eng")
        c.assign_role_to_tenant(tenant_id="acme", role_id="dev")
        c.assign_user_to_tenant(tenant_id="acme", username="demo")

        users = [u.username for u in c.search_users_for_group(group_id="eng").items]
        assert users == ["demo", "external-user"]
        rules = c.search_mapping_rules_for_group(group_id="eng").items
        assert [(r.mapping_rule_id, r.claim_value) for r in rules] == [("mr1", "eng")]
        assert [r.role_id for r in c.search_roles_for_group(group_id="eng").items] == ["dev"]
        assert [g.group_id for g in c.search_groups_for_role(role_id="dev").items] == ["eng"]
        assert [x.client_id for x in c.search_clients_for_group(group_id="eng").items] == [
            "worker-1"
        ]
        assert [g.group_id for g in c.search_group_ids_for_tenant(tenant_id="acme").items] == [
            "eng"
        ]
        assert [r.role_id for r in c.search_roles_for_tenant(tenant_id="acme").items] == ["dev"]
        me = c.get_authentication()
        assert me.groups == ["eng"] and [t.tenant_id for t in me.tenants] == ["acme"]
        with pytest.raises(NotFoundError):
            c.search_users_for_group(group_id="missing")

        c.unassign_user_from_group(group_id="eng", username="external-user")
        with pytest.raises(NotFoundError):
            c.unassign_user_from_group(group_id="eng", username="external-user")
        c.delete_role(role_id="dev")  # memberships go with it
        assert c.search_roles_for_group(group_id="eng").items == []
        assert c.search_roles_for_tenant(tenant_id="acme").items == []

        tenants = c.search_tenants(data={"sort": [{"field": "key"}]})  # type: ignore[arg-type]
        assert [t.tenant_id for t in tenants.items] == ["<default>", "acme"]
        updated = c.update_tenant(tenant_id="acme", data={"name": "ACME Inc."})  # type: ignore[arg-type]
        assert updated.name == "ACME Inc." and updated.description is None
        groups = c.search_groups(data={"filter": {"name": "Engineering"}})  # type: ignore[arg-type]
        assert [g.group_id for g in groups.items] == ["eng"]
        assert c.get_mapping_rule(mapping_rule_id="mr1").claim_name == "groups"
        c.delete_mapping_rule(mapping_rule_id="mr1")
        assert c.search_mapping_rules_for_group(group_id="eng").items == []


def test_authorizations_are_stored_not_enforced(fresh: DevCluster) -> None:
    body = {
        "ownerId": "demo",
        "ownerType": "USER",
        "resourceType": "PROCESS_DEFINITION",
        "resourceId": "order",
        "permissionTypes": ["READ_PROCESS_DEFINITION"],
    }
    with fresh.client() as c:
        key = c.create_authorization(data=body).authorization_key  # type: ignore[arg-type]
        assert key.isdigit()
        got = c.get_authorization(authorization_key=key)
        assert got.resource_id == "order" and got.resource_property_name is None
        c.update_authorization(
            authorization_key=key,
            data={**body, "resourceId": "*"},  # type: ignore[arg-type]
        )
        found = c.search_authorizations(data={"filter": {"resourceIds": ["*"]}})  # type: ignore[arg-type]
        assert [a.authorization_key for a in found.items] == [key]
        own = c.search_own_authorizations()
        assert own.authorizations_enabled is False
        assert [a.authorization_key for a in own.items] == [key]
        c.delete_authorization(authorization_key=key)
        with pytest.raises(NotFoundError):
            c.get_authorization(authorization_key=key)


def test_clock_pin_and_reset(fresh: DevCluster) -> None:
    with fresh.client() as c:
        c.pin_clock(data={"timestamp": 1_700_000_000_000})  # type: ignore[arg-type]
        assert fresh.context.clock.now() == 1_700_000_000_000
        c.reset_clock()
        assert not fresh.context.clock.pinned
        with pytest.raises(BadRequestError):
            c.pin_clock(data={"timestamp": "tomorrow"})  # type: ignore[arg-type]


# -- eventual consistency ------------------------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_reads_lag_writes_and_consistency_waits(transport: str) -> None:
    async with DevCluster(indexing_lag_ms=150) as cluster:
        settings = {"CAMUNDA_SDK_HTTP_TRANSPORT": transport}
        async with cluster.async_client(settings) as c:
            await c.create_user(data=UserRequest(username="late", password="p"))
            with pytest.raises(NotFoundError):
                await c.get_user(username="late")  # not indexed yet
            with pytest.raises(ConflictError):  # commands see the primary state at once
                await c.create_user(data=UserRequest(username="late", password="p"))
            search = UserSearchQueryRequest.from_dict({"filter": {"username": "late"}})
            assert (await c.search_users(data=search)).items == []
            started = time.monotonic()
            found = await c.search_users(
                data=search, consistency=ConsistencyOptions(wait_up_to_ms=2000, poll_interval_ms=20)
            )
            waited = time.monotonic() - started
            assert [u.username for u in found.items] == ["late"]
            assert waited < 1.0
            user = await c.get_user(
                username="late", consistency=ConsistencyOptions(wait_up_to_ms=2000)
            )
            assert user.username == "late"


def test_consistency_wait_times_out_when_the_lag_is_longer() -> None:
    with DevCluster(indexing_lag_ms=5_000) as cluster, cluster.client() as c:
        c.create_user(data=UserRequest(username="slow", password="p"))
        with pytest.raises(EventualConsistencyTimeoutError):
            c.get_user(
                username="slow",
                consistency=ConsistencyOptions(wait_up_to_ms=100, poll_interval_ms=20),
            )


def test_the_fixture_cluster_lags_by_default(camunda_dev_cluster: DevCluster) -> None:
    assert camunda_dev_cluster.indexing_lag_ms > 0
    with camunda_dev_cluster.client() as c:
        c.create_group(data=GroupCreateRequest(group_id="fx", name="F"))
        group = c.get_group(group_id="fx", consistency=ConsistencyOptions(wait_up_to_ms=2000))
        assert group.name == "F"


def test_the_fixture_resets_between_tests(camunda_dev_cluster: DevCluster) -> None:
    with camunda_dev_cluster.client() as c, pytest.raises(NotFoundError):
        c.get_group(group_id="fx")  # created by the test before


@pytest.mark.camunda_dev_cluster(indexing_lag_ms=0)
def test_per_test_cluster_takes_marker_options(
    camunda_dev_cluster_per_test: DevCluster, camunda_dev_cluster: DevCluster
) -> None:
    assert camunda_dev_cluster_per_test.indexing_lag_ms == 0
    assert camunda_dev_cluster_per_test.port != camunda_dev_cluster.port


# -- concurrency ----------------------------------------------------------------------------------


def test_a_slow_request_blocks_no_other() -> None:
    release = asyncio.Event()
    entered = threading.Event()

    async def long_poll(ctx: Context, req: ApiRequest) -> Reply:
        entered.set()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(release.wait(), 2.0)
        return Reply(200, {"jobs": []})

    with DevCluster(handlers={"activateJobs": long_poll}) as cluster:
        body = {"type": "t", "maxJobsToActivate": 1, "timeout": 1000}
        results: list[int] = []

        def poll() -> None:
            results.append(httpx.post(cluster.api_url + "/jobs/activation", json=body).status_code)

        pollers = [threading.Thread(target=poll) for _ in range(3)]
        for t in pollers:
            t.start()
        assert entered.wait(2)
        started = time.monotonic()
        with cluster.client() as client:
            for _ in range(20):
                client.get_topology()
        fast = time.monotonic() - started
        assert fast < 1.0, f"20 topology calls took {fast:.2f} s beside pending long polls"
        assert not results  # the long polls are still pending
        assert cluster._loop is not None
        cluster._loop.call_soon_threadsafe(release.set)
        for t in pollers:
            t.join(5)
        assert results == [200, 200, 200]


def test_stop_with_a_pending_long_poll_is_prompt() -> None:
    async def forever(ctx: Context, req: ApiRequest) -> Reply:
        await asyncio.sleep(60)
        return Reply(204)

    cluster = DevCluster(handlers={"activateJobs": forever}).start()
    failure: list[BaseException] = []

    def poll() -> None:
        try:
            httpx.post(
                cluster.api_url + "/jobs/activation",
                json={"type": "t", "maxJobsToActivate": 1, "timeout": 1000},
                timeout=10,
            )
        except httpx.HTTPError as exc:
            failure.append(exc)

    t = threading.Thread(target=poll)
    t.start()
    time.sleep(0.2)
    started = time.monotonic()
    cluster.stop()
    assert time.monotonic() - started < 2.0
    t.join(5)
    assert not t.is_alive()


def test_problem_json_shape(fresh: DevCluster) -> None:
    answer = httpx.get(fresh.api_url + "/users/nobody")
    assert answer.status_code == 404
    problem = json.loads(answer.content)
    assert problem == {
        "type": "about:blank",
        "title": "NOT_FOUND",
        "status": 404,
        "detail": "No user with username 'nobody' exists.",
        "instance": "/v2/users/nobody",
    }
