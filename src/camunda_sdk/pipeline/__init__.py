"""The call pipeline: hook catalog, call object, effects, drivers and plugin manager."""

from .call import Call, CallOptions
from .effects import Acquire, Effect, Send, Sleep
from .hookspecs import AuthProvider, Handler, hookimpl, hookspec
from .operation import Operation

__all__ = [
    "Acquire",
    "AuthProvider",
    "Call",
    "CallOptions",
    "Effect",
    "Handler",
    "Operation",
    "Send",
    "Sleep",
    "hookimpl",
    "hookspec",
]
