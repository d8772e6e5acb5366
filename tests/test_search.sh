#!/usr/bin/env bash
# test_search.sh: ctrate search's command line (docs/usage.md, theory.md §9.16): bad flags exit 2
# with a message naming the value, no file is written then; a small search writes mixture files
# whose `ctrate run` (the command written in each file) reproduces the W the search reported to
# 1e-12 relative (the product family: bit for bit); --max-log10-L binds; the output is the same
# at 1 and 2 threads; --dry-run runs nothing.
set -u
if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 PATH_TO_CTRATE" >&2
  exit 2
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/ctrate_search.XXXXXX")
cp "$1" "$T/ctrate" || { echo "cannot copy $1" >&2; rm -rf "$T"; exit 2; }
CT=$T/ctrate
trap 'rm -rf "$T"' EXIT
FAILS=0
ok() { echo "ok - $*"; }
fail() { FAILS=$((FAILS + 1)); echo "FAIL - $*"; sed 's/^/#   stderr: /' "$T/err" | head -3; }

FAM="--target scale_mixture --engine radial"
PFAM="--target product_bimodal --engine product"
# bad input: exit 2, a message on stderr that names the flag, nothing written
while IFS='|' read -r args want; do
  # shellcheck disable=SC2086
  "$CT" search $args -o "$T/bad" >"$T/out" 2>"$T/err"
  rc=$?
  if [ $rc -eq 2 ] && grep -q -- "$want" "$T/err" && ! ls "$T"/bad_* >/dev/null 2>&1; then
    ok "exit 2 for: $args"
  else fail "exit $rc for: $args (want 2 and '$want' on stderr)"; fi
done <<LIST
--engine radial|give the family
$FAM --target two_modes|--target 'two_modes' is not searchable (accepted: scale_mixture, product_bimodal)
$FAM --engine chain|--engine 'chain' is not searchable (accepted: radial, product)
$FAM --engine product|--target scale_mixture runs on --engine radial, not product
$PFAM --K 3|the product family has K = 2
$PFAM --m-min 2 --m-max 1|of m is invalid (accepted: 0 <= --m-min
$PFAM --m-max -1|--m-max
$FAM --max-log10-L -1|--max-log10-L
$FAM --max-log10-L nan|--max-log10-L
$FAM --K 0|--K
$FAM --K 17|--K
$FAM --d 16|--d '16' gives 1 dimensions
$FAM --d 64,16|must increase
$FAM --v-min 0|--v-min
$FAM --v-min 2 --v-max 1|variance range
$FAM --w-min 0.6|--w-min 0.6 is out of range (accepted: 0 to 1/K = 0.5)
$FAM --metric w3|--metric 'w3' is unknown (accepted: w1, w2)
$FAM --max-evals 3|--max-evals 3 is below
$FAM --N 1|--N
$FAM --starts 0|--starts
$FAM --tol -1|--tol
$FAM --schedule nope|nope
$FAM --bogus|unknown option
$FAM extra|unexpected argument
LIST

# an existing output needs --force; a directory is refused
: >"$T/x_d4.txt"
"$CT" search $FAM --d 4,16 -o "$T/x" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 2 ] && grep -q "exists (--force replaces it)" "$T/err" && [ ! -s "$T/x_d4.txt" ]; then
  ok "an existing output is kept without --force"
else fail "existing output: exit $rc"; fi
mkdir "$T/y_d4.txt"
"$CT" search $FAM --d 4,16 -o "$T/y" --force >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 2 ]; then ok "a directory as output: exit 2"; else fail "directory output: exit $rc"; fi

# --dry-run: an estimate, nothing run or written
"$CT" search $FAM --dry-run -o "$T/dry" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 0 ] && grep -q "estimated cost" "$T/out" && ! ls "$T"/dry_* >/dev/null 2>&1; then
  ok "--dry-run prints an estimate and writes nothing"
else fail "--dry-run: exit $rc"; fi

# a small search, then every file run as it says: the same W to 1e-12 relative
SMALL="--d 4,16 --N 20 --grid-points 101 --hermite 6 --starts 2 --max-evals 12 -q"
# shellcheck disable=SC2086
"$CT" search $FAM $SMALL -o "$T/best" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 0 ] && grep -q "^best: exponent" "$T/out" && [ -f "$T/best_d4.txt" ] &&
   [ -f "$T/best_d16.txt" ]; then ok "small search: best target and two files"
