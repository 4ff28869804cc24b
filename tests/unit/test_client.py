"""The clients end to end over httpx.MockTransport: requests, results, errors, plugins."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fakes import Recorder, RecordingLogger

from camunda_sdk import (
    CamundaAsyncClient,
    CamundaClient,
    MessagePublicationRequest,
    ProcessCreationById,
    ProcessInstanceKey,
    hookimpl,
)
from camunda_sdk.errors import (
    CamundaConnectionError,
    ClientClosedError,
    ConfigurationError,
    InternalServerError,
    NotFoundError,
    ServiceUnavailableError,
    UnexpectedResponseError,
)
from camunda_sdk.pipeline.manager import PluginError

BASE = {"CAMUNDA_REST_ADDRESS": "http://camunda.test:8080", "CAMUNDA_SDK_RETRY_MAX_ATTEMPTS": "1"}


def client_with(recorder: Recorder, **config: str) -> CamundaClient:
    return CamundaClient({**BASE, **config}, environ={}, transport=httpx.MockTransport(recorder))


def test_get_topology_parses_into_a_model() -> None:
    recorder = Recorder(httpx.Response(200, json={"clusterSize": 3, "brokers": [], "newField": 1}))
    topology = client_with(recorder).get_topology()
    assert topology.cluster_size == 3
    assert recorder.requests[0].url == "http://camunda.test:8080/v2/topology"


def test_body_is_sent_in_wire_form_and_default_tenant_applied() -> None:
    recorder = Recorder(httpx.Response(200, json={"processInstanceKey": "22"}))
    client = client_with(recorder, CAMUNDA_TENANT_ID="tenant-a")
    created = client.create_process_instance(
        data=ProcessCreationById(process_definition_id="order", variables={"n": 1})
    )
    assert created.process_instance_key == "22"
    body = json.loads(recorder.requests[0].content)
    assert body == {"processDefinitionId": "order", "variables": {"n": 1}, "tenantId": "tenant-a"}


def test_explicit_tenant_wins_over_the_default() -> None:
    recorder = Recorder(httpx.Response(200, json={"messageKey": "1"}))
    client = client_with(recorder, CAMUNDA_TENANT_ID="tenant-a")
    client.publish_message(data=MessagePublicationRequest(name="m", tenant_id="tenant-b"))
    assert json.loads(recorder.requests[0].content)["tenantId"] == "tenant-b"


def test_no_content_returns_none_and_path_params_fill_the_template() -> None:
    recorder = Recorder(httpx.Response(204))
    result = client_with(recorder).cancel_process_instance(
        process_instance_key=ProcessInstanceKey("2251799813685249")
    )
    assert result is None
    assert recorder.requests[0].url.path == "/v2/process-instances/2251799813685249/cancellation"


def test_problem_response_raises_the_status_error_with_problem_fields() -> None:
    problem = {"type": "about:blank", "title": "NOT_FOUND", "status": 404, "detail": "no such key"}
    recorder = Recorder(httpx.Response(404, json=problem))
    with pytest.raises(NotFoundError) as info:
        client_with(recorder).get_process_instance(process_instance_key=ProcessInstanceKey("1"))
    error = info.value
    assert (error.operation_id, error.status, error.detail) == (
        "getProcessInstance",
        404,
        "no such key",
    )
    assert b"no such key" in error.body


def test_connection_failure_names_the_address() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = CamundaClient(BASE, environ={}, transport=httpx.MockTransport(refuse))
    with pytest.raises(CamundaConnectionError) as info:
        client.get_topology()
    assert "camunda.test:8080/v2/topology" in str(info.value)


def test_basic_credentials_never_appear_in_errors_or_repr() -> None:
    recorder = Recorder(httpx.Response(503, json={"title": "busy"}))
    client = client_with(
        recorder,
        CAMUNDA_AUTH_STRATEGY="BASIC",
        CAMUNDA_BASIC_AUTH_USERNAME="demo",
        CAMUNDA_BASIC_AUTH_PASSWORD="s3cr3t-pw",
    )
    with pytest.raises(ServiceUnavailableError) as info:
        client.get_topology()
    assert recorder.requests[0].headers["authorization"].startswith("Basic ")
    for text in (str(info.value), repr(info.value), repr(client.config)):
        assert "s3cr3t-pw" not in text


def test_with_options_sets_headers_and_timeout_for_that_view_only() -> None:
    recorder = Recorder(httpx.Response(200, json={}), httpx.Response(200, json={}))
    client = client_with(recorder)
    client.with_options(headers={"x-request": "1"}, timeout=1.5).get_topology()
    client.get_topology()
    first, second = recorder.requests
    assert first.headers["x-request"] == "1"
    assert first.extensions["timeout"]["read"] == 1.5
    assert "x-request" not in second.headers


def test_the_readme_plugin_adds_its_header() -> None:
    class TeamHeader:
        @hookimpl(wrapper=True)
        def camunda_call_handler(self, context: Any) -> Generator[None, Any, Any]:
            inner = yield

            def stage(call: Any) -> Generator[Any, Any, Any]:
                call.headers["x-team"] = "payments"
                return (yield from inner(call))

            return stage

    recorder = Recorder(httpx.Response(200, json={}))
    client = CamundaClient(
        BASE, environ={}, transport=httpx.MockTransport(recorder), plugins=[TeamHeader()]
    )
    client.get_topology()
    assert recorder.requests[0].headers["x-team"] == "payments"


def test_register_plugin_rebuilds_the_pipeline() -> None:
    class Marker:
        @hookimpl(wrapper=True)
        def camunda_call_handler(self, context: Any) -> Generator[None, Any, Any]:
            inner = yield

            def stage(call: Any) -> Generator[Any, Any, Any]:
                call.headers["x-marker"] = "yes"
                return (yield from inner(call))

            return stage

    recorder = Recorder(httpx.Response(200, json={}), httpx.Response(200, json={}))
    client = client_with(recorder)
    client.get_topology()
    client.register_plugin(Marker(), name="marker")
    client.get_topology()
    assert "x-marker" not in recorder.requests[0].headers
    assert recorder.requests[1].headers["x-marker"] == "yes"


def test_a_plugin_failing_while_the_pipeline_is_built_is_named() -> None:
    class Broken:
        @hookimpl(wrapper=True)
        def camunda_call_handler(self, context: Any) -> Generator[None, Any, Any]:
            yield
            raise RuntimeError("boom")

    with pytest.raises(PluginError, match="boom"):
        CamundaClient(BASE, environ={}, plugins=[Broken()])


def test_a_misspelt_hook_is_reported() -> None:
    class Typo:
        @hookimpl
        def camunda_call_handlr(self, context: Any) -> None: ...

    with pytest.raises(PluginError, match="camunda_call_handlr"):
        CamundaClient(BASE, environ={}, plugins=[Typo()])


def test_unknown_auth_strategy_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="CAMUNDA_AUTH_STRATEGY"):
        CamundaClient({**BASE, "CAMUNDA_AUTH_STRATEGY": "KERBEROS"}, environ={})


def test_builtin_plugins_can_be_disabled_by_name() -> None:
    client = CamundaClient({**BASE, "CAMUNDA_SDK_DISABLE_PLUGINS": "tracing,retry"}, environ={})
    names = {name for name, _ in client.plugin_manager.list_name_plugin()}
    assert "tracing" not in names and "retry" not in names and "transport" in names


def test_async_client_runs_the_same_pipeline() -> None:
    recorder = Recorder(httpx.Response(200, json={"clusterSize": 5}))

    async def main() -> int | None:
        async with CamundaAsyncClient(
            BASE, environ={}, transport=httpx.MockTransport(recorder)
        ) as client:
            topology = await client.get_topology()
            return topology.cluster_size

    assert asyncio.run(main()) == 5
    assert recorder.requests[0].headers["user-agent"].startswith("camunda-sdk-python/")


def test_deploy_resources_from_files_sends_multipart(tmp_path: Any) -> None:
    bpmn = tmp_path / "order.bpmn"
    bpmn.write_bytes(b"<definitions/>")
    recorder = Recorder(
        httpx.Response(200, json={"deploymentKey": "7", "tenantId": "t", "deployments": []})
    )
    result = client_with(recorder).deploy_resources_from_files([bpmn], tenant_id="t")
    assert result.deployment_key == "7" and result.processes == []
    request = recorder.requests[0]
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert b'filename="order.bpmn"' in request.content
    assert b'name="tenantId"' in request.content


def test_missing_resource_file_is_a_clear_error(tmp_path: Any) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.bpmn"):
        client_with(Recorder()).deploy_resources_from_files([tmp_path / "nope.bpmn"])


def test_no_secret_in_logs_at_the_most_verbose_level() -> None:
    logger = RecordingLogger()
    recorder = Recorder(httpx.Response(200, json={}), httpx.Response(401, json={"title": "no"}))
    client = CamundaClient(
        {
            **BASE,
            "CAMUNDA_SDK_LOG_LEVEL": "silly",
            "CAMUNDA_BASIC_AUTH_USERNAME": "demo",
            "CAMUNDA_BASIC_AUTH_PASSWORD": "s3cr3t-pw",
        },
        environ={},
        logger=logger,
        transport=httpx.MockTransport(recorder),
    )
    client.get_topology()
    with pytest.raises(Exception):  # noqa: B017 (any error: only the log matters here)
        client.get_topology()
    header = recorder.requests[0].headers["authorization"].split()[1]
    assert logger.calls, "the client logged nothing at the most verbose level"
    assert "s3cr3t-pw" not in logger.text() and header not in logger.text()


def test_views_share_the_connection_pool_and_pipeline() -> None:
    builds: list[object] = []

    class Counter:
        @hookimpl(wrapper=True)
        def camunda_call_handler(self, context: Any) -> Generator[None, Any, Any]:
            builds.append(context)
            return (yield)

    recorder = Recorder(httpx.Response(200, json={}), httpx.Response(200, json={}))
    client = CamundaClient(
        BASE, environ={}, transport=httpx.MockTransport(recorder), plugins=[Counter()]
    )
    view = client.with_options(timeout=3.0)  # made before the first call
    with counting_http_clients() as created:
        view.get_topology()
        client.get_topology()
    assert len(created) == 1 and len(recorder.requests) == 2
    assert len(builds) == 1


def test_concurrent_first_calls_create_one_http_client() -> None:
    from concurrent.futures import ThreadPoolExecutor

    recorder = Recorder(default=lambda request: httpx.Response(200, json={}))
    client = client_with(recorder)
    with counting_http_clients(delay=0.01) as created, ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: client.get_topology(), range(8)))
    assert len(created) == 1 and len(recorder.requests) == 8


@contextmanager
def counting_http_clients(delay: float = 0.0) -> Iterator[list[httpx.Client]]:
    """Collect the ``httpx.Client`` objects made meanwhile; ``delay`` widens a race's window."""
    created: list[httpx.Client] = []
    real_init = httpx.Client.__init__

    def init(self: httpx.Client, *args: Any, **kwargs: Any) -> None:
        created.append(self)
        threading.Event().wait(delay)
        real_init(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(httpx.Client, "__init__", init)
        yield created


def test_a_success_with_a_non_json_body_is_a_typed_error() -> None:
    recorder = Recorder(httpx.Response(200, content=b"<html>proxy</html>"))
    with pytest.raises(UnexpectedResponseError) as info:
        client_with(recorder).get_topology()
    assert info.value.operation_id == "getTopology" and info.value.body == b"<html>proxy</html>"


def test_caller_authorization_wins_whatever_its_case() -> None:
    recorder = Recorder(httpx.Response(200, json={}))
    client = client_with(
        recorder,
        CAMUNDA_AUTH_STRATEGY="BASIC",
        CAMUNDA_BASIC_AUTH_USERNAME="u",
        CAMUNDA_BASIC_AUTH_PASSWORD="p",
    )
    client.with_options(headers={"Authorization": "Bearer mine"}).get_topology()
    assert recorder.requests[0].headers.get_list("authorization") == ["Bearer mine"]


def test_cluster_admin_operations_go_to_the_server_root() -> None:
    recorder = Recorder(httpx.Response(200, json={}))
    client_with(recorder).get_cluster_status()
    assert recorder.requests[0].url.path == "/cluster/v2/status"


def test_read_only_posts_are_retried_on_server_errors_but_commands_are_not() -> None:
    fast = {"CAMUNDA_SDK_RETRY_MAX_ATTEMPTS": "3", "CAMUNDA_SDK_RETRY_INITIAL_DELAY_MS": "1"}
    search = Recorder(httpx.Response(500, json={}), httpx.Response(200, json={"items": []}))
    client_with(search, **fast).search_process_instances()
    assert len(search.requests) == 2
    command = Recorder(httpx.Response(500, json={}), httpx.Response(200, json={}))
    with pytest.raises(InternalServerError):
        client_with(command, **fast).publish_message(data=MessagePublicationRequest(name="m"))
    assert len(command.requests) == 1


# -- a success body that does not fit the operation's result ---------------------------


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"[1,2,3]", "expected an object, got an array"),
        (b'"hello"', "expected an object, got a string"),
        (b"42", "expected an object, got a number"),
        (b"null", "expected an object, got null"),
        (b"", "the body is empty; expected an object"),
        (b"  \n", "the body is empty"),
    ],
)
def test_a_success_body_of_the_wrong_shape_is_a_typed_error(body: bytes, says: str) -> None:
    recorder = Recorder(httpx.Response(200, content=body))
    with pytest.raises(UnexpectedResponseError, match=says) as info:
        client_with(recorder).get_topology()
    assert info.value.operation_id == "getTopology" and info.value.body == body
    assert info.value.status == 200


