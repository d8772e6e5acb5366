/* test_product_chain: the product engine (engines/product.h) against the backward-chain engine
 * (engines/chain.h, an independent Monte Carlo of ideal CT) on product targets built as full
 * mixtures: product_bimodal in d = 2, 4, 6, 8 (2^d modes) and two_modes in d = 3 (one bimodal
 * and two Gaussian coordinates). Compared: E||f_N(X) - Phi(X)||^2, X ~ q_N (the chain's unbiased
 * U-statistic) within 4 standard errors. And two_modes in d = 2 against the 2-D grid engine's
 * cubature of E||f_N - Phi|| and E||f_N - Phi||^2 (non-identical coordinates through the norm
 * integral). Reference suite: ~1-2 minutes of CPU. */
#include <math.h>
#include <stdio.h>

#include <gsl/gsl_errno.h>

#include "check.h"
#include "engines/chain.h"
#include "engines/grid.h"
#include "engines/product.h"
#include "targets/mixture.h"

static void compare(const char *what, int d, ctr_mixture_preset kind, int points,
                    const ctr_schedule *s) {
  const double m = 1, sigma = 0.3, var = sigma * sigma;
  ctr_mixture_params mp;
  ctr_mixture_params_default(&mp);
  mp.kind = kind, mp.d = d, mp.m = m, mp.sigma = sigma;
  ctr_mixture *mix = NULL;
  ctr_error err;
  ctr_chain_params cp = {points, 4, 7, {0}, 0, 0};
  cp.error.kind = CTR_ERR_NONE;
  ctr_chain_result cr;
  ctr_status st = ctr_mixture_from_params(&mp, &mix, &err);
  if (!st) st = ctr_chain_run(&cp, s, mix, &cr, &err);
  double w[2] = {0.5, 0.5}, mu[2] = {-m, m}, v[2] = {var, var}, w0 = 1, mu0 = 0;
  int all = kind == CTR_MIXTURE_PRODUCT_BIMODAL;
  ctr_product_coord c[2] = {{2, w, mu, v, all ? d : 1}, {1, &w0, &mu0, v, d - 1}};
  ctr_product_params p;
  ctr_product_params_default(&p);
  p.grid.G = 801, p.grid.Q = 16, p.lipschitz = 0;
  ctr_product_result pr;
  if (!st) st = ctr_product_run(&p, s, all ? 1 : 2, c, &pr, &err);
  if (st) printf("# %s\n", err.msg);
  double z = st ? NAN : (cr.sq - pr.qN.sq) / cr.sq_se;
  printf("# %s d = %d: chain %.6g +- %.2g, product %.6g (z = %.2f)\n", what, d, cr.sq, cr.sq_se,
         st ? NAN : pr.qN.sq, z);
  char name[96];
  snprintf(name, sizeof name, "%s d = %d: product E||f_N - Phi||^2 within 4 chain SE", what, d);
  check_close(name, z, 0, 0, 4);
  ctr_mixture_free(mix);
}

/* two_modes d = 2, m = 1, sigma = 0.3, N = 40: product (bimodal x Gaussian coordinate) against
 * the 2-D grid (measured: 0.144869 vs 0.144875, grid disc_err 1.0e-5). */
static void versus_grid2d(void) {
  ctr_schedule_params sp;
  ctr_schedule_params_default(&sp);
  sp.N = 40;
  ctr_schedule *s = NULL;
  ctr_error err;
  ctr_mixture_params mp;
  ctr_mixture_params_default(&mp);
  mp.d = 2, mp.m = 1, mp.sigma = 0.3;
  ctr_mixture *mix = NULL;
  ctr_grid_params gp;
  ctr_grid_params_default_d(&gp, 2);
  ctr_grid_result *g = NULL;
  ctr_status st = ctr_schedule_alloc(&sp, &s, &err);
  if (!st) st = ctr_mixture_from_params(&mp, &mix, &err);
  if (!st) st = ctr_grid_run(&gp, s, mix, &g, &err);
  double w[2] = {0.5, 0.5}, mu[2] = {-1, 1}, v[2] = {0.09, 0.09}, w0 = 1, mu0 = 0;
  ctr_product_coord c[2] = {{2, w, mu, v, 1}, {1, &w0, &mu0, v, 1}};
  ctr_product_params p;
  ctr_product_params_default(&p);
  p.lipschitz = 0;
  ctr_product_result pr;
  if (!st) st = ctr_product_run(&p, s, 2, c, &pr, &err);
  if (st) printf("# %s\n", err.msg);
  double tol = st ? 0 : 3 * fmax(g->disc_max, 1e-6);
  printf("# d = 2: product %.7g %.7g, grid %.7g %.7g (disc %.2g)\n", st ? NAN : pr.qN.l1,
         st ? NAN : pr.qN.sq, st ? NAN : g->base.coupling, st ? NAN : g->base.coupling_sq,
         st ? NAN : g->disc_max);
  check_close("two_modes d = 2: product E||f_N - Phi|| = 2-D grid cubature (3 disc_err)",
              st ? NAN : pr.qN.l1, st ? 0 : g->base.coupling, 0, tol);
  check_close("two_modes d = 2: product E||f_N - Phi||^2 = 2-D grid cubature (5e-4)",
              st ? NAN : pr.qN.sq, st ? 0 : g->base.coupling_sq, 5e-4, 0);
  ctr_grid_result_free(g), ctr_mixture_free(mix), ctr_schedule_free(s);
}

int main(void) {
  gsl_set_error_handler_off();
  ctr_schedule_params sp;
  ctr_schedule_params_default(&sp);
  sp.N = 20;
  ctr_schedule *s = NULL;
  ctr_error err;
  if (ctr_schedule_alloc(&sp, &s, &err)) return 1;
  compare("product_bimodal", 2, CTR_MIXTURE_PRODUCT_BIMODAL, 4000, s);
  compare("product_bimodal", 4, CTR_MIXTURE_PRODUCT_BIMODAL, 2000, s);
  compare("product_bimodal", 6, CTR_MIXTURE_PRODUCT_BIMODAL, 1000, s);
  compare("product_bimodal", 8, CTR_MIXTURE_PRODUCT_BIMODAL, 600, s);
  compare("two_modes", 3, CTR_MIXTURE_TWO_MODES, 3000, s);
  ctr_schedule_free(s);
  versus_grid2d();
  return check_summary();
}
