#!/usr/bin/env bash
# Runs crier on this machine with local defaults; Ctrl-C stops everything it started.
# Usage: scripts/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
dir=$(scripts/build.sh --release)
bin="$PWD/$dir/bin"

pids=()
stop() {
    trap - INT TERM
    echo "crier: stopping" >&2
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait
    exit 0
}
trap stop INT TERM

"$bin/crier-ingest" &
pids+=($!)

cat >&2 <<MSG

crier is running: crier-ingest listens on tcp://*:7400 (CRIER_INGEST_ENDPOINT).
Send a first notification from another terminal:

    $bin/crier send --to '#admins' 'hello'

This version has ingest only: crier-resolver and the senders are not built yet, so accepted
notifications wait in ingest's queue (up to CRIER_SOCKET_HWM) and are not delivered.
Press Ctrl-C to stop.
MSG
wait
