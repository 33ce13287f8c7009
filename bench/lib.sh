# Sourced by bench/run_mix_load.sh and bench/run_ivr_load.sh: what their runs share.
#   bench_init BUILD_DIR_ARG GENERATOR   sets root, build (default $root/build-bench), bench
#                                        (the generator's binary), ms_bin (MS_BIN or the
#                                        build's parley-ms), rt (RT_PRIORITY, default 50:
#                                        SCHED_FIFO for parley-ms and the generator, 0 normal
#                                        scheduling; on a machine shared with other work normal
#                                        scheduling measures the neighbours, docs/benchmarks.md)
#                                        and mp (MEDIA_PRIORITY, default 0; > 0: parley-ms
#                                        --media-priority, media threads above its control thread)
#                                        and extra (generator flags: --ms-keep-awake when
#                                        KEEP_AWAKE=1, parley-ms --media-keep-awake on)
#   bench_build                          configures BUILD_DIR (Release, no sanitizers) and
#                                        builds the generator and parley-ms
#   bench_machine                        prints the machine line
#   quiet                                filters sofia-sip's transport noise from a run

bench_init() {
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  build="${1:-$root/build-bench}"
  generator="$2"
  bench="$build/bin/$generator"
  ms_bin="${MS_BIN:-$build/bin/parley-ms}"
  rt="${RT_PRIORITY:-50}"
  mp="${MEDIA_PRIORITY:-0}"
  extra=()
  if [ "${KEEP_AWAKE:-0}" = 1 ]; then extra+=(--ms-keep-awake); fi
}

bench_build() {
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPARLEY_BENCH=ON \
        -DPARLEY_SANITIZE=OFF -DPARLEY_TESTS=OFF >/dev/null
  cmake --build "$build" --target "$generator" parley-ms -j2
}

bench_machine() {
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
       "$(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

# sofia-sip prints transport errors for BYEs that cross the process's end: not results.
quiet() { grep -v -e '^tport' -e 'reported by' -e '^nta_agent' || true; }
