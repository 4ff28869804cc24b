"""The generated per-operation error classes (`CreateProcessInstanceBadRequest`, ...).

Each is a subclass of its status class, raised for the statuses the spec lists for
its operation, and loaded only when a name is asked for or an error is raised.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

import camunda_sdk.errors as errors
from camunda_sdk import (
    CamundaAsyncClient,
    CamundaClient,
    ProcessCreationById,
    ProcessInstanceKey,
)
from camunda_sdk._problem import api_error
from camunda_sdk.errors import (
    BadRequestError,
    ClientError,
    ConflictError,
    CreateProcessInstanceBadRequest,
    GetProcessInstanceNotFound,
    NotFoundError,
    UnauthorizedError,
    error_class_for_status,
)
from camunda_sdk.operations import errors as generated
from camunda_sdk.operations.descriptors import OPERATIONS

ROOT = Path(__file__).resolve().parents[2]
STUB = Path(generated.__file__).with_name("error_classes.pyi")
BASE = {"CAMUNDA_REST_ADDRESS": "http://camunda.test:8080", "CAMUNDA_SDK_RETRY_MAX_ATTEMPTS": "1"}
PROBLEM = {
    "type": "about:blank",
    "title": "INVALID_ARGUMENT",
    "status": 400,
    "detail": "Expected a process definition id",
    "instance": "/v2/process-instances",
}


def answering(status: int, body: dict[str, object] | None = None) -> httpx.MockTransport:
    content = json.dumps(body if body is not None else {"title": "nope"}).encode()
    headers = {"content-type": "application/problem+json"}
    return httpx.MockTransport(
        lambda request: httpx.Response(status, content=content, headers=headers)
    )


def create_instance(client: CamundaClient) -> None:
    client.create_process_instance(data=ProcessCreationById(process_definition_id="order"))


def test_a_400_from_create_process_instance_is_caught_by_both_classes() -> None:
    with CamundaClient(BASE, environ={}, transport=answering(400, PROBLEM)) as client:
        with pytest.raises(CreateProcessInstanceBadRequest) as caught:
            create_instance(client)
        with pytest.raises(BadRequestError):
            create_instance(client)
    error = caught.value
    assert type(error) is CreateProcessInstanceBadRequest
    assert isinstance(error, BadRequestError)
    assert (error.operation_id, error.status, error.status_code) == (
        "createProcessInstance",
        400,
        400,
    )
    assert (error.type, error.title, error.detail, error.instance) == (
        "about:blank",
        "INVALID_ARGUMENT",
        "Expected a process definition id",
        "/v2/process-instances",
    )
    assert error.problem == PROBLEM
    assert json.loads(error.body) == PROBLEM
    assert "INVALID_ARGUMENT" in str(error)


def test_a_404_from_get_process_instance_is_get_process_instance_not_found() -> None:
    client = CamundaClient(BASE, environ={}, transport=answering(404))
    with client, pytest.raises(NotFoundError) as caught:
        client.get_process_instance(process_instance_key=ProcessInstanceKey("1"))
    assert type(caught.value) is GetProcessInstanceNotFound
    assert caught.value.operation_id == "getProcessInstance"


async def test_the_async_client_raises_the_same_classes() -> None:
    async with CamundaAsyncClient(BASE, environ={}, transport=answering(400, PROBLEM)) as client:
        with pytest.raises(CreateProcessInstanceBadRequest):
            await client.create_process_instance(
                data=ProcessCreationById(process_definition_id="order")
            )


def test_a_status_the_spec_does_not_list_raises_the_status_class() -> None:
    # createProcessInstance lists no 401 or 404; getTopology lists no 409.
    assert 404 not in generated.ERRORS["createProcessInstance"]
    client = CamundaClient(BASE, environ={}, transport=answering(404))
    with client, pytest.raises(NotFoundError) as caught:
        create_instance(client)
    assert type(caught.value) is NotFoundError
    assert type(api_error("createProcessInstance", 401, b"")) is UnauthorizedError
    assert type(api_error("getTopology", 409, b"")) is ConflictError
    assert type(api_error("createProcessInstance", 418, b"")) is ClientError
    assert type(api_error("notAnOperation", 400, b"")) is BadRequestError


def test_every_generated_class_subclasses_its_status_class() -> None:
    assert set(generated.ERRORS) <= set(OPERATIONS)
    count = 0
    for operation_id, statuses in generated.ERRORS.items():
        for status in statuses:
            cls = errors.operation_error_class(operation_id, status)
            assert cls is not None
            assert cls.__bases__ == (error_class_for_status(status),), cls
            assert cls.__module__ == "camunda_sdk.errors"
            assert getattr(errors, cls.__name__) is cls
            assert errors.error_class_named(cls.__name__) is cls
            assert cls.__name__.startswith(operation_id[:1].upper() + operation_id[1:])
            count += 1
    assert count > 900  # about 1,050 for the main spec


def test_the_stub_declares_exactly_the_runtime_classes_with_their_bases() -> None:
    declared = {
        node.name: ast.unparse(node.bases[0])
        for node in ast.parse(STUB.read_text(encoding="utf-8")).body
        if isinstance(node, ast.ClassDef)
    }
    runtime = {
        cls.__name__: cls.__bases__[0].__name__
        for op, statuses in generated.ERRORS.items()
        for status in statuses
        if (cls := errors.operation_error_class(op, status)) is not None
    }
    assert declared == runtime


def test_names_resolve_to_one_class_that_survives_pickling() -> None:
    error = api_error("createProcessInstance", 400, json.dumps(PROBLEM))
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is CreateProcessInstanceBadRequest
    assert (copy.operation_id, copy.status, copy.detail) == (
        "createProcessInstance",
        400,
        "Expected a process definition id",
    )
    assert errors.error_type(error) == "camunda_sdk.errors.CreateProcessInstanceBadRequest"


def test_unknown_names_are_attribute_errors() -> None:
    for name in ("CreateProcessInstanceNotFound", "NoSuchError", "createProcessInstanceBadRequest"):
        with pytest.raises(AttributeError, match=name):
            getattr(errors, name)
    assert not hasattr(errors, "__path__")
    with pytest.raises(ImportError):
        exec("from camunda_sdk.errors import NoSuchError", {})


def test_the_classes_load_only_when_a_name_is_asked_for() -> None:
    script = """
