"""camunda_sdk: a typed Python SDK for the Camunda 8 Orchestration Cluster REST API (v2).

``import camunda_sdk`` is cheap: the clients, models and workers are imported on
first use through the module ``__getattr__`` below.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__ as __version__
from .operations import aliases as _aliases
from .operations import models as _models
from .operations import semantic_types as _semantic_types
from .operations.semantic_types import *  # noqa: F403

# Public name -> module that defines it (imported on first access).
_LAZY: dict[str, str] = {
    "CamundaClient": "camunda_sdk.client",
    "CamundaAsyncClient": "camunda_sdk.client",
    "CamundaConfig": "camunda_sdk.config",
    "Deployment": "camunda_sdk.deployment",
    "NullLogger": "camunda_sdk.log",
    "CallOptions": "camunda_sdk.pipeline.call",
    "AuthProvider": "camunda_sdk.pipeline.hookspecs",
    "hookimpl": "camunda_sdk.pipeline.hookspecs",
    "ConsistencyOptions": "camunda_sdk.reading.eventual",
    "VariableMap": "camunda_sdk.reading.variables",
    **dict.fromkeys(
        (
            "EventualConsistencyTimeoutError",
            "TypedVariablesError",
            "VariableScopeCollisionError",
            "VariableDeserializationError",
            "MissingVariableError",
        ),
        "camunda_sdk.errors",
    ),
    **dict.fromkeys(
        (
            "WorkerConfig",
            "JobFailure",
            "JobError",
            "JobContext",
            "ConnectedJobContext",
            "SyncJobContext",
            "JobVariables",
            "JobWorker",
        ),
        "camunda_sdk.workers",
    ),
}

# Friendlier names for some spec models (`ProcessCreationByKey`): the generator's
# `MODEL_ALIASES` table, emitted into `operations/aliases.py`.
_ALIASES: dict[str, str] = _aliases.ALIASES

if TYPE_CHECKING:
    from .client import CamundaAsyncClient as CamundaAsyncClient
    from .client import CamundaClient as CamundaClient
    from .config import CamundaConfig as CamundaConfig
    from .deployment import Deployment as Deployment
    from .errors import EventualConsistencyTimeoutError as EventualConsistencyTimeoutError
    from .errors import MissingVariableError as MissingVariableError
    from .errors import TypedVariablesError as TypedVariablesError
    from .errors import VariableDeserializationError as VariableDeserializationError
    from .errors import VariableScopeCollisionError as VariableScopeCollisionError
    from .log import NullLogger as NullLogger
    from .operations.aliases import *  # noqa: F403
    from .operations.models import *  # noqa: F403
    from .pipeline.call import CallOptions as CallOptions
    from .pipeline.hookspecs import AuthProvider as AuthProvider
    from .pipeline.hookspecs import hookimpl as hookimpl
    from .reading.eventual import ConsistencyOptions as ConsistencyOptions
    from .reading.variables import VariableMap as VariableMap
    from .workers import ConnectedJobContext as ConnectedJobContext
    from .workers import JobContext as JobContext
    from .workers import JobError as JobError
    from .workers import JobFailure as JobFailure
    from .workers import JobVariables as JobVariables
    from .workers import JobWorker as JobWorker
    from .workers import SyncJobContext as SyncJobContext
    from .workers import WorkerConfig as WorkerConfig


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
    else:
        try:
            value = getattr(_models, _ALIASES.get(name, name))
        except AttributeError:
            raise AttributeError(f"module 'camunda_sdk' has no attribute {name!r}") from None
    globals()[name] = value
    return value


__all__ = [
    "AuthProvider",
    "CallOptions",
    "CamundaAsyncClient",
    "CamundaClient",
    "CamundaConfig",
    "ConnectedJobContext",
    "ConsistencyOptions",
    "Deployment",
    "EventualConsistencyTimeoutError",
    "JobContext",
    "JobError",
    "JobFailure",
    "JobVariables",
    "JobWorker",
    "MissingVariableError",
    "NullLogger",
    "SyncJobContext",
    "TypedVariablesError",
    "VariableDeserializationError",
    "VariableMap",
    "VariableScopeCollisionError",
    "WorkerConfig",
    "hookimpl",
]
__all__ += _semantic_types.__all__
__all__ += _aliases.__all__
__all__ += _models.__all__
