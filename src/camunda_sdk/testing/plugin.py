"""pytest plugin: integration tests against recorded Camunda cassettes.

Registered through the ``pytest11`` entry point, so installing ``camunda_sdk``
(with vcrpy, e.g. ``pip install camunda-sdk[testing]``) is enough. It provides:

- the marker ``@pytest.mark.camunda_cassette`` / ``camunda_cassette("name")``;
- the fixtures ``camunda_client`` and ``camunda_async_client`` (clients built
  from the ``CAMUNDA_*`` environment, with the cassette active), ``camunda_cassette``
  (the vcrpy cassette), ``camunda_configuration`` and ``camunda_vcr_config``
  (override them to customise the clients and vcrpy);
- the option ``--camunda-record-mode`` and the ini options
  ``camunda_cassette_dir``, ``camunda_scrub_values`` and ``camunda_scrub_headers``.

Importing this module is cheap: vcrpy and the SDK client are imported only
when a test asks for a cassette. See ``docs/testing.md``.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncGenerator, Generator, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from vcr.cassette import Cassette

    from camunda_sdk.client import CamundaAsyncClient, CamundaClient

__all__ = [
    "RECORD_MODES",
    "camunda_async_client",
    "camunda_cassette",
    "camunda_cassette_path",
    "camunda_client",
    "camunda_configuration",
    "camunda_record_mode",
    "camunda_vcr_config",
    "default_record_mode",
    "secret_values",
]

# The dev cluster's fixtures (camunda_dev_cluster, ...): a plugin of their own.
pytest_plugins = ["camunda_sdk.testing.devcluster"]

RECORD_MODES = ("none", "once", "new_episodes", "all")
MARKER = "camunda_cassette"

# Environment variables whose values are always scrubbed; the SDK's configuration
# table adds every other secret setting (and alias) it knows when importable.
_SECRET_ENV = (
    "CAMUNDA_CLIENT_SECRET",
    "CAMUNDA_CLIENT_AUTH_CLIENTSECRET",
    "CAMUNDA_BASIC_AUTH_PASSWORD",
)

# Settings the fixtures pin so a recording is reproducible: a token cached on
# disk by an earlier run would make the token request vanish from the cassette.
_PINNED_CONFIG = {"CAMUNDA_TOKEN_DISK_CACHE_DISABLE": "true"}


# -- options and marker ------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--camunda-record-mode`` and the ``camunda_*`` ini options."""
    group = parser.getgroup("camunda", "camunda_sdk recorded cassettes")
    group.addoption(
        "--camunda-record-mode",
        choices=RECORD_MODES,
        default=None,
        help="vcrpy record mode for Camunda cassettes (default: 'none' when $CI is set, "
        "else 'once')",
    )
    parser.addini(
        "camunda_cassette_dir",
        "folder of Camunda cassettes, relative to the rootdir (default: cassettes)",
        default="cassettes",
    )
    parser.addini(
        "camunda_scrub_values",
        "secret values to scrub from cassettes, one a line; $NAME takes the value of "
        "environment variable NAME",
        type="linelist",
        default=[],
    )
    parser.addini(
        "camunda_scrub_headers",
        "extra header names whose values are scrubbed from cassettes",
        type="linelist",
        default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(name=None): run the test with a recorded Camunda cassette "
        "(default file: <camunda_cassette_dir>/<module>/<test>.yaml)",
    )


def default_record_mode(environ: Mapping[str, str] | None = None) -> str:
    """``none`` on CI (``$CI`` set and not false), ``once`` elsewhere."""
    env = os.environ if environ is None else environ
    ci = env.get("CI", "").strip().lower()
    return "none" if ci and ci not in ("0", "false", "no") else "once"


