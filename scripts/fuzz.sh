#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (ASan + UBSan) and runs each for a while.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60 s, every target)
# Inputs that grow coverage go to build-fuzz/corpus/<target> (the seed corpus in fuzz/corpus is
# only read). A crash stops the run with the input in build-fuzz/crashes/<target>/: fix the
# bug, then copy the input to fuzz/regressions/<target>/, which the test suite replays.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=(fuzz_notification fuzz_mapping fuzz_changes fuzz_html fuzz_frames fuzz_matrix_answer fuzz_matrix_sync fuzz_gateway)
fi

scripts/install-deps.sh --fuzz
dir=build-fuzz
CC=clang cmake -S . -B "$dir" -DCRIER_FUZZ=ON -DCRIER_WERROR=ON -DCRIER_BUILD_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$dir" --parallel "$(nproc)" --target "${targets[@]}" >&2

# Two cores: two targets at a time, each on one.
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
run_one() {
    local target=$1
    mkdir -p "$dir/corpus/$target" "$dir/crashes/$target"
    local inputs=("$dir/corpus/$target" "fuzz/corpus/$target")
    [[ -d "fuzz/regressions/$target" ]] && inputs+=("fuzz/regressions/$target")
    if "$dir/bin/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$dir/crashes/$target/" "${inputs[@]}" \
        >"$dir/$target.log" 2>&1; then
        local runs
        runs=$(grep -m1 -o 'number_of_executed_units: [0-9]*' "$dir/$target.log" | cut -d' ' -f2)
        echo "fuzz: $target: $runs runs in $seconds s, no crash" >&2
    else
        echo "fuzz: $target FAILED; the last lines of $dir/$target.log:" >&2
        tail -n 40 "$dir/$target.log" >&2
        return 1
    fi
}
failed=0
pids=()
for target in "${targets[@]}"; do
    run_one "$target" &
    pids+=($!)
    if [[ ${#pids[@]} -eq 2 ]]; then
        wait "${pids[0]}" || failed=1
        pids=("${pids[1]}")
    fi
done
for pid in "${pids[@]}"; do
    wait "$pid" || failed=1
done
exit $failed
