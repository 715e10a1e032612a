#!/usr/bin/env bash
# Installs what is missing, builds with warnings as errors and runs the whole test suite.
# Usage: scripts/test.sh [--sanitize] [ctest arguments...]
#   --sanitize   build and run under AddressSanitizer and UndefinedBehaviorSanitizer
#   e.g. scripts/test.sh -L unit          only the unit tests
set -euo pipefail
cd "$(dirname "$0")/.."

build_option=()
if [[ "${1:-}" == "--sanitize" ]]; then
    build_option=(--sanitize)
    shift
    # Leaks fail the run; UBSan findings abort with a stack.
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
fi

scripts/install-deps.sh
dir=$(scripts/build.sh "${build_option[@]}")
ctest --test-dir "$dir" --output-on-failure --parallel 2 "$@"
