#!/usr/bin/env bash
# The folder tree is the pipeline: every #include "layer/file.h" in src/ and analysis/ must
# name a folder of the same layer or a lower one, and the file must exist. Layers, lowest
# first (equal numbers may not include each other, which rules out cycles between them):
#   core 0; targets, wasserstein, analysis 1; engines 2; metrics 3; simulate 4; store 5;
#   sweep 6; cli 7.
# Also: every "theory.md §X" cited in code, tests, scripts and docs names a heading of
# docs/theory.md, so a citation cannot point at a section that does not exist.
set -u
cd "${1:-$(dirname "$0")/..}"
declare -A rank=([core]=0 [targets]=1 [wasserstein]=1 [analysis]=1 [engines]=2 [metrics]=3
  [simulate]=4 [store]=5 [sweep]=6 [cli]=7)
pass=0 fail=0
bad() { echo "not ok - $*"; fail=$((fail + 1)); }
while IFS= read -r file; do
  dir=${file#src/}; dir=${dir%%/*}
  [ "$file" = "${file#analysis/}" ] || dir=analysis
  own=${rank[$dir]:-}
  if [ -z "$own" ]; then bad "$file: folder $dir is not a known layer"; continue; fi
  while IFS= read -r inc; do
    layer=${inc%%/*}
    if [ "$layer" = "$inc" ]; then bad "$file includes \"$inc\" without its layer folder"; continue; fi
    r=${rank[$layer]:-}
    if [ -z "$r" ]; then bad "$file includes \"$inc\": $layer is not a layer"; continue; fi
    if [ "$inc" != core/version.h ] && [ ! -f "src/$inc" ] && [ ! -f "$inc" ]; then
      bad "$file includes \"$inc\", which does not exist"; continue
    fi
    if [ "$layer" != "$dir" ] && [ "$r" -ge "$own" ]; then
      bad "$file ($dir, layer $own) includes \"$inc\" ($layer, layer $r): includes must point down"
      continue
    fi
    pass=$((pass + 1))
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file")
done < <(git ls-files 'src/*.c' 'src/*.h' 'analysis/*.c' 'analysis/*.h')
echo "ok - $pass includes point down the layers"

# Citations of the theory: "theory.md §4.2" must match a heading "## 4." or "### 4.2 ..."
if [ -f docs/theory.md ]; then
  heads=$(sed -n 's/^##*[[:space:]]\+\([0-9][0-9.]*[0-9]\|[0-9]\+\)[. ].*/\1/p' docs/theory.md)
  ncite=0
  while IFS=: read -r where sec; do
    sec=${sec%.}
    if grep -qx -- "$sec" <<<"$heads"; then ncite=$((ncite + 1)); pass=$((pass + 1))
    else bad "$where cites theory.md §$sec, which docs/theory.md has no heading for"; fi
  done < <(git grep -o -I -E 'theory\.md §[0-9]+(\.[0-9]+)*' -- src analysis tests bench scripts docs \
             python experiments README.md | sed 's/^\([^:]*\):.*§/\1:/')
  echo "ok - $ncite theory.md citations name existing sections"
  if git grep -q -I -E 'math\.md' -- src analysis tests bench scripts python experiments ':!tests/test_layers.sh'; then
    bad "code still cites math.md (outside the repository): $(git grep -l -I 'math\.md' -- src analysis tests bench scripts python experiments ':!tests/test_layers.sh' | tr '\n' ' ')"
  fi
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
