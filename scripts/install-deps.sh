#!/usr/bin/env bash
# Installs the Debian 12 packages crier needs to build and test, if any is missing.
# Usage: scripts/install-deps.sh [--lint]   (--lint adds the checkers CI uses)
set -euo pipefail

packages=(
    build-essential cmake pkg-config
    libzmq3-dev libczmq-dev libmsgpack-dev libcurl4-openssl-dev libjansson-dev
    libcmocka-dev
)
if [[ "${1:-}" == "--lint" ]]; then
    packages+=(clang-format cppcheck docker-compose)
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

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
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