def test_absurdly_deep_json_is_a_typed_error_not_a_recursion_error() -> None:
    body = b"[" * 200_000 + b"]" * 200_000
    recorder = Recorder(httpx.Response(200, content=b'{"brokers": ' + body + b"}"))
    with pytest.raises(UnexpectedResponseError, match="nested too deeply") as info:
        client_with(recorder).get_topology()
    assert isinstance(info.value.__cause__, RecursionError)


def test_results_that_are_lists_dicts_text_or_bytes_per_spec_still_parse() -> None:
    key = ProcessInstanceKey("1")
    recorder = Recorder(
        httpx.Response(200, json=[{"processInstanceKey": "1", "processDefinitionName": "p"}]),
        httpx.Response(200, json={"free": ["form"]}),
        httpx.Response(200, text="<definitions/>"),
        httpx.Response(200, content=b"\x00\x01"),
        httpx.Response(204),
    )
    client = client_with(recorder)
    hierarchy = client.get_process_instance_call_hierarchy(process_instance_key=key)
    assert [entry.process_instance_key for entry in hierarchy] == ["1"]
    assert client.get_resource_content(resource_key="9") == {"free": ["form"]}
    assert client.get_process_definition_xml(process_definition_key="2") == "<definitions/>"
    assert client.get_document(document_id="d") == b"\x00\x01"
    assert client.get_resource_content(resource_key="9") is None


