/* test_learned_poly.c: the polynomial class in d = 1 (engines/learned_poly.h, theory.md §13.3).
 *  1. degree 1 on a Gaussian reproduces the affine learned engine (engines/learned.h), which
 *     uses the same random streams: f_N and every eps_t to 1e-9 (the exact minimiser is affine,
 *     so it lies in the class, and two independent implementations must agree).
 *  2. eps_t by quadrature against the loss identity, which needs no posterior: for any g,
 *     E[(f_t(X'_t) - y)^2 - (g(X'_t) - y)^2] = ||f_t - f*_t||^2 - ||g - f*_t||^2 with
 *     y = f_{t-1}(X'_{t-1}), estimated by Monte Carlo over (X_0, Z) (1e6 draws, 4 SE), on a
 *     two-mode mixture with degree 3.
 *  3. degree 3 on a Gaussian at large n: the He_2, He_3 coefficients vanish like n^(-1/2). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>

#include "check.h"
#include "core/rng.h"
#include "engines/learned.h"
#include "engines/learned_poly.h"
#include "wasserstein/gaussian.h"

static ctr_schedule *sched(int64_t N) {
  ctr_schedule_params p;
  ctr_schedule_params_default(&p);
  p.N = N, p.c0 = 1, p.c1 = 2;
  ctr_schedule *s = NULL;
  ctr_error err = {0};
  if (ctr_schedule_alloc(&p, &s, &err)) printf("# schedule: %s\n", err.msg);
  return s;
}

static ctr_mixture *mix(int K, const double *w, const double *mu, const double *var) {
  ctr_mixture_cov cov[4];
  for (int k = 0; k < K; k++) cov[k] = (ctr_mixture_cov){CTR_COV_ISO, var + k};
  ctr_mixture *m = NULL;
  ctr_error err = {0};
  if (ctr_mixture_alloc(K, 1, w, mu, cov, &m, &err)) printf("# mixture: %s\n", err.msg);
  return m;
}

static ctr_lpoly_result *fit(const ctr_schedule *s, const ctr_mixture *m, int p, int64_t n,
                             int64_t stop) {
  ctr_lpoly_params lp;
  ctr_learned_params_default(&lp.base);
  lp.degree = p, lp.base.train_n = n, lp.base.seed = 11, lp.base.stop_t = stop;
  ctr_lpoly_result *r = NULL;
  ctr_error err = {0};
  if (ctr_lpoly_run(&lp, s, m, &r, &err)) printf("# lpoly: %s\n", err.msg);
  return r;
}

static void check_affine(void) {
  const int64_t N = 30, n = 500;
  ctr_schedule *s = sched(N);
  ctr_target_params tp;
  ctr_target_params_default(&tp);
  tp.lambda = 0.5, tp.mean_norm = 0.3;
  ctr_target *tg = NULL;
  ctr_error err = {0};
  if (!s || ctr_target_alloc(&tp, &tg, &err)) {
    check_true("poly: setup", 0, err.msg);
    return;
  }
  double w = 1, mu = tg->mu[0], var = 0.5;
  ctr_mixture *m = mix(1, &w, &mu, &var);
  ctr_learned_params ap;
  ctr_learned_params_default(&ap);
  ap.train_n = n, ap.seed = 11;
  ctr_learned_result *a = NULL;
  ctr_lpoly_result *r = fit(s, m, 1, n, 0);
  if (!m || !r || ctr_learned_run(&ap, s, tg, &a, &err)) {
    check_true("poly: run", 0, err.msg);
    return;
  }
  double worst = 0, weps = 0;
  for (double x = -3; x <= 3; x += 0.5) {
    double fa = s->a[1] * mu + a->A[0] * (x - s->a[N] * mu) + a->beta[0];
    worst = fmax(worst, fabs(ctr_lpoly_eval(&r->f, 1, x) - fa) / fmax(fabs(fa), 1e-3));
  }
  for (int64_t t = 2; t <= N; t++) weps = fmax(weps, fabs(r->eps_t[t] / a->eps_t[t] - 1));
  char msg[120];
  snprintf(msg, sizeof msg, "f_N rel %.3g, eps_t rel %.3g", worst, weps);
  printf("# degree 1 vs affine engine: %s\n", msg);
  check_true("poly degree 1 on a Gaussian = affine learned engine (f_N and every eps_t, 1e-9)",
             worst < 1e-9 && weps < 1e-9, msg);
  snprintf(msg, sizeof msg, "sum eps_F = %.3g vs sum eps = %.3g", r->epsF_sum, r->eps_sum);
  printf("# %s\n", msg);
  check_true("poly degree 1 on a Gaussian: eps_F = 0 (f*_t is affine) to 1e-6 of eps",
             r->epsF_sum < 1e-6 * r->eps_sum, msg);
  ctr_learned_result_free(a), ctr_lpoly_result_free(r), ctr_mixture_free(m);
  ctr_target_free(tg), ctr_schedule_free(s);
}

static void check_identity(void) {
  const int64_t N = 12, t = 6, M = 1000000;
  const int p = 3;
  ctr_schedule *s = sched(N);
  double w[2] = {0.3, 0.7}, mu[2] = {-1, 1}, var[2] = {0.09, 0.04};
  ctr_mixture *m = mix(2, w, mu, var);
  ctr_lpoly_result *prev = fit(s, m, p, 200, t - 1), *cur = fit(s, m, p, 200, t);
  if (!s || !m || !prev || !cur) {
    check_true("poly identity: setup", 0, "");
    return;
  }
  ctr_lpoly_fn g = cur->f;
  g.coef[0] += 0.02, g.coef[2] += 0.05, g.coef[3] -= 0.03;
  ctr_rng r;
  ctr_rng_init(&r, 3, CTR_RNG_TEST, 77, 1);
  double sum = 0, sum2 = 0;
  for (int64_t j = 0; j < M; j++) {
    double u = ctr_rng_uniform(&r), gz[2];
    ctr_rng_normals(&r, 2, gz);
    int k = u < w[0] ? 0 : 1;
    double x0 = mu[k] + sqrt(var[k]) * gz[0];
    double x = s->a[t] * x0 + s->s[t] * gz[1], xp = s->a[t - 1] * x0 + s->s[t - 1] * gz[1];
    double y = ctr_lpoly_eval(&prev->f, p, xp), e1 = ctr_lpoly_eval(&cur->f, p, x) - y,
           e2 = ctr_lpoly_eval(&g, p, x) - y, D = e1 * e1 - e2 * e2;
    sum += D, sum2 += D * D;
  }
  double mean = sum / M, se = sqrt((sum2 / M - mean * mean) / M);
  double want = cur->eps_t[t] * cur->eps_t[t] - ctr_lpoly_err2(s, m, t, p, &g, &prev->f);
  char msg[160];
  snprintf(msg, sizeof msg, "quadrature %.6g, MC %.6g +- %.2g (eps_t^2 = %.4g)", want, mean, se,
           cur->eps_t[t] * cur->eps_t[t]);
  printf("# %s\n", msg);
  check_true("poly degree 3, two modes: eps_t^2 - ||g - f*||^2 = MC loss difference within 4 SE",
             fabs(want - mean) < 4 * se && se < 0.05 * fabs(mean), msg);
  double f2 = ctr_lpoly_class_err2(s, m, t, p, &prev->f), e2 = cur->eps_t[t] * cur->eps_t[t];
  snprintf(msg, sizeof msg, "eps_F,t^2 = %.4g, eps_t^2 = %.4g, sum eps_F = %.4g", f2,
           e2, cur->epsF_sum);
  printf("# %s\n", msg);
  check_true("poly two modes: 0 < eps_F,t <= eps_t (the projection is the best in class)",
             f2 > 0 && f2 <= e2, msg);
  ctr_lpoly_result_free(prev), ctr_lpoly_result_free(cur), ctr_mixture_free(m);
  ctr_schedule_free(s);
}

static void check_in_class(void) {
  ctr_schedule *s = sched(10);
  double w = 1, mu = 0.2, var = 0.7;
  ctr_mixture *m = mix(1, &w, &mu, &var);
  double hi[2];
  const int64_t ns[2] = {2000, 200000};
  for (int i = 0; i < 2; i++) {
    ctr_lpoly_result *r = fit(s, m, 3, ns[i], 0);
    hi[i] = r ? hypot(r->f.coef[2], r->f.coef[3]) / fabs(r->f.coef[1]) : NAN;
    ctr_lpoly_result_free(r);
  }
  char msg[120];
  snprintf(msg, sizeof msg, "|He_2, He_3| / |He_1| = %.3g at n = 2e3, %.3g at n = 2e5", hi[0], hi[1]);
  printf("# %s\n", msg);
  check_true("poly degree 3 on a Gaussian: nonlinear coefficients vanish (< 0.01 at n = 2e5, "
             "falling ~10x from n = 2e3)", hi[1] < 0.01 && hi[1] < hi[0] / 4, msg);
  ctr_mixture_free(m), ctr_schedule_free(s);
}

/* the quantile-rule W1 of an affine f_N (degree 2 with He_2 coefficient 0) on a Gaussian
 * against the exact 1-D Gaussian W1 (wasserstein/gaussian.h) */
