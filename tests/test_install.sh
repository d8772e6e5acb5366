#!/usr/bin/env bash
# test_install.sh: ctrate installed like a Unix tool, and the options every subcommand shares.
#
# usage: tests/test_install.sh BUILD_DIR SOURCE_DIR
#
# Checks: `meson install --destdir` puts the binary, a man page per subcommand (and ctrate(1)),
# every paper_figures/*.gp and the example specs under PREFIX; the installed tree, moved
# elsewhere (relocatable, no source tree reachable), draws a figure with `ctrate plot` (the
# scripts found relative to the executable) and its default output is results/figures/; a
# plot whose scripts are nowhere fails naming every place it looked; `man -l` renders a page;
# --version works on every subcommand; an unknown option and a missing value give one wording
# in every subcommand. Prints "ok - ..." / "FAIL - ..." per check; exits 1 if any failed.
set -u
if [ $# -ne 2 ] || [ ! -d "$1" ] || [ ! -d "$2" ]; then
  echo "usage: $0 BUILD_DIR SOURCE_DIR" >&2
  exit 2
fi
BUILD=$(cd "$1" && pwd) SRC=$(cd "$2" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/ctrate_install.XXXXXX")
trap 'rm -rf "$T"' EXIT
unset CTRATE_DATA_DIR
FAILS=0
ok() { echo "ok - $*"; }
fail() {
  FAILS=$((FAILS + 1)); echo "FAIL - $*"
  [ -s "$T/err" ] && sed 's/^/#   stderr: /' "$T/err" | head -8
  return 0
}
check() { if [ "$1" -eq 0 ]; then ok "$2"; else fail "$2"; fi; }
CMDS="run sweep fit merge show plot search"

# ---- meson install --destdir, then the tree moved away from its prefix ----------------------
prefix=$(meson introspect "$BUILD" --buildoptions 2>/dev/null |
  /usr/bin/python3 -c 'import json,sys; print({o["name"]: o["value"] for o in json.load(sys.stdin)}["prefix"])')
meson install -C "$BUILD" --no-rebuild --destdir "$T/dest" >"$T/out" 2>"$T/err"
RC=$?
check $RC "meson install --destdir (prefix $prefix): exit $RC"
mv "$T/dest$prefix" "$T/p" 2>"$T/err" # relocated: nothing may point back at the prefix
P=$T/p
CT=$P/bin/ctrate
[ -x "$CT" ]; check $? "binary installed: bin/ctrate"
missing=""
for c in "" $CMDS; do
  page=ctrate${c:+-$c}.1
  [ -s "$P/share/man/man1/$page" ] || missing="$missing $page"
done
if command -v help2man >/dev/null 2>&1; then
  [ -z "$missing" ]; check $? "man pages installed: share/man/man1/ctrate.1 and ctrate-{${CMDS// /,}}.1${missing:+ (missing:$missing)}"
  LC_ALL=C MANWIDTH=80 MANPAGER=cat man -l "$P/share/man/man1/ctrate-plot.1" >"$T/man" 2>"$T/err"
  RC=$?
  [ "$RC" -eq 0 ] && grep -q '^NAME' "$T/man" && grep -Eq 'ctrate-plot +- ' "$T/man" &&
    grep -q -- '--scripts-dir' "$T/man" && grep -Eq 'ctrate plot +FILE.h5' "$T/man"
  check $? "man -l ctrate-plot.1 renders (exit $RC): NAME, SYNOPSIS and the options of --help"
else
  echo "# skipped: man pages (help2man is not installed: apt-get install help2man)"
fi
missing=""
for gp in "$SRC"/paper_figures/*.gp; do
  cmp -s "$gp" "$P/share/ctrate/figures/$(basename "$gp")" || missing="$missing $(basename "$gp")"
done
[ -z "$missing" ]; check $? "every paper_figures/*.gp installed in share/ctrate/figures${missing:+ (missing:$missing; list it in meson.build)}"
missing=""
for cfg in "$SRC"/experiments/*.cfg; do
  cmp -s "$cfg" "$P/share/ctrate/experiments/$(basename "$cfg")" || missing="$missing $(basename "$cfg")"
done
[ -z "$missing" ]; check $? "every experiments/*.cfg installed in share/ctrate/experiments${missing:+ (missing:$missing)}"

# ---- the installed ctrate plots with no source tree: scripts found beside the executable -----
mkdir -p "$T/work"
cd "$T/work" || exit 1
"$CT" sweep --target geometric --d 1,4 --N 10:1000:4 -q -o s.h5 >"$T/out" 2>"$T/err"
check $? "installed ctrate sweep: a small result"
if command -v gnuplot >/dev/null 2>&1; then
  "$CT" plot s.h5 --figure rate_curve --format png >"$T/out" 2>"$T/err"
  RC=$?
  [ "$RC" -eq 0 ] && [ -s results/figures/rate_curve.png ] && [ -s results/figures/data/rate_curve.dat ]
  check $? "installed ctrate plot without -o (exit $RC): results/figures/rate_curve.png drawn with share/ctrate/figures"
  [ ! -e "$T/work/paper_figures" ]; check $? "plot without -o writes no paper_figures/"
  mv "$P/share/ctrate/figures" "$P/share/ctrate/hidden"
  "$CT" plot s.h5 --figure rate_curve --format png -o nowhere >"$T/out" 2>"$T/err"
  RC=$?
  if [ -e /usr/local/share/ctrate/figures/style.gp ] || [ -e "$prefix/share/ctrate/figures/style.gp" ]; then
    echo "# skipped: the no-scripts error (a real install at the prefix has the scripts)"
  else
    [ "$RC" -eq 1 ] && grep -q "looked in" "$T/err" && grep -qF "$P/bin/../share/ctrate/figures" "$T/err" &&
      grep -q -- "--scripts-dir" "$T/err" && [ -s nowhere/data/rate_curve.dat ]
    check $? "scripts nowhere: exit 1 (got $RC), lists where it looked, names --scripts-dir; data written"
  fi
  "$CT" plot s.h5 --figure rate_curve --format png -o given --scripts-dir "$P/share/ctrate/hidden" >"$T/out" 2>"$T/err"
  RC=$?
  [ "$RC" -eq 0 ] && [ -s given/rate_curve.png ]; check $? "--scripts-dir DIR: drawn (exit $RC)"
  CTRATE_DATA_DIR=$SRC "$CT" plot s.h5 --figure rate_curve --format png -o env >"$T/out" 2>"$T/err"
  RC=$?
  [ "$RC" -eq 0 ] && [ -s env/rate_curve.png ]; check $? "CTRATE_DATA_DIR=source tree (paper_figures/): drawn (exit $RC)"
  mv "$P/share/ctrate/hidden" "$P/share/ctrate/figures"
else
  echo "# skipped: drawing (gnuplot is not installed: apt-get install gnuplot-nox)"
fi

# ---- options every subcommand shares ------------------------------------------------------
want=$("$CT" --version)
bad=""
for c in $CMDS; do
  [ "$("$CT" "$c" --version 2>&1)" = "$want" ] || bad="$bad $c"
done
[ -z "$bad" ] && [[ "$want" == "ctrate "* ]]
check $? "ctrate CMD --version prints '$want' for every CMD${bad:+ (not:$bad)}"
bad=""
for c in $CMDS; do
  "$CT" "$c" --no-such-option >"$T/out" 2>"$T/err"
  RC=$?
  [ "$RC" -eq 2 ] && [ "$(cat "$T/err")" = "ctrate $c: unknown option '--no-such-option' (see ctrate $c --help)" ] ||
    bad="$bad $c"
done
[ -z "$bad" ]; check $? "unknown option: exit 2 and \"ctrate CMD: unknown option 'X' (see ctrate CMD --help)\" in every CMD${bad:+ (not:$bad)}"
bad=""
for c in "run -o" "sweep -o" "merge -o" "plot -o" "fit --range" "show --columns" "search -o"; do
  set -- $c
  "$CT" "$1" "$2" >"$T/out" 2>"$T/err"
  RC=$?
  [ "$RC" -eq 2 ] && [ "$(cat "$T/err")" = "ctrate $1: missing value for '$2' (see ctrate $1 --help)" ] ||
    bad="$bad $c"
done
[ -z "$bad" ]; check $? "missing value: exit 2 and \"ctrate CMD: missing value for 'X' (see ctrate CMD --help)\"${bad:+ (not:$bad)}"

[ "$FAILS" -eq 0 ] || { echo "$FAILS check(s) failed"; exit 1; }
