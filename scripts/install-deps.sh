#!/usr/bin/env bash
# Installs what crier needs to build, test and run locally on Debian 12, if anything is missing:
# Debian packages (as root, or through sudo) and the npm packages of package.json into this
# repository's node_modules (pouchdb-server, a CouchDB-compatible server for tests and
# scripts/run.sh; MailDev, run.sh's web mail inbox; dockerfile-utils for CI). Never installs
# anything globally with npm.
# Usage: scripts/install-deps.sh [--lint | --fuzz | --bench]
#   --lint adds the checkers CI uses; --fuzz clang and libFuzzer (scripts/fuzz.sh); --bench what
#   bench/run.sh needs (docs/benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
    build-essential cmake pkg-config
    libzmq3-dev libczmq-dev libmsgpack-dev libcurl4-openssl-dev libjansson-dev libyajl-dev libgumbo-dev zlib1g-dev
    libmicrohttpd-dev libgnutls28-dev libolm-dev
    libcmocka-dev
    # The tests' stand-ins: the Matrix homeserver double and the SMTP server (aiosmtpd), and
    # openssl for their TLS certificate; python3-olm checks the E2EE device's signatures, and
    # matrix-nio is the real E2EE client that decrypts crier's messages in the tests.
    python3 python3-aiosmtpd openssl python3-olm python3-matrix-nio
    # The real Alertmanager, whose webhook calls crier-gateway's test receives; Prometheus for
    # promtool, which checks crier-gateway's /metrics.
    prometheus-alertmanager prometheus
    # ss, with which scripts/run.sh names what holds a port it needs.
    iproute2
)
if [[ "${1:-}" == "--lint" ]]; then
    packages+=(clang-format cppcheck docker-compose)
    # kubectl renders deploy/kubernetes (kubectl kustomize) for scripts/check-kubernetes.sh;
    # any kubectl will do, so keep one that is already there.
    command -v kubectl >/dev/null || packages+=(kubernetes-client)
elif [[ "${1:-}" == "--fuzz" ]]; then
    # clang and its libFuzzer runtime for scripts/fuzz.sh.
    packages+=(clang libclang-rt-14-dev)
elif [[ "${1:-}" == "--bench" ]]; then
    # The sinks (nginx for Matrix; postfix for smtp-sink and smtp-source), the HTTP load tool,
    # Apprise to compare with, and valgrind (callgrind) for bench/instructions.py.
    packages+=(nginx-light wrk postfix apprise valgrind)
fi
# Node.js runs pouchdb-server; any recent one will do, so keep one that is already there.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    packages+=(nodejs npm python3)
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if [[ ${#missing[@]} -gt 0 ]]; then
    echo "crier: installing ${missing[*]}" >&2
    as_root=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || {
            echo "crier: run as root, or install sudo, to install: ${missing[*]}" >&2
            exit 1
        }
        as_root=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    # postfix (for the benchmarks' SMTP tools) asks how to configure itself: not at all, so that
    # it starts no mail server.
    echo "postfix postfix/main_mailer_type select No configuration" |
        "${as_root[@]}" debconf-set-selections
    "${as_root[@]}" apt-get update -qq
    "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# pouchdb-server compiles a native module on install (about two minutes): once per checkout,
# again only when package-lock.json changes.
stamp=node_modules/.crier-installed
if [[ ! -x node_modules/.bin/pouchdb-server || package-lock.json -nt "$stamp" ]]; then
    echo "crier: installing npm packages into node_modules (pouchdb-server, maildev)" >&2
    npm ci --no-audit --no-fund --loglevel=error >&2
    touch "$stamp"
fi
