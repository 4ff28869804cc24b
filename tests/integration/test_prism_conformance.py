"""Every operation of the spec, called through the SDK against Prism.

Prism validates each request against the spec and answers with the operation's
first 2xx example. An operation conforms when

- the SDK method exists under the snake_case of its operationId and takes the
  spec's parameters under their snake_case names (the JSON body as ``data=``);
- Prism reports no violation located in the request (``sl-violations``);
- the call returns without raising, exactly one request was sent;
- the result has the method's declared return type.

Arguments come from the spec: its examples where it has them, otherwise the
minimal valid value of the schema (required fields only, the first enum value,
strings honouring pattern and format). The body is passed as the typed model the
method's ``data`` annotation names, built from that JSON with the generated classes.

Multipart operations are not here: Prism cannot validate arrays of files, so
``test_deploy_fake.py`` covers them against a recording fake.
"""

from __future__ import annotations

import collections.abc
import enum
import inspect
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NewType

import pytest
from fakes import (
    AsyncRecordingTransport,
    OperationSpec,
    Recorder,
    RecordingTransport,
    load_spec,
    snake_case,
)

from camunda_sdk import CamundaAsyncClient, CamundaClient
from camunda_sdk._serde import Model, parse

pytestmark = pytest.mark.prism

SPEC = load_spec("main")
MULTIPART = sorted(op.id for op in SPEC.operations.values() if op.is_multipart)
CASES = sorted(op_id for op_id in SPEC.operations if op_id not in MULTIPART)
BEARER_HEADERS = {"authorization": "Bearer test-token"}
# Spec defects no client can work around; strict, so a fixed spec turns them red.
SPEC_DEFECTS = {
    op_id: "spec: ResourceKey is a oneOf of four LongKey-based keys; every key matches all "
    "four, so Prism rejects any value ('must match exactly one schema in oneOf')"
    for op_id in ("deleteResource", "getResource", "getResourceContent", "getResourceContentBinary")
}
ASYNC_SMOKE = [
    "getTopology",
    "getLicense",
    "getAuthentication",
    "createProcessInstance",
    "searchProcessInstances",
    "getProcessInstance",
    "activateJobs",
    "completeJob",
    "getProcessDefinitionXML",
    "publishMessage",
]


def configuration(base_url: str) -> dict[str, str]:
    """Client settings for Prism (it enforces the spec's security: Basic works)."""
    return {
        "CAMUNDA_REST_ADDRESS": base_url,
        "CAMUNDA_AUTH_STRATEGY": "BASIC",
        "CAMUNDA_BASIC_AUTH_USERNAME": "demo",
        "CAMUNDA_BASIC_AUTH_PASSWORD": "demo",
    }


# -- resolving the generated annotations ----------------------------------------------


def _namespace() -> dict[str, Any]:
    """Globals to evaluate the generated (string) annotations in: every model and key type."""
    from camunda_sdk.operations import client as ops_client
    from camunda_sdk.operations import models, semantic_types
    from camunda_sdk.reading.eventual import ConsistencyOptions

    ns: dict[str, Any] = dict(vars(typing))
    ns.update(vars(ops_client))
    ns["ConsistencyOptions"] = ConsistencyOptions  # imported by the client for typing only
    ns["Iterator"], ns["AsyncIterator"] = collections.abc.Iterator, collections.abc.AsyncIterator
    ns.update({name: getattr(models, name) for name in models.__all__})
    ns.update({name: getattr(semantic_types, name) for name in semantic_types.__all__})
    return ns


_NS: dict[str, Any] | None = None


def namespace() -> dict[str, Any]:
    """The annotation namespace, built once."""
    global _NS
    if _NS is None:
        _NS = _namespace()
    return _NS


def evaluate(annotation: Any) -> Any:
    """Evaluate a string annotation; type aliases written as strings are followed too."""
    for _ in range(10):
        if isinstance(annotation, typing.ForwardRef):
            annotation = annotation.__forward_arg__
        if not isinstance(annotation, str):
            break
        annotation = eval(annotation, namespace())
    args = typing.get_args(annotation)
    if args and any(isinstance(a, (str, typing.ForwardRef)) for a in args):
        resolved: list[Any] = [evaluate(a) for a in args]
        origin: Any = typing.get_origin(annotation)
        if origin in (typing.Union, types.UnionType):
            return typing.Union[tuple(resolved)]  # noqa: UP007
        if origin is not None:
            return origin[tuple(resolved) if len(resolved) > 1 else resolved[0]]
    return annotation


def hints(method: Callable[..., Any]) -> dict[str, Any]:
    """The evaluated annotations of a generated client method."""
    func = getattr(method, "__func__", method)
    return {name: evaluate(value) for name, value in func.__annotations__.items()}


def _members(tp: Any) -> tuple[Any, ...]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return typing.get_args(tp)
    return (tp,)


def typed(tp: Any, value: Any) -> Any:
    """Turn the JSON ``value`` into the Python value annotation ``tp`` asks for."""
    if value is None or tp is Any:
        return value
    members = [m for m in _members(tp) if m is not type(None)]
    models = [m for m in members if isinstance(m, type) and issubclass(m, Model)]
    if isinstance(value, dict) and models:
        if len(models) == 1:
            return models[0].from_dict(value)
        return parse(("union", tuple(m.__name__ for m in models), None, None), value)
    for member in members:
        origin = typing.get_origin(member)
        if isinstance(value, list) and (member is list or origin is list):
            (item,) = typing.get_args(member) or (Any,)
            return [typed(evaluate(item), v) for v in value]
        if isinstance(member, type) and issubclass(member, enum.Enum):
            try:
                return member(value)
            except ValueError:
                continue
    return value


