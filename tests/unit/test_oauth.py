"""The OAUTH strategy: single-flight tokens, refresh, 401 replay, retries, disk cache, redaction."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
import sys
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from fakes import FakeTransport, RecordingLogger, handler_for, make_context

from camunda_sdk.config import CamundaConfig, resolve_config
from camunda_sdk.errors import AuthenticationError, ConfigurationError
from camunda_sdk.log import BoundLogger, make_logger
from camunda_sdk.pipeline.call import Call
from camunda_sdk.pipeline.context import ClientContext
from camunda_sdk.pipeline.drivers import AsyncDriver, SyncDriver
from camunda_sdk.pipeline.effects import Acquire, Send, Sleep
from camunda_sdk.pipeline.operation import Operation
from camunda_sdk.plugins import auth, oauth
from camunda_sdk.plugins.oauth import (
    DEFAULT_EXPIRES_IN,
    MAX_EXPIRES_IN,
    MIN_EXPIRES_IN,
    OAuthProvider,
    expires_in_seconds,
)
from camunda_sdk.transport import AsyncHttpxSender, HttpxSender

TOPOLOGY = Operation("getTopology", "GET", "/topology", result=None)
API = "http://camunda.test/v2"
TOKEN_URL = "http://idp.test/oauth/token"
SECRET = "s3cr3t-Value-XYZ"
CLIENT_ID = "worker-client"


# -- fixtures and fakes ------------------------------------------------------------


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Server:
    """A MockTransport handler playing the identity provider and the cluster.

    ``token_replies`` are consumed one per token request (the last one repeats);
    each is a status, a (status, body) pair, an httpx.Response or an exception.
    The cluster accepts only the tokens in ``valid`` (all issued ones by default).
    """

    def __init__(self, *token_replies: Any, token_delay: float = 0.0) -> None:
        self.token_replies = list(token_replies) or [200]
        self.token_requests: list[httpx.Request] = []
        self.api_requests: list[httpx.Request] = []
        self.issued: list[str] = []
        self.valid: set[str] | None = None
        self.token_delay = token_delay
        self.lock = threading.Lock()

    def _token_reply(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.token_requests.append(request)
            n = len(self.token_requests)
            reply = self.token_replies[min(n, len(self.token_replies)) - 1]
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, httpx.Response):
            return reply
        if isinstance(reply, tuple):
            status, body = reply
            if isinstance(body, (dict, list)):
                return httpx.Response(status, json=body)
            return httpx.Response(status, content=body)
        if reply == 200:
            token = f"token-{n}"
            with self.lock:
                self.issued.append(token)
            return httpx.Response(200, json={"access_token": token, "expires_in": 3600})
        return httpx.Response(reply, json={"error": "server_error"})

    def _api_reply(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.api_requests.append(request)
        header = request.headers.get("authorization", "")
        token = header.removeprefix("Bearer ")
        accepted = self.issued if self.valid is None else self.valid
        if token in accepted:
            return httpx.Response(200, json={"token": token})
        return httpx.Response(401, json={"title": "Unauthorized"})

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            if self.token_delay:
                time.sleep(self.token_delay)
            return self._token_reply(request)
        return self._api_reply(request)

    async def handle_async(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL and self.token_delay:
            # Yield to the loop so concurrent calls really overlap the fetch.
            await asyncio.sleep(self.token_delay)
            return self._token_reply(request)
        return self(request)


def make_config(**overrides: Any) -> CamundaConfig:
    values: dict[str, Any] = {
        "rest_address": API,
        "auth_strategy": "OAUTH",
        "oauth_url": TOKEN_URL,
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "token_audience": "zeebe.camunda.io",
    }
    values.update(overrides)
    return CamundaConfig(**values)


def make_provider(logger: RecordingLogger | None = None, **overrides: Any) -> OAuthProvider:
    kwargs: dict[str, Any] = {
        "oauth_url": TOKEN_URL,
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "audience": "zeebe.camunda.io",
        "logger": make_logger(logger) if logger is not None else None,
        "clock": FakeClock(),
        "rand": lambda: 0.5,
        "backoff_base": 0.001,
        "backoff_max": 0.002,
    }
    kwargs.update(overrides)
    return OAuthProvider(**kwargs)


def make_handler(
    provider: OAuthProvider | None = None,
    config: CamundaConfig | None = None,
    logger: RecordingLogger | None = None,
) -> tuple[Callable[[Call], Any], ClientContext]:
    """Build transport -> auth (+ oauth strategy) through pluggy, as the client does."""
    context = make_context(
        auth,
        oauth,
        transport=FakeTransport(API),
        config=config or make_config(),
        logger=make_logger(logger or RecordingLogger()),
    )
    if provider is not None:
        # The hook reuses the client's provider from its state: this is how a
        # test injects one with a fake clock and millisecond backoff.
        context.state["oauth"] = provider
    return handler_for(context), context


def sync_driver(server: Server) -> SyncDriver:
    return SyncDriver(HttpxSender(httpx.Client(transport=httpx.MockTransport(server))))


def async_driver(server: Server) -> AsyncDriver:
    return AsyncDriver(
        AsyncHttpxSender(httpx.AsyncClient(transport=httpx.MockTransport(server.handle_async)))
    )


def run(driver: SyncDriver | AsyncDriver, handler: Callable[[Call], Any]) -> httpx.Response:
    """Run one call under either driver (a fresh event loop for the async one)."""
    if isinstance(driver, SyncDriver):
        return driver.run(handler(Call(TOPOLOGY)))
    return asyncio.run(driver.run(handler(Call(TOPOLOGY))))


DRIVERS = pytest.mark.parametrize("driver_kind", ["sync", "async"])


def driver_for(kind: str, server: Server) -> SyncDriver | AsyncDriver:
    return sync_driver(server) if kind == "sync" else async_driver(server)


# -- the hook ----------------------------------------------------------------------


def test_hook_answers_only_oauth_and_keeps_one_provider_per_client() -> None:
    _, context = make_handler()
    provider = context.state["oauth"]
    assert isinstance(provider, OAuthProvider)
    assert context.state["auth"] is provider
    # A pipeline rebuild (a plugin registered later) keeps the same provider and token.
    context.plugin_manager.hook.camunda_call_handler(context=context)
    assert context.state["auth"] is provider
    assert oauth.camunda_auth_provider(strategy="BASIC", context=context) is None


def test_hook_reads_the_configuration() -> None:
    config = make_config(token_scope="camunda", timeout_ms=1500)
    handler, context = make_handler(config=config)
    provider = context.state["oauth"]
    assert (provider.oauth_url, provider.client_id, provider.scope) == (
        TOKEN_URL,
        CLIENT_ID,
        "camunda",
    )
    assert provider.cache_file is None
    server = Server()
    run(sync_driver(server), handler)
    assert server.token_requests[0].extensions["timeout"]["read"] == 1.5


def test_missing_credentials_are_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as info:
        make_handler(config=make_config(client_secret=None))
    assert info.value.variable == "CAMUNDA_CLIENT_SECRET"


def test_token_request_is_a_client_credentials_form() -> None:
    server = Server()
    handler, _ = make_handler(make_provider(scope="orchestration"))
    response = run(sync_driver(server), handler)
    assert response.status_code == 200
    (request,) = server.token_requests
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
    assert form == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "audience": "zeebe.camunda.io",
        "scope": "orchestration",
    }
    assert server.api_requests[0].headers["authorization"] == "Bearer token-1"


def test_scope_is_left_out_when_unset() -> None:
    server = Server()
    handler, _ = make_handler(make_provider())
    run(sync_driver(server), handler)
    form = parse_qs(server.token_requests[0].content.decode())
    assert "scope" not in form


# -- single flight -----------------------------------------------------------------


async def test_one_token_request_for_20_concurrent_async_calls() -> None:
    server = Server(token_delay=0.005)
    handler, _ = make_handler(make_provider())
    driver = async_driver(server)
    responses = await asyncio.gather(*(driver.run(handler(Call(TOPOLOGY))) for _ in range(20)))
    assert [r.status_code for r in responses] == [200] * 20
    assert len(server.token_requests) == 1
    assert len(server.api_requests) == 20


def test_one_token_request_for_calls_from_8_threads() -> None:
    server = Server(token_delay=0.005)
    handler, _ = make_handler(make_provider())
    driver = sync_driver(server)
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def worker() -> None:
        barrier.wait()
        for _ in range(5):
            statuses.append(driver.run(handler(Call(TOPOLOGY))).status_code)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 40
    assert len(server.token_requests) == 1


async def test_cancelled_fetch_releases_the_lock() -> None:
    server = Server()
    gate = asyncio.Event()

    async def handle(request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL and not gate.is_set():
            await gate.wait()
        return server(request)

    handler, _ = make_handler(make_provider())
    driver = AsyncDriver(AsyncHttpxSender(httpx.AsyncClient(transport=httpx.MockTransport(handle))))
    stuck = asyncio.ensure_future(driver.run(handler(Call(TOPOLOGY))))
    await asyncio.sleep(0.001)
    stuck.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stuck
    gate.set()
    response = await asyncio.wait_for(driver.run(handler(Call(TOPOLOGY))), 1)
    assert response.status_code == 200


# -- a failed fetch is shared, then cooled down -----------------------------------------
# Backoff of these tests: 0.1 s then 0.2 s, jittered to half (rand 0.5): one fetch of
# three attempts sleeps 0.15 s in all. Before the fix every waiter repeated the whole
# fetch in turn, so N callers took N times that and sent 3 * N token requests.
SLOW_BACKOFF: dict[str, Any] = {"backoff_base": 0.1, "backoff_max": 0.2}
ONE_FETCH_SLEEPS = 0.05 + 0.1
ATTEMPTS = 3


def refused_url() -> str:
    """A loopback token URL on a port nobody listens on: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/oauth/token"


