"""Engine-backed operations the dev cluster does not emulate (yet), by area.

The engine's operations are served by the resource modules beside this one
(`deployments`, `instances`, `jobs`, `messages`, `incidents`, `user_tasks`). The
ones listed here have no handler: they answer `501` naming their area, never a
fake success. docs/devcluster.md lists them too.
"""

from __future__ import annotations

__all__ = ["NOT_EMULATED"]

_AREAS: dict[str, tuple[str, ...]] = {
    "resources (get, search, delete)": (
        "deleteResource",
        "getResource",
        "getResourceContent",
        "searchResources",
    ),
    "process instance migration": ("migrateProcessInstance",),
    "batch operations": (
        "resolveProcessInstanceIncidents",
        "cancelProcessInstancesBatchOperation",
        "resolveIncidentsBatchOperation",
        "migrateProcessInstancesBatchOperation",
        "searchBatchOperations",
        "getBatchOperation",
        "cancelBatchOperation",
        "searchBatchOperationItems",
    ),
}

#: Operation id -> area, for engine operations the dev cluster does not emulate yet.
NOT_EMULATED: dict[str, str] = {op: area for area, ops in _AREAS.items() for op in ops}
