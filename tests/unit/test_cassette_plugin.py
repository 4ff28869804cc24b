"""Tests of the ``camunda_sdk.testing`` pytest plugin (recorded cassettes).

The plugin's behaviour is end-to-end by nature, so most tests write a small test
module, run it with ``pytester`` against a loopback fake of Camunda, and then
inspect the outcome and the cassette file it wrote.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import vcr.stubs.httpx_stubs  # noqa: F401  (see _warm_imports)
from fakes import FakeServer

from camunda_sdk.client import CamundaClient
from camunda_sdk.testing.matchers import camunda_body, camunda_path
from camunda_sdk.testing.plugin import default_record_mode, secret_values
from camunda_sdk.testing.scrub import SCRUBBED, Scrubber

pytest_plugins = ["pytester"]

SECRET = "s3cr3t-Value/with+chars&more"  # needs URL escaping in a form body
PASSWORD = "pa55word-for-basic"
TOKEN = "eyJ-fake-access-token-0123456789"


@pytest.fixture(scope="module", autouse=True)
def _warm_imports() -> None:
    # pytester restores sys.modules after each in-process run, so a module first
    # imported by an inner run is imported again by the next one: slow, and
    # vcrpy's YAML classes then exist twice and stop recognising each other.
    CamundaClient(environ={}).close()  # imports the built-in plugins
    # Inner runs parse responses into models; a model module dropped from sys.modules
    # would be imported again and its classes would no longer be the cached ones.
    from camunda_sdk.operations import models

    for name in models.__all__:
        getattr(models, name)
    # httpx imports its connection stack (httpcore, h11, anyio) at the first real
    # request; imported again after a restore, httpcore's exceptions would exist
    # twice and httpx would stop translating them, breaking later socket tests.
    fake = FakeServer(base_path="")
    fake.add("GET", "/warm", {})
    with fake.serve() as url:
        with httpx.Client() as http:
            http.get(url + "/warm")

        async def fetch() -> None:
            async with httpx.AsyncClient() as http:
                await http.get(url + "/warm")

        asyncio.run(fetch())


# -- a loopback fake of the parts of Camunda the inner tests call ------------------------


def fake_camunda() -> FakeServer:
    """Answers like a tiny Camunda (and its identity provider) to what the inner tests call."""
    fake = FakeServer(base_path="", headers={"set-cookie": f"session={TOKEN}"})
    token = {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 300}
    fake.add("POST", "/oauth/token", token)
    topology = {
        "brokers": [],
        "clusterSize": 1,
        "partitionsCount": 1,
        "replicationFactor": 1,
        "gatewayVersion": "8.8.0",
    }
    fake.add("GET", "/v2/topology", topology)
    fake.add(
        "POST",
        "/v2/process-instances",
        lambda request: {
            "processInstanceKey": "2251799813685249",
            "processDefinitionKey": "2251799813685250",
            "processDefinitionId": request.json().get("processDefinitionId"),
            "processDefinitionVersion": 1,
            "tenantId": "<default>",
            "variables": {},
        },
    )
    job = {"jobKey": "2251799813685300", "type": "t", "retries": 3}
    fake.add("POST", "/v2/jobs/activation", {"jobs": [job]})
    for path in ("/v2/echo", "/v2/echo/{target}"):
        fake.add("POST", path, lambda request: {"echo": request.content.decode() or None})
    return fake


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No CAMUNDA_* or CI settings leak in from the outer environment."""
    for key in list(os.environ):
        if key.startswith(("CAMUNDA_", "ZEEBE_")) or key == "CI":
            monkeypatch.delenv(key)
    return monkeypatch


INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


@pytest.fixture
def fake(clean_env: pytest.MonkeyPatch, pytester: pytest.Pytester) -> Iterator[FakeServer]:
    """The fake Camunda on a loopback port, named by ``CAMUNDA_REST_ADDRESS``."""
    pytester.makeini(INI)
    server = fake_camunda()
    with server.serve() as url:
        clean_env.setenv("CAMUNDA_REST_ADDRESS", url + "/v2")
        yield server


def basic_env(mp: pytest.MonkeyPatch) -> None:
    mp.setenv("CAMUNDA_AUTH_STRATEGY", "BASIC")
    mp.setenv("CAMUNDA_BASIC_AUTH_USERNAME", "demo-user")
    mp.setenv("CAMUNDA_BASIC_AUTH_PASSWORD", PASSWORD)


