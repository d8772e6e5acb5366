#!/usr/bin/env bash
# The README's second command: set up, then run every test; one line per test as it finishes,
# then "N passed, N failed". The full log (with the failing tests' output) is in
# $BUILD/test-output.txt.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
BUILD=${BUILD:-build}
n=$(meson test -C "$BUILD" --list ${MESON_TEST_ARGS:-} 2>/dev/null | grep -c ' / ' || true)
echo "test: running $n tests in $BUILD, 2 at a time (about 5 minutes on 2 cores for all)..." >&2
# meson prints "k/n name OK time" as each test ends; show those lines as they come
meson test -C "$BUILD" --print-errorlogs --num-processes 2 ${MESON_TEST_ARGS:-} 2>&1 |
  tee "$BUILD/test-output.txt" | grep --line-buffered -E '^ *[0-9]+/[0-9]+ '
rc=${PIPESTATUS[0]}
grep -qE '^ *[0-9]+/[0-9]+ ' "$BUILD/test-output.txt" || cat "$BUILD/test-output.txt"
[ "$rc" -eq 0 ] || echo "test: failures; their output: $BUILD/test-output.txt" >&2
bash scripts/count-tests.sh "$BUILD"
exit $rc
