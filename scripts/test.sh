#!/usr/bin/env bash
# The whole test suite on a fresh machine: environment, Prism, generation check,
# lint, types, import layers, and every test (unit, Prism conformance, fakes, cassettes).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
.venv/bin/python scripts/prism.py install
.venv/bin/python scripts/generate.py --check
.venv/bin/ruff format --check .
.venv/bin/ruff check .
.venv/bin/pyright
.venv/bin/lint-imports
.venv/bin/pytest -q -p no:cacheprovider "$@"
