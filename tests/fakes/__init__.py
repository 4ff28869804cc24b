"""Test doubles for the SDK: a recording fake server, recording transports, spec helpers."""

from .recording import AsyncRecordingTransport, Exchange, Recorder, RecordingTransport
from .server import FakeServer, Part, RecordedRequest, canned
from .spec import OperationSpec, SpecDoc, load_spec, snake_case, spec_file

__all__ = [
    "AsyncRecordingTransport",
    "Exchange",
    "FakeServer",
    "OperationSpec",
    "Part",
    "RecordedRequest",
    "Recorder",
    "RecordingTransport",
    "SpecDoc",
    "canned",
    "load_spec",
    "snake_case",
    "spec_file",
]
