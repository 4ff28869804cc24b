#!/usr/bin/env bash
# Create .venv and install camunda_sdk with its dev tools (idempotent).
#
# The install is skipped when nothing it depends on changed since the last
# successful one: .venv/.bootstrap-stamp holds a hash of pyproject.toml, the
# interpreter's version and the checkout's path. (The package is installed in
# editable mode, so changes under src/ need no reinstall.) Set
# CAMUNDA_BOOTSTRAP_FORCE=1 to reinstall anyway.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.bootstrap-stamp
want=$(.venv/bin/python - <<'EOF'
import hashlib
import os
import sys

digest = hashlib.sha256()
with open("pyproject.toml", "rb") as f:
    digest.update(f.read())
digest.update(sys.version.encode())
digest.update(os.getcwd().encode())
print(digest.hexdigest())
EOF
)
if [ "${CAMUNDA_BOOTSTRAP_FORCE:-}" != 1 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
rm -f "$stamp"
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
echo "$want" > "$stamp"
