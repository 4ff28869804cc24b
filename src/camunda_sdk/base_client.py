"""The API clients: :class:`CamundaClient` and :class:`AsyncApiClient`.

They hold the whole API and nothing else; ``camunda_sdk.client`` builds the public
``CamundaAsyncClient`` on :class:`AsyncApiClient` by adding the entries into the job
workers (which stand on this module, never inside it).

Both clients share everything but the driver: the generated operation methods
build a call and hand it to ``_run`` / ``_arun``, which run the client's cached
handler (the pluggy-assembled stage chain) under the sync or async driver and
decode the response into a model or a typed error.
"""

from __future__ import annotations

import copy
import json
import os
import ssl
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from ._serde import Model, parse, resolve
from .config import resolve_config
from .errors import (
    CamundaConnectionError,
    ClientClosedError,
    ConfigurationError,
    UnexpectedResponseError,
    api_error,
)
from .log import make_logger
from .operations.client import AsyncCamundaOperations, CamundaOperations
from .pipeline.call import Call, CallOptions
from .pipeline.context import ClientContext
from .pipeline.drivers import AsyncDriver, SyncDriver
from .pipeline.http import Response
from .pipeline.manager import build_chain, create_plugin_manager
from .pipeline.senders import (
    AsyncDeadlineClient,
    AsyncHttpxSender,
    AsyncSender,
    DeadlineClient,
    exchange_timeout,
)
from .reading import AsyncReadMethods, ReadMethods

if TYPE_CHECKING:
    import pluggy

    from .config import CamundaConfig
    from .deployment import Deployment
    from .log import BoundLogger
    from .operations.models import CreateDeploymentRequest, FileContent
    from .operations.semantic_types import TenantId
    from .pipeline.hookspecs import Handler
    from .pipeline.operation import Operation

__all__ = ["AsyncApiClient", "CamundaClient"]

# ClientContext.state key of the sync client derived from an async one.
_SYNC_CLIENT = "sync-client"

_UNSET: Any = object()
_C = TypeVar("_C", bound="_ClientBase")
_A = TypeVar("_A", bound="AsyncApiClient")


class _Shared:
    """What a client and the views ``with_options`` makes of it have in common."""

    __slots__ = ("closed", "driver", "handler", "lock")

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.driver: Any = None  # created at the first call: see _get_driver
        self.lock = threading.Lock()  # so concurrent first calls create one driver
        # Set by close (with driver back to None), so the next call takes _get_driver's
        # slow path and fails there: no check on the fast path.
        self.closed = False


