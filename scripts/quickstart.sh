#!/usr/bin/env bash
# Run examples/quickstart.py: against CAMUNDA_REST_ADDRESS when set, otherwise
# against a local Prism mock of the official spec, started here and stopped at
# exit. With --keep-mock the mock keeps running after the example, until Ctrl+C,
# so that other scripts (the README's examples) can be run against it.
set -euo pipefail
cd "$(dirname "$0")/.."
keep_mock=0
for arg in "$@"; do
  case "$arg" in
    --keep-mock) keep_mock=1 ;;
    -h | --help)
      sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "unknown argument: $arg (try --help)" >&2
      exit 2
      ;;
  esac
done
bash scripts/bootstrap.sh
if [ -n "${CAMUNDA_REST_ADDRESS:-}" ]; then
  exec .venv/bin/python examples/quickstart.py
fi

.venv/bin/python scripts/prism.py install > /dev/null
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=.tools/prism/quickstart.log
# --seed: Prism generates the answers from the spec's schemas (reproducibly), so the
# keys it hands out are valid numbers that later calls accept.
.venv/bin/python scripts/prism.py serve --port "$port" --seed quickstart > "$log" 2>&1 &
prism_pid=$!
stop_mock() {
  kill "$prism_pid" 2>/dev/null || true
  wait "$prism_pid" 2>/dev/null || true
}
trap stop_mock EXIT
ready=0
for _ in $(seq 1 120); do
  if grep -q "Prism listening" "$log" 2>/dev/null; then
    ready=1
    break
  fi
  kill -0 "$prism_pid" 2>/dev/null || break
  sleep 0.5
done
if [ "$ready" != 1 ]; then
  echo "Prism did not start; its output ($log):" >&2
  cat "$log" >&2
  exit 1
fi

export CAMUNDA_REST_ADDRESS="http://127.0.0.1:$port/v2"
export CAMUNDA_AUTH_STRATEGY=BASIC CAMUNDA_BASIC_AUTH_USERNAME=demo CAMUNDA_BASIC_AUTH_PASSWORD=demo
echo "No CAMUNDA_REST_ADDRESS set: running against a Prism mock at $CAMUNDA_REST_ADDRESS"
QUICKSTART_MOCK=prism .venv/bin/python examples/quickstart.py

if [ "$keep_mock" = 1 ]; then
  cat <<EOF

The mock keeps running until Ctrl+C. In another shell, in this folder:
  export CAMUNDA_REST_ADDRESS=$CAMUNDA_REST_ADDRESS
  export CAMUNDA_AUTH_STRATEGY=BASIC CAMUNDA_BASIC_AUTH_USERNAME=demo CAMUNDA_BASIC_AUTH_PASSWORD=demo
  .venv/bin/python your_script.py
EOF
  trap 'exit 0' INT TERM
  wait "$prism_pid" || true
else
  echo
  echo "Done; the mock is stopped. 'bash scripts/quickstart.sh --keep-mock' leaves it running."
fi
