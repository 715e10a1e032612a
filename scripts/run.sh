#!/usr/bin/env bash
# Runs crier on this machine with local defaults: a local CouchDB-compatible server
# (pouchdb-server, data in .local/couchdb) seeded with examples/mapping.json, a mail catcher
# with a web inbox (MailDev, unless CRIER_SMTP_URL is set), crier-resolver, crier-ingest,
# crier-sender-email, and crier-sender-matrix and crier-matrix-watch when CRIER_MATRIX_HOMESERVER
# and a token are set.
# Ctrl-C stops it all.
# Usage: scripts/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

scripts/install-deps.sh
dir=$(scripts/build.sh --release)
bin="$root/$dir/bin"

# Local CouchDB with an admin account (pouchdb-server crashes on some anonymous writes).
# CRIER_LOCAL_DIR moves the local state (databases, mail, passwords) elsewhere, e.g. for a test.
state="${CRIER_LOCAL_DIR:-$root/.local}"
mkdir -p "$state/couchdb"
if [[ ! -s "$state/couchdb-password" ]]; then
    head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$state/couchdb-password"
    chmod 600 "$state/couchdb-password"
fi
if [[ ! -s "$state/couchdb/config.json" ]]; then
    printf '{"admins": {"crier": "%s"}, "log": {"file": "%s/couchdb/log.txt"}}\n' \
        "$(cat "$state/couchdb-password")" "$state" > "$state/couchdb/config.json"
fi
export CRIER_COUCHDB_URL=http://127.0.0.1:5984
export CRIER_COUCHDB_USER=crier
export CRIER_COUCHDB_PASSWORD_FILE="$state/couchdb-password"
# This stack's identity: a process of another stack (another run.sh, with other local state)
# that reaches these ports is refused (docs/security.md).
if [[ ! -s "$state/stack-id" ]]; then
    head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$state/stack-id"
    chmod 600 "$state/stack-id"
fi
export CRIER_STACK_ID_FILE="$state/stack-id"

# A local run listens on loopback only (plain mode: anyone who reaches the port may send); set
# CRIER_INGEST_ENDPOINT and CRIER_INGEST_ACK_ENDPOINT to open it to others (docs/security.md).
export CRIER_INGEST_ENDPOINT="${CRIER_INGEST_ENDPOINT:-tcp://127.0.0.1:7400}"
export CRIER_INGEST_ACK_ENDPOINT="${CRIER_INGEST_ACK_ENDPOINT:-tcp://127.0.0.1:7401}"
# crier-gateway, the HTTP front door (docs/http.md), on loopback too.
export CRIER_GATEWAY_LISTEN="${CRIER_GATEWAY_LISTEN:-127.0.0.1:7480}"

