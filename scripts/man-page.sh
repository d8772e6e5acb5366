#!/bin/sh
# man-page.sh CTRATE COMMAND OUT: the man page OUT of `ctrate COMMAND` (COMMAND "-" for the top
# level, ctrate(1)), made by help2man from the built binary's --help and --version, so the page
# cannot drift from the program. Called by meson at build time (one custom_target per page).
# The page is ctrate-COMMAND(1), as git's are; its one-line NAME is the command's line in
# `ctrate --help`. SOURCE_DATE_EPOCH (if set) fixes the date in the footer.
set -eu
ct=$1 cmd=$2 out=$3
version=$("$ct" --version)
version=${version#ctrate }
cmds=$("$ct" --help | sed -n 's/^  \([a-z][a-z]*\)  *.*/\1/p')
# help2man wants "Usage:" and an option's argument one space after it ("--d LIST  text");
# the tables of run and sweep align the argument in a column of its own.
filter="sed -E -e 's/^usage:/Usage:/' -e 's/^(  +(-[A-Za-z0-9], )?--?[A-Za-z0-9-]+) +([A-Z][A-Za-z0-9,.:/]*) {2,}/\\1 \\3  /'"
inc=$(mktemp)
trap 'rm -f "$inc"' EXIT
{
  echo "[SEE ALSO]"
  first=1
  for c in "" $cmds; do
    [ "$c" = "$cmd" ] && continue
    [ "$cmd" = - ] && [ -z "$c" ] && continue
    [ $first -eq 1 ] || printf ',\n'
    if [ -z "$c" ]; then printf '.BR ctrate (1)'; else printf '.BR ctrate\\-%s (1)' "$c"; fi
    first=0
  done
  printf '\n.PP\nThe result format, the theory and the experiments: docs/ in the source tree;\n'
  printf 'example specs and the gnuplot scripts: share/ctrate/ under the install prefix.\n'
} >"$inc"
if [ "$cmd" = - ]; then
  exec help2man --no-info --no-discard-stderr --include="$inc" \
    --name="numerical test of the consistency-training rate" \
    --version-string="ctrate $version" --help-option="--help | $filter" --output="$out" "$ct"
fi
name=$("$ct" --help | sed -n "s/^  $cmd  *//p")
[ -n "$name" ] || { echo "man-page.sh: '$cmd' is not listed by $ct --help" >&2; exit 1; }
help2man --no-info --no-discard-stderr --include="$inc" --name="$name" \
  --version-string="ctrate-$cmd (ctrate) $version" \
  --help-option="$cmd --help | $filter" --output="$out" "$ct"
