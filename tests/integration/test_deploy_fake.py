"""Multipart operations against the recording fake server.

Prism cannot validate multipart arrays of files, so ``createDeployment``,
``createDocument`` and ``createDocuments`` are checked here: what went over the
wire (part names, filenames, form fields, query) and the typed result.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import FakeServer, canned

from camunda_sdk import CamundaAsyncClient, CamundaClient, Deployment
from camunda_sdk.operations.models import (
    CreateDocumentRequest,
    CreateDocumentsRequest,
    DeploymentResult,
    DocumentCreationBatchResponse,
    DocumentMetadata,
    DocumentReference,
)

BASE = "http://camunda.test/v2"
CONFIG = {
    "CAMUNDA_REST_ADDRESS": BASE,
    "CAMUNDA_AUTH_STRATEGY": "BASIC",
    "CAMUNDA_BASIC_AUTH_USERNAME": "demo",
    "CAMUNDA_BASIC_AUTH_PASSWORD": "demo",
}
BPMN = b'<?xml version="1.0"?><bpmn:definitions id="order"/>'
DMN = b'<?xml version="1.0"?><definitions id="discount"/>'


@pytest.fixture
def fake() -> FakeServer:
    """A fake answering the three multipart operations from canned JSON."""
    server = FakeServer()
    server.add("POST", "/deployments", canned("deployment_result.json"))
    server.add("POST", "/documents", canned("document_reference.json"), status=201)
    server.add("POST", "/documents/batch", canned("document_batch.json"), status=201)
    return server


@pytest.fixture
def client(fake: FakeServer) -> CamundaClient:
    """A sync client wired to the fake."""
    return CamundaClient(configuration=CONFIG, environ={}, transport=fake.transport())


@pytest.fixture
def resources(tmp_path: Path) -> list[Path]:
    """A BPMN and a DMN file on disk."""
    bpmn = tmp_path / "order.bpmn"
    dmn = tmp_path / "discount.dmn"
    bpmn.write_bytes(BPMN)
    dmn.write_bytes(DMN)
    return [bpmn, dmn]


def test_deploy_resources_from_files(
    client: CamundaClient, fake: FakeServer, resources: list[Path]
) -> None:
    """Both files travel as ``resources`` parts with their names; tenantId is a form field."""
    result = client.deploy_resources_from_files(resources, tenant_id="t1")

    (request,) = fake.requests
    assert request.method == "POST"
    assert request.path == "/v2/deployments"
    assert request.headers["authorization"].startswith("Basic ")
    files = request.parts("resources")
    assert [p.filename for p in files] == ["order.bpmn", "discount.dmn"]
    assert [p.content for p in files] == [BPMN, DMN]
    assert request.form() == {"tenantId": "t1"}
    assert {p.name for p in request.multipart()} == {"resources", "tenantId"}

    assert isinstance(result, Deployment) and isinstance(result.result, DeploymentResult)
    assert result.deployment_key == "2251799813685249"
    assert result.tenant_id == "t1"
    assert len(result.result.deployments) == 2
    [process] = result.processes
    assert process.process_definition_id == "order-process"
    [decision] = result.decisions
    assert decision.decision_definition_key == "2251799813326547"
    assert result.forms == [] and result.resources == []


def test_deploy_without_tenant_sends_no_tenant_field(
    client: CamundaClient, fake: FakeServer, resources: list[Path]
) -> None:
    """No tenant: the form carries the files only."""
    client.deploy_resources_from_files([resources[0]])
    (request,) = fake.requests
    assert [p.filename for p in request.parts("resources")] == ["order.bpmn"]
    assert request.form() == {}


def test_deploy_missing_file_sends_nothing(
    client: CamundaClient, fake: FakeServer, tmp_path: Path
) -> None:
    """A missing file fails before any request, naming the path."""
    with pytest.raises(FileNotFoundError, match=r"nope\.bpmn"):
        client.deploy_resources_from_files([tmp_path / "nope.bpmn"])
    assert fake.requests == []


async def test_deploy_async(fake: FakeServer, resources: list[Path]) -> None:
    """The async client sends the same multipart body."""
    async with CamundaAsyncClient(
        configuration=CONFIG, environ={}, transport=fake.transport()
    ) as client:
        result = await client.deploy_resources_from_files(resources, tenant_id="t1")
    (request,) = fake.requests
    assert [p.filename for p in request.parts("resources")] == ["order.bpmn", "discount.dmn"]
    assert request.form() == {"tenantId": "t1"}
    assert isinstance(result, Deployment) and len(result.processes) == 1


def test_create_document(client: CamundaClient, fake: FakeServer) -> None:
    """One ``file`` part, JSON ``metadata`` part, ``storeId`` query parameter."""
    metadata = DocumentMetadata(content_type="text/plain", file_name="invoice.txt")
    data = CreateDocumentRequest(file=("invoice.txt", b"hello", "text/plain"), metadata=metadata)
    result = client.create_document(data=data, store_id="in-memory")

    (request,) = fake.requests
    assert request.path == "/v2/documents"
    assert request.params == {"storeId": ["in-memory"]}
    (file_part,) = request.parts("file")
    assert (file_part.filename, file_part.content) == ("invoice.txt", b"hello")
    (meta_part,) = request.parts("metadata")
    assert json.loads(meta_part.text) == {"contentType": "text/plain", "fileName": "invoice.txt"}
    assert isinstance(result, DocumentReference)
    assert result.store_id == "in-memory"
    assert result.metadata.file_name == "invoice.txt"


def test_create_documents(client: CamundaClient, fake: FakeServer) -> None:
    """Several ``files`` parts; metadataList as one JSON form field."""
    data = CreateDocumentsRequest(
        files=[("a.txt", b"a"), ("b.txt", b"")],
        metadata_list=[DocumentMetadata(file_name="a.txt"), DocumentMetadata(file_name="b.txt")],
    )
    result = client.create_documents(data=data)

    (request,) = fake.requests
    assert request.path == "/v2/documents/batch"
    assert [p.filename for p in request.parts("files")] == ["a.txt", "b.txt"]
    (meta,) = request.parts("metadataList")
    assert json.loads(meta.text) == [{"fileName": "a.txt"}, {"fileName": "b.txt"}]
    assert isinstance(result, DocumentCreationBatchResponse)
    assert [d.document_id for d in result.created_documents] == ["doc-1"]
    assert result.failed_documents[0].status == 400


def test_create_document_metadata_part_is_json(client: CamundaClient, fake: FakeServer) -> None:
    """The spec's multipart encoding gives the ``metadata`` part ``application/json``."""
    data = CreateDocumentRequest(file=("a.txt", b"a"), metadata=DocumentMetadata(file_name="a.txt"))
    client.create_document(data=data)
    (meta_part,) = fake.requests[0].parts("metadata")
    assert (meta_part.content_type or "").startswith("application/json"), meta_part
