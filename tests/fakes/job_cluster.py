"""A fake Camunda cluster for job workers, on real loopback ports, that a test can break.

It runs on an event loop in a thread of its own, so sync and async tests drive
it alike, and it keeps a ledger of every job it handed out and every outcome
reported for it::

    with JobCluster(oauth=True) as cluster:
        keys = cluster.add_jobs(50)
        client = CamundaAsyncClient(cluster.settings(), environ={})
        ...start a worker for job type "work"...
        cluster.fail_next("/completion", 503, count=5)  # completions answered 503
        cluster.stop()  # cluster unreachable: connection refused, open ones cut
        cluster.start()  # back on the same port
        cluster.token_endpoint.stop()  # token endpoint refusing connections
        cluster.wait_for_outcomes(50)  # or: await cluster.wait_for_outcomes_async(50)
        cluster.assert_every_job_reported_once()

A real cluster answers 404 to an outcome for a job it does not know or that is
finished, and so does this one (the attempt is recorded all the same). Jobs
whose deadline passes are not activated again.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import re
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from .jobs import OUTCOME_PATH, job_json
from .loopback import DROP, EventLoopThread, HttpRequest, HttpResponse, LoopbackServer

__all__ = ["Handout", "JobCluster", "Outcome"]

_NO_CONTENT = HttpResponse(204)


@dataclass(frozen=True)
class Handout:
    """A job the cluster handed out: the JSON sent (deadline, lease token) and when (epoch s)."""

    key: str
    job: dict[str, Any]
    time: float


@dataclass(frozen=True)
class Outcome:
    """An outcome request for a job: ``kind`` is completion, failure or error.

    ``status`` is what the client was answered (None: the connection was dropped);
    ``accepted`` says whether the cluster applied it (at most one per job).
    """

    kind: str
    key: str
    body: Any
    time: float
    status: int | None
    accepted: bool


@dataclass
class _Fault:
    pattern: re.Pattern[str]
    method: str | None
    status: int | None  # None: the normal answer
    count: int
    delay: float
    drop: bool
    applied: bool


@dataclass
class _Ledger:
    queue: deque[dict[str, Any]] = field(default_factory=deque)
    activations: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    handouts: dict[str, Handout] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    finished: dict[str, Outcome] = field(default_factory=dict)
    other: list[tuple[float, str, str, Any]] = field(default_factory=list)
    unauthorized: list[tuple[float, str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)


class JobCluster:
    """The job endpoints of a cluster (and, with ``oauth``, an identity provider).

    Args:
        oauth: require ``Authorization: Bearer <issued token>`` on the API (401
            otherwise); tokens come from :attr:`token_endpoint`, on a port of its own.
        leases: hand out a ``leaseToken`` when an activation asks ``withLease``;
            an outcome for a leased job must carry it (409 otherwise).
        default_request_timeout_ms: the long poll of an activation whose
            ``requestTimeout`` is 0 or missing (0: answer at once).
        client_id, client_secret: the credentials the token endpoint accepts.
        expires_in: the lifetime of a token, in seconds.
    """

    def __init__(
        self,
        *,
        oauth: bool = False,
        leases: bool = True,
        default_request_timeout_ms: int = 0,
        client_id: str = "worker",
        client_secret: str = "worker-secret",
        expires_in: int = 300,
    ) -> None:
        self.oauth, self.leases = oauth, leases
        self.default_request_timeout_ms = default_request_timeout_ms
        self.client_id, self.client_secret, self.expires_in = client_id, client_secret, expires_in
        self._loop = EventLoopThread("job-cluster")
        self.api = LoopbackServer(self._serve_api, loop=self._loop)
        self.token_endpoint = LoopbackServer(self._serve_token, loop=self._loop)
        self._lock = threading.Lock()
        self._ledger = _Ledger()
        self._faults: list[_Fault] = []
        self._tokens: set[str] = set()
        self._token_mode: str | int = "ok"
        self._keys = itertools.count(2251799813690001)
        self._leases = itertools.count(1)
        self._pollers: set[asyncio.Future[None]] = set()
        self._waiters: list[tuple[int, concurrent.futures.Future[None]]] = []
        self.started_at = time.time()

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> JobCluster:
        """Listen: the API (again on the same port), and the token endpoint the first time."""
        self.api.start()
        if self.oauth and self.token_endpoint.port == 0:
            self.token_endpoint.start()
        return self

    def stop(self) -> None:
        """Take the API down: close its listening socket and cut every open connection.

        Clients see connection refused (and requests in flight, long polls
        included, reset). The token endpoint stays up: stop it with
        ``cluster.token_endpoint.stop()``.
        """
        self.api.stop()

    def restart(self) -> None:
        """:meth:`stop` the API, then :meth:`start` it on the same port."""
        self.api.restart()

    def close(self) -> None:
        """Stop both servers and the cluster's thread."""
        if self._loop.loop.is_closed():
            return
        self.api.stop()
        self.token_endpoint.stop()
        self._loop.close()

    def __enter__(self) -> JobCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def rest_address(self) -> str:
        """``http://127.0.0.1:<port>/v2``: ``CAMUNDA_REST_ADDRESS`` of a client."""
        return self.api.url + "/v2"

    @property
    def token_url(self) -> str:
        """The token endpoint's URL: ``CAMUNDA_OAUTH_URL`` of a client."""
        return self.token_endpoint.url + "/oauth/token"

    def settings(self, **extra: str) -> dict[str, str]:
        """A client configuration for this cluster (auth included), with ``extra`` on top."""
        out = {"CAMUNDA_REST_ADDRESS": self.rest_address, "CAMUNDA_AUTH_STRATEGY": "NONE"}
        if self.oauth:
            out.update(
                CAMUNDA_AUTH_STRATEGY="OAUTH",
                CAMUNDA_OAUTH_URL=self.token_url,
                CAMUNDA_CLIENT_ID=self.client_id,
                CAMUNDA_CLIENT_SECRET=self.client_secret,
                CAMUNDA_TOKEN_DISK_CACHE_DISABLE="true",
            )
        return {**out, **extra}

    # -- controls --------------------------------------------------------------------

    def add_jobs(self, jobs: int | Iterable[dict[str, Any]], **fields: Any) -> list[str]:
        """Queue ``jobs`` (a number, or field overrides of :func:`job_json` each); their keys.

        ``fields`` apply to every job (``type="payments"``). A held long poll is answered.
        """
        specs = [{}] * jobs if isinstance(jobs, int) else list(jobs)
        made = []
        for spec in specs:
            key = str(spec.get("jobKey") or next(self._keys))
            made.append(job_json(key, **{**fields, **spec, "jobKey": key}))
        with self._lock:
            self._ledger.queue.extend(made)
        self._loop.call(self._wake_pollers)
        return [job["jobKey"] for job in made]

    def fail_next(
        self,
        path: str = "",
        status: int | None = 503,
        count: int = 1,
        *,
        method: str | None = None,
        delay: float = 0.0,
        drop: bool = False,
        applied: bool = False,
    ) -> None:
        """Answer the next ``count`` API requests whose path matches ``path`` with a fault.

        A fault answers before the bearer token is checked, as a failing gateway would.

        Args:
            path: a regular expression searched in the path ("" matches every request).
            status: the status answered instead (a problem document; 503 and 429
                say RESOURCE_EXHAUSTED); None: the normal answer (with ``delay``:
                a slow cluster).
            method: only requests of this method.
            delay: seconds to hold the request first.
            drop: close the connection without answering.
            applied: carry the request out first (the job is completed, say) and
                only then answer with the fault: an answer lost on the way back.
        """
        fault = _Fault(re.compile(path), method, status, count, delay, drop, applied)
        with self._lock:
            self._faults.append(fault)

    def set_token_mode(self, mode: str | int) -> None:
        """How the token endpoint answers: ``"ok"``, ``"hang"`` (never), or a status (500, 503;
        401 means bad credentials)."""
        self._token_mode = mode

    def expire_tokens(self) -> None:
        """Forget every issued token: the API answers 401 until the client fetches a new one."""
        with self._lock:
            self._tokens.clear()

    # -- the ledger ------------------------------------------------------------------

    def _copy(self, name: str) -> Any:
        with self._lock:
            return getattr(self._ledger, name).copy()

    # Copies, safe to read while the cluster serves.
    activations = property(lambda self: self._copy("activations"), doc="(time, body)s.")
    handouts = property(lambda self: self._copy("handouts"), doc="Jobs handed out, by key.")
    outcomes = property(lambda self: self._copy("outcomes"), doc="Outcome requests, all.")
    finished = property(lambda self: self._copy("finished"), doc="Accepted outcomes, by key.")
    other = property(lambda self: self._copy("other"), doc="(time, method, path, body)s.")
    unauthorized = property(lambda self: self._copy("unauthorized"), doc="401s: (t, method, path)")
    token_requests = property(lambda self: self._copy("token_requests"), doc="Token forms.")
    queued = property(lambda self: len(self._copy("queue")), doc="Jobs waiting to be activated.")

    def wait_for_outcomes(self, n: int, timeout: float = 5.0) -> None:
        """Block until ``n`` jobs are finished; on timeout fail, showing the ledger."""
        try:
            self._waiter(n).result(timeout)
        except concurrent.futures.TimeoutError:
            raise AssertionError(self._shortfall(n)) from None

    async def wait_for_outcomes_async(self, n: int, timeout: float = 5.0) -> None:
        """:meth:`wait_for_outcomes` for a coroutine (the test's loop keeps running)."""
        try:
            await asyncio.wait_for(asyncio.wrap_future(self._waiter(n)), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(self._shortfall(n)) from None

    def assert_every_job_reported_once(self, *, before_deadline: bool = True) -> None:
        """Every job handed out ended with exactly one accepted outcome (by its deadline)."""

        def wrong(handout: Handout, accepted: list[Outcome]) -> bool:
            late = [o for o in accepted if o.time * 1000 > handout.job["deadline"]]
            return len(accepted) != 1 or (before_deadline and bool(late))

        offenders, total = self._ledger_lines(wrong)
        if offenders:
            raise AssertionError(
                f"{len(offenders)} of {total} jobs handed out did not end with exactly one "
                "accepted outcome before the deadline:\n  " + "\n  ".join(offenders)
            )

    # -- serving ---------------------------------------------------------------------

    async def _serve_api(self, request: HttpRequest) -> Any:
        fault = self._take_fault(request)
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault is not None and fault.status is None and not fault.drop:
            fault = None  # a delay alone: the normal answer
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if self.oauth and token not in self._tokens and (fault is None or fault.applied):
            with self._lock:
                self._ledger.unauthorized.append((time.time(), request.method, request.path))
            return _problem(401, request.path)
        answer = await self._route(request, apply=fault is None or fault.applied, fault=fault)
        if fault is None:
            return answer
        return DROP if fault.drop else _problem(fault.status or 503, request.path)

    async def _route(self, request: HttpRequest, apply: bool, fault: _Fault | None) -> Any:
        """Carry the request out (or, not ``apply``-ing it, only record it)."""
        body, match = request.json(), OUTCOME_PATH.match(request.path)
        if request.method == "POST" and request.path == "/v2/jobs/activation":
            with self._lock:
                self._ledger.activations.append((time.time(), body or {}))
            return await self._activate(body or {}) if apply else None
        if request.method == "POST" and match:
            return self._report(match["kind"], match["key"], body, apply, fault)
        with self._lock:
            self._ledger.other.append((time.time(), request.method, request.path, body))
        return _NO_CONTENT

    async def _activate(self, body: dict[str, Any]) -> HttpResponse:
        wait_ms = body.get("requestTimeout") or self.default_request_timeout_ms
        loop = asyncio.get_running_loop()
        until = loop.time() + max(wait_ms, 0) / 1000
        jobs = self._take_jobs(body)
        while not jobs and loop.time() < until:
            poller: asyncio.Future[None] = loop.create_future()
            self._pollers.add(poller)  # add_jobs wakes it
            try:
                await asyncio.wait_for(poller, until - loop.time())
            except asyncio.TimeoutError:
                pass
            finally:
                self._pollers.discard(poller)
            jobs = self._take_jobs(body)
        return HttpResponse.of_json(200, {"jobs": jobs})

    def _take_jobs(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        now = time.time()
        lease = bool(body.get("withLease")) and self.leases
        wanted = body.get("fetchVariable") or None
        taken: list[dict[str, Any]] = []
        with self._lock:
            queue, skipped = self._ledger.queue, []
            while queue and len(taken) < body.get("maxJobsToActivate", 1):
                job = queue.popleft()
                if job.get("type") != body.get("type"):
                    skipped.append(job)
                    continue
                job = {**job, "deadline": int(now * 1000) + int(body.get("timeout", 0))}
                job["worker"] = body.get("worker", job["worker"])
                job["leaseToken"] = f"lease-{job['jobKey']}-{next(self._leases)}" if lease else None
                if wanted is not None and isinstance(job["variables"], dict):
                    job["variables"] = {k: v for k, v in job["variables"].items() if k in wanted}
                self._ledger.handouts[job["jobKey"]] = Handout(job["jobKey"], job, now)
                taken.append(job)
            queue.extendleft(reversed(skipped))
        return taken

    def _report(self, kind: str, key: str, body: Any, apply: bool, fault: _Fault | None) -> Any:
        with self._lock:
            handout = self._ledger.handouts.get(key)
            lease = handout.job.get("leaseToken") if handout else None
            if handout is None or key in self._ledger.finished:
                status = 404
            elif lease and (body or {}).get("leaseToken") != lease:
                status = 409
            else:
                status = 204
            accepted = apply and status == 204
            shown = status if fault is None else (None if fault.drop else fault.status)
            self._ledger.outcomes.append(Outcome(kind, key, body, time.time(), shown, accepted))
            if accepted:
                self._ledger.finished[key] = self._ledger.outcomes[-1]
                for n, waiter in self._waiters:
                    if n <= len(self._ledger.finished) and not waiter.done():
                        waiter.set_result(None)
        return _NO_CONTENT if status == 204 else _problem(status, f"/v2/jobs/{key}/{kind}")

    async def _serve_token(self, request: HttpRequest) -> HttpResponse:
        if (request.method, request.path) != ("POST", "/oauth/token"):
            return _problem(404, request.path)
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        with self._lock:
            self._ledger.token_requests.append(form)
            n = len(self._ledger.token_requests)
        mode = self._token_mode
        if mode == "hang":
            await asyncio.get_running_loop().create_future()  # until the endpoint stops
        credentials = (form.get("client_id"), form.get("client_secret"))
        if mode == 401 or (mode == "ok" and credentials != (self.client_id, self.client_secret)):
            return HttpResponse.of_json(401, {"error": "invalid_client"})
        if mode != "ok":
            return HttpResponse.of_json(int(mode), {"error": "server_error"})
        token = f"token-{n}"
        with self._lock:
            self._tokens.add(token)
        answer = {"access_token": token, "expires_in": self.expires_in, "token_type": "Bearer"}
        return HttpResponse.of_json(200, answer)

    # -- helpers ---------------------------------------------------------------------

    def _take_fault(self, request: HttpRequest) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method not in (None, request.method):
                    continue
                if fault.count > 0 and fault.pattern.search(request.path):
                    fault.count -= 1
                    return fault
        return None

    def _wake_pollers(self) -> None:
        for poller in self._pollers:
            if not poller.done():
                poller.set_result(None)

    def _waiter(self, n: int) -> concurrent.futures.Future[None]:
        waiter: concurrent.futures.Future[None] = concurrent.futures.Future()
        with self._lock:
            if len(self._ledger.finished) >= n:
                waiter.set_result(None)
            else:
                self._waiters.append((n, waiter))
        return waiter

    def _ledger_lines(self, select: Any) -> tuple[list[str], int]:
        """A line per job handed out that ``select(handout, accepted outcomes)``; and the total."""
        with self._lock:
            handouts, outcomes = list(self._ledger.handouts.values()), list(self._ledger.outcomes)
        by_key: dict[str, list[Outcome]] = {}
        for outcome in outcomes:
            by_key.setdefault(outcome.key, []).append(outcome)
        lines, t0 = [], self.started_at
        for handout in handouts:
            tried = by_key.get(handout.key, [])
            if select(handout, [o for o in tried if o.accepted]):
                steps = ", ".join(
                    f"{o.kind} at {o.time - t0:.3f}s -> {o.status or 'dropped'}"
                    + (" (accepted)" if o.accepted else "")
                    for o in tried
                )
                lines.append(
                    f"job {handout.key}: handed out at {handout.time - t0:.3f}s, deadline "
                    f"{handout.job['deadline'] / 1000 - t0:.3f}s; outcomes: {steps or 'none'}"
                )
        return lines, len(handouts)

    def _shortfall(self, n: int) -> str:
        lines, _ = self._ledger_lines(lambda handout, accepted: not accepted)
        done = len(self.finished)
        return f"{done} of {n} jobs finished; unfinished:\n  " + "\n  ".join(lines or ["none"])


def _problem(status: int, path: str) -> HttpResponse:
    title = "RESOURCE_EXHAUSTED" if status in (429, 503) else HTTPStatus(status).phrase
    problem = {"type": "about:blank", "title": title, "status": status, "instance": path}
    return HttpResponse.of_json(status, {**problem, "detail": "answered by JobCluster"})