def secret_values(
    environ: Mapping[str, str] | None = None,
    ini_values: Iterable[str] = (),
    configuration: Mapping[str, Any] | None = None,
) -> list[str]:
    """Every secret value to scrub: secret ``CAMUNDA_*`` settings from the
    environment and ``configuration``, plus the ini's ``camunda_scrub_values``."""
    env = os.environ if environ is None else environ
    keys: set[str] = set(_SECRET_ENV)
    try:
        from camunda_sdk.config import builtin_settings

        for setting in builtin_settings():
            if setting.secret:
                keys.add(setting.key)
                keys.update(setting.aliases)
    except ImportError:  # pragma: no cover - the config module ships with the SDK
        pass
    values = [env.get(key) for key in sorted(keys)]
    if configuration:
        # Keys of configuration={...} are accepted in any case (camunda_client_secret).
        given = {str(k).strip().upper(): v for k, v in configuration.items()}
        values += [str(given[k]) for k in sorted(keys) if given.get(k)]
    for entry in ini_values:
        entry = entry.strip()
        if entry.startswith("$"):
            values.append(env.get(entry[1:]))
        elif entry:
            values.append(entry)
    return [v for v in values if v]


# -- cassette state and failures -------------------------------------------------------


class _CassetteState:
    """What the plugin knows about the cassette of the running test."""

    def __init__(self, cassette: Cassette, path: Path, record_mode: str, rootdir: Path) -> None:
        self.cassette = cassette
        self.path = path
        self.record_mode = record_mode
        self.rootdir = rootdir
        self.misses: list[Any] = []
        self.empty_polls = 0

    def watch(self) -> None:
        """Hook into the cassette to note misses and answer exhausted long polls.

        vcrpy raises for a request it can neither replay nor record inside the
        HTTP stack; code under test may catch that (a worker's poll loop does), so
        the plugin keeps its own list of misses and fails the test afterwards too.

        A worker polls for jobs as often as timing allows, so a replay may ask
        for more job activations than were recorded. Once every recorded answer
        to an activation request has been played, further identical requests get
        an immediate empty answer (no jobs), as a server with no work would give.
        """
        cassette = self.cassette
        can_play = cassette.can_play_response_for
        play = cassette.play_response

        def can_play_response_for(request: Any) -> Any:
            ok = can_play(request)
            if ok or not cassette.write_protected:
                return ok
            filtered = cassette.filter_request(request)
            if not filtered:
                return ok
            if _is_activation(filtered) and _recorded(cassette, request):
                return True
            self.misses.append(request)
            return ok

        def play_response(request: Any) -> Any:
            if _is_activation(request) and not can_play(request):
                self.empty_polls += 1
                return _empty_activation()
            return play(request)

        cassette.can_play_response_for = can_play_response_for  # type: ignore[method-assign]
        cassette.play_response = play_response  # type: ignore[method-assign]

    def display_path(self) -> str:
        try:
            return str(self.path.relative_to(self.rootdir))
        except ValueError:
            return str(self.path)

    def miss_message(self) -> str:
        """The failure message for the first unrecorded request."""
        from vcr.errors import CannotOverwriteExistingCassetteException

        request = self.misses[0]
        filtered = self.cassette.filter_request(request) or request
        target = filtered.path + (f"?{filtered.parsed_uri.query}" if filtered.query else "")
        exists = self.path.exists()
        where = f"cassette {self.display_path()}" + ("" if exists else " (the file does not exist)")
        lines = [
            f"Unrecorded request {request.method} {target} in {where}, "
            f"record mode {self.record_mode!r}.",
        ]
        if len(self.misses) > 1:
            lines.append(f"({len(self.misses)} unrecorded requests in all.)")
        lines += [
            "Re-record it against a cluster with --camunda-record-mode=new_episodes (add it) "
            "or --camunda-record-mode=all (record the test anew).",
            "",
            "vcrpy says:",
            str(
                CannotOverwriteExistingCassetteException(
                    cassette=self.cassette, failed_request=filtered
                )
            ),
        ]
        return "\n".join(lines)


_STATE = pytest.StashKey[_CassetteState]()


