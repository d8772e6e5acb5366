/* bench_sliced.c: the C side of bench/bench_sliced.py (sliced and max-sliced W1 against POT).
 *
 * usage: bench_sliced FILE NX NY D M REPS [DIRFILE]
 * FILE holds (NX + NY) D native-endian float64: x[NX][D] then y[NY][D], row-major.
 * With DIRFILE (M D float64, row k = direction k, e.g. POT's projections transposed): the 1-D
 * W1 along each given direction by ctr_sliced_w1_dirs (wasserstein/slices.c), timed; prints
 *   {"mode": "dirs", "seconds", "cpu_seconds", "mean", "max", "w": [...]}.
 * Without: the library's own run, ctr_sliced_w1_compute with seed 1 (M random directions by the
 * library's generator, their mean, standard error and max, then the max-sliced ascent), timed;
 * prints {"mode": "random", "seconds", "cpu_seconds", "mean", "se", "max_dir", "max_sliced"}.
 * Times are the best of REPS runs (wall and process CPU). Both also print "limit_seconds" and
 * "fraction_of_limit" (issue 13 point 1): the projections alone, 2 d (NX + NY) M flops, at the
 * peak FMA rate measured in this run (bench_limit.h), over the CPU time. The sorts (a radix
 * sort, O(n) passes per direction) and the merge walk are not in the limit, so the fraction
 * is small where d is small: it says how far the whole is from its arithmetic. Exit 0, 2 on
 * bad input, 1 on a library failure. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_errno.h>

#include "wasserstein/sampled.h"
#include "wasserstein/slices.h"

#include "bench_limit.h"

static int parse_size(const char *s, size_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s || *end || s[0] == '-' || v == 0) return 0;
  *out = (size_t)v;
  return 1;
}

static double *read_doubles(const char *path, size_t count) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  double *buf = malloc(count * sizeof(double));
  int ok = buf && fread(buf, sizeof(double), count, f) == count && fgetc(f) == EOF;
  fclose(f);
  if (ok) return buf;
  free(buf);
  return NULL;
}

static double now(clockid_t id) {
  struct timespec t;
  clock_gettime(id, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
  gsl_set_error_handler_off();
  size_t nx, ny, d, m, reps;
  if ((argc != 7 && argc != 8) || !parse_size(argv[2], &nx) || !parse_size(argv[3], &ny) ||
      !parse_size(argv[4], &d) || !parse_size(argv[5], &m) || !parse_size(argv[6], &reps)) {
    fprintf(stderr, "usage: bench_sliced FILE NX NY D M REPS [DIRFILE] (all sizes >= 1)\n");
    return 2;
  }
  double *pts = read_doubles(argv[1], (nx + ny) * d);
  double *dirs = argc == 8 ? read_doubles(argv[7], m * d) : NULL;
  double *w = malloc(m * sizeof(double));
  if (!pts || (argc == 8 && !dirs) || !w) {
    fprintf(stderr, "bench_sliced: cannot read %zu points from %s%s\n", nx + ny, argv[1],
            argc == 8 ? " or the directions" : "");
    return 2;
  }
  const double *x = pts, *y = pts + nx * d;
  double best_wall = 1e300, best_cpu = 1e300;
  ctr_sliced_w1 sl = {0};
  ctr_error err;
  for (size_t r = 0; r < reps; r++) {
    double t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
    ctr_status s = dirs ? ctr_sliced_w1_dirs(d, nx, x, ny, y, m, dirs, w, &err)
                        : ctr_sliced_w1_compute(d, nx, x, ny, y, m, 1, &sl, NULL, &err);
    double wall = now(CLOCK_MONOTONIC) - t0, cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
    if (s != CTR_OK) {
      fprintf(stderr, "bench_sliced: %s\n", err.msg);
      return s == CTR_EINPUT ? 2 : 1;
    }
    if (wall < best_wall) best_wall = wall;
    if (cpu < best_cpu) best_cpu = cpu;
  }
  double lim = 2.0 * (double)d * (double)(nx + ny) * (double)m / bench_limit_fma();
  if (dirs) {
    double mean = 0.0, mx = w[0];
    for (size_t k = 0; k < m; k++) mean += w[k], mx = w[k] > mx ? w[k] : mx;
    printf("{\"mode\": \"dirs\", \"seconds\": %.6g, \"cpu_seconds\": %.6g, \"limit_seconds\": %.6g, "
           "\"fraction_of_limit\": %.4g, \"mean\": %.17g, \"max\": %.17g, \"w\": [", best_wall,
           best_cpu, lim, lim / best_cpu, mean / (double)m, mx);
    for (size_t k = 0; k < m; k++) printf("%s%.17g", k ? ", " : "", w[k]);
    printf("]}\n");
  } else {
    printf("{\"mode\": \"random\", \"seconds\": %.6g, \"cpu_seconds\": %.6g, \"limit_seconds\": %.6g, "
           "\"fraction_of_limit\": %.4g, \"mean\": %.17g, \"se\": %.17g, \"max_dir\": %.17g, "
           "\"max_sliced\": %.17g}\n", best_wall, best_cpu, lim, lim / best_cpu, sl.mean, sl.se,
           sl.max_dir, sl.max_sliced);
  }
  free(pts), free(dirs), free(w);
  return 0;
}
