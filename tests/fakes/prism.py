"""Access to ``scripts/prism.py`` (install, start and stop Prism) from the tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["load_prism_script"]

_ROOT = Path(__file__).resolve().parents[2]


def load_prism_script() -> ModuleType:
    """Import ``scripts/prism.py`` once (``scripts`` is not a package)."""
    name = "camunda_sdk_prism_script"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, _ROOT / "scripts" / "prism.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return module
