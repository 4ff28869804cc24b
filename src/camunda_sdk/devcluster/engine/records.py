"""The engine's records: what the HTTP layer searches, filters and renders.

Each record is a plain dataclass whose fields are the spec's search-result fields in
snake_case (`processInstanceKey` -> `process_instance_key`), so the HTTP layer maps them to
the API shape mechanically. Keys are ints (the API renders them as strings); date-times are
ISO 8601 strings in UTC with milliseconds (`2024-05-01T10:00:00.000Z`), as the API sends them;
variable values are JSON text, as the API's `value` field carries them.

The records are the engine's own objects: read them, never mutate them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DEFAULT_TENANT",
    "ActivatedJob",
    "CorrelatedMessageRecord",
    "DeploymentFormRecord",
    "DeploymentProcessRecord",
    "DeploymentRecord",
    "ElementInstanceRecord",
    "FormRecord",
    "IncidentRecord",
    "JobRecord",
    "MessageCorrelationRecord",
    "MessageRecord",
    "MessageSubscriptionRecord",
    "ProcessDefinitionRecord",
    "ProcessInstanceRecord",
    "SignalRecord",
    "UserTaskRecord",
    "VariableRecord",
]

DEFAULT_TENANT = "<default>"
"""The tenant of every record created without one, as on a cluster without multi-tenancy."""


@dataclass(slots=True)
class ProcessDefinitionRecord:
    """A deployed version of one BPMN process (`ProcessDefinitionResult`)."""

    process_definition_key: int
    process_definition_id: str
    name: str | None
    version: int
    version_tag: str | None
    resource_name: str
    tenant_id: str
    has_start_form: bool
    state: str = "ACTIVE"


@dataclass(slots=True)
class FormRecord:
    """A deployed version of a Camunda form (`FormResult`); `schema` is the form's JSON text."""

    form_key: int
    form_id: str
    version: int
    schema: str
    tenant_id: str


@dataclass(slots=True)
class DeploymentProcessRecord:
    """One process of a deployment (`DeploymentProcessResult`)."""

    process_definition_id: str
    process_definition_version: int
    resource_name: str
    tenant_id: str
    process_definition_key: int


@dataclass(slots=True)
class DeploymentFormRecord:
    """One form of a deployment (`DeploymentFormResult`)."""

    form_id: str
    version: int
    resource_name: str
    tenant_id: str
    form_key: int


@dataclass(slots=True)
class DeploymentRecord:
    """A deployment (`DeploymentResult`): the processes and forms it holds, in file order."""

    deployment_key: int
    tenant_id: str
    processes: list[DeploymentProcessRecord] = field(default_factory=list)
    forms: list[DeploymentFormRecord] = field(default_factory=list)


@dataclass(slots=True)
class ProcessInstanceRecord:
    """A process instance (`ProcessInstanceResult`); state ACTIVE, COMPLETED or TERMINATED."""

    process_instance_key: int
    process_definition_id: str
    process_definition_name: str | None
    process_definition_version: int
    process_definition_version_tag: str | None
    process_definition_key: int
    start_date: str
    end_date: str | None
    state: str
    has_incident: bool
    tenant_id: str
    parent_process_instance_key: int | None
    parent_element_instance_key: int | None
    root_process_instance_key: int
    tags: list[str] = field(default_factory=list)
    suspended_date: str | None = None
    business_id: str | None = None


@dataclass(slots=True)
class ElementInstanceRecord:
    """One element's instance (`ElementInstanceResult`); `type` is the spec's element type."""

    element_instance_key: int
    element_id: str
    element_name: str | None
    type: str
    state: str
    start_date: str
    end_date: str | None
    has_incident: bool
    incident_key: int | None
    process_instance_key: int
    root_process_instance_key: int
    process_definition_key: int
    process_definition_id: str
    tenant_id: str


@dataclass(slots=True)
class VariableRecord:
    """A variable (`VariableSearchResult`): `value` is its JSON text, `scope_key` its scope."""

    variable_key: int
    name: str
    value: str
    scope_key: int
    process_instance_key: int
    root_process_instance_key: int
    tenant_id: str


@dataclass(slots=True)
class _ElementPlace:
    """The element instance a job, incident or user task belongs to, and its process."""

    element_id: str
    element_instance_key: int
    process_instance_key: int
    root_process_instance_key: int
    process_definition_key: int
    process_definition_id: str


