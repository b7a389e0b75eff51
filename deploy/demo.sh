#!/usr/bin/env bash
# The main job: installs missing dependencies, builds, creates a demo
# partnership and runs the demo end to end. Output lands in out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
./deploy/install-deps.sh
./deploy/build.sh accord
ACCORD=${BUILD_DIR:-build}/cli/accord
OUT=out/demo
rm -rf "$OUT"
mkdir -p "$OUT"
echo
echo "== 1. Create the partnership (keys, CA, signed directory) =="
"$ACCORD" partnership init "$OUT/partnership" --id cardiff-daily-discussion \
  --agencies police,probation,childrens_services,victim_services,perpetrator_programme,marac_coordinator,auditor
echo
echo "== 2. Police seal an incident; every agency tries to open it =="
"$ACCORD" demo seal-open "$OUT/partnership"
echo
echo "Partnership files are in $OUT/partnership (see its README.md)."
