"""The call pipeline: hook catalog, call, request and response, effects, drivers, plugin manager."""

from .call import Call, CallOptions
from .effects import Acquire, Effect, Send, Sleep
from .hookspecs import AuthProvider, Handler, hookimpl, hookspec
from .http import Request, Response
from .operation import Operation

__all__ = [
    "Acquire",
    "AuthProvider",
    "Call",
    "CallOptions",
    "Effect",
    "Handler",
    "Operation",
    "Request",
    "Response",
    "Send",
    "Sleep",
    "hookimpl",
    "hookspec",
]
