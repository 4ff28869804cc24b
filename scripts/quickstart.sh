#!/usr/bin/env bash
# Run examples/quickstart.py: against CAMUNDA_REST_ADDRESS when set, otherwise
# against a local Prism mock of the official spec (started and stopped here).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
if [ -z "${CAMUNDA_REST_ADDRESS:-}" ]; then
  .venv/bin/python scripts/prism.py install
  port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  .venv/bin/python scripts/prism.py serve --port "$port" --seed quickstart > .tools/prism/quickstart.log 2>&1 &
  prism_pid=$!
  trap 'kill $prism_pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 120); do
    grep -q "Prism listening" .tools/prism/quickstart.log 2>/dev/null && break
    kill -0 "$prism_pid" 2>/dev/null || { cat .tools/prism/quickstart.log; exit 1; }
    sleep 0.5
  done
  export CAMUNDA_REST_ADDRESS="http://127.0.0.1:$port/v2"
  export CAMUNDA_AUTH_STRATEGY=BASIC CAMUNDA_BASIC_AUTH_USERNAME=demo CAMUNDA_BASIC_AUTH_PASSWORD=demo
  echo "No CAMUNDA_REST_ADDRESS set: running against a Prism mock at $CAMUNDA_REST_ADDRESS"
fi
.venv/bin/python examples/quickstart.py
