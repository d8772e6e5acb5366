#!/usr/bin/env bash
# Run canonical experiments by name (experiments/NAME.cfg), each to its spec's output file.
# usage: experiments/run.sh NAME... [-- extra ctrate sweep flags]
#   e.g. experiments/run.sh two_mode_width mixture_dimension -- --threads 2
# An interrupted run continues where it stopped (--resume); --force in the extra flags
# starts over.
set -euo pipefail
cd "$(dirname "$0")/.."
CTRATE=${CTRATE:-build/ctrate}
names=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do names+=("$1"); shift; done
[ $# -gt 0 ] && shift
extra=("$@")
resume=(--resume)
for f in "${extra[@]}"; do [ "$f" = "--force" ] && resume=(); done
mkdir -p results
for n in "${names[@]}"; do
  [ -f "experiments/$n.cfg" ] || { echo "experiments/run.sh: no experiments/$n.cfg" >&2; exit 2; }
  "$CTRATE" sweep "experiments/$n.cfg" "${resume[@]}" "${extra[@]}"
done
