"""TLS from configuration: a custom CA and a mutual-TLS client certificate, on loopback.

Certificates are made for the test with the openssl command line.
"""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import tempfile
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from camunda_sdk import CamundaClient
from camunda_sdk.errors import CamundaConnectionError, ConfigurationError

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    return folder


class Topology(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"clusterSize": 1, "brokers": []}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(certs: Path, require_client_cert: bool) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Topology)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs / "cert.pem", certs / "key.pem")
    if require_client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=certs / "cert.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def https(certs: Path) -> Iterator[str]:
    yield from serve(certs, require_client_cert=False)


@pytest.fixture
def mtls(certs: Path) -> Iterator[str]:
    yield from serve(certs, require_client_cert=True)


def settings(address: str, **extra: str) -> dict[str, str]:
    return {"CAMUNDA_REST_ADDRESS": address, "CAMUNDA_SDK_RETRY_MAX_ATTEMPTS": "1", **extra}


def test_custom_ca_is_trusted(https: str, certs: Path) -> None:
    config = settings(https, CAMUNDA_CA_CERTIFICATE_PATH=str(certs / "cert.pem"))
    with CamundaClient(config, environ={}) as client:
        assert client.get_topology().cluster_size == 1


def test_without_the_ca_the_server_is_not_trusted(https: str) -> None:
    with (
        CamundaClient(settings(https), environ={}) as client,
        pytest.raises(CamundaConnectionError),
    ):
        client.get_topology()


def test_mutual_tls_presents_the_client_certificate(mtls: str, certs: Path) -> None:
    config = settings(
        mtls,
        CAMUNDA_CA_CERTIFICATE_PATH=str(certs / "cert.pem"),
        CAMUNDA_MTLS_CERT_PATH=str(certs / "cert.pem"),
        CAMUNDA_MTLS_KEY_PATH=str(certs / "key.pem"),
    )
    with CamundaClient(config, environ={}) as client:
        assert client.get_topology().cluster_size == 1


def test_an_unreadable_certificate_names_the_variable(tmp_path: Path) -> None:
    config = settings("https://127.0.0.1:1", CAMUNDA_CA_CERTIFICATE_PATH=str(tmp_path / "no.pem"))
    with (
        CamundaClient(config, environ={}) as client,
        pytest.raises(ConfigurationError, match="CAMUNDA_CA_CERTIFICATE_PATH"),
    ):
        client.get_topology()


def test_mutual_tls_server_refuses_a_client_without_certificate(mtls: str, certs: Path) -> None:
    config = settings(mtls, CAMUNDA_CA_CERTIFICATE_PATH=str(certs / "cert.pem"))
    with CamundaClient(config, environ={}) as client, pytest.raises(CamundaConnectionError):
        client.get_topology()


# -- inline PEM (the reference SDKs' CAMUNDA_MTLS_CA / _CERT / _KEY) ---------------------


def test_inline_pem_ca_certificate_and_key(mtls: str, certs: Path) -> None:
    cert = (certs / "cert.pem").read_text()
    key = (certs / "key.pem").read_text()
    config = settings(
        mtls,
        CAMUNDA_MTLS_CA=cert,
        CAMUNDA_MTLS_CERT=cert.replace("\n", "\\n"),  # one line, as .env files carry it
        CAMUNDA_MTLS_KEY=key,
    )
    with CamundaClient(config, environ={}) as client:
        assert client.get_topology().cluster_size == 1


def test_the_mtls_ca_path_alias_is_trusted(https: str, certs: Path) -> None:
    config = settings(https, CAMUNDA_MTLS_CA_PATH=str(certs / "cert.pem"))
    with CamundaClient(config, environ={}) as client:
        assert client.get_topology().cluster_size == 1


@pytest.fixture(scope="module")
def encrypted_key(certs: Path) -> Path:
    path = certs / "key.enc.pem"
    subprocess.run(
        ["openssl", "pkey", "-in", str(certs / "key.pem"), "-aes256", "-passout",
         "pass:open-sesame-42", "-out", str(path)],
        check=True, capture_output=True,
    )  # fmt: skip
    return path


def test_an_encrypted_inline_key_with_its_passphrase(
    mtls: str, certs: Path, encrypted_key: Path, tmp_path: Path
) -> None:
    config = settings(
        mtls,
        CAMUNDA_CA_CERTIFICATE_PATH=str(certs / "cert.pem"),
        CAMUNDA_MTLS_CERT_PATH=str(certs / "cert.pem"),
        CAMUNDA_MTLS_KEY=encrypted_key.read_text(),
        CAMUNDA_MTLS_KEY_PASSPHRASE="open-sesame-42",
    )
    before = set(Path(tempfile.gettempdir()).glob("camunda-mtls-*"))
    with CamundaClient(config, environ={}) as client:
        assert client.get_topology().cluster_size == 1
    # the key was written to a private file only while it was loaded
    assert set(Path(tempfile.gettempdir()).glob("camunda-mtls-*")) == before


def test_a_wrong_passphrase_names_the_variable_and_shows_no_key(
    mtls: str, certs: Path, encrypted_key: Path
) -> None:
    key = encrypted_key.read_text()
    config = settings(
        mtls,
        CAMUNDA_MTLS_CERT=(certs / "cert.pem").read_text(),
        CAMUNDA_MTLS_KEY=key,
        CAMUNDA_MTLS_KEY_PASSPHRASE="wrong-passphrase",
    )
    with (
        CamundaClient(config, environ={}) as client,
        pytest.raises(ConfigurationError, match="CAMUNDA_MTLS_CERT") as info,
    ):
        client.get_topology()
    shown = "".join(traceback.format_exception(info.value))
    assert "wrong-passphrase" not in shown and key.splitlines()[1] not in shown
