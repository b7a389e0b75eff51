#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang, ASan and UBSan, and
# runs each for SECONDS (default 600), or for RUNS executions when FUZZ_RUNS
# is set (as .ci/run does). Targets: all of them, or those named.
#   deploy/fuzz.sh [seconds-per-target] [target...]
#   FUZZ_RUNS=20000 deploy/fuzz.sh 0 csv jsonl
# Each target's new inputs stay in $BUILD_DIR/fuzz/<target>/corpus (reused by
# the next run); a crash, leak or timeout input is kept as
# $BUILD_DIR/fuzz/<target>/crash-*, leak-* or timeout-*, and the script then
# fails. To keep a crash as a regression seed, fix it and copy the file into
# tests/fuzz/corpus/<target>/. Per target it prints the executions run.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-600}
shift || true
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}

[ -f "$BUILD_DIR/build.ninja" ] || SANITIZE_BUILD_DIR="$BUILD_DIR" ./deploy/sanitize.sh --build-only make_fuzz_seeds
mapfile -t ALL < "$BUILD_DIR/tests/fuzz/targets.txt"
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL[@]}")
build=(make_fuzz_seeds fuzz_seeds)
for t in "${TARGETS[@]}"; do
  if ! printf '%s\n' "${ALL[@]}" | grep -qx "$t"; then
    echo "fuzz: no target '$t' (targets: ${ALL[*]})" >&2; exit 2
  fi
  build+=("${t}_fuzzer")
done
SANITIZE_BUILD_DIR="$BUILD_DIR" ./deploy/sanitize.sh --build-only "${build[@]}"

limit=(-max_total_time="$SECONDS_PER_TARGET")
[ -n "${FUZZ_RUNS:-}" ] && limit=(-runs="$FUZZ_RUNS")
failed=()
summary=()
for t in "${TARGETS[@]}"; do
  work="$BUILD_DIR/fuzz/$t"
  mkdir -p "$work/corpus"
  corpora=("$work/corpus")
  [ -d "tests/fuzz/corpus/$t" ] && corpora+=("tests/fuzz/corpus/$t")
  [ -d "$BUILD_DIR/tests/fuzz/seeds/$t" ] && corpora+=("$BUILD_DIR/tests/fuzz/seeds/$t")
  dict=(); [ -f "tests/fuzz/dict/$t.dict" ] && dict=(-dict="tests/fuzz/dict/$t.dict")
  echo "fuzz: $t (${limit[*]})"
  set +e
  "$BUILD_DIR/tests/fuzz/${t}_fuzzer" "${corpora[@]}" "${dict[@]}" "${limit[@]}" \
    -timeout=60 -rss_limit_mb=2560 -print_final_stats=1 \
    -artifact_prefix="$work/" >"$work/log.txt" 2>&1
  rc=$?
  set -e
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log.txt" | grep -o '[0-9]*$' || true)
  if [ $rc -eq 0 ]; then
    summary+=("$t: ${runs:-?} executions, no crash")
  else
    summary+=("$t: FAILED after ${runs:-?} executions (exit $rc), see $work/log.txt")
    failed+=("$t")
    grep -m1 -A30 'ERROR: \|runtime error\|fuzz invariant failed' "$work/log.txt" || tail -30 "$work/log.txt"
    ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* 2>/dev/null || true
  fi
done
printf 'fuzz: %s\n' "${summary[@]}"
echo "fuzz: $(( ${#TARGETS[@]} - ${#failed[@]} )) passed, ${#failed[@]} failed"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]}" >&2
  exit 1
fi
