"""Print the README's configuration table from the plugins' setting declarations.

Each plugin declares its settings in its ``camunda_add_settings`` hook; the
table lists those of the built-in plugins, core settings first (see
:func:`camunda_sdk.pipeline.manager.collect_settings` for the order). The table in
README.md between the ``config-table`` markers is this output;
``tests/unit/test_readme.py`` fails when they drift apart. ::

    .venv/bin/python scripts/config_table.py --write    # rewrite README.md in place
    .venv/bin/python scripts/config_table.py --plugin my_plugin_module
    .venv/bin/python scripts/config_table.py --entry-points   # installed plugins too

A plugin's own README can use ``table(builtin_settings(my_plugin))`` or the
``--plugin`` option the same way.
"""

from __future__ import annotations

import argparse
import importlib
import re
from pathlib import Path
from typing import Any

from camunda_sdk.config import Setting, SettingRegistry, builtin_settings, collect_settings

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- config-table:start -->", "<!-- config-table:end -->"


def _accepts(s: Setting[Any]) -> str:
    if s.kind == "choice":
        return ", ".join(f"`{c}`" for c in s.choices)
    noun = {
        "str": "text",
        "url": "URL",
        "path": "path",
        "bool": "boolean",
        "int": "integer",
        "float": "number",
        "list": "names, comma-separated",
    }[s.kind]
    low, high = s.minimum, s.maximum
    if low is not None and high is not None:
        noun += f" {low:g} to {high:g}"
    elif low is not None:
        noun += f" ≥ {low:g}"
    elif high is not None:
        noun += f" ≤ {high:g}"
    return noun + (", secret" if s.secret else "")


def _default(s: Setting[Any]) -> str:
    if s.default is None or s.default == ():
        return "—"
    if isinstance(s.default, bool):
        return "`true`" if s.default else "`false`"
    return f"`{s.default}`"


def table(settings: SettingRegistry | None = None) -> str:
    """The Markdown table of ``settings`` (default: the built-in plugins')."""
    settings = builtin_settings() if settings is None else settings
    rows = [
        "| Variable | Accepts | Default | Plugin | Description |",
        "| --- | --- | --- | --- | --- |",
    ]
    for s in settings:
        description = s.description
        if s.aliases:
            description += " Alias: " + ", ".join(f"`{a}`" for a in s.aliases) + "."
        rows.append(
            f"| `{s.key}` | {_accepts(s)} | {_default(s)} | {settings.plugin_of(s)} "
            f"| {description} |"
        )
    return "\n".join(rows)


def render(readme: str, settings: SettingRegistry | None = None) -> str:
    """``readme`` with the text between the ``config-table`` markers regenerated."""
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    return pattern.sub(lambda _: f"{START}\n{table(settings)}\n{END}", readme)


def _settings(modules: list[str], entry_points: bool) -> SettingRegistry:
    plugins = [importlib.import_module(name) for name in modules]
    if not entry_points:
        return builtin_settings(*plugins)
    from camunda_sdk.pipeline.manager import create_plugin_manager
    from camunda_sdk.plugins import BUILTIN_PLUGINS

    # Plugins as a client loads them: built-ins, entry points, then these.
    pm = create_plugin_manager(
        builtins=BUILTIN_PLUGINS, plugins=plugins, configuration={}, environ={}
    )
    return collect_settings(pm)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Print the README's configuration table.")
    parser.add_argument("--write", action="store_true", help="rewrite README.md's table")
    parser.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="MODULE",
        help="also list the settings of this plugin module (repeatable)",
    )
    parser.add_argument(
        "--entry-points",
        action="store_true",
        help="also list the settings of the installed plugins (entry-point group camunda_sdk)",
    )
    args = parser.parse_args(argv)
    if args.write and (args.plugin or args.entry_points):
        parser.error("--write keeps README.md to the built-in plugins' settings")
    settings = _settings(args.plugin, args.entry_points)
    if args.write:
        README.write_text(render(README.read_text(), settings))
    else:
        print(table(settings))


if __name__ == "__main__":
    main()
