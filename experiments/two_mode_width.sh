#!/usr/bin/env bash
# Issue 3, finding 1: the rate in N of ideal CT on a 1-D two-mode mixture (modes at +-1, width
# sigma) against the mode width. Engine grid: exact CT in d = 1 (W1 from quantile functions,
# discretisation error estimated by refinement, reported as disc_err); engine distill: CD with
# the exact denoiser, the comparison method. Writes results/two_mode_width.h5.
set -euo pipefail
cd "$(dirname "$0")/.."
CTRATE=${CTRATE:-build/ctrate}
OUT=${OUT:-results/two_mode_width.h5}
mkdir -p "$(dirname "$OUT")"
"$CTRATE" sweep --target two_modes --m 1 --sigma 0.02,0.05,0.1,0.2,0.5,1 \
  --engine grid,distill --N 25:3200:8 --schedule paper --c0 2 --c1 4 --points 2000 \
  --sample-n 0 --seed 1 -o "$OUT" --force
