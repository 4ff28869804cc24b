"""Built-in plugin ``retry``: replays a call when that is safe and likely to help.

What is retried (see :func:`should_retry`):

- failures before the request reached the server (``httpx.ConnectError``,
  ``ConnectTimeout``, ``PoolTimeout``): always;
- ``429`` and ``503``: always, since the server rejected the work;
- other ``5xx`` (but ``501``/``505``, which will not change), read timeouts and
  broken responses (``ReadTimeout``, ``RemoteProtocolError``, ``ReadError``,
  ``WriteError``, ``WriteTimeout``): only for idempotent operations, since the
  server may already have applied the request.

Delays grow exponentially with full jitter (a uniform draw between 0 and
``initial_delay * 2**(attempt - 1)``, capped at ``max_delay``); a ``Retry-After``
header replaces the draw (see :func:`parse_retry_after`).

Settings (declared below): ``CAMUNDA_SDK_RETRY_MAX_ATTEMPTS`` (4, including
the first send), ``CAMUNDA_SDK_RETRY_INITIAL_DELAY_MS`` (100),
``CAMUNDA_SDK_RETRY_MAX_DELAY_MS`` (5000). Per call,
``client.with_options(retry=False)`` disables retries and
``client.with_options(retry=RetryPolicy(...))`` replaces the policy.

Every attempt is recorded in ``call.extensions["attempts"]`` (attempt number,
status or exception type, delay before the next one) for tracing to turn into
span events; ``call.attempt`` counts the sends so far.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, TypedDict

import attrs
import httpx

from .._retry_after import parse_retry_after
from ..errors import error_type
from ..pipeline.effects import Effect, Sleep
from ..pipeline.hookspecs import Handler, hookimpl
from ..pipeline.http import Response
from ..settings import Setting, SettingRegistry, SettingSource

if TYPE_CHECKING:
    from ..pipeline.call import Call
    from ..pipeline.context import ClientContext

__all__ = [
    "INITIAL_DELAY_MS",
    "MAX_ATTEMPTS",
    "MAX_DELAY_MS",
    "AttemptRecord",
    "RetryPolicy",
    "delay_for",
    "parse_retry_after",
    "should_retry",
]

# Shared by the settings and RetryPolicy's own defaults.
_MAX_ATTEMPTS, _INITIAL_DELAY_MS, _MAX_DELAY_MS = 4, 100, 5000

MAX_ATTEMPTS = Setting.count(
    "CAMUNDA_SDK_RETRY_MAX_ATTEMPTS",
    _MAX_ATTEMPTS,
    "Attempts per request including the first; 1 disables retries.",
    minimum=1,
)
INITIAL_DELAY_MS = Setting.milliseconds(
    "CAMUNDA_SDK_RETRY_INITIAL_DELAY_MS",
    _INITIAL_DELAY_MS,
    "First retry delay in milliseconds, grown exponentially with jitter.",
)
MAX_DELAY_MS = Setting.milliseconds(
    "CAMUNDA_SDK_RETRY_MAX_DELAY_MS",
    _MAX_DELAY_MS,
    "Upper bound of a single retry delay in milliseconds.",
)


@hookimpl
def camunda_add_settings(settings: SettingRegistry) -> None:
    """Declare the retry settings."""
    settings.add(MAX_ATTEMPTS, INITIAL_DELAY_MS, MAX_DELAY_MS)


# The jitter source when a policy brings none; tests may seed or replace it.
_random = random.Random()

# Never reached the server: replaying cannot apply the request twice.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# May have reached the server (and been applied): only idempotent requests.
_MAYBE_SENT = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)
_REJECTED = frozenset({429, 503})  # the server refused the work: replay is safe
_PERMANENT_5XX = frozenset({501, 505})  # not implemented / version: will not change


def _seconds(value: float) -> float:
    return max(0.0, float(value))


@attrs.frozen
class RetryPolicy:
    """How often and how patiently to replay a call.

    Attributes:
        max_attempts: sends per call, including the first (1 disables retries).
        initial_delay: seconds; the first retry waits up to this long.
        max_delay: seconds; no single wait is longer (also caps ``Retry-After``).
        jitter: draw each delay uniformly from ``[0, backoff]`` ("full jitter")
            so that many clients do not retry in lock-step; False waits the
            whole backoff.
        rng: the random source for the jitter (default: a module-level one).
    """

    # The settings' defaults: RetryPolicy() is the policy of an unconfigured client.
    max_attempts: int = attrs.field(default=_MAX_ATTEMPTS, validator=attrs.validators.ge(1))
    initial_delay: float = attrs.field(default=_INITIAL_DELAY_MS / 1000, converter=_seconds)
    max_delay: float = attrs.field(default=_MAX_DELAY_MS / 1000, converter=_seconds)
    jitter: bool = True
    rng: random.Random | None = attrs.field(default=None, eq=False, repr=False)

    @classmethod
    def from_config(cls, config: SettingSource) -> RetryPolicy:
        """The client-wide policy from ``CAMUNDA_SDK_RETRY_*`` settings."""
        return cls(
            max_attempts=MAX_ATTEMPTS.read(config),
            initial_delay=INITIAL_DELAY_MS.read(config) / 1000,
            max_delay=MAX_DELAY_MS.read(config) / 1000,
        )


def should_retry(
    idempotent: bool, *, status: int | None = None, error: BaseException | None = None
) -> bool:
    """Whether an attempt that ended with ``status`` or ``error`` may be replayed.

    Args:
        idempotent: whether the operation is safe to apply twice
            (``call.operation.idempotent``).
        status: the response status, when a response arrived.
        error: the exception thrown into the stage, when none did.
    """
    if error is not None:
        if isinstance(error, _NOT_SENT):
            return True
        return idempotent and isinstance(error, _MAYBE_SENT)
    if status is None:
        return False
    if status in _REJECTED:
        return True
    return idempotent and 500 <= status <= 599 and status not in _PERMANENT_5XX


def delay_for(
    attempt: int,
    policy: RetryPolicy,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before the send after ``attempt`` (1 = after the first).

    ``retry_after`` (already parsed and capped) wins over the computed backoff:
    the server knows best when it will have room again.
    """
    if retry_after is not None:
        return min(retry_after, policy.max_delay)
    # Cap the exponent: 2**1100 overflows a float long before anyone waits that long.
    backoff = min(policy.max_delay, policy.initial_delay * 2.0 ** min(attempt - 1, 64))
    if not policy.jitter:
        return backoff
    source = rng or policy.rng or _random
    return source.uniform(0.0, backoff)


