"""Built-in plugin ``backpressure``: an adaptive concurrency limit per client.

The cluster says it is overloaded by answering ``429``, ``503``, or a problem
body whose title or detail mentions ``RESOURCE_EXHAUSTED``. Until it does, a
client puts no cap on its requests in flight: a healthy cluster sees all of
them at once. With the ``BALANCED`` profile (the default) the first overload
signal caps the client at ``CAMUNDA_SDK_BACKPRESSURE_INITIAL_LIMIT``, and from
then on the client sends fewer requests at once, the way TCP congestion control
does:

- *multiplicative decrease*: each overload signal scales the limit down (once per
  window: answers to requests that were already in flight when the limit last
  dropped do not drop it again, or one burst of 429s would collapse it to 1);
- *additive increase*: each success while the limit is in use adds ``1/limit``,
  i.e. about one more permit per window of successful round trips;
- *backoff at the floor*: once the limit is 1, further signals add an exponential,
  jittered pause before each gated request until a request succeeds;
- *uncapped again*: after :data:`QUIET_PERIOD` seconds without an overload
  signal the cap is lifted (and queued calls proceed); the next signal caps
  the client afresh. Waiting for quiet rather than for the limit to climb back
  to its ceiling: additive growth from 48 to 1024 would take a thousand windows.

While capped, at most ``CAMUNDA_SDK_BACKPRESSURE_MAX_WAITERS`` calls wait for a
permit; one more raises :class:`~camunda_sdk.errors.BackpressureQueueFullError`
at once, without sending: an unbounded queue would only grow memory and latency.

``LEGACY`` only observes: it keeps the same books (limit, severity) but never
gates or pauses a request. Operations that drain work (``completeJob``,
``failJob``, ``throwJobError``, ``completeUserTask``) are never gated either:
holding them back would keep jobs alive longer and deepen the overload.

The limiter's state is public and per client: ``backpressure_state(client)``
returns the :class:`BackpressureState` (also in ``context.state[LIMITER]``
for plugins). Its arithmetic is plain, lock-protected code shared by the sync
and async clients; only waiting for a permit differs, inside
:class:`AcquirePermit`.

Settings (declared below):

- ``CAMUNDA_SDK_BACKPRESSURE_PROFILE``: ``BALANCED`` (default) or ``LEGACY``;
- ``CAMUNDA_SDK_BACKPRESSURE_INITIAL_LIMIT``: the cap the first overload signal
  applies, before its own decrease (default 64, or the maximum when that is lower);
- ``CAMUNDA_SDK_BACKPRESSURE_MAX_LIMIT``: the ceiling of the limit (default 1024);
- ``CAMUNDA_SDK_BACKPRESSURE_MAX_WAITERS``: calls allowed to wait for a permit
  (default 1000).
"""

from __future__ import annotations

import asyncio
import enum
import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import BackpressureQueueFullError, ConfigurationError
from ..pipeline.context import ClientContext, StateKey
from ..pipeline.effects import Effect, Sleep
from ..pipeline.hookspecs import Handler, hookimpl
from ..pipeline.http import Response
from ..settings import Setting, SettingRegistry, SettingSource

if TYPE_CHECKING:
    from ..pipeline.call import Call
    from ..pipeline.context import ClientContext
    from ..pipeline.effects import AsyncRunner, SyncRunner

__all__ = [
    "INITIAL_LIMIT",
    "MAX_LIMIT",
    "MAX_WAITERS",
    "PROFILE",
    "PROFILES",
    "LIMITER",
    "AcquirePermit",
    "BackpressureState",
    "LoadSignal",
    "backpressure_state",
    "classify",
]

PROFILES = ("BALANCED", "LEGACY")

DEFAULT_INITIAL_LIMIT = 64
DEFAULT_MAX_LIMIT = 1024
DEFAULT_MAX_WAITERS = 1000
MIN_LIMIT = 1

PROFILE: Setting[str] = Setting(
    "CAMUNDA_SDK_BACKPRESSURE_PROFILE",
    "choice",
    default="BALANCED",
    choices=PROFILES,
    description="Backpressure profile: BALANCED (adaptive gating) or LEGACY (observe only).",
)
INITIAL_LIMIT = Setting.count(
    "CAMUNDA_SDK_BACKPRESSURE_INITIAL_LIMIT",
    DEFAULT_INITIAL_LIMIT,
    "Concurrency cap applied at the first overload signal, before its decrease; no cap "
    "until then (the default yields to a lower maximum).",
    minimum=MIN_LIMIT,
)
MAX_LIMIT = Setting.count(
    "CAMUNDA_SDK_BACKPRESSURE_MAX_LIMIT",
    DEFAULT_MAX_LIMIT,
    "Ceiling of the adaptive concurrency limit.",
    minimum=MIN_LIMIT,
)
MAX_WAITERS = Setting.count(
    "CAMUNDA_SDK_BACKPRESSURE_MAX_WAITERS",
    DEFAULT_MAX_WAITERS,
    "Calls allowed to wait for a backpressure permit; one more raises BackpressureQueueFullError.",
    minimum=0,
    maximum=100_000,
)