class CountingTransport(httpx.HTTPTransport):
    """A real transport that counts the requests it is asked to send."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.sent += 1
        return super().handle_request(request)


class AsyncCountingTransport(httpx.AsyncHTTPTransport):
    """The async twin of :class:`CountingTransport`."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        return await super().handle_async_request(request)


async def test_32_concurrent_calls_share_one_failed_fetch_of_a_refusing_endpoint() -> None:
    provider = make_provider(oauth_url=refused_url(), **SLOW_BACKOFF)
    handler, _ = make_handler(provider)
    transport = AsyncCountingTransport()
    driver = AsyncDriver(AsyncHttpxSender(httpx.AsyncClient(transport=transport)))
    started = time.monotonic()
    outcomes = await asyncio.gather(
        *(driver.run(handler(Call(TOPOLOGY))) for _ in range(32)), return_exceptions=True
    )
    elapsed = time.monotonic() - started
    assert all(isinstance(o, AuthenticationError) for o in outcomes), outcomes
    errors = [o for o in outcomes if isinstance(o, AuthenticationError)]
    assert {(e.status, e.transient, str(e)) for e in errors} == {(None, True, str(errors[0]))}
    assert "ConnectError" in str(errors[0])
    assert transport.sent == ATTEMPTS  # one fetch, not 32 (96 requests before)
    assert elapsed < ONE_FETCH_SLEEPS + 1.0  # 32 fetches took over 4.8 s
    await driver.aclose()


