"""The API clients: :class:`CamundaClient` and :class:`AsyncApiClient`.

They hold the whole API and nothing else; ``camunda_sdk.client`` builds the public
``CamundaAsyncClient`` on :class:`AsyncApiClient` by adding the entries into the job
workers (which stand on this module, never inside it).

Both clients share everything but the driver. A generated operation method
builds a :class:`~camunda_sdk.pipeline.call.Call` and hands it to ``_run``,
which makes the call's flow (the client's cached stage chain, then the decoding
of the response into a model or a typed error: :func:`invoke`) and runs it with
the client's driver. The read helpers are flows built on the same calls
(:mod:`camunda_sdk.reading`), run the same way. Only the drivers differ: the
sync driver returns the result, the async one an awaitable of it, so each
method here is written once for both clients.
"""

from __future__ import annotations

import copy
import json
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from . import reading
from ._problem import api_error
from ._serde import JSON_TYPE_NAMES, Model, parse, resolve
from .errors import (
    CamundaConnectionError,
    ClientClosedError,
    UnexpectedResponseError,
)
from .log import make_logger
from .operations.client import AsyncCamundaOperations, CamundaOperations
from .pipeline.call import Call, CallOptions
from .pipeline.context import ClientContext, StateKey
from .pipeline.drivers import CLOSED_SENDER, AsyncDriver, SyncDriver
from .pipeline.effects import CloseSender
from .pipeline.http import Request, Response
from .pipeline.manager import (
    Pipeline,
    build_chain,
    create_plugin_manager,
    describe_pipeline,
    load_config,
)
from .plugins import BUILTIN_PLUGINS
from .transport.choice import async_sender, sync_sender

if TYPE_CHECKING:
    import pluggy
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

    from .consistency import ConsistencyOptions
    from .deployment import Deployment
    from .log import BoundLogger
    from .operations.models import CreateDeploymentRequest, FileContent
    from .operations.semantic_types import TenantId
    from .pipeline.effects import Flow
    from .pipeline.hookspecs import Handler
    from .pipeline.operation import Operation
    from .reading.variables import VariableMap
    from .settings import CamundaConfig

__all__ = ["AsyncApiClient", "CamundaClient"]

# The sync client derived from an async one (its CamundaClient is defined below).
_SYNC_CLIENT: StateKey[CamundaClient] = StateKey("sync-client")

_UNSET: Any = object()
T = TypeVar("T")
_C = TypeVar("_C", bound="_ClientBase")
_A = TypeVar("_A", bound="AsyncApiClient")


class _Chain:
    """The stage chain built for a context: one per async client and the sync client
    derived from it, so registering a plugin on either rebuilds it for both."""

    __slots__ = ("handler",)

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    @property
    def root(self) -> _Chain:
        """The client's own chain (a view's extra stages left out)."""
        return self


class _StagedChain:
    """The chain of a :meth:`_ClientBase.with_stage` view: one more stage around a
    client's chain, wrapped again when ``register_plugin`` rebuilds that chain."""

    __slots__ = ("_base", "_inner", "_outer", "_stage")

    def __init__(self, base: _Chain | _StagedChain, stage: Callable[[Handler], Handler]) -> None:
        self._base = base
        self._stage = stage
        self._inner = base.handler
        self._outer = stage(self._inner)

    @property
    def handler(self) -> Handler:
        inner = self._base.handler
        if inner is not self._inner:
            self._inner, self._outer = inner, self._stage(inner)
        return self._outer

    @handler.setter
    def handler(self, handler: Handler) -> None:  # register_plugin called on the view
        self._base.handler = handler

    @property
    def root(self) -> _Chain:
        """The client's own chain (a view's extra stages left out)."""
        return self._base.root


class _Shared:
    """What a client and the views made of it share: the driver and the closed flag."""

    __slots__ = ("closed", "driver", "lock")

    def __init__(self) -> None:
        self.driver: Any = None  # created at the first call: see _get_driver
        self.lock = threading.Lock()  # so concurrent first calls create one driver
        # Set by close (with driver back to None), so the next call takes _get_driver's
        # slow path and fails there: no check on the fast path.
        self.closed = False