#: Factor applied to the limit on an overload signal. 0.5 (TCP's choice) makes the
#: limit oscillate between N/2 and N around a server that admits N; 0.75 keeps
#: throughput closer to N while still converging within a few windows.
DECREASE_FACTOR = 0.75
BACKOFF_INITIAL = 0.05  # seconds, first pause once at the floor
BACKOFF_MAX = 5.0  # seconds
#: Seconds without an overload signal after which the cap is lifted. Long enough
#: that a cluster still near its capacity, where additive growth provokes a signal
#: every few windows, stays capped; short enough that a passing spike does not
#: throttle a client for minutes.
QUIET_PERIOD = 30.0

# Backoff jitter source; tests replace it (or pass ``rng=``) for determinism.
_random = random.Random()


class LoadSignal(enum.Enum):
    """What one request's answer tells the limiter about the server's load."""

    #: Handled by the server (a 2xx, 3xx or a 4xx other than 429): room to grow.
    SUCCESS = "success"
    #: 429, 503 or a RESOURCE_EXHAUSTED problem: the server is overloaded.
    OVERLOAD = "overload"
    #: A transport failure, another 5xx, or a cancelled call: says nothing.
    NEUTRAL = "neutral"


def classify(response: Response) -> LoadSignal:
    """Classify a (read) response as success, overload or neutral."""
    status = response.status_code
    if status in (429, 503):
        return LoadSignal.OVERLOAD
    if status < 400:
        return LoadSignal.SUCCESS
    if _resource_exhausted(response):
        return LoadSignal.OVERLOAD
    return LoadSignal.SUCCESS if status < 500 else LoadSignal.NEUTRAL


def _resource_exhausted(response: Response) -> bool:
    content = response.content
    if b"RESOURCE_EXHAUSTED" not in content:  # cheap test before parsing
        return False
    try:
        problem = json.loads(content)
    except ValueError:
        return False
    if not isinstance(problem, dict):
        return False
    return any(
        isinstance(problem.get(field), str) and "RESOURCE_EXHAUSTED" in problem[field]
        for field in ("title", "detail")
    )


class _SyncWaiter:
    __slots__ = ("cond", "permit")

    def __init__(self, cond: threading.Condition) -> None:
        self.cond = cond
        self.permit: int | None = None

    def wake(self) -> bool:
        self.cond.notify()  # called with the limiter's lock held, as Condition requires
        return True


