"""BPMN 2.0 XML (with Camunda's `zeebe:` extensions) parsed into what the engine runs.

`parse_bpmn` reads one resource and returns its executable processes, or raises
`DeploymentRejected` naming the resource, the element and what is wrong: malformed or unsafe
XML, an element or attribute that changes behaviour but that the engine does not run, a FEEL
expression that does not parse, a missing required attribute, a sequence flow to nowhere.
Nothing is accepted that would then run differently than on Camunda.

XML is read with `defusedxml` (no DTDs, no entity expansion, no external references).
Attributes and elements of namespaces other than BPMN and Zeebe (the modeler's, Camunda 7's)
are ignored, as Zeebe ignores them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeElementTree
from defusedxml import DefusedXmlException

from camunda_sdk.devcluster.engine.errors import DeploymentRejected
from camunda_sdk.devcluster.engine.expressions import (
    CompiledExpression,
    ExpressionFailed,
    ExpressionSyntaxError,
    Property,
    compile_expression,
    compile_property,
    is_expression,
    to_json,
)
from camunda_sdk.devcluster.engine.timers import (
    parse_cycle,
    parse_date,
    parse_duration,
)

__all__ = [
    "ACTIVITY_KINDS",
    "BPMN_NS",
    "ZEEBE_NS",
    "Flow",
    "LoopDef",
    "MessageDef",
    "Node",
    "ProcessModel",
    "TimerDef",
    "UserTaskDef",
    "VariableMapping",
    "parse_bpmn",
    "parse_form",
]

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"

ELEMENT_TYPES = {
    "startEvent": "START_EVENT",
    "endEvent": "END_EVENT",
    "serviceTask": "SERVICE_TASK",
    "sendTask": "SEND_TASK",
    "scriptTask": "SCRIPT_TASK",
    "businessRuleTask": "BUSINESS_RULE_TASK",
    "userTask": "USER_TASK",
    "receiveTask": "RECEIVE_TASK",
    "manualTask": "MANUAL_TASK",
    "task": "TASK",
    "exclusiveGateway": "EXCLUSIVE_GATEWAY",
    "parallelGateway": "PARALLEL_GATEWAY",
    "inclusiveGateway": "INCLUSIVE_GATEWAY",
    "eventBasedGateway": "EVENT_BASED_GATEWAY",
    "intermediateCatchEvent": "INTERMEDIATE_CATCH_EVENT",
    "intermediateThrowEvent": "INTERMEDIATE_THROW_EVENT",
    "boundaryEvent": "BOUNDARY_EVENT",
    "subProcess": "SUB_PROCESS",
    "callActivity": "CALL_ACTIVITY",
}
JOB_TASK_KINDS = frozenset({"serviceTask", "sendTask", "scriptTask", "businessRuleTask"})
ACTIVITY_KINDS = frozenset(
    {*JOB_TASK_KINDS, "userTask", "receiveTask", "manualTask", "task", "subProcess", "callActivity"}
)
# BPMN children of containers that carry no behaviour in Zeebe either.
_INERT_CONTAINER_CHILDREN = frozenset(
    {
        "documentation",
        "extensionElements",
        "laneSet",
        "textAnnotation",
        "association",
        "dataObject",
        "dataObjectReference",
        "dataStoreReference",
        "group",
        "property",
        "ioSpecification",
    }
)
_INERT_NODE_CHILDREN = frozenset(
    {
        "documentation",
        "extensionElements",
        "incoming",
        "outgoing",
        "dataInputAssociation",
        "dataOutputAssociation",
        "ioSpecification",
        "property",
    }
)
_EVENT_DEFINITIONS = {
    "messageEventDefinition": "message",
    "timerEventDefinition": "timer",
    "signalEventDefinition": "signal",
    "errorEventDefinition": "error",
    "terminateEventDefinition": "terminate",
}
_UNSUPPORTED_EVENT_DEFINITIONS = {
    "escalationEventDefinition": "escalation events",
    "compensateEventDefinition": "compensation events",
    "conditionalEventDefinition": "conditional events",
    "linkEventDefinition": "link events",
    "cancelEventDefinition": "cancel events",
}
_SUPPORTED_EVENTS = {
    "startEvent": ("none", "message", "timer", "signal", "error"),
    "endEvent": ("none", "error", "terminate", "message"),
    "intermediateCatchEvent": ("message", "timer", "signal"),
    "intermediateThrowEvent": ("none", "message"),
    "boundaryEvent": ("error", "timer", "message", "signal"),
}
_TARGET_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MAX_DEPTH = 64


@dataclass(frozen=True)
class VariableMapping:
    """One `zeebe:input` / `zeebe:output`: `source` (None maps to null) into `target` path."""

    source: CompiledExpression | None
    static_source: str | None
    target: tuple[str, ...]


@dataclass(frozen=True)
class MessageDef:
    """A `bpmn:message`: its name and, where it is awaited, the correlation key."""

    name: Property
    correlation_key: Property | None


@dataclass(frozen=True)
class TimerDef:
    """A timer: `kind` is duration, date or cycle; `value` its (possibly FEEL) text."""

    kind: str
    value: Property


@dataclass(frozen=True)
class LoopDef:
    """`bpmn:multiInstanceLoopCharacteristics` with its `zeebe:loopCharacteristics`."""

    sequential: bool
    input_collection: CompiledExpression
    input_element: str | None
    output_collection: str | None
    output_element: CompiledExpression | None
    completion_condition: CompiledExpression | None


@dataclass(frozen=True)
class UserTaskDef:
    """What `zeebe:userTask` and its sibling extensions say about a user task."""

    assignee: Property | None = None
    candidate_groups: Property | None = None
    candidate_users: Property | None = None
    due_date: Property | None = None
    follow_up_date: Property | None = None
    priority: Property | None = None
    form_id: str | None = None
    external_reference: Property | None = None


@dataclass(eq=False)
class Flow:
    """A sequence flow; `condition` only on flows leaving exclusive and inclusive gateways."""

    id: str
    source: Node
    target: Node
    condition: CompiledExpression | None = None


@dataclass(eq=False)
class Node:
    """One flow node of a process; which fields matter depends on `kind` (the BPMN tag)."""

    id: str
    name: str | None
    kind: str
    element_type: str
    container: Node | None
    incoming: list[Flow] = field(default_factory=list)
    outgoing: list[Flow] = field(default_factory=list)
    event: str = "none"
    inputs: list[VariableMapping] = field(default_factory=list)
    outputs: list[VariableMapping] = field(default_factory=list)
    job_type: Property | None = None
    job_retries: Property | None = None
    headers: dict[str, str] = field(default_factory=dict)
    message: MessageDef | None = None
    timer: TimerDef | None = None
    signal_name: Property | None = None
    error_code: Property | None = None
    boundaries: list[Node] = field(default_factory=list)
    attached_to: Node | None = None
    interrupting: bool = True
    default_flow: Flow | None = None
    loop: LoopDef | None = None
    children: list[Node] = field(default_factory=list)
    none_start: Node | None = None
    event_sub: bool = False
    event_subprocesses: list[Node] = field(default_factory=list)
    called_process_id: Property | None = None
    propagate_all_child_variables: bool = True
    propagate_all_parent_variables: bool = True
    user_task: UserTaskDef | None = None
    script: CompiledExpression | None = None
    result_variable: str | None = None
    form_id: str | None = None

    @property
    def joins(self) -> bool:
        """Whether tokens wait here for one another (a parallel or inclusive join)."""
        return self.kind in ("parallelGateway", "inclusiveGateway") and len(self.incoming) > 1


@dataclass(eq=False)
class ProcessModel:
    """An executable process of a resource, ready to run."""

    id: str
    name: str | None
    version_tag: str | None
    resource_name: str
    nodes: dict[str, Node]
    children: list[Node]
    none_start: Node | None
    message_starts: list[Node]
    timer_starts: list[Node]
    signal_starts: list[Node]
    start_form_id: str | None
    event_subprocesses: list[Node] = field(default_factory=list)
    checksum: str = ""


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


class _Parser:
    def __init__(self, resource_name: str, root: Element) -> None:
        self.resource = resource_name
        self.root = root
        self.messages: dict[str, Element] = {}
        self.errors: dict[str, Element] = {}
        self.signals: dict[str, Element] = {}
        self.ids: set[str] = set()

    def reject(self, element_id: str | None, reason: str) -> DeploymentRejected:
        return DeploymentRejected(self.resource, element_id, reason)

    # --- helpers -----------------------------------------------------------------------

    def compile(self, element_id: str, text: str, what: str) -> CompiledExpression:
        try:
            return compile_expression(text)
        except ExpressionSyntaxError as error:
            raise self.reject(element_id, f"{what}: {error}") from None

    def prop(self, element_id: str, text: str | None, what: str) -> Property | None:
        if text is None or not text.strip():
            return None
        try:
            return compile_property(text)
        except ExpressionSyntaxError as error:
            raise self.reject(element_id, f"{what}: {error}") from None

    def static_value(self, element_id: str, prop: Property, what: str) -> Any:
        """Evaluate a property that Zeebe evaluates at deployment (no variables in scope)."""
        try:
            value = prop.resolve({})
        except ExpressionFailed as error:
            raise self.reject(element_id, f"{what}: {error}") from None
        return value

    def zeebe_children(
        self, element: Element, element_id: str, allowed: set[str]
    ) -> dict[str, Element]:
        found: dict[str, Element] = {}
        for extension in element:
            if _split(extension.tag) != (BPMN_NS, "extensionElements"):
                continue
            for child in extension:
                namespace, local = _split(child.tag)
                if namespace != ZEEBE_NS:
                    continue
                if local == "properties":
                    continue
                if local not in allowed:
                    raise self.reject(
                        element_id,
                        f"zeebe:{local} is not supported by the dev cluster on this element",
                    )
                found[local] = child
        return found

    def check_attributes(self, element: Element, element_id: str, refused: dict[str, str]) -> None:
        for name, reason in refused.items():
            value = element.get(name)
            if value is not None and value.strip().lower() not in ("", "false", "1"):
                raise self.reject(element_id, reason)

    # --- definitions -------------------------------------------------------------------

    def parse(self) -> list[ProcessModel]:
        if _split(self.root.tag) != (BPMN_NS, "definitions"):
            raise self.reject(None, "the root element must be bpmn:definitions (BPMN 2.0 XML)")
        processes: list[Element] = []
        for child in self.root:
            namespace, local = _split(child.tag)
            if namespace != BPMN_NS:
                continue
            child_id = child.get("id") or ""
            if local == "message":
                self.messages[child_id] = child
            elif local == "error":
                self.errors[child_id] = child
            elif local == "signal":
                self.signals[child_id] = child
            elif local == "process":
                processes.append(child)
            elif local == "decision":
                raise self.reject(child_id, "DMN decisions are not supported by the dev cluster")
        executable = [p for p in processes if (p.get("isExecutable") or "").lower() == "true"]
        if not executable:
            raise self.reject(
                None, 'the resource contains no executable process (set isExecutable="true")'
            )
        return [self.process(element) for element in executable]

    def process(self, element: Element) -> ProcessModel:
        process_id = element.get("id") or ""
        if not process_id:
            raise self.reject(None, "a process must have an id (its bpmnProcessId)")
        zeebe = self.zeebe_children(element, process_id, {"versionTag"})
        version_tag = zeebe["versionTag"].get("value") if "versionTag" in zeebe else None
        nodes: dict[str, Node] = {}
        children = self.container(element, None, nodes, 0)
        starts = [node for node in children if node.kind == "startEvent"]
        none_starts = [node for node in starts if node.event == "none"]
        if len(none_starts) > 1:
            raise self.reject(process_id, "a process can have at most one none start event")
        start_form = next((node.form_id for node in none_starts if node.form_id), None)
        return ProcessModel(
            id=process_id,
            name=element.get("name"),
            version_tag=version_tag,
            resource_name=self.resource,
            nodes=nodes,
            children=children,
            none_start=none_starts[0] if none_starts else None,
            message_starts=[node for node in starts if node.event == "message"],
            timer_starts=[node for node in starts if node.event == "timer"],
            signal_starts=[node for node in starts if node.event == "signal"],
            start_form_id=start_form,
            event_subprocesses=[node for node in children if node.event_sub],
        )

    def container(
        self, element: Element, owner: Node | None, nodes: dict[str, Node], depth: int
    ) -> list[Node]:
        if depth > _MAX_DEPTH:
            raise self.reject(owner.id if owner else None, "sub-processes are nested too deeply")
        children: list[Node] = []
        flows: list[Element] = []
        boundaries: list[tuple[Node, str]] = []
        for child in element:
            namespace, local = _split(child.tag)
            if namespace != BPMN_NS or local in _INERT_CONTAINER_CHILDREN:
                continue
            child_id = child.get("id") or ""
            if not child_id:
                raise self.reject(None, f"a bpmn:{local} element has no id")
            if child_id in self.ids:
                raise self.reject(child_id, "the id is used by more than one element")
            self.ids.add(child_id)
            if local == "sequenceFlow":
                flows.append(child)
                continue
            if local not in ELEMENT_TYPES:
                raise self.reject(child_id, f"bpmn:{local} is not supported by the dev cluster")
            node = Node(child_id, child.get("name"), local, ELEMENT_TYPES[local], owner)
            self.node(child, node, nodes, depth)
            nodes[child_id] = node
            children.append(node)
            if local == "boundaryEvent":
                boundaries.append((node, child.get("attachedToRef") or ""))
        local_nodes = {node.id: node for node in children}
        for node, attached_id in boundaries:
            target = local_nodes.get(attached_id)
            if target is None or target.kind not in ACTIVITY_KINDS or target.event_sub:
                raise self.reject(
                    node.id,
                    f"attachedToRef '{attached_id}' names no task, sub-process or call activity "
                    "in the same scope",
                )
            node.attached_to = target
            target.boundaries.append(node)
        for activity in children:
            self.check_boundaries(activity)
        defaults: dict[str, str] = {}
        for node_element in element:
            default = node_element.get("default")
            if default and _split(node_element.tag)[0] == BPMN_NS:
                defaults[node_element.get("id") or ""] = default
        for flow_element in flows:
            self.flow(flow_element, local_nodes)
        for node in children:
            self.check_node_flows(node, defaults.get(node.id))
        return children

    def flow(self, element: Element, local_nodes: dict[str, Node]) -> None:
        flow_id = element.get("id") or ""
        source = local_nodes.get(element.get("sourceRef") or "")
        target = local_nodes.get(element.get("targetRef") or "")
        if source is None:
            raise self.reject(
                flow_id, f"sourceRef '{element.get('sourceRef')}' names no element of this scope"
            )
        if target is None:
            raise self.reject(
                flow_id, f"targetRef '{element.get('targetRef')}' names no element of this scope"
            )
        condition = None
        for child in element:
            namespace, local = _split(child.tag)
            if namespace == BPMN_NS and local == "conditionExpression":
                text = (child.text or "").strip()
                if text:
                    if not is_expression(text):
                        raise self.reject(
                            flow_id, "a condition must be a FEEL expression starting with '='"
                        )
                    condition = self.compile(flow_id, text, "condition")
        if condition is not None and source.kind not in ("exclusiveGateway", "inclusiveGateway"):
            raise self.reject(
                flow_id,
                "conditional sequence flows are only supported leaving exclusive and inclusive "
                "gateways",
            )
        if target.kind == "startEvent" or target.kind == "boundaryEvent":
            raise self.reject(flow_id, f"a sequence flow cannot lead into a {target.kind}")
        if source.event_sub or target.event_sub:
            raise self.reject(flow_id, "an event sub-process cannot have sequence flows")
        flow = Flow(flow_id, source, target, condition)
        source.outgoing.append(flow)
        target.incoming.append(flow)

    def check_node_flows(self, node: Node, default_id: str | None) -> None:
        if default_id:
            if node.kind not in ("exclusiveGateway", "inclusiveGateway"):
                raise self.reject(node.id, "default flows are only supported on gateways")
            flow = next((f for f in node.outgoing if f.id == default_id), None)
            if flow is None:
                raise self.reject(
                    node.id, f"the default flow '{default_id}' is not an outgoing flow"
                )
            if flow.condition is not None:
                raise self.reject(default_id, "the default flow must not have a condition")
            node.default_flow = flow
        if node.kind in ("exclusiveGateway", "inclusiveGateway") and len(node.outgoing) > 1:
            for flow in node.outgoing:
                if flow.condition is None and flow is not node.default_flow:
                    raise self.reject(
                        flow.id,
                        "every flow leaving this gateway needs a condition or must be the "
                        "default flow",
                    )
        if node.kind == "eventBasedGateway":
            if len(node.outgoing) < 2:
                raise self.reject(
                    node.id, "an event-based gateway needs at least two outgoing flows"
                )
            for flow in node.outgoing:
                target = flow.target
                if target.kind != "intermediateCatchEvent" or target.event not in (
                    "message",
                    "timer",
                    "signal",
                ):
                    raise self.reject(
                        flow.id,
                        "an event-based gateway may only lead to message, timer or signal "
                        "intermediate catch events",
                    )
        if node.kind == "boundaryEvent" and node.incoming:
            raise self.reject(node.id, "a boundary event cannot have incoming flows")

    def check_boundaries(self, activity: Node) -> None:
        codes: set[str | None] = set()
        for boundary in activity.boundaries:
            if boundary.event != "error":
                continue
            code = boundary.error_code.static if boundary.error_code else None
            if code in codes:
                which = f"error code '{code}'" if code else "no error code (catch-all)"
                raise self.reject(
                    boundary.id,
                    f"more than one error boundary event with {which} on '{activity.id}'",
                )
            codes.add(code)

    # --- flow nodes --------------------------------------------------------------------

    def node(self, element: Element, node: Node, nodes: dict[str, Node], depth: int) -> None:
        self.check_attributes(
            element,
            node.id,
            {
                "isForCompensation": "compensation activities are not supported by the dev cluster",
                "completionQuantity": "completionQuantity other than 1 is not supported",
                "startQuantity": "startQuantity other than 1 is not supported",
            },
        )
        kind = node.kind
        definitions: list[tuple[str, Element]] = []
        loop_element: Element | None = None
        for child in element:
            namespace, local = _split(child.tag)
            if namespace != BPMN_NS or local in _INERT_NODE_CHILDREN:
                continue
            if local in _EVENT_DEFINITIONS and kind in _SUPPORTED_EVENTS:
                definitions.append((_EVENT_DEFINITIONS[local], child))
            elif local in _UNSUPPORTED_EVENT_DEFINITIONS:
                raise self.reject(
                    node.id,
                    f"{_UNSUPPORTED_EVENT_DEFINITIONS[local]} are not supported by the dev cluster",
                )
            elif local == "multiInstanceLoopCharacteristics" and kind in ACTIVITY_KINDS:
                loop_element = child
            elif local == "standardLoopCharacteristics":
                raise self.reject(node.id, "standard loops are not supported (use multi-instance)")
            elif kind == "subProcess":
                continue  # its flow elements are read by container()
            else:
                raise self.reject(node.id, f"bpmn:{local} inside bpmn:{kind} is not supported")
        if kind in _SUPPORTED_EVENTS:
            if len(definitions) > 1:
                raise self.reject(
                    node.id, "events with several event definitions are not supported"
                )
            node.event = definitions[0][0] if definitions else "none"
            if node.event not in _SUPPORTED_EVENTS[kind]:
                raise self.reject(
                    node.id,
                    f"{node.event} {kind} events are not supported by the dev cluster"
                    if node.event != "none"
                    else f"a bpmn:{kind} needs an event definition",
                )
        allowed = self.allowed_extensions(node)
        zeebe = self.zeebe_children(element, node.id, allowed)
        if "ioMapping" in zeebe:
            self.io_mapping(zeebe["ioMapping"], node)
        if definitions:
            self.event_definition(definitions[0][1], node, zeebe)
        if kind in JOB_TASK_KINDS or (
            kind in ("endEvent", "intermediateThrowEvent") and node.event == "message"
        ):
            self.job_task(node, zeebe)
        elif kind == "userTask":
            self.user_task(node, zeebe)
        elif kind == "callActivity":
            self.call_activity(node, zeebe)
        elif kind == "receiveTask":
            if (element.get("instantiate") or "").lower() == "true":
                raise self.reject(node.id, "instantiating receive tasks are not supported")
            self.message_ref(node, element.get("messageRef"), catching=True)
        elif kind == "subProcess":
            if (element.get("triggeredByEvent") or "").lower() == "true":
                self.event_subprocess(element, node, nodes, depth)
            else:
                node.children = self.container(element, node, nodes, depth + 1)
                starts = [child for child in node.children if child.kind == "startEvent"]
                if len(starts) != 1 or starts[0].event != "none":
                    raise self.reject(
                        node.id, "an embedded sub-process needs exactly one none start event"
                    )
                node.none_start = starts[0]
                node.event_subprocesses = [child for child in node.children if child.event_sub]
        elif kind == "startEvent":
            in_event_sub = node.container is not None and node.container.event_sub
            if node.container is not None and node.event != "none" and not in_event_sub:
                raise self.reject(
                    node.id, "a start event inside a sub-process must be a none start event"
                )
            if node.container is None and node.event == "error":
                raise self.reject(
                    node.id, "error start events are only supported in event sub-processes"
                )
            node.interrupting = (element.get("isInterrupting") or "true").lower() != "false"
            if "formDefinition" in zeebe:
                form = zeebe["formDefinition"]
                node.form_id = form.get("formId")
                if form.get("formKey") and not node.form_id:
                    raise self.reject(
                        node.id,
                        "embedded forms (formKey) are not supported; deploy a .form and use formId",
                    )
        elif kind == "boundaryEvent":
            node.interrupting = (element.get("cancelActivity") or "true").lower() != "false"
            if node.event == "error" and not node.interrupting:
                raise self.reject(node.id, "an error boundary event must be interrupting")
        elif kind == "eventBasedGateway":
            if (element.get("eventGatewayType") or "Exclusive") != "Exclusive":
                raise self.reject(node.id, "only exclusive event-based gateways are supported")
            if (element.get("instantiate") or "").lower() == "true":
                raise self.reject(node.id, "instantiating event-based gateways are not supported")
        elif kind == "inclusiveGateway" or kind == "exclusiveGateway" or kind == "parallelGateway":
            pass
        if loop_element is not None:
            self.loop(loop_element, node)

    def event_subprocess(
        self, element: Element, node: Node, nodes: dict[str, Node], depth: int
    ) -> None:
        node.event_sub = True
        node.element_type = "EVENT_SUB_PROCESS"
        node.children = self.container(element, node, nodes, depth + 1)
        starts = [child for child in node.children if child.kind == "startEvent"]
        if len(starts) != 1 or starts[0].event not in ("message", "timer", "signal", "error"):
            raise self.reject(
                node.id,
                "an event sub-process needs exactly one message, timer, signal or error start "
                "event",
            )
        start = starts[0]
        if start.event == "error" and not start.interrupting:
            raise self.reject(start.id, "an error event sub-process must be interrupting")
        if node.loop is not None:
            raise self.reject(node.id, "an event sub-process cannot be multi-instance")
        node.none_start = start
        node.event_subprocesses = [child for child in node.children if child.event_sub]

    def allowed_extensions(self, node: Node) -> set[str]:
        kind = node.kind
        allowed: set[str] = set()
        if kind in ACTIVITY_KINDS and kind not in ("manualTask", "task"):
            allowed.add("ioMapping")
        if kind in ("manualTask", "task"):
            allowed.add("ioMapping")
        if kind in JOB_TASK_KINDS:
            allowed |= {"taskDefinition", "taskHeaders"}
        if kind == "scriptTask":
            allowed.add("script")
        if kind == "userTask":
            allowed |= {
                "userTask",
                "assignmentDefinition",
                "taskSchedule",
                "priorityDefinition",
                "formDefinition",
                "taskHeaders",
            }
        if kind == "callActivity":
            allowed.add("calledElement")
        if kind in ("intermediateCatchEvent", "boundaryEvent", "startEvent"):
            allowed.add("ioMapping")
        if kind in ("endEvent", "intermediateThrowEvent"):
            allowed.add("ioMapping")
            if node.event == "message":
                allowed |= {"taskDefinition", "taskHeaders"}
        if kind == "startEvent":
            allowed.add("formDefinition")
        return allowed

    def io_mapping(self, element: Element, node: Node) -> None:
        for child in element:
            namespace, local = _split(child.tag)
            if namespace != ZEEBE_NS or local not in ("input", "output"):
                continue
            target = (child.get("target") or "").strip()
            if not _TARGET_PATH.match(target):
                raise self.reject(
                    node.id, f"the {local} mapping target '{target}' is not a variable name or path"
                )
            source_text = child.get("source")
            source = None
            static = None
            if source_text is not None and source_text.strip():
                if is_expression(source_text):
                    source = self.compile(node.id, source_text, f"{local} mapping '{target}'")
                else:
                    static = source_text
            mapping = VariableMapping(source, static, tuple(target.split(".")))
            if local == "input":
                if node.kind in ("startEvent", "boundaryEvent", "intermediateCatchEvent"):
                    raise self.reject(
                        node.id, f"input mappings are not supported on bpmn:{node.kind}"
                    )
                node.inputs.append(mapping)
            else:
                if node.kind == "endEvent" and node.event in ("error", "terminate"):
                    raise self.reject(
                        node.id, "output mappings are not supported on this end event"
                    )
                node.outputs.append(mapping)

    def event_definition(self, element: Element, node: Node, zeebe: dict[str, Element]) -> None:
        event = node.event
        if event == "message":
            catching = node.kind in ("intermediateCatchEvent", "boundaryEvent")
            if node.kind in ("startEvent", "intermediateCatchEvent", "boundaryEvent"):
                self.message_ref(node, element.get("messageRef"), catching=catching)
        elif event == "timer":
            self.timer(element, node)
        elif event == "signal":
            signal = self.signals.get(element.get("signalRef") or "")
            name = signal.get("name") if signal is not None else None
            if not name:
                raise self.reject(
                    node.id, "the signal event needs a signalRef to a bpmn:signal with a name"
                )
            prop = self.prop(node.id, name, "signal name")
            top_start = node.kind == "startEvent" and node.container is None
            if top_start and prop is not None and prop.expression is not None:
                value = self.static_value(node.id, prop, "signal name")
                prop = Property(static=str(value))
            node.signal_name = prop
        elif event == "error":
            error = self.errors.get(element.get("errorRef") or "")
            code = error.get("errorCode") if error is not None else None
            if node.kind == "endEvent":
                if not code:
                    raise self.reject(
                        node.id,
                        "an error end event needs an errorRef to a bpmn:error with an errorCode",
                    )
                node.error_code = self.prop(node.id, code, "error code")
            else:
                if code and is_expression(code):
                    raise self.reject(
                        node.id, "an error catch event's errorCode cannot be an expression"
                    )
                node.error_code = Property(static=code) if code else None

    def message_ref(self, node: Node, ref: str | None, *, catching: bool) -> None:
        message = self.messages.get(ref or "")
        name = message.get("name") if message is not None else None
        if message is None or not name:
            raise self.reject(
                node.id, "the element needs a messageRef to a bpmn:message with a name"
            )
        prop = self.prop(node.id, name, "message name")
        assert prop is not None
        correlation: Property | None = None
        subscription = self.zeebe_children(message, message.get("id") or node.id, {"subscription"})
        if "subscription" in subscription:
            correlation = self.prop(
                node.id, subscription["subscription"].get("correlationKey"), "correlation key"
            )
        if node.kind == "startEvent" and node.container is None:
            if prop.expression is not None:
                prop = Property(static=str(self.static_value(node.id, prop, "message name")))
            correlation = None
        elif (catching or node.kind in ("receiveTask", "startEvent")) and correlation is None:
            raise self.reject(
                node.id,
                f"the message '{name}' needs a correlation key (zeebe:subscription correlationKey)",
            )
        node.message = MessageDef(prop, correlation)

    def timer(self, element: Element, node: Node) -> None:
        found: list[tuple[str, str]] = []
        for child in element:
            namespace, local = _split(child.tag)
            if namespace == BPMN_NS and local in ("timeDuration", "timeDate", "timeCycle"):
                found.append((local[4:].lower(), (child.text or "").strip()))
        if len(found) != 1 or not found[0][1]:
            raise self.reject(
                node.id, "a timer needs exactly one of timeDuration, timeDate or timeCycle"
            )
        kind, text = found[0]
        in_event_sub = node.container is not None and node.container.event_sub
        allowed = {
            "startEvent": ("duration", "date", "cycle") if in_event_sub else ("date", "cycle"),
            "intermediateCatchEvent": ("duration", "date"),
            "boundaryEvent": ("duration", "date", "cycle"),
        }[node.kind]
        if kind not in allowed:
            raise self.reject(
                node.id, f"a time{kind.title()} timer is not allowed on bpmn:{node.kind}"
            )
        prop = self.prop(node.id, text, "timer")
        assert prop is not None
        if node.kind == "startEvent" and not in_event_sub and prop.expression is not None:
            value = self.static_value(node.id, prop, "timer")
            try:
                if kind == "date":
                    prop = Property(static=str(to_json(value)))
                else:
                    prop = Property(static=str(value))
            except Exception:
                raise self.reject(node.id, f"the timer expression gave {value!r}") from None
        if prop.expression is None:
            assert prop.static is not None
            try:
                if kind == "duration":
                    parse_duration(prop.static)
                elif kind == "date":
                    parse_date(prop.static)
                else:
                    parse_cycle(prop.static)
            except ValueError as error:
                raise self.reject(node.id, str(error)) from None
        node.timer = TimerDef(kind, prop)

    def job_task(self, node: Node, zeebe: dict[str, Element]) -> None:
        if node.kind == "scriptTask" and "script" in zeebe:
            if "taskDefinition" in zeebe:
                raise self.reject(
                    node.id, "a script task has either zeebe:script or zeebe:taskDefinition"
                )
            script = zeebe["script"]
            expression = script.get("expression") or ""
            result = script.get("resultVariable") or ""
            if not _NAME.match(result):
                raise self.reject(
                    node.id, "zeebe:script needs a resultVariable that is a variable name"
                )
            node.script = self.compile(node.id, expression, "script")
            node.result_variable = result
            return
        definition = zeebe.get("taskDefinition")
        job_type = definition.get("type") if definition is not None else None
        if definition is None or not job_type or not job_type.strip():
            what = "a business rule task" if node.kind == "businessRuleTask" else "this element"
            raise self.reject(
                node.id,
                f"{what} needs zeebe:taskDefinition with a type (called decisions and "
                "connectors without a job type are not supported)",
            )
        node.job_type = self.prop(node.id, job_type, "job type")
        retries = definition.get("retries") or "3"
        node.job_retries = self.prop(node.id, retries, "job retries")
        static_retries = node.job_retries.static if node.job_retries is not None else None
        if static_retries is not None and not static_retries.strip().isdigit():
            raise self.reject(node.id, f"job retries must be a whole number, not '{retries}'")
        headers = zeebe.get("taskHeaders")
        if headers is not None:
            for header in headers:
                if _split(header.tag) == (ZEEBE_NS, "header"):
                    node.headers[header.get("key") or ""] = header.get("value") or ""

    def user_task(self, node: Node, zeebe: dict[str, Element]) -> None:
        if "userTask" not in zeebe:
            raise self.reject(
                node.id,
                "job worker-based user tasks are not supported: add zeebe:userTask to make it a "
                "Camunda user task",
            )
        assignment = zeebe.get("assignmentDefinition")
        schedule = zeebe.get("taskSchedule")
        priority = zeebe.get("priorityDefinition")
        form = zeebe.get("formDefinition")

        def attribute(element: Element | None, name: str) -> Property | None:
            if element is None:
                return None
            return self.prop(node.id, element.get(name), name)

        form_id = None
        external = None
        if form is not None:
            if form.get("formKey"):
                raise self.reject(
                    node.id,
                    "embedded forms (formKey) are not supported; deploy a .form and use formId",
                )
            if (form.get("bindingType") or "latest") != "latest":
                raise self.reject(node.id, "only the 'latest' form binding is supported")
            form_id = form.get("formId") or None
            external = attribute(form, "externalReference")
        node.user_task = UserTaskDef(
            assignee=attribute(assignment, "assignee"),
            candidate_groups=attribute(assignment, "candidateGroups"),
            candidate_users=attribute(assignment, "candidateUsers"),
            due_date=attribute(schedule, "dueDate"),
            follow_up_date=attribute(schedule, "followUpDate"),
            priority=attribute(priority, "priority"),
            form_id=form_id,
            external_reference=external,
        )
        headers = zeebe.get("taskHeaders")
        if headers is not None:
            for header in headers:
                if _split(header.tag) == (ZEEBE_NS, "header"):
                    node.headers[header.get("key") or ""] = header.get("value") or ""

    def call_activity(self, node: Node, zeebe: dict[str, Element]) -> None:
        called = zeebe.get("calledElement")
        process_id = called.get("processId") if called is not None else None
        if called is None or not process_id:
            raise self.reject(node.id, "a call activity needs zeebe:calledElement with a processId")
        if (called.get("bindingType") or "latest") != "latest":
            raise self.reject(node.id, "only the 'latest' binding of called processes is supported")
        node.called_process_id = self.prop(node.id, process_id, "called process id")
        node.propagate_all_child_variables = (
            called.get("propagateAllChildVariables") or "true"
        ).lower() != "false"
        node.propagate_all_parent_variables = (
            called.get("propagateAllParentVariables") or "true"
        ).lower() != "false"

    def loop(self, element: Element, node: Node) -> None:
        sequential = (element.get("isSequential") or "false").lower() == "true"
        completion = None
        for child in element:
            namespace, local = _split(child.tag)
            if namespace != BPMN_NS:
                continue
            if local == "completionCondition":
                text = (child.text or "").strip()
                if text:
                    completion = self.compile(node.id, text, "completion condition")
            elif local == "loopCardinality":
                raise self.reject(node.id, "loopCardinality is not supported (use inputCollection)")
        zeebe = self.zeebe_children(element, node.id, {"loopCharacteristics"})
        characteristics = zeebe.get("loopCharacteristics")
        collection = characteristics.get("inputCollection") if characteristics is not None else None
        if characteristics is None or not collection:
            raise self.reject(
                node.id, "a multi-instance activity needs zeebe:loopCharacteristics inputCollection"
            )
        input_element = characteristics.get("inputElement") or None
        output_collection = characteristics.get("outputCollection") or None
        output_element_text = characteristics.get("outputElement") or None
        for name in (input_element, output_collection):
            if name is not None and not _NAME.match(name):
                raise self.reject(node.id, f"'{name}' is not a variable name")
        if output_collection and not output_element_text:
            raise self.reject(node.id, "an outputCollection needs an outputElement expression")
        node.loop = LoopDef(
            sequential=sequential,
            input_collection=self.compile(node.id, collection, "input collection"),
            input_element=input_element,
            output_collection=output_collection,
            output_element=self.compile(node.id, output_element_text, "output element")
            if output_element_text
            else None,
            completion_condition=completion,
        )


def parse_bpmn(resource_name: str, data: bytes) -> list[ProcessModel]:
    """The executable processes of one BPMN resource; raise `DeploymentRejected` otherwise."""
    try:
        root = SafeElementTree.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as error:
        raise DeploymentRejected(
            resource_name, None, f"the XML uses a forbidden construct ({type(error).__name__})"
        ) from None
    except ParseError as error:
        raise DeploymentRejected(resource_name, None, f"the XML is malformed: {error}") from None
    try:
        return _Parser(resource_name, root).parse()
    except RecursionError:
        raise DeploymentRejected(resource_name, None, "the XML is nested too deeply") from None


def parse_form(resource_name: str, data: bytes) -> tuple[str, str]:
    """The form id and JSON text of a `.form` resource; raise `DeploymentRejected` otherwise."""
    try:
        text = data.decode("utf-8")
        schema = json.loads(text)
    except (UnicodeDecodeError, ValueError) as error:
        raise DeploymentRejected(
            resource_name, None, f"the form is not valid JSON: {error}"
        ) from None
    form_id = schema.get("id") if isinstance(schema, dict) else None
    if not isinstance(form_id, str) or not form_id:
        raise DeploymentRejected(resource_name, None, "the form needs a non-empty string 'id'")
    return form_id, text