def test_8_threads_share_one_failed_fetch_of_a_refusing_endpoint() -> None:
    provider = make_provider(oauth_url=refused_url(), **SLOW_BACKOFF)
    handler, _ = make_handler(provider)
    transport = CountingTransport()
    driver = SyncDriver(HttpxSender(httpx.Client(transport=transport)))
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker() -> None:
        barrier.wait()
        try:
            driver.run(handler(Call(TOPOLOGY)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    assert len(errors) == 8
    assert all(isinstance(e, AuthenticationError) and e.transient for e in errors)
    assert transport.sent == ATTEMPTS  # 24 before
    assert elapsed < ONE_FETCH_SLEEPS + 1.0  # 8 fetches took over 1.2 s
    driver.close()


async def test_waiters_share_a_rejection_of_the_credentials_too() -> None:
    reply = (400, {"error": "invalid_client", "error_description": "bad credentials"})
    server = Server(reply, token_delay=0.02)
    # No cooldown: sharing the outcome alone keeps the 19 waiters from fetching.
    handler, _ = make_handler(make_provider(failure_cooldown=0))
    driver = async_driver(server)
    outcomes = await asyncio.gather(
        *(driver.run(handler(Call(TOPOLOGY))) for _ in range(20)), return_exceptions=True
    )
    assert all(isinstance(o, AuthenticationError) for o in outcomes)
    assert {(o.status, o.transient) for o in outcomes if isinstance(o, AuthenticationError)} == {
        (400, False)
    }
    assert len(server.token_requests) == 1


@DRIVERS
def test_failure_cooldown_fails_fast_then_expires(driver_kind: str) -> None:
    refused = httpx.ConnectError("connection refused")
    server = Server(refused, refused, refused, 200)
    clock = FakeClock()
    start = clock.now
    logger = RecordingLogger()
    handler, _ = make_handler(make_provider(logger, clock=clock), logger=logger)
    driver = driver_for(driver_kind, server)
    with pytest.raises(AuthenticationError) as first:
        run(driver, handler)
    assert len(server.token_requests) == ATTEMPTS
    for later in (0.5, 2.9):  # the default cooldown is 3 s
        clock.now = start + later
        with pytest.raises(AuthenticationError) as again:
            run(driver, handler)
        # The same error: message, status, transience and cause; nothing sent.
        assert str(again.value) == str(first.value)
        assert (again.value.status, again.value.transient) == (None, True)
        assert isinstance(again.value.__cause__, httpx.ConnectError)
        assert len(server.token_requests) == ATTEMPTS
    assert any("not attempted" in m for m in logger.messages("debug"))
    clock.now = start + 3.0  # cooldown over: a new fetch, which now succeeds
    assert run(driver, handler).status_code == 200
    assert len(server.token_requests) == ATTEMPTS + 1
    clock.now = start + 3.5  # a success ends the failure for good
    assert run(driver, handler).status_code == 200


@pytest.mark.parametrize(
    ("reply", "status", "transient", "requests"),
    [
        (httpx.ConnectError("connection refused"), None, True, ATTEMPTS),
        (503, 503, True, ATTEMPTS),
        (429, 429, True, ATTEMPTS),
        ((400, {"error": "invalid_client"}), 400, False, 1),
        ((401, {"error": "unauthorized_client"}), 401, False, 1),
    ],
)
def test_rejected_credentials_and_an_unreachable_endpoint_are_told_apart(
    reply: Any, status: int | None, transient: bool, requests: int
) -> None:
    server = Server(reply)
    clock = FakeClock()
    handler, _ = make_handler(make_provider(clock=clock))
    driver = sync_driver(server)
    for _ in range(2):  # the second call fails fast, classified the same way
        with pytest.raises(AuthenticationError) as info:
            run(driver, handler)
        assert (info.value.status, info.value.transient) == (status, transient)
        clock.now += 1
    assert len(server.token_requests) == requests


def test_failure_cooldown_is_a_setting() -> None:
    config = make_config(oauth_failure_cooldown_ms=10_000)
    _, context = make_handler(config=config)
    provider = context.state["oauth"]
    clock = FakeClock()
    provider._clock = clock
    server = Server(503)
    provider._backoff_base = provider._backoff_max = 0.001
    handler = handler_for(context)
    with pytest.raises(AuthenticationError):
        run(sync_driver(server), handler)
    clock.now += 9.0  # past the default 3 s, within the configured 10 s
    with pytest.raises(AuthenticationError):
        run(sync_driver(server), handler)
    assert len(server.token_requests) == ATTEMPTS
    clock.now += 1.0
    with pytest.raises(AuthenticationError):
        run(sync_driver(server), handler)
    assert len(server.token_requests) == 2 * ATTEMPTS


def test_failure_cooldown_setting_is_bounded() -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_config({"CAMUNDA_SDK_OAUTH_FAILURE_COOLDOWN_MS": "-1"}, environ={})
    assert info.value.variable == "CAMUNDA_SDK_OAUTH_FAILURE_COOLDOWN_MS"


def test_a_provider_without_a_logger_logs_nowhere() -> None:
    provider = OAuthProvider(oauth_url=TOKEN_URL, client_id=CLIENT_ID, client_secret=SECRET)
    assert isinstance(provider._log, BoundLogger)
    assert not hasattr(oauth, "_SilentLogger")  # one null logger in the SDK, not two


# -- expiry and refresh ------------------------------------------------------------


@DRIVERS
def test_token_is_refreshed_ahead_of_expiry(driver_kind: str) -> None:
    clock = FakeClock()
    start = clock.now
    server = Server(
        (200, {"access_token": "token-1", "expires_in": 100}),
        (200, {"access_token": "token-2", "expires_in": 100}),
    )
    server.valid = {"token-1", "token-2"}
    handler, _ = make_handler(make_provider(clock=clock))
    driver = driver_for(driver_kind, server)

    run(driver, handler)
    clock.now = start + 69  # refresh is due 30 s before expiry: at 70 s
    run(driver, handler)
    assert len(server.token_requests) == 1
    clock.now = start + 71
    run(driver, handler)
    assert len(server.token_requests) == 2
    auths = [r.headers["authorization"] for r in server.api_requests]
    assert auths == ["Bearer token-1", "Bearer token-1", "Bearer token-2"]


def test_long_lived_token_refreshes_at_90_percent() -> None:
    clock = FakeClock()
    start = clock.now
    server = Server((200, {"access_token": "t", "expires_in": 3600}))
    server.valid = {"t"}
    handler, _ = make_handler(make_provider(clock=clock))
    driver = sync_driver(server)
    run(driver, handler)
    clock.now = start + 3239
    run(driver, handler)
    assert len(server.token_requests) == 1
    clock.now = start + 3241
    run(driver, handler)
    assert len(server.token_requests) == 2


def test_failed_early_refresh_keeps_the_still_valid_token() -> None:
    clock = FakeClock()
    start = clock.now
    logger = RecordingLogger()
    server = Server((200, {"access_token": "t1", "expires_in": 100}), 503)
    server.valid = {"t1"}
    handler, _ = make_handler(make_provider(logger, clock=clock), logger=logger)
    driver = sync_driver(server)
    run(driver, handler)
    clock.now = start + 80  # due for refresh, 20 s left
    assert run(driver, handler).status_code == 200
    assert len(server.token_requests) == 1 + 3
    assert any("using the current" in m for m in logger.messages("warning"))
    # It does not hammer the endpoint on every call: the next try is a little later.
    run(driver, handler)
    assert len(server.token_requests) == 4


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (3600, 3600.0),
        ("120", 120.0),
        (None, DEFAULT_EXPIRES_IN),
        ("soon", DEFAULT_EXPIRES_IN),
        (True, DEFAULT_EXPIRES_IN),
        (float("nan"), DEFAULT_EXPIRES_IN),
        (-5, MIN_EXPIRES_IN),
        (0, MIN_EXPIRES_IN),
        (10**12, MAX_EXPIRES_IN),
    ],
)
def test_expires_in_is_read_liberally_and_bounded(raw: object, expected: float) -> None:
    assert expires_in_seconds(raw) == expected