class _Through:
    """An attribute of a :class:`_Staged` that is its base :class:`_Shared`'s."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, shared: _Staged, owner: type | None = None) -> Any:
        return getattr(shared.base, self.name)

    def __set__(self, shared: _Staged, value: Any) -> None:
        setattr(shared.base, self.name, value)


class _Staged(_Shared):
    """What a view made by :meth:`_ClientBase.with_stage` shares: all but the handler.

    The driver, lock and closed flag are the client's own; the handler is the
    view's stage around the client's chain, rebuilt when ``register_plugin``
    rebuilt that chain.
    """

    __slots__ = ("_inner", "_outer", "_stage", "base")

    driver = _Through()
    lock = _Through()
    closed = _Through()

    def __init__(self, base: _Shared, stage: Callable[[Handler], Handler]) -> None:
        # No _Shared.__init__: the driver, lock and closed flag are read through.
        self.base = base
        self._stage = stage
        self._inner = base.handler
        self._outer = stage(base.handler)

    @property  # type: ignore[override]
    def handler(self) -> Handler:
        inner = self.base.handler
        if inner is not self._inner:
            self._inner, self._outer = inner, self._stage(inner)
        return self._outer

    @handler.setter
    def handler(self, handler: Handler) -> None:  # register_plugin called on the view
        self.base.handler = handler


class _ClientBase:
    """State and behaviour the sync and async clients share."""

    _context: ClientContext
    _shared: _Shared
    _options: CallOptions | None
    _owner: bool  # False for views: closing a view closes nothing
    _owns_context: bool  # False for a derived sync client: the async client owns the context

    def __init__(
        self,
        configuration: Mapping[str, Any] | None = None,
        *,
        logger: object | None = None,
        plugins: Iterable[object] = (),
        tracer_provider: Any = None,
        meter_provider: Any = None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        pm = create_plugin_manager(plugins=plugins, configuration=configuration, environ=env)
        config = resolve_config(configuration, env, plugin_manager=pm)
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

    def _attach(self, context: ClientContext, transport: Any, *, owns_context: bool) -> None:
        self._context = context
        self._transport = transport
        self._options = None
        self._owner = True
        self._owns_context = owns_context
        self._shared = _Shared(self._build_handler())

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
        self._shared.handler = self._build_handler()
        derived = self._context.state.get(_SYNC_CLIENT)
        if derived is not None and derived is not self:
            derived._shared.handler = derived._build_handler()

    def _build_handler(self) -> Handler:
        hook = self._context.plugin_manager.hook.camunda_call_handler
        return build_chain(hook, "transport", context=self._context)

    def _http_options(self) -> dict[str, Any]:
        config = self._context.config
        options: dict[str, Any] = {"timeout": config.timeout_ms / 1000}
        if _tls_configured(config):
            options["verify"] = tls_context(config)
        if self._transport is not None:
            options["transport"] = self._transport
        return options

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
        clone = copy.copy(self)
        clone._owner = False
        clone._options = CallOptions(
            retry=current.retry if retry is _UNSET else retry,
            timeout=current.timeout if timeout is _UNSET else timeout,
            headers=current.headers if headers is _UNSET else headers,
        )
        return clone

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
        clone = copy.copy(self)
        clone._owner = False
        clone._shared = _Staged(self._shared, stage)
        return clone

    def _closed(self) -> None:
        if self._owns_context:
            self._context.plugin_manager.hook.camunda_client_closed(context=self._context)


def _tls_configured(config: CamundaConfig) -> bool:
    from .plugins import config as core

    settings = (core.CA_CERTIFICATE_PATH, core.MTLS_CA, core.MTLS_CERT_PATH, core.MTLS_CERT)
    return any(setting.read(config) for setting in settings)


def tls_context(config: CamundaConfig) -> ssl.SSLContext:
    """The TLS context for custom CAs and/or a mutual-TLS client certificate.

    CAs come from ``CAMUNDA_CA_CERTIFICATE_PATH`` and the inline
    ``CAMUNDA_MTLS_CA`` (both are trusted); the client certificate and key from
    the inline ``CAMUNDA_MTLS_CERT``/``CAMUNDA_MTLS_KEY``, which win over their
    ``..._PATH`` variables, with ``CAMUNDA_MTLS_KEY_PASSPHRASE`` for an encrypted key.
    Built here rather than passing paths to httpx, which deprecated them; a bad
    file is a configuration error naming the variable, not an ``ssl`` traceback.
    """
    from .plugins import config as core

    context = ssl.create_default_context()
    variable = core.CA_CERTIFICATE_PATH.key
    try:
        ca_path = core.CA_CERTIFICATE_PATH.read(config)
        if ca_path:
            variable = config.given_as(core.CA_CERTIFICATE_PATH) or variable
            context.load_verify_locations(cafile=ca_path)
        ca_pem = core.MTLS_CA.read(config)
        if ca_pem:
            variable = core.MTLS_CA.key
            context.load_verify_locations(cadata=ca_pem)
        cert_pem = core.MTLS_CERT.read(config)
        if cert_pem or core.MTLS_CERT_PATH.read(config):
            variable = core.MTLS_CERT.key if cert_pem else core.MTLS_CERT_PATH.key
            _load_client_certificate(context, config)
    except (OSError, ssl.SSLError) as exc:
        # "from None": the chained ssl traceback adds nothing to the message, and
        # a traceback printed with local variables must not show key material.
        raise ConfigurationError(
            f"{variable}: the certificate could not be loaded ({exc})", variable=variable
        ) from None
    return context


def _load_client_certificate(context: ssl.SSLContext, config: CamundaConfig) -> None:
    from .plugins import config as core

    cert_pem, key_pem = core.MTLS_CERT.read(config), core.MTLS_KEY.read(config)
    cert_file = core.MTLS_CERT_PATH.read(config)
    key_file = None if key_pem else core.MTLS_KEY_PATH.read(config)
    # A callable, so that the passphrase is not an argument a traceback shows.
    passphrase = _passphrase(config) if core.MTLS_KEY_PASSPHRASE.read(config) else None
    if not (cert_pem or key_pem):
        context.load_cert_chain(cert_file or "", key_file, password=passphrase)
        return
    # ssl loads certificate chains from files only: write the inline PEM to a
    # file only this user can read (mkstemp creates it 0600), deleted at once.
    import tempfile

    written: list[str] = []
    try:
        for pem in (cert_pem, key_pem):
            if pem:
                fd, path = tempfile.mkstemp(prefix="camunda-mtls-", suffix=".pem")
                written.append(path)
                with os.fdopen(fd, "w", encoding="utf-8") as file:
                    file.write(pem)
        cert_path = written[0] if cert_pem else cert_file or ""
        key_path = written[-1] if key_pem else key_file
        context.load_cert_chain(cert_path, key_path, password=passphrase)
    finally:
        for path in written:
            os.unlink(path)


def _passphrase(config: CamundaConfig) -> Callable[[], str]:
    from .plugins.config import MTLS_KEY_PASSPHRASE

    return lambda: MTLS_KEY_PASSPHRASE.read(config) or ""


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
            got = _JSON_NAMES.get(type(data), "another JSON value")
            raise _unexpected(op, response, f"expected {_shape(result)}, got {got}")
        try:
            return parse(result, data)
        except RecursionError as exc:
            raise _unexpected(op, response, _TOO_DEEP) from exc
    raise api_error(op.id, status, response.content, response.headers)


_TOO_DEEP = "the JSON body is nested too deeply"
_JSON_NAMES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}
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
    return "JSON" if kind is None else _JSON_NAMES[kind]


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
        if timeout is None and isinstance(exc, httpx.TimeoutException):
            timeout = exchange_timeout(request, httpx.Timeout(None))
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


class CamundaClient(_ClientBase, ReadMethods, CamundaOperations):
    """Synchronous client: every operation method blocks until the response arrives.

    Args:
        configuration: ``CAMUNDA_*`` settings that override the environment.
        logger: a stdlib ``logging.Logger``, any object with debug/info/warning/error,
            or ``NullLogger()``; loguru by default.
        plugins: plugin objects or modules to register after the built-ins.
        tracer_provider: OpenTelemetry tracer provider (default: the global one).
        meter_provider: OpenTelemetry meter provider (default: the global one).
        transport: an ``httpx.BaseTransport`` (``httpx.MockTransport`` in tests).
        environ: the environment to read instead of ``os.environ``.
    """

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
                    driver = shared.driver = SyncDriver(DeadlineClient(**self._http_options()))
        return driver

    def _run(self, op: Operation, path: Any, query: Any, body: Any) -> Any:
        call = Call(op, path, query, body, self._options)
        driver = self._get_driver()
        try:
            response = driver.run(self._shared.handler(call))
        except httpx.RequestError as exc:
            raise _connection_error(op, exc) from exc
        except RuntimeError as exc:  # httpx refusing to send: closed while this call ran
            if driver.sender.is_closed:
                raise ClientClosedError(type(self).__name__, operation_id=op.id) from exc
            raise
        return decode(op, response)

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
            if self._owns_context:
                self._context.run_close_callbacks()
            shared = self._shared
            with shared.lock:
                driver, shared.driver, shared.closed = shared.driver, None, True
            if driver is not None:
                driver.close()
            self._closed()

    def __enter__(self) -> CamundaClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncApiClient(_ClientBase, AsyncReadMethods, AsyncCamundaOperations):
    """Asynchronous API client: every operation method is a coroutine.

    Applications use its subclass :class:`camunda_sdk.CamundaAsyncClient`, which
    also hosts job workers; a job handler's ``job.client`` is one of these.

    Takes the same arguments as :class:`CamundaClient` (``transport`` is an
    ``httpx.AsyncBaseTransport``). Without a ``transport``, it sends through
    aiohttp when the ``aiohttp`` extra is installed, else through httpx's own
    (``CAMUNDA_SDK_HTTP_TRANSPORT`` chooses; see :mod:`camunda_sdk.transports`).
    """

    def _get_driver(self) -> AsyncDriver:
        # No await between the check and the set: one event loop cannot race here.
        shared = self._shared
        driver = shared.driver
        if driver is None:
            if shared.closed:
                raise ClientClosedError(type(self).__name__)
            driver = shared.driver = AsyncDriver(self._sender())
        return driver

    async def _arun(self, op: Operation, path: Any, query: Any, body: Any) -> Any:
        call = Call(op, path, query, body, self._options)
        driver = self._get_driver()
        try:
            response = await driver.run(self._shared.handler(call))
        except httpx.RequestError as exc:
            raise _connection_error(op, exc) from exc
        except RuntimeError as exc:  # httpx refusing to send: closed while this call ran
            if driver.sender.is_closed:
                raise ClientClosedError(type(self).__name__, operation_id=op.id) from exc
            raise
        return decode(op, response)

    async def deploy_resources_from_files(
        self, paths: Sequence[str | os.PathLike[str]], tenant_id: TenantId | str | None = None
    ) -> Deployment:
        """Deploy BPMN, DMN and form files from disk in one deployment."""
        from .deployment import Deployment

        result = await self.create_deployment(data=_deployment(paths, tenant_id))
        return Deployment.from_result(result)

    def _sender(self) -> AsyncSender:
        options = self._http_options()
        if "transport" not in options:  # a transport= given to the client wins
            # Imported here: aiohttp is loaded at the first call, never by construction.
            from .transports import async_sender

            sender = async_sender(self._context.config, verify=options.get("verify", True))
            if sender is not None:
                return sender
        return AsyncHttpxSender(AsyncDeadlineClient(**options))

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
            derived._attach(self._context, transport, owns_context=False)
            self._context.state[_SYNC_CLIENT] = derived
            self._context.on_close(derived.close)
        return derived

    async def close(self) -> None:
        """Run the plugins' close callbacks (job workers drain), then close the pool.

        Views made by ``with_options`` share the pool: closing one of them does nothing.
        """
        if self._owner and not self._shared.closed:
            await self._context.arun_close_callbacks()
            shared = self._shared
            driver, shared.driver, shared.closed = shared.driver, None, True
            if driver is not None:
                await driver.aclose()
            self._closed()

    async def __aenter__(self: _A) -> _A:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