def oauth_env(mp: pytest.MonkeyPatch, url: str, secret: str = SECRET) -> None:
    mp.setenv("CAMUNDA_AUTH_STRATEGY", "OAUTH")
    mp.setenv("CAMUNDA_OAUTH_URL", url + "/oauth/token")
    mp.setenv("CAMUNDA_CLIENT_ID", "my-client")
    mp.setenv("CAMUNDA_CLIENT_SECRET", secret)


def cassette_text(
    pytester: pytest.Pytester, module: str, test: str, folder: str = "cassettes"
) -> str:
    path = pytester.path / folder / module / f"{test}.yaml"
    assert path.exists(), f"no cassette at {path}"
    return path.read_text()


FLOW = """
from camunda_sdk.operations.models import ProcessInstanceCreationInstructionById

def test_flow(camunda_client):
    topology = camunda_client.get_topology()
    assert topology.cluster_size == 1
    created = camunda_client.create_process_instance(
        data=ProcessInstanceCreationInstructionById(
            process_definition_id="order", variables={"a": 1, "b": {"c": [1, 2]}}
        )
    )
    assert created.process_definition_id == "order"
"""


# -- recording and replaying ---------------------------------------------------------------


def test_records_then_replays_without_server_or_credentials(
    pytester: pytest.Pytester, fake: FakeServer, clean_env: pytest.MonkeyPatch
) -> None:
    basic_env(clean_env)
    pytester.makepyfile(test_inner=FLOW)
    pytester.runpytest("--camunda-record-mode=once").assert_outcomes(passed=1)
    assert len(fake.requests) == 2
    assert fake.requests[0].headers["authorization"].startswith("Basic ")

    text = cassette_text(pytester, "test_inner", "test_flow")
    assert "/v2/topology" in text and "/v2/process-instances" in text
    assert "Basic " not in text and PASSWORD not in text and TOKEN not in text
    assert SCRUBBED in text

    # Replay: no server answers at this address and no credentials are set.
    for key in (
        "CAMUNDA_AUTH_STRATEGY",
        "CAMUNDA_BASIC_AUTH_USERNAME",
        "CAMUNDA_BASIC_AUTH_PASSWORD",
    ):
        clean_env.delenv(key)
    clean_env.setenv("CAMUNDA_REST_ADDRESS", "http://camunda.invalid:1/v2")
    clean_env.setenv("CI", "true")  # CI default: record mode none
    pytester.runpytest().assert_outcomes(passed=1)
    assert len(fake.requests) == 2


def test_once_mode_replays_an_existing_cassette(
    pytester: pytest.Pytester, fake: FakeServer, clean_env: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_inner=FLOW)
    pytester.runpytest().assert_outcomes(passed=1)  # no CI: default once records
    pytester.runpytest().assert_outcomes(passed=1)  # ...and then replays
    assert len(fake.requests) == 2


def test_all_mode_rerecords_the_cassette_from_scratch(
    pytester: pytest.Pytester, fake: FakeServer
) -> None:
    pytester.makepyfile(test_inner=FLOW)
    pytester.runpytest("--camunda-record-mode=once").assert_outcomes(passed=1)
    pytester.makepyfile(
        test_inner="""
def test_flow(camunda_client):
    camunda_client.get_topology()
"""
    )
    pytester.runpytest("--camunda-record-mode=all").assert_outcomes(passed=1)
    assert len(fake.requests) == 3
    text = cassette_text(pytester, "test_inner", "test_flow")
    assert "/v2/topology" in text and "/v2/process-instances" not in text


def test_oauth_secret_and_token_never_reach_the_cassette(
    pytester: pytest.Pytester, fake: FakeServer, clean_env: pytest.MonkeyPatch
) -> None:
    assert fake.url is not None
    oauth_env(clean_env, fake.url)
    pytester.makepyfile(test_inner=FLOW)
    pytester.runpytest("--camunda-record-mode=once").assert_outcomes(passed=1)
    assert fake.requests[0].path == "/oauth/token"
    assert fake.requests[1].headers["authorization"] == f"Bearer {TOKEN}"

    text = cassette_text(pytester, "test_inner", "test_flow")
    for secret in (SECRET, TOKEN, "s3cr3t", "Bearer "):
        assert secret not in text, secret
    assert "/oauth/token" in text and "client_id=my-client" in text
    assert f"client_secret={SCRUBBED}" in text
    assert f'"access_token": "{SCRUBBED}"' in text

    # Replay with the OAuth configuration but another secret: the token request
    # is replayed from the cassette too, and nothing reaches a server.
    clean_env.setenv("CAMUNDA_CLIENT_SECRET", "another-secret-value")
    clean_env.setenv("CAMUNDA_OAUTH_URL", "http://login.invalid:1/oauth/token")
    clean_env.setenv("CAMUNDA_REST_ADDRESS", "http://camunda.invalid:1/v2")
    pytester.runpytest("--camunda-record-mode=none").assert_outcomes(passed=1)
    assert len(fake.requests) == 3


