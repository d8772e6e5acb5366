/* bench_semidiscrete: the semi-discrete W2 solver (wasserstein/semidiscrete.h, theory.md §9.22)
 * timed on n equal-mass atoms against a 3-component isotropic mixture nu, the kind of problem
 * the lowrank plane engine will pose (issue 14): atoms quasi-random (R2 sequence) from a
 * mixture unlike nu, so the transport is not trivial. bench/bench_semidiscrete.py runs it
 * beside POT's ot.emd2 on a discretised problem of the same size.
 *
 * usage: bench_semidiscrete N [N ...]
 * Output: one JSON line per n: Newton steps, mass error, dual, primal_hi, quad_err, process CPU
 * seconds (all threads) and wall seconds. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_cdf.h>

#include "wasserstein/semidiscrete.h"

/* nu, and the law the atoms are drawn from (weights, centres, shared variance) */
static const double NU_W[3] = {0.5, 0.3, 0.2}, NU_C[6] = {0, 0, 1.6, 0.3, -0.5, 1.4}, NU_S = 0.2;
static const double AT_W[3] = {0.4, 0.35, 0.25}, AT_C[6] = {0.2, -0.1, 1.3, 0.5, -0.4, 1.1},
                    AT_S = 0.15;

/* point i of an R2 sequence mapped to the mixture (w, c, S): the first coordinate picks the
 * component (stratified) and is reused, rescaled, as the first normal quantile. Mirrored in
 * bench/bench_semidiscrete.py. */
void r2_mixture_point(long i, const double *w, const double *c, double S, double *out);
void r2_mixture_point(long i, const double *w, const double *c, double S, double *out) {
  const double g = 1.32471795724474602596, a1 = 1 / g, a2 = 1 / (g * g);
  double u1 = fmod(0.5 + a1 * (double)(i + 1), 1.0), u2 = fmod(0.5 + a2 * (double)(i + 1), 1.0);
  int k = 0;
  double acc = 0;
  while (k < 2 && u1 >= acc + w[k]) acc += w[k++];
  double v = (u1 - acc) / w[k];
  v = fmin(fmax(v, 1e-12), 1 - 1e-12), u2 = fmin(fmax(u2, 1e-12), 1 - 1e-12);
  out[0] = c[2 * k] + sqrt(S) * gsl_cdf_ugaussian_Pinv(v);
  out[1] = c[2 * k + 1] + sqrt(S) * gsl_cdf_ugaussian_Pinv(u2);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_semidiscrete N [N ...]\n");
    return 2;
  }
  ctr_sd_gmix nu = {3, NU_W, NU_C, NU_S};
  for (int a = 1; a < argc; a++) {
    int n = atoi(argv[a]);
    if (n < 1) {
      fprintf(stderr, "bench_semidiscrete: bad n '%s'\n", argv[a]);
      return 2;
    }
    double *y = malloc(2 * (size_t)n * sizeof *y), *m = malloc((size_t)n * sizeof *m);
    double *psi = calloc((size_t)n, sizeof *psi);
    for (int i = 0; i < n; i++) r2_mixture_point(i, AT_W, AT_C, AT_S, y + 2 * i), m[i] = 1.0 / n;
    ctr_sd_params p;
    ctr_sd_params_default(&p);
    ctr_sd_result r;
    ctr_error err;
    clock_t c0 = clock();
    double w0 = omp_get_wtime();
    ctr_status st = ctr_semidiscrete_w2(n, y, m, &nu, &p, psi, &r, &err);
    double cpu = (double)(clock() - c0) / CLOCKS_PER_SEC, wall = omp_get_wtime() - w0;
    printf("{\"n\": %d, \"status\": %d, \"msg\": \"%s\", \"threads\": %d, \"newton_steps\": %d, "
           "\"mass_err\": %.3g, \"dual\": %.17g, \"primal_hi\": %.17g, \"quad_err\": %.3g, "
           "\"empty_cells\": %d, \"cpu_s\": %.3f, \"wall_s\": %.3f}\n",
           n, (int)st, st ? err.msg : "", omp_get_max_threads(), r.newton_steps, r.mass_err,
           r.dual, r.primal_hi, r.quad_err, r.empty_cells, cpu, wall);
    fflush(stdout);
    free(y), free(m), free(psi);
  }
  return 0;
}
