#!/usr/bin/env bash
# Issue 3, finding 2: a mixture family whose difficulty grows with d. K = 8 modes of width
# sigma = 0.1 at random points of the sphere of radius sqrt(d) (--radius 1 --radius-growing):
# the modes stay separated by ~sqrt(2d) while their width stays fixed. Ideal CT by the chain
# engine (unbiased E||f*_N - Phi||^2 with its standard error, and the conservative L1) and CD
# by the distill engine, at N = 100 and 400, d = 1..64. Writes results/mixture_dimension.h5.
set -euo pipefail
cd "$(dirname "$0")/.."
CTRATE=${CTRATE:-build/ctrate}
OUT=${OUT:-results/mixture_dimension.h5}
mkdir -p "$(dirname "$OUT")"
"$CTRATE" sweep --target sphere --K 8 --sigma 0.1 --radius 1 --radius-growing \
  --d 1,2,4,8,16,32,64 --engine chain,distill --N 100,400 --schedule paper --c0 2 --c1 4 \
  --points 1000 --chains 4 --sample-n 0 --seed 1 -o "$OUT" --force