@dataclass(slots=True)
class JobRecord(_ElementPlace):
    """A job (`JobSearchResult`); `state` is the job's last event (CREATED, FAILED, ...)."""

    job_key: int
    type: str
    state: str
    kind: str
    listener_event_type: str
    retries: int
    worker: str
    custom_headers: dict[str, str]
    tenant_id: str
    creation_time: str
    last_update_time: str
    deadline: str | None = None
    end_time: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    has_failed_with_retries_left: bool = False
    is_denied: bool | None = None
    denied_reason: str | None = None
    business_id: str | None = None
    priority: int = 0


@dataclass(slots=True)
class ActivatedJob(_ElementPlace):
    """A job handed to a worker (`ActivatedJobResult`); `deadline` in epoch milliseconds."""

    job_key: int
    type: str
    worker: str
    retries: int
    deadline: int
    variables: dict[str, Any]
    custom_headers: dict[str, str]
    process_definition_version: int
    tenant_id: str
    kind: str = "BPMN_ELEMENT"
    listener_event_type: str = "UNSPECIFIED"
    tags: list[str] = field(default_factory=list)
    user_task: dict[str, Any] | None = None
    business_id: str | None = None
    priority: int = 0


@dataclass(slots=True)
class IncidentRecord(_ElementPlace):
    """An incident (`IncidentResult`); state ACTIVE until resolved, then RESOLVED."""

    incident_key: int
    error_type: str
    error_message: str
    tenant_id: str
    creation_time: str
    state: str = "ACTIVE"
    job_key: int | None = None


@dataclass(slots=True)
class UserTaskRecord(_ElementPlace):
    """A user task (`UserTaskResult`); state CREATED, then COMPLETED or CANCELED."""

    user_task_key: int
    name: str | None
    state: str
    process_definition_version: int
    process_name: str | None
    tenant_id: str
    creation_date: str
    assignee: str | None = None
    candidate_groups: list[str] = field(default_factory=list)
    candidate_users: list[str] = field(default_factory=list)
    due_date: str | None = None
    follow_up_date: str | None = None
    completion_date: str | None = None
    priority: int = 50
    custom_headers: dict[str, str] = field(default_factory=dict)
    form_key: int | None = None
    external_form_reference: str | None = None
    tags: list[str] = field(default_factory=list)
    business_id: str | None = None


@dataclass(slots=True)
class MessageSubscriptionRecord:
    """A message subscription (`MessageSubscriptionResult`).

    `message_subscription_type` is PROCESS_EVENT (a waiting catch event, receive task,
    boundary or gateway) or START_EVENT (a deployed message start event, with no instance);
    `message_subscription_state` is CREATED, CORRELATED or DELETED.
    """

    message_subscription_key: int
    message_name: str
    correlation_key: str | None
    message_subscription_state: str
    message_subscription_type: str
    element_id: str
    process_definition_id: str
    process_definition_key: int
    tenant_id: str
    last_updated_date: str
    process_instance_key: int | None = None
    root_process_instance_key: int | None = None
    element_instance_key: int | None = None
    process_definition_name: str | None = None
    process_definition_version: int | None = None


@dataclass(slots=True)
class CorrelatedMessageRecord:
    """A message's correlation to one subscription (`CorrelatedMessageSubscriptionResult`)."""

    message_key: int
    subscription_key: int
    message_name: str
    correlation_key: str | None
    correlation_time: str
    element_id: str
    element_instance_key: int | None
    process_instance_key: int
    root_process_instance_key: int
    process_definition_id: str
    process_definition_key: int
    tenant_id: str
    partition_id: int = 1
    business_id: str | None = None


@dataclass(slots=True)
class MessageRecord:
    """A published message (`MessagePublicationResult` plus what the engine keeps of it)."""

    message_key: int
    name: str
    correlation_key: str
    time_to_live_ms: int
    message_id: str | None
    tenant_id: str
    publish_time: str


@dataclass(slots=True)
class MessageCorrelationRecord:
    """The answer of `correlate_message` (`MessageCorrelationResult`)."""

    message_key: int
    process_instance_key: int
    tenant_id: str


@dataclass(slots=True)
class SignalRecord:
    """A broadcast signal (`SignalBroadcastResult`)."""

    signal_key: int
    tenant_id: str