import sys
import camunda_sdk
import camunda_sdk.errors
from camunda_sdk.errors import BadRequestError, NotFoundError
camunda_sdk.CamundaClient(environ={})
before = "camunda_sdk.operations.errors" in sys.modules
from camunda_sdk.errors import CreateProcessInstanceBadRequest
after = "camunda_sdk.operations.errors" in sys.modules
print(before, after, issubclass(CreateProcessInstanceBadRequest, BadRequestError))
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env={"PATH": "/usr/bin"}
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True", "True"]


def load_generator() -> Any:
    spec = importlib.util.spec_from_file_location("_generate_errors", ROOT / "scripts/generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def tiny_spec(*statuses: str) -> dict[str, Any]:
    responses = {code: {"description": code} for code in ("204", *statuses)}
    return {
        "info": {"version": "test"},
        "components": {"schemas": {}},
        "paths": {
            "/things/{id}": {"delete": {"operationId": "deleteThing", "responses": responses}}
        },
    }


def generate_errors(spec: dict[str, Any]) -> tuple[str, str]:
    """The generated errors.py and errors.pyi of a spec (the other tables are not checked)."""
    gen = load_generator().Generator(spec, {"semanticKeys": []})
    gen.build_components()
    gen.build_operations()
    return gen.render_errors(), gen.render_errors_stub()


def test_the_generator_names_each_listed_error_status_and_refuses_unknown_ones() -> None:
    module, stub = generate_errors(tiny_spec("400", "404", "500"))
    assert "ERRORS: dict[str, tuple[int, ...]] = {'deleteThing': (400, 404, 500)}" in module
    for declaration in (
        "class DeleteThingBadRequest(BadRequestError):",
        "class DeleteThingNotFound(NotFoundError):",
        "class DeleteThingInternalServerError(InternalServerError):",
    ):
        assert declaration in stub
    with pytest.raises(SystemExit, match="418"):
        generate_errors(tiny_spec("418"))
