#!/usr/bin/env bash
# Builds everything with AddressSanitizer + UndefinedBehaviorSanitizer and runs
# every test (ctest). The processes the tests start (accord-broker,
# accord-agent, accord) are sanitized too; any report fails the test. The
# build is clang's with libFuzzer coverage (ACCORD_FUZZ), so that the same
# folder serves deploy/fuzz.sh; SANITIZE_CXX=g++ builds with GCC instead
# (sanitizers only) in build-asan.
#   deploy/sanitize.sh                     build, then run every test
#   deploy/sanitize.sh --build-only [T...]  build only (targets T, default all)
set -euo pipefail
cd "$(dirname "$0")/.."
CXX_NAME=${SANITIZE_CXX:-clang++}
JOBS=${JOBS:-$(nproc)}
build_only=0
if [ "${1:-}" = "--build-only" ]; then build_only=1; shift; fi

if [ "$CXX_NAME" = "clang++" ]; then
  ./deploy/install-deps.sh --fuzz
  BUILD_DIR=${SANITIZE_BUILD_DIR:-build-fuzz}
  options=(-DACCORD_FUZZ=ON -DACCORD_SANITIZE=ON)
else
  ./deploy/install-deps.sh
  BUILD_DIR=${SANITIZE_BUILD_DIR:-build-asan}
  options=(-DACCORD_SANITIZE=ON)
fi
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  # -O1 and line tables only: readable stacks at about half the compile time
  # of -O2 -g; no NDEBUG, so assertions stay on.
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_CXX_COMPILER="$CXX_NAME" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DACCORD_BUILD_BENCH=OFF "${options[@]}"
fi
targets=(); for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$BUILD_DIR" -j "$JOBS" "${targets[@]}"
[ $build_only -eq 1 ] && exit 0
cd "$BUILD_DIR"
ctest --output-on-failure -j "$JOBS" --timeout 1800
