"""The engine: deployments, process instances, tokens, jobs, messages, timers and incidents.

`Engine` is a single-threaded state machine with all state in memory. Each public method
validates its input and the state it acts on first (raising `NotFound`, `InvalidArgument`
or `Conflict` without changing anything), then mutates, then runs the process instances it
touched forward until they wait again (for a job, a message, a timer, a user, a join).
What fails at run time (a condition that is not boolean, a job without retries, an error
nobody catches) becomes an incident, as on Camunda, never an exception.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import logging
import re
from collections import ChainMap, deque
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from camunda_sdk.devcluster.engine.clock import Clock, format_timestamp
from camunda_sdk.devcluster.engine.errors import (
    Conflict,
    DeploymentRejected,
    InvalidArgument,
    NotFound,
)
from camunda_sdk.devcluster.engine.expressions import (
    CompiledExpression,
    ExpressionFailed,
    Property,
    evaluate,
    to_json,
    type_name,
)
from camunda_sdk.devcluster.engine.model import (
    Flow,
    Node,
    ProcessModel,
    VariableMapping,
    parse_bpmn,
    parse_form,
)
from camunda_sdk.devcluster.engine.records import (
    DEFAULT_TENANT,
    ActivatedJob,
    CorrelatedMessageRecord,
    DeploymentFormRecord,
    DeploymentProcessRecord,
    DeploymentRecord,
    ElementInstanceRecord,
    FormRecord,
    IncidentRecord,
    JobRecord,
    MessageCorrelationRecord,
    MessageRecord,
    MessageSubscriptionRecord,
    ProcessDefinitionRecord,
    ProcessInstanceRecord,
    SignalRecord,
    UserTaskRecord,
    VariableRecord,
)
from camunda_sdk.devcluster.engine.timers import (
    Cycle,
    add_duration,
    date_from_value,
    duration_from_value,
    parse_cycle,
    parse_date,
)

__all__ = ["FIRST_KEY", "Engine"]

FIRST_KEY = 2251799813685249
"""The first key the engine hands out: Zeebe's first key on partition 1 (1 << 51 | 1)."""

_log = logging.getLogger("camunda_sdk.devcluster")
_UNSET: Any = object()
# One encoder for every variable value: compact, as the API renders values, and strict.
_encode = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class _Fail(Exception):
    """A run-time failure of one step; the step's element gets an incident of `error_type`."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


class _Instance:
    """A running process instance: its model, its root scope and what it waits for."""

    __slots__ = (
        "definition",
        "element_keys",
        "incidents",
        "key",
        "message_start",
        "model",
        "parent_run",
        "record",
        "root",
    )

    def __init__(
        self,
        key: int,
        model: ProcessModel,
        definition: ProcessDefinitionRecord,
        record: ProcessInstanceRecord,
        parent_run: _Run | None,
    ) -> None:
        self.key = key
        self.model = model
        self.definition = definition
        self.record = record
        self.parent_run = parent_run
        self.root = _Run(key, None, self, None, None)
        self.element_keys: list[int] = []
        self.incidents = 0
        self.message_start: tuple[str, str, str] | None = None


class _Run:
    """An active element instance, and a variable scope (the root run is the instance)."""

    __slots__ = (
        "body",
        "child_instance",
        "children",
        "chosen",
        "done",
        "incident_key",
        "inst",
        "job_key",
        "joins",
        "key",
        "loop_index",
        "mi_active",
        "mi_done",
        "mi_items",
        "mi_next",
        "node",
        "parent",
        "record",
        "trigger",
        "user_task_key",
        "var_keys",
        "vars",
        "waiters",
    )

    def __init__(
        self,
        key: int,
        node: Node | None,
        inst: _Instance,
        parent: _Run | None,
        record: ElementInstanceRecord | None,
        body: bool = False,
    ) -> None:
        self.key = key
        self.node = node
        self.inst = inst
        self.parent = parent
        self.record = record
        self.body = body
        self.vars: dict[str, Any] = {}
        self.var_keys: dict[str, int] = {}
        self.children: dict[int, _Run] = {}
        self.joins: dict[str, dict[str, int]] = {}
        self.waiters: list[_Waiter] = []
        self.trigger: dict[str, Any] | None = None
        self.chosen: list[Flow] | None = None
        self.job_key: int | None = None
        self.user_task_key: int | None = None
        self.child_instance: int | None = None
        self.incident_key: int | None = None
        self.mi_items: list[Any] | None = None
        self.mi_next = 0
        self.mi_done = 0
        self.mi_active = 0
        self.loop_index = 0
        self.done = False

    def scope_chain(self) -> ChainMap[str, Any]:
        """The variables visible here: this scope's over its parents', up to the instance."""
        maps: list[dict[str, Any]] = []
        run: _Run | None = self
        while run is not None:
            maps.append(run.vars)
            run = run.parent
        return ChainMap(*maps)


class _Waiter:
    """Something a run waits for: a message subscription, a timer or a signal subscription.

    `mode` says what happens when it fires: `catch` completes `run` (a catch event or a
    receive task), `boundary` triggers boundary `node` of activity `run`, `gateway` passes
    event-based gateway `run` on to event `node`, `start` starts an instance at `node`.
    """

    __slots__ = (
        "cancelled",
        "correlation_key",
        "cycle_left",
        "definition_key",
        "due",
        "index_key",
        "interval",
        "key",
        "kind",
        "mode",
        "name",
        "node",
        "record",
        "run",
        "tenant",
    )

    def __init__(self, kind: str, mode: str, run: _Run | None, node: Node, tenant: str) -> None:
        self.kind = kind
        self.mode = mode
        self.run = run
        self.node = node
        self.tenant = tenant
        self.key = 0
        self.name = ""
        self.correlation_key = ""
        self.index_key: tuple[str, ...] = ()
        self.record: MessageSubscriptionRecord | None = None
        self.cancelled = False
        self.due = 0
        self.interval: Cycle | None = None
        self.cycle_left: int | None = None
        self.definition_key = 0


class _Job:
    """The engine's side of a job: where it runs and whether a worker may take it."""

    __slots__ = ("activated", "deadline", "key", "record", "run", "suspended", "tenant", "type")

    def __init__(self, key: int, run: _Run, job_type: str, record: JobRecord) -> None:
        self.key = key
        self.run = run
        self.type = job_type
        self.tenant = record.tenant_id
        self.record = record
        self.activated = False
        self.deadline = 0
        # "incident" (no retries / unhandled error), "backoff" (waiting to retry) or "".
        self.suspended = ""


class _Message:
    __slots__ = ("correlated", "deadline", "record", "variables")

    def __init__(self, record: MessageRecord, variables: dict[str, Any], deadline: int) -> None:
        self.record = record
        self.variables = variables
        self.deadline = deadline
        # The processes (bpmnProcessIds) it was correlated to: at most once per process.
        self.correlated: set[str] = set()


def _copy_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_json(v) for v in value]
    return value


def _check_variables(variables: object, what: str = "variables") -> dict[str, Any]:
    if variables is None:
        return {}
    if not isinstance(variables, Mapping):
        raise InvalidArgument(f"{what} must be a JSON object, not {type(variables).__name__}")
    for name in variables:
        if not isinstance(name, str) or not name:
            raise InvalidArgument(f"{what}: every variable needs a non-empty string name")
    try:
        _encode(variables)
    except (TypeError, ValueError) as error:
        raise InvalidArgument(f"{what} must be JSON values: {error}") from None
    except RecursionError:
        raise InvalidArgument(f"{what} are nested too deeply") from None
    return dict(variables)


def _check_key(key: object, what: str) -> int:
    if isinstance(key, bool) or not isinstance(key, int):
        raise InvalidArgument(f"{what} must be an integer key, not {key!r}")
    return key


