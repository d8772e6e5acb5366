#!/usr/bin/env bash
# The README's first command: set up, then run the canonical Gaussian rate-curve experiment
# (experiments/gaussian_rate.cfg) from scratch and draw its figures into results/figures/
# (git-ignored: the checkout stays clean; only scripts/paper-figures.sh writes paper_figures/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
CTRATE=${CTRATE:-build/ctrate}
mkdir -p results
"$CTRATE" sweep experiments/gaussian_rate.cfg --force
"$CTRATE" plot results/gaussian_rate.h5 -o results/figures || echo "(figure not drawn; the numbers are in results/gaussian_rate.h5)"