# Every port this run needs must be free: name what holds one (often another run.sh).
port_taken() {
    local port=$1 setting=$2
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || return 0
    local holder
    holder=$(ss -Hltnp "sport = :$port" 2>/dev/null |
        sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/\1 (pid \2)/p' | head -n 1)
    echo "crier: port $port ($setting) is taken by ${holder:-a process this user cannot see}." \
        "Another crier stack may be running (stop it: Ctrl-C in its terminal), or set $setting" \
        "to a free port." >&2
    return 1
}
free=0
port_taken 5984 "pouchdb-server's port, fixed here" || free=1
if [[ -z "${CRIER_SMTP_URL:-}" ]]; then
    port_taken 2525 "MailDev's SMTP port; or set CRIER_SMTP_URL to your own server" || free=1
    port_taken 1080 "MailDev's web inbox; or set CRIER_SMTP_URL to your own server" || free=1
fi
for setting in CRIER_INGEST_ENDPOINT:7400 CRIER_INGEST_ACK_ENDPOINT:7401 \
    CRIER_INGEST_CONTROL_ENDPOINT:7404 CRIER_EVENTS_ENDPOINT:7402 \
    CRIER_EVENTS_PUBLISH_ENDPOINT:7403 CRIER_NOTIFICATIONS_ENDPOINT:7410 \
    CRIER_MATRIX_DELIVERIES_ENDPOINT:7411 CRIER_EMAIL_DELIVERIES_ENDPOINT:7412; do
    name=${setting%%:*}
    endpoint=${!name:-tcp://127.0.0.1:${setting##*:}}
    [[ $endpoint == tcp://* ]] || continue
    port_taken "${endpoint##*:}" "$name" || free=1
done
port_taken "${CRIER_GATEWAY_LISTEN##*:}" CRIER_GATEWAY_LISTEN || free=1
((free == 0)) || exit 1

pids=()
stop() {
    local status=${1:-0}
    trap - INT TERM
    echo "crier: stopping" >&2
    for (( index=${#pids[@]}-1; index>=0; index-- )); do
        kill -TERM "${pids[index]}" 2>/dev/null || true
        wait "${pids[index]}" 2>/dev/null || true
    done
    exit "$status"
}
trap stop INT TERM

# Waits until something listens on a loopback port; stops everything if it never does.
wait_for_port() {
    for _ in $(seq 1 150); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.2
    done
    echo "crier: $2 did not start listening on port $1 within 30 s; its output is in $3" >&2
    stop 1
}

node_modules/.bin/pouchdb-server --host 127.0.0.1 --port 5984 --dir "$state/couchdb/data" \
    --config "$state/couchdb/config.json" --no-stdout-logs > "$state/couchdb/stdout.txt" 2>&1 &
pids+=($!)
wait_for_port 5984 "pouchdb-server" "$state/couchdb/stdout.txt"
if ! "$bin/crier" mapping get >/dev/null 2>&1; then
    "$bin/crier" mapping put examples/mapping.json
fi

# A local mail catcher with a web inbox: MailDev keeps what it receives in .local/mail.
if [[ -z "${CRIER_SMTP_URL:-}" ]]; then
    node_modules/.bin/maildev --ip 127.0.0.1 --smtp 2525 --web-ip 127.0.0.1 --web 1080 \
        --mail-directory "$state/mail" --silent > "$state/maildev.txt" 2>&1 &
    pids+=($!)
    wait_for_port 2525 "MailDev" "$state/maildev.txt"
    export CRIER_SMTP_URL=smtp://127.0.0.1:2525 CRIER_SMTP_TLS=none
    mail="emails go to MailDev: open http://127.0.0.1:1080 to read them"
else
    mail="emails go to $CRIER_SMTP_URL"
fi
export CRIER_EMAIL_FROM="${CRIER_EMAIL_FROM:-crier <crier@localhost>}"

"$bin/crier-resolver" &
pids+=($!)
"$bin/crier-sender-email" &
pids+=($!)
CRIER_DATA_DIR="$state/ingest" "$bin/crier-ingest" &
pids+=($!)
CRIER_ACK_ENDPOINT="${CRIER_INGEST_ACK_ENDPOINT/\*/127.0.0.1}" "$bin/crier-gateway" &
pids+=($!)
if [[ -n "${CRIER_MATRIX_HOMESERVER:-}" && ( -n "${CRIER_MATRIX_ACCESS_TOKEN:-}" ||
      -n "${CRIER_MATRIX_ACCESS_TOKEN_FILE:-}" ) ]]; then
    "$bin/crier-sender-matrix" &
    pids+=($!)
    # Who read what (delivery.read events); its sync position stays in the local state.
    CRIER_MATRIX_WATCH_DIR="$state/matrix-watch" "$bin/crier-matrix-watch" &
    pids+=($!)
    matrix="crier-sender-matrix sends to $CRIER_MATRIX_HOMESERVER; crier-matrix-watch follows who reads"
else
    matrix="Matrix is off: set CRIER_MATRIX_HOMESERVER and CRIER_MATRIX_ACCESS_TOKEN (docs/matrix.md) and run again"
fi

cat >&2 <<MSG

crier is running:
  crier-ingest     $CRIER_INGEST_ENDPOINT (CRIER_INGEST_ENDPOINT): services push notifications here
                   $CRIER_INGEST_ACK_ENDPOINT (CRIER_INGEST_ACK_ENDPOINT): or send and get an answer
                   its journal: $state/ingest; what failed for good: $bin/crier dead-letters
  crier-gateway    http://$CRIER_GATEWAY_LISTEN (CRIER_GATEWAY_LISTEN): the same over HTTP (docs/http.md)
  crier-resolver   routes with the mapping in CouchDB at http://127.0.0.1:5984, database crier
  events           ${CRIER_EVENTS_ENDPOINT:-tcp://127.0.0.1:7402}: watch them with  $bin/crier tail
  $mail
  $matrix

In another terminal:
  export CRIER_COUCHDB_USER=crier CRIER_COUCHDB_PASSWORD_FILE=$state/couchdb-password \\
         CRIER_STACK_ID_FILE=$state/stack-id
  $bin/crier send --to '#admins' 'hello'
  curl -d 'backup failed on db1' -H 'Title: Backup' http://$CRIER_GATEWAY_LISTEN/v1/groups/admins
  $bin/crier mapping get              # the mapping; edit it and: crier mapping put FILE
  $bin/crier status                   # what each process reports

Press Ctrl-C to stop.
MSG
wait