def _empty_activation() -> dict[str, Any]:
    """What a replayed, exhausted job activation long poll answers."""
    return {
        "status": {"code": 200, "message": "OK"},
        "headers": {"content-type": ["application/json"]},
        "body": {"string": b'{"jobs":[]}'},
    }


def _is_activation(request: Any) -> bool:
    return request.method == "POST" and request.path.rstrip("/").endswith("/jobs/activation")


def _recorded(cassette: Any, request: Any) -> bool:
    """Whether the cassette holds this request at all, played or not."""
    try:
        return bool(cassette.responses_of(request))
    except Exception:  # vcrpy raises UnhandledHTTPRequestError for "none"
        return False


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Turn an unrecorded request into a failure that names it and the cassette."""
    try:
        result = yield
    except Exception:
        state = item.stash.get(_STATE, None)
        if state is not None and state.misses:
            # The miss is the root cause even when code under test turned it into
            # another error: report it instead.
            raise pytest.fail.Exception(state.miss_message(), pytrace=False) from None
        raise
    state = item.stash.get(_STATE, None)
    if state is not None and state.misses:
        pytest.fail(state.miss_message(), pytrace=False)
    return result


# -- fixtures ----------------------------------------------------------------------------


@pytest.fixture
def camunda_record_mode(request: pytest.FixtureRequest) -> str:
    """The record mode in force: ``--camunda-record-mode`` or :func:`default_record_mode`."""
    mode = request.config.getoption("--camunda-record-mode", default=None)
    return str(mode or default_record_mode())


_UNSAFE = re.compile(r"[^\w.\-\[\]=,+]")


@pytest.fixture
def camunda_cassette_path(request: pytest.FixtureRequest) -> Path:
    """Where this test's cassette lives.

    ``<rootdir>/<camunda_cassette_dir>/<module>/<test>.yaml``; a test inside a
    class is named ``<Class>.<test>``; the marker's argument replaces the file name
    (``.yaml`` is added when missing; an absolute path is used as is).
    """
    config = request.config
    folder = Path(str(config.getini("camunda_cassette_dir") or "cassettes"))
    if not folder.is_absolute():
        folder = config.rootpath / folder
    module = Path(str(request.node.path)).stem
    marker = request.node.get_closest_marker(MARKER)
    name = (marker.args[0] if marker and marker.args else None) or (
        marker.kwargs.get("name") if marker else None
    )
    if name:
        name = str(name)
        if not name.endswith((".yaml", ".yml")):
            name += ".yaml"
        if Path(name).is_absolute():
            return Path(name)
        return folder / module / name
    test = request.node.name
    if request.cls is not None:
        test = f"{request.cls.__name__}.{test}"
    return folder / module / (_UNSAFE.sub("_", test) + ".yaml")


@pytest.fixture
def camunda_vcr_config() -> dict[str, Any]:
    """Extra ``vcr.VCR`` settings; override in a conftest to customise.

    ``before_record_request``/``before_record_response`` given here run before the
    plugin's scrubbing; ``match_on`` replaces the default matchers.
    """
    return {}


@pytest.fixture
def camunda_configuration() -> Mapping[str, Any] | None:
    """Explicit ``CAMUNDA_*`` settings for the fixture clients (default: the environment only)."""
    return None


@pytest.fixture
def camunda_cassette(
    request: pytest.FixtureRequest,
    camunda_record_mode: str,
    camunda_cassette_path: Path,
    camunda_vcr_config: dict[str, Any],
    camunda_configuration: Mapping[str, Any] | None,
) -> Generator[Cassette, None, None]:
    """The vcrpy cassette of this test, active while the test runs."""
    from .scrub import Scrubber

    config = request.config
    scrubber = Scrubber(
        secret_values(
            ini_values=config.getini("camunda_scrub_values"), configuration=camunda_configuration
        ),
        headers=config.getini("camunda_scrub_headers"),
    )
    vcr = _make_vcr(camunda_vcr_config, scrubber, camunda_record_mode)
    with vcr.use_cassette(str(camunda_cassette_path)) as cassette:
        state = _CassetteState(
            cassette, camunda_cassette_path, camunda_record_mode, config.rootpath
        )
        state.watch()
        request.node.stash[_STATE] = state
        try:
            yield cassette
        finally:
            del request.node.stash[_STATE]


def _make_vcr(user: Mapping[str, Any], scrubber: Any, record_mode: str) -> Any:
    import vcr

    from .matchers import MATCH_ON, camunda_body, camunda_path

    options = dict(user)
    before_request = _as_list(options.pop("before_record_request", None))
    before_response = _as_list(options.pop("before_record_response", None))
    options.setdefault("match_on", MATCH_ON)
    options.setdefault("decode_compressed_response", True)  # scrub and read plain bodies
    options["record_mode"] = record_mode
    if record_mode == "all":
        # Re-recording replaces the cassette: stale interactions must not linger.
        options.setdefault("drop_unused_requests", True)
    # Scrubbing runs last, so nothing a user hook adds escapes it.
    options["before_record_request"] = [*before_request, scrubber.request]
    options["before_record_response"] = [*before_response, scrubber.response]
    instance = vcr.VCR(**options)
    instance.register_matcher("camunda_path", camunda_path)
    instance.register_matcher("camunda_body", camunda_body)
    return instance


def _as_list(hooks: Any) -> list[Any]:
    if hooks is None:
        return []
    if callable(hooks):
        return [hooks]
    return list(hooks)


@pytest.fixture(autouse=True)
def _camunda_cassette_marker(request: pytest.FixtureRequest) -> None:
    # The marker alone activates the cassette; tests without it pay one lookup.
    if request.node.get_closest_marker(MARKER) is not None:
        request.getfixturevalue("camunda_cassette")


def _client_configuration(configuration: Mapping[str, Any] | None) -> dict[str, Any]:
    return {**_PINNED_CONFIG, **(configuration or {})}


@pytest.fixture
def camunda_client(
    camunda_cassette: Cassette, camunda_configuration: Mapping[str, Any] | None
) -> Generator[CamundaClient, None, None]:
    """A :class:`~camunda_sdk.client.CamundaClient` from the ``CAMUNDA_*`` environment,
    talking through this test's cassette."""
    from camunda_sdk.client import CamundaClient

    client = CamundaClient(configuration=_client_configuration(camunda_configuration))
    try:
        yield client
    finally:
        client.close()