def test_a_list_where_a_list_is_promised_must_be_a_list() -> None:
    recorder = Recorder(httpx.Response(200, json={"items": []}))
    with pytest.raises(UnexpectedResponseError, match="expected an array, got an object"):
        client_with(recorder).get_process_instance_call_hierarchy(
            process_instance_key=ProcessInstanceKey("1")
        )


# -- closed clients --------------------------------------------------------------------


def test_a_call_on_a_closed_client_or_its_views_says_the_client_is_closed() -> None:
    recorder = Recorder(default=lambda request: httpx.Response(200, json={}))
    client = client_with(recorder)
    early_view = client.with_options(timeout=2.0)
    client.get_topology()
    client.close()
    client.close()  # closing twice is harmless
    late_view = client.with_options(retry=False)
    for target in (client, early_view, late_view):
        with pytest.raises(ClientClosedError, match="CamundaClient is closed"):
            target.get_topology()
    assert len(recorder.requests) == 1


def test_a_client_closed_before_its_first_call_opens_no_connection_pool() -> None:
    client = client_with(Recorder())
    client.close()
    with counting_http_clients() as created, pytest.raises(ClientClosedError):
        client.get_topology()
    assert created == []


def test_a_call_in_flight_when_the_client_closes_gets_the_closed_error() -> None:
    started, release = threading.Event(), threading.Event()

    def slow(request: httpx.Request) -> httpx.Response:
        started.set()
        release.wait(5)
        return httpx.Response(503, json={})  # retried: the next attempt finds the pool closed

    client = client_with(
        Recorder(default=slow),
        CAMUNDA_SDK_RETRY_MAX_ATTEMPTS="2",
        CAMUNDA_SDK_RETRY_INITIAL_DELAY_MS="0",
    )
    errors: list[BaseException] = []

    def call() -> None:
        try:
            client.get_topology()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    assert started.wait(5)
    client.close()
    release.set()
    thread.join(5)
    assert len(errors) == 1 and isinstance(errors[0], ClientClosedError)
    assert str(errors[0]).startswith("getTopology: the CamundaClient is closed")


