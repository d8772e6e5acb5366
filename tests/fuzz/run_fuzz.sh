#!/usr/bin/env bash
# run_fuzz.sh EXE SEED_DIR FINDINGS_DIR: run one libFuzzer target for ${FUZZ_SECONDS:-15} s on a
# scratch copy of its seed corpus (the repository's corpus is never written); a crash, leak,
# sanitizer report, timeout or out-of-memory leaves its input in FINDINGS_DIR and fails.
# To fuzz longer: FUZZ_SECONDS=3600 meson test -C build-fuzz --suite fuzz (or run EXE directly
# with libFuzzer flags). A finding becomes a regression input: copy it into SEED_DIR.
set -u
exe=$1 seeds=$2 findings=$3
name=$(basename "$exe")
work=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$findings" "$work/corpus"
cp "$seeds"/* "$work/corpus/" 2>/dev/null
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$(cd "$(dirname "$0")" && pwd)/lsan.supp}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
"$exe" -max_total_time="${FUZZ_SECONDS:-15}" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
  -max_len=65536 -print_final_stats=1 -artifact_prefix="$findings/$name-" "$work/corpus" \
  >"$work/log" 2>&1
rc=$?
grep -E "^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)|Done [0-9]+ runs" "$work/log"
echo "# $name: $(ls "$work/corpus" | wc -l) corpus inputs, exit $rc"
if [ $rc -ne 0 ]; then
  grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$work/log" | head -20
  tail -40 "$work/log"
fi
[ $rc -eq 0 ] || rc=1 # libFuzzer exits 77 on a finding by default, which meson reads as "skipped"
exit $rc
