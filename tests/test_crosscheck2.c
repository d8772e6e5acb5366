/* test_crosscheck2.c: the two independent routes to ideal CT agree in d = 2: the exact grid
 * recursion (engines/grid.c, tensor bicubic grid, coupling by adaptive cubature) and the
 * backward-chain estimator (engines/chain.c). For two modes at (+-1, 0), sigma = 0.2, N = 50,
 * the chain's unbiased E||f*_N - Phi||^2 over q_N must equal the grid's coupling_sq within 4
 * joint standard errors (chain se, and the grid's discretisation estimate), and the joint
 * error must resolve the value (< 15%). */
#include <math.h>
#include <stdio.h>
#include <time.h>

#include <gsl/gsl_errno.h>

#include "check.h"
#include "engines/chain.h"
#include "engines/grid.h"
#include "targets/mixture.h"
#include "core/schedule.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void crosscheck2(double sigma, int64_t N) {
  ctr_schedule_params sp;
  ctr_schedule_params_default(&sp);
  sp.N = N;
  ctr_schedule *s = NULL;
  ctr_error e = {0};
  ctr_status st = ctr_schedule_alloc(&sp, &s, &e);
  double w[2] = {0.5, 0.5}, mu[4] = {-1, 0, 1, 0}, var = sigma * sigma;
  ctr_mixture_cov cov[2] = {{CTR_COV_ISO, &var}, {CTR_COV_ISO, &var}};
  ctr_mixture *m = NULL;
  if (!st) st = ctr_mixture_alloc(2, 2, w, mu, cov, &m, &e);
  ctr_grid_params gp;
  ctr_grid_params_default_d(&gp, 2);
  ctr_grid_result *g = NULL;
  double t0 = now();
  if (!st) st = ctr_grid_run(&gp, s, m, &g, &e);
  double t1 = now();
  ctr_chain_params cp;
  ctr_chain_params_default(&cp);
  cp.points = 6000, cp.chains = 8;
  ctr_chain_result cr;
  if (!st) st = ctr_chain_run(&cp, s, m, &cr, &e);
  double t2 = now();
  char name[200];
  snprintf(name, sizeof name, "d = 2 sigma %g N %lld: grid and chain run", sigma, (long long)N);
  check_true(name, st == CTR_OK, e.msg);
  if (st) {
    ctr_grid_result_free(g), ctr_mixture_free(m), ctr_schedule_free(s);
    return;
  }
  double gsq = g->base.coupling_sq, gerr = g->disc.coupling_sq + g->quad_err;
  double joint = sqrt(gerr * gerr + cr.sq_se * cr.sq_se);
  printf("# d = 2 sigma %g N %lld: E||f-Phi||^2 grid %.6g (disc %.1e, quad %.1e; %.1f s), "
         "chain %.6g +- %.2g (%.1f s): %.2f joint se; E||f-Phi|| grid %.6g, chain (Jensen-"
         "conservative) %.6g +- %.2g\n", sigma, (long long)N, gsq, g->disc.coupling_sq,
         g->quad_err, t1 - t0, cr.sq, cr.sq_se, t2 - t1, (cr.sq - gsq) / joint,
         g->base.coupling, cr.l1, cr.l1_se);
  snprintf(name, sizeof name, "d = 2 sigma %g N %lld: chain E||f-Phi||^2 == grid coupling_sq "
           "within 4 joint se", sigma, (long long)N);
  check_close(name, cr.sq, gsq, 0, 4 * joint);
  snprintf(name, sizeof name, "d = 2 sigma %g N %lld: the estimates resolve the value (se < 15%%)",
           sigma, (long long)N);
  check_true(name, joint < 0.15 * gsq, "too noisy to compare");
  snprintf(name, sizeof name, "d = 2 sigma %g N %lld: grid discretisation << chain se", sigma,
           (long long)N);
  check_true(name, g->disc.coupling_sq < 0.1 * cr.sq_se, "grid not resolved");
  ctr_grid_result_free(g), ctr_mixture_free(m), ctr_schedule_free(s);
}

int main(void) {
  gsl_set_error_handler_off();
  crosscheck2(0.2, 50);
  return check_summary();
}
