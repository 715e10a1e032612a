#!/usr/bin/env bash
# The compose deployment tested as it runs in production (docs/deploy.md): builds a Debian base
# image locally (no image registry is reachable here), crier's image from the Dockerfile and the
# stand-ins of tests/containers/ (couchdb:3 on pouchdb-server, the Matrix homeserver double, the
# SMTP double), runs compose.yaml unchanged with tests/containers/compose.test.yaml over it, on a
# private Docker engine, and checks from outside the containers:
#   - a notification over CURVE through the published port reaches the room and the mailbox;
#   - --scale sender-email=3 shares the emails, each sent exactly once, by all three;
#   - docker-compose kill -s KILL ingest, then start, mid-stream: nothing acknowledged is lost;
#   - docker-compose restart resolver mid-stream: nothing is lost;
#   - with a second core (deploy/compose.cores.yaml) and a stream spread over both, SIGKILL of
#     one core's ingest and resolver: the other goes on meanwhile, and once the killed core is
#     back everything either acknowledged is delivered (Matrix once);
#   - every crier service is healthy, and a stopped process (SIGSTOP) turns unhealthy;
#   - down -v removes it all.
# Usage: scripts/test-containers.sh   (as root; about 3 GB of disk and 4 minutes)
# Without a Docker engine that can start, it says so and exits 0, except under CI=true, where
# that is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

skip() {
    if [[ "${CI:-}" == "true" ]]; then
        echo "test-containers: $1 (a failure under CI=true)" >&2
        exit 1
    fi
    echo "test-containers: skipped: $1" >&2
    exit 0
}

[[ $(id -u) -eq 0 ]] || skip "needs root, for a private Docker engine"
# The engine, the base image's maker, and what the checks use (tests/containers/drive.py
# speaks ZeroMQ with CURVE and msgpack; curl and openssl): a fresh machine has none of them.
needed=(docker.io docker-compose debootstrap python3-zmq python3-msgpack curl openssl)
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q "${needed[@]}" >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && apt-get install -y -q "${needed[@]}" >/dev/null; } ||
    skip "could not install ${needed[*]}"

work=$(mktemp -d /tmp/crier-containers-XXXXXX)
project=crier-containers-$$
export DOCKER_HOST=unix://$work/docker.sock
compose=(docker-compose -p "$project" -f "$work/project/compose.yaml"
         -f "$work/project/compose.test.yaml")
# The stand-ins instead of a real homeserver and relay (compose.yaml reads these).
export CRIER_MATRIX_HOMESERVER=http://homeserver:8008 CRIER_SMTP_URL=smtp://mail:1025

cleanup() {
    local status=$?
    if [[ $status -ne 0 && -d $work/project ]]; then
        echo "test-containers: failed; the services' last log lines:" >&2
        "${compose[@]}" logs --no-color --tail 20 >&2 2>/dev/null || true
    fi
    [[ -d $work/project ]] && "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
    if [[ -f $work/dockerd.pid ]]; then
        kill "$(cat "$work/dockerd.pid")" 2>/dev/null || true
        for _ in $(seq 50); do [[ -f $work/dockerd.pid ]] || break; sleep 0.2; done
    fi
    # The engine's state is root-owned and holds mounts while it stops: best effort.
    umount -R "$work/root" 2>/dev/null || true
    rm -rf "$work" 2>/dev/null || true
    exit $status
}
trap cleanup EXIT

step() { echo "test-containers: $*" >&2; }

#  Waits up to $1 seconds for the command after it to succeed.
wait_for() {
    local limit=$1
    shift
    local end=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < end)) || return 1
        sleep 1 # polling a condition the engine reports, with a deadline
    done
}

step "starting a private Docker engine in $work"
dockerd -H "$DOCKER_HOST" --data-root "$work/root" --exec-root "$work/exec" \
    --pidfile "$work/dockerd.pid" >"$work/dockerd.log" 2>&1 &
wait_for 30 docker info || skip "the Docker engine did not start ($(tail -1 "$work/dockerd.log"))"

step "building the base image (debootstrap) and the images"
debootstrap --variant=minbase bookworm "$work/rootfs" >"$work/debootstrap.log" 2>&1 ||
    { tail -5 "$work/debootstrap.log" >&2; exit 1; }
