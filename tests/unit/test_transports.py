"""The async client's transport: chosen by CAMUNDA_SDK_HTTP_TRANSPORT, failing alike on both.

Over real loopback sockets, each failure must raise the same httpx exception on
the aiohttp sender as on httpx's own, because retry, backpressure and the job
worker decide from the exception class whether the request may have been applied.
The sync client's transport honours the environment's proxies as httpx does.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import subprocess
import sys
from collections.abc import AsyncIterator, Generator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fakes.loopback import HttpRequest, HttpResponse, LoopbackServer

from camunda_sdk import CamundaAsyncClient, CamundaClient, hookimpl
from camunda_sdk.errors import CamundaConnectionError, ConfigurationError
from camunda_sdk.pipeline.effects import Send
from camunda_sdk.pipeline.http import Request, Response
from camunda_sdk.transport import AsyncHttpxSender, AsyncSender, aiohttp_installed
from camunda_sdk.transport.aiohttp_async import AiohttpSender
from camunda_sdk.transport.pool import DeadlineTransport, proxy_mounts

ROOT = Path(__file__).resolve().parents[2]
needs_aiohttp = pytest.mark.skipif(not aiohttp_installed(), reason="the aiohttp extra")
TRANSPORTS = ["httpx", pytest.param("aiohttp", marks=needs_aiohttp)]


def client(transport: str | None = None, **settings: str) -> CamundaAsyncClient:
    configuration = {"CAMUNDA_REST_ADDRESS": "http://127.0.0.1:1/v2", **settings}
    if transport is not None:
        configuration["CAMUNDA_SDK_HTTP_TRANSPORT"] = transport
    return CamundaAsyncClient(configuration, environ={})


def sender(sdk: CamundaAsyncClient) -> Any:
    return sdk._get_driver().sender  # pyright: ignore[reportPrivateUsage]


def http_transport(sdk: CamundaAsyncClient) -> Any:
    return sender(sdk).http._transport


# -- selection ---------------------------------------------------------------------------


@needs_aiohttp
async def test_auto_and_aiohttp_send_through_aiohttp_when_installed() -> None:
    for choice in (None, "auto", "AIOHTTP"):
        sdk = client(choice)
        assert isinstance(sender(sdk), AiohttpSender)
        await sdk.close()


async def test_httpx_keeps_httpx_s_own_transport() -> None:
    sdk = client("httpx")
    assert isinstance(http_transport(sdk), httpx.AsyncHTTPTransport)
    await sdk.close()


async def test_a_transport_given_to_the_client_wins() -> None:
    mock = httpx.MockTransport(lambda request: httpx.Response(204))
    sdk = CamundaAsyncClient({"CAMUNDA_SDK_HTTP_TRANSPORT": "aiohttp"}, transport=mock, environ={})
    assert http_transport(sdk) is mock
    await sdk.close()


def test_a_malformed_choice_names_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="CAMUNDA_SDK_HTTP_TRANSPORT"):
        client("curl")


async def test_without_the_extra_auto_falls_back_and_aiohttp_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "aiohttp", None)  # import fails: not installed
    sdk = client("auto")
    assert isinstance(http_transport(sdk), httpx.AsyncHTTPTransport)
    await sdk.close()
    sdk = client("aiohttp")
    with pytest.raises(ConfigurationError, match=r"pip install 'camunda-sdk\[aiohttp\]'"):
        await sdk.get_topology()
    await sdk.close()


def test_constructing_either_client_imports_no_aiohttp() -> None:
    code = (
        "import sys; import camunda_sdk;"
        "camunda_sdk.CamundaClient(); camunda_sdk.CamundaAsyncClient();"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('aiohttp', 'httpx_aiohttp')))"
    )
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


# -- failures over real sockets ----------------------------------------------------------


async def _answer(
    mode: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, heads: list[bytes]
) -> None:
    heads.append(await reader.readuntil(b"\r\n\r\n"))
    if mode == "hang":
        await asyncio.sleep(30)
    elif mode == "partial":
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc")
        await writer.drain()
    elif mode == "garbage":
        writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        await writer.drain()
    elif mode == "reset":  # RST instead of FIN
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    elif mode == "ok":
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nSet-Cookie: s=1\r\n\r\nok")
        await writer.drain()
        return
    writer.close()


@contextlib.asynccontextmanager
async def _serve(mode: str, heads: list[bytes] | None = None) -> AsyncIterator[str]:
    """Serve ``mode`` on loopback; the request heads received go to ``heads``."""
    tasks: set[asyncio.Task[None]] = set()
    received: list[bytes] = [] if heads is None else heads

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            while True:
                await _answer(mode, reader, writer, received)
                if mode != "ok":
                    return
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    if mode == "refused":
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        yield f"http://127.0.0.1:{port}"
        return
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        for task in tasks:
            task.cancel()


@contextlib.asynccontextmanager
async def _sender(transport: str) -> AsyncIterator[AsyncSender]:
    made: AsyncSender = (
        AiohttpSender() if transport == "aiohttp" else AsyncHttpxSender(httpx.AsyncClient())
    )
    try:
        yield made
    finally:
        await made.aclose()


FAILURES = {
    "refused": httpx.ConnectError,  # never sent: safe to send again
    "close": httpx.RemoteProtocolError,  # sent, no answer: maybe applied
    "partial": httpx.RemoteProtocolError,
    "garbage": httpx.RemoteProtocolError,
    "reset": httpx.ReadError,
}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("mode", sorted(FAILURES))
async def test_each_failure_raises_the_same_httpx_exception_on_both(
    transport: str, mode: str
) -> None:
    async with _serve(mode) as url, _sender(transport) as send:
        request = Request("POST", url + "/v2/jobs/1/completion", content=b"{}", timeout=10)
        with pytest.raises(httpx.TransportError) as caught:
            await send.send(request)
        assert type(caught.value) is FAILURES[mode]
        assert str(caught.value.request.url).endswith("/v2/jobs/1/completion")


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_the_request_timeout_bounds_the_exchange(transport: str) -> None:
    async with _serve("hang") as url, _sender(transport) as send:
        request = Request("GET", url + "/v2/topology", timeout=0.2)
        with pytest.raises(httpx.ReadTimeout):
            await asyncio.wait_for(send.send(request), 20)


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_the_sdk_reports_a_cut_connection_as_a_connection_error(transport: str) -> None:
    async with _serve("close") as url:
        sdk = CamundaAsyncClient(
            {
                "CAMUNDA_REST_ADDRESS": url + "/v2",
                "CAMUNDA_SDK_HTTP_TRANSPORT": transport,
                "CAMUNDA_SDK_RETRY_MAX_ATTEMPTS": "1",
            },
            environ={},
        )
        with pytest.raises(CamundaConnectionError) as caught:
            await sdk.create_process_instance(data={"processDefinitionId": "order"})  # type: ignore[arg-type]
        await sdk.close()
        assert type(caught.value.__cause__) is httpx.RemoteProtocolError


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_cookies_a_server_sets_are_sent_back_on_neither(transport: str) -> None:
    heads: list[bytes] = []
    async with _serve("ok", heads) as url, _sender(transport) as send:
        for path in ("/a", "/b"):
            response = await send.send(Request("GET", url + path, timeout=10))
            assert response.status_code == 200 and response.content == b"ok"
    cookies = [
        [line.lower() for line in head.split(b"\r\n") if line.lower().startswith(b"cookie:")]
        for head in heads
    ]
    assert cookies == [[], []]  # stateless: each request carries its own credentials


# -- stages see the SDK's request and response on both ---------------------------------


class _Seen:
    def __init__(self) -> None:
        self.types: list[tuple[type, type]] = []

    @hookimpl(wrapper=True)
    def camunda_call_handler(self, context: Any) -> Generator[None, Any, Any]:
        inner = yield

        def stage(call: Any) -> Generator[Any, Any, Any]:
            gen = inner(call)
            try:
                effect = next(gen)
                while True:
                    outcome = yield effect
                    if isinstance(effect, Send):
                        self.types.append((type(effect.request), type(outcome)))
                    effect = gen.send(outcome)
            except StopIteration as stop:
                return stop.value

        return stage


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_stages_see_the_sdk_s_requests_and_responses(transport: str) -> None:
    async with _serve("ok") as url:
        seen = _Seen()
        sdk = CamundaAsyncClient(
            {"CAMUNDA_REST_ADDRESS": url + "/v2", "CAMUNDA_SDK_HTTP_TRANSPORT": transport},
            environ={},
            plugins=[seen],
        )
        with pytest.raises(Exception):  # noqa: B017  # "ok" is not a topology
            await sdk.get_topology()
        await sdk.close()
        assert seen.types and set(seen.types) == {(Request, Response)}


def test_the_aiohttp_sender_takes_proxies_from_the_environment_once_per_origin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As httpx does (trust_env): HTTPS_PROXY/HTTP_PROXY/ALL_PROXY, minus NO_PROXY.
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("NO_PROXY", "internal.corp")
    sender = AiohttpSender()
    proxy = sender._proxy  # pyright: ignore[reportPrivateUsage]
    assert proxy("https://cluster.example/v2/topology") == "http://proxy.corp:3128"
    assert proxy("https://internal.corp/v2/topology") is None
    assert proxy("http://cluster.example/v2/topology") is None  # no HTTP_PROXY
    monkeypatch.setenv("HTTP_PROXY", "http://other:1")
    # Looked up once per origin: a later change applies to new origins only.
    assert proxy("http://cluster.example/v2/jobs") is None
    assert proxy("http://new.example/v2") == "http://other:1"


# -- the sync client's transport ---------------------------------------------------------

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


def test_the_environment_s_proxies_become_mounts_as_httpx_reads_them(
    no_proxies: pytest.MonkeyPatch,
) -> None:
    no_proxies.setenv("HTTP_PROXY", "http://proxy.corp:3128")
    no_proxies.setenv("HTTPS_PROXY", "proxy.corp:3129")  # no scheme: http://
    no_proxies.setenv("NO_PROXY", "internal.corp, 10.0.0.1,::1,localhost,https://direct.corp")
    mounts = proxy_mounts(True)
    proxied = {pattern: transport for pattern, transport in mounts.items() if transport}
    assert sorted(proxied) == ["http://", "https://"]
    assert all(isinstance(transport, DeadlineTransport) for transport in proxied.values())
    direct = sorted(pattern for pattern, transport in mounts.items() if transport is None)
    assert direct == [
        "all://*internal.corp",
        "all://10.0.0.1",
        "all://[::1]",
        "all://localhost",
        "https://direct.corp",
    ]
    for transport in proxied.values():
        transport.close()
    no_proxies.setenv("NO_PROXY", "*")
    assert proxy_mounts(True) == {}


def test_the_sync_client_sends_through_the_proxy_the_environment_names(
    no_proxies: pytest.MonkeyPatch,
) -> None:
    targets: list[str] = []

    async def proxy(request: HttpRequest) -> HttpResponse:
        targets.append(request.target)  # absolute-form: the proxy is asked for the origin
        return HttpResponse.of_json(200, {"clusterSize": 1, "brokers": []})

    with LoopbackServer(proxy) as server:
        no_proxies.setenv("HTTP_PROXY", server.url)
        with CamundaClient(
            {"CAMUNDA_REST_ADDRESS": "http://cluster.invalid/v2"}, environ={}
        ) as sdk:
            assert sdk.get_topology().cluster_size == 1
        no_proxies.setenv("NO_PROXY", "cluster.invalid")
        with (
            CamundaClient(
                {
                    "CAMUNDA_REST_ADDRESS": "http://cluster.invalid/v2",
                    "CAMUNDA_SDK_RETRY_MAX_ATTEMPTS": "1",
                },
                environ={},
            ) as sdk,
            pytest.raises(CamundaConnectionError),  # direct: .invalid does not resolve
        ):
            sdk.get_topology()
    assert targets == ["http://cluster.invalid/v2/topology"]


def test_a_transport_given_to_the_sync_client_is_used_as_it_is() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"clusterSize": 1, "brokers": []})

    config = {"CAMUNDA_REST_ADDRESS": "http://camunda.test/v2", "CAMUNDA_SDK_TIMEOUT_MS": "2500"}
    with CamundaClient(config, environ={}, transport=httpx.MockTransport(answer)) as sdk:
        assert sdk.get_topology().cluster_size == 1
    # What holds such a transport to the call's timeout: httpx's per-operation timeouts.
    assert seen[0].extensions["timeout"] == {
        "connect": 2.5,
        "read": 2.5,
        "write": 2.5,
        "pool": 2.5,
    }
