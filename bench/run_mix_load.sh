#!/usr/bin/env bash
# Builds parley-ms and bench_mix_load (Release, no sanitizers) and runs the issue 4 mix
# benchmark: the participant sweep, then the idle costs (conferences without legs, legs
# joined but silent). parley-ms runs on CPU 1 with one media worker, the generator on
# CPU 0. Results: docs/benchmarks.md. Every run is bounded by the generator's own deadline
# and parley-ms is stopped by PID.
#
#   bench/run_mix_load.sh [BUILD_DIR]        (default: build-bench)
#   STEPS=100,200,400 SECONDS_PER_STEP=10 IDLE_SECONDS=30 RT_PRIORITY=50 bench/run_mix_load.sh
#   MEDIA_PRIORITY=60 RT_PRIORITY=50 bench/run_mix_load.sh   # parley-ms media threads above its control thread
#   KEEP_AWAKE=1   parley-ms --media-keep-awake on (its CPU kept from idling while it has calls)
#   With an RT priority a stall probe on parley-ms's CPU reports the times the CPU was taken
#   away (hypervisor, interrupts) and the intervals outside them.
#   MS_BIN=/path/to/other/parley-ms   measures another build with the same generator (before/after)
#   MS_LOG_LEVEL=debug (default) makes parley-ms log its legs' jitter delay, printed per step
set -euo pipefail

source "$(dirname "$0")/lib.sh"
bench_init "${1:-}" bench_mix_load
steps="${STEPS:-100,200,400,600,800,1000,1200}"
seconds="${SECONDS_PER_STEP:-10}"
idle_seconds="${IDLE_SECONDS:-30}"
idle_conferences="${IDLE_CONFERENCES:-100}"
log_level="${MS_LOG_LEVEL:-debug}"

bench_build
bench_machine

echo "== sweep: conferences of 10, every participant sending a tone"
taskset -c 0 "$bench" --participants "$steps" --seconds "$seconds" --warmup 3 \
    --ms-cpu 1 --cpu 0 --media-workers 1 --rt-priority "$rt" --media-priority "$mp" --ms-bin "$ms_bin" "${extra[@]}" \
    --ms-log-level "$log_level" 2>&1 | quiet

echo "== idle: $idle_conferences conferences, no legs, ${idle_seconds} s"
taskset -c 0 "$bench" --mode idle --conferences "$idle_conferences" --seconds "$idle_seconds" \
    --warmup 2 --ms-cpu 1 --cpu 0 --media-workers 1 --rt-priority "$rt" --media-priority "$mp" --ms-bin "$ms_bin" "${extra[@]}" 2>&1 | quiet

echo "== silent: 100 legs joined in 10 conferences, sending nothing, ${idle_seconds} s"
taskset -c 0 "$bench" --mode silent --participants 100 --seconds "$idle_seconds" \
    --warmup 2 --ms-cpu 1 --cpu 0 --media-workers 1 --rt-priority "$rt" --media-priority "$mp" --ms-bin "$ms_bin" "${extra[@]}" 2>&1 | quiet
