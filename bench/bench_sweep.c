/* bench_sweep: what the sweep machinery costs (issue 4: bookkeeping must not show up).
 *
 * usage: bench_sweep CTRATE SPEC.cfg [REPEATS]
 *
 * Reference: the points of SPEC run directly, one after another, by ctr_point_run in this
 * process (no plan, no store, no progress, no file). Measured: `CTRATE sweep SPEC -j 1 -q -o
 * FILE --force` as a child process (parsing, checks, plan, journal, checkpoints, final file).
 * Prints both (best of REPEATS), the share of the sweep's wall time spent in the engines
 * (direct / sweep) and the bookkeeping per point. Single thread on both sides. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <omp.h>

#include "sweep/param_grid.h"
#include "sweep/spec.h"

static double direct(const ctr_grid *g) {
  size_t n = ctr_grid_count(g);
  double t0 = omp_get_wtime();
  for (size_t i = 0; i < n; i++) {
    ctr_point_spec s;
    ctr_point row;
    ctr_error err = {0};
    ctr_grid_point(g, i, &s);
    if (ctr_point_run(&s, (int64_t)i, &row, &err)) fprintf(stderr, "point %zu: %s\n", i, err.msg);
  }
  return omp_get_wtime() - t0;
}

static double swept(const char *ctrate, const char *spec, const char *out) {
  char cmd[8192];
  snprintf(cmd, sizeof cmd, "OMP_NUM_THREADS=1 '%s' sweep '%s' -j 1 -q -o '%s' --force", ctrate, spec,
           out);
  double t0 = omp_get_wtime();
  int rc = system(cmd);
  double t = omp_get_wtime() - t0;
  if (rc != 0) fprintf(stderr, "bench_sweep: '%s' failed (%d)\n", cmd, rc), exit(1);
  return t;
}

int main(int argc, char **argv) {
  if (argc < 3) return fprintf(stderr, "usage: bench_sweep CTRATE SPEC.cfg [REPEATS]\n"), 2;
  gsl_set_error_handler_off();
  omp_set_num_threads(1);
  int reps = argc > 3 ? atoi(argv[3]) : 3;
  ctr_grid g;
  ctr_grid_init(&g);
  ctr_error err = {0};
  if (ctr_spec_load_file(argv[2], &g, NULL, &err)) return fprintf(stderr, "%s\n", err.msg), 2;
  char out[] = "/tmp/bench_sweep_XXXXXX";
  int fd = mkstemp(out);
  if (fd < 0) return perror("mkstemp"), 2;
  close(fd), unlink(out);
  double best_d = 1e300, best_s = 1e300;
  for (int r = 0; r < reps; r++) {
    double d = direct(&g), s = swept(argv[1], argv[2], out);
    best_d = d < best_d ? d : best_d, best_s = s < best_s ? s : best_s;
  }
  unlink(out);
  size_t n = ctr_grid_count(&g);
  printf("%-32s %7zu points: direct %8.3f s, sweep %8.3f s, in engines %5.1f%%, "
         "bookkeeping %6.1f us/point\n",
         argv[2], n, best_d, best_s, 100 * best_d / best_s, 1e6 * (best_s - best_d) / (double)n);
  ctr_grid_free(&g);
  return 0;
}
