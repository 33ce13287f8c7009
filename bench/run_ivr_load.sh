#!/usr/bin/env bash
# Builds parley-ms and bench_ivr_load (Release, no sanitizers) and runs the issue 5 IVR
# benchmark: concurrent dialogs (prompt + collect, RFC 4733 digits on a sample of legs),
# then concurrent recordings (every file checked for lost audio, then deleted). parley-ms
# runs on CPU 1 with one media worker, the generator on CPU 0. Results: docs/benchmarks.md.
# Every run is bounded by the generator's own deadline and parley-ms is stopped by PID.
#
#   bench/run_ivr_load.sh [BUILD_DIR]        (default: build-bench)
#   DIALOG_STEPS=200,400 RECORD_STEPS=100,200 SECONDS_PER_STEP=10 RT_PRIORITY=50 bench/run_ivr_load.sh
#   MEDIA_PRIORITY=60 RT_PRIORITY=50 bench/run_ivr_load.sh   # parley-ms media threads above its control thread
#   MS_BIN=/path/to/other/parley-ms   measures another build with the same generator
#   NO_BUILD=1                        uses the binaries already in BUILD_DIR
#   MS_LOG_LEVEL=debug (default) makes parley-ms log its worker's wake-up lateness, printed per step
set -euo pipefail

source "$(dirname "$0")/lib.sh"
bench_init "${1:-}" bench_ivr_load
dialog_steps="${DIALOG_STEPS:-100,200,400,600,800,1000}"
record_steps="${RECORD_STEPS:-100,200,400,800,1000,1200}"
seconds="${SECONDS_PER_STEP:-10}"
digit_legs="${DIGIT_LEGS:-20}"

if [[ -z "${NO_BUILD:-}" ]]; then bench_build; fi
bench_machine

common=(--seconds "$seconds" --setup-timeout 40 --ms-cpu 1 --cpu 0 --media-workers 1 --rt-priority "$rt"
        --media-priority "$mp" --ms-bin "$ms_bin" "${extra[@]}" --ms-log-level "${MS_LOG_LEVEL:-debug}")

echo "== dialogs: prompt (a 20 s WAV of 1 s tones, listed 8 times) + collect per leg, $digit_legs legs send RFC 4733 1234"
# A step that fails makes the generator exit 1: the recordings still run.
status=0
taskset -c 0 "$bench" --mode dialogs --legs "$dialog_steps" --warmup 3 --digit-legs "$digit_legs" \
    "${common[@]}" 2>&1 | quiet || status=$?

echo "== recordings: a 400 Hz tone per leg for ${seconds} s into --record-dir, every file checked"
taskset -c 0 "$bench" --mode record --legs "$record_steps" --warmup 2 "${common[@]}" 2>&1 | quiet \
    || status=$?
exit "$status"
