"""Worker configuration: :class:`WorkerConfig` and how it inherits client defaults.

Precedence for every field marked "heritable" (see ``docs/workers.md``)::

    explicit WorkerConfig value > CAMUNDA_WORKER_* (environment or client
    ``configuration={...}``) > built-in default
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import ConfigurationError
from ..plugins import workers as defaults
from ..plugins.config import TENANT_ID

if TYPE_CHECKING:
    from ..settings import CamundaConfig

__all__ = [
    "DEFAULT_MAX_CONCURRENT_JOBS",
    "DEFAULT_WORKER_NAME",
    "ResolvedWorkerConfig",
    "WorkerConfig",
]

DEFAULT_WORKER_NAME = "camunda-python-sdk-worker"
DEFAULT_MAX_CONCURRENT_JOBS = 10


# The wire types of the activation request: maxJobsToActivate is an int32,
# the timeouts are int64 milliseconds.
_INT32_MAX = 2**31 - 1
_INT64_MAX = 2**63 - 1


def _field_error(name: str, value: object, expected: str) -> ConfigurationError:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return ConfigurationError(
        f"WorkerConfig.{name} must be {expected}, got {shown} ({type(value).__name__})",
        variable=name,
    )


def _names(value: Sequence[str] | None, name: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):  # a single name is a common slip: accept it
        return (value,)
    expected = "a list of strings (or one string)"
    # A mapping or a byte string iterates as something else than names.
    if isinstance(value, (bytes, bytearray, dict)) or not isinstance(value, Iterable):
        raise _field_error(name, value, expected)
    names = tuple(value)
    for item in names:
        if not isinstance(item, str):
            raise _field_error(name, value, expected)
    return names


def _fetch_variables(value: Sequence[str] | None) -> tuple[str, ...] | None:
    return _names(value, "fetch_variables")


def _tenant_ids(value: Sequence[str] | None) -> tuple[str, ...] | None:
    return _names(value, "tenant_ids")


def _integer(minimum: int, maximum: int) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    """An attrs validator: None, or an int (not a bool, not a float) within bounds."""

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None:
            return
        # 1.9 would be truncated and "10" is a typo of 10 in a typed API; True is
        # an int to Python but never a count.
        if isinstance(value, bool) or not isinstance(value, int):
            raise _field_error(attribute.name, value, "an integer")
        if not minimum <= value <= maximum:
            raise _field_error(attribute.name, value, f"an integer from {minimum} to {maximum}")

    return check


def _text(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise _field_error(attribute.name, value, "a string")


def _job_type(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str):
        raise _field_error(attribute.name, value, "a string")


def _flag(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, bool):
        raise _field_error(attribute.name, value, "True or False")


@attrs.frozen(kw_only=True)
class WorkerConfig:
    """What a job worker polls for and how many jobs it runs at once.

    Fields left as None inherit the client's ``CAMUNDA_WORKER_*`` defaults, then
    the built-in default. Values are type-checked when the config is made: a
    wrong type or an out-of-range number raises
    :class:`~camunda_sdk.errors.ConfigurationError` naming the field.

    Args:
        job_type: the BPMN service task type to poll for (required).
        job_timeout_milliseconds: how long the worker has to complete an activated
            job before the cluster hands it to another worker. Required here or
            through ``CAMUNDA_WORKER_TIMEOUT``.
        request_timeout_milliseconds: long-poll timeout of one activation request
            (0: the server's default). Default 0.
        max_concurrent_jobs: maximum of jobs the worker runs at once. Default 10.
        fetch_variables: names of the variables to fetch (None: all of them).
        worker_name: the worker name reported to Camunda.
            Default ``"camunda-python-sdk-worker"``.
        tenant_ids: tenants to activate jobs of. Default ``CAMUNDA_TENANT_IDS``
            (comma-separated), else ``CAMUNDA_TENANT_ID``, else the server's default.
        with_lease: ask the cluster for a lease token per job (newer servers); the
            token is sent back with the job's completion, failure or error.
        extend_timeout: keep a long-running job with this worker: once its handler
            has run for half the job timeout, extend the job's timeout
            (``updateJob``) by another job timeout, again and again until the
            handler returns. Off by default.
        max_job_duration_milliseconds: the most a handler may run. Past it an
            ``async`` handler is cancelled (a thread or process one is abandoned)
            and the job is failed saying so, so that it is not done twice by
            accident. None: no maximum (without ``extend_timeout`` the job
            timeout is the practical one).
    """

    job_type: str = attrs.field(validator=_job_type)
    job_timeout_milliseconds: int | None = attrs.field(
        default=None, validator=_integer(1, _INT64_MAX)
    )
    request_timeout_milliseconds: int | None = attrs.field(
        default=None, validator=_integer(0, _INT64_MAX)
    )
    max_concurrent_jobs: int | None = attrs.field(default=None, validator=_integer(1, _INT32_MAX))
    fetch_variables: tuple[str, ...] | None = attrs.field(default=None, converter=_fetch_variables)
    worker_name: str | None = attrs.field(default=None, validator=_text)
    tenant_ids: tuple[str, ...] | None = attrs.field(default=None, converter=_tenant_ids)
    with_lease: bool = attrs.field(default=False, validator=_flag)
    extend_timeout: bool = attrs.field(default=False, validator=_flag)
    max_job_duration_milliseconds: int | None = attrs.field(
        default=None, validator=_integer(1, _INT64_MAX)
    )


@attrs.frozen(kw_only=True)
class ResolvedWorkerConfig:
    """A :class:`WorkerConfig` with every default filled in (internal)."""

    job_type: str
    job_timeout_milliseconds: int
    request_timeout_milliseconds: int
    max_concurrent_jobs: int
    fetch_variables: tuple[str, ...] | None
    worker_name: str
    tenant_ids: tuple[str, ...] | None
    startup_jitter_max_seconds: float
    with_lease: bool = False
    extend_timeout: bool = False
    max_job_duration_milliseconds: int | None = None


def _first(*values: Any) -> Any:
    for value in values:
        if value is not None:
            return value
    return None


def resolve_worker_config(
    config: WorkerConfig,
    client_config: CamundaConfig,
    startup_jitter_max_seconds: float | None = None,
) -> ResolvedWorkerConfig:
    """Fill ``config``'s unset fields from the client configuration's worker defaults.

    Raises:
        ConfigurationError: the job type is empty, no job timeout is set anywhere,
            or a number is out of range.
    """
    if not config.job_type:
        raise ConfigurationError("WorkerConfig.job_type must not be empty", variable="job_type")
    timeout = _first(config.job_timeout_milliseconds, defaults.TIMEOUT.read(client_config))
    if timeout is None:
        raise ConfigurationError(
            f"worker for job type {config.job_type!r}: set WorkerConfig.job_timeout_milliseconds"
            " or CAMUNDA_WORKER_TIMEOUT",
            variable="CAMUNDA_WORKER_TIMEOUT",
        )
    max_jobs = _first(
        config.max_concurrent_jobs,
        defaults.MAX_CONCURRENT_JOBS.read(client_config),
        DEFAULT_MAX_CONCURRENT_JOBS,
    )
    request_timeout = _first(
        config.request_timeout_milliseconds, defaults.REQUEST_TIMEOUT.read(client_config), 0
    )
    name = _first(config.worker_name, defaults.NAME.read(client_config)) or DEFAULT_WORKER_NAME
    jitter = _first(
        startup_jitter_max_seconds,
        defaults.STARTUP_JITTER_MAX_SECONDS.read(client_config),
        0.0,
    )
    tenant_ids = config.tenant_ids
    if tenant_ids is None:
        tenant_ids = tuple(defaults.TENANT_IDS.read(client_config) or ()) or None
    if tenant_ids is None:
        tenant = TENANT_ID.read(client_config)
        tenant_ids = (tenant,) if tenant else None
    _check(int(timeout) >= 1, "job_timeout_milliseconds", timeout, "at least 1")
    _check(int(max_jobs) >= 1, "max_concurrent_jobs", max_jobs, "at least 1")
    _check(int(request_timeout) >= 0, "request_timeout_milliseconds", request_timeout, ">= 0")
    _check(float(jitter) >= 0, "startup_jitter_max_seconds", jitter, ">= 0")
    return ResolvedWorkerConfig(
        job_type=config.job_type,
        job_timeout_milliseconds=int(timeout),
        request_timeout_milliseconds=int(request_timeout),
        max_concurrent_jobs=int(max_jobs),
        fetch_variables=config.fetch_variables,
        worker_name=str(name),
        tenant_ids=tenant_ids,
        startup_jitter_max_seconds=float(jitter),
        with_lease=bool(config.with_lease),
        extend_timeout=config.extend_timeout,
        max_job_duration_milliseconds=config.max_job_duration_milliseconds,
    )


def _check(ok: bool, name: str, value: object, expected: str) -> None:
    if not ok:
        raise ConfigurationError(
            f"worker setting {name}={value!r} must be {expected}", variable=name
        )
