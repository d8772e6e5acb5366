#!/usr/bin/env bash
# Print "N passed, N failed" from meson's test log of one or more build directories.
passed=0; failed=0
for b in "$@"; do
  log="$b/meson-logs/testlog.json"
  [ -f "$log" ] || { failed=$((failed + 1)); continue; }
  passed=$((passed + $(grep -c '"result": "OK"' "$log")))
  failed=$((failed + $(grep -cE '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log")))
done
echo "$passed passed, $failed failed"