def _async_client(configuration: Mapping[str, Any] | None) -> CamundaAsyncClient:
    from camunda_sdk.client import CamundaAsyncClient

    return CamundaAsyncClient(configuration=_client_configuration(configuration))


def _async_client_without_loop_plugin(
    camunda_cassette: Cassette, camunda_configuration: Mapping[str, Any] | None
) -> CamundaAsyncClient:
    """A :class:`~camunda_sdk.client.CamundaAsyncClient` with this test's cassette
    (without pytest-asyncio it is not closed for you: ``await client.close()``)."""
    return _async_client(camunda_configuration)


async def _async_client_fixture(
    camunda_cassette: Cassette, camunda_configuration: Mapping[str, Any] | None
) -> AsyncGenerator[CamundaAsyncClient, None]:
    """A :class:`~camunda_sdk.client.CamundaAsyncClient` from the ``CAMUNDA_*``
    environment, talking through this test's cassette."""
    client = _async_client(camunda_configuration)
    try:
        yield client
    finally:
        await client.close()


def _define_async_client_fixture() -> Any:
    try:  # pytest-asyncio runs async fixtures; when installed it is loaded anyway
        import pytest_asyncio
    except ImportError:  # pragma: no cover - exercised only without pytest-asyncio
        return pytest.fixture(name="camunda_async_client")(_async_client_without_loop_plugin)
    return pytest_asyncio.fixture(name="camunda_async_client")(_async_client_fixture)


camunda_async_client = _define_async_client_fixture()
