#!/usr/bin/env bash
# The README's first command: set up, then run the default Gaussian rate-curve experiment.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec bash experiments/gaussian_rate.sh