class _AsyncWaiter:
    __slots__ = ("future", "loop", "permit")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.future: asyncio.Future[None] = loop.create_future()
        self.permit: int | None = None

    def wake(self) -> bool:
        """Hand the permit over; False when the waiter's loop is gone (nobody to take it)."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            _resolve(self.future)
            return True
        try:  # released from another thread: hand over through the loop
            self.loop.call_soon_threadsafe(_resolve, self.future)
        except RuntimeError:  # that loop is closed: its waiter will never run
            return False
        return True


_W = TypeVar("_W", _SyncWaiter, _AsyncWaiter)
_A = TypeVar("_A")


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():  # a cancelled waiter returns its permit itself
        future.set_result(None)


class BackpressureState:
    """The adaptive concurrency limiter of one client, and what it observes.

    Read-only attributes (snapshot them together with :meth:`snapshot`):

    - ``profile``: ``"BALANCED"`` (gates) or ``"LEGACY"`` (observes only);
    - ``capped``: whether an overload signal has capped the client (and no
      quiet period has lifted the cap since);
    - ``limit``: how many gated requests may be in flight at once, None while
      uncapped;
    - ``in_flight``: requests currently in flight (gated or not);
    - ``waiters``: calls waiting for a permit;
    - ``severity``: ``"healthy"`` (no overload since the last clean window of
      successes), ``"soft"`` (overload seen, limit reduced) or ``"severe"``
      (overload at the floor: gated calls pause before sending);
    - ``backoff``: the current pause at the floor in seconds (0 when none).

    Thread-safe: a sync client may be shared by many threads. Permits are plain
    integers; every permit taken must be returned with :meth:`release`.

    Args:
        profile: ``"BALANCED"`` or ``"LEGACY"``.
        initial_limit: the cap the first overload signal applies (then decreases).
        max_limit: the ceiling of the limit while capped.
        max_waiters: calls allowed to queue for a permit; the next one raises
            :class:`~camunda_sdk.errors.BackpressureQueueFullError`.
        quiet_period: seconds without an overload signal that lift the cap.
        rng: the backoff jitter source (tests pass a seeded one).
        clock: monotonic seconds, for the quiet period.
    """

    def __init__(
        self,
        profile: str = "BALANCED",
        *,
        initial_limit: int = DEFAULT_INITIAL_LIMIT,
        max_limit: int = DEFAULT_MAX_LIMIT,
        max_waiters: int = DEFAULT_MAX_WAITERS,
        quiet_period: float = QUIET_PERIOD,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown backpressure profile {profile!r}")
        if not MIN_LIMIT <= initial_limit <= max_limit:
            raise ValueError(f"need {MIN_LIMIT} <= initial_limit <= max_limit")
        if max_waiters < 0:
            raise ValueError("need max_waiters >= 0")
        self.profile = profile
        self.initial_limit = initial_limit
        self.max_limit = max_limit
        self.max_waiters = max_waiters
        self.quiet_period = quiet_period
        self.rng = rng
        self.clock = clock
        self._lock = threading.Lock()
        # No cap until the cluster signals overload: a client must not throttle
        # a healthy cluster on a guess. _limit means something only while capped.
        self._capped = False
        self._last_signal = 0.0
        self._limit = float(initial_limit)
        self._in_flight = 0
        self._waiters: deque[_SyncWaiter | _AsyncWaiter] = deque()
        self._severity = "healthy"
        self._backoff = 0.0
        # Permit numbers grow with each start; a signal from a permit numbered at
        # or below _mark was in flight when the limit last dropped: ignored.
        self._started = 0
        self._mark = 0
        self._clean = 0  # successes since the last overload signal

    # -- observation -------------------------------------------------------------

    @property
    def gating(self) -> bool:
        """Whether this limiter holds requests back (``BALANCED``)."""
        return self.profile == "BALANCED"

    @property
    def capped(self) -> bool:
        """Whether an overload signal has capped concurrency (and no quiet period lifted it)."""
        return self._capped

    @property
    def limit(self) -> int | None:
        """The current concurrency limit (whole permits); None while uncapped."""
        return self._whole_limit() if self._capped else None

    def _whole_limit(self) -> int:
        return max(MIN_LIMIT, int(self._limit))

    @property
    def in_flight(self) -> int:
        """Requests in flight now, including ungated ones."""
        return self._in_flight

    @property
    def waiters(self) -> int:
        """Calls queued for a permit."""
        return len(self._waiters)

    @property
    def severity(self) -> str:
        """``"healthy"``, ``"soft"`` or ``"severe"``."""
        return self._severity

    @property
    def backoff(self) -> float:
        """The pause gated requests take at the floor, in seconds (0: none)."""
        return self._backoff

    def snapshot(self) -> dict[str, str | bool | int | float | None]:
        """A consistent copy of the observable state."""
        with self._lock:
            return {
                "profile": self.profile,
                "capped": self._capped,
                "limit": self.limit,
                "in_flight": self._in_flight,
                "waiters": len(self._waiters),
                "severity": self._severity,
                "backoff": self._backoff,
            }

    def __repr__(self) -> str:
        s = self.snapshot()
        return (
            f"BackpressureState(profile={s['profile']}, limit={s['limit'] or 'uncapped'}, "
            f"in_flight={s['in_flight']}, waiters={s['waiters']}, severity={s['severity']})"
        )

    # -- permits -----------------------------------------------------------------

    def try_acquire(self) -> int | None:
        """Take a permit if uncapped, or if one is free and nobody is queued; else None."""
        with self._lock:
            return self._try_locked()

    def enter(self) -> int:
        """Count a request that is not gated (draining operation, ``LEGACY``)."""
        with self._lock:
            return self._start_locked()

    def acquire_sync(self, operation_id: str | None = None) -> int:
        """Block the calling thread until a permit is granted (FIFO).

        Raises:
            BackpressureQueueFullError: ``max_waiters`` calls wait already.
        """
        with self._lock:
            waiter = self._queue_locked(operation_id, _SyncWaiter, threading.Condition(self._lock))
            if isinstance(waiter, int):
                return waiter
            try:
                while waiter.permit is None:
                    waiter.cond.wait()
            except BaseException:  # KeyboardInterrupt in the waiting thread
                self._abandon_locked(waiter)
                raise
            return waiter.permit

    async def acquire_async(self, operation_id: str | None = None) -> int:
        """Wait (without blocking the loop) until a permit is granted (FIFO).

        Raises:
            BackpressureQueueFullError: ``max_waiters`` calls wait already.
        """
        with self._lock:
            waiter = self._queue_locked(operation_id, _AsyncWaiter, asyncio.get_running_loop())
        if isinstance(waiter, int):
            return waiter
        try:
            await waiter.future
        except BaseException:  # CancelledError: give back a permit granted meanwhile
            with self._lock:
                self._abandon_locked(waiter)
            raise
        assert waiter.permit is not None  # set under the lock before the wake-up
        return waiter.permit

    def release(self, permit: int, signal: LoadSignal = LoadSignal.NEUTRAL) -> None:
        """Return ``permit`` and adapt the limit to the ``signal`` of the request's answer.

        Synchronous and non-blocking, so it is safe in a ``finally`` block that
        runs while a generator is closed on cancellation.
        """
        with self._lock:
            self._in_flight -= 1
            if signal is LoadSignal.OVERLOAD:
                self._overload_locked(permit)
            else:
                if signal is LoadSignal.SUCCESS:
                    self._success_locked()
                if self._capped:
                    self._lift_if_quiet_locked()
            self._grant_locked()

    def backoff_delay(self) -> float:
        """The jittered pause for the next gated request (0.0 when not backing off)."""
        backoff = self._backoff
        if not backoff:
            return 0.0
        rng = self.rng or _random
        # Half fixed, half random: keeps the pause meaningful yet de-synchronises
        # calls that were released at the same moment.
        return backoff * (0.5 + 0.5 * rng.random())

    # -- arithmetic (caller holds the lock) --------------------------------------

    def _try_locked(self) -> int | None:
        # Checked here too: a client idle through the quiet period has no release
        # to lift the cap with.
        if (
            self._capped
            and not self._lift_if_quiet_locked()
            and (self._waiters or self._in_flight >= self._whole_limit())
        ):
            return None
        return self._start_locked()

    def _queue_locked(
        self, operation_id: str | None, waiter: Callable[[_A], _W], arg: _A
    ) -> int | _W:
        """A permit when one is free now, else ``waiter(arg)`` queued (FIFO) for the next.

        Raises:
            BackpressureQueueFullError: ``max_waiters`` calls wait already.
        """
        permit = self._try_locked()
        if permit is not None:
            return permit
        if len(self._waiters) >= self.max_waiters:
            raise BackpressureQueueFullError(self.max_waiters, operation_id=operation_id)
        queued = waiter(arg)
        self._waiters.append(queued)
        return queued

    def _lift_if_quiet_locked(self) -> bool:
        """Lift the cap after a quiet period; True when uncapped now."""
        if self.clock() - self._last_signal < self.quiet_period:
            return False
        self._capped = False
        self._limit = float(self.initial_limit)
        self._severity = "healthy"
        self._backoff = 0.0
        self._clean = 0
        self._grant_locked()  # whoever queued goes now
        return True

    def _start_locked(self) -> int:
        self._in_flight += 1
        self._started += 1
        return self._started

    def _grant_locked(self) -> None:
        while self._waiters and (not self._capped or self._in_flight < self._whole_limit()):
            waiter = self._waiters.popleft()
            waiter.permit = self._start_locked()
            if not waiter.wake():
                self._in_flight -= 1  # its loop is gone: the permit goes to the next one

    def _abandon_locked(self, waiter: _SyncWaiter | _AsyncWaiter) -> None:
        if waiter.permit is None:
            self._waiters.remove(waiter)
        else:  # granted just as the wait was interrupted: pass the permit on
            self._in_flight -= 1
            self._grant_locked()

    def _overload_locked(self, permit: int) -> None:
        self._clean = 0
        self._last_signal = self.clock()
        if not self._capped:
            # The first signal installs the cap; its decrease below applies at once
            # (64 -> 48), and the once-per-window rule then keeps the answers of
            # the burst already in flight from collapsing it.
            self._capped = True
            self._limit = float(self.initial_limit)
            self._mark = 0
        if permit <= self._mark:
            return  # already reacted to this window
        self._mark = self._started
        if self._whole_limit() > MIN_LIMIT:
            self._limit = max(float(MIN_LIMIT), self._limit * DECREASE_FACTOR)
            if self._severity == "healthy":
                self._severity = "soft"
        else:
            self._backoff = min(BACKOFF_MAX, self._backoff * 2 or BACKOFF_INITIAL)
            self._severity = "severe"

    def _success_locked(self) -> None:
        if not self._capped:
            return  # nothing to adapt: no cap to grow
        if self._backoff:
            self._backoff = 0.0
            self._severity = "soft"
        self._clean += 1
        if self._severity == "soft" and self._clean >= self._whole_limit():
            self._severity = "healthy"
        # Grow only while the limit is what holds calls back: an idle client
        # must not drift up to the ceiling and then release a burst at once.
        if self._in_flight + 1 + len(self._waiters) >= self._limit / 2:
            self._limit = min(float(self.max_limit), self._limit + 1.0 / self._limit)


class AcquirePermit(Effect):
    """Wait for a permit of ``limiter``; resume with the permit number.

    The sync driver blocks on a ``threading.Condition``, the async driver awaits
    a future; neither polls. Return the permit with ``limiter.release(permit)``
    in a ``finally`` block. A full queue raises
    :class:`~camunda_sdk.errors.BackpressureQueueFullError` into the stage,
    naming ``operation_id``.
    """

    __slots__ = ("limiter", "operation_id")

    def __init__(self, limiter: BackpressureState, operation_id: str | None = None) -> None:
        self.limiter = limiter
        self.operation_id = operation_id

    def run_sync(self, driver: SyncRunner) -> int:
        return self.limiter.acquire_sync(self.operation_id)

    async def run_async(self, driver: AsyncRunner) -> int:
        return await self.limiter.acquire_async(self.operation_id)


#: The client's limiter, shared by its views and its derived sync client.
LIMITER: StateKey[BackpressureState] = StateKey("backpressure")


def backpressure_state(client: object) -> BackpressureState | None:
    """The :class:`BackpressureState` of ``client`` (or of a ``ClientContext``).

    None when the ``backpressure`` plugin is disabled, the client has not
    built its pipeline, or ``client`` is neither.
    """
    context = client if isinstance(client, ClientContext) else getattr(client, "context", None)
    return context.state.get(LIMITER) if isinstance(context, ClientContext) else None


@hookimpl
def camunda_add_settings(settings: SettingRegistry) -> None:
    """Declare the profile, the limits and the bound of the waiting queue."""
    settings.add(PROFILE, INITIAL_LIMIT, MAX_LIMIT, MAX_WAITERS)


def state_from_config(config: SettingSource) -> BackpressureState:
    """Build a limiter from a configuration (or any object :meth:`Setting.read` accepts)."""
    profile = PROFILE.read(config)
    max_limit = MAX_LIMIT.read(config)
    initial = INITIAL_LIMIT.read(config)
    if initial > max_limit:
        if initial != INITIAL_LIMIT.default:
            raise ConfigurationError(
                f"{INITIAL_LIMIT.key}={initial} exceeds {MAX_LIMIT.key}={max_limit}",
                variable=INITIAL_LIMIT.key,
            )
        initial = max_limit  # only the default: a lower maximum alone is no mistake
    return BackpressureState(
        profile, initial_limit=initial, max_limit=max_limit, max_waiters=MAX_WAITERS.read(config)
    )


@hookimpl(wrapper=True)
def camunda_call_handler(context: ClientContext) -> Generator[None, Handler, Handler]:
    """Gate each attempt on the client's adaptive concurrency limit."""
    inner = yield
    limiter = context.state.get(LIMITER)
    if not isinstance(limiter, BackpressureState):  # also a value stored by name, untyped
        limiter = context.state[LIMITER] = state_from_config(context.config)
    # Kept when the pipeline is rebuilt (register_plugin), so calls in flight
    # return their permits to the limiter that new calls use.
    gating = limiter.gating

    def gate(call: Call) -> Generator[Effect, Any, Response]:
        gated = gating and not call.operation.drains
        if gated:
            permit = limiter.try_acquire()  # the common case takes no extra yield
            if permit is None:
                permit = yield AcquirePermit(limiter, call.operation.id)
        else:
            permit = limiter.enter()
        signal = LoadSignal.NEUTRAL
        try:
            if gated:
                pause = limiter.backoff_delay()
                if pause:
                    yield Sleep(pause)
            response = yield from inner(call)
            signal = classify(response)
            return response
        finally:
            limiter.release(permit, signal)

    return gate
