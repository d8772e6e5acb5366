/* test_mismatch.c: the input-mismatch bound (targets/input_mismatch.h) against numerical
 * quadrature of int phi^2 / q_k in d = 1 (GSL qagi) and d = 2 (trapezoid, spectrally accurate
 * for these Gaussian integrands), the divergent case, tiny abar (series), the mixture chi-square
 * by quadrature below the bound, and the data scale. */
#include <math.h>
#include <stdio.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>

#include "check.h"
#include "targets/input_mismatch.h"

typedef struct {
  const ctr_mixture *m;
  double a, s;
  int k; /* component, or -1 for the whole mixture */
} integ;

/* phi(z)^2 / q(z), q a component or the mixture, by direct densities. */
static double ratio(const integ *c, const double *z) {
  double work[64], logq;
  ctr_error err;
  const ctr_mixture *m = c->m;
  double phi2 = 0;
  for (int i = 0; i < m->d; i++) phi2 += -z[i] * z[i] - log(2 * M_PI);
  if (c->k < 0) {
    ctr_mixture_log_density(m, c->a, c->s, z, &logq, work, &err);
    return exp(phi2 - logq);
  }
  double w = 1, Sig[4];
  ctr_mixture_component_cov(m, c->k, Sig);
  ctr_mixture_cov cov = {CTR_COV_FULL, Sig};
  ctr_mixture *one = NULL;
  ctr_mixture_alloc(1, m->d, &w, m->mu + (size_t)c->k * m->d, &cov, &one, &err);
  ctr_mixture_log_density(one, c->a, c->s, z, &logq, work, &err);
  ctr_mixture_free(one);
  return exp(phi2 - logq);
}

static double f1(double z, void *p) { return ratio(p, &z); }

static double quad1(integ *c) {
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
  gsl_function F = {f1, c};
  double r, e;
  gsl_integration_qagi(&F, 0, 1e-13, 1000, w, &r, &e);
  gsl_integration_workspace_free(w);
  return r;
}

static double quad2(integ *c) {
  double h = 0.05, acc = 0, z[2];
  for (int i = -300; i <= 300; i++)
    for (int j = -300; j <= 300; j++) z[0] = i * h, z[1] = j * h, acc += ratio(c, z);
  return acc * h * h;
}

static void test_components(void) {
  ctr_error err;
  ctr_mixture *m = NULL;
  double w[2] = {0.3, 0.7}, mu[2] = {1.3, -0.4}, v[2] = {0.5, 2.0}, work[2];
  ctr_mixture_cov cov[2] = {{CTR_COV_ISO, v}, {CTR_COV_ISO, v + 1}};
  ctr_mixture_alloc(2, 1, w, mu, cov, &m, &err);
  for (int k = 0; k < 2; k++)
    for (double a = 0.2; a < 0.95; a += 0.35) {
      integ c = {m, a, sqrt(1 - a * a), k};
      char name[96];
      snprintf(name, sizeof name, "d = 1: int phi^2/q_k closed form = qagi (k %d, a %.2f)", k, a);
      check_rel(name, exp(ctr_chi2_log_term(m, k, a, work)), quad1(&c), 1e-9);
    }
  /* the mixture's own chi-square is below the convexity bound */
  double a = 0.5, chi = 0;
  for (int k = 0; k < 2; k++) chi += w[k] * expm1(ctr_chi2_log_term(m, k, a, work));
  integ c = {m, a, sqrt(1 - a * a), -1};
  double exact = quad1(&c) - 1;
  check_true("d = 1: chi2(phi || q) by quadrature <= sum_k pi_k int phi^2/q_k - 1",
             exact <= chi && exact > 0, "");
  printf("# chi2 exact %.6g, bound %.6g\n", exact, chi);
  /* divergence: v = a^2 l + s^2 <= 1/2 */
  double vs = 0.01;
  ctr_mixture_cov cs = {CTR_COV_ISO, &vs};
  ctr_mixture *n = NULL;
  double one = 1, zero = 0;
  ctr_mixture_alloc(1, 1, &one, &zero, &cs, &n, &err);
  check_true("d = 1: divergent when v <= 1/2", isinf(ctr_chi2_log_term(n, 0, sqrt(0.9), work)),
             "");
  /* tiny abar: T = delta^2/2 + m^2 + O(delta^3), no cancellation */
  double at = 1e-10, delta = at * at * (v[0] - 1), mt = at * mu[0];
  check_rel("tiny a: T = delta^2/2 + m^2 (series)", ctr_chi2_log_term(m, 0, at, work),
            delta * delta / 2 + mt * mt / (1 + 2 * delta), 1e-10);
  ctr_mixture_free(n), ctr_mixture_free(m);
}

static void test_full_2d(void) {
  ctr_error err;
  ctr_mixture *m = NULL;
  double w = 1, mu[2] = {0.5, -1.0}, S[4] = {0.7, 0.3, 0.3, 0.4}, work[2];
  ctr_mixture_cov cov = {CTR_COV_FULL, S};
  ctr_mixture_alloc(1, 2, &w, mu, &cov, &m, &err);
  for (double a = 0.3; a < 0.65; a += 0.3) { /* v_r > 1/2 up to a ~ 0.79 */
    integ c = {m, a, sqrt(1 - a * a), 0};
    char name[96];
    snprintf(name, sizeof name, "d = 2 full covariance: closed form = trapezoid (a %.2f)", a);
    check_rel(name, exp(ctr_chi2_log_term(m, 0, a, work)), quad2(&c), 1e-8);
  }
  ctr_mixture_free(m);
}

static void test_scale(void) {
  ctr_error err;
  ctr_mixture *m = NULL;
  double w[2] = {0.5, 0.5}, mu[6] = {1, 0, 0, -1, 0, 0}, v = 0.01;
  ctr_mixture_cov cov[2] = {{CTR_COV_ISO, &v}, {CTR_COV_ISO, &v}};
  ctr_mixture_alloc(2, 3, w, mu, cov, &m, &err);
  check_rel("data scale of two modes at +-e_1, sigma 0.1, d = 3", ctr_mixture_data_scale(m),
            sqrt(1 + 3 * 0.01), 1e-14);
  ctr_input_mismatch r;
  ctr_input_mismatch_compute(m, 0.01, 0.999, sqrt(1 - 0.999 * 0.999), &r, &err);
  check_rel("spread of X_1 = (a_1^2 tr Cov + d s_1^2)^(1/2)", r.spread,
            sqrt(0.999 * 0.999 * 1.03 + 3 * (1 - 0.999 * 0.999)), 1e-13);
  ctr_mixture_free(m);
}

int main(void) {
  gsl_set_error_handler_off();
  test_components();
  test_full_2d();
  test_scale();
  return check_summary();
}
