#!/usr/bin/env bash
# Run examples/quickstart.py: against CAMUNDA_REST_ADDRESS when set, otherwise
# against the dev cluster (python -m camunda_sdk.devcluster, an in-memory Camunda),
# started here on a free port and stopped at exit. With --keep-cluster it keeps
# running after the example, until Ctrl+C, for other scripts to run against it.
set -euo pipefail
cd "$(dirname "$0")/.."
keep=0
for arg in "$@"; do
  case "$arg" in
    --keep-cluster | --keep-mock) keep=1 ;; # --keep-mock: its older name
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

mkdir -p .tools
log=.tools/devcluster-quickstart.log
# --port 0: a free port; the cluster prints the address it listens on.
.venv/bin/python -m camunda_sdk.devcluster --port 0 > "$log" 2>&1 &
cluster_pid=$!
stop_cluster() {
  kill "$cluster_pid" 2>/dev/null || true
  wait "$cluster_pid" 2>/dev/null || true
}
trap stop_cluster EXIT
address=""
for _ in $(seq 1 100); do
  address=$(sed -n 's/.*CAMUNDA_REST_ADDRESS=\([^ ]*\).*/\1/p' "$log" 2>/dev/null | head -n 1)
  [ -n "$address" ] && break
  kill -0 "$cluster_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$address" ]; then
  echo "The dev cluster did not start; its output ($log):" >&2
  cat "$log" >&2
  exit 1
fi

export CAMUNDA_REST_ADDRESS="$address" CAMUNDA_AUTH_STRATEGY=NONE
echo "No CAMUNDA_REST_ADDRESS set: running against the dev cluster at $address/v2"
echo
.venv/bin/python examples/quickstart.py

if [ "$keep" = 1 ]; then
  cat <<EOF

The dev cluster keeps running until Ctrl+C. In another shell, in this folder:
  export CAMUNDA_REST_ADDRESS=$CAMUNDA_REST_ADDRESS CAMUNDA_AUTH_STRATEGY=NONE
  .venv/bin/python your_script.py
EOF
  trap 'exit 0' INT TERM
  wait "$cluster_pid" || true
else
  echo
  echo "Done; the dev cluster is stopped. 'bash scripts/quickstart.sh --keep-cluster' leaves it running."
fi
