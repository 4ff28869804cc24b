"""An in-memory BPMN engine with Camunda 8's semantics: the dev cluster's backend.

HTTP-free, like a moto `models.py`: it holds the state (deployments, process instances,
element instances, variables, jobs, incidents, user tasks, messages, signals, timers) and
enforces Camunda's rules; the dev cluster's HTTP layer translates requests onto it.

    engine = Engine()
    engine.deploy([("order.bpmn", xml_bytes)])
    instance = engine.create_process_instance(process_definition_id="order")
    [job] = engine.activate_jobs("ship", max_jobs=1, timeout_ms=30_000, worker="w")
    engine.complete_job(job.job_key, {"shipped": True})
    engine.inspect(instance.process_instance_key)  # [(element id, type, state), ...]

See `Engine` for the operations, `records` for what the collections hold, and `errors` for
the refusals and the HTTP statuses they map to.
"""

from camunda_sdk.devcluster.engine.clock import Clock, format_timestamp
from camunda_sdk.devcluster.engine.engine import FIRST_KEY, Engine
from camunda_sdk.devcluster.engine.errors import (
    Conflict,
    DeploymentRejected,
    EngineError,
    InvalidArgument,
    NotFound,
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

__all__ = [
    "DEFAULT_TENANT",
    "FIRST_KEY",
    "ActivatedJob",
    "Clock",
    "Conflict",
    "CorrelatedMessageRecord",
    "DeploymentFormRecord",
    "DeploymentProcessRecord",
    "DeploymentRecord",
    "DeploymentRejected",
    "ElementInstanceRecord",
    "Engine",
    "EngineError",
    "FormRecord",
    "IncidentRecord",
    "InvalidArgument",
    "JobRecord",
    "MessageCorrelationRecord",
    "MessageRecord",
    "MessageSubscriptionRecord",
    "NotFound",
    "ProcessDefinitionRecord",
    "ProcessInstanceRecord",
    "SignalRecord",
    "UserTaskRecord",
    "VariableRecord",
    "format_timestamp",
]
