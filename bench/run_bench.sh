#!/usr/bin/env bash
# run_bench.sh: C affine engine versus the numpy reference, plus a thread-determinism check.
#
# usage: bench/run_bench.sh [BUILD_DIR]   (default: build)
#
# For each case (d, N) runs bench_affine (C, best of a few runs, ctr_affine_run alone) and
# bench/ref_numpy.py (numpy, /usr/bin/python3) and prints a table: C updates/s, numpy
# updates/s, their ratio, and the relative difference of W2(q_N). Checks:
#   ratio >= 5 at d = 1024, N = 1e5;  ratio >= 50 at d = 4, N = 1e6;
#   W2 agrees to 1e-10 relative in every case;
#   ctrate sweep with --threads 1 and --threads 2 gives bit-identical rows
#   (ctrate show --csv, wall_time column removed, sorted by point_id).
# Exit status 1 if a check fails, 2 on setup errors.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
PY=/usr/bin/python3 # has numpy; the first python3 on PATH may not
CTRATE=$BUILD/ctrate
CASES=("1024 1e5" "4 1e6" "64 1e6")

[ -x "$CTRATE" ] || { echo "run_bench: $CTRATE not found (build first: ninja -C $BUILD)" >&2; exit 2; }
"$PY" -c 'import numpy' 2>/dev/null || { echo "run_bench: $PY has no numpy" >&2; exit 2; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# bench_affine: the meson-built one if present, else build it by hand against libctrate.a
BENCH=$BUILD/bench/bench_affine
if [ ! -x "$BENCH" ]; then
  BENCH=$TMP/bench_affine
  # shellcheck disable=SC2046
  gcc -std=c11 -D_DEFAULT_SOURCE -O3 -fopenmp -I"$ROOT/src" -I"$ROOT/src/cli" -I"$ROOT/analysis" \
    -I"$BUILD" "$ROOT/bench/bench_affine.c" "$BUILD/libctrate.a" \
    $(pkg-config --cflags --libs gsl hdf5) -lhdf5_serial_hl -lm -o "$BENCH" ||
    { echo "run_bench: cannot build bench_affine" >&2; exit 2; }
fi

: >"$TMP/c.jsonl"
: >"$TMP/np.jsonl"
for c in "${CASES[@]}"; do
  # shellcheck disable=SC2086 # split "D N" on purpose
  set -- $c
  echo "case d=$1 N=$2 ..." >&2
  OMP_NUM_THREADS=1 "$BENCH" "$1" "$2" >>"$TMP/c.jsonl"
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$PY" "$ROOT/bench/ref_numpy.py" "$1" "$2" >>"$TMP/np.jsonl"
done

fail=0
"$PY" - "$TMP/c.jsonl" "$TMP/np.jsonl" <<'EOF' || fail=1
import json, sys
c = [json.loads(l) for l in open(sys.argv[1])]
p = [json.loads(l) for l in open(sys.argv[2])]
need = {(1024, 100000): 5.0, (4, 1000000): 50.0}
print(f"{'case':>16} {'C upd/s':>11} {'C pt upd/s':>11} {'numpy upd/s':>11} "
      f"{'C/numpy':>8} {'pt/numpy':>8} {'W2 C':>12} {'W2 rel diff':>11}")
ok = True
checks = []
for a, b in zip(c, p):
    assert (a["d"], a["N"]) == (b["d"], b["N"])
    r = a["updates_per_s"] / b["updates_per_s"]
    rp = a["updates_per_s_point"] / b["updates_per_s"]
    rel = abs(a["w2"] - b["w2"]) / abs(b["w2"])
    case = f"d={a['d']},N={a['N']:.0e}"
    print(f"{case:>16} {a['updates_per_s']:11.3e} {a['updates_per_s_point']:11.3e} "
          f"{b['updates_per_s']:11.3e} {r:8.1f} {rp:8.1f} {a['w2']:12.6g} {rel:11.2e}")
    key = (a["d"], a["N"])
    if key in need:
        checks.append((f"speed ratio C/numpy >= {need[key]:g} at {case}: {r:.1f}", r >= need[key]))
    checks.append((f"W2 agrees to 1e-10 relative at {case}: {rel:.2e}", rel <= 1e-10))
for msg, good in checks:
    print(("PASS " if good else "FAIL ") + msg)
    ok = ok and good
sys.exit(0 if ok else 1)
EOF

# thread determinism: same sweep with 1 and 2 threads must give bit-identical rows
# shellcheck disable=SC2054 # the commas are ctrate value lists
SWEEP=(sweep --d 4,64 --N 1000,100000 --target geometric --error none,fit-bias --eps 0.01 -q)
det_ok=1
for k in 1 2; do
  if ! "$CTRATE" "${SWEEP[@]}" -o "$TMP/sweep_t$k.h5" --threads "$k" >"$TMP/sweep_t$k.log" 2>&1 ||
     ! "$CTRATE" show "$TMP/sweep_t$k.h5" --csv >"$TMP/sweep_t$k.csv"; then
    echo "FAIL ctrate sweep/show --threads $k failed:"; cat "$TMP/sweep_t$k.log"; det_ok=0
  fi
done
if [ $det_ok = 1 ]; then
  for k in 1 2; do
    "$PY" - "$TMP/sweep_t$k.csv" >"$TMP/sweep_t$k.norm" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
head, body = rows[0], rows[1:]
w = head.index("wall_time")
pid = head.index("point_id")
body.sort(key=lambda r: int(r[pid]))
out = csv.writer(sys.stdout, lineterminator="\n")
for r in [head] + body:
    out.writerow(r[:w] + r[w + 1:])
EOF
  done
  nrows=$(($(wc -l <"$TMP/sweep_t1.norm") - 1))
  if [ "$nrows" -gt 0 ] && cmp -s "$TMP/sweep_t1.norm" "$TMP/sweep_t2.norm"; then
    echo "PASS sweep --threads 1 and --threads 2 give bit-identical rows ($nrows rows, wall_time excluded)"
  else
    echo "FAIL sweep --threads 1 and --threads 2 differ ($nrows rows):"
    diff "$TMP/sweep_t1.norm" "$TMP/sweep_t2.norm" | head -20
    det_ok=0
  fi
fi
[ $det_ok = 1 ] || fail=1

if [ $fail = 0 ]; then echo "ALL CHECKS PASS"; else echo "SOME CHECKS FAILED"; fi
exit $fail
