"""A recording fake of the REST API on ``httpx.MockTransport``.

It answers from canned JSON (the files in ``canned/`` or values given in a test),
records every request, and decodes multipart bodies so a test can check the
parts' names, filenames and form fields::

    fake = FakeServer()
    fake.add("POST", "/deployments", canned("deployment_result.json"))
    client = CamundaClient(configuration=..., transport=fake.transport())
    ...
    (request,) = fake.requests
    assert [p.filename for p in request.parts("resources")] == ["a.bpmn", "b.dmn"]

The same transport serves ``CamundaClient`` and ``CamundaAsyncClient``
(``httpx.MockTransport`` implements both interfaces). Where a real socket is
needed (recording cassettes), :meth:`FakeServer.serve` puts the fake on a
loopback port; a route's body may then be computed from the request::

    fake = FakeServer(base_path="")
    fake.add("POST", "/v2/echo", lambda request: {"echo": request.json()})
    with fake.serve() as url:
        httpx.post(url + "/v2/echo", json=[1])
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

import httpx

from .loopback import HttpRequest, HttpResponse, LoopbackServer

__all__ = ["CANNED_DIR", "FakeServer", "Part", "RecordedRequest", "canned"]

CANNED_DIR = Path(__file__).parent / "canned"
BASE_PATH = "/v2"


def canned(name: str) -> Any:
    """Load the canned JSON document ``canned/<name>``."""
    return json.loads((CANNED_DIR / name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Part:
    """One part of a ``multipart/form-data`` body."""

    name: str
    filename: str | None
    content_type: str | None
    content: bytes

    @property
    def text(self) -> str:
        """The part's content decoded as UTF-8."""
        return self.content.decode("utf-8")


@dataclass
class RecordedRequest:
    """A request the fake received."""

    method: str
    path: str
    params: dict[str, list[str]]
    headers: httpx.Headers
    content: bytes = field(repr=False)

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.content)

    @property
    def content_type(self) -> str:
        """The ``content-type`` header (empty when absent)."""
        return self.headers.get("content-type", "")

    def multipart(self) -> list[Part]:
        """Every part of a ``multipart/form-data`` body, in order."""
        if not self.content_type.startswith("multipart/form-data"):
            raise AssertionError(f"not a multipart body: {self.content_type!r}")
        head = f"Content-Type: {self.content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + self.content)
        if not message.is_multipart():
            raise AssertionError("multipart body could not be parsed")
        parts: list[Part] = []
        for sub in message.iter_parts():
            assert isinstance(sub, Message)
            payload = sub.get_payload(decode=True)
            parts.append(
                Part(
                    name=str(sub.get_param("name", header="content-disposition") or ""),
                    filename=sub.get_filename(),
                    content_type=sub.get("content-type"),
                    content=payload if isinstance(payload, bytes) else b"",
                )
            )
        return parts

    def parts(self, name: str) -> list[Part]:
        """The multipart parts called ``name``."""
        return [p for p in self.multipart() if p.name == name]

    def form(self) -> dict[str, str]:
        """The multipart parts that are plain form fields (no filename), by name."""
        return {p.name: p.text for p in self.multipart() if p.filename is None}


@dataclass
class _Route:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: Any
    headers: dict[str, str]


class FakeServer:
    """Answers canned responses by method and path template; records every request.

    Paths are templates relative to ``base_path`` (``/process-instances/{processInstanceKey}``).
    Requests that match no route get a 404 problem document. ``headers`` are
    added to every answer.
    """

    def __init__(self, base_path: str = BASE_PATH, headers: dict[str, str] | None = None) -> None:
        self.base_path = base_path.rstrip("/")
        self.headers = headers or {}
        self.url: str | None = None  # while serve() runs: http://127.0.0.1:<port>
        self.requests: list[RecordedRequest] = []
        self._routes: list[_Route] = []

    def add(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> FakeServer:
        """Answer ``method path`` with ``status`` and the JSON ``body`` (None: no content).

        ``body`` may be a function of the :class:`RecordedRequest` returning the JSON body.
        """
        regex = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(self.base_path + path))
        self._routes.append(
            _Route(method.upper(), re.compile(regex + "$"), status, body, headers or {})
        )
        return self

    def transport(self) -> httpx.MockTransport:
        """An ``httpx.MockTransport`` (sync and async) served by this fake."""
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Record ``request`` and return the first matching canned response."""
        recorded = RecordedRequest(
            method=request.method,
            path=request.url.path,
            params={k: request.url.params.get_list(k) for k in request.url.params},
            headers=request.headers,
            content=request.read(),
        )
        self.requests.append(recorded)
        for route in self._routes:
            if route.method == request.method and route.pattern.match(request.url.path):
                headers = {**self.headers, **route.headers}
                body = route.body(recorded) if callable(route.body) else route.body
                if body is None:
                    return httpx.Response(route.status, headers=headers)
                return httpx.Response(route.status, json=body, headers=headers)
        problem = {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "detail": f"the fake has no route for {request.method} {request.url.path}",
            "instance": request.url.path,
        }
        return httpx.Response(
            404, json=problem, headers={**self.headers, "content-type": "application/problem+json"}
        )

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve this fake on a loopback port meanwhile; yields its URL (``http://127.0.0.1:N``)."""

        async def answer(raw: HttpRequest) -> HttpResponse:
            request = httpx.Request(
                raw.method, "http://127.0.0.1" + raw.target, headers=raw.headers, content=raw.body
            )
            response = self.handle(request)
            return HttpResponse(response.status_code, response.content, dict(response.headers))

        with LoopbackServer(answer) as server:
            self.url = server.url
            try:
                yield server.url
            finally:
                self.url = None
