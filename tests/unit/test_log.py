"""Unit tests of camunda_sdk.log: adapters, level filtering, bind, plain messages."""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterator
from typing import Any

import pytest
from fakes import RecordingLogger
from loguru import logger as loguru_logger

from camunda_sdk.errors import ConfigurationError
from camunda_sdk.log import BoundLogger, NullLogger, SdkLogger, make_logger


@pytest.fixture
def loguru_records() -> Iterator[list[Any]]:
    """Capture loguru records through a temporary sink (removed afterwards)."""
    records: list[Any] = []
    sink_id = loguru_logger.add(lambda m: records.append(m.record), level=1, format="{message}")
    try:
        yield records
    finally:
        loguru_logger.remove(sink_id)


# --- loguru (the default) ------------------------------------------------------------


def test_default_is_loguru_bound_with_sdk(loguru_records: list[Any]) -> None:
    log = make_logger(None, "info")
    log.info("hello")
    assert len(loguru_records) == 1
    record = loguru_records[0]
    assert record["message"] == "hello"
    assert record["level"].name == "INFO"
    assert record["extra"]["sdk"] == "camunda_sdk"
    # the record points at the code that logged, not at the adapter
    assert record["function"] == "test_default_is_loguru_bound_with_sdk"
    assert record["name"] == __name__


@pytest.mark.parametrize(
    ("level", "emitted"),
    [
        ("silent", []),
        ("error", ["ERROR"]),
        ("warn", ["WARNING", "ERROR"]),
        ("WARNING", ["WARNING", "ERROR"]),
        ("info", ["INFO", "WARNING", "ERROR"]),
        ("debug", ["DEBUG", "INFO", "WARNING", "ERROR"]),
        ("trace", ["TRACE", "DEBUG", "INFO", "WARNING", "ERROR"]),
        ("silly", ["TRACE", "DEBUG", "INFO", "WARNING", "ERROR"]),
    ],
)
def test_loguru_level_filtering(level: str, emitted: list[str], loguru_records: list[Any]) -> None:
    log = make_logger(None, level)
    log.trace("t")
    log.debug("d")
    log.info("i")
    log.warning("w")
    log.error("e")
    assert [r["level"].name for r in loguru_records] == emitted


def test_enabled_reflects_the_level() -> None:
    log = make_logger(None, "info")
    assert not log.enabled("trace")
    assert not log.enabled("debug")
    assert log.enabled("info")
    assert log.enabled("warn")
    assert log.enabled("warning")
    assert log.enabled("ERROR")
    silent = make_logger(None, "silent")
    assert not silent.enabled("error")
    with pytest.raises(ValueError, match="unknown log level"):
        log.enabled("loud")


def test_loguru_bind_adds_context_without_changing_parent(loguru_records: list[Any]) -> None:
    parent = make_logger(None, "debug")
    child = parent.bind(operation="getTopology")
    grandchild = child.bind(attempt=2)
    grandchild.debug("sent", status=200)
    parent.debug("plain")
    assert loguru_records[0]["extra"] == {
        "sdk": "camunda_sdk",
        "operation": "getTopology",
        "attempt": 2,
        "status": 200,
    }
    assert loguru_records[1]["extra"] == {"sdk": "camunda_sdk"}
    assert grandchild.context == {"operation": "getTopology", "attempt": 2}


def test_loguru_messages_are_not_formatted(loguru_records: list[Any]) -> None:
    make_logger(None, "info").info("braces {0} {name} and %s stay", name="x")
    assert loguru_records[0]["message"] == "braces {0} {name} and %s stay"


def test_loguru_exception_is_attached(loguru_records: list[Any]) -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        make_logger(None, "error").error("failed", exc=exc)
    assert loguru_records[0]["exception"].value.args == ("boom",)


def test_explicit_loguru_logger_is_filtered_too(loguru_records: list[Any]) -> None:
    log = make_logger(loguru_logger, "warn")
    log.info("dropped {x}")
    log.warning("kept {x}")
    assert [r["message"] for r in loguru_records] == ["kept {x}"]


def test_default_logger_does_not_touch_loguru_handlers() -> None:
    before = dict(loguru_logger._core.handlers)  # type: ignore[attr-defined]
    make_logger(None, "trace").debug("x")
    make_logger(None, "silent")
    assert dict(loguru_logger._core.handlers) == before  # type: ignore[attr-defined]


# --- stdlib logging ------------------------------------------------------------------


def test_stdlib_uses_its_own_level(caplog: pytest.LogCaptureFixture) -> None:
    std = logging.getLogger("test_log.stdlib")
    std.setLevel(logging.INFO)
    log = make_logger(std, "silent")  # our level does not apply to an injected logger
    with caplog.at_level(logging.INFO, logger="test_log.stdlib"):
        log.debug("dropped")
        log.info("kept")
        log.error("bad")
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.INFO, "kept"),
        (logging.ERROR, "bad"),
    ]
    assert log.enabled("info")
    assert not log.enabled("debug")


