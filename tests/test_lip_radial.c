/* test_lip_radial.c: the exact L of rotation-invariant targets (targets/lip_radial.h, theory.md
 * §9.15) against independent computations:
 *  - d = 1: the 1-D exact L of targets/lip_exact.h (the same transport identity on the line,
 *    computed with normal CDFs instead of chi-square ones), for three scale mixtures;
 *  - N(0, v I) in d = 1, 4, 1000: the flow map is linear, L = max(1, max over the level pairs of
 *    ((a_k^2 v + s_k^2) / (a_t^2 v + s_t^2))^(1/2)), for v below and above 1;
 *  - d = 2, 3: the Jacobian norm of Phi_{N->1} integrated by the variational flow ODE
 *    (targets/flow_map.h) at the exact maximiser x* e_1 equals the exact sup, and the
 *    multi-start lower bound of targets/lip_lower.h is <= it;
 *  - the transport against the 1-D mixture transport at d = 1 and against F_N(r) = F_1(h(r)).
 * Fast suite. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#include "check.h"
#include "core/rng.h"
#include "targets/lip_exact.h"
#include "targets/lip_lower.h"
#include "targets/lip_radial.h"

static ctr_schedule *paper(int64_t N) {
  ctr_schedule_params p;
  ctr_schedule_params_default(&p);
  p.N = N;
  ctr_schedule *s = NULL;
  ctr_error err;
  ctr_schedule_alloc(&p, &s, &err);
  return s;
}

static ctr_mixture *scale_mix(int K, int d, const double *w, const double *v) {
  double *mu = calloc((size_t)K * (size_t)d, sizeof(double));
  ctr_mixture_cov cov[8];
  for (int k = 0; k < K; k++) cov[k].kind = CTR_COV_ISO, cov[k].v = v + k;
  ctr_mixture *m = NULL;
  ctr_error err;
  if (ctr_mixture_alloc(K, d, w, mu, cov, &m, &err)) printf("# mixture: %s\n", err.msg);
  free(mu);
  return m;
}

static void test_d1(int K, const double *w, const double *v, int64_t N) {
  ctr_schedule *s = paper(N);
  ctr_mixture *m = scale_mix(K, 1, w, v);
  ctr_lip_exact a, b;
  ctr_error err;
  ctr_status st = ctr_lip_radial_compute(K, w, v, 1, s, &a, &err);
  if (!st) st = ctr_lip_exact_compute(m, s, &b, &err);
  char name[200];
  snprintf(name, sizeof name, "d = 1, K = %d, v_0 = %g, N = %lld: radial ln L = 1-D exact ln L "
           "(%.6g)", K, v[0], (long long)N, b.log_L);
  if (st) printf("# %s\n", err.msg);
  check_close(name, st ? NAN : a.log_L, b.log_L, 1e-9, 1e-12);
  snprintf(name, sizeof name, "... and the N -> 1 pair alone (%.6g)", b.L_N1);
  check_rel(name, a.L_N1, b.L_N1, 1e-9);
  ctr_mixture_free(m), ctr_schedule_free(s);
}

static void test_gauss(double v, int64_t d, int64_t N) {
  ctr_schedule *s = paper(N);
  ctr_lip_exact a;
  ctr_error err;
  double w = 1;
  ctr_status st = ctr_lip_radial_compute(1, &w, &v, d, s, &a, &err);
  int64_t lv[10];
  int nl = ctr_lip_level_set(N, lv);
  double want = 0;
  for (int i = 0; i < nl; i++)
    for (int j = 0; j < i; j++) {
      double St = s->a[lv[i]] * s->a[lv[i]] * v + s->s[lv[i]] * s->s[lv[i]];
      double Sk = s->a[lv[j]] * s->a[lv[j]] * v + s->s[lv[j]] * s->s[lv[j]];
      want = fmax(want, 0.5 * log(Sk / St));
    }
  char name[160];
  snprintf(name, sizeof name, "N(0, %g I), d = %lld, N = %lld: ln L = closed form %.10g", v,
           (long long)d, (long long)N, want);
  if (st) printf("# %s\n", err.msg);
  check_close(name, st ? NAN : a.log_L, want, 1e-10, 1e-12);
  ctr_schedule_free(s);
}

/* The ODE Jacobian at the preimage of y* e_1 (integrated upward from level 1, lip_lower's
 * adjoint) against the transport identity's sup; the lower bound over q_N samples below it. */
