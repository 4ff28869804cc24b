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

# Re-exported (the redundant aliases say so); camunda_sdk.config lists them in its __all__.
from .config import CamundaConfig as CamundaConfig
from .config import SettingRegistry as SettingRegistry
from .config import use_default_settings as use_default_settings
from .core import LOAD_ENVFILE as LOAD_ENVFILE
from .core import STRICT_CONFIG as STRICT_CONFIG
from .setting import NUMBER_CEILING as NUMBER_CEILING
from .setting import Setting as Setting
from .setting import SettingSource as SettingSource
from .sources import ConfigurationWarning as ConfigurationWarning
from .sources import resolve_settings as resolve_settings
