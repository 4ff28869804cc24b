"""Test doubles for the SDK.

- ``recording``: :class:`Recorder` (every HTTP exchange; also a scripted
  ``httpx.MockTransport`` handler), recording transports, :class:`RecordingLogger`.
- ``server``: :class:`FakeServer`, canned answers by method and path.
- ``pipeline``: :class:`FakeTransport` and a context to build a stage chain on.
- ``jobs``: activated-job JSON and :class:`~fakes.jobs.FakeJobServer` (in memory).
- ``loopback``: an HTTP/1.1 server on a real loopback port, in a thread of its own.
- ``job_cluster``: :class:`~fakes.job_cluster.JobCluster`, the job endpoints on a
  real port (plus a token endpoint) with faults to inject and a ledger to check.
- ``spec``: the OpenAPI spec and example values made from it.
"""

from .pipeline import FakeTransport, handler_for, make_context
from .recording import (
    AsyncRecordingTransport,
    Exchange,
    Recorder,
    RecordingLogger,
    RecordingTransport,
    Reply,
)
from .server import FakeServer, Part, RecordedRequest, canned
from .spec import OperationSpec, SpecDoc, load_spec, snake_case, spec_file

__all__ = [
    "AsyncRecordingTransport",
    "Exchange",
    "FakeServer",
    "FakeTransport",
    "OperationSpec",
    "Part",
    "RecordedRequest",
    "Recorder",
    "RecordingLogger",
    "RecordingTransport",
    "Reply",
    "SpecDoc",
    "canned",
    "handler_for",
    "load_spec",
    "make_context",
    "snake_case",
    "spec_file",
]
