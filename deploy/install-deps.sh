#!/usr/bin/env bash
# Installs the Debian packages Accord builds and runs with, if any are missing.
# With --fuzz (or FUZZ_DEPS=1) also clang, libFuzzer and llvm-symbolizer, for
# the sanitized and fuzz builds (deploy/sanitize.sh, deploy/fuzz.sh).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config openssl
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libsodium-dev librocksdb-dev libabsl-dev libyaml-cpp-dev libicu-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # bench/compare: the JetStream reference (server and C client), "fsync off"
  # by LD_PRELOAD, and the script itself.
  nats-server libnats-dev eatmydata python3
)
if [ "${1:-}" = "--fuzz" ] || [ "${FUZZ_DEPS:-0}" = "1" ]; then
  # clang++, libclang_rt.fuzzer/asan/ubsan, and llvm-symbolizer for readable reports.
  PACKAGES+=(clang libclang-rt-14-dev llvm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} Debian packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1
  fi
fi
echo "install-deps: installing ${missing[*]}"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
