#!/usr/bin/env bash
# test_plot.sh: `ctrate plot`, the paper-figure generator.
#
# usage: tests/test_plot.sh PATH_TO_CTRATE
#
# Checks: every figure whose data exist is drawn (non-empty pdf, png and tex; skipped with a
# note when gnuplot is missing) and the others are skipped with a line saying why; the numbers
# of data/rate_curve.dat are the HDF5 rows' means over replicates at each (d, N), to 1e-9
# relative (h5py); w_vs_d, nstar and w_vs_eps hold every family (engines x error models), each
# curve the numbers of its own rows (recomputed from the HDF5 file), and --by / --facet split
# them as asked (panel titles, one caption, one legend entry per value, >= 3 tics on a short
# y range); bad input (a missing file, a file without rows, a text file, an unknown
# figure) exits 2 naming it; without gnuplot the .dat files are still written and the exit is 1.
# Prints "ok - ..." / "FAIL - ..." per check; exits 1 if any check failed.
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 PATH_TO_CTRATE" >&2
  exit 2
fi
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/ctrate_plot.XXXXXX")
trap 'rm -rf "$T"' EXIT
cp "$1" "$T/ctrate" || exit 2 # a private copy: a rebuild during the run cannot swap it
CT=$T/ctrate

FAILS=0
ok() { echo "ok - $*"; }
fail() {
  FAILS=$((FAILS + 1)); echo "FAIL - $*"
  [ -s "$T/err" ] && sed 's/^/#   stderr: /' "$T/err" | head -5
  return 0
}
check() { if [ "$1" -eq 0 ]; then ok "$2"; else fail "$2"; fi; }
run() { "$CT" "$@" >"$T/out" 2>"$T/err"; RC=$?; }
has_err() { grep -qF -- "$1" "$T/err"; }

# ---- data: a Gaussian sweep with replicates and errors, and a small mixture -----------------
run sweep --target geometric --d 1,4,16 --N 10:1e4:5 --error fit-bias --eps 0,1e-3,1e-2 \
  --replicates 2 -q -o "$T/g.h5"
check $RC "sweep geometric d 1,4,16 x N 10:1e4:5 x eps 0,1e-3,1e-2 x 2 replicates (exit $RC)"
run sweep --target two_modes --engine distill --N 20:200:3 --points 200 --sample-n 0 --replicates 2 \
  -q -o "$T/m.h5"
check $RC "sweep two_modes distill N 20:200:3 x 2 replicates (exit $RC)"
# The default metric is w1_hi_normal for every engine (the theorem's N(0, I) input). A distill
# engine that does not fill it yet (before issue 10's N(0, I) input) is checked on
# coupling_l1_qN instead, named so here, rather than failing every figure.
MCOL=w1_hi_normal
MOPT=()
if ! $PY -c "import h5py, math, sys
p = h5py.File(sys.argv[1], 'r')['points'][:]
sys.exit(0 if all(math.isfinite(x) and x > 0 for x in p['w1_hi_normal']) else 1)" "$T/m.h5"; then
  MCOL=coupling_l1_qN
  MOPT=(--metric coupling_l1_qN)
  echo "# distill rows have no w1_hi_normal in this build: the m.h5 figures use $MCOL"
fi

# ---- every figure the data allow -----------------------------------------------------------
HAVE_GP=0
command -v gnuplot >/dev/null 2>&1 && HAVE_GP=1
run plot "$T/g.h5" "$T/m.h5" -o "$T/fig" "${MOPT[@]}"
[ "$HAVE_GP" -eq 1 ] && want=0 || want=1
[ "$RC" -eq "$want" ]; check $? "plot g.h5 m.h5: exit $RC (want $want: gnuplot $([ $HAVE_GP -eq 1 ] && echo present || echo missing))"
# g.h5 + m.h5 allow all six figures
for fig in rate_curve w_vs_d nstar w_vs_eps local_slope gauss_vs_mixture; do
  [ -s "$T/fig/data/$fig.dat" ] && grep -q "^data: .*/$fig.dat" "$T/out"
  check $? "$fig: data/$fig.dat written and reported"
  if [ "$HAVE_GP" -eq 1 ]; then
    [ -s "$T/fig/$fig.pdf" ] && [ -s "$T/fig/$fig.png" ] && [ -s "$T/fig/$fig.tex" ] &&
      [ -s "$T/fig/$fig-inc.pdf" ] && grep -q "includegraphics.*{$fig-inc}" "$T/fig/$fig.tex"
    check $? "$fig: non-empty pdf, png, tex (+ $fig-inc.pdf, included by a relative name)"
    # the axis (or title) names what W measures and its input, never a bare W
    want_in='input \$q_N\$'
    [ "$MCOL" = w1_hi_normal ] && want_in='input \$N(0, I)\$'
    grep -q "$want_in" "$T/fig/$fig.tex"
    check $? "$fig: the figure names the metric's input ($want_in)"
  fi
