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

from camunda_sdk.devcluster.engine import records
from camunda_sdk.devcluster.engine.clock import Clock, format_timestamp
from camunda_sdk.devcluster.engine.engine import FIRST_KEY, Engine
from camunda_sdk.devcluster.engine.errors import (
    Conflict,
    DeploymentRejected,
    EngineError,
    InvalidArgument,
    NotFound,
)

# The record types are the package's API under the names `records.__all__` lists; star-import
# them so that list is kept in one place.
from camunda_sdk.devcluster.engine.records import *  # noqa: F403

__all__ = [
    "FIRST_KEY",
    "Clock",
    "Conflict",
    "DeploymentRejected",
    "Engine",
    "EngineError",
    "InvalidArgument",
    "NotFound",
    "format_timestamp",
]
__all__ += records.__all__