def test_missing_expires_in_assumes_a_default_lifetime() -> None:
    clock = FakeClock()
    start = clock.now
    server = Server((200, {"access_token": "t"}))
    server.valid = {"t"}
    handler, _ = make_handler(make_provider(clock=clock))
    driver = sync_driver(server)
    run(driver, handler)
    clock.now = start + DEFAULT_EXPIRES_IN - 31
    run(driver, handler)
    assert len(server.token_requests) == 1
    clock.now = start + DEFAULT_EXPIRES_IN - 29
    run(driver, handler)
    assert len(server.token_requests) == 2


# -- 401 from the cluster ----------------------------------------------------------


@DRIVERS
def test_401_refreshes_once_and_replays(driver_kind: str) -> None:
    server = Server()
    server.valid = {"token-2"}  # the first token is "revoked"
    handler, _ = make_handler(make_provider())
    response = run(driver_for(driver_kind, server), handler)
    assert response.status_code == 200
    assert len(server.token_requests) == 2
    auths = [r.headers["authorization"] for r in server.api_requests]
    assert auths == ["Bearer token-1", "Bearer token-2"]


@DRIVERS
def test_second_401_is_returned_not_looped(driver_kind: str) -> None:
    server = Server()
    server.valid = set()
    handler, _ = make_handler(make_provider())
    response = run(driver_for(driver_kind, server), handler)
    assert response.status_code == 401
    assert len(server.token_requests) == 2
    assert len(server.api_requests) == 2


