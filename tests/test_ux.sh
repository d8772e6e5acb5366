#!/usr/bin/env bash
# test_ux.sh: what a researcher touches first (issue 12): any parameter swept from a flag or a
# spec list, labels naming what varies, mixture files, plots by any column, readable tables.
#
# usage: tests/test_ux.sh PATH_TO_CTRATE
set -u
if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 PATH_TO_CTRATE" >&2
  exit 2
fi
REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/ctrate_ux.XXXXXX")
cp "$1" "$T/ctrate" || { echo "cannot copy $1" >&2; rm -rf "$T"; exit 2; }
CT=$T/ctrate
trap 'rm -rf "$T"' EXIT
N=0 FAILS=0
check() {
  N=$((N + 1))
  if [ "$1" -eq 0 ]; then echo "ok - $2"; else echo "FAIL - $2"; FAILS=$((FAILS + 1)); fi
}

# ---- 1. every parameter takes a list ---------------------------------------------------
"$CT" sweep --target geometric --d 4 --N 100,1000 --c1 3,4,8 -q -o "$T/c1.h5" >"$T/out" 2>"$T/err"
rc=$?
"$CT" fit "$T/c1.h5" >"$T/fit" 2>&1
[ $rc -eq 0 ] && [ "$(grep -c '^| geometric d=4 ct none eps=0 c1=[348] |' "$T/fit")" -eq 3 ]
check $? "sweep --c1 3,4,8: exit $rc, fit has three groups labelled c1=3, c1=4, c1=8"

printf '%s\n' 'target = ["isotropic", "geometric"];' 'd = 2;' 'N = [100, 1000];' \
  'c1 = [3, 4.5];' 'eps = [0, 1e-3];' 'error = "fit-bias";' 'lambda-min = [0.01, 0.1];' >"$T/s.cfg"
"$CT" sweep "$T/s.cfg" -q -o "$T/s.h5" >/dev/null 2>"$T/err"
rc=$?
"$CT" show --csv "$T/s.h5" >"$T/csv" 2>/dev/null
[ $rc -eq 0 ] && [ "$(($(wc -l <"$T/csv") - 1))" -eq 32 ]
check $? "spec lists of target, c1, lambda-min and the mixed array eps = [0, 1e-3]: 32 rows (exit $rc: $(head -c 200 "$T/err"))"
"$CT" fit "$T/s.h5" >"$T/fit" 2>&1
grep -q '^| geometric d=2 ct fit-bias eps=0.001 lambda_min=0.1 c1=4.5 |' "$T/fit" &&
  grep -q '^| isotropic d=2 ct fit-bias eps=0 c1=3 |' "$T/fit"
check $? "fit labels name every varying parameter (target, eps, lambda_min, c1)"
"$CT" sweep "$T/s.cfg" --dry-run -o "$T/dry.h5" >"$T/out" 2>&1
grep -q '^c1 = \[3.0, 4.5\];' "$T/out" && grep -q '^target = \["isotropic", "geometric"\];' "$T/out"
check $? "the resolved spec spells the swept lists out (c1, target)"
"$CT" sweep "$T/s.cfg" -q -o "$T/s.h5" --resume >/dev/null 2>"$T/err"
check $? "--resume of a swept-list file is accepted (same spec identity)"
"$CT" run --c1 3,4 -o "$T/r.h5" >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q -- "--c1 takes one value" "$T/err" && [ ! -e "$T/r.h5" ]
check $? "run --c1 3,4: exit 2, one value here"
"$CT" sweep --c1 3,x -q -o "$T/x.h5" >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q -- "--c1 'x'" "$T/err" && [ ! -e "$T/x.h5" ]
check $? "sweep --c1 3,x: exit 2, names the bad element"
for opt in "--schedule paper,linear" "--K 2,3" "--m 1,2" "--radius 1,2" "--points 10,20" \
  "--chains 2,3" "--grid-points 101,201" "--hermite 5,10" "--sample-n 0,100" \
  "--beta-min 1e-4,2e-4" "--beta-max 0.02,0.03" "--cosine-s 0.008,0.01" "--lambda 1,2" \
  "--lambda-max 1,2" "--c0 1,2" "--plane-cells 0,100"; do
  # shellcheck disable=SC2086
  "$CT" sweep --target two_modes --N 100 $opt --dry-run -o "$T/dry.h5" >"$T/out" 2>&1
  grep -q "^2 of 2 points" "$T/out" || grep -q "2 of 2 points" "$T/out"
  check $? "sweep $opt --dry-run: two points"
done

# ---- 4. mixture files ------------------------------------------------------------------
MIX=$REPO_ROOT/experiments/mixtures/three_modes_2d.txt
"$CT" sweep --target mixture_file --mixture-file "$MIX" --N 30,100 --engine distill --points 100 \
  --lip-points 2 --sample-n 100 -q -o "$T/mix.h5" >/dev/null 2>"$T/err"
