#!/usr/bin/env bash
# The whole test run, from a fresh Debian 12 machine: install what is missing, build with
# AddressSanitizer + UBSan, run every ctest label (unit, component, e2e), then run each
# libFuzzer target for a bounded time. Exits non-zero on any failure.
#
#   ./tests/run.sh                  # everything
#   FUZZ_SECONDS=0 ./tests/run.sh   # skip the fuzzers
#   CTEST_ARGS="-L unit" ./tests/run.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
JOBS="$(nproc)"
FUZZ_SECONDS="${FUZZ_SECONDS:-10}"
BUILD="${BUILD_DIR:-$ROOT/build-asan}"
FUZZ_BUILD="${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"

step() { printf '\n==> %s\n' "$*"; }

step "dependencies"
./deploy/install-deps.sh

step "build (Debug, ASan + UBSan) in $BUILD"
# The benchmarks are built and run on their own (bench/, Release): not here.
# -g1: line tables (what ASan/UBSan reports need) without the full debug info, ~15 % less
# compile time on the 2-core CI machine.
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DPARLEY_SANITIZE=ON \
  -DPARLEY_BENCH=OFF >/dev/null
cmake --build "$BUILD" -j"$JOBS"

step "ctest (unit, component, e2e)"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
# shellcheck disable=SC2086
ctest --test-dir "$BUILD" --output-on-failure -j"$JOBS" ${CTEST_ARGS:--L "unit|component|e2e"}

if [ "$FUZZ_SECONDS" -gt 0 ]; then
  step "fuzzers, ${FUZZ_SECONDS}s each (clang, libFuzzer) in $FUZZ_BUILD"
  CC=clang CXX=clang++ cmake -S . -B "$FUZZ_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPARLEY_FUZZ=ON -DPARLEY_TESTS=OFF -DPARLEY_BENCH=OFF -DPARLEY_BINARIES=OFF >/dev/null
  cmake --build "$FUZZ_BUILD" -j"$JOBS"
  failed=0
  for fuzzer in "$FUZZ_BUILD"/fuzz/fuzz_*; do
    [ -x "$fuzzer" ] || continue
    name="$(basename "$fuzzer")"
    corpus="$FUZZ_BUILD/corpus/$name"
    mkdir -p "$corpus" "$FUZZ_BUILD/crashes/$name"
    seeds=()
    [ -d "$ROOT/tests/fuzz/corpus/$name" ] && seeds+=("$ROOT/tests/fuzz/corpus/$name")
    # The RFC example bodies are good seeds for the package parsers, when ../shared is here.
    examples="$ROOT/../shared/spec/examples"
    case "$name" in
      fuzz_mixer_pkg) [ -d "$examples" ] && cp -n "$examples"/mix_*.xml "$corpus"/ 2>/dev/null || true ;;
      fuzz_ivr_pkg)   [ -d "$examples" ] && cp -n "$examples"/ivr_*.xml "$corpus"/ 2>/dev/null || true ;;
    esac
    echo "-- $name"
    if ! "$fuzzer" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=10 \
         -artifact_prefix="$FUZZ_BUILD/crashes/$name/" -print_final_stats=1 \
         "$corpus" "${seeds[@]}" >"$FUZZ_BUILD/$name.log" 2>&1; then
      echo "FAILED: $name (log $FUZZ_BUILD/$name.log, crash inputs in $FUZZ_BUILD/crashes/$name)"
      tail -40 "$FUZZ_BUILD/$name.log"
      failed=1
    else
      grep -E "stat::number_of_executed_units|Done" "$FUZZ_BUILD/$name.log" | tail -2 || true
    fi
  done
  if [ "$failed" -ne 0 ]; then
    echo "fuzzing found crashes"; exit 1
  fi
fi

step "all tests passed"
