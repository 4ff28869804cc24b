"""The configuration model: settings, their parsing and resolution, and :class:`CamundaConfig`.

The bottom layer of configuration: it imports only :mod:`camunda_sdk.errors` and
the redaction helpers, and knows no plugin. Each plugin declares the settings it
reads (a :class:`Setting`, added to the client's :class:`SettingRegistry` from its
``camunda_add_settings`` hook); :func:`resolve_settings` resolves whatever the
registry holds. Asking the plugins is plugin management
(:mod:`camunda_sdk.pipeline.manager`), and :mod:`camunda_sdk.config`, the public
module, joins the two.

- :mod:`.setting`: :class:`Setting`, one declared key.
- :mod:`.parsing`: a setting's text to its value, with errors naming the variable.
- :mod:`.core`: the core settings (the REST address, the timeout, TLS, ...).
- :mod:`.config`: :class:`SettingRegistry` and :class:`CamundaConfig`.
- :mod:`.sources`: dotenv < environment < explicit, and the typo reports.
"""

from .config import CamundaConfig, SettingRegistry, use_default_settings
from .core import LOAD_ENVFILE, STRICT_CONFIG
from .setting import NUMBER_CEILING, Setting, SettingSource
from .sources import ConfigurationWarning, resolve_settings

__all__ = [
    "LOAD_ENVFILE",
    "NUMBER_CEILING",
    "STRICT_CONFIG",
    "CamundaConfig",
    "ConfigurationWarning",
    "Setting",
    "SettingRegistry",
    "SettingSource",
    "resolve_settings",
    "use_default_settings",
]
