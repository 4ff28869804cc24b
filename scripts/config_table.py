"""Print the README's configuration table from ``camunda_sdk.config.SETTINGS``.

The table in README.md between the ``config-table`` markers is this output;
``tests/unit/test_readme.py`` fails when they drift apart. ::

    .venv/bin/python scripts/config_table.py --write   # rewrite README.md in place
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from camunda_sdk.config import SETTINGS

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- config-table:start -->", "<!-- config-table:end -->"


def table() -> str:
    rows = ["| Variable | Default | Description |", "| --- | --- | --- |"]
    for s in SETTINGS:
        default = f"`{s.default}`" if s.default is not None else "—"
        rows.append(f"| `{s.key}` | {default} | {s.description} |")
    return "\n".join(rows)


def render(readme: str) -> str:
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    return pattern.sub(lambda _: f"{START}\n{table()}\n{END}", readme)


if __name__ == "__main__":
    if "--write" in sys.argv:
        README.write_text(render(README.read_text()))
    else:
        print(table())