def test_async_client_views_and_derived_sync_client_refuse_calls_once_closed() -> None:
    async def main() -> None:
        recorder = Recorder(default=lambda request: httpx.Response(200, json={}))
        client = CamundaAsyncClient(BASE, environ={}, transport=httpx.MockTransport(recorder))
        view = client.with_options(retry=False)
        derived = client.sync_client()
        await client.get_topology()
        derived.get_topology()
        await client.close()
        for target in (client, view, client.with_options(timeout=1.0)):
            with pytest.raises(ClientClosedError, match="CamundaAsyncClient is closed"):
                await target.get_topology()
        with pytest.raises(ClientClosedError, match="CamundaClient is closed"):
            derived.get_topology()
        with pytest.raises(ClientClosedError):
            derived.with_options(retry=False).get_topology()
        assert len(recorder.requests) == 2

    asyncio.run(main())


# -- transport errors say what happened -------------------------------------------------


def test_an_async_read_timeout_says_what_timed_out_and_after_how_long() -> None:
    def stall(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("", request=request)

    async def main() -> CamundaConnectionError:
        config = {**BASE, "CAMUNDA_SDK_TIMEOUT_MS": "1500"}
        async with CamundaAsyncClient(
            config, environ={}, transport=httpx.MockTransport(stall)
        ) as client:
            with pytest.raises(CamundaConnectionError) as info:
                await client.get_topology()
            return info.value

    error = asyncio.run(main())
    assert str(error) == (
        "getTopology: GET http://camunda.test:8080/v2/topology:"
        " timed out reading the response after 1.5 s (ReadTimeout)"
    )
    assert error.timeout == 1.5 and isinstance(error.cause, httpx.ReadTimeout)


def test_a_plugin_registered_later_reaches_the_derived_sync_client() -> None:
    class Tag:
        @hookimpl(wrapper=True)
        def camunda_call_handler(self, context: Any) -> Generator[None, Any, Any]:
            inner = yield

            def tag(call: Any) -> Generator[Any, Any, Any]:
                call.headers["x-tag"] = "late"
                return (yield from inner(call))

            return tag

    async def main() -> None:
        recorder = Recorder(default=lambda request: httpx.Response(200, json={}))
        client = CamundaAsyncClient(BASE, environ={}, transport=httpx.MockTransport(recorder))
        derived = client.sync_client()
        client.register_plugin(Tag(), name="tag")
        await client.get_topology()
        derived.get_topology()
        await client.close()
        assert [r.headers.get("x-tag") for r in recorder.requests] == ["late", "late"]

    asyncio.run(main())