def conforms(value: Any, tp: Any) -> bool:
    """Whether ``value`` is of the (evaluated) type ``tp``."""
    if tp is Any or tp is object:
        return True
    if tp is None or tp is type(None):
        return value is None
    if isinstance(tp, NewType):
        return conforms(value, tp.__supertype__)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return any(conforms(value, m) for m in typing.get_args(tp))
    if origin is typing.Literal:
        return value in typing.get_args(tp)
    if origin is list:
        (item,) = typing.get_args(tp) or (Any,)
        return isinstance(value, list) and all(conforms(v, evaluate(item)) for v in value)
    if origin is dict:
        return isinstance(value, dict)
    if isinstance(tp, type):
        return isinstance(value, tp)
    return True


# -- building a call from the spec ---------------------------------------------------------


@dataclass
class Case:
    """One operation call: the method name, its keyword arguments and what it must return."""

    op: OperationSpec
    method: str
    kwargs: dict[str, Any]
    returns: Any
    bearer_only: bool

    def client_for(self, client: Any) -> Any:
        """The client view to call through (bearer-only operations get a bearer header)."""
        return client.with_options(headers=BEARER_HEADERS) if self.bearer_only else client


def build_case(op_id: str, client: Any) -> Case:
    """Work out how to call ``op_id`` through the generated ``client`` method."""
    op = SPEC.operations[op_id]
    name = snake_case(op_id)
    method = getattr(client, name, None)
    assert method is not None, f"the client has no method {name!r} for {op_id}"
    signature = inspect.signature(method)
    annotations = hints(method)
    kwargs: dict[str, Any] = {}
    for param in op.parameters:
        if param["in"] not in ("path", "query"):
            continue
        if not SPEC.parameter_wanted(param):
            continue
        keyword = snake_case(param["name"])
        assert keyword in signature.parameters, (
            f"{name}() lacks the {param['in']} parameter {param['name']!r} as {keyword!r}; "
            f"it takes {list(signature.parameters)}"
        )
        kwargs[keyword] = typed(annotations.get(keyword, Any), SPEC.parameter_value(param))
    body = SPEC.request_body(op)
    if "data" in signature.parameters:
        if body is not None or op.body_required:
            kwargs["data"] = typed(annotations.get("data", Any), {} if body is None else body)
    else:
        assert body is None or not op.body_required, f"{name}() takes no data= body"
    bearer_only = op.security_schemes() == {"bearerAuth"}
    return Case(op, name, kwargs, annotations.get("return", Any), bearer_only)


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def recorder() -> Recorder:
    """What the module's clients sent and what Prism answered."""
    return Recorder()


@pytest.fixture(scope="module")
def prism_client(prism_url: str, recorder: Recorder) -> Iterator[CamundaClient]:
    """A sync client pointed at Prism, recording through a real HTTP transport."""
    client = CamundaClient(
        configuration=configuration(prism_url),
        environ={},
        transport=RecordingTransport(recorder),
    )
    yield client
    client.close()


def _check(case: Case, recorder: Recorder, result: Any) -> None:
    violations = recorder.request_violations()
    assert not violations, f"{case.op.id}: Prism rejected the request\n{recorder.describe()}"
    assert len(recorder.exchanges) == 1, (
        f"{case.op.id}: expected one request\n{recorder.describe()}"
    )
    assert conforms(result, case.returns), (
        f"{case.op.id} returned {type(result).__name__} ({result!r:.300}), "
        f"declared {case.returns!r}\n{recorder.describe()}"
    )


# -- tests ---------------------------------------------------------------------------------


def test_spec_operation_count() -> None:
    """The spec under test is the one the SDK was generated from (241 operations)."""
    from camunda_sdk.operations.descriptors import OPERATIONS

    assert set(SPEC.operations) <= set(OPERATIONS), sorted(set(SPEC.operations) - set(OPERATIONS))
    assert len(CASES) + len(MULTIPART) == len(SPEC.operations)
    assert MULTIPART == ["createDeployment", "createDocument", "createDocuments"]


@pytest.mark.parametrize(
    "operation_id",
    [
        pytest.param(op_id, marks=pytest.mark.xfail(reason=SPEC_DEFECTS[op_id], strict=True))
        if op_id in SPEC_DEFECTS
        else op_id
        for op_id in CASES
    ],
)
def test_operation_against_prism(
    operation_id: str, prism_client: CamundaClient, recorder: Recorder
) -> None:
    """Call one operation with spec-derived arguments; Prism must accept the request."""
    case = build_case(operation_id, prism_client)
    recorder.clear()
    try:
        result = getattr(case.client_for(prism_client), case.method)(**case.kwargs)
    except Exception as exc:
        pytest.fail(f"{operation_id} raised {exc!r}\n{recorder.describe()}")
    _check(case, recorder, result)


@pytest.mark.parametrize("operation_id", ASYNC_SMOKE)
async def test_async_operation_against_prism(operation_id: str, prism_url: str) -> None:
    """A smoke subset through ``CamundaAsyncClient`` against the same Prism."""
    recorder = Recorder()
    client = CamundaAsyncClient(
        configuration=configuration(prism_url),
        environ={},
        transport=AsyncRecordingTransport(recorder),
    )
    try:
        case = build_case(operation_id, client)
        try:
            result = await getattr(case.client_for(client), case.method)(**case.kwargs)
        except Exception as exc:
            pytest.fail(f"{operation_id} raised {exc!r}\n{recorder.describe()}")
        _check(case, recorder, result)
    finally:
        await client.close()