else fail "small search: exit $rc"; cat "$T/out"; fi
for d in 4 16; do
  f=$T/best_d$d.txt
  want=$(sed -n "s/^# d = $d: w1_hi_normal = \([^,]*\),.*/\1/p" "$f")
  cmd=$(sed -n 's/^# run: ctrate //p' "$f")
  # shellcheck disable=SC2086
  "$CT" $cmd -o "$T/r$d.h5" >/dev/null 2>"$T/err"
  got=$("$CT" show "$T/r$d.h5" --csv --columns w1_hi_normal 2>>"$T/err" | tail -1)
  tab=$(awk -v d="$d" '$1 == d && NF == 5 {print $2}' "$T/out")
  if [ -n "$want" ] && [ -n "$got" ] && [ "$tab" = "$want" ] &&
     awk -v a="$got" -v b="$want" 'BEGIN { e = a - b; if (e < 0) e = -e; exit !(b > 0 && e <= 1e-12 * b) }'; then
    ok "d = $d: ctrate run of the written file gives W1 $got (search: $want)"
  else fail "d = $d: run gives '$got', file says '$want', table '$tab'"; fi
done

# the product family: a small search, then the written command gives the same W1 bit for bit
# shellcheck disable=SC2086
"$CT" search $PFAM --d 4,16 --N 20 --grid-points 201 --hermite 8 --starts 1 --max-evals 6 -q \
  -o "$T/prod" >"$T/pout" 2>"$T/err"
rc=$?
f=$T/prod_d16.txt
want=$(sed -n "s/^# d = 16: w1_hi_normal = \([^,]*\),.*/\1/p" "$f" 2>/dev/null)
cmd=$(sed -n 's/^# run: ctrate //p' "$f" 2>/dev/null)
# shellcheck disable=SC2086
[ -n "$cmd" ] && "$CT" $cmd -o "$T/p16.h5" >/dev/null 2>>"$T/err"
got=$("$CT" show "$T/p16.h5" --csv --columns w1_hi_normal 2>>"$T/err" | tail -1)
if [ $rc -eq 0 ] && grep -q "^m: " "$T/pout" && [ -n "$want" ] && [ "$got" = "$want" ]; then
  ok "product family: the written command gives W1 $got (search: $want)"
else fail "product family: exit $rc, run gives '$got', file says '$want'"; fi

# the L constraint binds: the unconstrained best has log10 L at d = 16 above 0.2, the search
# with --max-log10-L 0.2 ends at a target with log10 L <= 0.2 (and a smaller exponent)
lastL() { awk '$1 == 16 && NF == 5 {print $4}' "$1"; }
expo() { sed -n 's/^best: exponent \([^ ]*\) .*/\1/p' "$1"; }
# shellcheck disable=SC2086
"$CT" search $FAM $SMALL >"$T/free" 2>"$T/err"
# shellcheck disable=SC2086
"$CT" search $FAM $SMALL --max-log10-L 0.2 >"$T/bound" 2>>"$T/err"
lf=$(lastL "$T/free"); lb=$(lastL "$T/bound"); ef=$(expo "$T/free"); eb=$(expo "$T/bound")
if [ -n "$lf" ] && [ -n "$lb" ] && grep -q "^constraint: log10 L <= 0.2" "$T/bound" &&
   awk -v lf="$lf" -v lb="$lb" -v ef="$ef" -v eb="$eb" 'BEGIN { exit !(lf > 0.2 && lb <= 0.2 && eb < ef) }'; then
  ok "L constraint binds: free log10 L $lf exponent $ef; bounded log10 L $lb exponent $eb"
else fail "L constraint: free log10 L '$lf' exponent '$ef', bounded '$lb' '$eb'"; fi
# the same search at 1 and 2 threads: the same path and target, bit for bit
for t in 1 2; do
  # shellcheck disable=SC2086
  OMP_NUM_THREADS=$t "$CT" search $FAM $SMALL >"$T/thr$t" 2>"$T/err"
done
if cmp -s "$T/thr1" "$T/thr2" && grep -q "^best: exponent" "$T/thr1"; then
  ok "1 and 2 threads: identical output"
else fail "1 and 2 threads differ"; fi

echo "# $FAILS failed"
[ "$FAILS" -eq 0 ]
