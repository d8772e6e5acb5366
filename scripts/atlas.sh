#!/usr/bin/env bash
# The exponent atlas (issue 14 point 4): run the atlas specs, then scripts/atlas.py, which runs
# ctrate fit and ctrate plot on each result and writes docs/atlas.md.
#
#   scripts/atlas.sh [--small] [OUTDIR]
#
#   (default)  the full specs experiments/atlas_*.cfg as written (lipschitz, radial, product,
#              tail, pair, simplex, aniso, clouds; --dry-run totals and measured costs in
#              docs/atlas.md: the plan model is far off for the radial and chain engines);
#              --resume, so an interrupted run continues where it stopped
#   --small    the small versions that produced docs/atlas_small.md (a few minutes of CPU):
#              fewer widths, d and N, given as overrides on the command line below; the page
#              and its figures go to docs/atlas_small.md and docs/atlas_small/
#   OUTDIR     result files (default results/atlas, or results/atlas_small with --small)
#   CTRATE     ctrate binary (default build/ctrate)
# On Slurm, shard each spec instead (docs/sweeps.md, "Slurm"):
#   experiments/slurm/submit.sh experiments/atlas_radial.cfg results/atlas_radial 8
# and then run scripts/atlas.py on the merged files (OUTDIR/all.h5).
set -euo pipefail
small=0
[[ ${1:-} == --small ]] && small=1 && shift
out=${1:-results/atlas$([[ $small == 1 ]] && echo _small)}
ctrate=${CTRATE:-build/ctrate}
mkdir -p "$out"
run() { # NAME [overrides...]
  local name=$1
  shift
  nice "$ctrate" sweep "experiments/$name.cfg" "$@" -o "$out/$name.h5" -q --resume
}
if [[ $small == 1 ]]; then
  run atlas_lipschitz --sigma 0.3,0.4,0.5,0.7,1.0 --N 25:800:4
  run atlas_radial --d 1,4,16 --sigma 0.3,0.5,0.7 --N 30:100:2
  run atlas_product --d 1,10,100 --N 25:400:3 --sigma 0.3,0.5 --grid-points 1001
  run atlas_tail --d 1,16,256 --sigma 0.2,0.3,0.5 --N 30:100:2
  run atlas_pair --d 1,16,256 --sigma 0.2,0.3122,0.4 --N 30:100:2
  run atlas_simplex --d 2,4,8 --sigma 0.3,0.5 --N 30:100:2 --points 100
  run atlas_aniso --d 2,4,8 --sigma 0.3,0.5 --N 30:100:2 --points 100
  run atlas_clouds --d 2,3,4 --N 30:100:2 --points 50
  note="Small versions (scripts/atlas.sh --small): the specs experiments/atlas_lipschitz.cfg with --sigma 0.3,0.4,0.5,0.7,1.0 --N 25:800:4; atlas_radial.cfg with --d 1,4,16 --sigma 0.3,0.5,0.7 --N 30:100:2; atlas_product.cfg with --d 1,10,100 --N 25:400:3 --sigma 0.3,0.5 --grid-points 1001; atlas_tail.cfg with --d 1,16,256 --sigma 0.2,0.3,0.5 --N 30:100:2; atlas_pair.cfg with --d 1,16,256 --sigma 0.2,0.3122,0.4 --N 30:100:2; atlas_simplex.cfg and atlas_aniso.cfg with --d 2,4,8 --sigma 0.3,0.5 --N 30:100:2 --points 100; atlas_clouds.cfg with --d 2,3,4 --N 30:100:2 --points 50. Exponents over such short ranges are pre-asymptotic; the full atlas is scripts/atlas.sh without --small."
else
  for s in lipschitz radial product tail pair simplex aniso clouds; do run atlas_$s; done
  note="Full atlas: scripts/atlas.sh (experiments/atlas_*.cfg as written)."
fi
files=()
for s in lipschitz radial product tail pair simplex aniso clouds; do files+=("$out/atlas_$s.h5"); done
page=()
[[ $small == 1 ]] && page=(--out docs/atlas_small.md --fig-dir docs/atlas_small --title "The exponent atlas: small runs")
/usr/bin/python3 scripts/atlas.py --ctrate "$ctrate" "${page[@]}" --note "$note" "${files[@]}"
