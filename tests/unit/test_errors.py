"""Unit tests of camunda_sdk.errors: class choice, problem parsing, safety, pickling."""

from __future__ import annotations

import json
import pickle

import httpx
import pytest

from camunda_sdk import errors
from camunda_sdk._problem import api_error
from camunda_sdk.errors import (
    ApiError,
    AuthenticationError,
    BadGatewayError,
    BadRequestError,
    CamundaConnectionError,
    CamundaError,
    ClientClosedError,
    ClientError,
    ConfigurationError,
    ConflictError,
    ForbiddenError,
    GatewayTimeoutError,
    GoneError,
    InternalServerError,
    InternalServerErrorError,
    MethodNotAllowedError,
    NotAcceptableError,
    NotFoundError,
    NotImplementedError_,
    NotImplementedServerError,
    PayloadTooLargeError,
    PreconditionFailedError,
    RequestTimeoutError,
    ServerError,
    ServiceUnavailableError,
    TooManyRequestsError,
    UnauthorizedError,
    UnprocessableEntityError,
    UnsupportedMediaTypeError,
    error_class_for_status,
    redact_url,
)

TOKEN = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0.sig"
PASSWORD = "pa55-Word-99"

PROBLEM = {
    "type": "about:blank",
    "title": "NOT_FOUND",
    "status": 404,
    "detail": "Process definition with key 123 not found",
    "instance": "/v2/process-definitions/123",
}


@pytest.mark.parametrize(
    ("status", "cls", "family"),
    [
        (400, BadRequestError, ClientError),
        (401, UnauthorizedError, ClientError),
        (403, ForbiddenError, ClientError),
        (404, NotFoundError, ClientError),
        (405, MethodNotAllowedError, ClientError),
        (406, NotAcceptableError, ClientError),
        (408, RequestTimeoutError, ClientError),
        (409, ConflictError, ClientError),
        (410, GoneError, ClientError),
        (412, PreconditionFailedError, ClientError),
        (413, PayloadTooLargeError, ClientError),
        (415, UnsupportedMediaTypeError, ClientError),
        (422, UnprocessableEntityError, ClientError),
        (429, TooManyRequestsError, ClientError),
        (500, InternalServerError, ServerError),
        (501, NotImplementedServerError, ServerError),
        (502, BadGatewayError, ServerError),
        (503, ServiceUnavailableError, ServerError),
        (504, GatewayTimeoutError, ServerError),
        (418, ClientError, ClientError),
        (499, ClientError, ClientError),
        (599, ServerError, ServerError),
    ],
)
def test_class_chosen_by_status(status: int, cls: type[ApiError], family: type[ApiError]) -> None:
    err = api_error("op", status, b"")
    assert type(err) is cls
    assert error_class_for_status(status) is cls
    assert isinstance(err, family)
    assert isinstance(err, ApiError)
    assert isinstance(err, CamundaError)
    assert err.status == status
    assert err.operation_id == "op"


def test_every_error_status_of_the_spec_and_rfc_9110_has_its_own_class() -> None:
    import http

    for status in http.HTTPStatus:
        if status.value < 400 or status.value in (418, 506, 510):
            continue  # a teapot and two experimental statuses fall back to their family
        cls = error_class_for_status(status.value)
        assert cls not in (ClientError, ServerError), status
        assert cls.__doc__ and cls.__doc__.startswith(str(status.value)), cls


def test_reference_sdk_names_are_aliases() -> None:
    err = api_error("createProcessInstance", 400, b'{"title": "bad"}')
    assert err.status_code == err.status == 400
    assert err.content == err.body == b'{"title": "bad"}'
    assert InternalServerErrorError is InternalServerError
    assert NotImplementedError_ is NotImplementedServerError
    assert not issubclass(NotImplementedServerError, NotImplementedError)


def test_unexpected_status_falls_back_to_api_error() -> None:
    assert type(api_error("op", 302, b"")) is ApiError


def test_problem_json_is_parsed() -> None:
    body = json.dumps(PROBLEM).encode()
    err = api_error("getProcessDefinition", 404, body, {"Content-Type": "application/problem+json"})
    assert isinstance(err, NotFoundError)
    assert err.type == "about:blank"
    assert err.title == "NOT_FOUND"
    assert err.detail == "Process definition with key 123 not found"
    assert err.instance == "/v2/process-definitions/123"
    assert err.body == body
    assert err.problem == PROBLEM
    assert err.headers == {"content-type": "application/problem+json"}
    assert str(err) == (
        "getProcessDefinition: 404 Not Found: NOT_FOUND - Process definition with key 123 not found"
    )


