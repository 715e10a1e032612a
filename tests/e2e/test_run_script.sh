#!/usr/bin/env bash
# The README's first command, end to end: scripts/run.sh starts the whole local stack; a
# notification sent with crier send shows up in MailDev's inbox; crier status, given the stack's
# identity, lists the three processes, and without it is refused; a second run.sh (another
# local state) stops at once and names what holds the ports; SIGTERM (what Ctrl-C sends to the script in a terminal is SIGINT; both are trapped)
# stops everything the script started and it exits 0.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

# run.sh uses the default ports; if something holds them (a developer's own run.sh), say so.
for port in 1080 2525 5984 7400 7401 7402 7403 7404 7410 7411 7412; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "SKIPPED: port $port is in use (is scripts/run.sh running?); stop it and run again"
        exit 77
    fi
done

state=$(mktemp -d)
export CRIER_LOCAL_DIR=$state
unset CRIER_SMTP_URL CRIER_MATRIX_HOMESERVER CRIER_MATRIX_ACCESS_TOKEN CRIER_MATRIX_ACCESS_TOKEN_FILE
"$root/scripts/run.sh" > "$state/run.out" 2>&1 &
script=$!
cleanup() {
    kill -TERM "$script" 2>/dev/null || true
    echo "--- scripts/run.sh output"
    cat "$state/run.out"
    rm -rf "$state"
}
trap cleanup EXIT

fail() {
    echo "FAILED: $*"
    exit 1
}

# until SECONDS COMMAND...: runs COMMAND every 0.2 s until it succeeds or SECONDS pass.
until_ok() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        kill -0 "$script" 2>/dev/null || fail "scripts/run.sh exited early"
        sleep 0.2
    done
}

# The first run installs and builds (Release): allow for it.
until_ok 900 grep -q "Press Ctrl-C to stop" "$state/run.out" || fail "no 'crier is running' banner"
grep -q "open http://127.0.0.1:1080" "$state/run.out" || fail "the banner does not say where mail goes"
grep -q "Matrix is off: set CRIER_MATRIX_HOMESERVER" "$state/run.out" ||
    fail "the banner does not say how to turn Matrix on"
# A local run listens on loopback only, says so, and so has nothing to warn about.
grep -q "crier-ingest     tcp://127.0.0.1:7400" "$state/run.out" ||
    fail "the banner does not show ingest's loopback endpoint"
if grep -q "ingest.unauthenticated" "$state/run.out"; then
    fail "a local run warns that ingest is open to other hosts"
fi
bin="$root/build-release/bin"
children=$(pgrep -P "$script" | tr '\n' ' ')
[[ $(wc -w <<<"$children") -eq 6 ]] ||
    fail "expected 6 children (pouchdb-server, MailDev, 4 crier processes), got: $children"

subject="run-script test $$"
"$bin/crier" send --to '#admins' --subject "$subject" 'hello from the run-script test' >/dev/null
text="hello from the run-script test"
inbox_has_it() {
    curl -sf http://127.0.0.1:1080/email | /usr/bin/python3 -c '
import json, sys
mails = [m for m in json.load(sys.stdin) if m["subject"] == sys.argv[1]]
sys.exit(0 if len(mails) == 1 and mails[0]["to"][0]["address"] == "admin@localhost"
         and mails[0]["text"].strip() == sys.argv[2] else 1)' "$subject" "$text"
}
until_ok 30 inbox_has_it || fail "the notification never reached MailDev's inbox"

# The banner's curl line, through crier-gateway.
grep -q "curl -d 'backup failed on db1' -H 'Title: Backup' http://127.0.0.1:7480/v1/groups/admins" \
    "$state/run.out" || fail "the banner does not show the gateway's curl line"
subject="gateway $$"
answer=$(curl -s -w ' %{http_code}' -d 'hello over HTTP' -H "Title: $subject" \
    http://127.0.0.1:7480/v1/groups/admins)
[[ $answer == *'"id":'*' 202' ]] || fail "crier-gateway answered: $answer"
text="hello over HTTP"
until_ok 30 inbox_has_it || fail "the notification sent over HTTP never reached MailDev's inbox"

[[ -s "$state/stack-id" ]] || fail "scripts/run.sh kept no stack identity in $state/stack-id"
status=$(CRIER_STACK_ID_FILE="$state/stack-id" "$bin/crier" status)
for process in crier-ingest crier-resolver crier-sender-email crier-gateway; do
    grep -q "^$process " <<<"$status" || fail "crier status does not list $process: $status"
done
refused=0
"$bin/crier" status > /dev/null 2> "$state/status.err" || refused=$?
[[ $refused -eq 1 ]] && grep -q "is not the stack's" "$state/status.err" ||
    fail "crier status without the stack's identity was not refused: $(cat "$state/status.err")"

# A second stack on the same ports stops before starting anything, and says what holds them.
other=$(mktemp -d)
second=0
CRIER_LOCAL_DIR=$other timeout 300 "$root/scripts/run.sh" > "$other/run.out" 2>&1 || second=$?
grep -q "port 5984 (pouchdb-server's port, fixed here) is taken by [a-z]" "$other/run.out" &&
    grep -q "port 7410 (CRIER_NOTIFICATIONS_ENDPOINT) is taken by crier-resolver (pid" \
        "$other/run.out" ||
    fail "a second run.sh did not name what holds its ports: $(cat "$other/run.out")"
[[ $second -eq 1 ]] || fail "a second run.sh exited $second, not 1"
rm -rf "$other"

# A group the mapping does not know becomes a dead letter that crier dead-letters lists.
"$bin/crier" send --to '#no-such-group' 'nobody gets this' >/dev/null
lists_it() { CRIER_STACK_ID_FILE="$state/stack-id" "$bin/crier" dead-letters 2>/dev/null | grep -q "#no-such-group"; }
until_ok 30 lists_it || fail "crier dead-letters does not list #no-such-group"

kill -TERM "$script"
rc=0
wait "$script" || rc=$?
[[ $rc -eq 0 ]] || fail "scripts/run.sh exited $rc after SIGTERM"
for child in $children; do
    kill -0 "$child" 2>/dev/null && fail "process $child is still running after the script stopped"
done
grep -q "crier-ingest ingest.stopped" "$state/run.out" || fail "crier-ingest did not stop cleanly"
grep -q "crier-resolver resolver.stopped" "$state/run.out" || fail "crier-resolver did not stop cleanly"
grep -q "crier-gateway gateway.stopped" "$state/run.out" || fail "crier-gateway did not stop cleanly"
echo "OK: scripts/run.sh ran, delivered to MailDev and stopped everything it started"
