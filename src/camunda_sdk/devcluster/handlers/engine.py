"""Engine-backed operations: WIRED AT MERGE.

These operations need the BPMN engine (`camunda_sdk.devcluster.engine`). Until a
handler is registered for one (`@handles("createProcessInstance")` in this
module, calling `ctx.engine`), it answers `501` saying it waits for the engine,
rather than a fake success. Each entry names the area it belongs to, for the
501's detail and for docs/devcluster.md.
"""

from __future__ import annotations

__all__ = ["WIRED_AT_MERGE"]

_AREAS: dict[str, tuple[str, ...]] = {
    "deployments and resources": (
        "createDeployment",
        "deleteResource",
        "getResource",
        "getResourceContent",
        "searchResources",
    ),
    "process definitions": (
        "searchProcessDefinitions",
        "getProcessDefinition",
        "getProcessDefinitionXML",
        "getStartProcessForm",
    ),
    "process instances": (
        "createProcessInstance",
        "getProcessInstance",
        "searchProcessInstances",
        "cancelProcessInstance",
        "getProcessInstanceCallHierarchy",
        "searchProcessInstanceIncidents",
        "resolveProcessInstanceIncidents",
        "migrateProcessInstance",
    ),
    "element instances": (
        "searchElementInstances",
        "getElementInstance",
        "createElementInstanceVariables",
        "searchElementInstanceIncidents",
    ),
    "variables": ("searchVariables", "getVariable"),
    "jobs": (
        "activateJobs",
        "completeJob",
        "failJob",
        "throwJobError",
        "updateJob",
        "searchJobs",
    ),
    "messages": (
        "publishMessage",
        "correlateMessage",
        "searchMessageSubscriptions",
        "searchCorrelatedMessageSubscriptions",
    ),
    "signals": ("broadcastSignal",),
    "incidents": ("searchIncidents", "getIncident", "resolveIncident"),
    "user tasks": (
        "searchUserTasks",
        "getUserTask",
        "assignUserTask",
        "unassignUserTask",
        "updateUserTask",
        "completeUserTask",
        "getUserTaskForm",
        "searchUserTaskVariables",
    ),
    "forms": ("getFormByKey",),
    "batch operations": (
        "cancelProcessInstancesBatchOperation",
        "resolveIncidentsBatchOperation",
        "migrateProcessInstancesBatchOperation",
        "searchBatchOperations",
        "getBatchOperation",
        "cancelBatchOperation",
        "searchBatchOperationItems",
    ),
}

#: Operation id -> area, for every operation the engine will serve.
WIRED_AT_MERGE: dict[str, str] = {op: area for area, ops in _AREAS.items() for op in ops}