def test_message_without_problem_fields() -> None:
    assert str(api_error("getTopology", 503, b"")) == "getTopology: 503 Service Unavailable"
    only_detail = api_error("getTopology", 400, b'{"detail": "bad"}')
    assert str(only_detail) == "getTopology: 400 Bad Request: bad"


def test_unknown_status_reason() -> None:
    assert str(api_error("op", 599, b"")) == "op: 599 Unknown Status"


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>502 Bad Gateway</body></html>",
        b"{not json",
        b"[1, 2, 3]",
        b'"just a string"',
        b"\xff\xfe\x00garbage",
        b"",
    ],
)
def test_garbage_body_leaves_fields_none_and_keeps_raw(body: bytes) -> None:
    err = api_error("getTopology", 502, body)
    assert isinstance(err, BadGatewayError)
    assert (err.type, err.title, err.detail, err.instance) == (None, None, None, None)
    assert err.problem is None
    assert err.body == body
    assert str(err) == "getTopology: 502 Bad Gateway"


def test_plain_json_error_shape_is_read_leniently() -> None:
    body = json.dumps(
        {
            "timestamp": "x",
            "status": 500,
            "error": "Internal Server Error",
            "message": "boom",
            "path": "/v2/x",
        }
    ).encode()
    err = api_error("op", 500, body)
    assert err.title == "Internal Server Error"
    assert err.detail == "boom"
    assert err.instance == "/v2/x"


def test_non_string_problem_fields_are_stringified() -> None:
    err = api_error("op", 400, b'{"title": 42, "detail": {"field": "x"}}')
    assert err.title == "42"
    assert err.detail == '{"field": "x"}'


def test_str_body_and_text_property() -> None:
    err = api_error("op", 400, '{"title": "Bad"}')
    assert err.body == b'{"title": "Bad"}'
    assert err.text == '{"title": "Bad"}'
    assert api_error("op", 400, None).body == b""


def test_only_safe_headers_are_kept() -> None:
    headers = {
        "Content-Type": "application/problem+json",
        "Retry-After": "3",
        "Authorization": f"Bearer {TOKEN}",
        "Set-Cookie": f"session={TOKEN}",
        "X-Request-Id": "abc",
        "WWW-Authenticate": (
            f'Bearer realm="camunda", error="invalid_token", '
            f'error_description="expired", token="{TOKEN}"'
        ),
    }
    err = api_error("op", 401, b"", headers)
    assert set(err.headers) == {"content-type", "retry-after", "x-request-id", "www-authenticate"}
    assert err.headers["www-authenticate"] == (
        'Bearer realm="camunda", error="invalid_token", error_description="expired"'
    )
    everything = repr(err.__dict__) + str(err)
    assert TOKEN not in everything
    assert "authorization" not in {k.lower() for k in err.headers}


@pytest.mark.parametrize(
    ("value", "seconds"), [("3", 3.0), ("0.5", 0.5), ("-2", None), ("inf", None)]
)
def test_retry_after_seconds(value: str, seconds: float) -> None:
    err = api_error("op", 429, b"", {"Retry-After": value})
    assert err.retry_after == seconds