async def test_concurrent_401s_share_one_refresh() -> None:
    server = Server(token_delay=0.002)
    handler, _ = make_handler(make_provider())
    driver = async_driver(server)
    await driver.run(handler(Call(TOPOLOGY)))
    server.valid = {"token-2"}  # token-1 revoked while calls are in flight
    responses = await asyncio.gather(*(driver.run(handler(Call(TOPOLOGY))) for _ in range(10)))
    assert [r.status_code for r in responses] == [200] * 10
    assert len(server.token_requests) == 2


# -- token endpoint failures -------------------------------------------------------


@DRIVERS
def test_token_endpoint_503_twice_then_200(driver_kind: str) -> None:
    server = Server(503, 503, 200)
    handler, _ = make_handler(make_provider())
    response = run(driver_for(driver_kind, server), handler)
    assert response.status_code == 200
    assert len(server.token_requests) == 3
    assert server.api_requests[0].headers["authorization"] == "Bearer token-3"


@DRIVERS
def test_connection_errors_are_retried(driver_kind: str) -> None:
    server = Server(httpx.ConnectError("refused"), 429, 200)
    handler, _ = make_handler(make_provider())
    assert run(driver_for(driver_kind, server), handler).status_code == 200
    assert len(server.token_requests) == 3


@DRIVERS
def test_token_endpoint_always_500_raises_authentication_error(driver_kind: str) -> None:
    # The body echoes the secret, as some misconfigured proxies do.
    echo = (500, {"error": "server_error", "error_description": f"bad secret {SECRET}"})
    server = Server(echo)
    logger = RecordingLogger()
    handler, _ = make_handler(make_provider(logger), logger=logger)
    with pytest.raises(AuthenticationError) as info:
        run(driver_for(driver_kind, server), handler)
    error = info.value
    assert len(server.token_requests) == 3
    assert error.status == 500
    assert TOKEN_URL in str(error)
    assert error.url == TOKEN_URL
    assert "server_error" in str(error)
    for text in (str(error), repr(error), repr(error.args), error.detail, logger.text()):
        assert SECRET not in text
    assert not server.api_requests