def _policy_for(call: Call, default: RetryPolicy) -> RetryPolicy | None:
    choice = call.options.retry
    if choice is None or choice is True:
        return default
    if choice is False:
        return None
    if isinstance(choice, RetryPolicy):
        return choice
    raise TypeError(
        f"retry= must be True, False, None or a RetryPolicy, got {type(choice).__name__}"
    )


class _Attempt(TypedDict):
    attempt: int  # 1 for the first send
    delay: float | None  # seconds waited before the next send; None: the last attempt


class AttemptRecord(_Attempt, total=False):
    """One send of a retried call, as the stage records it in ``call.extensions["attempts"]``.

    Keys ``attempt`` and ``delay``, and ``status`` (the answer's) or ``error`` (the
    failure's ``error.type``); the tracing stage turns them into span events.
    """

    status: int
    error: str


def _record(
    call: Call, attempts: list[AttemptRecord], outcome: Response | Exception, delay: float | None
) -> None:
    entry: AttemptRecord = {"attempt": call.attempt, "delay": delay}
    if isinstance(outcome, Response):
        entry["status"] = outcome.status_code
    else:
        entry["error"] = error_type(outcome)
    attempts.append(entry)


@hookimpl(wrapper=True)
def camunda_call_handler(context: ClientContext) -> Generator[None, Handler, Handler]:
    """Replay failed attempts according to the call's retry policy."""
    inner = yield
    default = RetryPolicy.from_config(context.config)
    log = context.logger

    def retry(call: Call) -> Generator[Effect, Any, Response]:
        policy = _policy_for(call, default)
        max_attempts = policy.max_attempts if policy is not None else 1
        idempotent = call.operation.idempotent
        # Records for tracing, kept only once a call is retried: a call answered at
        # its first attempt (nearly all of them) allocates nothing here.
        attempts: list[AttemptRecord] | None = None
        while True:
            call.attempt += 1
            try:
                response = yield from inner(call)
            except Exception as exc:  # not BaseException: cancellation is never retried
                if (
                    policy is None
                    or call.attempt >= max_attempts
                    or not should_retry(idempotent, error=exc)
                ):
                    if attempts is not None:
                        _record(call, attempts, exc, None)
                    raise
                delay = delay_for(call.attempt, policy)
                outcome: Response | Exception = exc
                what = type(exc).__name__
            else:
                status = response.status_code
                if (
                    policy is None
                    or status < 400
                    or call.attempt >= max_attempts
                    or not should_retry(idempotent, status=status)
                ):
                    if attempts is not None:
                        _record(call, attempts, response, None)
                    return response
                hint = parse_retry_after(
                    response.headers.get("retry-after"), max_delay=policy.max_delay
                )
                delay = delay_for(call.attempt, policy, hint)
                outcome = response
                what = str(status)
            if attempts is None:
                attempts = call.extensions["attempts"] = []
            _record(call, attempts, outcome, delay)
            if log is not None:
                # Operation id, method and path template only: no URL, headers or body.
                op = call.operation
                log.info(
                    f"{op.id}: {op.method} {op.path} attempt {call.attempt} of "
                    f"{max_attempts} got {what}; retrying in {delay:.3f} s"
                )
            yield Sleep(delay)

    return retry
