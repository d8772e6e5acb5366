#!/usr/bin/env bash
# Issue 3, finding 1 continued to large N (about 9 minutes on 2 cores): ideal CT (grid engine,
# 8001 grid points so that disc_err stays below 1e-5) on the 1-D two-mode mixture with
# sigma = 0.1 at N = 3200, 1e4, 3e4. Writes results/two_mode_largeN.h5.
set -euo pipefail
cd "$(dirname "$0")/.."
CTRATE=${CTRATE:-build/ctrate}
OUT=${OUT:-results/two_mode_largeN.h5}
mkdir -p "$(dirname "$OUT")"
"$CTRATE" sweep --target two_modes --m 1 --sigma 0.1 --engine grid --grid-points 8001 \
  --N 3200,10000,30000 --schedule paper --c0 2 --c1 4 --seed 1 -o "$OUT" --force