def test_stdlib_trace_maps_to_debug_and_bind_appends_context(
    caplog: pytest.LogCaptureFixture,
) -> None:
    std = logging.getLogger("test_log.stdlib2")
    log = make_logger(std, "error").bind(op="getTopology", note="two words")
    with caplog.at_level(logging.DEBUG, logger="test_log.stdlib2"):
        log.trace("traced 100%", attempt=1)
        assert log.enabled("trace")
    record = caplog.records[0]
    assert record.levelno == logging.DEBUG
    assert record.getMessage() == "traced 100% [op=getTopology note='two words' attempt=1]"
    assert record.funcName == "test_stdlib_trace_maps_to_debug_and_bind_appends_context"


def test_stdlib_exception(caplog: pytest.LogCaptureFixture) -> None:
    log = make_logger(logging.getLogger("test_log.stdlib3"), "error")
    with caplog.at_level(logging.WARNING, logger="test_log.stdlib3"):
        try:
            raise ValueError("x")
        except ValueError as exc:
            log.warning("careful", exc=exc)
    assert caplog.records[0].exc_info is not None


def test_stdlib_adapter_is_supported(caplog: pytest.LogCaptureFixture) -> None:
    adapter = logging.LoggerAdapter(logging.getLogger("test_log.adapter"), {})
    with caplog.at_level(logging.INFO, logger="test_log.adapter"):
        make_logger(adapter, "error").info("via adapter")
    assert caplog.records[0].getMessage() == "via adapter"


def test_stdlib_logger_survives_pickling(caplog: pytest.LogCaptureFixture) -> None:
    log = make_logger(logging.getLogger("test_log.pickle"), "error").bind(k="v")
    copy = pickle.loads(pickle.dumps(log))
    with caplog.at_level(logging.INFO, logger="test_log.pickle"):
        copy.info("after pickling")
    assert caplog.records[0].getMessage() == "after pickling [k=v]"


# --- custom objects ------------------------------------------------------------------


def test_custom_object_gets_plain_strings_and_context() -> None:
    target = RecordingLogger(trace=False)
    assert isinstance(target, SdkLogger)
    log = make_logger(target, "error").bind(job="123")
    log.trace("t {x}")
    log.debug("d")
    log.info("i", worker="w")
    log.warning("w")
    log.error("e")
    assert target.calls == [
        ("debug", "t {x} [job=123]", {}),
        ("debug", "d [job=123]", {}),
        ("info", "i [job=123 worker=w]", {}),
        ("warning", "w [job=123]", {}),
        ("error", "e [job=123]", {}),
    ]
    assert log.enabled("trace")


def test_custom_object_trace_method_is_used() -> None:
    target = RecordingLogger()
    make_logger(target, "error").trace("fine-grained")
    assert target.calls == [("trace", "fine-grained", {})]


def test_custom_object_receives_exception() -> None:
    target = RecordingLogger()
    exc = RuntimeError("boom")
    make_logger(target, "error").error("failed", exc=exc)
    assert target.calls == [("error", "failed", {"exc_info": exc})]


def test_object_without_logging_methods_is_rejected() -> None:
    with pytest.raises(TypeError, match="debug, info, warning and error"):
        make_logger(object(), "error")


# --- NullLogger and odds and ends ----------------------------------------------------


def test_null_logger_discards_everything(loguru_records: list[Any]) -> None:
    log = make_logger(NullLogger(), "trace")
    for level in ("trace", "debug", "info", "warning", "error"):
        assert not log.enabled(level)
        getattr(log, level)("nothing")
    assert log.bind(a=1) is log
    assert loguru_records == []


def test_null_logger_is_picklable_and_usable_directly() -> None:
    null = pickle.loads(pickle.dumps(NullLogger()))
    assert isinstance(null, NullLogger)
    null.debug("x", 1, key=2)
    null.error("y")
    assert null.bind(a=1) is null


def test_loguru_bound_logger_pickles_to_a_silent_one() -> None:
    copy = pickle.loads(pickle.dumps(make_logger(None, "debug").bind(a=1)))
    assert isinstance(copy, BoundLogger)
    assert not copy.enabled("error")


def test_bound_logger_is_returned_unchanged() -> None:
    log = make_logger(RecordingLogger(), "error")
    assert make_logger(log, "debug") is log


def test_unknown_level_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="CAMUNDA_SDK_LOG_LEVEL") as info:
        make_logger(None, "chatty")
    assert info.value.variable == "CAMUNDA_SDK_LOG_LEVEL"
