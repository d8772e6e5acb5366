#!/usr/bin/env bash
# Default experiment (the README's main job): ideal consistency training on a Gaussian with a
# geometric spectrum in [0.01, 1], d from 1 to 1024, N from 10 to 1e6, no error and two
# fit-error sizes (fit-bias, the paper's eps = total sum_t E||e_t||).
# Writes results/gaussian_rate.h5 and paper_figures/rate_curve.{pdf,png}.
set -euo pipefail
cd "$(dirname "$0")/.."
CTRATE=${CTRATE:-build/ctrate}
OUT=${OUT:-results/gaussian_rate.h5}
mkdir -p "$(dirname "$OUT")"
"$CTRATE" sweep --target geometric --lambda-min 0.01 --lambda-max 1 \
  --d 1,4,16,64,256,1024 --N 10:1e6:11 --schedule paper --c0 2 --c1 4 \
  --error fit-bias --eps 0,1e-3,1e-2 --seed 1 -o "$OUT" --force
"$CTRATE" plot "$OUT" -o paper_figures || echo "(figure not drawn; the numbers are in $OUT)"
