"""Secrets never reach a log sink, a cassette or an exception: not when they are part of
the address, not when their key is spelt in lower case, not when a server echoes them.

Every sink is searched: loguru with ``diagnose=True`` (tracebacks with local
variables), stdlib logging with httpx's own loggers at DEBUG, the cassette
scrubber's output, and each exception of the chain (message, repr, traceback)."""

from __future__ import annotations

import base64
import json
import logging
import traceback
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from loguru import logger as loguru_logger

from camunda_sdk import CamundaClient
from camunda_sdk._problem import api_error
from camunda_sdk.errors import ApiError, CamundaError
from camunda_sdk.testing.scrub import Scrubber

PASSWORD = "pa55-W0rd-in-URL"
CLIENT_SECRET = "cl1ent-Secret-lower"
TOKEN = "opaque-T0ken-abcdef123456"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ3b3JrZXIifQ.c2lnbmF0dXJlLXZhbHVl"


def basic_blob(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


SECRETS = (PASSWORD, CLIENT_SECRET, TOKEN, JWT, basic_blob("demo", PASSWORD))


class Sinks:
    """Everything written anywhere while the test runs."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def add_exception(self, exc: BaseException) -> None:
        seen: set[int] = set()
        current: BaseException | None = exc
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            self.texts += [str(current), repr(current)]
            if isinstance(current, ApiError):
                self.texts += [str(current.detail), str(current.title), repr(current.problem)]
            current = current.__cause__ or current.__context__
        self.texts.append("".join(traceback.format_exception(exc)))
        # loguru's diagnose: the traceback with the values of the variables on each line
        loguru_logger.opt(exception=exc).error("the call failed")

    def leaked(self) -> list[str]:
        text = "\n".join(self.texts)
        return [secret for secret in SECRETS if secret in text or quote(secret) in text]


@pytest.fixture
def sinks(caplog: pytest.LogCaptureFixture) -> Iterator[Sinks]:
    found = Sinks()
    sink = loguru_logger.add(
        found.texts.append, level=0, diagnose=True, backtrace=True, format="{message}\n{exception}"
    )
    caplog.set_level(logging.DEBUG)  # the root logger: httpx's and httpcore's lines too
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield found
    finally:
        loguru_logger.remove(sink)
        found.texts += [record.getMessage() for record in caplog.records]
        found.texts.append(caplog.text)


Handler = Callable[[httpx.Request], httpx.Response]


def echoing(status: int = 401) -> Handler:
    """A cluster that quotes the request's Authorization header in its error body."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth/token"):
            return httpx.Response(200, json={"access_token": TOKEN, "expires_in": 300})
        sent = request.headers.get("authorization", "")
        _, _, credential = sent.partition(" ")
        body = {
            "title": f"rejected {sent}",
            "detail": f"Authorization header was: {sent}; credential {credential}",
            "echo": {"headers": dict(request.headers)},
        }
        return httpx.Response(status, json=body)

    return handle


def recording(handler: Handler, scrubber: Scrubber, cassette: list[str]) -> Handler:
    """Run each exchange through the cassette scrubber as vcrpy would record it."""
    from vcr.request import Request as VcrRequest

    def handle(request: httpx.Request) -> httpx.Response:
        response = handler(request)
        recorded = scrubber.request(
            VcrRequest(request.method, str(request.url), request.content, dict(request.headers))
        )
        cassette.append(f"{recorded.uri} {recorded.headers} {recorded.body!r}")
        answer = scrubber.response(
            {
                "status": {"code": response.status_code, "message": ""},
                "headers": {k: [v] for k, v in response.headers.items()},
                "body": {"string": response.content},
            }
        )
        cassette.append(json.dumps(answer, default=repr))
        return response

    return handle


def client(configuration: dict[str, Any], handler: Handler) -> CamundaClient:
    settings = {"CAMUNDA_SDK_LOG_LEVEL": "trace", "CAMUNDA_SDK_RETRY_MAX_ATTEMPTS": 1}
    return CamundaClient(
        {**settings, **configuration}, environ={}, transport=httpx.MockTransport(handler)
    )


def address_with_password() -> str:
    # Built in a function of its own: loguru's diagnose shows the variables of every
    # frame on the stack, and the test's own frame is not the SDK's to hide.
    return f"https://demo:{quote(PASSWORD)}@camunda.test:8443"


def call_and_collect(sdk: CamundaClient, sinks: Sinks) -> CamundaError:
    with sdk, pytest.raises(CamundaError) as info:
        sdk.get_topology()
    sinks.add_exception(info.value)
    return info.value


def test_a_password_in_the_address_never_leaks(sinks: Sinks) -> None:
    cassette: list[str] = []
    handler = recording(echoing(), Scrubber(), cassette)
    sdk = client({"CAMUNDA_REST_ADDRESS": address_with_password()}, handler)
    assert sdk.config.auth_strategy == "BASIC"
    error = call_and_collect(sdk, sinks)
    assert isinstance(error, ApiError) and error.status == 401
    sinks.texts += cassette
    assert sinks.leaked() == []
    assert "https://camunda.test:8443/v2/topology" in "\n".join(sinks.texts)  # httpx logged


def test_a_password_in_the_address_never_leaks_from_a_connection_error(sinks: Sinks) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot connect to {request.url}", request=request)

    call_and_collect(client({"CAMUNDA_REST_ADDRESS": address_with_password()}, refuse), sinks)
    assert sinks.leaked() == []


def test_a_lower_case_client_secret_and_its_token_never_leak(sinks: Sinks) -> None:
    cassette: list[str] = []
    configuration = {
        "camunda_rest_address": "https://camunda.test",
        "camunda_oauth_url": "https://login.test/oauth/token",
        "camunda_client_id": "worker",
        "camunda_client_secret": CLIENT_SECRET,
        "camunda_token_disk_cache_disable": True,
    }
    sdk = client(configuration, recording(echoing(403), Scrubber(), cassette))
    assert sdk.config.auth_strategy == "OAUTH"
    call_and_collect(sdk, sinks)
    sinks.texts += cassette
    assert sinks.leaked() == []


def test_an_echoed_credential_is_masked_in_the_error_but_kept_in_the_raw_body() -> None:
    blob = basic_blob("demo", PASSWORD)
    body = json.dumps({"title": "Unauthorized", "detail": f"got Basic {blob} and Bearer {TOKEN}"})
    error = api_error("getTopology", 401, body.encode())
    assert error.detail == "got Basic *** and Bearer ***"
    for text in (str(error), repr(error), repr(error.problem), str(error.title)):
        assert blob not in text and TOKEN not in text
    assert blob.encode() in error.body  # the bytes as received, for whoever needs them


def test_words_after_basic_or_bearer_are_not_mistaken_for_credentials() -> None:
    body = {"detail": "Basic authentication failed; Bearer token missing; Bearer realm=x"}
    error = api_error("getTopology", 401, json.dumps(body))
    assert error.detail == body["detail"]


def test_absurdly_deep_error_json_is_kept_raw() -> None:
    body = b"{" + b'"a":[' * 100_000 + b"]" * 100_000 + b"}"
    error = api_error("getTopology", 500, body)
    assert error.status == 500 and error.problem is None


def test_the_cassette_scrubber_learns_credentials_it_sees_sent() -> None:
    from vcr.request import Request as VcrRequest

    scrubber = Scrubber()
    token_request = VcrRequest(
        "POST",
        "https://login.test/oauth/token",
        f"client_id=w&client_secret={quote(CLIENT_SECRET)}".encode(),
        {"content-type": "application/x-www-form-urlencoded"},
    )
    scrubber.request(token_request)
    token_answer = {
        "headers": {"content-type": ["application/json"]},
        "body": {"string": json.dumps({"access_token": TOKEN}).encode()},
    }
    scrubber.response(token_answer)
    echo = {"headers": {}, "body": {"string": f"{CLIENT_SECRET} / {TOKEN}".encode()}}
    assert scrubber.response(echo)["body"]["string"] == b"REDACTED / REDACTED"
