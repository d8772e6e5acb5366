/* test_crosscheck.c: the two independent routes to ideal CT on a mixture agree (issue 3):
 * the exact grid recursion (engines/grid.c, d = 1) and the backward-chain estimator
 * (engines/chain.c). E||f*_N - Phi||^2 over q_N from the grid (Monte Carlo over x only, f*_N
 * and Phi deterministic) must equal the chain's unbiased estimate within their joint standard
 * error; distillation, which has no Jensen gap, must sit well below both. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "check.h"
#include "fixtures.h"
#include "engines/chain.h"
#include "engines/distill.h"
#include "engines/grid.h"
#include "targets/flow_map.h"
#include "targets/mixture.h"
#include "core/parfor.h"
#include "core/rng.h"
#include "core/schedule.h"

/* E||f_N - Phi||^2 over n draws x ~ q_N with f_N from the grid: mean and standard error. */
static void grid_sq(const ctr_grid_result *g, const ctr_schedule *s, const ctr_mixture *m, int n,
                    double *mean, double *se) {
  ctr_denoiser den = ctr_mixture_denoiser(m);
  ctr_flow_span span;
  ctr_flow_tol tol;
  ctr_error e;
  ctr_flow_tol_default(&tol);
  ctr_flow_span_steps(s, s->N, 1, &span, &e);
  double *x = malloc(sizeof(double) * n), *v = malloc(sizeof(double) * n);
  ctr_rng r;
  ctr_rng_init(&r, 77, CTR_RNG_TEST, 1, 0);
  ctr_mixture_sample_noised(m, s->a[s->N], s->s[s->N], &r, (size_t)n, x, &e);
  for (int i = 0; i < n; i++) {
    double phi;
    ctr_flow_map(&den, &span, &tol, &x[i], &phi, NULL, &e);
    double dev = ctr_grid_eval(g, x[i]) - phi;
    v[i] = dev * dev;
  }
  ctr_mean_se(v, (size_t)n, mean, se);
  free(x), free(v);
}

static void crosscheck(double sigma, int64_t N) {
  ctr_schedule *s = fixture_schedule(N);
  ctr_mixture *m = fixture_two_modes(sigma);
  ctr_error e;
  ctr_grid_params gp;
  ctr_grid_params_default(&gp);
  gp.refine = 0, gp.coupling = 0;
  ctr_grid_result *g = NULL;
  ctr_status st = ctr_grid_run(&gp, s, m, &g, &e);
  ctr_chain_params cp;
  ctr_chain_params_default(&cp);
  cp.points = 6000, cp.chains = 8;
  ctr_chain_result cr;
  if (!st) st = ctr_chain_run(&cp, s, m, &cr, &e);
  ctr_distill_params dp;
  ctr_distill_params_default(&dp);
  ctr_distill_result dr;
  if (!st) st = ctr_distill_run(&dp, s, m, &dr, &e);
  char name[160];
  snprintf(name, sizeof name, "sigma %g N %lld: grid, chain and distill run", sigma, (long long)N);
  check_true(name, st == CTR_OK, e.msg);
  if (st) return;
  double gsq, gse;
  grid_sq(g, s, m, 20000, &gsq, &gse);
  double joint = sqrt(gse * gse + cr.sq_se * cr.sq_se);
  printf("# sigma %g N %lld: E||f-Phi||^2 grid %.5g +- %.2g, chain %.5g +- %.2g (%.2f se); "
         "distill %.3g\n", sigma, (long long)N, gsq, gse, cr.sq, cr.sq_se, (cr.sq - gsq) / joint,
         dr.sq);
  snprintf(name, sizeof name, "sigma %g N %lld: chain E||f-Phi||^2 == grid within 4 joint se",
           sigma, (long long)N);
  check_close(name, cr.sq, gsq, 0, 4 * joint);
  snprintf(name, sizeof name, "sigma %g N %lld: the estimates resolve the value (se < 15%%)",
           sigma, (long long)N);
  check_true(name, joint < 0.15 * gsq, "too noisy to compare");
  snprintf(name, sizeof name, "sigma %g N %lld: distill (no Jensen gap) < CT / 4", sigma,
           (long long)N);
  check_true(name, dr.sq < 0.25 * gsq, "CD not below CT");
  ctr_grid_result_free(g), ctr_mixture_free(m), ctr_schedule_free(s);
}

int main(void) {
  gsl_set_error_handler_off();
  crosscheck(0.1, 50);
  crosscheck(0.3, 200);
  return check_summary();
}
