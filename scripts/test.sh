#!/usr/bin/env bash
# The README's second command: set up, then run every test; ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
BUILD=${BUILD:-build}
meson test -C "$BUILD" --print-errorlogs --num-processes 2 ${MESON_TEST_ARGS:-} >"$BUILD/test-output.txt" 2>&1
rc=$?
grep -E '^ *[0-9]+/[0-9]+ ' "$BUILD/test-output.txt" || cat "$BUILD/test-output.txt"
bash scripts/count-tests.sh "$BUILD"
exit $rc
