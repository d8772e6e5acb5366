/* ctrate run: one point from flags. */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "sweep/param_grid.h"
#include "sweep/plan.h"
#include "cli/report.h"
#include "store/results_h5.h"
#include "store/safe_output.h"
#include "cli/signals.h"

static void help(FILE *out) {
  fprintf(out, "usage: ctrate run [OPTIONS] [-o FILE.h5]\n\n"
               "Simulate one point and print every parameter and metric.\n\n"
               "  -o, --output FILE.h5  append the row to FILE.h5 (created if missing)\n"
               "      --yes            run even if the point is estimated over %g core-hours\n",
          CTR_PLAN_MAX_POINT_HOURS);
  ctr_grid_help(out, 0);
  fprintf(out, "  -h, --help           this text\n\n"
               "Mixture files (--target mixture_file --mixture-file FILE) set d, K and the widths\n"
               "(a contradicting --d or --sigma is refused). Whitespace-separated numbers, '#'\n"
               "comments to the end of the line:\n"
               "  K d                      components and dimension\n"
               "  then K times: weight     (the weights sum to 1)\n"
               "                mu_1 .. mu_d\n"
               "                iso VARIANCE | diag v_1 .. v_d | full + d rows of d numbers\n"
               "Examples: experiments/mixtures/*.txt; details: docs/usage.md, \"Mixture files\".\n");
}

static int single_values(const ctr_grid *g) {
  const struct {
    const char *opt;
    size_t n;
  } lists[] = {{"--d", g->nd},         {"--N", g->nN},           {"--eps", g->neps},
               {"--error", g->nerror}, {"--engine", g->nengine}, {"--sigma", g->nsigma}};
  for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
    if (lists[i].n > 1) {
      fprintf(stderr, "ctrate run: %s takes one value here (got %zu; use ctrate sweep for lists)\n",
              lists[i].opt, lists[i].n);
      return 0;
    }
  if (g->naxes) {
    fprintf(stderr, "ctrate run: --%s takes one value here (got %zu; use ctrate sweep for lists)\n",
            ctr_grid_options[g->axes[0].code - 1000].name, g->axes[0].n);
    return 0;
  }
  return 1;
}

static int parse(int argc, char **argv, ctr_grid *g, const char **out, int *yes) {
  struct option opts[64];
  size_t n = 0;
  while (ctr_grid_options[n].name) opts[n] = ctr_grid_options[n], n++;
  opts[n++] = (struct option){"output", required_argument, 0, 'o'};
  opts[n++] = (struct option){"help", no_argument, 0, 'h'};
  opts[n++] = (struct option){"yes", no_argument, 0, 'y'};
  opts[n] = (struct option){0, 0, 0, 0};
  optind = 1, opterr = 0;
  int c;
  ctr_error err;
  while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
    if (c == 'h') return help(stdout), 0;
    if (c == 'y') *yes = 1;
    else if (c == 'o') *out = optarg;
    else if (c == '?' || c == ':') {
      fprintf(stderr, "ctrate run: %s '%s' (see ctrate run --help)\n",
              c == ':' ? "missing value for" : "unknown option", argv[optind - 1]);
      return 2;
    } else if (ctr_grid_apply(g, c, optarg, &err)) {
      fprintf(stderr, "ctrate run: %s\n", err.msg);
      return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "ctrate run: unexpected argument '%s'\n", argv[optind]);
    return 2;
  }
  return single_values(g) ? -1 : 2;
}

/* Before computing: may the row go to PATH? Not onto an input file, not into a sweep's file,
 * not into a file of another ctrate version or row layout (its old rows would then claim the
 * new version). Returns the existing file's metadata (spec NULL if PATH does not exist). */
static ctr_status check_output(const char *path, const ctr_grid *g, ctr_results_meta *m,
                               ctr_error *err) {
  const char *in[2] = {g->cov_file, g->mixture_file};
  memset(m, 0, sizeof *m);
  ctr_status st = ctr_output_check("-o", path, in, 2, err);
  if (st || access(path, F_OK)) return st;
  if ((st = ctr_results_meta_read(path, m, err))) return st;
  if (m->plan_points > 0)
    st = ctr_fail(err, CTR_EINPUT, "%s holds a sweep (%lld points); write single runs to "
                  "another file", path, m->plan_points);
  else if (strcmp(m->version, ctr_results_version()))
    st = ctr_fail(err, CTR_EINPUT, "%s was written by ctrate %s, this is %s: adding a row would "
                  "mix two versions in one file; write to a new file", path, m->version,
                  ctr_results_version());
  else if (!m->layout_current)
    st = ctr_fail(err, CTR_EINPUT, "%s: its row_layout is not this ctrate's columns; write to a "
                  "new file", path);
  if (st) ctr_results_meta_free(m);
  return st;
}

