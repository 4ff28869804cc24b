"""Semantic key types: ``NewType`` wrappers over ``str`` for identifiers.

They are distinct to a type checker (a ``ProcessInstanceKey`` is not a
``ProcessDefinitionKey``) and plain strings at run time. Wrap a stored raw
string to re-enter the type system: ``ProcessDefinitionKey(raw)``.
"""

from .operations.semantic_types import *  # noqa: F403
from .operations.semantic_types import __all__ as __all__
