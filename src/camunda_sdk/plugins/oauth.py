"""Built-in plugin ``oauth``: the ``OAUTH`` strategy (OAuth 2.0 client credentials).

It answers :func:`~camunda_sdk.pipeline.hookspecs.camunda_auth_provider` for
``OAUTH`` with an :class:`OAuthProvider`, created once per client and kept in
``context.state[OAUTH_PROVIDER]``, so its token is shared by every call of the client.

The provider's ``flow`` is a sans-IO stage body like any other: the token request
is a :class:`~camunda_sdk.pipeline.http.Request` yielded as
:class:`~camunda_sdk.pipeline.effects.Send`, backoff is
:class:`~camunda_sdk.pipeline.effects.Sleep`, and the single-flight refresh
takes the client-wide lock ``camunda_sdk.oauth`` with
:class:`~camunda_sdk.pipeline.effects.Acquire`. The sync and the async client
therefore share this one implementation; the token request goes through the
client's own sender, with its TLS settings.

Behaviour:

- one token request however many calls need a token at once; a token is
  refreshed ahead of its expiry (at 90 % of ``expires_in`` or 30 s before it,
  whichever is earlier, but never before half its lifetime);
- a 401 from the cluster forces one refresh (unless another call already
  replaced the rejected token) and one replay; a second 401 is returned as is;
- connection errors, 408, 429 and 5xx from the token endpoint are retried with
  exponential backoff (3 attempts), then :class:`~camunda_sdk.errors.AuthenticationError`
  is raised (``transient`` True); other refusals (400 ``invalid_client`` ...)
  fail at once (``transient`` False);
- a fetch's outcome is shared: calls that queued on the lock while it ran get
  its error too instead of each repeating the fetch, and for
  ``CAMUNDA_SDK_OAUTH_FAILURE_COOLDOWN_MS`` after a failure further fetches fail
  at once with the same error, so a fleet of clients with a broken endpoint or
  wrong credentials does not hammer the identity provider;
- optional disk cache (``CAMUNDA_TOKEN_CACHE_DIR``), one ``0o600`` file per
  set of credentials, written atomically.

Neither the client secret nor a token ever reaches a log line, an exception
message or a ``repr``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import random
import secrets
import time
from collections.abc import Callable, Generator
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

import httpx

from .._redact import redact_url
from .._retry_after import parse_retry_after
from ..errors import AuthenticationError, ConfigurationError
from ..log import BoundLogger, NullLogger, make_logger
from ..pipeline.call import Call
from ..pipeline.context import ClientContext, StateKey
from ..pipeline.effects import Acquire, Effect, Send, Sleep
from ..pipeline.hookspecs import AuthProvider, Handler, hookimpl
from ..pipeline.http import Request, Response
from ..settings import Setting, SettingRegistry
from ..settings.core import TIMEOUT_MS

__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "FAILURE_COOLDOWN_MS",
    "LOCK_NAME",
    "OAUTH_URL",
    "TOKEN_AUDIENCE",
    "TOKEN_CACHE_DIR",
    "TOKEN_DISK_CACHE_DISABLE",
    "TOKEN_SCOPE",
    "OAuthProvider",
    "camunda_add_settings",
    "camunda_auth_provider",
    "expires_in_seconds",
]

OAUTH_URL: Setting[str] = Setting(
    "CAMUNDA_OAUTH_URL",
    "url",
    default="https://login.cloud.camunda.io/oauth/token",
    description="OAuth 2.0 token endpoint URL.",
)
CLIENT_ID: Setting[str | None] = Setting(
    "CAMUNDA_CLIENT_ID",
    aliases=("CAMUNDA_CLIENT_AUTH_CLIENTID",),
    description="OAuth client id.",
)
CLIENT_SECRET: Setting[str | None] = Setting(
    "CAMUNDA_CLIENT_SECRET",
    aliases=("CAMUNDA_CLIENT_AUTH_CLIENTSECRET",),
    secret=True,
    description="OAuth client secret.",
)
TOKEN_AUDIENCE: Setting[str] = Setting(
    "CAMUNDA_TOKEN_AUDIENCE", default="zeebe.camunda.io", description="OAuth token audience."
)
TOKEN_SCOPE: Setting[str | None] = Setting(
    "CAMUNDA_TOKEN_SCOPE", description="OAuth token scope, sent only when set."
)
TOKEN_CACHE_DIR: Setting[str | None] = Setting(
    "CAMUNDA_TOKEN_CACHE_DIR",
    "path",
    description="Directory of the OAuth token disk cache; no disk cache when unset.",
)
TOKEN_DISK_CACHE_DISABLE = Setting.flag(
    "CAMUNDA_TOKEN_DISK_CACHE_DISABLE",
    False,
    "Disable the OAuth token disk cache even when a directory is set.",
)
FAILURE_COOLDOWN_MS = Setting.milliseconds(
    "CAMUNDA_SDK_OAUTH_FAILURE_COOLDOWN_MS",
    3000,
    "After a failed OAuth token fetch, calls needing a token within this time fail at once "
    "with the same error (0: no cooldown).",
    maximum=600_000,
)

#: Name of the client-wide lock that makes token fetches single-flight.
LOCK_NAME = "camunda_sdk.oauth"

#: Lifetime assumed when the token response has no usable ``expires_in``.
DEFAULT_EXPIRES_IN = 300.0
#: Bounds applied to ``expires_in``: a tiny value would mean a token request per
#: call, a huge one a token kept long after the server forgot it.
MIN_EXPIRES_IN = 10.0
MAX_EXPIRES_IN = 24 * 3600.0
#: Refresh at most this long before expiry (and at least 10 % of the lifetime).
REFRESH_LEAD = 30.0

#: The client's :class:`OAuthProvider`: kept across pipeline rebuilds, so its token
#: (and refresh state) survives ``register_plugin``.
OAUTH_PROVIDER: StateKey[OAuthProvider] = StateKey("oauth")

_MAX_DETAIL = 200  # characters kept of an OAuth error_description
_MASK = "***"


def expires_in_seconds(raw: object) -> float:
    """Read a token response's ``expires_in`` liberally and bound it.

    Numbers and numeric strings are accepted; anything missing, non-numeric or
    non-finite gives :data:`DEFAULT_EXPIRES_IN`. The result is clamped to
    [:data:`MIN_EXPIRES_IN`, :data:`MAX_EXPIRES_IN`].
    """
    value: float | None = None
    if isinstance(raw, (int, float, str)) and not isinstance(raw, bool):
        try:
            value = float(raw)
        except ValueError:
            value = None
    if value is None or not math.isfinite(value):
        value = DEFAULT_EXPIRES_IN
    return min(max(value, MIN_EXPIRES_IN), MAX_EXPIRES_IN)


def _refresh_lead(lifetime: float) -> float:
    # "90 % of the lifetime or 30 s before expiry, whichever is earlier", i.e.
    # the larger lead; capped at half the lifetime so a short-lived token is
    # still used for a while rather than refreshed on every call.
    return min(max(0.1 * lifetime, REFRESH_LEAD), lifetime / 2)


class _Token:
    """An access token with its absolute expiry and refresh times (clock seconds)."""

    __slots__ = ("expires_at", "header", "refresh_at", "value")

    def __init__(self, value: str, expires_at: float, refresh_at: float) -> None:
        self.value = value
        self.expires_at = expires_at
        self.refresh_at = refresh_at
        # Built once per token, not per call.
        self.header = f"Bearer {value}"

    def __repr__(self) -> str:
        return f"_Token(<redacted>, expires_at={self.expires_at:.0f})"


class OAuthProvider(AuthProvider):
    """The ``OAUTH`` strategy: bearer tokens from an OAuth 2.0 client-credentials grant.

    One instance serves one client and holds its token; the hook creates it from
    the configuration (:meth:`from_context`). The keyword arguments after
    ``scope`` exist for tests and special setups.

    Args:
        oauth_url: the token endpoint.
        client_id: the OAuth client id.
        client_secret: the OAuth client secret (never logged or shown).
        audience: the ``audience`` form field.
        scope: the ``scope`` form field, sent only when set.
        logger: the SDK logger (``debug``/``warning`` are used).
        timeout: seconds for each token request (None: no timeout).
        cache_dir: directory of the disk cache, None for none.
        clock: wall-clock seconds; wall time rather than monotonic because
            disk-cached expiry times are shared between processes.
        rand: a ``random()``-like function for backoff jitter.
        max_attempts: token requests per fetch, the first included.
        backoff_base: first backoff delay in seconds (doubled per attempt).
        backoff_max: upper bound of one backoff delay in seconds.
        failure_cooldown: seconds after a failed fetch during which calls that
            need a token fail at once with that failure (0: none).
    """

    name = "OAUTH"

    def __init__(
        self,
        *,
        oauth_url: str,
        client_id: str,
        client_secret: str,
        audience: str | None = None,
        scope: str | None = None,
        logger: BoundLogger | None = None,
        timeout: float | None = 30.0,
        cache_dir: str | os.PathLike[str] | None = None,
        clock: Callable[[], float] = time.time,
        rand: Callable[[], float] = random.random,
        max_attempts: int = 3,
        backoff_base: float = 0.5,
        backoff_max: float = 5.0,
        failure_cooldown: float = 3.0,
    ) -> None:
        self.oauth_url = oauth_url
        self.client_id = client_id
        self.audience = audience
        self.scope = scope
        self._secret = client_secret
        self._log = logger if logger is not None else make_logger(NullLogger())
        self._safe_url = redact_url(oauth_url)
        self._timeout = timeout
        self._clock = clock
        self._rand = rand
        self._max_attempts = max(1, max_attempts)
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._current: _Token | None = None
        self._cooldown = max(0.0, failure_cooldown)
        # The last fetch's failure (None after a success), when it ended, and how
        # many fetches have ended: a call compares the count from before it
        # queued on the lock to learn whether a fetch ended while it waited.
        self._failure: AuthenticationError | None = None
        self._failed_at = 0.0
        self._fetches = 0
        form = {"grant_type": "client_credentials", "client_id": client_id}
        form["client_secret"] = client_secret
        if audience:
            form["audience"] = audience
        if scope:
            form["scope"] = scope
        # Encoded once: the body holds the secret, so it lives in one place only.
        self._form = urlencode(form).encode()
        self.cache_file: str | None = None
        if cache_dir is not None:
            self.cache_file = os.path.join(os.fspath(cache_dir), self._cache_name())

    @classmethod
    def from_context(cls, context: ClientContext) -> OAuthProvider:
        """Build the provider from the client's configuration.

        Raises:
            ConfigurationError: the client id or secret is missing.
        """
        config = context.config
        client_id = CLIENT_ID.read(config)
        secret = CLIENT_SECRET.read(config)
        # The auth plugin checks these already; a plugin-supplied config may not.
        if not client_id:
            raise ConfigurationError(
                "CAMUNDA_AUTH_STRATEGY=OAUTH needs CAMUNDA_CLIENT_ID", variable="CAMUNDA_CLIENT_ID"
            )
        if not secret:
            raise ConfigurationError(
                "CAMUNDA_AUTH_STRATEGY=OAUTH needs CAMUNDA_CLIENT_SECRET",
                variable="CAMUNDA_CLIENT_SECRET",
            )
        cache_dir = TOKEN_CACHE_DIR.read(config)
        if TOKEN_DISK_CACHE_DISABLE.read(config):
            cache_dir = None
        timeout_ms = TIMEOUT_MS.read(config)  # 0: none
        return cls(
            oauth_url=OAUTH_URL.read(config),
            client_id=client_id,
            client_secret=secret,
            audience=TOKEN_AUDIENCE.read(config),
            scope=TOKEN_SCOPE.read(config),
            logger=context.logger,
            timeout=timeout_ms / 1000 if timeout_ms else None,
            cache_dir=cache_dir or None,
            failure_cooldown=FAILURE_COOLDOWN_MS.read(config) / 1000,
        )

    def __repr__(self) -> str:
        return (
            f"OAuthProvider(url={self._safe_url!r}, client_id={self.client_id!r}, "
            f"audience={self.audience!r}, scope={self.scope!r}, client_secret=<redacted>)"
        )

    # -- the stage ---------------------------------------------------------------

    def flow(self, call: Call, inner: Handler) -> Generator[Effect, Any, Response]:
        """Add a bearer token to ``call``; on a 401 refresh it once and replay."""
        if "authorization" in call.headers:
            # An Authorization given for this call (with_options(headers=...)) wins,
            # as with Basic: the caller answers for it, so no refresh on 401 either.
            return (yield from inner(call))
        token = self._current
        if token is None or self._clock() >= token.refresh_at:
            token = yield from self._obtain(rejected=None)
        call.headers["authorization"] = token.header
        response = yield from inner(call)
        if response.status_code != 401:
            return response
        # The token may have been revoked or the clocks disagree about its
        # expiry: a 401 means the request was not processed, so one replay with
        # a fresh token is safe even for non-idempotent operations.
        self._log.debug(
            f"{call.operation.id}: 401 with the current OAuth token; refreshing and replaying once"
        )
        # No close(): Send returns responses already read (and so closed).
        token = yield from self._obtain(rejected=token)
        call.headers["authorization"] = token.header
        return (yield from inner(call))

    # -- single-flight token management ------------------------------------------

    def _obtain(self, rejected: _Token | None) -> Generator[Effect, Any, _Token]:
        """Return a usable token, fetching one under the client-wide lock if needed.

        ``rejected`` is the token a 401 was answered to: any other usable token
        (a concurrent call's refresh, another process's disk entry) will do.

        A call that finds the last fetch failed, either while it waited for the
        lock or within the cooldown, raises a copy of that failure instead of
        fetching again: 32 calls waiting on a fetch that failed get its error
        within that one fetch's retry budget, not each after a fetch of its own.
        """
        seen = self._fetches  # read before queueing: what ends meanwhile is ours
        lock = yield Acquire(LOCK_NAME)
        try:
            now = self._clock()
            # Re-check: the call that held the lock before us probably fetched one.
            token = self._current
            if self._usable(token, now, rejected):
                return token  # type: ignore[return-value]
            if self.cache_file is not None:
                cached = self._read_disk(now)
                if cached is not None and self._usable(cached, now, rejected):
                    self._current = cached
                    return cached
            try:
                shared = self._shared_failure(now, seen)
                if shared is not None:
                    raise shared
                try:
                    token = yield from self._fetch()
                except AuthenticationError as error:
                    self._fetches += 1
                    self._failure = error
                    self._failed_at = self._clock()
                    raise
            except AuthenticationError:
                old = self._current
                if rejected is None and old is not None and now < old.expires_at:
                    # A refresh ahead of expiry failed but the current token is
                    # still valid: keep serving calls with it and try again a
                    # little later instead of failing every call now.
                    retry_at = now + min(REFRESH_LEAD, (old.expires_at - now) / 2)
                    self._current = _Token(old.value, old.expires_at, retry_at)
                    self._log.warning(
                        f"OAuth token refresh at {self._safe_url} failed; using the current "
                        f"token until it expires in {old.expires_at - now:.0f} s"
                    )
                    return self._current
                raise
            self._fetches += 1
            self._failure = None
            self._current = token
            if self.cache_file is not None:
                self._write_disk(token)
            return token
        finally:
            lock.release()

    def _shared_failure(self, now: float, seen: int) -> AuthenticationError | None:
        """A copy of the last fetch's failure if this call must not fetch again.

        That is when a fetch failed while the call waited for the lock (whatever
        the cooldown), or the last failure is younger than the cooldown. A copy,
        not the object itself: raising one exception object from many calls at
        once would make them share and grow one traceback.
        """
        failure = self._failure
        if failure is None:
            return None
        age = now - self._failed_at
        # A clock that went backwards (wall time) ends the cooldown rather than
        # stretching it.
        if self._fetches == seen and not 0 <= age < self._cooldown:
            return None
        self._log.debug(
            f"OAuth token fetch from {self._safe_url} not attempted: the last one failed "
            f"{max(age, 0.0):.1f} s ago (cooldown {self._cooldown:g} s)"
        )
        again = AuthenticationError(failure.detail, url=self.oauth_url, status=failure.status)
        # Same cause as the original (the transport error, if any), so the copy
        # reads exactly like the failure it repeats.
        again.__cause__ = failure.__cause__
        again.__suppress_context__ = True
        return again

    @staticmethod
    def _usable(token: _Token | None, now: float, rejected: _Token | None) -> bool:
        if token is None or now >= token.refresh_at:
            return False
        return rejected is None or token.value != rejected.value

    def _request(self) -> Request:
        return Request(
            "POST",
            self.oauth_url,
            content=self._form,
            headers={
                "accept": "application/json",
                "content-type": "application/x-www-form-urlencoded",
            },
            timeout=self._timeout,
        )

    def _fetch(self) -> Generator[Effect, Any, _Token]:
        """Request a token, retrying transient failures with exponential backoff."""
        url = self._safe_url
        for attempt in range(1, self._max_attempts + 1):
            started = self._clock()
            retry_after: float | None = None
            cause: httpx.TransportError | None = None
            try:
                response = yield Send(self._request())
            except httpx.TransportError as exc:
                # The exception text never holds the request body; the type
                # name and message say enough (refused, timed out, TLS ...).
                cause = exc
                status: int | None = None
                problem = self._scrub(f"{type(exc).__name__}: {exc}")
                transient = True
            else:
                code: int = response.status_code
                if 200 <= code < 300:
                    return self._parse(response, started)
                status = code
                problem = self._describe_refusal(response)
                transient = code in (408, 429) or code >= 500
                if code == 429:
                    retry_after = parse_retry_after(response.headers.get("retry-after"))
            if not transient or attempt == self._max_attempts:
                tried = f" after {attempt} attempts" if attempt > 1 else ""
                self._log.warning(f"OAuth token request to {url} failed{tried}: {problem}")
                error = AuthenticationError(problem, url=self.oauth_url, status=status)
                if cause is not None:
                    raise error from cause
                raise error
            delay = min(self._backoff_max, self._backoff_base * 2 ** (attempt - 1))
            delay *= 0.5 + 0.5 * self._rand()  # jitter: many clients, one identity provider
            if retry_after is not None:
                delay = max(delay, min(retry_after, self._backoff_max))
            self._log.warning(
                f"OAuth token request to {url} failed ({problem}); "
                f"attempt {attempt} of {self._max_attempts}, retrying in {delay:.2f} s"
            )
            yield Sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _parse(self, response: Response, started: float) -> _Token:
        status = response.status_code
        try:
            payload = response.json()
        except ValueError:  # includes undecodable bytes
            raise AuthenticationError(
                "the token response is not valid JSON", url=self.oauth_url, status=status
            ) from None
        if not isinstance(payload, dict):
            raise AuthenticationError(
                "the token response is not a JSON object", url=self.oauth_url, status=status
            )
        value = payload.get("access_token")
        if not isinstance(value, str) or not value.strip():
            raise AuthenticationError(
                "the token response has no access_token", url=self.oauth_url, status=status
            )
        raw_expiry = payload.get("expires_in")
        lifetime = expires_in_seconds(raw_expiry)
        # Lifetimes count from when the request was sent: the conservative end.
        token = _Token(value, started + lifetime, started + lifetime - _refresh_lead(lifetime))
        note = "" if raw_expiry is not None else " (no expires_in in the response, assumed)"
        self._log.debug(
            f"OAuth token fetched from {self._safe_url} for client {self.client_id!r}: "
            f"valid {lifetime:.0f} s{note}, refresh in {token.refresh_at - started:.0f} s"
        )
        return token

    def _describe_refusal(self, response: Response) -> str:
        # The body of a refusal may echo the request (and with it the secret):
        # keep only the standard OAuth error fields (RFC 6749 section 5.2).
        text = f"token endpoint answered HTTP {response.status_code}"
        try:
            payload = response.json()
        except ValueError:
            return text
        if not isinstance(payload, dict):
            return text
        parts = [
            str(payload[key])[:_MAX_DETAIL]
            for key in ("error", "error_description")
            if isinstance(payload.get(key), (str, int, float)) and str(payload[key])
        ]
        if parts:
            text += ": " + " - ".join(parts)
        return self._scrub(text)

    def _scrub(self, text: str) -> str:
        """Mask the secret and the current token should a server or library echo them."""
        for value in (self._secret, self._current.value if self._current else None):
            if value:
                # As sent, and as a server echoing the form body would write it.
                for form in {value, quote_plus(value), quote(value, safe="")}:
                    text = text.replace(form, _MASK)
        return text

    # -- disk cache ----------------------------------------------------------------
    # The cache is touched only under the lock and only when a token is missing or
    # due (a few times an hour), and each access is one small file: doing it
    # synchronously inside the stage (even under the async driver) costs less
    # than handing it to a thread would.

    def _cache_name(self) -> str:
        # Everything that decides which token the server issues goes into the
        # name, so two credential sets never share a file; the secret only as a
        # hash, so the file name reveals nothing about it.
        secret_hash = hashlib.sha256(self._secret.encode("utf-8")).hexdigest()
        key = "\n".join(
            (self.oauth_url, self.client_id, self.audience or "", self.scope or "", secret_hash)
        )
        return f"camunda-oauth-{hashlib.sha256(key.encode('utf-8')).hexdigest()}.json"

    def _read_disk(self, now: float) -> _Token | None:
        path = self.cache_file
        assert path is not None
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
            value = data["access_token"]
            expires_at = float(data["expires_at"])
            refresh_at = float(data["refresh_at"])
            if not isinstance(value, str) or not value:
                raise ValueError("access_token")
            if not (math.isfinite(expires_at) and math.isfinite(refresh_at)):
                raise ValueError("times")
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # Corrupt or unreadable: ignore it; the next fetch overwrites it.
            self._log.debug(
                f"ignoring unusable OAuth token cache file {path}: {type(exc).__name__}"
            )
            return None
        # A far-future expiry would pin a token forever: bound it as if fresh.
        refresh_at = min(refresh_at, expires_at, now + MAX_EXPIRES_IN)
        if now >= refresh_at:
            return None
        self._log.debug(f"OAuth token read from cache file {path}")
        return _Token(value, expires_at, refresh_at)

    def _write_disk(self, token: _Token) -> None:
        path = self.cache_file
        assert path is not None
        directory = os.path.dirname(path) or "."
        payload = json.dumps(
            {
                "access_token": token.value,
                "expires_at": token.expires_at,
                "refresh_at": token.refresh_at,
            }
        ).encode("utf-8")
        tmp = os.path.join(
            directory, f".{os.path.basename(path)}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        )
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            # Created 0o600 from the start (not chmod-ed afterwards), so the token
            # is never readable by others, even for an instant.
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            fd = os.open(tmp, flags, 0o600)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(payload)
                os.replace(tmp, path)  # atomic: readers see the old or the new file
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            # The cache is an optimisation: a read-only or full disk must not fail calls.
            self._log.warning(
                f"could not write the OAuth token cache file {path}: {type(exc).__name__}"
            )
            return
        self._log.debug(f"OAuth token written to cache file {path}")


@hookimpl
def camunda_add_settings(settings: SettingRegistry) -> None:
    """Declare the OAuth endpoint, credentials, token fields, disk cache and cooldown settings."""
    settings.add(
        OAUTH_URL,
        CLIENT_ID,
        CLIENT_SECRET,
        TOKEN_AUDIENCE,
        TOKEN_SCOPE,
        TOKEN_CACHE_DIR,
        TOKEN_DISK_CACHE_DISABLE,
        FAILURE_COOLDOWN_MS,
    )


@hookimpl
def camunda_auth_provider(strategy: str, context: ClientContext) -> AuthProvider | None:
    """Provide the ``OAUTH`` strategy: one :class:`OAuthProvider` per client."""
    if strategy != "OAUTH":
        return None
    # The pipeline is rebuilt when plugins are registered later; reuse the
    # client's provider so its token (and refresh state) survives the rebuild.
    provider = context.state.get(OAUTH_PROVIDER)
    if not isinstance(provider, OAuthProvider):  # also a value stored by name, untyped
        provider = context.state[OAUTH_PROVIDER] = OAuthProvider.from_context(context)
    return provider
