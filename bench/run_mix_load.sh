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
#   MS_BIN=/path/to/other/parley-ms   measures another build with the same generator (before/after)
#   MS_LOG_LEVEL=debug (default) makes parley-ms log its legs' jitter delay, printed per step
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build-bench}"
steps="${STEPS:-100,200,400,600,800,1000,1200}"
seconds="${SECONDS_PER_STEP:-10}"
idle_seconds="${IDLE_SECONDS:-30}"
idle_conferences="${IDLE_CONFERENCES:-100}"
# SCHED_FIFO priority for parley-ms and the generator (0: normal scheduling). On a machine
# shared with other work, normal scheduling measures the neighbours (docs/benchmarks.md).
rt="${RT_PRIORITY:-50}"
mp="${MEDIA_PRIORITY:-0}"   # > 0: parley-ms --media-priority (media threads above its control thread)
log_level="${MS_LOG_LEVEL:-debug}"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPARLEY_BENCH=ON \
      -DPARLEY_SANITIZE=OFF -DPARLEY_TESTS=OFF >/dev/null
cmake --build "$build" --target bench_mix_load parley-ms -j2

bench="$build/bin/bench_mix_load"
ms_bin="${MS_BIN:-$build/bin/parley-ms}"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
     "$(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"

# sofia-sip prints transport errors for BYEs that cross the process's end: not results.
quiet() { grep -v -e '^tport' -e 'reported by' -e '^nta_agent' || true; }

echo "== sweep: conferences of 10, every participant sending a tone"
taskset -c 0 "$bench" --participants "$steps" --seconds "$seconds" --warmup 3 \
    --ms-cpu 1 --cpu 0 --media-workers 1 --rt-priority "$rt" --media-priority "$mp" --ms-bin "$ms_bin" \
    --ms-log-level "$log_level" 2>&1 | quiet

echo "== idle: $idle_conferences conferences, no legs, ${idle_seconds} s"
taskset -c 0 "$bench" --mode idle --conferences "$idle_conferences" --seconds "$idle_seconds" \
    --warmup 2 --ms-cpu 1 --cpu 0 --media-workers 1 --rt-priority "$rt" --media-priority "$mp" --ms-bin "$ms_bin" 2>&1 | quiet

echo "== silent: 100 legs joined in 10 conferences, sending nothing, ${idle_seconds} s"
taskset -c 0 "$bench" --mode silent --participants 100 --seconds "$idle_seconds" \
    --warmup 2 --ms-cpu 1 --cpu 0 --media-workers 1 --rt-priority "$rt" --media-priority "$mp" --ms-bin "$ms_bin" 2>&1 | quiet
