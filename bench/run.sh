#!/usr/bin/env bash
# Measures crier on this machine (docs/benchmarks.md): installs what is missing (nginx, wrk,
# postfix's smtp-sink and smtp-source, Apprise), builds in Release mode, starts everything on
# loopback and prints the results as a Markdown table.
# Usage: bench/run.sh [--quick]   (--quick: small counts, only checks that everything runs)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --bench
dir=$(scripts/build.sh --release)
work=$(mktemp -d /tmp/crier-bench-XXXXXX)
echo "crier-bench: logs and sink records in $work" >&2
/usr/bin/python3 bench/bench.py --bin "$PWD/$dir/bin" --work "$work" "$@"