def test_non_json_error_body_is_not_quoted() -> None:
    server = Server((502, f"<html>upstream said client_secret={SECRET}</html>".encode()))
    handler, _ = make_handler(make_provider())
    with pytest.raises(AuthenticationError) as info:
        run(sync_driver(server), handler)
    assert "HTTP 502" in str(info.value)
    assert SECRET not in str(info.value)
    assert "upstream" not in str(info.value)


def test_unreachable_endpoint_raises_with_no_status() -> None:
    server = Server(httpx.ConnectError("connection refused"))
    handler, _ = make_handler(make_provider())
    with pytest.raises(AuthenticationError) as info:
        run(sync_driver(server), handler)
    assert info.value.status is None
    assert "ConnectError" in str(info.value)
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert len(server.token_requests) == 3


@DRIVERS
def test_400_invalid_client_is_not_retried(driver_kind: str) -> None:
    server = Server((400, {"error": "invalid_client", "error_description": "Invalid creds"}))
    handler, _ = make_handler(make_provider())
    with pytest.raises(AuthenticationError) as info:
        run(driver_for(driver_kind, server), handler)
    assert len(server.token_requests) == 1
    assert info.value.status == 400
    assert "invalid_client" in str(info.value)
    assert "Invalid creds" in str(info.value)