def test_configured_secret_values_and_headers_are_scrubbed(
    pytester: pytest.Pytester, fake: FakeServer, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv("MY_API_TOKEN", "env-token-987654")
    pytester.makeini(
        INI
        + """camunda_scrub_values =
    literal-secret-123
    $MY_API_TOKEN
camunda_scrub_headers = X-Tenant-Key
"""
    )
    pytester.makepyfile(
        test_inner="""
import os, httpx, pytest

@pytest.mark.camunda_cassette
def test_raw():
    url = os.environ["CAMUNDA_REST_ADDRESS"] + "/echo?key=literal-secret-123"
    body = '{"a": "literal-secret-123", "b": "env-token-987654"}'
    headers = {"X-Tenant-Key": "tenant-key-abc", "content-type": "application/json"}
    with httpx.Client() as http:
        assert http.post(url, content=body, headers=headers).status_code == 200
"""
    )
    pytester.runpytest("--camunda-record-mode=once").assert_outcomes(passed=1)
    assert b"literal-secret-123" in fake.requests[0].content
    text = cassette_text(pytester, "test_inner", "test_raw")
    for secret in ("literal-secret-123", "env-token-987654", "tenant-key-abc", TOKEN):
        assert secret not in text, secret
    # Replay still matches: the live request is scrubbed the same way first.
    pytester.runpytest("--camunda-record-mode=none").assert_outcomes(passed=1)


# -- matching -----------------------------------------------------------------------------

RAW_POST = """
import os, httpx, pytest

@pytest.mark.camunda_cassette
def test_post():
    url = os.environ["CAMUNDA_REST_ADDRESS"] + "/echo/{target}"
    headers = {{"content-type": "application/json", "traceparent": "{trace}"}}
    with httpx.Client() as http:
        assert http.post(url, content='{body}', headers=headers).status_code == 200
"""


def test_json_key_order_headers_and_host_are_ignored(
    pytester: pytest.Pytester, fake: FakeServer, clean_env: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        test_inner=RAW_POST.format(target="x", trace="00-aa-01", body='{"a": 1, "b": [1, 2]}')
    )
    pytester.runpytest("--camunda-record-mode=once").assert_outcomes(passed=1)
    pytester.makepyfile(
        test_inner=RAW_POST.format(target="x", trace="00-bb-01", body='{"b":[1,2],"a":1}')
    )
    clean_env.setenv("CAMUNDA_REST_ADDRESS", "https://elsewhere.invalid:8443/cluster-id/v2")
    pytester.runpytest("--camunda-record-mode=none").assert_outcomes(passed=1)
    assert len(fake.requests) == 1


def test_changed_body_in_none_mode_fails_with_a_clear_message(
    pytester: pytest.Pytester, fake: FakeServer
) -> None:
    pytester.makepyfile(test_inner=RAW_POST.format(target="x", trace="t", body='{"a": 1}'))
    pytester.runpytest("--camunda-record-mode=once").assert_outcomes(passed=1)
    pytester.makepyfile(test_inner=RAW_POST.format(target="x", trace="t", body='{"a": 2}'))
    result = pytester.runpytest("--camunda-record-mode=none")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*Unrecorded request POST /v2/echo/x in cassette "
            "cassettes*test_inner*test_post.yaml, record mode 'none'.",
            "*--camunda-record-mode=new_episodes*",
            "*JSON body differs at $.a: 2 != 1*",
        ]
    )
    assert len(fake.requests) == 1  # nothing was sent


def test_unrecorded_request_swallowed_by_the_code_under_test_still_fails(
    pytester: pytest.Pytester, fake: FakeServer
) -> None:
    pytester.makepyfile(
        test_inner="""
import os, httpx, pytest

@pytest.mark.camunda_cassette
def test_swallow():
    with httpx.Client() as http:
        try:
            http.get(os.environ["CAMUNDA_REST_ADDRESS"] + "/topology")
        except Exception:
            pass  # a worker's poll loop does this
"""
    )
    result = pytester.runpytest("--camunda-record-mode=none")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*Unrecorded request GET /v2/topology in cassette "
            "*test_swallow.yaml (the file does not exist)*"
        ]
    )
    assert fake.requests == []