# apt inside the builds uses this machine's Debian sources.
rm -f "$work/rootfs/etc/apt/sources.list"
cp /etc/apt/sources.list.d/debian.sources "$work/rootfs/etc/apt/sources.list.d/" 2>/dev/null ||
    cp /etc/apt/sources.list "$work/rootfs/etc/apt/sources.list"
rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/*
tar -C "$work/rootfs" --numeric-owner -cf - . | docker import -c 'CMD ["bash"]' - debian:12-slim >/dev/null
rm -rf "$work/rootfs"
#  Builds an image quietly (the legacy builder's notice too); its output is shown if it fails.
build() {
    docker build -q -t "$1" "$2" >"$work/build-$1.log" 2>&1 || { tail -20 "$work/build-$1.log" >&2; exit 1; }
}
build crier:latest .
mkdir -p "$work/context"
cp -a tests/containers/couchdb tests/containers/homeserver tests/containers/mail "$work/context/"
cp -a node_modules "$work/context/couchdb/"
cp tests/matrix/homeserver_double.py "$work/context/homeserver/"
cp tests/smtp/smtp_double.py "$work/context/mail/"
build couchdb:3 "$work/context/couchdb"
build crier-test-homeserver "$work/context/homeserver"
build crier-test-mail "$work/context/mail"
docker run --rm crier:latest crier --version >/dev/null
size=$(docker image inspect --format '{{.Size}}' crier:latest)
step "crier's image: $((size / 1048576)) MiB, user $(docker image inspect --format '{{.Config.User}}' crier:latest)"
if docker run --rm --entrypoint sh crier:latest -c 'command -v cc || command -v gcc' >/dev/null; then
    echo "test-containers: the runtime image holds a compiler" >&2
    exit 1
fi

step "secrets and CURVE keys, as docs/deploy.md makes them"
project_dir=$work/project
mkdir -p "$project_dir/secrets" "$project_dir/curve-clients"
chmod 700 "$project_dir/secrets"
cp compose.yaml deploy/compose.cores.yaml tests/containers/compose.test.yaml \
    tests/containers/mapping.json "$project_dir/"
cd "$project_dir"
keygen() {
    docker run --rm -v "$project_dir:/work" -w /work --user "$(id -u):$(id -g)" \
        --entrypoint crier crier:latest keygen "$@" >/dev/null
}
keygen --dir secrets internal
keygen --dir secrets ingest
keygen --dir secrets --operator operator && mv secrets/operator curve-clients/
keygen --dir secrets --groups '#ops #mail' shop && mv secrets/shop curve-clients/
keygen --dir secrets gateway && mv secrets/gateway curve-clients/
chmod 644 secrets/*_secret
openssl rand -hex 24 >secrets/couchdb_password
printf '%s' syt_container_test >secrets/matrix_access_token
printf '' >secrets/smtp_password
token=$(openssl rand -hex 32)
printf '{"tokens": [{"name": "ci", "sha256": "%s"}]}\n' \
    "$(printf %s "$token" | sha256sum | cut -d' ' -f1)" >secrets/gateway_tokens.json
chmod 644 secrets/*

healthy() {
    local status
    status=$(docker inspect --format '{{.State.Health.Status}}' "$1")
    [[ $status == healthy ]]
}
all_healthy() {
    local name
    for name in $("${compose[@]}" ps -q); do
        docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' \
            "$name" | grep -qE '^(healthy|none)$' || return 1
    done
}
drive() { /usr/bin/python3 "$root/tests/containers/drive.py" "$@"; }

step "docker-compose up"
"${compose[@]}" up -d >/dev/null 2>&1
wait_for 120 all_healthy || { "${compose[@]}" ps >&2; exit 1; }
"${compose[@]}" run --rm --no-deps -v "$project_dir/mapping.json:/tmp/mapping.json:ro" \
    --entrypoint crier couchdb-init mapping put --force /tmp/mapping.json >/dev/null 2>&1

step "a notification over CURVE through the published port reaches the room and the mailbox"
drive send --keys secrets --to '#ops' --prefix first --count 5 >/dev/null
drive await --prefix first --count 5 --rooms 1 --mails 1 --exactly-once --timeout 60

step "three email senders share the work, each email once"
"${compose[@]}" up -d --scale sender-email=3 >/dev/null 2>&1
wait_for 60 all_healthy
drive send --keys secrets --to '#mail' --prefix scaled --count 300 >/dev/null
drive await --prefix scaled --count 300 --mails 1 --exactly-once --timeout 120
for index in 1 2 3; do
    sent=$(docker logs "${project}_sender-email_$index" 2>&1 | grep -c 'delivery.delivered id=scaled' || true)
    step "  sender-email_$index sent $sent"
    ((sent > 0)) || { echo "test-containers: sender-email_$index sent none" >&2; exit 1; }
done

step "SIGKILL of ingest mid-stream, then start: nothing acknowledged is lost"
#  Whether the homeserver double has received a message whose body starts with $1.
arrived() { curl -fsS http://127.0.0.1:18008/_test/events | grep -q "\"$1"; }
drive send --keys secrets --to '#ops' --prefix killed --count 300 --rate 50 >"$work/killed.log" &
sender=$!
wait_for 30 arrived killed-
"${compose[@]}" kill -s KILL ingest >/dev/null 2>&1
"${compose[@]}" start ingest >/dev/null 2>&1
wait "$sender"
drive await --prefix killed --count 300 --rooms 1 --mails 1 --timeout 120

step "restart of the resolver mid-stream: nothing is lost"
drive send --keys secrets --to '#ops' --prefix restarted --count 300 --rate 50 >"$work/restarted.log" &
sender=$!
wait_for 30 arrived restarted-
"${compose[@]}" restart resolver >/dev/null 2>&1
wait "$sender"
drive await --prefix restarted --count 300 --rooms 1 --mails 1 --timeout 180

step "two cores (deploy/compose.cores.yaml): SIGKILL of one under a stream loses nothing"
compose+=(-f "$work/project/compose.cores.yaml")
"${compose[@]}" up -d >/dev/null 2>&1
wait_for 120 all_healthy || { "${compose[@]}" ps >&2; exit 1; }
#  Whether crier status, over both cores' buses, lists two crier-ingest.
both_cores_listed() {
    [[ $("${compose[@]}" exec -T ingest crier status --only crier-ingest \
        --endpoint tcp://resolver:7402,tcp://resolver-2:7402 | grep -c '^crier-ingest ') == 2 ]]
}
#  Whether the second core's ingest accepted at least $1 notifications.
second_core_accepted() {
    local accepted
    accepted=$("${compose[@]}" exec -T ingest-2 crier status --here --only crier-ingest |
        grep -o ' accepted=[0-9]*' | cut -d= -f2)
    ((${accepted:-0} >= $1))
}
wait_for 60 both_cores_listed ||
    { echo "test-containers: crier status does not list both cores' ingests" >&2; exit 1; }
drive send --keys secrets --to '#ops' --prefix cores --count 400 --rate 50 \
    --endpoint tcp://127.0.0.1:7401,tcp://127.0.0.1:7501 >"$work/cores.log" &
sender=$!
wait_for 30 second_core_accepted 20 ||
    { echo "test-containers: the second core took no share of the stream" >&2; exit 1; }
"${compose[@]}" kill -s KILL ingest-2 resolver-2 >/dev/null 2>&1
#  Meanwhile the first core takes and delivers new notifications.
drive send --keys secrets --to '#ops' --prefix meanwhile --count 50 >/dev/null
drive await --prefix meanwhile --count 50 --rooms 1 --mails 1 --timeout 60
"${compose[@]}" start resolver-2 ingest-2 >/dev/null 2>&1
wait "$sender"
drive await --prefix cores --count 400 --rooms 1 --mails 1 --timeout 180

step "healthchecks: a stopped process turns unhealthy"
wait_for 120 all_healthy
stopped=${project}_sender-matrix_1
docker kill -s STOP "$stopped" >/dev/null
wait_for 150 bash -c "[[ \$(docker inspect --format '{{.State.Health.Status}}' $stopped) == unhealthy ]]" ||
    { echo "test-containers: $stopped did not turn unhealthy" >&2; exit 1; }
docker kill -s CONT "$stopped" >/dev/null
wait_for 120 healthy "$stopped"

step "down -v"
"${compose[@]}" down -v >/dev/null 2>&1
if [[ -n $(docker volume ls -q --filter "name=$project") ]]; then
    echo "test-containers: volumes left after down -v" >&2
    exit 1
fi
step "passed"
