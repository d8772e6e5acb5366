/* test_radial_chain: the radial engine (engines/radial.h, theory.md §9.12) against the
 * backward-chain engine (engines/chain.h, an independent Monte Carlo of ideal CT on the full
 * d-dimensional mixture) on the scale mixture 0.5 N(0, 0.25 I) + 0.5 N(0, I) in d = 2, 4, 8,
 * 16, 32 at N = 100. Compared: E||f_N(X) - Phi(X)||^2, X ~ q_N, the chain's unbiased
 * U-statistic, which for this target equals the radial engine's W2(f_N(q_N), X_1)^2 (both maps
 * radial, Phi's radius map the monotone transport), within 3 standard errors. Also a point mass
 * at the origin beside N(0, I) (0.3 / 0.7, d = 4, N = 50), the sigma_k = 0 branch. Reference
 * suite. */
#include <math.h>
#include <stdio.h>

#include <gsl/gsl_errno.h>

#include "check.h"
#include "engines/chain.h"
#include "engines/radial.h"
#include "targets/mixture.h"

int main(void) {
  gsl_set_error_handler_off();
  const int ds[] = {2, 4, 8, 16, 32};
  ctr_schedule_params sp;
  ctr_schedule_params_default(&sp);
  sp.N = 100;
  ctr_schedule *s = NULL;
  ctr_error err;
  if (ctr_schedule_alloc(&sp, &s, &err)) return 1;
  for (int i = 0; i < 5; i++) {
    int d = ds[i];
    ctr_mixture_params mp;
    ctr_mixture_params_default(&mp);
    mp.kind = CTR_MIXTURE_SCALE, mp.d = d, mp.K = 2, mp.sigma = 0.5;
    ctr_mixture *mix = NULL;
    ctr_chain_params cp = {8000, 4, 11, {0}, 0, 0};
    cp.error.kind = CTR_ERR_NONE;
    ctr_chain_result cr;
    ctr_status st = ctr_mixture_from_params(&mp, &mix, &err);
    if (!st) st = ctr_chain_run(&cp, s, mix, &cr, &err);
    double w[2] = {0.5, 0.5}, v[2] = {0.25, 1};
    ctr_radial_params p;
    ctr_radial_params_default(&p);
    ctr_radial_result *r = NULL;
    if (!st) st = ctr_radial_run(&p, s, 2, w, v, d, &r, &err);
    if (st) printf("# %s\n", err.msg);
    double sq = st ? NAN : r->qN.w2 * r->qN.w2, z = (cr.sq - sq) / cr.sq_se;
    printf("# d = %d: chain %.6g +- %.2g, radial %.8g (disc %.2g, W1 %.6g; z = %.2f)\n", d, cr.sq,
           cr.sq_se, sq, st ? NAN : r->disc_max, st ? NAN : r->qN.w1, z);
    char name[96];
    snprintf(name, sizeof name, "scale mixture d = %d: radial W2^2 within 3 chain SE", d);
    check_close(name, z, 0, 0, 3);
    ctr_radial_result_free(r), ctr_mixture_free(mix);
  }
  ctr_schedule_free(s);
  /* 0.3 delta_0 + 0.7 N(0, I_4), N = 50 */
  sp.N = 50;
  if (ctr_schedule_alloc(&sp, &s, &err)) return 1;
  double w[2] = {0.3, 0.7}, v[2] = {0, 1}, mu[8] = {0};
  ctr_mixture_cov cov[2] = {{CTR_COV_ISO, v}, {CTR_COV_ISO, v + 1}};
  ctr_mixture *mix = NULL;
  ctr_chain_params cp = {8000, 4, 13, {0}, 0, 0};
  cp.error.kind = CTR_ERR_NONE;
  ctr_chain_result cr;
  ctr_radial_params p;
  ctr_radial_params_default(&p);
  ctr_radial_result *r = NULL;
  ctr_status st = ctr_mixture_alloc(2, 4, w, mu, cov, &mix, &err);
  if (!st) st = ctr_chain_run(&cp, s, mix, &cr, &err);
  if (!st) st = ctr_radial_run(&p, s, 2, w, v, 4, &r, &err);
  if (st) printf("# %s\n", err.msg);
  double sq = st ? NAN : r->qN.w2 * r->qN.w2, z = (cr.sq - sq) / cr.sq_se;
  printf("# point mass + N(0, I), d = 4: chain %.6g +- %.2g, radial %.8g (disc %.2g; z = %.2f)\n",
         cr.sq, cr.sq_se, sq, st ? NAN : r->disc_max, z);
  check_close("point mass + N(0, I) d = 4: radial W2^2 within 3 chain SE", z, 0, 0, 3);
  ctr_radial_result_free(r), ctr_mixture_free(mix), ctr_schedule_free(s);
  return check_summary();
}