def test_new_episodes_adds_to_an_existing_cassette(
    pytester: pytest.Pytester, fake: FakeServer
) -> None:
    pytester.makepyfile(test_inner=RAW_POST.format(target="x", trace="t", body='{"a": 1}'))
    pytester.runpytest("--camunda-record-mode=once").assert_outcomes(passed=1)
    pytester.makepyfile(test_inner=RAW_POST.format(target="y", trace="t", body='{"a": 1}'))
    pytester.runpytest("--camunda-record-mode=once").assert_outcomes(failed=1)
    pytester.runpytest("--camunda-record-mode=new_episodes").assert_outcomes(passed=1)
    text = cassette_text(pytester, "test_inner", "test_post")
    assert "/v2/echo/x" in text and "/v2/echo/y" in text


def test_exhausted_job_activations_replay_as_empty_polls(
    pytester: pytest.Pytester, fake: FakeServer
) -> None:
    inner = """
import os, httpx, pytest

@pytest.mark.camunda_cassette
def test_poll():
    url = os.environ["CAMUNDA_REST_ADDRESS"] + "/jobs/activation"
    with httpx.Client() as http:
        answers = [http.post(url, json={{"type": "{job_type}"}}).json() for _ in range({polls})]
    assert len(answers[0]["jobs"]) == 1
    assert all(a == {{"jobs": []}} for a in answers[1:])
"""
    pytester.makepyfile(test_inner=inner.format(job_type="t", polls=1))
    pytester.runpytest("--camunda-record-mode=once").assert_outcomes(passed=1)
    # A worker polls as often as timing allows: extra identical polls answer at once, empty.
    pytester.makepyfile(test_inner=inner.format(job_type="t", polls=4))
    pytester.runpytest("--camunda-record-mode=none").assert_outcomes(passed=1)
    # An activation that was never recorded is still a miss.
    pytester.makepyfile(test_inner=inner.format(job_type="other", polls=1))
    result = pytester.runpytest("--camunda-record-mode=none")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Unrecorded request POST /v2/jobs/activation*"])
    assert len(fake.requests) == 1


# -- naming, marker, fixtures --------------------------------------------------------------


def test_marker_name_class_and_cassette_dir(pytester: pytest.Pytester, fake: FakeServer) -> None:
    pytester.makeini(INI + "camunda_cassette_dir = recordings\n")
    pytester.makepyfile(
        test_names="""
import pytest

@pytest.mark.camunda_cassette("shared-name")
def test_named(camunda_client, camunda_cassette):
    camunda_client.get_topology()
    assert len(camunda_cassette) == 1

class TestGroup:
    @pytest.mark.parametrize("n", [1])
    def test_param(self, n, camunda_client, camunda_cassette_path):
        camunda_client.get_topology()
        assert camunda_cassette_path.name == "TestGroup.test_param[1].yaml"

def test_without_cassette(request):
    assert "camunda_cassette" not in request.fixturenames
"""
    )
    pytester.runpytest("--camunda-record-mode=once").assert_outcomes(passed=3)
    assert (pytester.path / "recordings/test_names/shared-name.yaml").exists()
    assert (pytester.path / "recordings/test_names/TestGroup.test_param[1].yaml").exists()
    assert not (pytester.path / "cassettes").exists()


def test_async_client_records_and_replays(
    pytester: pytest.Pytester, fake: FakeServer, clean_env: pytest.MonkeyPatch
) -> None:
    basic_env(clean_env)
    pytester.makeini(INI + "asyncio_mode = auto\n")
    pytester.makepyfile(
        test_async="""
async def test_topology(camunda_async_client):
    topology = await camunda_async_client.get_topology()
    assert topology.gateway_version == "8.8.0"
"""
    )
    pytester.runpytest("--camunda-record-mode=once").assert_outcomes(passed=1)
    assert PASSWORD not in cassette_text(pytester, "test_async", "test_topology")
    clean_env.setenv("CAMUNDA_REST_ADDRESS", "http://camunda.invalid:1/v2")
    pytester.runpytest("--camunda-record-mode=none").assert_outcomes(passed=1)
    assert len(fake.requests) == 1


def test_missing_cassette_in_ci_names_the_file(
    pytester: pytest.Pytester, fake: FakeServer, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv("CI", "1")
    pytester.makepyfile(test_inner=FLOW)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*Unrecorded request GET /v2/topology in cassette "
            "*test_flow.yaml (the file does not exist), record mode 'none'.*"
        ]
    )
    assert fake.requests == []


# -- units ------------------------------------------------------------------------------------