def test_401_from_token_endpoint_is_not_retried() -> None:
    server = Server((401, {"error": "unauthorized_client"}))
    handler, _ = make_handler(make_provider())
    with pytest.raises(AuthenticationError):
        run(sync_driver(server), handler)
    assert len(server.token_requests) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"token_type": "Bearer", "expires_in": 300}, "no access_token"),
        ({"access_token": "", "expires_in": 300}, "no access_token"),
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        ([1, 2], "not a JSON object"),
    ],
)
def test_malformed_token_response(body: Any, message: str) -> None:
    server = Server((200, body))
    handler, _ = make_handler(make_provider())
    with pytest.raises(AuthenticationError) as info:
        run(sync_driver(server), handler)
    assert message in str(info.value)
    assert len(server.token_requests) == 1  # a malformed success is not retried


def test_retry_backoff_grows_and_honours_retry_after() -> None:
    provider = make_provider(backoff_base=1.0, backoff_max=8.0, rand=lambda: 1.0)
    replies = iter(
        [
            httpx.Response(503),
            httpx.Response(429, headers={"retry-after": "5"}),
            httpx.Response(200, json={"access_token": "t", "expires_in": 60}),
            httpx.Response(200),  # the API call
        ]
    )
    handler, _ = make_handler(provider)
    flow = handler(Call(TOPOLOGY))
    delays = []
    sent: list[httpx.Request] = []
    effect = next(flow)
    try:
        while True:
            if isinstance(effect, Send):
                sent.append(effect.request)
                effect = flow.send(next(replies))
            elif isinstance(effect, Acquire):
                effect = flow.send(SimpleNamespace(release=lambda: None))
            else:
                assert isinstance(effect, Sleep)
                delays.append(effect.seconds)
                effect = flow.send(None)
    except StopIteration as stop:
        assert stop.value.status_code == 200
    assert delays == [1.0, 5.0]
    assert sent[-1].headers["authorization"] == "Bearer t"


# -- disk cache --------------------------------------------------------------------


def test_disk_cache_miss_writes_a_private_file_and_hit_skips_the_request(tmp_path: Any) -> None:
    server = Server()
    clock = FakeClock()
    first = make_provider(cache_dir=tmp_path, clock=clock)
    handler, _ = make_handler(first)
    run(sync_driver(server), handler)
    assert len(server.token_requests) == 1
    assert first.cache_file is not None
    files = os.listdir(tmp_path)
    assert files == [os.path.basename(first.cache_file)]  # no temp file left behind
    if sys.platform != "win32":
        assert stat.S_IMODE(os.stat(first.cache_file).st_mode) == 0o600
    with open(first.cache_file, encoding="utf-8") as fh:
        assert SECRET not in fh.read()

    # A second client (another process, a restart) with the same credentials.
    second = make_provider(cache_dir=tmp_path, clock=clock)
    handler2, _ = make_handler(second)
    response = run(async_driver(server), handler2)
    assert response.status_code == 200
    assert len(server.token_requests) == 1
    assert server.api_requests[-1].headers["authorization"] == "Bearer token-1"


def test_disk_cache_ignores_a_due_token(tmp_path: Any) -> None:
    server = Server()
    clock = FakeClock()
    handler, _ = make_handler(make_provider(cache_dir=tmp_path, clock=clock))
    run(sync_driver(server), handler)
    clock.now += 3600
    handler2, _ = make_handler(make_provider(cache_dir=tmp_path, clock=clock))
    run(sync_driver(server), handler2)
    assert len(server.token_requests) == 2


