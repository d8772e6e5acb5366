#!/usr/bin/env bash
# Every paper figure in one command: build if needed, run each canonical experiment
# (experiments/*.cfg) whose result file does not exist yet (dimension_night, which takes hours,
# only with --all), fit every result (ctrate fit: results/NAME.fit.md and /analysis), redraw
# the figures with ctrate plot, write paper_figures/README.md listing them, and write the
# fitted exponents beside the bound's into the marked blocks (<!-- paper-figures:begin ... -->
# to <!-- paper-figures:end -->) of README.md (the verdict: main figures, compact table) and
# docs/findings.md (the full table), and at the end of paper_figures/README.md.
#
# usage: scripts/paper-figures.sh [--all | --tables-only] [--skip NAME]... [-- extra ctrate sweep flags]
#   --all          also run the long experiments (dimension_night, atlas_*: hours on 2 cores)
#   --skip NAME    do not run experiments/NAME.cfg when its result is missing (its rows are
#                  then absent from the tables, and the script says so)
#   --tables-only  only the tables: no set-up, no experiments, no figures; the result files
#                  present are fitted again (seconds) and the three tables rewritten from them
#
# Layout: paper_figures/NAME.{pdf,png,tex} from results/gaussian_rate.h5 (the main job),
# paper_figures/gauss_vs_mixture.* from it and a mixture experiment, and
# paper_figures/EXPERIMENT/NAME.* for every other result file (the figures its data allow).
# The numbers of each figure are in data/NAME.dat beside it. BUILD (build) and CTRATE
# ($BUILD/ctrate) choose the build.
set -euo pipefail
cd "$(dirname "$0")/.."
all=0
tables_only=0
extra=()
skip=()
while [ $# -gt 0 ]; do
  case "$1" in
    --all) all=1 ;;
    --tables-only) tables_only=1 ;;
    --skip) shift; [ $# -gt 0 ] || { echo "paper-figures.sh: --skip needs an experiment name" >&2; exit 2; }
      [ -f "experiments/$1.cfg" ] || { echo "paper-figures.sh: --skip $1: no experiments/$1.cfg" >&2; exit 2; }
      skip+=("$1") ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "paper-figures.sh: unknown argument '$1' (accepted: --all, --tables-only, -- sweep flags)" >&2; exit 2 ;;
  esac
  shift
done
export BUILD=${BUILD:-build}
export CTRATE=${CTRATE:-$BUILD/ctrate}
FIG=paper_figures
say() { echo "paper-figures: $*"; }
if [ "$tables_only" -eq 1 ] && [ "$all" -eq 1 ]; then
  echo "paper-figures.sh: --tables-only runs no experiment; it cannot be combined with --all" >&2; exit 2
fi
# the result files whose fits make the tables, in the order of the tables
table_files=(results/gaussian_rate.h5 results/error_sweep.h5 results/mixture_dimension.h5
  results/mixture_dimension_cd.h5
  results/two_mode_width.h5 results/point_cloud.h5 results/dimension_night.h5)

replace_block() { # replace_block FILE BLOCK: FILE's lines from the paper-figures begin marker to
  local file=$1 blk=$2 # the end marker become BLOCK's (which holds both markers); the rest stays
  if [ -f "$file" ] && grep -q '^<!-- paper-figures:begin' "$file" && grep -q '^<!-- paper-figures:end' "$file"; then
    awk -v blk="$blk" '/^<!-- paper-figures:begin/ { while ((getline l < blk) > 0) print l; skip = 1; next }
      /^<!-- paper-figures:end/ { skip = 0; next } !skip' "$file" >"$file.new" && mv "$file.new" "$file"
    say "$file: exponent table updated"
  else
    say "$file has no paper-figures markers: left as it is"
  fi
}

write_tables() { # write_tables RESULT.h5...: the fitted exponents of these files beside the bound's
  local made blk
  made="Made $(date -I) by \`bash scripts/paper-figures.sh$([ "$tables_only" -eq 0 ] || echo ' --tables-only')\` with \`$("$CTRATE" --version)\`"
  if [ -f "$FIG/README.md" ]; then # the full table ends paper_figures/README.md (replaced if there)
    sed -i '/^## Fitted exponents and the bound$/,$d' "$FIG/README.md"
    sed -i -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$FIG/README.md" # no trailing blank lines
    {
      echo
      echo "## Fitted exponents and the bound"
      echo
      /usr/bin/python3 scripts/exponents_table.py "$@"
    } >>"$FIG/README.md"
  fi
  blk=$(mktemp)
  { # README.md: the verdict, with the main figures and the compact table
    echo "<!-- paper-figures:begin (written by scripts/paper-figures.sh; edits here are lost) -->"
    echo "$made; every"
    echo "figure and the full table: [paper_figures/README.md](paper_figures/README.md)."
    echo
    for n in rate_curve w_vs_d nstar local_slope w_vs_eps gauss_vs_mixture; do
      [ -f "$FIG/$n.png" ] && echo "<img src=\"paper_figures/$n.png\" width=\"420\" alt=\"$n\">"
    done
    echo
    /usr/bin/python3 scripts/exponents_table.py --compact "$@"
    echo "<!-- paper-figures:end -->"
  } >"$blk"
  replace_block README.md "$blk"
  { # docs/findings.md: the full table
    echo "<!-- paper-figures:begin (written by scripts/paper-figures.sh; edits here are lost) -->"
    echo "$made; the figures:"
    echo "[paper_figures/README.md](../paper_figures/README.md)."
    echo
    /usr/bin/python3 scripts/exponents_table.py "$@"
    echo "<!-- paper-figures:end -->"
  } >"$blk"
  replace_block docs/findings.md "$blk"
  rm -f "$blk"
}

if [ "$tables_only" -eq 1 ]; then # (c) and (f) only, on the result files present
  [ -x "$CTRATE" ] || { echo "paper-figures.sh: $CTRATE not found (build first: bash scripts/setup.sh)" >&2; exit 1; }
  present=() absent=()
  for f in "${table_files[@]}"; do if [ -f "$f" ]; then present+=("$f"); else absent+=("$f"); fi; done
  [ ${#present[@]} -gt 0 ] || { say "no result files (${table_files[*]})"; exit 1; }
  ((${#absent[@]} == 0)) || say "not in the tables (no result file): ${absent[*]}"
  for f in "${present[@]}"; do
    if "$CTRATE" fit "$f" -q; then say "fit: ${f%.h5}.fit.md"; else say "ctrate fit $f failed (status $?)"; fi
  done
  write_tables "${present[@]}"
  exit 0
fi

# (a) build (installs what is missing, then ninja)
bash scripts/setup.sh

# (b) the canonical experiments whose output is missing
spec_output() { sed -n 's/^[[:space:]]*output[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$1" | head -n 1; }
names=()
outs=()
for cfg in experiments/*.cfg; do
  name=$(basename "$cfg" .cfg)
  out=$(spec_output "$cfg")
  if [ -z "$out" ]; then say "$cfg has no output key; skipped"; continue; fi
  if [ ! -f "$out" ]; then
    case " ${skip[*]} " in *" $name "*) say "$name not run (--skip): not in the tables"; continue ;; esac
    case "$name" in dimension_night|atlas_*)
      if [ "$all" -eq 0 ]; then say "$name not run (hours on 2 cores; --all runs it)"; continue; fi ;;
    esac
    say "running $name -> $out"
    experiments/run.sh "$name" -- "${extra[@]}"
  elif [ -f "$out.journal" ]; then
    say "$out has a journal beside it (interrupted or running): plotted as it is; finish it with experiments/run.sh $name"
  fi
  if [ -f "$out" ]; then names+=("$name"); outs+=("$out"); fi
done
[ ${#outs[@]} -gt 0 ] || { say "no result files"; exit 1; }

# (c) fits
for out in "${outs[@]}"; do
  if "$CTRATE" fit "$out" -q; then say "fit: ${out%.h5}.fit.md"; else say "ctrate fit $out failed (status $?)"; fi
done

# (d) figures; each ctrate plot line "figure: DIR/NAME (pdf, png, tex)" is kept for the README
drawn=$(mktemp)
trap 'rm -f "$drawn"' EXIT
plot() { # plot ARGS...: ctrate plot, its output shown and its figure lines kept
  local rc=0
  say "ctrate plot $*"
  "$CTRATE" plot "$@" | tee -a "$drawn" || rc=$?
  [ "$rc" -eq 0 ] || say "ctrate plot $* exited $rc"
}
sample_cost() { # sample_cost DIR NAME FILE.h5... [OPTIONS]: DIR/NAME.md (table), DIR/NAME.{pdf,png};
  local dir=$1 name=$2 # a result file made before the learned fit fix (commit 879ee60, K^T) is
  shift 2 # left out with a note (--skip-pre-fix), the files used head the table
  mkdir -p "$dir"
  if /usr/bin/python3 scripts/sample_cost.py "$@" --skip-pre-fix --figure "$dir" --name "$name" >"$dir/$name.md"; then
    say "table: $dir/$name.md"
    echo "figure: $dir/$name (pdf, png)" | tee -a "$drawn"
  else say "scripts/sample_cost.py $* failed (status $?)"; fi
}
main=results/gaussian_rate.h5
one=rate_curve,w_vs_d,nstar,w_vs_eps,local_slope # the figures of one result file
mix=""
for f in results/two_mode_width.h5 results/mixture_dimension.h5 results/point_cloud.h5; do
  if [ -z "$mix" ] && [ -f "$f" ]; then mix=$f; fi
done
if [ -f "$main" ]; then
  plot "$main" -o "$FIG" --figure "$one"
  if [ -n "$mix" ]; then plot "$main" "$mix" -o "$FIG" --figure gauss_vs_mixture; fi
else
  say "$main is missing (bash scripts/main-job.sh makes it): no main figures"
fi
for i in "${!outs[@]}"; do
  [ "${outs[$i]}" = "$main" ] && continue
  rm -rf "${FIG:?}/${names[$i]}" # entirely generated: no stale figure survives
  by=() # the experiment's headline split: two_mode_width is CT (grid) against CD (distill) per width
  [ "${names[$i]}" = two_mode_width ] && by=(--by engine,sigma)
  [ "${names[$i]}" = schedule_rates ] && by=(--by schedule) # a curve per schedule and d
  plot "${outs[$i]}" -o "$FIG/${names[$i]}" --figure "$one" "${by[@]}"
  if [ "${names[$i]}" = learned_sample_cost ]; then # n* per (d, N) and its fit: tables and figures
    # pooled with the larger-d companions whose results are there. sample_cost: the W1 upper
    # bound, d = 1..128; sample_cost_w2: W2, d = 1..1024 (above d = 128 the rows carry W2 only).
    sc_w1=("${outs[$i]}") sc_w2=("${outs[$i]}")
    [ -f results/learned_sample_cost_d.h5 ] && sc_w1+=(results/learned_sample_cost_d.h5) && sc_w2+=(results/learned_sample_cost_d.h5)
    for f in results/learned_sample_cost_d256.h5 results/learned_sample_cost_d1024.h5 \
      results/learned_sample_cost_d1024_N30.h5 results/learned_sample_cost_d1024_N100.h5; do
      [ -f "$f" ] && sc_w2+=("$f")
    done
    sample_cost "$FIG/${names[$i]}" sample_cost "${sc_w1[@]}"
    sample_cost "$FIG/${names[$i]}" sample_cost_w2 "${sc_w2[@]}" --metric w2_normal
  fi
  if [ "${names[$i]}" = learned_sample_cost_2d ] && [ -f results/learned_sample_cost_2d_grid.h5 ]; then
    sample_cost "$FIG/${names[$i]}" sample_cost_rff results/learned_sample_cost_2d_grid.h5 "${outs[$i]}" \
      --ideal grid --metric w1_hi_qN
  fi
done

# (e) paper_figures/README.md
describe() {
  case "$1" in
    rate_curve) echo "W versus N per d (error-free groups), 95% intervals over replicates, the bound's shape C d^(5/2) ln^5 N / N with the fitted C (dashed), slopes N^-1 and N^-1/2 (grey)" ;;
    w_vs_d) echo "W versus d at the largest N and one mid N, with d^(1/2) and d^(5/2) through the smallest d" ;;
    nstar) echo "N*(d, eps), the N at which W falls to 2 eps, versus d per eps, with the bound's d^(5/2)/eps" ;;
    w_vs_eps) echo "W at the largest N versus the injected error eps, per d, with W = eps (the additive floor)" ;;
    local_slope) echo "local slope of log W on log N per d, beside the bound's own secant slope and -1" ;;
    gauss_vs_mixture) echo "W versus N for a Gaussian and a mixture target on the same axes (one d)" ;;
    sample_cost) echo "total training samples N n* for learned CT (affine class, fresh data) to stay within 2 x ideal CT's W (W1 upper bound), versus N per d, with 95% bootstrap intervals, censored cells (open triangles) and the fit N n* = e^c N^a d^b (dashed); the table: sample_cost.md beside it" ;;
    sample_cost_w2) echo "the same in W2 (exact for the Gaussian output), with d = 256 and 1024 by the moments route (theory.md §13.7); the table: sample_cost_w2.md beside it" ;;
    sample_cost_rff) echo "total training samples N n* for learned CT with the rff class (M = 40, fresh data) on the three-mode mixture in d = 2 to stay within 2 x the grid engine's W (w1_hi_qN), versus N; the table: sample_cost_rff.md beside it" ;;
    *) echo "$1" ;;
  esac
}
source_of() { # the result file(s) behind a figure directory
  local dir=$1 name=$2
  if [ "$dir" = "$FIG" ]; then
    if [ "$name" = gauss_vs_mixture ]; then echo "\`$main\` + \`$mix\`"; else echo "\`$main\`"; fi
  elif [ "${name#sample_cost}" != "$name" ] && [ -f "$dir/$name.md" ]; then # the files the table used
    sed -n '1s/^# Sample cost: [^)]*), //p' "$dir/$name.md" | sed 's/\([^ ][^ ]*\)/`\1`/g; s/ / + /g'
  else
    echo "\`results/$(basename "$dir").h5\`"
  fi
}
{
  echo "# Paper figures"
  echo
  echo "Made $(date -I) by \`bash scripts/paper-figures.sh\` with \`$("$CTRATE" --version)\`."
  echo "Each figure is \`NAME.pdf\`, \`NAME.png\` and \`NAME.tex\` (cairolatex: \`\\input{NAME.tex}\`,"
  echo "which includes \`NAME-inc.pdf\`); its numbers are in \`data/NAME.dat\` beside it (the header"
  echo "names the columns), drawn by \`NAME.gp\` with the common \`style.gp\` and \`ticks.gp\`. W is the metric of"
  echo "\`ctrate fit\`: w1_hi_normal, the certified W1 upper bound with the theorem's input N(0, I), for"
  echo "every engine (each figure's y axis names the metric and the input)."
  echo "Fits of each result: \`results/NAME.fit.md\`."
  prev=""
  sed -n 's/^figure: \(.*\) (\(.*\))$/\1/p' "$drawn" | while read -r base; do
    dir=$(dirname "$base") name=$(basename "$base")
    if [ "$dir" != "$prev" ]; then
      echo
      if [ "$dir" = "$FIG" ]; then echo "## Main figures"; else echo "## $(basename "$dir")"; fi
      prev=$dir
    fi
    rel=${base#"$FIG"/}
    echo
    echo "### $rel"
    echo
    echo "$(describe "$name"). From $(source_of "$dir" "$name")."
    echo
    echo "![$rel]($rel.png)"
  done
} >"$FIG/README.md"
# (f) the fitted exponents beside the bound's: README.md, docs/findings.md, paper_figures/README.md
results=()
for f in "${table_files[@]}"; do [ -f "$f" ] && results+=("$f"); done
if ((${#results[@]})); then write_tables "${results[@]}"; fi
say "$(grep -c '^figure: ' "$drawn") figures; list in $FIG/README.md"