def test_default_record_mode() -> None:
    assert default_record_mode({}) == "once"
    assert default_record_mode({"CI": "true"}) == "none"
    assert default_record_mode({"CI": "1"}) == "none"
    assert default_record_mode({"CI": "false"}) == "once"


def test_secret_values_sources() -> None:
    env = {
        "CAMUNDA_CLIENT_SECRET": "a-secret",
        "CAMUNDA_BASIC_AUTH_PASSWORD": "b-secret",
        "CAMUNDA_CLIENT_AUTH_CLIENTSECRET": "c-secret",
        "MINE": "d-secret",
        "CAMUNDA_CLIENT_ID": "not-secret",
    }
    values = secret_values(
        env, ["$MINE", "e-secret", "$UNSET"], {"CAMUNDA_CLIENT_SECRET": "f-secret"}
    )
    assert set(values) == {"a-secret", "b-secret", "c-secret", "d-secret", "e-secret", "f-secret"}
    # a configuration key in any case counts, as the client accepts it
    assert secret_values({}, [], {"camunda_client_secret": "g-secret"}) == ["g-secret"]


class _Req:
    """The parts of a vcrpy request the scrubber and matchers use."""

    def __init__(self, uri: str, body: Any, headers: dict[str, str] | None = None) -> None:
        from vcr.request import Request

        self.r = Request("POST", uri, body, headers or {})


def test_scrubber_escaped_forms_and_content_length() -> None:
    scrub = Scrubber([SECRET, "ab"])  # "ab" is too short to scrub by value
    from urllib.parse import quote_plus

    req = _Req(
        f"http://h/v2/x?q={quote_plus(SECRET)}&access_token=t",
        json.dumps({"note": f"has {SECRET} inside", "other": "ab"}).encode(),
        {"Authorization": "Bearer x", "Content-Type": "application/json"},
    ).r
    out = scrub.request(req)
    assert SECRET not in out.uri and quote_plus(SECRET) not in out.uri
    assert f"access_token={SCRUBBED}" in out.uri
    assert out.headers["authorization"] == SCRUBBED
    assert SECRET.encode() not in out.body and b'"ab"' in out.body

    body = json.dumps({"access_token": "tok", "id_token": "idt", "expires_in": 60}).encode()
    response = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"Content-Type": ["application/json"], "Content-Length": [str(len(body))]},
        "body": {"string": body},
    }
    out_resp = scrub.response(response)
    new_body = out_resp["body"]["string"]
    assert json.loads(new_body) == {
        "access_token": SCRUBBED,
        "id_token": SCRUBBED,
        "expires_in": 60,
    }
    assert out_resp["headers"]["Content-Length"] == [str(len(new_body))]
    assert "<" not in repr(scrub).replace("<", "", 1)  # repr shows no values
    assert SECRET not in repr(scrub)


def test_body_matcher_semantics() -> None:
    def req(body: Any, ctype: str = "application/json", path: str = "/v2/x") -> Any:
        return _Req(f"http://h{path}", body, {"content-type": ctype}).r

    camunda_body(req(b'{"a": 1, "b": {"c": 2}}'), req(b'{"b": {"c": 2}, "a": 1}'))
    with pytest.raises(AssertionError, match=r"\$\.b\.c: 3 != 2"):
        camunda_body(req(b'{"a": 1, "b": {"c": 3}}'), req(b'{"b": {"c": 2}, "a": 1}'))
    with pytest.raises(AssertionError, match=r"\$\[1\]"):
        camunda_body(req(b"[1, 2]"), req(b"[1, 3]"))
    form = "application/x-www-form-urlencoded"
    camunda_body(req(b"a=1&b=2", form), req(b"b=2&a=1", form))
    multipart1 = req(b"--AAA\r\nx\r\n--AAA--", "multipart/form-data; boundary=AAA")
    multipart2 = req(b"--BBB\r\nx\r\n--BBB--", "multipart/form-data; boundary=BBB")
    camunda_body(multipart1, multipart2)
    camunda_body(req(None), req(b""))
    camunda_path(req(None, path="/cluster-1/v2/topology"), req(None, path="/v2/topology"))
    with pytest.raises(AssertionError):
        camunda_path(req(None, path="/v2/topology"), req(None, path="/v2/license"))


def test_plugin_import_does_not_import_vcrpy_or_the_client() -> None:
    code = (
        "import sys, camunda_sdk.testing.plugin; "
        "bad = [m for m in ('vcr', 'camunda_sdk.client', 'httpx') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_plugin_is_registered_through_the_entry_point(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["*--camunda-record-mode*"])
    assert Path(__file__).exists()