class Engine:
    """An in-memory BPMN engine with Camunda 8's semantics for the elements it supports.

    Not thread-safe: the HTTP layer serializes calls (one lock, or one event loop). No call
    blocks; waiting (long polls, `awaitCompletion`) is built on `add_job_listener` and
    `on_instance_end`.

    Read access: the public dicts below map keys to records (see `records`), for the HTTP
    layer to filter, sort and page. They are the engine's own; never mutate them.
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock if clock is not None else Clock()
        self._next_key = FIRST_KEY
        self.deployments: dict[int, DeploymentRecord] = {}
        self.process_definitions: dict[int, ProcessDefinitionRecord] = {}
        self.forms: dict[int, FormRecord] = {}
        self.process_instances: dict[int, ProcessInstanceRecord] = {}
        self.element_instances: dict[int, ElementInstanceRecord] = {}
        self.variables: dict[int, VariableRecord] = {}
        self.jobs: dict[int, JobRecord] = {}
        self.incidents: dict[int, IncidentRecord] = {}
        self.user_tasks: dict[int, UserTaskRecord] = {}
        self.message_subscriptions: dict[int, MessageSubscriptionRecord] = {}
        self.correlated_messages: dict[tuple[int, int], CorrelatedMessageRecord] = {}
        """Keyed by (message key, subscription key)."""
        self.messages: dict[int, MessageRecord] = {}
        self.signals: dict[int, SignalRecord] = {}

        self._models: dict[int, ProcessModel] = {}
        self._xml: dict[int, bytes] = {}
        self._latest: dict[tuple[str, str], int] = {}
        self._versions: dict[tuple[str, str], list[int]] = {}
        self._latest_form: dict[tuple[str, str], int] = {}
        self._form_checksums: dict[int, str] = {}
        self._instances: dict[int, _Instance] = {}
        self._element_keys: dict[int, list[int]] = {}
        self._scope_variables: dict[int, dict[str, int]] = {}
        self._runs: dict[int, _Run] = {}
        self._active_jobs: dict[int, _Job] = {}
        self._activatable: dict[tuple[str, str], dict[int, None]] = {}
        self._queue: deque[tuple[_Run, Callable[[], None]]] = deque()
        self._running = False
        self._advancing = False
        self._heap: list[tuple[int, int, str, Any]] = []
        self._seq = itertools.count()
        # Indexes keyed by (tenant, name[, correlation key]), so nothing scans all records.
        self._message_waiters: dict[tuple[str, ...], dict[int, _Waiter]] = {}
        self._signal_waiters: dict[tuple[str, ...], dict[int, _Waiter]] = {}
        self._start_waiters: dict[int, list[_Waiter]] = {}
        self._message_starts: dict[tuple[str, ...], dict[int, _Waiter]] = {}
        self._buffer: dict[tuple[str, ...], dict[int, _Message]] = {}
        self._buffer_by_name: dict[tuple[str, ...], dict[int, _Message]] = {}
        self._message_ids: set[tuple[str, str, str, str]] = set()
        self._message_started: dict[tuple[str, str, str], int] = {}
        self._incident_retry: dict[int, tuple[_Run, Callable[[], None]]] = {}
        self._end_callbacks: dict[int, list[Callable[[ProcessInstanceRecord], object]]] = {}
        self._job_listeners: list[Callable[[str], object]] = []
        self._stamp_ms = -1
        self._stamp = ""
        # Records changed since the last `take_changes`, by identity: the HTTP layer exports
        # them to its lagging index. A dict, so a record touched twice is exported once.
        self._changed: dict[int, object] = {}
        self.clock.add_listener(self.advance)

    def close(self) -> None:
        """Detach from the clock (the engine is being replaced by a fresh one), and call
        every job listener with the empty job type, so long polls waiting here wake up.
        """
        self.clock.remove_listener(self.advance)
        for listener in list(self._job_listeners):
            listener("")

    # ------------------------------------------------------------------ basics

    def _key(self) -> int:
        key = self._next_key
        self._next_key += 1
        return key

    def new_key(self) -> int:
        """A fresh key from the engine's key space, for records kept outside the engine
        (the HTTP layer's identity records), so one key never names two things."""
        return self._key()

    def _touch(self, record: object) -> None:
        self._changed[id(record)] = record

    def take_changes(self) -> list[Any]:
        """The records created or changed since the last call (each once), and forget them.

        The HTTP layer exports them to secondary storage after every command and tick.
        """
        if not self._changed:
            return []
        changed = list(self._changed.values())
        self._changed.clear()
        return changed

    def _now(self) -> str:
        now = self.clock.now()
        if now != self._stamp_ms:
            self._stamp_ms = now
            self._stamp = format_timestamp(now)
        return self._stamp

    def _enqueue(self, run: _Run, step: Callable[[], None]) -> None:
        self._queue.append((run, step))

    def _drain(self) -> None:
        """Run queued steps until every touched instance waits again."""
        if self._running:
            return
        self._running = True
        try:
            while self._queue:
                run, step = self._queue.popleft()
                if run.done:
                    continue
                try:
                    step()
                except _Fail as failure:
                    self._raise_incident(run, failure.error_type, failure.message, retry=step)
        finally:
            self._running = False
        # A timer due already (PT0S, a date in the past) fires now, not at the next request.
        if not self._advancing and self._heap and self._heap[0][0] <= self.clock.now():
            self.advance()

    # ------------------------------------------------------------------ listeners

    def on_instance_end(
        self, process_instance_key: int, callback: Callable[[ProcessInstanceRecord], object]
    ) -> None:
        """Call `callback(record)` once the instance completes or is terminated.

        Called at once if it has already ended. This is how the HTTP layer serves
        `awaitCompletion`: it registers a callback that resolves a future.
        """
        record = self.process_instances.get(process_instance_key)
        if record is None:
            raise NotFound("process instance", process_instance_key)
        if record.state != "ACTIVE":
            callback(record)
            return
        self._end_callbacks.setdefault(process_instance_key, []).append(callback)

    def remove_instance_end_callback(
        self, process_instance_key: int, callback: Callable[[ProcessInstanceRecord], object]
    ) -> None:
        """Forget a callback of `on_instance_end` (the waiting request timed out)."""
        callbacks = self._end_callbacks.get(process_instance_key)
        if callbacks and callback in callbacks:
            callbacks.remove(callback)

    def add_job_listener(self, listener: Callable[[str], object]) -> Callable[[], None]:
        """Call `listener(job_type)` whenever a job becomes activatable; returns an undo.

        Long-polling activation waits on this instead of polling.
        """
        self._job_listeners.append(listener)

        def remove() -> None:
            if listener in self._job_listeners:
                self._job_listeners.remove(listener)

        return remove

    # ------------------------------------------------------------------ deployment

    def deploy(
        self, resources: list[tuple[str, bytes]], tenant_id: str | None = None
    ) -> DeploymentRecord:
        """Deploy BPMN (`.bpmn`, `.xml`) and form (`.form`) resources, all or nothing.

        A resource identical to the latest deployed version of its process (or form) does
        not make a new version, as on Camunda. Raises `DeploymentRejected` for anything the
        engine cannot run, naming the resource and the element.
        """
        self.advance()  # what is due by the clock happens first
        tenant = self._tenant(tenant_id)
        if not isinstance(resources, (list, tuple)) or not resources:
            raise InvalidArgument("a deployment needs at least one resource")
        parsed: list[tuple[str, bytes, list[ProcessModel] | tuple[str, str]]] = []
        seen_processes: dict[str, str] = {}
        seen_forms: dict[str, str] = {}
        for item in resources:
            if not (isinstance(item, tuple) and len(item) == 2):
                raise InvalidArgument("each resource is a (name, content) pair")
            name, data = item
            if not isinstance(name, str) or not name:
                raise InvalidArgument("each resource needs a file name")
            if not isinstance(data, (bytes, bytearray)):
                raise InvalidArgument(f"resource '{name}': the content must be bytes")
            lower = name.lower()
            if lower.endswith((".bpmn", ".xml")):
                models = parse_bpmn(name, bytes(data))
                for model in models:
                    if model.id in seen_processes:
                        raise DeploymentRejected(
                            name,
                            model.id,
                            f"the process id is also defined in '{seen_processes[model.id]}'",
                        )
                    seen_processes[model.id] = name
                    model.checksum = hashlib.sha256(bytes(data) + model.id.encode()).hexdigest()
                parsed.append((name, bytes(data), models))
            elif lower.endswith(".form"):
                form = parse_form(name, bytes(data))
                if form[0] in seen_forms:
                    raise DeploymentRejected(
                        name, None, f"the form id '{form[0]}' is also in '{seen_forms[form[0]]}'"
                    )
                seen_forms[form[0]] = name
                parsed.append((name, bytes(data), form))
            elif lower.endswith(".dmn"):
                raise DeploymentRejected(name, None, "DMN decisions are not emulated")
            else:
                raise DeploymentRejected(
                    name, None, "unsupported resource type: deploy .bpmn, .xml or .form files"
                )
        deployment = DeploymentRecord(self._key(), tenant)
        for name, data, content in parsed:
            if isinstance(content, tuple):
                deployment.forms.append(self._deploy_form(name, content, tenant))
            else:
                for model in content:
                    deployment.processes.append(self._deploy_process(name, data, model, tenant))
        self.deployments[deployment.deployment_key] = deployment
        self._touch(deployment)
        self._drain()
        return deployment

    def _deploy_form(self, name: str, form: tuple[str, str], tenant: str) -> DeploymentFormRecord:
        form_id, schema = form
        checksum = hashlib.sha256(schema.encode()).hexdigest()
        latest_key = self._latest_form.get((tenant, form_id))
        if latest_key is not None and self._form_checksums[latest_key] == checksum:
            record = self.forms[latest_key]
        else:
            version = self.forms[latest_key].version + 1 if latest_key is not None else 1
            record = FormRecord(self._key(), form_id, version, schema, tenant)
            self.forms[record.form_key] = record
            self._touch(record)
            self._form_checksums[record.form_key] = checksum
            self._latest_form[(tenant, form_id)] = record.form_key
        return DeploymentFormRecord(form_id, record.version, name, tenant, record.form_key)

    def _deploy_process(
        self, name: str, data: bytes, model: ProcessModel, tenant: str
    ) -> DeploymentProcessRecord:
        latest_key = self._latest.get((tenant, model.id))
        if latest_key is not None and self._models[latest_key].checksum == model.checksum:
            record = self.process_definitions[latest_key]
        else:
            versions = self._versions.setdefault((tenant, model.id), [])
            record = ProcessDefinitionRecord(
                process_definition_key=self._key(),
                process_definition_id=model.id,
                name=model.name,
                version=len(versions) + 1,
                version_tag=model.version_tag,
                resource_name=name,
                tenant_id=tenant,
                has_start_form=model.start_form_id is not None,
            )
            versions.append(record.process_definition_key)
            self.process_definitions[record.process_definition_key] = record
            self._touch(record)
            self._models[record.process_definition_key] = model
            self._xml[record.process_definition_key] = data
            self._latest[(tenant, model.id)] = record.process_definition_key
            if latest_key is not None:
                self._close_start_events(latest_key)
            self._open_start_events(record.process_definition_key, model, tenant)
        _log.debug("deployed process %s version %d", model.id, record.version)
        return DeploymentProcessRecord(
            model.id, record.version, name, tenant, record.process_definition_key
        )

    def _open_start_events(self, definition_key: int, model: ProcessModel, tenant: str) -> None:
        waiters: list[_Waiter] = []
        now = self.clock.now()
        definition = self.process_definitions[definition_key]
        for node in model.message_starts:
            assert node.message is not None
            waiter = _Waiter("message", "start", None, node, tenant)
            waiter.key = self._key()
            waiter.name = node.message.name.static or ""
            waiter.definition_key = definition_key
            waiter.index_key = (tenant, waiter.name)
            waiter.record = MessageSubscriptionRecord(
                message_subscription_key=waiter.key,
                message_name=waiter.name,
                correlation_key=None,
                message_subscription_state="CREATED",
                message_subscription_type="START_EVENT",
                element_id=node.id,
                process_definition_id=model.id,
                process_definition_key=definition_key,
                tenant_id=tenant,
                last_updated_date=self._now(),
                process_definition_name=model.name,
                process_definition_version=definition.version,
            )
            self.message_subscriptions[waiter.key] = waiter.record
            self._touch(waiter.record)
            self._message_starts.setdefault(waiter.index_key, {})[waiter.key] = waiter
            waiters.append(waiter)
        for node in model.signal_starts:
            assert node.signal_name is not None
            waiter = _Waiter("signal", "start", None, node, tenant)
            waiter.key = self._key()
            waiter.name = node.signal_name.static or ""
            waiter.definition_key = definition_key
            waiter.index_key = (tenant, waiter.name)
            self._signal_waiters.setdefault(waiter.index_key, {})[waiter.key] = waiter
            waiters.append(waiter)
        for node in model.timer_starts:
            assert node.timer is not None and node.timer.value.static is not None
            waiter = _Waiter("timer", "start", None, node, tenant)
            waiter.key = self._key()
            waiter.definition_key = definition_key
            text = node.timer.value.static
            if node.timer.kind == "date":
                waiter.due = parse_date(text)
            else:
                cycle = parse_cycle(text)
                waiter.interval = cycle
                waiter.cycle_left = cycle.repetitions
                waiter.due = (
                    cycle.start_ms
                    if cycle.start_ms is not None
                    else add_duration(now, cycle.interval)
                )
            self._schedule(waiter.due, "timer", waiter)
            waiters.append(waiter)
        self._start_waiters[definition_key] = waiters
        for waiter in waiters:
            if waiter.kind == "message":
                self._poll_start_buffer(waiter, None)

    def _close_start_events(self, definition_key: int) -> None:
        for waiter in self._start_waiters.pop(definition_key, []):
            self._close_waiter(waiter)

    def process_definition_xml(self, process_definition_key: int) -> str:
        """The BPMN XML a process definition was deployed from."""
        if process_definition_key not in self._xml:
            raise NotFound("process definition", process_definition_key)
        return self._xml[process_definition_key].decode("utf-8", errors="replace")

    def start_form(self, process_definition_key: int) -> FormRecord | None:
        """The latest form linked to the definition's none start event, if any."""
        model = self._models.get(process_definition_key)
        if model is None:
            raise NotFound("process definition", process_definition_key)
        if model.start_form_id is None:
            return None
        tenant = self.process_definitions[process_definition_key].tenant_id
        form_key = self._latest_form.get((tenant, model.start_form_id))
        return self.forms[form_key] if form_key is not None else None

    # ------------------------------------------------------------------ instances

    def create_process_instance(
        self,
        *,
        process_definition_id: str | None = None,
        process_definition_key: int | None = None,
        version: int = -1,
        variables: Mapping[str, Any] | None = None,
        tenant_id: str | None = None,
        tags: Iterable[str] | None = None,
        start_instructions: Iterable[str | Mapping[str, Any]] | None = None,
    ) -> ProcessInstanceRecord:
        """Start an instance of a definition, by key or by bpmnProcessId (latest or `version`).

        `variables` become the instance's variables; `start_instructions` (element ids, or
        `{"elementId": ...}`) start at those top-level elements instead of the none start event.
        """
        self.advance()  # what is due by the clock happens first
        tenant = self._tenant(tenant_id)
        values = _check_variables(variables)
        tag_list = self._check_tags(tags)
        key = self._definition_key(process_definition_id, process_definition_key, version, tenant)
        model = self._models[key]
        starts: list[Node] = []
        for instruction in start_instructions or ():
            element_id = (
                instruction.get("elementId") if isinstance(instruction, Mapping) else instruction
            )
            node = model.nodes.get(element_id) if isinstance(element_id, str) else None
            if node is None or node.container is not None or node.kind == "boundaryEvent":
                raise InvalidArgument(
                    f"start instruction '{element_id}' names no top-level element of process "
                    f"'{model.id}'"
                )
            starts.append(node)
        if not starts:
            if model.none_start is None:
                raise InvalidArgument(
                    f"process '{model.id}' has no none start event: start it by message, "
                    "signal or timer, or give start instructions"
                )
            starts = [model.none_start]
        inst = self._start_instance(key, values, starts, tags=tag_list)
        self._drain()
        return inst.record

    def _definition_key(
        self, bpmn_id: str | None, key: int | None, version: int, tenant: str
    ) -> int:
        if key is not None:
            _check_key(key, "processDefinitionKey")
            if key not in self._models:
                raise NotFound("process definition", key)
            return key
        if not isinstance(bpmn_id, str) or not bpmn_id:
            raise InvalidArgument("give a processDefinitionId or a processDefinitionKey")
        versions = self._versions.get((tenant, bpmn_id))
        if not versions:
            raise NotFound(
                "process definition", bpmn_id, f"no process with id '{bpmn_id}' is deployed"
            )
        if version is None or version == -1:
            return versions[-1]
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise InvalidArgument(f"version must be a positive integer or -1, not {version!r}")
        if version > len(versions):
            raise NotFound(
                "process definition", bpmn_id, f"process '{bpmn_id}' has no version {version}"
            )
        return versions[version - 1]

    def _start_instance(
        self,
        definition_key: int,
        variables: Mapping[str, Any],
        starts: list[Node],
        *,
        tags: list[str] | None = None,
        parent_run: _Run | None = None,
        trigger: dict[str, Any] | None = None,
    ) -> _Instance:
        model = self._models[definition_key]
        definition = self.process_definitions[definition_key]
        key = self._key()
        root_key = parent_run.inst.record.root_process_instance_key if parent_run else key
        record = ProcessInstanceRecord(
            process_instance_key=key,
            process_definition_id=model.id,
            process_definition_name=model.name,
            process_definition_version=definition.version,
            process_definition_version_tag=model.version_tag,
            process_definition_key=definition_key,
            start_date=self._now(),
            end_date=None,
            state="ACTIVE",
            has_incident=False,
            tenant_id=definition.tenant_id,
            parent_process_instance_key=parent_run.inst.key if parent_run else None,
            parent_element_instance_key=parent_run.key if parent_run else None,
            root_process_instance_key=root_key,
            tags=list(tags or ()),
        )
        inst = _Instance(key, model, definition, record, parent_run)
        self._instances[key] = inst
        self.process_instances[key] = record
        self._touch(record)
        self._element_keys[key] = inst.element_keys
        self._runs[key] = inst.root
        for name, value in variables.items():
            self._set_variable(inst.root, name, value)
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug("instance %d of %s v%d started", key, model.id, definition.version)
        if model.event_subprocesses:
            root = inst.root
            self._enqueue(
                root, lambda: self._install(root, self._esp_specs(root, model.event_subprocesses))
            )
        for node in starts:
            run = self._new_run(node, inst.root, body=node.loop is not None)
            run.trigger = trigger
            self._enqueue(run, self._activation(run))
        return inst

    def cancel_process_instance(self, process_instance_key: int) -> None:
        """Cancel an active root instance: every element and called instance is terminated."""
        self.advance()  # what is due by the clock happens first
        _check_key(process_instance_key, "processInstanceKey")
        record = self.process_instances.get(process_instance_key)
        if record is None:
            raise NotFound("process instance", process_instance_key)
        inst = self._instances.get(process_instance_key)
        if inst is None or record.state != "ACTIVE":
            raise NotFound(
                "process instance", process_instance_key, f"it is already {record.state}"
            )
        if inst.parent_run is not None:
            raise Conflict(
                f"process instance {process_instance_key} was called by process instance "
                f"{inst.parent_run.inst.key}: cancel the root process instance "
                f"{record.root_process_instance_key} instead"
            )
        self._terminate_instance(inst)
        self._drain()

    def inspect(self, process_instance_key: int) -> list[tuple[str, str, str]]:
        """The instance's element history: (element id, type, state), in the order entered."""
        keys = self._element_keys.get(process_instance_key)
        if keys is None:
            raise NotFound("process instance", process_instance_key)
        out: list[tuple[str, str, str]] = []
        for key in keys:
            record = self.element_instances[key]
            out.append((record.element_id, record.type, record.state))
        return out

    def scope_keys(self, element_instance_key: int) -> list[int]:
        """The scopes an active element instance sees variables from, innermost first:
        itself, its enclosing sub-processes, its process instance (then a caller's scopes
        are not included: a called process sees only its own)."""
        run = self._runs.get(element_instance_key)
        if run is None:
            raise NotFound("element instance", element_instance_key, "no active element instance")
        keys: list[int] = []
        current: _Run | None = run
        while current is not None:
            keys.append(current.key)
            current = current.parent
        return keys

    def variables_of(self, scope_key: int) -> dict[str, Any]:
        """The variables of one scope (a process instance key for the instance's own), decoded."""
        run = self._runs.get(scope_key)
        if run is not None:
            return dict(run.vars)
        if scope_key not in self._element_keys and scope_key not in self.element_instances:
            raise NotFound("scope", scope_key)
        names = self._scope_variables.get(scope_key, {})
        return {name: json.loads(self.variables[key].value) for name, key in names.items()}

    # ------------------------------------------------------------------ element runs

    def _new_run(self, node: Node, parent: _Run, *, body: bool = False) -> _Run:
        inst = parent.inst
        key = self._key()
        record = ElementInstanceRecord(
            element_instance_key=key,
            element_id=node.id,
            element_name=node.name,
            type="MULTI_INSTANCE_BODY" if body else node.element_type,
            state="ACTIVE",
            start_date=self._now(),
            end_date=None,
            has_incident=False,
            incident_key=None,
            process_instance_key=inst.key,
            root_process_instance_key=inst.record.root_process_instance_key,
            process_definition_key=inst.record.process_definition_key,
            process_definition_id=inst.model.id,
            tenant_id=inst.record.tenant_id,
        )
        run = _Run(key, node, inst, parent, record, body)
        self.element_instances[key] = record
        self._touch(record)
        inst.element_keys.append(key)
        parent.children[key] = run
        self._runs[key] = run
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug("instance %d: %s %s entered", inst.key, record.type, node.id)
        return run

    def _activation(self, run: _Run) -> Callable[[], None]:
        return lambda: self._activate(run)

    def _completion(self, run: _Run) -> Callable[[], None]:
        return lambda: self._complete(run)

    def _finish(self, run: _Run, state: str) -> None:
        """Mark `run` ended (COMPLETED or TERMINATED) and release what it held."""
        self._close_waiters(run)
        run.done = True
        record = run.record
        if record is not None:
            record.state = state
            record.end_date = self._now()
            self._touch(record)
        if run.incident_key is not None:
            self._settle_incident(run.incident_key)
        if run.parent is not None:
            run.parent.children.pop(run.key, None)
        self._runs.pop(run.key, None)
        if record is not None and _log.isEnabledFor(logging.DEBUG):
            _log.debug(
                "instance %d: %s %s %s", run.inst.key, record.type, record.element_id, state.lower()
            )

    def _activate(self, run: _Run) -> None:
        node = run.node
        assert node is not None
        if run.body:
            self._activate_body(run)
            return
        if node.inputs:
            self._set_local(run, self._map(node.inputs, run.scope_chain(), output=False))
        kind = node.kind
        outer = run if node.loop is None else None  # inner instances: boundaries are the body's
        if kind == "startEvent" or kind == "manualTask" or kind == "task":
            self._enqueue(run, self._completion(run))
        elif kind == "endEvent" or kind == "intermediateThrowEvent":
            self._activate_throw(run, node)
        elif node.job_type is not None:
            job_type, retries = self._job_settings(run, node)
            boundaries = self._boundary_specs(outer) if outer else []
            self._create_job(run, job_type, retries, dict(node.headers))
            self._install(run, boundaries)
        elif node.script is not None:
            value = self._eval(node.script, run.scope_chain(), "IO_MAPPING_ERROR")
            run.trigger = {node.result_variable or "": to_json(value)}
            self._enqueue(run, self._completion(run))
        elif kind == "userTask":
            fields = self._user_task_fields(run, node)
            boundaries = self._boundary_specs(outer) if outer else []
            self._create_user_task(run, node, fields)
            self._install(run, boundaries)
        elif kind == "receiveTask" or kind == "intermediateCatchEvent":
            specs = [self._event_spec(run, node, "catch", node)]
            if outer is not None and kind == "receiveTask":
                specs += self._boundary_specs(outer)
            self._install(run, specs)
        elif kind == "subProcess":
            specs = self._boundary_specs(outer) if outer else []
            specs += self._esp_specs(run, node.event_subprocesses)
            self._install(run, specs)
            assert node.none_start is not None
            start = self._new_run(node.none_start, run)
            if node.event_sub:  # the triggering event's variables arrive at its start event
                start.trigger, run.trigger = run.trigger, None
            self._enqueue(start, self._activation(start))
        elif kind == "callActivity":
            self._activate_call(run, node, outer)
        elif kind == "exclusiveGateway":
            run.chosen = [self._choose_exclusive(run, node)]
            self._enqueue(run, self._completion(run))
        elif kind == "inclusiveGateway":
            run.chosen = self._choose_inclusive(run, node)
            self._enqueue(run, self._completion(run))
        elif kind == "parallelGateway" or kind == "boundaryEvent":
            self._enqueue(run, self._completion(run))
        elif kind == "eventBasedGateway":
            specs = [
                self._event_spec(run, flow.target, "gateway", flow.target) for flow in node.outgoing
            ]
            self._install(run, specs)
        else:  # pragma: no cover - the model refuses every other kind at deployment
            raise _Fail("UNKNOWN", f"the dev cluster cannot run bpmn:{kind}")

    def _activate_throw(self, run: _Run, node: Node) -> None:
        if node.event == "message":
            job_type, retries = self._job_settings(run, node)
            self._create_job(run, job_type, retries, dict(node.headers))
        elif node.event == "error":
            assert node.error_code is not None
            code = self._eval_property(node.error_code, run, "STRING", "EXTRACT_VALUE_ERROR")
            catch = self._find_error_catch(run.parent, code)
            if catch is None:
                raise _Fail(
                    "UNHANDLED_ERROR_EVENT",
                    f"Expected to throw an error event with the code '{code}', but it was not "
                    "caught. No error events are available in the scope.",
                )
            self._finish(run, "COMPLETED")
            self._trigger_catch(catch, None)
        elif node.event == "terminate":
            scope = run.parent
            assert scope is not None
            for sibling in list(scope.children.values()):
                if sibling is not run:
                    self._terminate(sibling)
            scope.joins.clear()
            self._enqueue(run, self._completion(run))
        else:
            self._enqueue(run, self._completion(run))

    def _job_settings(self, run: _Run, node: Node) -> tuple[str, int]:
        assert node.job_type is not None and node.job_retries is not None
        job_type = self._eval_property(node.job_type, run, "STRING", "EXTRACT_VALUE_ERROR")
        retries_value: Any = node.job_retries.static
        if node.job_retries.expression is not None:
            retries_value = self._eval(
                node.job_retries.expression, run.scope_chain(), "EXTRACT_VALUE_ERROR"
            )
        if (isinstance(retries_value, str) and retries_value.strip().isdigit()) or (
            isinstance(retries_value, (int, float)) and not isinstance(retries_value, bool)
        ):
            retries = int(retries_value)
        else:
            raise _Fail(
                "EXTRACT_VALUE_ERROR",
                f"Expected result of the expression '{node.job_retries.text}' to be 'NUMBER', "
                f"but was '{type_name(retries_value)}'.",
            )
        return job_type, retries

    def _complete(self, run: _Run) -> None:
        node = run.node
        assert node is not None
        parent = run.parent
        assert parent is not None
        if run.body:
            loop = node.loop
            assert loop is not None
            if loop.output_collection:
                self._merge(
                    parent, {loop.output_collection: run.vars.get(loop.output_collection, [])}
                )
        elif parent.body:
            self._complete_inner(run, node, parent)
            return
        else:
            self._apply_outputs(run, node, parent)
        self._finish(run, "COMPLETED")
        self._leave(run, node, parent)

    def _apply_outputs(self, run: _Run, node: Node, target: _Run) -> None:
        trigger = run.trigger
        if node.outputs:
            scope = run.scope_chain()
            view = ChainMap(trigger, *scope.maps) if trigger else scope
            document = self._map(node.outputs, view, output=True)
            if trigger:
                self._set_local(run, trigger)
            self._merge(target, document)
        elif trigger:
            self._merge(run, trigger)

    def _complete_inner(self, run: _Run, node: Node, body: _Run) -> None:
        """A multi-instance inner instance completed: collect its output, go on or finish."""
        loop = node.loop
        assert loop is not None
        # Output mappings of an inner instance merge into the instance itself, so that they
        # can set its output element variable.
        self._apply_outputs(run, node, run)
        scope = run.scope_chain()
        output = None
        if loop.output_element is not None:
            output = to_json(self._eval(loop.output_element, scope, "EXTRACT_VALUE_ERROR"))
        finished = False
        if loop.completion_condition is not None:
            finished = self._condition(loop.completion_condition, scope)
        if loop.output_collection:
            collected = body.vars.get(loop.output_collection)
            if isinstance(collected, list) and 0 < run.loop_index <= len(collected):
                collected[run.loop_index - 1] = output
                self._set_variable(body, loop.output_collection, collected)
        self._finish(run, "COMPLETED")
        body.mi_done += 1
        items = body.mi_items or []
        if finished:
            for sibling in list(body.children.values()):
                self._terminate(sibling)
            self._enqueue(body, self._completion(body))
        elif body.mi_done >= len(items):
            self._enqueue(body, self._completion(body))
        elif loop.sequential:
            self._spawn_inner(body, node, body.mi_next)

    def _leave(self, run: _Run, node: Node, scope: _Run) -> None:
        flows = run.chosen if run.chosen is not None else node.outgoing
        for flow in flows:
            self._take(flow, scope)
        self._check_scope(scope)

    def _take(self, flow: Flow, scope: _Run) -> None:
        target = flow.target
        if target.joins:
            tokens = scope.joins.setdefault(target.id, {})
            tokens[flow.id] = tokens.get(flow.id, 0) + 1
            if target.kind == "parallelGateway" and all(
                tokens.get(f.id, 0) > 0 for f in target.incoming
            ):
                self._consume_join(scope, target, tokens)
            return
        run = self._new_run(target, scope, body=target.loop is not None)
        self._enqueue(run, self._activation(run))

    def _consume_join(self, scope: _Run, gateway: Node, tokens: dict[str, int]) -> None:
        for flow_id in list(tokens):
            tokens[flow_id] -= 1
            if tokens[flow_id] <= 0:
                del tokens[flow_id]
        if not tokens:
            del scope.joins[gateway.id]
        run = self._new_run(gateway, scope)
        self._enqueue(run, self._activation(run))

    def _check_scope(self, scope: _Run) -> None:
        """Fire inclusive joins nothing can reach any more; complete a scope with nothing left."""
        if scope.done or scope.body:
            return
        if scope.joins:
            for gateway_id, tokens in list(scope.joins.items()):
                gateway = scope.inst.model.nodes[gateway_id]
                if (
                    gateway.kind == "inclusiveGateway"
                    and tokens
                    and not self._join_reachable(scope, gateway, tokens)
                ):
                    self._consume_join(scope, gateway, tokens)
        if scope.children or any(scope.joins.values()):
            return
        if scope.node is None:
            self._complete_instance(scope.inst)
        else:
            self._enqueue(scope, self._completion(scope))

    def _join_reachable(self, scope: _Run, gateway: Node, tokens: dict[str, int]) -> bool:
        """Whether a token still in `scope` can reach an untaken incoming flow of `gateway`."""
        upstream: set[str] = set()
        pending = [flow.source for flow in gateway.incoming if tokens.get(flow.id, 0) == 0]
        while pending:
            node = pending.pop()
            if node.id in upstream or node is gateway:
                continue
            upstream.add(node.id)
            pending.extend(flow.source for flow in node.incoming)
            if node.attached_to is not None:
                pending.append(node.attached_to)
        if not upstream:
            return False
        for child in scope.children.values():
            if child.node is not None and child.node.id in upstream:
                return True
        return any(
            other != gateway.id and other in upstream and waiting
            for other, waiting in scope.joins.items()
        )

    def _complete_instance(self, inst: _Instance) -> None:
        root = inst.root
        if root.done:
            return
        self._close_instance(inst, "COMPLETED")
        parent_run = inst.parent_run
        if parent_run is not None and not parent_run.done:
            node = parent_run.node
            assert node is not None
            parent_run.child_instance = None
            if node.propagate_all_child_variables or node.outputs:
                parent_run.trigger = dict(root.vars)
            self._enqueue(parent_run, self._completion(parent_run))
        self._instance_ended(inst)

    def _terminate_instance(self, inst: _Instance) -> None:
        root = inst.root
        if root.done:
            return
        for child in list(root.children.values()):
            self._terminate(child)
        root.joins.clear()
        self._close_instance(inst, "TERMINATED")
        self._instance_ended(inst)

    def _close_instance(self, inst: _Instance, state: str) -> None:
        """End the instance in `state` (COMPLETED or TERMINATED); drop it from the indexes."""
        root = inst.root
        self._close_waiters(root)
        root.done = True
        self._runs.pop(inst.key, None)
        inst.record.state = state
        inst.record.end_date = self._now()
        self._touch(inst.record)
        self._instances.pop(inst.key, None)
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug("instance %d %s", inst.key, state.lower())

    def _instance_ended(self, inst: _Instance) -> None:
        if inst.message_start is not None:
            count = self._message_started.get(inst.message_start, 0) - 1
            if count > 0:
                self._message_started[inst.message_start] = count
            else:
                self._message_started.pop(inst.message_start, None)
                tenant, bpmn_id, correlation_key = inst.message_start
                latest = self._latest.get((tenant, bpmn_id))
                for waiter in self._start_waiters.get(latest or -1, []):
                    if waiter.kind == "message":
                        self._poll_start_buffer(waiter, correlation_key)
        for callback in self._end_callbacks.pop(inst.key, []):
            callback(inst.record)

    def _terminate(self, run: _Run) -> None:
        """Terminate `run` and everything inside it (jobs, tasks, called instances)."""
        if run.done:
            return
        for child in list(run.children.values()):
            self._terminate(child)
        run.joins.clear()
        now = self._now()
        if run.job_key is not None:
            job = self._active_jobs.pop(run.job_key, None)
            if job is not None:
                self._deactivate(job)
                job.record.state = "CANCELED"
                job.record.end_time = now
                job.record.last_update_time = now
                self._touch(job.record)
            run.job_key = None
        if run.user_task_key is not None:
            task = self.user_tasks.get(run.user_task_key)
            if task is not None and task.state == "CREATED":
                task.state = "CANCELED"
                self._touch(task)
        if run.child_instance is not None:
            child = self._instances.get(run.child_instance)
            if child is not None:
                self._terminate_instance(child)
        self._finish(run, "TERMINATED")

    # ------------------------------------------------------------------ multi-instance

    def _activate_body(self, body: _Run) -> None:
        node = body.node
        assert node is not None and node.loop is not None
        loop = node.loop
        value = self._eval(loop.input_collection, body.scope_chain(), "EXTRACT_VALUE_ERROR")
        if not isinstance(value, list):
            raise _Fail(
                "EXTRACT_VALUE_ERROR",
                f"Expected result of the expression '{loop.input_collection.source}' to be "
                f"'ARRAY', but was '{type_name(value)}'.",
            )
        boundaries = self._boundary_specs(body)
        self._install(body, boundaries)
        items = [to_json(item) for item in value]
        body.mi_items = items
        if loop.output_collection:
            self._set_variable(body, loop.output_collection, [None] * len(items))
        if not items:
            self._enqueue(body, self._completion(body))
        elif loop.sequential:
            self._spawn_inner(body, node, 0)
        else:
            for index in range(len(items)):
                self._spawn_inner(body, node, index)

    def _spawn_inner(self, body: _Run, node: Node, index: int) -> None:
        loop = node.loop
        assert loop is not None and body.mi_items is not None
        run = self._new_run(node, body)
        run.loop_index = index + 1
        body.mi_next = index + 1
        if loop.input_element:
            self._set_variable(run, loop.input_element, body.mi_items[index])
        self._set_variable(run, "loopCounter", index + 1)
        output = loop.output_element
        # An output element that is a plain variable (or path) becomes a local variable of
        # the instance, so the instance's result lands there and not in the parent.
        if output is not None and _PATH.match(output.source):
            head = output.source.split(".")[0]
            if head not in run.vars:
                self._set_variable(run, head, None)
        self._enqueue(run, self._activation(run))

    # ------------------------------------------------------------------ call activities

    def _activate_call(self, run: _Run, node: Node, outer: _Run | None) -> None:
        assert node.called_process_id is not None
        process_id = self._eval_property(
            node.called_process_id, run, "STRING", "EXTRACT_VALUE_ERROR"
        )
        tenant = run.inst.record.tenant_id
        definition_key = self._latest.get((tenant, process_id))
        if definition_key is None:
            raise _Fail(
                "CALLED_ELEMENT_ERROR",
                f"Expected process with BPMN process id '{process_id}' to be deployed, but not "
                "found.",
            )
        model = self._models[definition_key]
        if model.none_start is None:
            raise _Fail(
                "CALLED_ELEMENT_ERROR",
                f"Expected process with BPMN process id '{process_id}' to have a none start "
                "event, but not found.",
            )
        boundaries = self._boundary_specs(outer) if outer else []
        if node.propagate_all_parent_variables:
            variables = {name: _copy_json(v) for name, v in run.scope_chain().items()}
        else:
            variables = {name: _copy_json(v) for name, v in run.vars.items()}
        self._install(run, boundaries)
        child = self._start_instance(definition_key, variables, [model.none_start], parent_run=run)
        run.child_instance = child.key

    # ------------------------------------------------------------------ gateways

    def _condition(self, expression: CompiledExpression, scope: Mapping[str, Any]) -> bool:
        value = self._eval(expression, scope, "CONDITION_ERROR")
        if not isinstance(value, bool):
            raise _Fail(
                "CONDITION_ERROR",
                f"Expected result of the expression '{expression.source}' to be 'BOOLEAN', but "
                f"was '{type_name(value)}'.",
            )
        return value

    def _choose_exclusive(self, run: _Run, node: Node) -> Flow:
        scope = run.scope_chain()
        for flow in node.outgoing:
            if flow is node.default_flow:
                continue
            if flow.condition is None or self._condition(flow.condition, scope):
                return flow
        if node.default_flow is not None:
            return node.default_flow
        raise _Fail(
            "CONDITION_ERROR",
            "Expected at least one condition to evaluate to true, or to have a default flow",
        )

    def _choose_inclusive(self, run: _Run, node: Node) -> list[Flow]:
        scope = run.scope_chain()
        chosen = [
            flow
            for flow in node.outgoing
            if flow is not node.default_flow
            and (flow.condition is None or self._condition(flow.condition, scope))
        ]
        if chosen:
            return chosen
        if node.default_flow is not None:
            return [node.default_flow]
        raise _Fail(
            "CONDITION_ERROR",
            "Expected at least one condition to evaluate to true, or to have a default flow",
        )

    # ------------------------------------------------------------------ expressions, variables

    def _eval(
        self, expression: CompiledExpression, scope: Mapping[str, Any], error_type: str
    ) -> Any:
        try:
            return evaluate(expression, scope, self.clock.now())
        except ExpressionFailed as error:
            raise _Fail(error_type, str(error)) from None

    def _eval_property(self, prop: Property, run: _Run, expected: str, error_type: str) -> Any:
        if prop.expression is None:
            return prop.static
        value = self._eval(prop.expression, run.scope_chain(), error_type)
        if expected == "STRING":
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return str(value)
            if not isinstance(value, str):
                raise _Fail(
                    error_type,
                    f"Expected result of the expression '{prop.expression.source}' to be "
                    f"'STRING', but was '{type_name(value)}'.",
                )
        return value

    def _map(
        self, mappings: list[VariableMapping], scope: ChainMap[str, Any], *, output: bool
    ) -> dict[str, Any]:
        document: dict[str, Any] = {}
        view = scope.new_child(document)  # a mapping sees the targets of the ones before
        for mapping in mappings:
            if mapping.source is not None:
                value = to_json(self._eval(mapping.source, view, "IO_MAPPING_ERROR"))
            else:
                value = mapping.static_source
            head, *path = mapping.target
            if not path:
                document[head] = value
                continue
            # Output mappings merge the leaf into the existing structure; input mappings
            # build the target afresh (but accumulate within this set of mappings).
            existing = (
                document.get(head) if head in document else (view.get(head) if output else None)
            )
            base = _copy_json(existing) if isinstance(existing, dict) else {}
            cursor = base
            for part in path[:-1]:
                nested = cursor.get(part)
                if not isinstance(nested, dict):
                    nested = {}
                    cursor[part] = nested
                cursor = nested
            cursor[path[-1]] = value
            document[head] = base
        return document

    def _set_variable(self, scope: _Run, name: str, value: Any) -> None:
        text = _encode(value)
        key = scope.var_keys.get(name)
        if key is None:
            if not scope.var_keys:  # the scope's first variable: index its names for later reads
                self._scope_variables[scope.key] = scope.var_keys
            key = self._key()
            inst = scope.inst
            variable = VariableRecord(
                key,
                name,
                text,
                scope.key,
                inst.key,
                inst.record.root_process_instance_key,
                inst.record.tenant_id,
            )
            self.variables[key] = variable
            self._touch(variable)
            scope.var_keys[name] = key
        else:
            variable = self.variables[key]
            variable.value = text
            self._touch(variable)
        scope.vars[name] = value

    def _set_local(self, scope: _Run, document: Mapping[str, Any]) -> None:
        for name, value in document.items():
            self._set_variable(scope, name, value)

    def _merge(self, scope: _Run, document: Mapping[str, Any]) -> None:
        """Propagate: each variable goes to the nearest scope that has it, else the instance."""
        for name, value in document.items():
            target: _Run | None = scope
            while target is not None and name not in target.vars:
                target = target.parent
            self._set_variable(target if target is not None else scope.inst.root, name, value)

    # ------------------------------------------------------------------ waiting: events

    def _boundary_specs(self, activity: _Run | None) -> list[tuple[str, Node, Any]]:
        if activity is None or activity.node is None:
            return []
        return [
            self._event_spec(activity, boundary, "boundary", boundary)
            for boundary in activity.node.boundaries
            if boundary.event != "error"
        ]

    def _esp_specs(self, scope: _Run, esps: list[Node]) -> list[tuple[str, Node, Any]]:
        """What the event sub-processes of `scope` wait for (error ones wait for no event)."""
        specs: list[tuple[str, Node, Any]] = []
        for esp in esps:
            start = esp.none_start
            assert start is not None
            if start.event != "error":
                specs.append(self._event_spec(scope, start, "esp", start))
        return specs

    def _event_spec(self, run: _Run, node: Node, mode: str, event: Node) -> tuple[str, Node, Any]:
        """Evaluate what `event` waits for, before anything is created (so failures are clean)."""
        if event.event == "message" or event.kind == "receiveTask":
            message = event.message
            assert message is not None and message.correlation_key is not None
            name = self._eval_property(message.name, run, "STRING", "EXTRACT_VALUE_ERROR")
            correlation = message.correlation_key
            if correlation.expression is None:
                value: Any = correlation.static
            else:
                value = self._eval(correlation.expression, run.scope_chain(), "EXTRACT_VALUE_ERROR")
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise _Fail(
                    "EXTRACT_VALUE_ERROR",
                    f"Failed to extract the correlation key for '{correlation.text}': The value "
                    f"must be either a string or a number, but was '{type_name(value)}'.",
                )
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            return ("message", node, (mode, name, str(value)))
        if event.event == "signal":
            assert event.signal_name is not None
            name = self._eval_property(event.signal_name, run, "STRING", "EXTRACT_VALUE_ERROR")
            return ("signal", node, (mode, name))
        assert event.timer is not None
        timer = event.timer
        now = self.clock.now()
        raw: Any = timer.value.static
        if timer.value.expression is not None:
            raw = self._eval(timer.value.expression, run.scope_chain(), "EXTRACT_VALUE_ERROR")
        try:
            if timer.kind == "duration":
                if not isinstance(raw, (str, timedelta)):
                    raw = to_json(raw)
                return ("timer", node, (mode, add_duration(now, duration_from_value(raw)), None))
            if timer.kind == "date":
                if not isinstance(raw, (str, datetime, date)):
                    raw = to_json(raw)
                return ("timer", node, (mode, date_from_value(raw), None))
            cycle = parse_cycle(raw if isinstance(raw, str) else str(to_json(raw)))
        except ValueError as error:
            raise _Fail(
                "EXTRACT_VALUE_ERROR", f"invalid timer '{timer.value.text}': {error}"
            ) from None
        due = cycle.start_ms if cycle.start_ms is not None else add_duration(now, cycle.interval)
        return ("timer", node, (mode, due, cycle))

    def _install(self, run: _Run, specs: list[tuple[str, Node, Any]]) -> None:
        tenant = run.inst.record.tenant_id
        for kind, node, data in specs:
            mode = data[0]
            waiter = _Waiter(kind, mode, run, node, tenant)
            waiter.key = self._key()
            run.waiters.append(waiter)
            if kind == "message":
                waiter.name, waiter.correlation_key = data[1], data[2]
                waiter.index_key = (tenant, waiter.name, waiter.correlation_key)
                inst = run.inst
                waiter.record = MessageSubscriptionRecord(
                    message_subscription_key=waiter.key,
                    message_name=waiter.name,
                    correlation_key=waiter.correlation_key,
                    message_subscription_state="CREATED",
                    message_subscription_type="PROCESS_EVENT",
                    element_id=node.id,
                    process_definition_id=inst.model.id,
                    process_definition_key=inst.record.process_definition_key,
                    tenant_id=tenant,
                    last_updated_date=self._now(),
                    process_instance_key=inst.key,
                    root_process_instance_key=inst.record.root_process_instance_key,
                    element_instance_key=run.key,
                    process_definition_name=inst.model.name,
                    process_definition_version=inst.record.process_definition_version,
                )
                self.message_subscriptions[waiter.key] = waiter.record
                self._touch(waiter.record)
                self._message_waiters.setdefault(waiter.index_key, {})[waiter.key] = waiter
                self._enqueue(run, self._buffer_poll(waiter))
            elif kind == "signal":
                waiter.name = data[1]
                waiter.index_key = (tenant, waiter.name)
                self._signal_waiters.setdefault(waiter.index_key, {})[waiter.key] = waiter
            else:
                waiter.due = data[1]
                cycle: Cycle | None = data[2]
                if cycle is not None:
                    waiter.interval = cycle
                    waiter.cycle_left = cycle.repetitions
                self._schedule(waiter.due, "timer", waiter)

    def _close_waiters(self, run: _Run) -> None:
        for waiter in run.waiters:
            self._close_waiter(waiter)
        run.waiters.clear()

    def _close_waiter(self, waiter: _Waiter) -> None:
        if waiter.cancelled:
            return
        waiter.cancelled = True
        if waiter.kind == "message":
            index = self._message_starts if waiter.mode == "start" else self._message_waiters
            bucket: dict[int, _Waiter] | None = index.get(waiter.index_key)
            if bucket is not None:
                bucket.pop(waiter.key, None)
                if not bucket:
                    index.pop(waiter.index_key, None)
            record = waiter.record
            if record is not None and record.message_subscription_state == "CREATED":
                record.message_subscription_state = "DELETED"
                record.last_updated_date = self._now()
                self._touch(record)
        elif waiter.kind == "signal":
            bucket = self._signal_waiters.get(waiter.index_key)
            if bucket is not None:
                bucket.pop(waiter.key, None)
                if not bucket:
                    self._signal_waiters.pop(waiter.index_key, None)

    def _fire(self, waiter: _Waiter, variables: dict[str, Any] | None) -> None:
        """A waited-for event happened: act as the waiter's mode says."""
        if waiter.cancelled:
            return
        run = waiter.run
        if waiter.mode == "start":
            self._start_instance(
                waiter.definition_key, {}, [waiter.node], trigger=dict(variables or {})
            )
            return
        assert run is not None
        if run.done:
            return
        if waiter.mode == "catch":
            self._close_waiters(run)
            self._carry_trigger(run, variables)
        elif waiter.mode == "boundary":
            self._trigger_boundary(run, waiter.node, variables)
        elif waiter.mode == "esp":
            self._trigger_event_subprocess(run, waiter.node, variables)
        else:
            self._close_waiters(run)
            scope = run.parent
            assert scope is not None and run.node is not None
            run.chosen = []
            self._finish(run, "COMPLETED")
            self._carry_trigger(self._new_run(waiter.node, scope), variables)

    def _carry_trigger(
        self, run: _Run, variables: Mapping[str, Any] | None, *, activate: bool = False
    ) -> None:
        """Queue `run` to go on (complete, or `activate`) carrying the event's `variables`."""
        run.trigger = dict(variables) if variables else None
        self._enqueue(run, self._activation(run) if activate else self._completion(run))

    def _trigger_boundary(
        self, activity: _Run, boundary: Node, variables: Mapping[str, Any] | None
    ) -> None:
        if activity.done:
            return
        scope = activity.parent
        assert scope is not None
        if boundary.interrupting:
            self._terminate(activity)
        self._carry_trigger(self._new_run(boundary, scope), variables)

    def _trigger_event_subprocess(
        self, scope: _Run, start: Node, variables: Mapping[str, Any] | None
    ) -> None:
        """Start the event sub-process of `start` in `scope`; interrupting ends all else there."""
        if scope.done:
            return
        esp = start.container
        assert esp is not None
        if start.interrupting:
            self._close_waiters(scope)
            for child in list(scope.children.values()):
                self._terminate(child)
            scope.joins.clear()
        self._carry_trigger(self._new_run(esp, scope), variables, activate=True)

    def _trigger_catch(self, catch: tuple[_Run, Node], variables: Mapping[str, Any] | None) -> None:
        run, node = catch
        if node.kind == "startEvent":
            self._trigger_event_subprocess(run, node, variables)
        else:
            self._trigger_boundary(run, node, variables)

    @staticmethod
    def _match_error(catchers: Iterable[Node | None], code: str) -> Node | None:
        catch_all = None
        for event in catchers:
            if event is None or event.event != "error":
                continue
            if event.error_code is None:
                catch_all = catch_all or event
            elif event.error_code.static == code:
                return event
        return catch_all

    def _find_error_catch(self, start: _Run | None, code: str) -> tuple[_Run, Node] | None:
        """The nearest catch of `code`, from `start` outwards (across call activities).

        At each level an event sub-process of the scope (inside it) comes before the scope's
        own error boundaries (outside it); a matching code comes before a catch-all.
        """
        run = start
        while run is not None:
            node = run.node
            if node is None:
                esps = run.inst.model.event_subprocesses
            elif node.kind == "subProcess" and (node.loop is None or not run.body):
                esps = node.event_subprocesses
            else:
                esps = []
            caught = self._match_error((esp.none_start for esp in esps), code)
            if caught is not None:
                return run, caught
            if node is not None and (node.loop is None or run.body):
                caught = self._match_error(node.boundaries, code)
                if caught is not None:
                    return run, caught
            run = run.inst.parent_run if run.parent is None else run.parent
        return None

    # ------------------------------------------------------------------ timers and the clock

    def _schedule(self, due: int, kind: str, item: Any) -> None:
        heapq.heappush(self._heap, (due, next(self._seq), kind, item))

    def advance(self) -> int:
        """Fire everything due by the clock (timers, job timeouts, back-offs, message expiry).

        The HTTP layer calls this on each request and on a background tick; pinning the clock
        calls it too. Returns how many timers fired.
        """
        if self._running or self._advancing:
            return 0
        self._advancing = True
        try:
            return self._fire_due()
        finally:
            self._advancing = False

    def _fire_due(self) -> int:
        fired = 0
        heap = self._heap
        while heap and heap[0][0] <= self.clock.now():
            due, _, kind, item = heapq.heappop(heap)
            if kind == "timer":
                if self._fire_timer(item, due):
                    fired += 1
            elif kind == "job_timeout":
                self._job_timed_out(item[0], item[1])
            elif kind == "backoff":
                job = self._active_jobs.get(item)
                if job is not None and job.suspended == "backoff":
                    job.suspended = ""
                    self._make_activatable(job)
            elif kind == "ttl":
                self._expire_message(item)
            self._drain()
        return fired

    def _fire_timer(self, waiter: _Waiter, due: int) -> bool:
        if waiter.cancelled or waiter.due != due:
            return False
        cycle = waiter.interval
        # Cycles repeat on start events and non-interrupting boundaries, until used up.
        again = (
            cycle is not None
            and (
                waiter.mode == "start"
                or (waiter.mode in ("boundary", "esp") and not waiter.node.interrupting)
            )
            and (waiter.cycle_left is None or waiter.cycle_left > 1)
        )
        if waiter.mode == "start":
            self._start_instance(waiter.definition_key, {}, [waiter.node])
        else:
            self._fire(waiter, None)
        if again and cycle is not None and not waiter.cancelled:
            if waiter.cycle_left is not None:
                waiter.cycle_left -= 1
            waiter.due = add_duration(due, cycle.interval)
            now = self.clock.now()
            while waiter.due <= now:  # a clock jump fires a missed run once, not a backlog
                waiter.due = add_duration(waiter.due, cycle.interval)
            self._schedule(waiter.due, "timer", waiter)
        elif waiter.mode == "start":
            waiter.cancelled = True
        return True

    # ------------------------------------------------------------------ jobs

    def _create_job(self, run: _Run, job_type: str, retries: int, headers: dict[str, str]) -> None:
        inst = run.inst
        node = run.node
        assert node is not None
        key = self._key()
        now = self._now()
        record = JobRecord(
            job_key=key,
            type=job_type,
            state="CREATED",
            kind="BPMN_ELEMENT",
            listener_event_type="UNSPECIFIED",
            retries=retries,
            worker="",
            custom_headers=headers,
            element_id=node.id,
            element_instance_key=run.key,
            process_instance_key=inst.key,
            root_process_instance_key=inst.record.root_process_instance_key,
            process_definition_key=inst.record.process_definition_key,
            process_definition_id=inst.model.id,
            tenant_id=inst.record.tenant_id,
            creation_time=now,
            last_update_time=now,
        )
        self.jobs[key] = record
        self._touch(record)
        job = _Job(key, run, job_type, record)
        self._active_jobs[key] = job
        run.job_key = key
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug("instance %d: job %d of type %s created", inst.key, key, job_type)
        if retries > 0:
            self._make_activatable(job)
        else:
            self._job_incident(job, "JOB_NO_RETRIES", "No more retries left.")

    def _make_activatable(self, job: _Job) -> None:
        self._activatable.setdefault((job.type, job.tenant), {})[job.key] = None
        for listener in list(self._job_listeners):
            listener(job.type)

    def _deactivate(self, job: _Job) -> None:
        bucket = self._activatable.get((job.type, job.tenant))
        if bucket is not None:
            bucket.pop(job.key, None)
        job.activated = False
        job.deadline = 0

    def _job(self, key: int) -> _Job:
        _check_key(key, "jobKey")
        job = self._active_jobs.get(key)
        if job is None:
            record = self.jobs.get(key)
            detail = f"it is {record.state}" if record is not None else None
            raise NotFound("job", key, detail)
        return job

    def activate_jobs(
        self,
        job_type: str,
        max_jobs: int,
        timeout_ms: int,
        worker: str | None = None,
        fetch_variables: Iterable[str] | None = None,
        tenant_ids: Iterable[str] | None = None,
    ) -> list[ActivatedJob]:
        """Hand up to `max_jobs` activatable jobs of `job_type` to `worker` for `timeout_ms`.

        Takes jobs in creation order from an index by type and tenant (never a scan of all
        jobs). A job not completed by its deadline becomes activatable again.
        """
        self.advance()  # what is due by the clock happens first
        if not isinstance(job_type, str) or not job_type:
            raise InvalidArgument("the job type must be a non-empty string")
        if isinstance(max_jobs, bool) or not isinstance(max_jobs, int) or max_jobs < 1:
            raise InvalidArgument(f"maxJobsToActivate must be at least 1, not {max_jobs!r}")
        if isinstance(timeout_ms, bool) or not isinstance(timeout_ms, int) or timeout_ms < 1:
            raise InvalidArgument(
                f"the timeout must be a positive number of ms, not {timeout_ms!r}"
            )
        names = list(fetch_variables) if fetch_variables else None
        tenants = list(tenant_ids) if tenant_ids else [DEFAULT_TENANT]
        now_ms = self.clock.now()
        now = self._now()
        deadline = now_ms + timeout_ms
        deadline_text = format_timestamp(deadline)
        activated: list[ActivatedJob] = []
        for tenant in tenants:
            bucket = self._activatable.get((job_type, tenant))
            while bucket and len(activated) < max_jobs:
                key = next(iter(bucket))
                del bucket[key]
                job = self._active_jobs[key]
                job.activated = True
                job.deadline = deadline
                record = job.record
                record.worker = worker or ""
                record.deadline = deadline_text
                record.last_update_time = now
                self._touch(record)
                self._schedule(deadline, "job_timeout", (key, deadline))
                activated.append(self._activated(job, names))
            if len(activated) >= max_jobs:
                break
        return activated

    def _activated(self, job: _Job, names: list[str] | None) -> ActivatedJob:
        run = job.run
        record = job.record
        scope = run.scope_chain()
        if names is None:
            variables = dict(scope)
        else:
            variables = {name: scope[name] for name in names if name in scope}
        inst = run.inst
        return ActivatedJob(
            job_key=job.key,
            type=job.type,
            worker=record.worker,
            retries=record.retries,
            deadline=job.deadline,
            variables=variables,
            custom_headers=dict(record.custom_headers),
            element_id=record.element_id,
            element_instance_key=run.key,
            process_instance_key=inst.key,
            root_process_instance_key=inst.record.root_process_instance_key,
            process_definition_key=inst.record.process_definition_key,
            process_definition_id=inst.model.id,
            process_definition_version=inst.record.process_definition_version,
            tenant_id=record.tenant_id,
            tags=list(inst.record.tags),
        )

    def _job_timed_out(self, key: int, deadline: int) -> None:
        job = self._active_jobs.get(key)
        if job is None or not job.activated or job.deadline != deadline:
            return
        job.activated = False
        job.deadline = 0
        job.record.state = "TIMED_OUT"
        job.record.deadline = None
        job.record.last_update_time = self._now()
        self._touch(job.record)
        self._make_activatable(job)

    def _check_job_open(self, job: _Job, action: str) -> None:
        if job.suspended == "incident":
            raise Conflict(
                f"cannot {action} job {job.key}: it has an incident "
                f"({job.record.state}); update its retries and resolve the incident first"
            )

    def complete_job(self, key: int, variables: Mapping[str, Any] | None = None) -> None:
        """Complete a job: its variables are merged into the instance (see variable scopes)."""
        self.advance()  # what is due by the clock happens first
        job = self._job(key)
        values = _check_variables(variables)
        self._check_job_open(job, "complete")
        self._end_job(job, "COMPLETED")
        self._carry_trigger(job.run, values)
        self._drain()

    def _end_job(self, job: _Job, state: str) -> None:
        self._active_jobs.pop(job.key, None)
        self._deactivate(job)
        now = self._now()
        job.record.state = state
        job.record.end_time = now
        job.record.last_update_time = now
        self._touch(job.record)
        job.run.job_key = None

    def fail_job(
        self,
        key: int,
        retries: int,
        error_message: str | None = None,
        retry_back_off_ms: int = 0,
        variables: Mapping[str, Any] | None = None,
    ) -> None:
        """Fail a job: with retries left it is handed out again (after the back-off);
        with none, an incident JOB_NO_RETRIES is raised. Variables are set local to the task.
        """
        self.advance()  # what is due by the clock happens first
        job = self._job(key)
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise InvalidArgument(f"retries must be a non-negative integer, not {retries!r}")
        if (
            isinstance(retry_back_off_ms, bool)
            or not isinstance(retry_back_off_ms, int)
            or retry_back_off_ms < 0
        ):
            raise InvalidArgument(
                f"retryBackOff must be a non-negative integer, not {retry_back_off_ms!r}"
            )
        values = _check_variables(variables)
        self._check_job_open(job, "fail")
        if not job.activated:
            raise Conflict(f"cannot fail job {key}: it is not activated by a worker")
        self._deactivate(job)
        record = job.record
        record.retries = retries
        record.state = "FAILED"
        record.error_message = error_message
        record.deadline = None
        record.last_update_time = self._now()
        self._touch(record)
        if values:
            self._set_local(job.run, values)
        if retries > 0:
            record.has_failed_with_retries_left = True
            if retry_back_off_ms > 0:
                job.suspended = "backoff"
                self._schedule(self.clock.now() + retry_back_off_ms, "backoff", key)
            else:
                self._make_activatable(job)
        else:
            record.has_failed_with_retries_left = False
            self._job_incident(job, "JOB_NO_RETRIES", error_message or "No more retries left.")
        self._drain()

    def _job_incident(self, job: _Job, error_type: str, message: str) -> None:
        job.suspended = "incident"
        self._raise_incident(job.run, error_type, message, job_key=job.key)

    def throw_job_error(
        self,
        key: int,
        error_code: str,
        error_message: str | None = None,
        variables: Mapping[str, Any] | None = None,
    ) -> None:
        """Throw a BPMN error from a job: the nearest error boundary catching `error_code`
        (by code, else a catch-all) takes over; if none does, an UNHANDLED_ERROR_EVENT incident.
        """
        self.advance()  # what is due by the clock happens first
        job = self._job(key)
        if not isinstance(error_code, str) or not error_code:
            raise InvalidArgument("errorCode must be a non-empty string")
        values = _check_variables(variables)
        self._check_job_open(job, "throw an error for")
        record = job.record
        record.error_code = error_code
        record.error_message = error_message
        self._touch(record)
        catch = self._find_error_catch(job.run, error_code)
        if catch is None:
            self._deactivate(job)
            record.state = "ERROR_THROWN"
            record.last_update_time = self._now()
            self._job_incident(
                job,
                "UNHANDLED_ERROR_EVENT",
                f"Expected to throw an error event with the code '{error_code}'"
                + (f" with message '{error_message}'" if error_message else "")
                + ", but it was not caught. No error events are available in the scope.",
            )
        else:
            self._end_job(job, "ERROR_THROWN")
            self._trigger_catch(catch, values)
        self._drain()

    def update_job(
        self, key: int, retries: int | None = None, timeout_ms: int | None = None
    ) -> None:
        """Change a job's retries and/or its timeout (a new deadline from now)."""
        self.advance()  # what is due by the clock happens first
        job = self._job(key)
        if retries is None and timeout_ms is None:
            raise InvalidArgument("give retries or timeout to update")
        if retries is not None and (
            isinstance(retries, bool) or not isinstance(retries, int) or retries < 1
        ):
            raise InvalidArgument(f"retries must be at least 1, not {retries!r}")
        if timeout_ms is not None:
            if isinstance(timeout_ms, bool) or not isinstance(timeout_ms, int) or timeout_ms < 0:
                raise InvalidArgument(
                    f"timeout must be a non-negative number of ms, not {timeout_ms!r}"
                )
            if not job.activated:
                raise Conflict(f"cannot update the timeout of job {key}: it is not activated")
        record = job.record
        record.last_update_time = self._now()
        self._touch(record)
        if retries is not None:
            record.retries = retries
            record.state = "RETRIES_UPDATED"
        if timeout_ms is not None:
            job.deadline = self.clock.now() + timeout_ms
            record.deadline = format_timestamp(job.deadline)
            record.state = "TIMEOUT_UPDATED"
            self._schedule(job.deadline, "job_timeout", (key, job.deadline))
        self._drain()

    # ------------------------------------------------------------------ incidents

    def _raise_incident(
        self,
        run: _Run,
        error_type: str,
        message: str,
        *,
        job_key: int | None = None,
        retry: Callable[[], None] | None = None,
    ) -> None:
        inst = run.inst
        key = self._key()
        node = run.node
        incident = self.incidents[key] = IncidentRecord(
            incident_key=key,
            error_type=error_type,
            error_message=message,
            element_id=node.id if node is not None else inst.model.id,
            element_instance_key=run.key,
            process_instance_key=inst.key,
            root_process_instance_key=inst.record.root_process_instance_key,
            process_definition_key=inst.record.process_definition_key,
            process_definition_id=inst.model.id,
            tenant_id=inst.record.tenant_id,
            creation_time=self._now(),
            job_key=job_key,
        )
        self._touch(incident)
        run.incident_key = key
        if run.record is not None:
            run.record.has_incident = True
            run.record.incident_key = key
            self._touch(run.record)
        inst.incidents += 1
        inst.record.has_incident = True
        self._touch(inst.record)
        if retry is not None:
            self._incident_retry[key] = (run, retry)
        _log.debug("instance %d: incident %d %s", inst.key, key, error_type)

    def _settle_incident(self, key: int) -> None:
        record = self.incidents.get(key)
        if record is None or record.state != "ACTIVE":
            return
        record.state = "RESOLVED"
        self._touch(record)
        self._incident_retry.pop(key, None)
        run = self._runs.get(record.element_instance_key)
        if run is not None and run.incident_key == key:
            run.incident_key = None
            if run.record is not None:
                run.record.has_incident = False
                run.record.incident_key = None
                self._touch(run.record)
        inst = self._instances.get(record.process_instance_key)
        if inst is not None:
            inst.incidents -= 1
            inst.record.has_incident = inst.incidents > 0
            self._touch(inst.record)
        else:
            instance_record = self.process_instances.get(record.process_instance_key)
            if instance_record is not None:
                instance_record.has_incident = False
                self._touch(instance_record)

    def resolve_incident(self, key: int) -> None:
        """Resolve an incident: a job incident hands its job out again (once its retries are
        above 0: update them first); any other incident retries the step that failed.
        """
        self.advance()  # what is due by the clock happens first
        _check_key(key, "incidentKey")
        record = self.incidents.get(key)
        if record is None or record.state != "ACTIVE":
            raise NotFound("incident", key, "it is already resolved" if record else None)
        job = self._active_jobs.get(record.job_key) if record.job_key is not None else None
        if record.error_type == "JOB_NO_RETRIES" and job is not None and job.record.retries <= 0:
            raise Conflict(
                f"incident {key} is for job {job.key}, which has no retries left: update the "
                "job's retries first, then resolve the incident"
            )
        retry = self._incident_retry.get(key)
        self._settle_incident(key)
        if job is not None:
            job.suspended = ""
            self._make_activatable(job)
        elif retry is not None:
            self._enqueue(retry[0], retry[1])
        self._drain()

    # ------------------------------------------------------------------ variables

    def set_variables(
        self, element_instance_key: int, variables: Mapping[str, Any], local: bool = False
    ) -> None:
        """Set variables on an active scope (an element instance or a process instance).

        `local=True` sets them on that scope; otherwise each propagates to the nearest
        scope that has it, else to the process instance.
        """
        self.advance()  # what is due by the clock happens first
        _check_key(element_instance_key, "elementInstanceKey")
        run = self._runs.get(element_instance_key)
        if run is None:
            raise NotFound("element instance", element_instance_key, "no active element instance")
        values = _check_variables(variables)
        if not values:
            raise InvalidArgument("give at least one variable to set")
        if local:
            self._set_local(run, values)
        else:
            self._merge(run, values)
        self._drain()

    # ------------------------------------------------------------------ user tasks

    def _user_task_fields(self, run: _Run, node: Node) -> dict[str, Any]:
        spec = node.user_task
        assert spec is not None
        fields: dict[str, Any] = {}
        if spec.assignee is not None:
            fields["assignee"] = (
                self._eval_property(spec.assignee, run, "STRING", "EXTRACT_VALUE_ERROR") or None
            )
        for name, prop in (
            ("candidate_groups", spec.candidate_groups),
            ("candidate_users", spec.candidate_users),
        ):
            if prop is None:
                continue
            if prop.expression is None:
                fields[name] = [
                    part.strip() for part in (prop.static or "").split(",") if part.strip()
                ]
            else:
                value = self._eval(prop.expression, run.scope_chain(), "EXTRACT_VALUE_ERROR")
                if isinstance(value, str):
                    value = [part.strip() for part in value.split(",") if part.strip()]
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise _Fail(
                        "EXTRACT_VALUE_ERROR",
                        f"Expected result of the expression '{prop.expression.source}' to be "
                        f"'ARRAY' of strings, but was '{type_name(value)}'.",
                    )
                fields[name] = value
        for name, prop in (("due_date", spec.due_date), ("follow_up_date", spec.follow_up_date)):
            if prop is None:
                continue
            value = prop.static
            if prop.expression is not None:
                value = to_json(
                    self._eval(prop.expression, run.scope_chain(), "EXTRACT_VALUE_ERROR")
                )
            if value is None:
                continue
            try:
                fields[name] = format_timestamp(parse_date(str(value)))
            except ValueError as error:
                raise _Fail(
                    "EXTRACT_VALUE_ERROR", f"invalid {name.replace('_', ' ')}: {error}"
                ) from None
        if spec.priority is not None:
            value = spec.priority.static
            if spec.priority.expression is not None:
                value = self._eval(
                    spec.priority.expression, run.scope_chain(), "EXTRACT_VALUE_ERROR"
                )
            try:
                priority = int(str(value))
            except ValueError:
                priority = -1
            if not 0 <= priority <= 100:
                raise _Fail(
                    "EXTRACT_VALUE_ERROR",
                    f"Expected the priority to be a number between 0 and 100, but was '{value}'.",
                )
            fields["priority"] = priority
        if spec.form_id is not None:
            form_key = self._latest_form.get((run.inst.record.tenant_id, spec.form_id))
            if form_key is None:
                raise _Fail(
                    "FORM_NOT_FOUND",
                    f"Expected to find a form with id '{spec.form_id}', but no form with this id "
                    "is deployed.",
                )
            fields["form_key"] = form_key
        if spec.external_reference is not None:
            fields["external_form_reference"] = self._eval_property(
                spec.external_reference, run, "STRING", "EXTRACT_VALUE_ERROR"
            )
        return fields

    def _create_user_task(self, run: _Run, node: Node, fields: dict[str, Any]) -> None:
        inst = run.inst
        key = self._key()
        record = UserTaskRecord(
            user_task_key=key,
            name=node.name,
            state="CREATED",
            element_id=node.id,
            element_instance_key=run.key,
            process_instance_key=inst.key,
            root_process_instance_key=inst.record.root_process_instance_key,
            process_definition_key=inst.record.process_definition_key,
            process_definition_id=inst.model.id,
            process_definition_version=inst.record.process_definition_version,
            process_name=inst.model.name,
            tenant_id=inst.record.tenant_id,
            creation_date=self._now(),
            custom_headers=dict(node.headers),
            tags=list(inst.record.tags),
            **fields,
        )
        self.user_tasks[key] = record
        self._touch(record)
        run.user_task_key = key
        _log.debug("instance %d: user task %d created", inst.key, key)

    def _user_task(self, key: int) -> tuple[UserTaskRecord, _Run]:
        _check_key(key, "userTaskKey")
        record = self.user_tasks.get(key)
        if record is None:
            raise NotFound("user task", key)
        run = self._runs.get(record.element_instance_key)
        if record.state != "CREATED" or run is None:
            raise Conflict(f"user task {key} is {record.state}, not open")
        return record, run

    def assign_user_task(self, key: int, assignee: str, allow_override: bool = True) -> None:
        """Assign a user task; with `allow_override=False` an assigned task is a conflict."""
        self.advance()  # what is due by the clock happens first
        record, _ = self._user_task(key)
        if not isinstance(assignee, str) or not assignee:
            raise InvalidArgument("the assignee must be a non-empty string")
        if record.assignee and not allow_override and record.assignee != assignee:
            raise Conflict(f"user task {key} is already assigned to '{record.assignee}'")
        record.assignee = assignee
        self._touch(record)

    def unassign_user_task(self, key: int) -> None:
        """Remove a user task's assignee."""
        self.advance()  # what is due by the clock happens first
        record, _ = self._user_task(key)
        record.assignee = None
        self._touch(record)

    def update_user_task(
        self,
        key: int,
        *,
        due_date: str | None = _UNSET,
        follow_up_date: str | None = _UNSET,
        candidate_users: list[str] | None = _UNSET,
        candidate_groups: list[str] | None = _UNSET,
        priority: int | None = _UNSET,
    ) -> None:
        """Change a user task's dates, candidates or priority (only the fields given)."""
        self.advance()  # what is due by the clock happens first
        record, _ = self._user_task(key)
        changes: dict[str, Any] = {}
        for name, value in (("due_date", due_date), ("follow_up_date", follow_up_date)):
            if value is _UNSET:
                continue
            if value is None or value == "":
                changes[name] = None
                continue
            if not isinstance(value, str):
                raise InvalidArgument(f"{name} must be an ISO 8601 date-time string")
            try:
                changes[name] = format_timestamp(parse_date(value))
            except ValueError as error:
                raise InvalidArgument(f"{name}: {error}") from None
        for name, value in (
            ("candidate_users", candidate_users),
            ("candidate_groups", candidate_groups),
        ):
            if value is _UNSET:
                continue
            if value is None:
                value = []
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise InvalidArgument(f"{name} must be a list of strings")
            changes[name] = list(value)
        if priority is not _UNSET:
            if (
                isinstance(priority, bool)
                or not isinstance(priority, int)
                or not 0 <= priority <= 100
            ):
                raise InvalidArgument(
                    f"priority must be an integer from 0 to 100, not {priority!r}"
                )
            changes["priority"] = priority
        for name, value in changes.items():
            setattr(record, name, value)
        self._touch(record)

    def complete_user_task(self, key: int, variables: Mapping[str, Any] | None = None) -> None:
        """Complete a user task; its variables are merged into the instance like a job's."""
        self.advance()  # what is due by the clock happens first
        record, run = self._user_task(key)
        values = _check_variables(variables)
        record.state = "COMPLETED"
        record.completion_date = self._now()
        self._touch(record)
        run.user_task_key = None
        self._carry_trigger(run, values)
        self._drain()

    # ------------------------------------------------------------------ messages

    def publish_message(
        self,
        name: str,
        correlation_key: str | None,
        time_to_live_ms: int,
        message_id: str | None = None,
        variables: Mapping[str, Any] | None = None,
        tenant_id: str | None = None,
    ) -> MessageRecord:
        """Publish a message: correlated to every waiting subscription of its name and key
        (at most once per process), then buffered for `time_to_live_ms` for later ones.

        A `message_id` already buffered with the same name and key is a `Conflict`.
        """
        self.advance()  # what is due by the clock happens first
        tenant = self._tenant(tenant_id)
        key_text = self._check_message(name, correlation_key)
        if (
            isinstance(time_to_live_ms, bool)
            or not isinstance(time_to_live_ms, int)
            or time_to_live_ms < 0
        ):
            raise InvalidArgument(
                f"timeToLive must be a non-negative integer, not {time_to_live_ms!r}"
            )
        values = _check_variables(variables)
        if message_id is not None and not isinstance(message_id, str):
            raise InvalidArgument("messageId must be a string")
        if message_id and (tenant, name, key_text, message_id) in self._message_ids:
            raise Conflict(
                f"a message with name '{name}', correlation key '{key_text}' and id "
                f"'{message_id}' is already published and still buffered"
            )
        message = self._new_message(name, key_text, time_to_live_ms, message_id, values, tenant)
        self._correlate_message(message)
        if time_to_live_ms > 0:
            self._buffer.setdefault((tenant, name, key_text), {})[message.record.message_key] = (
                message
            )
            self._buffer_by_name.setdefault((tenant, name), {})[message.record.message_key] = (
                message
            )
            if message_id:
                self._message_ids.add((tenant, name, key_text, message_id))
            self._schedule(message.deadline, "ttl", message)
        self._drain()
        return message.record

    def _check_message(self, name: object, correlation_key: object) -> str:
        if not isinstance(name, str) or not name:
            raise InvalidArgument("the message name must be a non-empty string")
        if correlation_key is None:
            return ""
        if not isinstance(correlation_key, str):
            raise InvalidArgument("the correlation key must be a string")
        return correlation_key

    def _new_message(
        self,
        name: str,
        correlation_key: str,
        ttl: int,
        message_id: str | None,
        variables: dict[str, Any],
        tenant: str,
    ) -> _Message:
        record = MessageRecord(
            self._key(), name, correlation_key, ttl, message_id, tenant, self._now()
        )
        self.messages[record.message_key] = record
        return _Message(record, variables, self.clock.now() + ttl)

    def _correlate_message(self, message: _Message) -> list[int]:
        """Correlate to start events and waiting subscriptions; the instance keys reached."""
        record = message.record
        reached: list[int] = []
        for waiter in list(self._message_starts.get((record.tenant_id, record.name), {}).values()):
            key = self._start_by_message(waiter, message)
            if key is not None:
                reached.append(key)
        bucket = self._message_waiters.get((record.tenant_id, record.name, record.correlation_key))
        for waiter in list(bucket.values()) if bucket else []:
            if waiter.cancelled or waiter.run is None:
                continue
            bpmn_id = waiter.run.inst.model.id
            if bpmn_id in message.correlated:
                continue
            message.correlated.add(bpmn_id)
            reached.append(waiter.run.inst.key)
            self._deliver(waiter, message)
        return reached

    def _start_by_message(self, waiter: _Waiter, message: _Message) -> int | None:
        model = self._models[waiter.definition_key]
        record = message.record
        if model.id in message.correlated:
            return None
        single = (record.tenant_id, model.id, record.correlation_key)
        if record.correlation_key and self._message_started.get(single):
            return None
        message.correlated.add(model.id)
        inst = self._start_instance(
            waiter.definition_key, {}, [waiter.node], trigger=dict(message.variables)
        )
        if record.correlation_key:
            inst.message_start = single
            self._message_started[single] = self._message_started.get(single, 0) + 1
        start_key = inst.element_keys[0] if inst.element_keys else None
        self._record_correlation(message, waiter, inst, start_key)
        return inst.key

    def _deliver(self, waiter: _Waiter, message: _Message) -> None:
        run = waiter.run
        assert run is not None and waiter.record is not None
        waiter.record.message_subscription_state = "CORRELATED"
        waiter.record.last_updated_date = self._now()
        self._touch(waiter.record)
        self._record_correlation(message, waiter, run.inst, run.key)
        if waiter.mode in ("boundary", "esp") and not waiter.node.interrupting:
            # A non-interrupting boundary stays subscribed for the next message.
            waiter.record.message_subscription_state = "CREATED"
        self._fire(waiter, message.variables)

    def _record_correlation(
        self, message: _Message, waiter: _Waiter, inst: _Instance, element_key: int | None
    ) -> None:
        record = message.record
        correlation = CorrelatedMessageRecord(
            message_key=record.message_key,
            subscription_key=waiter.key,
            message_name=record.name,
            correlation_key=record.correlation_key,
            correlation_time=self._now(),
            element_id=waiter.node.id,
            element_instance_key=element_key,
            process_instance_key=inst.key,
            root_process_instance_key=inst.record.root_process_instance_key,
            process_definition_id=inst.model.id,
            process_definition_key=inst.record.process_definition_key,
            tenant_id=record.tenant_id,
        )
        self.correlated_messages[(record.message_key, waiter.key)] = correlation
        self._touch(correlation)

    def _buffer_poll(self, waiter: _Waiter) -> Callable[[], None]:
        def poll() -> None:
            if waiter.cancelled or waiter.run is None or waiter.run.done:
                return
            bucket = self._buffer.get(waiter.index_key)
            if not bucket:
                return
            now = self.clock.now()
            bpmn_id = waiter.run.inst.model.id
            for message in list(bucket.values()):
                if message.deadline > now and bpmn_id not in message.correlated:
                    message.correlated.add(bpmn_id)
                    self._deliver(waiter, message)
                    return

        return poll

    def _poll_start_buffer(self, waiter: _Waiter, correlation_key: str | None) -> None:
        bucket = self._buffer_by_name.get((waiter.tenant, waiter.name))
        if not bucket:
            return
        now = self.clock.now()
        for message in list(bucket.values()):
            if correlation_key is not None and message.record.correlation_key != correlation_key:
                continue
            if message.deadline <= now:
                continue
            started = self._start_by_message(waiter, message)
            if started is not None and correlation_key is not None:
                return  # one instance per correlation key at a time

    def _expire_message(self, message: _Message) -> None:
        record = message.record
        bucket = self._buffer.get((record.tenant_id, record.name, record.correlation_key))
        if bucket is not None:
            bucket.pop(record.message_key, None)
            if not bucket:
                del self._buffer[(record.tenant_id, record.name, record.correlation_key)]
        by_name = self._buffer_by_name.get((record.tenant_id, record.name))
        if by_name is not None:
            by_name.pop(record.message_key, None)
            if not by_name:
                del self._buffer_by_name[(record.tenant_id, record.name)]
        if record.message_id:
            self._message_ids.discard(
                (record.tenant_id, record.name, record.correlation_key, record.message_id)
            )

    def correlate_message(
        self,
        name: str,
        correlation_key: str | None = None,
        variables: Mapping[str, Any] | None = None,
        tenant_id: str | None = None,
    ) -> MessageCorrelationRecord:
        """Correlate a message now (never buffered); `NotFound` if nothing waits for it.

        Returns the first process instance the message reached.
        """
        self.advance()  # what is due by the clock happens first
        tenant = self._tenant(tenant_id)
        key_text = self._check_message(name, correlation_key)
        values = _check_variables(variables)
        if not self._can_correlate(tenant, name, key_text):
            raise NotFound(
                "message subscription",
                f"'{name}'",
                f"no process waits for a message named '{name}' with correlation key '{key_text}'",
            )
        message = self._new_message(name, key_text, 0, None, values, tenant)
        reached = self._correlate_message(message)
        self._drain()
        return MessageCorrelationRecord(
            message.record.message_key, reached[0] if reached else 0, tenant
        )

    def _can_correlate(self, tenant: str, name: str, correlation_key: str) -> bool:
        if self._message_waiters.get((tenant, name, correlation_key)):
            return True
        for waiter in self._message_starts.get((tenant, name), {}).values():
            bpmn_id = self._models[waiter.definition_key].id
            if not (
                correlation_key and self._message_started.get((tenant, bpmn_id, correlation_key))
            ):
                return True
        return False

    # ------------------------------------------------------------------ signals

    def broadcast_signal(
        self, name: str, variables: Mapping[str, Any] | None = None, tenant_id: str | None = None
    ) -> SignalRecord:
        """Broadcast a signal to every signal catch event, boundary and start event named so."""
        self.advance()  # what is due by the clock happens first
        tenant = self._tenant(tenant_id)
        if not isinstance(name, str) or not name:
            raise InvalidArgument("the signal name must be a non-empty string")
        values = _check_variables(variables)
        record = SignalRecord(self._key(), tenant)
        self.signals[record.signal_key] = record
        for waiter in list(self._signal_waiters.get((tenant, name), {}).values()):
            self._fire(waiter, values)
        self._drain()
        return record

    # ------------------------------------------------------------------ helpers

    def _tenant(self, tenant_id: str | None) -> str:
        if tenant_id is None or tenant_id == "":
            return DEFAULT_TENANT
        if not isinstance(tenant_id, str):
            raise InvalidArgument("tenantId must be a string")
        return tenant_id

    def _check_tags(self, tags: Iterable[str] | None) -> list[str]:
        if tags is None:
            return []
        if isinstance(tags, str):
            raise InvalidArgument("tags must be a list of strings")
        result = list(tags)
        if not all(isinstance(tag, str) and tag for tag in result):
            raise InvalidArgument("tags must be non-empty strings")
        return result