class _ClientBase:
    """State and behaviour the sync and async clients share."""

    _context: ClientContext
    _shared: _Shared
    _chain: _Chain | _StagedChain
    _options: CallOptions | None
    _owner: bool  # False for views: closing a view closes nothing
    _owns_context: bool  # False for a derived sync client: the async client owns the context
    _driver_type: type[SyncDriver] | type[AsyncDriver]

    def __init__(
        self,
        configuration: Mapping[str, Any] | None = None,
        *,
        logger: object | None = None,
        plugins: Iterable[object] = (),
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        pm = create_plugin_manager(
            builtins=BUILTIN_PLUGINS, plugins=plugins, configuration=configuration, environ=env
        )
        config = load_config(pm, configuration, env)
        # An explicit logger= wins; plugins (or the default, loguru) answer otherwise.
        if logger is not None:
            log = make_logger(logger, config.log_level)
        else:
            log = pm.hook.camunda_make_logger(config=config)
        context = ClientContext(
            config=config,
            logger=log,
            plugin_manager=pm,
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
        )
        self._attach(context, transport, owns_context=True)

    def _attach(
        self,
        context: ClientContext,
        transport: Any,
        *,
        owns_context: bool,
        chain: _Chain | None = None,
    ) -> None:
        self._context = context
        self._transport = transport
        self._options = None
        self._owner = True
        self._owns_context = owns_context
        self._shared = _Shared()
        self._chain = chain or _Chain(self._build_handler())

    # -- plugins -----------------------------------------------------------------

    @property
    def config(self) -> CamundaConfig:
        """The resolved configuration (secrets masked in its repr)."""
        return self._context.config

    @property
    def logger(self) -> BoundLogger:
        """The SDK logger this client writes to."""
        return self._context.logger

    @property
    def context(self) -> ClientContext:
        """What the client's plugins share: config, logger and per-plugin ``state``."""
        return self._context

    @property
    def plugin_manager(self) -> pluggy.PluginManager:
        """The client's pluggy plugin manager."""
        return self._context.plugin_manager

    def register_plugin(self, plugin: object, name: str | None = None) -> None:
        """Register another plugin and rebuild the call pipeline.

        Every client over this context gets it: the sync client an async one
        derived (``sync_client()``) shares the plugin manager, so its chain is
        rebuilt too.
        """
        self._context.plugin_manager.register(plugin, name=name)
        self._chain.handler = self._build_handler()

    def describe_pipeline(self) -> Pipeline:
        """The stages every call of this client passes, outermost first.

        Built-in and user plugins alike, each with its ``tryfirst``/``trylast``
        placement; the last is the innermost handler (the ``transport``). ``print()``
        it to see where a plugin sits::

            print(client.describe_pipeline())
        """
        return describe_pipeline(self._context.plugin_manager)

    def _build_handler(self) -> Handler:
        hook = self._context.plugin_manager.hook.camunda_call_handler
        return build_chain(hook, "transport", context=self._context)

    def with_options(
        self: _C,
        *,
        retry: Any = _UNSET,
        timeout: float | None = _UNSET,
        headers: dict[str, str] | None = _UNSET,
    ) -> _C:
        """Return a view of this client whose calls use these per-call options.

        The view shares the connection pool, pipeline and plugin state with this
        client; closing the client closes them for its views too::

            client.with_options(retry=False).get_topology()
        """
        current = self._options or CallOptions()
        options = CallOptions(
            retry=current.retry if retry is _UNSET else retry,
            timeout=current.timeout if timeout is _UNSET else timeout,
            headers=current.headers if headers is _UNSET else headers,
        )
        view = copy.copy(self)
        view._become_view(options)
        return view

    def _become_view(
        self, options: CallOptions | None, chain: _Chain | _StagedChain | None = None
    ) -> None:
        # Called on the fresh copy: a view owns nothing, so closing it closes nothing.
        self._owner = False
        self._options = options
        if chain is not None:
            self._chain = chain

    # -- running calls and read flows (one definition for both clients) ----------------
    # `_get_driver` is each client's own: the sync driver's `run` returns the result,
    # the async driver's an awaitable of it, which the async methods await.

    def _get_driver(self) -> Any:
        raise NotImplementedError

    def _run(self, op: Operation, path: Any, query: Any, body: Any) -> Any:
        """Run one call of ``op`` (what the generated operation methods call)."""
        return self._get_driver().run(self._invoke(Call(op, path, query, body, self._options)))

    def _call(self, op: Operation, path: Any, query: Any, body: Any) -> Flow[Any]:
        """The flow of one call of ``op``, for the read helpers to compose."""
        return self._invoke(Call(op, path, query, body, self._options))

    def _invoke(self, call: Call) -> Flow[Any]:
        """The flow of one call: the stage chain, then the decoded result or typed error."""
        op = call.operation
        try:
            response = yield from self._chain.handler(call)
        except httpx.RequestError as exc:
            raise _connection_error(op, exc) from exc
        except RuntimeError as exc:  # httpx refusing to send: closed while this call ran
            if self._shared.closed:
                raise ClientClosedError(type(self).__name__, operation_id=op.id) from exc
            raise
        return decode(op, response)

    def _run_consistent(
        self,
        op: Operation,
        path: dict[str, Any] | None,
        query: dict[str, Any] | None,
        body: Any,
        consistency: ConsistencyOptions[Any] | None,
    ) -> Any:
        """Call ``op``; with ``consistency``, until its answer is visible (generated methods)."""
        flow = reading.consistent(
            self._context, op.id, lambda: self._call(op, path, query, body), consistency
        )
        return self._get_driver().run(flow)

    def _iter_pages(
        self,
        op: Operation,
        path: dict[str, Any] | None,
        query: dict[str, Any] | None,
        data: Any,
        page_size: int,
        limit: int | None,
        consistency: ConsistencyOptions[Any] | None,
    ) -> Any:
        """Every item of the search ``op`` across pages (the generated ``iter_`` methods)."""
        context = self._context

        def page(body: dict[str, Any], wait: ConsistencyOptions[Any] | None) -> Flow[Any]:
            return reading.consistent(
                context, op.id, lambda: self._call(op, path, query, body), wait
            )

        flow = reading.paged(context, op, page, data, page_size, limit, consistency)
        return self._get_driver().iterate(flow)

    def _read_variables(self, *arguments: Any) -> Any:
        # A pass-through: both clients' search_variables_as_dto state and type the
        # arguments, in reading.read_variables' order (dto, process instance, scope,
        # tenant, page size, consistency).
        return self._get_driver().run(reading.read_variables(self._context, self._call, *arguments))

    def _closing_driver(self) -> Any:
        # The client's own driver, which the flow closes; one without a connection
        # pool when no call was ever made, to run the close callbacks.
        return self._shared.driver or self._driver_type(CLOSED_SENDER)

    def _closing(self) -> Flow[None]:
        """What closing does, for both clients: the close callbacks, then the pool."""
        if self._owns_context:
            yield from self._context.closing()
        shared = self._shared
        with shared.lock:  # so a concurrent first call cannot make a driver after this
            driver, shared.driver, shared.closed = shared.driver, None, True
        if driver is not None:
            yield CloseSender()
        self._closed()

    # -- a view with one more stage (the job workers' handlers get one) ----------

    def with_stage(self: _C, stage: Callable[[Handler], Handler]) -> _C:
        """Return a view of this client whose calls pass through one more, outermost stage.

        ``stage`` takes the client's handler (its whole stage chain) and returns
        the handler the view calls instead, as a ``camunda_call_handler`` wrapper
        does. The view shares everything else with this client, as a
        ``with_options`` view does, and follows a chain ``register_plugin``
        rebuilds; its own ``with_options`` views keep the stage. A job worker
        hands its handlers such a view, whose stage notices a handler sending its
        job's outcome itself.
        """
        view = copy.copy(self)
        view._become_view(self._options, _StagedChain(self._chain, stage))
        return view

    def _closed(self) -> None:
        if self._owns_context:
            self._context.plugin_manager.hook.camunda_client_closed(context=self._context)


def decode(op: Operation, response: Response) -> Any:
    """Turn a response into the operation's result, or raise its typed error.

    A success whose body cannot be the operation's result (not JSON, empty, or
    JSON of the wrong shape: a list or a string where an object is promised)
    raises :class:`UnexpectedResponseError`; the fields inside a well-shaped
    body are still read liberally.
    """
    status = response.status_code
    if 200 <= status < 300:
        result = op.result
        if result is None or status == 204:
            return None
        if result == "text":
            return response.text
        if result == "bytes":
            return response.content
        content = response.content
        if not content.strip():
            raise _unexpected(op, response, f"the body is empty; expected {_shape(result)}")
        try:
            data = json.loads(content)
        except RecursionError as exc:  # absurdly deep nesting: json's recursion limit
            raise _unexpected(op, response, _TOO_DEEP) from exc
        except ValueError as exc:
            kind = response.headers.get("content-type", "untyped")
            raise _unexpected(op, response, f"the body is not JSON ({kind})") from exc
        expected = _json_type(result)
        if expected is not None and type(data) is not expected:
            got = JSON_TYPE_NAMES.get(type(data), "another JSON value")
            raise _unexpected(op, response, f"expected {_shape(result)}, got {got}")
        try:
            return parse(result, data)
        except RecursionError as exc:
            raise _unexpected(op, response, _TOO_DEEP) from exc
    raise api_error(op.id, status, response.content, response.headers)


_TOO_DEEP = "the JSON body is nested too deeply"
# The JSON type each result spec requires, by spec (None: any JSON value).
_json_types: dict[Any, type | None] = {}


def _json_type(spec: Any) -> type | None:
    try:
        return _json_types[spec]
    except KeyError:
        pass
    except TypeError:  # an unhashable spec (a union carrying its mapping): any JSON value
        return None
    kind: type | None = None
    if isinstance(spec, str):
        cls = resolve(spec)
        kind = dict if isinstance(cls, type) and issubclass(cls, Model) else None
    elif isinstance(spec, tuple) and spec and spec[0] in ("list", "dict"):
        kind = list if spec[0] == "list" else dict
    _json_types[spec] = kind
    return kind


def _shape(spec: Any) -> str:
    kind = _json_type(spec)
    return "JSON" if kind is None else JSON_TYPE_NAMES[kind]


def _unexpected(op: Operation, response: Response, detail: str) -> UnexpectedResponseError:
    return UnexpectedResponseError(
        op.id, response.status_code, detail=detail, body=response.content, headers=response.headers
    )


def _connection_error(op: Operation, exc: httpx.RequestError) -> CamundaConnectionError:
    timeout = getattr(exc, "seconds", None)
    try:
        request = exc.request
    except RuntimeError:  # the error carries no request
        url = op.path
    else:
        # The full URL: the error redacts it, and finds it again in the cause's text.
        url = str(request.url)
        # Every sender's failure names the SDK's Request, which states the timeout.
        if timeout is None and isinstance(exc, httpx.TimeoutException):
            timeout = request.timeout if isinstance(request, Request) else None
    return CamundaConnectionError(op.method, url, exc, operation_id=op.id, timeout=timeout)


def _resource_files(paths: Sequence[str | os.PathLike[str]]) -> list[FileContent]:
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files: list[FileContent] = []
    for p in paths:
        path = Path(p)
        try:
            files.append((path.name, path.read_bytes()))
        except OSError as exc:
            raise FileNotFoundError(
                f"cannot read resource to deploy {str(path)!r}: {exc.strerror}"
            ) from exc
    return files


def _deployment(
    paths: Sequence[str | os.PathLike[str]], tenant_id: str | None
) -> CreateDeploymentRequest:
    from .operations.models import CreateDeploymentRequest
    from .operations.semantic_types import TenantId

    tenant = TenantId(tenant_id) if tenant_id else None
    return CreateDeploymentRequest(resources=_resource_files(paths), tenant_id=tenant)


class CamundaClient(_ClientBase, CamundaOperations):
    """Synchronous client: every operation method blocks until the response arrives.

    Args:
        configuration: ``CAMUNDA_*`` settings that override the environment.
        logger: a stdlib ``logging.Logger``, any object with debug/info/warning/error,
            or ``NullLogger()``; loguru by default.
        plugins: plugin objects or modules to register after the built-ins.
        tracer_provider: OpenTelemetry tracer provider (default: the global one).
        meter_provider: OpenTelemetry meter provider (default: the global one).
        transport: an ``httpx.BaseTransport`` (``httpx.MockTransport`` in tests) to send
            through as it is, instead of the SDK's own: its TLS and proxies, held to the
            timeout per operation only (see :func:`camunda_sdk.transport.sync_sender`).
        environ: the environment to read instead of ``os.environ``.
    """

    _driver_type = SyncDriver

    def _get_driver(self) -> SyncDriver:
        # Created on first use: building the TLS context costs tens of milliseconds.
        shared = self._shared
        driver = shared.driver
        if driver is None:
            with shared.lock:
                if shared.closed:
                    raise ClientClosedError(type(self).__name__)
                driver = shared.driver
                if driver is None:
                    sender = sync_sender(self._context.config, self._transport)
                    driver = shared.driver = SyncDriver(sender)
        return driver

    def search_variables_as_dto(
        self,
        dto: type[T],
        *,
        process_instance_key: str,
        scope_key: str | None = None,
        tenant_id: str | None = None,
        page_size: int = 100,
        consistency: ConsistencyOptions[VariableMap[T]] | None = None,
    ) -> VariableMap[T]:
        """Read the variables ``dto`` declares from one process instance.

        Args:
            dto: a dataclass, an attrs class or a ``TypedDict``: one field per variable.
            process_instance_key: the process instance to read.
            scope_key: read only this scope (needed when a name exists at several).
            tenant_id: read only this tenant's variables.
            page_size: variables per page; every page is read.
            consistency: wait until the variable of every required field (one
                without a default) is visible, up to ``wait_up_to_ms``; then return
                what is there (``validate()`` names a variable still missing). A
                ``predicate`` is given the ``VariableMap``; one that never holds
                ends in ``EventualConsistencyTimeoutError``, like any wait.

        Raises:
            VariableScopeCollisionError: a declared name exists at several scopes.
            VariableDeserializationError: a declared variable's value is not JSON.
            EventualConsistencyTimeoutError: a custom ``predicate`` never held.
        """
        return self._read_variables(
            dto, process_instance_key, scope_key, tenant_id, page_size, consistency
        )

    def deploy_resources_from_files(
        self, paths: Sequence[str | os.PathLike[str]], tenant_id: TenantId | str | None = None
    ) -> Deployment:
        """Deploy BPMN, DMN and form files from disk in one deployment."""
        from .deployment import Deployment

        return Deployment.from_result(self.create_deployment(data=_deployment(paths, tenant_id)))

    def close(self) -> None:
        """Run the plugins' close callbacks, then close the connection pool.

        Views made by ``with_options`` share the pool: closing one of them does nothing.
        """
        if self._owner and not self._shared.closed:
            self._closing_driver().run(self._closing())

    def __enter__(self) -> CamundaClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncApiClient(_ClientBase, AsyncCamundaOperations):
    """Asynchronous API client: every operation method is a coroutine.

    Applications use its subclass :class:`camunda_sdk.CamundaAsyncClient`, which
    also hosts job workers; a job handler's ``job.client`` is one of these.

    Takes the same arguments as :class:`CamundaClient` (``transport`` is an
    ``httpx.AsyncBaseTransport``). Without a ``transport``, it sends through
    aiohttp when the ``aiohttp`` extra is installed, else through httpx's own
    (``CAMUNDA_SDK_HTTP_TRANSPORT`` chooses; see :mod:`camunda_sdk.transport`).
    """

    _driver_type = AsyncDriver

    def _get_driver(self) -> AsyncDriver:
        # No await between the check and the set: one event loop cannot race here.
        shared = self._shared
        driver = shared.driver
        if driver is None:
            if shared.closed:
                raise ClientClosedError(type(self).__name__)
            sender = async_sender(self._context.config, self._transport)
            driver = shared.driver = AsyncDriver(sender)
        return driver

    async def search_variables_as_dto(
        self,
        dto: type[T],
        *,
        process_instance_key: str,
        scope_key: str | None = None,
        tenant_id: str | None = None,
        page_size: int = 100,
        consistency: ConsistencyOptions[VariableMap[T]] | None = None,
    ) -> VariableMap[T]:
        """Read the variables ``dto`` declares from one process instance.

        The same arguments, result and errors as ``CamundaClient.search_variables_as_dto``.
        """
        return await self._read_variables(
            dto, process_instance_key, scope_key, tenant_id, page_size, consistency
        )

    async def deploy_resources_from_files(
        self, paths: Sequence[str | os.PathLike[str]], tenant_id: TenantId | str | None = None
    ) -> Deployment:
        """Deploy BPMN, DMN and form files from disk in one deployment."""
        from .deployment import Deployment

        result = await self.create_deployment(data=_deployment(paths, tenant_id))
        return Deployment.from_result(result)

    def sync_client(self) -> CamundaClient:
        """A sync :class:`CamundaClient` sharing this client's plugins and their state.

        It runs the same configuration, logger, plugin manager and plugin state
        (so the OAuth token and the backpressure limiter are shared, not
        duplicated) over a connection pool of its own; for code that must block,
        such as job handlers of the ``thread`` strategy. Made once, on first use,
        and closed with this client. A transport passed to this client is shared
        when it also serves sync clients (``httpx.MockTransport`` does).
        """
        derived = self._context.state.get(_SYNC_CLIENT)
        if derived is None:
            transport = (
                self._transport if isinstance(self._transport, httpx.BaseTransport) else None
            )
            derived = CamundaClient.__new__(CamundaClient)
            derived._attach(self._context, transport, owns_context=False, chain=self._chain.root)
            self._context.state[_SYNC_CLIENT] = derived
            self._context.on_close(derived.close)
        return derived

    async def close(self) -> None:
        """Run the plugins' close callbacks (job workers drain), then close the pool.

        Views made by ``with_options`` share the pool: closing one of them does nothing.
        """
        if self._owner and not self._shared.closed:
            await self._closing_driver().run(self._closing())

    async def __aenter__(self: _A) -> _A:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