done
[ "$HAVE_GP" -eq 1 ] || echo "# skipped: the figure files (gnuplot is not installed: apt-get install gnuplot-nox)"
if [ "$HAVE_GP" -eq 1 ]; then
  # PNG signature and size (1200 x 900) from the IHDR chunk
  $PY - "$T/fig/rate_curve.png" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read(24)
sys.exit(0 if b[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", b[16:24]) == (1200, 900) else 1)
EOF
  check $? "rate_curve.png is a 1200 x 900 PNG"
  head -c 5 "$T/fig/rate_curve.pdf" | grep -q '%PDF-'; check $? "rate_curve.pdf is a PDF"
fi

# a figure the data do not allow is skipped with one line saying why
run plot "$T/g.h5" -o "$T/fig1" --format png
[ "$RC" -eq "$((1 - HAVE_GP))" ] && grep -q '^skip gauss_vs_mixture: .' "$T/out" &&
  [ ! -e "$T/fig1/data/gauss_vs_mixture.dat" ]
check $? "plot g.h5 alone: gauss_vs_mixture skipped with a reason, no .dat for it"
if [ "$HAVE_GP" -eq 1 ]; then
  [ -s "$T/fig1/rate_curve.png" ] && [ ! -e "$T/fig1/rate_curve.pdf" ] && [ ! -e "$T/fig1/rate_curve.tex" ]
  check $? "--format png: only the PNGs"
fi
run plot "$T/m.h5" -o "$T/fig2" --figure w_vs_d,nstar "${MOPT[@]}"
[ "$RC" -eq 2 ] && grep -q '^skip w_vs_d: one value of d' "$T/out" && grep -q '^skip nstar: ' "$T/out" &&
  has_err m.h5
check $? "plot m.h5 --figure w_vs_d,nstar (one d, no errors): both skipped, exit 2 naming the file (got $RC)"

# ---- rate_curve.dat against the HDF5 rows ----------------------------------------------------
# compare H5 DAT COLUMN BLOCKS: the error-free rows' mean of COLUMN over replicates at each
# (d, N), and its 95% t-interval (2 replicates: mean +- t(0.975, 1) s / sqrt(2)), 1e-9 relative
compare() {
  $PY - "$@" >"$T/cmp" 2>&1 <<'EOF'
import math, sys
from collections import defaultdict
import h5py
h5, dat, col, nblocks = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
want = defaultdict(list)
for r in h5py.File(h5, "r")["points"][:]:
    if r["status"] == 0 and r["eps"] == 0:
        want[(int(r["d"]), int(r["N"]))].append(float(r[col]))
text = open(dat).read()
blocks = len([b for b in text.split("\n\n\n") if b.strip()])
got = {}
for line in text.splitlines():
    if line.strip() and not line.startswith("#"):
        c = line.split()
        got[(int(c[5]), int(float(c[0])))] = [float(x) for x in c[1:5]]
def close(a, b, scale):
    return abs(a - b) <= 1e-9 * abs(scale)
bad, spread = [], 0
for k, v in want.items():
    m = sum(v) / len(v)
    if k not in got or not close(got[k][0], m, m) or got[k][3] != len(v):
        bad.append(k)
        continue
    if len(v) == 2:
        h = 12.706204736174705 * math.sqrt(sum((x - m) ** 2 for x in v)) / math.sqrt(2)
        spread += h > 0
        if not (close(got[k][1], m - h, m) and close(got[k][2], m + h, m)):
            bad.append(k)
extra = [k for k in got if k not in want]
print(f"{len(want)} (d, N) means ({spread} with replicates that differ), {blocks} blocks; "
      f"mismatches {bad[:3]}, extra {extra[:3]}")
sys.exit(0 if want and not bad and not extra and blocks == nblocks else 1)
EOF
}
compare "$T/g.h5" "$T/fig1/data/rate_curve.dat" $MCOL 3
check $? "g.h5: rate_curve.dat = mean of $MCOL over replicates at each (d, N), one block per d ($(tail -1 "$T/cmp"))"
# g.h5 + m.h5: both families (geometric, error fit-bias at eps = 0; two_modes, error none) drawn
[ "$(grep -c '^# by: target=geometric' "$T/fig/data/rate_curve.dat")" -eq 3 ] &&
  [ "$(grep -c '^# by: target=two_modes' "$T/fig/data/rate_curve.dat")" -eq 1 ]
check $? "g.h5 + m.h5: rate_curve holds the geometric curves (3 d) and the two_modes one"
run plot "$T/m.h5" -o "$T/figm" --figure rate_curve "${MOPT[@]}"
compare "$T/m.h5" "$T/figm/data/rate_curve.dat" $MCOL 1
check $? "m.h5 (distill): rate_curve.dat = mean and 95% t-interval of $MCOL over 2 replicates ($(tail -1 "$T/cmp"))"

# ---- every family in w_vs_d, nstar and w_vs_eps; --by and --facet split as asked ------------------
# fam.h5: two engines (ct, cd) x two error models (fit-bias, fit-scale) x eps 0 and three eps > 0.
# famcheck H5 DAT FIG WANT: the data file's blocks (their "# by:" lines) are exactly the families
# WANT ("engine=ct,error=fit-bias;engine=cd,..." or "-" for blocks without by values), and every
# number is that family's own, computed here from the HDF5 rows: w_vs_d the mean W at (d, N) over
# eps = 0 rows, w_vs_eps the mean W at the group's largest N, nstar the first N where the mean W
# falls to 2 eps (log-log interpolation); every crossing of a drawn family is in the file.
famcheck() {
  $PY - "$@" >"$T/cmp" 2>&1 <<'EOF2'
import math, sys
from collections import defaultdict
import h5py
h5, dat, fig, want = sys.argv[1:5]
P = h5py.File(h5, "r")["points"][:]
def s(v): return v.decode() if isinstance(v, bytes) else v
def val(r, c):
    v = s(r[c])
    return v if isinstance(v, str) else float(v)
blocks = [b for b in open(dat).read().split("\n\n\n") if b.strip()]
fams, bad, rows, cross = [], [], 0, 0
for b in blocks:
    lines = b.splitlines()
    by = [l for l in lines if l.startswith("# by:")]
    kv = dict(w.split("=", 1) for w in by[0][5:].split()) if by else {}
    fams.append(",".join(f"{k}={v}" for k, v in sorted(kv.items())) or "-")
    def mine(r):
        return r["status"] == 0 and all(str(val(r, k)) == v or
               (not isinstance(val(r, k), str) and float(v) == val(r, k)) for k, v in kv.items())
    sel = [r for r in P if mine(r)]
    data = [[float(x) for x in l.split()] for l in lines if l.strip() and not l.startswith("#")]
    for c in data:
        rows += 1
        if fig == "w_vs_d":
            d, N = int(c[0]), c[5]
            w = [float(r["w1_hi_normal"]) for r in sel if r["d"] == d and r["N"] == N and r["eps"] == 0]
            errs = {s(r["error"]) for r in sel if r["d"] == d and r["N"] == N and r["eps"] == 0}
            ok = w and abs(c[1] - sum(w) / len(w)) <= 1e-9 * c[1] * max(1, len(errs))
        elif fig == "w_vs_eps":
            eps, N, d = c[0], c[5], int(c[6])
            g = [r for r in sel if r["d"] == d and r["eps"] == eps]
            ok = g and N == max(r["N"] for r in g)
            w = [float(r["w1_hi_normal"]) for r in g if r["N"] == N]
            ok = ok and abs(c[1] - sum(w) / len(w)) <= 1e-9 * c[1]
        else:
            d, Ns, eps = int(c[0]), c[1], c[2]
            m = defaultdict(list)
            for r in sel:
                if r["d"] == d and r["eps"] == eps: m[int(r["N"])].append(float(r["w1_hi_normal"]))
            Nv = sorted(m); W = [sum(m[n]) / len(m[n]) for n in Nv]
            got = math.nan
            for k in range(1, len(Nv)):
                if W[k] <= 2 * eps < W[k - 1]:
                    t = (math.log(2 * eps) - math.log(W[k - 1])) / (math.log(W[k]) - math.log(W[k - 1]))
                    got = math.exp(math.log(Nv[k - 1]) + t * (math.log(Nv[k]) - math.log(Nv[k - 1])))
                    break
            ok = abs(Ns - got) <= 1e-9 * Ns
        if not ok: bad.append((fams[-1], c[:3]))
    if fig == "nstar" and by:  # every crossing of this family and eps is in the block
        eps = data[0][2]
        for d in sorted({int(r["d"]) for r in sel if r["eps"] == eps}):
            m = defaultdict(list)
            for r in sel:
                if r["d"] == d and r["eps"] == eps: m[int(r["N"])].append(float(r["w1_hi_normal"]))
            Nv = sorted(m); W = [sum(m[n]) / len(m[n]) for n in Nv]
            if any(W[k] <= 2 * eps < W[k - 1] for k in range(1, len(Nv))):
                cross += 1
                if d not in [int(c[0]) for c in data]: bad.append((fams[-1], "missing d", d))
got, wanted = sorted(set(fams)), sorted(want.split(";"))
print(f"{fig}: {len(blocks)} blocks, families {got}, {rows} rows checked, {cross} crossings; bad {bad[:3]}")
sys.exit(0 if got == wanted and rows and not bad else 1)
EOF2
}
run sweep --target geometric --d 1,4,16 --N 10:1e4:7 --engine ct,cd --error fit-bias,fit-scale \
  --eps 0,1e-3,1e-2,1e-1 -q -o "$T/fam.h5"
check $RC "sweep geometric engines ct,cd x errors fit-bias,fit-scale x eps 0,1e-3,1e-2,1e-1 (exit $RC)"
ALL4="engine=cd,error=fit-bias;engine=cd,error=fit-scale;engine=ct,error=fit-bias;engine=ct,error=fit-scale"
run plot "$T/fam.h5" -o "$T/famfig" --figure w_vs_d,nstar,w_vs_eps --format tex
[ "$RC" -eq "$((1 - HAVE_GP))" ] && ! has_err "leaves out"
check $? "plot fam.h5 (default: every family): exit $RC, no group left out"
famcheck "$T/fam.h5" "$T/famfig/data/w_vs_d.dat" w_vs_d "engine=cd;engine=ct"
check $? "w_vs_d: a curve per engine (the error model does not split eps = 0), each its own W ($(tail -1 "$T/cmp"))"
grep -c '^# by: engine=c[td]$' "$T/famfig/data/w_vs_d.dat" | grep -qx 4
check $? "w_vs_d: 2 engines x 2 N = 4 blocks"
famcheck "$T/fam.h5" "$T/famfig/data/nstar.dat" nstar "$ALL4"
check $? "nstar: a curve per engine, error model and eps, the N* of its own rows ($(tail -1 "$T/cmp"))"
famcheck "$T/fam.h5" "$T/famfig/data/w_vs_eps.dat" w_vs_eps "$ALL4"
check $? "w_vs_eps: a curve per engine, error model and d, W at its largest N ($(tail -1 "$T/cmp"))"
[ "$(grep -c '^# by:' "$T/famfig/data/w_vs_eps.dat")" -eq 12 ]
check $? "w_vs_eps: 4 families x 3 d = 12 blocks"
run plot "$T/fam.h5" -o "$T/famby" --figure nstar,w_vs_eps --by error --format tex
famcheck "$T/fam.h5" "$T/famby/data/w_vs_eps.dat" w_vs_eps "error=fit-bias;error=fit-scale" &&
  grep -q 'warning: w_vs_eps leaves out 18 groups' "$T/err" && grep -q 'warning: nstar leaves out' "$T/err"
check $? "--by error: w_vs_eps one curve per error model and d (engine ct, the first), warns the 18 cd groups left out ($(tail -1 "$T/cmp"))"
run plot "$T/fam.h5" -o "$T/famfacet" --figure w_vs_d,nstar,w_vs_eps --facet engine --by error --format tex
famcheck "$T/fam.h5" "$T/famfacet/data/w_vs_eps.dat" w_vs_eps "$ALL4" && ! has_err "leaves out"
check $? "--facet engine --by error: w_vs_eps holds all four families, none left out ($(tail -1 "$T/cmp"))"
if [ "$HAVE_GP" -eq 1 ]; then
  for fig in w_vs_d nstar w_vs_eps; do
    tex=$T/famfacet/$fig.tex
    grep -q 'engine \$=\$ CT (ct)' "$tex" && grep -q 'engine \$=\$ CD (cd)' "$tex" &&
      [ "$(grep -c 'geometric target' "$tex")" -eq 1 ]
    check $? "$fig --facet engine: panels titled 'engine = CT (ct)' and 'engine = CD (cd)', the caption once"
  done
  # the legend lists each family and each curve value once, not once per curve and panel
  [ "$(grep -c 'fit-bias' "$T/famfacet/w_vs_eps.tex")" -eq 1 ] && [ "$(grep -c '\$d = 16\$' "$T/famfacet/w_vs_eps.tex")" -eq 1 ]
  check $? "w_vs_eps --facet: 'fit-bias' and 'd = 16' once each in the legend"
  # one d, --by engine,c1: colour the three c1, dash the two engines; the legend names each once
  run sweep --target geometric --d 1 --N 100:1e4:3 --engine ct,cd --c1 3,4,8 -q -o "$T/c1.h5"
  run plot "$T/c1.h5" --by engine,c1 -o "$T/c1fig" --figure rate_curve --format tex
  [ "$(grep -c '^# by:' "$T/c1fig/data/rate_curve.dat")" -eq 6 ] &&
    [ "$(grep -c 'CT (ct)' "$T/c1fig/rate_curve.tex")" -eq 1 ] && [ "$(grep -c 'c1 \$=\$ 8' "$T/c1fig/rate_curve.tex")" -eq 1 ]
  check $? "--by engine,c1 at one d: 6 curves, the legend names 'CT (ct)' and 'c1 = 8' once each"
  # --by schedule: each schedule's own parameters (c0, c1 for paper; rho, sigmas for karras and
  # curriculum) go with it, so all three are families of the same problem (3 x 2 d = 6 curves)
  run sweep --target geometric --d 1,4 --N 11,21,41 --schedule paper,karras,curriculum -q -o "$T/sch.h5"
  run plot "$T/sch.h5" --by schedule -o "$T/schfig" --figure rate_curve --format tex
  [ "$(grep -c '^# by:' "$T/schfig/data/rate_curve.dat")" -eq 6 ] && ! has_err "leaves out"
  check $? "--by schedule: paper, karras and curriculum drawn, 6 curves, no group left out"
  # short y ranges: W / eps spans under a decade here; at least three labelled y tics
  ny=$(grep -c 'makebox(0,0)\[r\]{\\strut{}\$[0-9.]*\$}' "$T/famfig/w_vs_eps.tex")
  [ "$ny" -ge 3 ]; check $? "w_vs_eps: a y range under a decade has $ny >= 3 labelled tics"
fi

# ---- bad input: exit 2, the message names the file --------------------------------------------
run plot "$T/missing.h5" -o "$T/bad"
[ "$RC" -eq 2 ] && has_err missing.h5; check $? "missing file: exit 2 naming it (got $RC)"
$PY -c "
import h5py, shutil, sys
shutil.copy(sys.argv[1], sys.argv[2])
with h5py.File(sys.argv[2], 'a') as f: f['points'].resize((0,))
" "$T/g.h5" "$T/empty.h5"
run plot "$T/empty.h5" -o "$T/bad"
[ "$RC" -eq 2 ] && has_err empty.h5; check $? "file with no rows: exit 2 naming it (got $RC)"
echo "N W" >"$T/text.h5"
run plot "$T/g.h5" "$T/text.h5" -o "$T/bad"
[ "$RC" -eq 2 ] && has_err text.h5; check $? "text file (second of two): exit 2 naming it (got $RC)"
run plot "$T/g.h5" --metric sum_D_l1_typo -o "$T/bad"
[ "$RC" -eq 2 ] && has_err sum_D_l1_typo; check $? "unknown --metric column: exit 2 naming it (got $RC)"
run plot "$T/m.h5" --metric sum_e_l1 -o "$T/bad"
[ "$RC" -eq 2 ] && has_err m.h5 && has_err sum_e_l1
check $? "a metric column with no values in the file: exit 2 naming file and column (got $RC)"
run plot "$T/g.h5" --figure rate_curve,bogus -o "$T/bad"
[ "$RC" -eq 2 ] && has_err bogus && has_err gauss_vs_mixture; check $? "unknown figure: exit 2 naming it and the accepted ones (got $RC)"

# ---- without gnuplot: the numbers still, exit 1 with the install hint ---------------------------
mkdir -p "$T/nobin"
PATH="$T/nobin" "$CT" plot "$T/g.h5" -o "$T/nogp" >"$T/out" 2>"$T/err"; RC=$?
[ "$RC" -eq 1 ] && [ -s "$T/nogp/data/rate_curve.dat" ] && [ -s "$T/nogp/data/nstar.dat" ] &&
  has_err "apt-get install gnuplot-nox" && [ ! -e "$T/nogp/rate_curve.pdf" ]
check $? "gnuplot not on PATH: exit 1 (got $RC), every .dat written, says apt-get install gnuplot-nox"

if [ "$FAILS" -gt 0 ]; then echo "# $FAILS check(s) failed"; exit 1; fi
echo "# all checks passed"