def test_retry_after_http_date_and_absent() -> None:
    past = api_error("op", 503, b"", {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert past.retry_after == 0.0
    assert api_error("op", 503, b"").retry_after is None
    assert api_error("op", 503, b"", {"Retry-After": "soon"}).retry_after is None


def test_connection_error_message_and_redaction() -> None:
    url = f"https://user:{PASSWORD}@cluster.example/v2/topology?access_token={TOKEN}&page=2"
    cause = OSError(f"connection refused while calling {url}")
    err = CamundaConnectionError("get", url, cause, operation_id="getTopology")
    message = str(err)
    assert message.startswith("getTopology: GET https://***@cluster.example/v2/topology")
    assert "OSError: connection refused" in message
    assert "page=2" in message
    assert PASSWORD not in message
    assert TOKEN not in message
    assert err.url.startswith("https://***@cluster.example")
    assert err.operation_id == "getTopology"
    assert err.cause is cause


def test_connection_error_without_cause_or_operation() -> None:
    err = CamundaConnectionError("POST", "http://localhost:8080/v2/jobs/activation")
    assert str(err) == "POST http://localhost:8080/v2/jobs/activation: no response"
    assert err.operation_id is None


@pytest.mark.parametrize(
    ("cause", "timeout", "says"),
    [
        (httpx.ReadTimeout("timed out"), 1.0, "timed out reading the response after 1.0 s"),
        (httpx.ConnectTimeout("timed out"), 2.5, "timed out connecting after 2.5 s"),
        (httpx.WriteTimeout(""), 0.25, "timed out sending the request after 0.25 s"),
        (httpx.PoolTimeout(""), None, "timed out waiting for a free connection (PoolTimeout)"),
        (httpx.ConnectError("[Errno 111] refused"), None, "could not connect (ConnectError: "),
        (httpx.RemoteProtocolError("Server disconnected"), None, "closed the connection"),
        (httpx.ReadError(""), None, "failed while reading the response (ReadError)"),
        (OSError("boom"), None, "failed (OSError: boom)"),
    ],
)
def test_connection_error_says_what_happened(
    cause: BaseException, timeout: float | None, says: str
) -> None:
    url = f"https://user:{PASSWORD}@host/v2/topology"
    err = CamundaConnectionError("GET", url, cause, operation_id="getTopology", timeout=timeout)
    assert str(err).startswith("getTopology: GET https://***@host/v2/topology: ")
    assert says in str(err)
    assert PASSWORD not in str(err) and err.timeout == timeout


def test_client_closed_error() -> None:
    err = ClientClosedError("CamundaClient", operation_id="getTopology")
    assert str(err).startswith("getTopology: the CamundaClient is closed")
    assert isinstance(err, CamundaError) and err.operation_id == "getTopology"


def test_authentication_error() -> None:
    err = AuthenticationError(
        "invalid_client", url=f"https://id:{PASSWORD}@login.example/oauth/token", status=401
    )
    assert (
        str(err) == "authentication failed at https://***@login.example/oauth/token (HTTP 401): "
        "invalid_client"
    )
    assert err.status == 401
    assert PASSWORD not in str(err)
    no_status = AuthenticationError("timed out", url="https://login.example/oauth/token")
    assert "HTTP" not in str(no_status)
    assert no_status.status is None


def test_configuration_error_variable() -> None:
    err = ConfigurationError("bad", variable="CAMUNDA_X")
    assert err.variable == "CAMUNDA_X"
    assert isinstance(err, CamundaError)


@pytest.mark.parametrize(
    "err",
    [
        api_error("op", 404, json.dumps(PROBLEM).encode(), {"Retry-After": "1"}),
        ConfigurationError("bad", variable="CAMUNDA_X"),
        CamundaConnectionError("GET", "http://h/v2/x", OSError("refused"), operation_id="op"),
        AuthenticationError("nope", url="https://login/token", status=400),
        ClientClosedError("CamundaClient", operation_id="getTopology"),
        CamundaConnectionError("GET", "http://h/x", httpx.ReadTimeout("t"), timeout=1.0),
    ],
)
def test_errors_survive_pickling(err: CamundaError) -> None:
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is type(err)
    assert str(copy) == str(err)
    state = {k: v for k, v in err.__dict__.items() if k != "cause"}
    assert {k: v for k, v in copy.__dict__.items() if k != "cause"} == state


def test_redact_url() -> None:
    assert redact_url("http://localhost:8080/v2") == "http://localhost:8080/v2"
    assert redact_url("https://a:b@h/p?x=1") == "https://***@h/p?x=1"
    assert (
        redact_url("https://h/p?client_secret=zz&q=ok#frag") == "https://h/p?client_secret=***&q=ok"
    )


def test_all_is_complete() -> None:
    for name in errors.__all__:
        assert hasattr(errors, name)
    from camunda_sdk.errors import error_class_named

    # Per-operation classes are made on first use and cached in the module (another
    # test may have loaded some); they are reached by name, not listed in __all__.
    public_classes = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type)
        and issubclass(value, CamundaError)
        and error_class_named(name) is not value
    }
    assert public_classes <= set(errors.__all__)
