#!/usr/bin/env bash
# Configures and builds crier into a build folder; prints the folder.
# Usage: scripts/build.sh [--sanitize | --release]
set -euo pipefail
cd "$(dirname "$0")/.."

dir=build
options=(-DCRIER_WERROR=ON)
case "${1:-}" in
    --sanitize) dir=build-asan; options+=(-DCRIER_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug) ;;
    --release) dir=build-release; options+=(-DCMAKE_BUILD_TYPE=Release -DCRIER_BUILD_TESTS=OFF) ;;
    "") ;;
    *) echo "usage: scripts/build.sh [--sanitize | --release]" >&2; exit 2 ;;
esac

cmake -S . -B "$dir" "${options[@]}" >/dev/null
cmake --build "$dir" --parallel "$(nproc)" >&2
echo "$dir"