static void check_w1_rule(void) {
  ctr_schedule *s = sched(20);
  double w = 1, mu = 0.4, var = 0.6;
  ctr_mixture *m = mix(1, &w, &mu, &var);
  ctr_lpoly_result r = {0};
  r.p = 2, r.f.m = 0.1, r.f.sd = 1.3, r.f.coef[0] = 0.35, r.f.coef[1] = 0.7;
  double w1 = NAN, disc = NAN;
  ctr_error err = {0};
  if (!s || !m || ctr_lpoly_w1_normal(s, m, &r, 20000, &w1, &disc, &err)) {
    check_true("poly W1 rule: setup", 0, err.msg);
    return;
  }
  /* f(z) = 0.35 + 0.7 (z - 0.1)/1.3 ~ N(0.35 - 0.07/1.3, (0.7/1.3)^2) */
  double want = ctr_w1_gauss_1d(0.35 - 0.07 / 1.3, 0.7 / 1.3, s->a[1] * mu,
                                sqrt(s->a[1] * s->a[1] * var + s->s[1] * s->s[1]));
  char msg[120];
  snprintf(msg, sizeof msg, "rule %.10g, exact %.10g, disc_err %.2g", w1, want, disc);
  printf("# %s\n", msg);
  check_true("poly W1 quantile rule = exact Gaussian W1 within 3 disc_err + 1e-6",
             fabs(w1 - want) <= 3 * disc + 1e-6, msg);
  ctr_mixture_free(m), ctr_schedule_free(s);
}

int main(void) {
  gsl_set_error_handler_off();
  check_w1_rule();
  check_affine();
  check_identity();
  check_in_class();
  return check_summary();
}