static void test_ode(int d, const double *w, const double *v, int64_t N, double rel) {
  int K = 2;
  ctr_schedule *s = paper(N);
  ctr_mixture *m = scale_mix(K, d, w, v);
  ctr_error err;
  double lw[2] = {log(w[0]), log(w[1])}, ls = NAN, r_at = NAN, y_at = NAN, lode = NAN;
  ctr_radial_mix rm = {K, lw, v, d};
  ctr_flow_span sp;
  ctr_flow_span_steps(s, N, 1, &sp, &err);
  ctr_status st = ctr_lip_radial_map(&rm, &sp, &ls, &r_at, &y_at, &err);
  /* the full Jacobian by the variational ODE at x* = r_at e_1 (lip_lower's fallback for
   * different widths takes the same path); its y also checks the transport */
  double x[3] = {0, 0, 0}, yode = NAN;
  x[0] = r_at;
  ctr_denoiser den = ctr_mixture_denoiser(m);
  ctr_flow_tol tol;
  ctr_flow_tol_default(&tol);
  ctr_flow_jac *jac = NULL;
  if (!st) st = ctr_flow_jac_alloc(d, &jac, &err);
  if (!st) st = ctr_flow_jacobian(&den, &sp, &tol, x, 0, jac, &err);
  if (!st) lode = log(jac->opnorm), yode = jac->y[0];
  ctr_flow_jac_free(jac);
  char name[200];
  snprintf(name, sizeof name, "d = %d, v = %g/%g, N = %lld: ||J|| by the flow ODE at x* = %.6g e_1 "
           "equals the exact sup %.8g", d, v[0], v[1], (long long)N, r_at, exp(ls));
  if (st) printf("# %s\n", err.msg);
  check_close(name, st ? NAN : lode, ls, rel, 1e-9);
  check_close("... and the ODE's Phi(x*) = h(r*) e_1", yode, y_at, rel, 1e-9);
  /* lower bound from 32 samples of q_N and the mode-midpoint preimages */
  double xs[32 * 3];
  ctr_rng r;
  ctr_rng_init(&r, 11, CTR_RNG_TEST, d, 5);
  ctr_mixture_sample_noised(m, s->a[N], s->s[N], &r, 32, xs, &err);
  ctr_lip_lower lo;
  st = ctr_lip_lower_compute(m, s, 32, xs, &lo, &err);
  snprintf(name, sizeof name, "... multi-start lower bound %.8g <= exact %.8g", lo.norm, exp(ls));
  check_true(name, !st && lo.log_norm <= ls + 1e-6, st ? err.msg : "");
  printf("# d = %d: lower / exact = %.4g\n", d, exp(lo.log_norm - ls));
  ctr_mixture_free(m), ctr_schedule_free(s);
}

/* Transport: d = 1 against the 1-D mixture transport; d = 50: F_N(r) = F_1(h(r)) with GSL. */
static void test_transport(void) {
  ctr_schedule *s = paper(200);
  ctr_error err;
  double w[2] = {0.3, 0.7}, v[2] = {0.04, 1.5}, lw[2] = {log(0.3), log(0.7)}, mu[2] = {0, 0};
  ctr_flow_span sp;
  ctr_flow_span_steps(s, 200, 1, &sp, &err);
  ctr_mix1d m1 = {2, lw, mu, v};
  double worst = 0;
  for (int i = 1; i <= 20; i++) {
    double r = 0.2 * i, y = NAN, y1 = NAN;
    ctr_radial_mix rm = {2, lw, v, 1};
    ctr_lip_radial_transport(&rm, &sp, r, &y, &err);
    ctr_lip1d_transport(&m1, &sp, r, &y1, &err);
    worst = fmax(worst, fabs(y - y1) / y1);
  }
  check_worst("d = 1: radial transport = 1-D mixture transport at r = 0.2..4", worst, 1e-12, "");
  /* both tails of the input's radius (the lower one once returned NaN at d = 1e4: a log tail
   * of -inf at the origin as Brent's bracket end) */
  for (int d = 50; d <= 10000; d *= 200) {
    worst = 0;
    for (int i = 0; i <= 20; i++) {
      double r = sqrt((double)d) * (0.9 + 0.01 * i), y = NAN, FN = 0, F1 = 0;
      ctr_radial_mix rm = {2, lw, v, d};
      ctr_lip_radial_transport(&rm, &sp, r, &y, &err);
      for (int k = 0; k < 2; k++) {
        double SN = sp.a_from * sp.a_from * v[k] + sp.s_from * sp.s_from;
        double S1 = sp.a_to * sp.a_to * v[k] + sp.s_to * sp.s_to;
        FN += w[k] * gsl_cdf_chisq_P(r * r / SN, d);
        F1 += w[k] * gsl_cdf_chisq_P(y * y / S1, d);
      }
      worst = fmax(worst, isfinite(y) ? fabs(FN - F1) / fmin(FN, 1 - FN) : INFINITY);
    }
    char name[120];
    snprintf(name, sizeof name, "d = %d: F_N(r) = F_1(h(r)) (GSL chi-square CDFs), r = (0.9..1.1) "
             "d^(1/2)", d);
    check_worst(name, worst, 1e-12, "");
  }
  ctr_schedule_free(s);
}

static void test_refusals(void) {
  ctr_schedule *s = paper(50);
  ctr_lip_exact a;
  ctr_error err;
  double w = 1, v = -1;
  check_true("negative variance refused (CTR_EINPUT)",
             ctr_lip_radial_compute(1, &w, &v, 3, s, &a, &err) == CTR_EINPUT, "");
  ctr_schedule_free(s);
}

int main(void) {
  gsl_set_error_handler_off();
  double w2[2] = {0.5, 0.5}, v2[2] = {0.25, 1}, w3[3] = {0.2, 0.5, 0.3}, v3[3] = {0.01, 0.2, 2};
  double v2b[2] = {0.01, 1};
  test_d1(2, w2, v2, 100);
  test_d1(2, w2, v2b, 1000);
  test_d1(3, w3, v3, 300);
  test_gauss(0.37, 1, 100), test_gauss(0.37, 4, 100), test_gauss(0.37, 1000, 1000);
  test_gauss(4, 3, 200), test_gauss(4, 1000, 100);
  test_ode(2, w2, v2, 100, 1e-7);
  test_ode(3, w2, v2, 100, 1e-7);
  test_ode(2, w2, v2b, 100, 1e-6);
  test_transport();
  test_refusals();
  return check_summary();
}
