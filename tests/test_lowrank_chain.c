/* test_lowrank_chain: the lowrank engine (engines/lowrank.h, theory.md §9.13) against two
 * independent computations of ideal CT: the backward-chain engine (engines/chain.h, Monte Carlo)
 * on two modes on a tilted line that misses the origin in d = 3, 4, 8, 16, 32, comparing
 * E||f_N(X) - Phi(X)||^2, X ~ q_N (the chain's unbiased U-statistic) within 4 standard errors;
 * and in d = 2 the 2-D grid engine's cubature of E||f_N - Phi|| and E||f_N - Phi||^2.
 * Reference suite: minutes of CPU. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "check.h"
#include "engines/chain.h"
#include "engines/grid.h"
#include "engines/lowrank.h"
#include "targets/mixture.h"

static ctr_schedule *sched(int64_t N) {
  ctr_schedule_params sp;
  ctr_schedule_params_default(&sp);
  sp.N = N;
  ctr_schedule *s = NULL;
  ctr_error err;
  if (ctr_schedule_alloc(&sp, &s, &err)) return NULL;
  return s;
}

/* K components N(c + t_j e, sigma2 I) in d dims (e, c given, length d). */
static ctr_mixture *line_mixture(int d, int K, const double *w, const double *t, const double *e,
                                 const double *c, double sigma2) {
  double *mu = malloc(sizeof(double) * (size_t)K * d);
  ctr_mixture_cov *cov = malloc(sizeof *cov * (size_t)K);
  for (int j = 0; j < K; j++) {
    for (int i = 0; i < d; i++) mu[(size_t)j * d + i] = c[i] + t[j] * e[i];
    cov[j] = (ctr_mixture_cov){CTR_COV_ISO, &sigma2};
  }
  ctr_mixture *m = NULL;
  ctr_error err;
  if (ctr_mixture_alloc(K, d, w, mu, cov, &m, &err)) printf("# %s\n", err.msg);
  free(mu), free(cov);
  return m;
}

static ctr_status run(const ctr_schedule *s, const ctr_mixture *m, int G, int Q,
                      ctr_lowrank_result *r) {
  ctr_lowrank_params p;
  ctr_lowrank_params_default(&p);
  p.prod.grid.G = G, p.prod.grid.Q = Q, p.prod.lipschitz = 0;
  ctr_error err;
  ctr_status st = ctr_lowrank_run(&p, s, m, r, &err);
  if (st) printf("# %s\n", err.msg);
  return st;
}

/* Weights 0.4/0.6 at t = -1, 1 along a generic unit e, offset c orthogonal to e with |c| = 0.5,
 * sigma = 0.3, N = 20. */
static void versus_chain(int d, int points, const ctr_schedule *s) {
  double *e = malloc(sizeof(double) * d), *c = malloc(sizeof(double) * d), ne = 0, ce = 0, nc = 0;
  for (int i = 0; i < d; i++) e[i] = (1 + i % 3) * (i % 2 ? -1.0 : 1.0), c[i] = 1.0 / (1 + i);
  for (int i = 0; i < d; i++) ne += e[i] * e[i];
  for (int i = 0; i < d; i++) e[i] /= sqrt(ne), ce += c[i] * e[i];
  for (int i = 0; i < d; i++) c[i] -= ce * e[i], nc += c[i] * c[i];
  for (int i = 0; i < d; i++) c[i] *= 0.5 / sqrt(nc);
  double w[2] = {0.4, 0.6}, t[2] = {-1, 1};
  ctr_mixture *m = line_mixture(d, 2, w, t, e, c, 0.09);
  ctr_chain_params cp = {points, 4, 11, {0}, 0, 0};
  cp.error.kind = CTR_ERR_NONE;
  ctr_chain_result cr;
  ctr_lowrank_result r;
  ctr_error err;
  ctr_status st = ctr_chain_run(&cp, s, m, &cr, &err);
  if (st) printf("# %s\n", err.msg);
  if (!st) st = run(s, m, 801, 16, &r);
  double z = st ? NAN : (cr.sq - r.qN.sq) / cr.sq_se;
  printf("# | %2d | %.6g +- %.2g | %.6g | %.2f |\n", d, cr.sq, cr.sq_se, st ? NAN : r.qN.sq, z);
  char name[96];
  snprintf(name, sizeof name, "d = %d: lowrank E||f_N - Phi||^2 within 4 chain SE", d);
  check_close(name, z, 0, 0, 4);
  ctr_mixture_free(m), free(e), free(c);
}

/* d = 2, two modes on a tilted line that misses the origin (c != 0): the 2-D grid engine's
 * cubature of E||f_N - Phi|| and E||f_N - Phi||^2 over q_N, an independent 2-D computation. */
static void versus_grid2d(void) {
  ctr_schedule *s = sched(40);
  double w[2] = {0.4, 0.6}, t[2] = {-1, 1}, e[2] = {0.6, 0.8}, c[2] = {-0.4, 0.3};
  ctr_mixture *m = line_mixture(2, 2, w, t, e, c, 0.09);
  ctr_grid_params gp;
  ctr_grid_params_default_d(&gp, 2);
  ctr_grid_result *g = NULL;
  ctr_lowrank_result r;
  ctr_error err;
  ctr_status st = run(s, m, 2001, 20, &r);
  if (!st) st = ctr_grid_run(&gp, s, m, &g, &err);
  if (st) printf("# %s\n", err.msg);
  int ok = !st;
  check_true("d = 2 tilted line: k = 1, |c| = 0.5", ok && r.k == 1 && fabs(r.c_norm - 0.5) < 1e-15,
             "");
  double tol = ok ? 3 * fmax(g->disc_max, 1e-6) : 0;
  check_close("d = 2: E||f_N - Phi|| = 2-D grid cubature (3 disc_err)", ok ? r.qN.l1 : NAN,
              ok ? g->base.coupling : 0, 0, tol);
  check_close("d = 2: E||f_N - Phi||^2 = 2-D grid cubature (5e-4)", ok ? r.qN.sq : NAN,
              ok ? g->base.coupling_sq : 0, 5e-4, 0);
  printf("# d = 2: lowrank %.7g %.7g, grid %.7g %.7g (disc %.2g)\n", r.qN.l1, r.qN.sq,
         ok ? g->base.coupling : NAN, ok ? g->base.coupling_sq : NAN, ok ? g->disc_max : NAN);
  ctr_grid_result_free(g), ctr_mixture_free(m), ctr_schedule_free(s);
}

int main(void) {
  gsl_set_error_handler_off();
  ctr_schedule *s = sched(20);
  if (!s) return 1;
  printf("# | d | chain E||f_N - Phi||^2 +- SE | lowrank | z |\n");
  int ds[5] = {3, 4, 8, 16, 32};
  for (int i = 0; i < 5; i++) versus_chain(ds[i], 3000, s);
  ctr_schedule_free(s);
  versus_grid2d();
  return check_summary();
}