/* PATH's rows (none if R is NULL), then ROW, into writer W, a block at a time: appending to a
 * big file costs a block of memory, not its rows. */
static ctr_status copy_rows(ctr_results_reader *r, size_t n, const ctr_point *row,
                            ctr_results_writer *w, ctr_error *err) {
  enum { BLOCK = 2048 };
  ctr_point *buf = malloc(sizeof *buf * BLOCK);
  size_t *at = malloc(sizeof *at * BLOCK);
  ctr_status st = buf && at ? CTR_OK : ctr_fail(err, CTR_ENOMEM, "out of memory");
  for (size_t i0 = 0; !st && i0 < n; i0 += BLOCK) {
    size_t k = n - i0 < BLOCK ? n - i0 : BLOCK;
    for (size_t i = 0; i < k; i++) at[i] = i0 + i;
    st = ctr_results_reader_get(r, i0, k, buf, err);
    if (!st) st = ctr_results_writer_put(w, buf, at, k, err);
  }
  if (!st) buf[0] = *row, at[0] = n, st = ctr_results_writer_put(w, buf, at, 1, err);
  free(buf), free(at);
  return st;
}

/* Add ROW to PATH by rewriting the whole file (exclusive temporary + rename), so a kill never
 * leaves a torn file; under PATH.lock, so two runs never lose each other's row. */
static ctr_status append_row(const char *path, const ctr_run_info *info, const ctr_point *row,
                             const ctr_grid *g, ctr_error *err) {
  ctr_results_reader *r = NULL;
  ctr_results_writer *w = NULL;
  size_t n = 0;
  ctr_results_meta m = {0};
  int lock = -1;
  ctr_status st = ctr_output_lock(path, &lock, err);
  if (!st) st = check_output(path, g, &m, err); /* again, under the lock */
  if (!st && m.spec) st = ctr_results_reader_open(path, &r, &n, NULL, err);
  ctr_run_info keep = *info;
  if (m.created && *m.created) keep.created = m.created;
  if (!st) st = ctr_results_writer_open(path, &keep, n + 1, &w, err);
  if (!st) st = copy_rows(r, n, row, w, err);
  if (!st) st = ctr_results_writer_commit(w, err);
  else ctr_results_writer_abandon(w);
  ctr_results_reader_close(r);
  ctr_output_unlock(path, lock);
  if (m.spec) ctr_results_meta_free(&m);
  return st;
}

int ctr_cmd_run(int argc, char **argv) {
  ctr_grid g;
  ctr_grid_init(&g);
  const char *out = NULL;
  int yes = 0;
  int rc = parse(argc, argv, &g, &out, &yes);
  ctr_error err = {0};
  ctr_point row;
  ctr_point_spec spec;
  if (rc < 0 && (ctr_grid_pin_inputs(&g, &err) || ctr_grid_check(&g, &err)))
    rc = ctr_exit_code(err.status);
  ctr_results_meta m0;
  if (rc < 0 && out && check_output(out, &g, &m0, &err)) rc = ctr_exit_code(err.status);
  else if (rc < 0 && out && m0.spec) ctr_results_meta_free(&m0);
  if (rc < 0 && !yes && ctr_plan_check_cost(&g, &err)) rc = ctr_exit_code(err.status);
  if (rc < 0) {
    ctr_grid_point(&g, 0, &spec);
    char *desc = ctr_grid_describe(&g);
    ctr_run_info info = {ctr_command_line(), desc ? desc : "", 1, spec.target.seed, "", 0, NULL,
                         g.inputs.p};
    ctr_status st = ctr_point_run(&spec, 0, &row, &err);
    ctr_report_point(stdout, &row);
    ctr_error werr = {0};
    ctr_signals_defer(); /* the file is written whole, then the signal counts */
    ctr_status wst = out ? append_row(out, &info, &row, &g, &werr) : CTR_OK;
    if (ctr_signals_take() && !wst) wst = ctr_fail(&werr, CTR_EIO, "interrupted (the row was saved)");
    if (wst && !st) st = wst, err = werr;
    rc = ctr_exit_code(st);
    free(desc);
  }
  if (rc > 0 && err.msg[0]) fprintf(stderr, "ctrate run: %s\n", err.msg);
  ctr_grid_free(&g);
  return rc;
}