rc=$?
"$CT" show --csv "$T/mix.h5" --columns d,K,sigma,status >"$T/csv" 2>/dev/null
[ $rc -eq 0 ] && [ "$(tail -n +2 "$T/csv" | sort -u)" = "2,3,0.20000000000000001,0" ]
check $? "experiments/mixtures/three_modes_2d.txt: rows record d = 2, K = 3, sigma = 0.2, status 0 (exit $rc)"
"$CT" run --target mixture_file --mixture-file "$MIX" --d 3 -o "$T/m3.h5" >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q -- "--d 3 contradicts .*declares d = 2" "$T/err" && [ ! -e "$T/m3.h5" ]
check $? "a --d contradicting the mixture file: exit 2, names both"
"$CT" run --target mixture_file --mixture-file "$REPO_ROOT/experiments/mixtures/anisotropic_2d.txt" \
  --sigma 0.1 -o "$T/ma.h5" >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q -- "--sigma 0.1 contradicts" "$T/err"
check $? "a --sigma contradicting the mixture file: exit 2"
"$CT" run --help | grep -q "iso VARIANCE | diag v_1 .. v_d | full"
check $? "run --help documents the mixture file format"

# ---- 9. readable sweep output ----------------------------------------------------------
"$CT" sweep --target geometric --d 4 --N 100,1000 --c1 3,8 --replicates 3 -o "$T/rep.h5" >"$T/out" 2>/dev/null
[ "$(grep -c '^ *1000 *3 ' "$T/out")" -eq 2 ] && ! grep -q 'inf' "$T/out" &&
  [ "$(grep -c '^  geometric d=4 ct none eps=0 c1=[38] .*slope' "$T/out")" -eq 2 ] &&
  ! grep -q "bound's local slope" "$T/out"
check $? "replicates: one line per N with its count, no inf, a one-line summary per group"
"$CT" sweep --target mixture_file --mixture-file "$MIX" --N 30,100 --engine distill --points 100 \
  --lip-points 2 --sample-n 0 --replicates 2 -o "$T/rep2.h5" >"$T/out" 2>/dev/null
grep -q '±' "$T/out" && ! grep -q 'sampled W1' "$T/out" && ! grep -q ' nan' "$T/out"
check $? "Monte Carlo rows: mean ± SE; all-NaN columns (sampled W1 with --sample-n 0) hidden"

# ---- 2. plot draws every family; --by -------------------------------------------------
for c in 3 4 8; do "$CT" sweep --target geometric --d 4 --N 100,1000,10000 --c1 $c -q -o "$T/f$c.h5" 2>/dev/null; done
export CTRATE_DATA_DIR=${CTRATE_DATA_DIR:-$REPO_ROOT}
"$CT" plot "$T/f3.h5" "$T/f4.h5" "$T/f8.h5" -o "$T/figs" --format png --figure rate_curve >"$T/out" 2>"$T/err"
grep -q "rate_curve.dat (3 curves)" "$T/out" && [ "$(grep -c '^# geometric' "$T/figs/data/rate_curve.dat")" -eq 3 ]
check $? "plot f3.h5 f4.h5 f8.h5 (a c1 sweep in three files): three curves by default"
"$CT" plot "$T/f3.h5" "$T/f4.h5" "$T/f8.h5" --by c1 -o "$T/figs_c1" --format png --figure rate_curve,local_slope >"$T/out" 2>"$T/err"
rc=$?
grep -q "rate_curve.dat (3 curves)" "$T/out" && grep -q "local_slope.dat (3 curves)" "$T/out" && [ ! -s "$T/err" ]
check $? "plot --by c1: three curves in rate_curve and local_slope, no warning (exit $rc)"
if command -v gnuplot >/dev/null; then
  [ $rc -eq 0 ] && [ -s "$T/figs_c1/rate_curve.png" ]
  check $? "plot --by c1 draws rate_curve.png"
fi
"$CT" plot "$T/f3.h5" "$T/f4.h5" --by d -o "$T/figs_d" --format png --figure rate_curve >"$T/out" 2>"$T/err"
grep -q "warning: rate_curve leaves out 1 group" "$T/err"
check $? "plot --by d on two c1 families: warns that one group is left out"
"$CT" plot "$T/f3.h5" --by c2 -o "$T/figs_x" >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "'c2' is not a parameter column" "$T/err"
check $? "plot --by c2: exit 2, names the column"

"$CT" plot "$T/f3.h5" "$T/f4.h5" "$T/f8.h5" --facet c1 -o "$T/figs_f" --format png --figure rate_curve >"$T/out" 2>"$T/err"
rc=$?
grep -q "rate_curve.dat (3 curves)" "$T/out" && { ! command -v gnuplot >/dev/null || { [ $rc -eq 0 ] && [ -s "$T/figs_f/rate_curve.png" ]; }; }
check $? "plot --facet c1: three panels' curves, drawn (exit $rc)"
"$CT" plot "$T/f3.h5" --facet c1,d -o "$T/figs_x" >/dev/null 2>"$T/err"
[ $? -eq 2 ] && grep -q "one column" "$T/err"
check $? "plot --facet c1,d: exit 2 (one column)"

echo "# $((N - FAILS)) of $N checks passed"
[ $FAILS -eq 0 ]
