/* ctrate sweep: a grid of points from flags, run in parallel (one point per thread, so
 * results do not depend on the thread count), one HDF5 row flushed per finished point. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <omp.h>

#include "args.h"
#include "commands.h"
#include "grid.h"
#include "report.h"
#include "results_h5.h"

typedef struct {
  const char *out;
  int force, quiet, threads, report;
} sweep_opts;

static void help(FILE *out) {
  fprintf(out, "usage: ctrate sweep [OPTIONS] [-o FILE.h5]\n\n"
               "Simulate every combination of the listed values (N innermost, then d, eps,\n"
               "error, engine) and print W versus N per group with fitted log-log slopes.\n\n"
               "  -o, --output FILE.h5  write one row per point (refuses an existing file)\n"
               "      --force           replace an existing output file\n"
               "  -j, --threads K       OpenMP threads (default: all cores); results do not\n"
               "                        depend on K\n"
               "  -q, --quiet           no progress and no rate table\n");
  ctr_grid_help(out, 1);
  fprintf(out, "  -h, --help           this text\n");
}

static int parse(int argc, char **argv, ctr_grid *g, sweep_opts *o) {
  struct option opts[64];
  size_t n = 0;
  while (ctr_grid_options[n].name) opts[n] = ctr_grid_options[n], n++;
  opts[n++] = (struct option){"output", required_argument, 0, 'o'};
  opts[n++] = (struct option){"force", no_argument, 0, 'f'};
  opts[n++] = (struct option){"threads", required_argument, 0, 'j'};
  opts[n++] = (struct option){"quiet", no_argument, 0, 'q'};
  opts[n++] = (struct option){"help", no_argument, 0, 'h'};
  opts[n] = (struct option){0, 0, 0, 0};
  optind = 1, opterr = 0;
  int c;
  int64_t k;
  ctr_error err = {0};
  while ((c = getopt_long(argc, argv, ":o:j:qh", opts, NULL)) != -1) {
    ctr_status st = CTR_OK;
    if (c == 'h') return help(stdout), 0;
    if (c == 'o') o->out = optarg;
    else if (c == 'f') o->force = 1;
    else if (c == 'q') o->quiet = 1, o->report = 0;
    else if (c == 'j') st = ctr_arg_int("--threads", optarg, 1, 1024, &k, &err), o->threads = (int)k;
    else if (c == '?' || c == ':') {
      fprintf(stderr, "ctrate sweep: %s '%s' (see ctrate sweep --help)\n",
              c == ':' ? "missing value for" : "unknown option", argv[optind - 1]);
      return 2;
    } else st = ctr_grid_apply(g, c, optarg, &err);
    if (st) return fprintf(stderr, "ctrate sweep: %s\n", err.msg), 2;
  }
  if (optind < argc) return fprintf(stderr, "ctrate sweep: unexpected argument '%s'\n", argv[optind]), 2;
  return -1;
}

/* Most expensive points first (cost ~ N x distinct eigenvalues), for load balance. */
static double cost(const ctr_grid *g, size_t i) {
  ctr_point_spec s;
  ctr_grid_point(g, i, &s);
  return (double)s.schedule.N * (s.target.kind == CTR_TARGET_ISOTROPIC ? 1 : s.target.d);
}

static const ctr_grid *sort_grid;
static int by_cost(const void *a, const void *b) {
  double ca = cost(sort_grid, *(const size_t *)a), cb = cost(sort_grid, *(const size_t *)b);
  if (ca != cb) return ca < cb ? 1 : -1;
  return (*(const size_t *)a > *(const size_t *)b) - (*(const size_t *)a < *(const size_t *)b);
}

static void progress(size_t done, size_t n, double t0) {
  double el = omp_get_wtime() - t0, eta = done ? el / (double)done * (double)(n - done) : 0;
  fprintf(stderr, "\r  %zu/%zu points, %.1f s elapsed, ETA %.1f s   ", done, n, el, eta);
  if (done == n) fputc('\n', stderr);
}

static int run_all(const ctr_grid *g, const sweep_opts *o, ctr_results *file, ctr_point *rows) {
  size_t n = ctr_grid_count(g), done = 0, *order = malloc(sizeof(size_t) * n);
  if (!order) return fprintf(stderr, "ctrate sweep: out of memory\n"), 1;
  for (size_t i = 0; i < n; i++) order[i] = i;
  sort_grid = g;
  qsort(order, n, sizeof *order, by_cost);
  int failed = 0, write_failed = 0, show = !o->quiet && isatty(2);
  double t0 = omp_get_wtime();
#pragma omp parallel for schedule(dynamic, 1) num_threads(o->threads)
  for (size_t k = 0; k < n; k++) {
    ctr_point_spec spec;
    ctr_error err = {0};
    ctr_grid_point(g, order[k], &spec);
    ctr_status st = ctr_point_run(&spec, (int64_t)order[k], &rows[order[k]], &err);
#pragma omp critical(ctr_sweep_write)
    {
      ctr_error werr = {0};
      if (st) failed++, fprintf(stderr, "ctrate sweep: point %zu: %s\n", order[k], err.msg);
      if (file && !write_failed && ctr_results_append(file, &rows[order[k]], &werr))
        write_failed = 1, fprintf(stderr, "ctrate sweep: %s\n", werr.msg);
      if (show) progress(++done, n, t0);
    }
  }
  free(order);
  return failed || write_failed ? 1 : 0;
}

int ctr_cmd_sweep(int argc, char **argv) {
  ctr_grid g;
  ctr_grid_init(&g);
  sweep_opts o = {.threads = omp_get_max_threads(), .report = 1};
  int rc = parse(argc, argv, &g, &o);
  ctr_error err = {0};
  ctr_results *file = NULL;
  ctr_point *rows = NULL;
  size_t n = ctr_grid_count(&g);
  if (rc < 0 && ctr_grid_check(&g, &err))
    rc = ctr_exit_code(err.status), fprintf(stderr, "ctrate sweep: %s\n", err.msg);
  if (rc < 0 && o.out && !o.force && access(o.out, F_OK) == 0)
    rc = 2, fprintf(stderr, "ctrate sweep: %s exists (use --force to replace it)\n", o.out);
  if (rc < 0 && !(rows = calloc(n, sizeof *rows)))
    rc = 1, fprintf(stderr, "ctrate sweep: out of memory for %zu rows\n", n);
  if (rc < 0 && o.out) {
    if (o.force) remove(o.out);
    char desc[8192];
    ctr_grid_describe(&g, desc, sizeof desc);
    ctr_run_info info = {ctr_command_line(), desc, o.threads, g.base.target.seed};
    if (ctr_results_open(o.out, &info, &file, &err))
      rc = ctr_exit_code(err.status), fprintf(stderr, "ctrate sweep: %s\n", err.msg);
  }
  if (rc < 0) {
    rc = run_all(&g, &o, file, rows);
    if (ctr_results_close(file, &err)) rc = 1, fprintf(stderr, "ctrate sweep: %s\n", err.msg);
    if (o.report) ctr_report_rates(stdout, rows, n);
    if (o.out && !o.quiet) printf("\n%zu points written to %s\n", n, o.out);
  }
  free(rows);
  ctr_grid_free(&g);
  return rc;
}
