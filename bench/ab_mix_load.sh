#!/usr/bin/env bash
# A/B of parley-ms builds (or flags) under the mixing load: bench_mix_load runs the variants
# one after the other, ROUNDS times, so a slow spell of the host falls on all of them; one
# line per window. Compare the ratios within a round, not the windows across rounds.
#
#   bench/ab_mix_load.sh NAME=PARLEY_MS_OR_WRAPPER [NAME=...]
#   e.g. cp build-bench/bin/parley-ms /tmp/parley-ms-new
#        printf '#!/bin/sh\nexec /tmp/parley-ms-new "$@" --media-io-uring off\n' > /tmp/off
#        chmod +x /tmp/off
#        PARTICIPANTS=1000 ROUNDS=5 bench/ab_mix_load.sh new=/tmp/parley-ms-new off=/tmp/off
#
# Environment: PARTICIPANTS (1000), ROUNDS (4), SECONDS_PER_WINDOW (10), BUILD_DIR
# (build-bench, with bench_mix_load built: bench/run_mix_load.sh builds it). Each window:
# generator on CPU 0, parley-ms on CPU 1, one media worker, SCHED_FIFO 50 (media threads 60),
# --ms-keep-awake, as in docs/benchmarks.md.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build-bench}"
bench="$build/bin/bench_mix_load"
[ -x "$bench" ] || { echo "ab_mix_load: no $bench (run bench/run_mix_load.sh once)" >&2; exit 2; }
[ $# -ge 1 ] || { echo "usage: $0 NAME=PARLEY_MS [NAME=PARLEY_MS ...]" >&2; exit 2; }
for v in "$@"; do
  [ -x "${v#*=}" ] || { echo "ab_mix_load: ${v#*=} is not executable" >&2; exit 2; }
done

for round in $(seq 1 "${ROUNDS:-4}"); do
  for v in "$@"; do
    name="${v%%=*}"
    out="$(timeout 300 taskset -c 0 "$bench" --participants "${PARTICIPANTS:-1000}" \
      --seconds "${SECONDS_PER_WINDOW:-10}" --warmup 3 --ms-cpu 1 --cpu 0 --media-workers 1 \
      --rt-priority 50 --media-priority 60 --ms-keep-awake --ms-bin "${v#*=}" 2>&1 || true)"
    result="$(grep '^RESULT' <<<"$out" || echo 'RESULT none (the window failed; rerun it by hand)')"
    fields="$(grep -o 'p99_us=[0-9]*\|cpu_us_per_participant_s=[0-9.]*\|rss_kib_per_participant=[0-9.]*\|steal_ms=[0-9]*\|pass=[a-z]*' <<<"$result" | tr '\n' ' ')"
    echo "round $round $name ${fields:-$result}"
  done
done