def test_different_credentials_use_different_files(tmp_path: Any) -> None:
    base = make_provider(cache_dir=tmp_path)
    others = [
        make_provider(cache_dir=tmp_path, client_secret="another-secret"),
        make_provider(cache_dir=tmp_path, client_id="other-client"),
        make_provider(cache_dir=tmp_path, audience="other-audience"),
        make_provider(cache_dir=tmp_path, scope="other-scope"),
        make_provider(cache_dir=tmp_path, oauth_url="http://idp2.test/token"),
    ]
    names = {p.cache_file for p in [base, *others]}
    assert len(names) == 6
    for p in [base, *others]:
        assert p.cache_file is not None
        assert SECRET not in p.cache_file

    # And a token cached under one secret is not used with another.
    server = Server()
    run(sync_driver(server), make_handler(base)[0])
    run(sync_driver(server), make_handler(others[0])[0])
    assert len(server.token_requests) == 2


@pytest.mark.parametrize(
    "content",
    [b"", b"{garbage", b'{"access_token": 5}', b'["x"]', b'{"access_token": "x"}'],
)
def test_corrupt_cache_file_is_ignored_and_overwritten(tmp_path: Any, content: bytes) -> None:
    provider = make_provider(cache_dir=tmp_path)
    assert provider.cache_file is not None
    with open(provider.cache_file, "wb") as fh:
        fh.write(content)
    server = Server()
    response = run(sync_driver(server), make_handler(provider)[0])
    assert response.status_code == 200
    assert len(server.token_requests) == 1
    with open(provider.cache_file, encoding="utf-8") as fh:
        assert json.load(fh)["access_token"] == "token-1"


def test_unwritable_cache_dir_does_not_fail_calls(tmp_path: Any) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    logger = RecordingLogger()
    provider = make_provider(logger, cache_dir=blocker / "sub")
    response = run(sync_driver(Server()), make_handler(provider, logger=logger)[0])
    assert response.status_code == 200
    assert any("cache file" in m for m in logger.messages("warning"))


def test_config_enables_and_disables_the_disk_cache(tmp_path: Any) -> None:
    _, context = make_handler(config=make_config(token_cache_dir=str(tmp_path)))
    assert context.state["oauth"].cache_file.startswith(str(tmp_path))
    _, context = make_handler(
        config=make_config(token_cache_dir=str(tmp_path), token_disk_cache_disable=True)
    )
    assert context.state["oauth"].cache_file is None


# -- secrets -----------------------------------------------------------------------


def test_secret_and_tokens_never_reach_logs_or_repr(tmp_path: Any) -> None:
    logger = RecordingLogger()
    clock = FakeClock()
    server = Server(503, 200)
    server.valid = {"token-3"}  # token-2 will be answered 401 and replaced
    provider = make_provider(logger, clock=clock, cache_dir=tmp_path)
    handler, _ = make_handler(provider, logger=logger)
    run(sync_driver(server), handler)  # retry, fetch, 401, refresh, replay
    clock.now += 10_000
    run(async_driver(server), handler)  # expiry refresh
    failing = make_provider(logger, client_secret=SECRET, oauth_url=TOKEN_URL)
    with pytest.raises(AuthenticationError):
        run(sync_driver(Server((400, {"error": "invalid_client"}))), make_handler(failing)[0])

    assert len(logger.calls) >= 5
    assert {level for level, _, _ in logger.calls} >= {"debug", "warning"}
    everything = logger.text() + repr(provider) + repr(provider._current)
    assert SECRET not in everything
    for token in server.issued:
        assert token not in everything
    assert "Bearer" not in everything


def test_repr_redacts_url_credentials() -> None:
    provider = make_provider(oauth_url="https://user:pw@idp.test/token")
    assert "pw" not in repr(provider)
    assert "<redacted>" in repr(provider)
