/* test_learned.c: engine learned (engines/learned.h, theory.md §13.2).
 *  1. n -> infinity: f_N approaches the ideal affine engine's f_N (engines/affine.h, diag path);
 *     the RMS discrepancy over seeds falls like n^(-1/2) (log-log slope fitted at 5 sizes).
 *  2. eps_t against an independent Monte Carlo evaluation of ||f_t - f*_t||_{L2(q_t)} with
 *     f*_t(x) = f_{t-1}((s_{t-1}/s_t) x + c_t E[X_0 | X_t = x]) (the posterior route of §2.2,
 *     not the regression slope m_t the engine uses), within 4 standard errors.
 *  3. ridge r: A_N -> prod_t m_t v_t / (v_t + r) per eigen-direction at large n.
 *  4. determinism (same seed: bit-identical), fixed vs fresh data differ, refusals. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "check.h"
#include "core/rng.h"
#include "core/schedule.h"
#include "engines/affine.h"
#include "engines/learned.h"
#include "targets/gaussian.h"

static ctr_schedule *sched(int64_t N) {
  ctr_schedule_params p;
  ctr_schedule_params_default(&p);
  p.N = N, p.c0 = 1, p.c1 = 2;
  ctr_schedule *s = NULL;
  ctr_error err = {0};
  if (ctr_schedule_alloc(&p, &s, &err)) printf("# schedule: %s\n", err.msg);
  return s;
}

static ctr_target *target(int d, double mean_norm) {
  ctr_target_params p;
  ctr_target_params_default(&p);
  p.kind = CTR_TARGET_GEOMETRIC, p.d = d, p.lambda_min = 0.1, p.lambda_max = 2;
  p.mean_norm = mean_norm;
  ctr_target *t = NULL;
  ctr_error err = {0};
  if (ctr_target_alloc(&p, &t, &err)) printf("# target: %s\n", err.msg);
  return t;
}

static ctr_learned_result *learn(const ctr_schedule *s, const ctr_target *tg, int64_t n,
                                 uint64_t seed, double ridge, ctr_learned_mode mode, int64_t stop) {
  ctr_learned_params p;
  ctr_learned_params_default(&p);
  p.train_n = n, p.seed = seed, p.ridge = ridge, p.mode = mode, p.stop_t = stop;
  ctr_learned_result *r = NULL;
  ctr_error err = {0};
  if (ctr_learned_run(&p, s, tg, &r, &err)) printf("# learned: %s\n", err.msg);
  return r;
}

/* ||A - A_ideal||_F^2 + ||beta||^2 (the ideal beta is 0: the mean is carried exactly) */
static double discrepancy2(const ctr_learned_result *r, const ctr_affine_result *ideal,
                           const ctr_target *tg) {
  int d = r->d;
  double acc = 0;
  for (int i = 0; i < d; i++) {
    int g = tg->group[i];
    for (int j = 0; j < d; j++) {
      double want = i == j ? ideal->G[g] + ideal->delta[g] : 0.0, e = r->A[i * d + j] - want;
      acc += e * e;
    }
    acc += r->beta[i] * r->beta[i];
  }
  return acc;
}

static void check_limit(void) {
  const int d = 3, R = 8;
  const int64_t N = 20, ns[] = {250, 1000, 4000, 16000, 64000};
  ctr_schedule *s = sched(N);
  ctr_target *tg = target(d, 0.7);
  ctr_affine_params ap;
  ctr_affine_params_default(&ap);
  ctr_affine_result *ideal = NULL;
  ctr_error err = {0};
  if (!s || !tg || ctr_affine_run(&ap, s, tg, &ideal, &err)) {
    check_true("learned limit: setup", 0, err.msg);
    return;
  }
  double x[5], y[5], sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (int k = 0; k < 5; k++) {
    double acc = 0;
    for (int r = 0; r < R; r++) {
      ctr_learned_result *lr = learn(s, tg, ns[k], 100 + (uint64_t)r, 0, CTR_LEARNED_FRESH, 0);
      acc += lr ? discrepancy2(lr, ideal, tg) : NAN;
      ctr_learned_result_free(lr);
    }
    x[k] = log((double)ns[k]), y[k] = 0.5 * log(acc / R);
    printf("# d=3 N=20 n=%lld: RMS ||f_N - f_N ideal|| = %.4g (x sqrt(n) = %.3f)\n",
           (long long)ns[k], exp(y[k]), exp(y[k]) * sqrt((double)ns[k]));
    sx += x[k], sy += y[k], sxx += x[k] * x[k], sxy += x[k] * y[k];
  }
  double slope = (5 * sxy - sx * sy) / (5 * sxx - sx * sx);
  char msg[80];
  snprintf(msg, sizeof msg, "slope %.3f", slope);
  printf("# fitted slope %.3f\n", slope);
  check_true("learned -> ideal affine engine: log-log slope of the discrepancy vs n in "
             "[-0.62, -0.38]", slope > -0.62 && slope < -0.38, msg);
  snprintf(msg, sizeof msg, "%.3g", exp(y[4]));
  check_true("learned at n = 64000 within 0.05 of the ideal f_N", exp(y[4]) < 0.05, msg);
  ctr_affine_result_free(ideal), ctr_target_free(tg), ctr_schedule_free(s);
}

/* f_t(x) = a_1 mu + A (x - a_t mu) + beta, eigen-coordinates */
static void apply(const ctr_learned_result *r, const ctr_schedule *s, const ctr_target *tg,
                  int64_t t, const double *x, double *out) {
  int d = r->d;
  for (int i = 0; i < d; i++) {
    double acc = s->a[1] * tg->mu_eig[i] + r->beta[i];
    for (int j = 0; j < d; j++) acc += r->A[i * d + j] * (x[j] - s->a[t] * tg->mu_eig[j]);
    out[i] = acc;
  }
}

static void check_eps_mc(int64_t n, ctr_learned_mode mode) {
  const int d = 2;
  const int64_t N = 12, t = 7, M = 400000;
  ctr_schedule *s = sched(N);
  ctr_target *tg = target(d, 0.8);
  ctr_learned_result *prev = learn(s, tg, n, 7, 0.01, mode, t - 1);
  ctr_learned_result *cur = learn(s, tg, n, 7, 0.01, mode, t);
  if (!s || !tg || !prev || !cur) {
    check_true("learned eps_t: setup", 0, "");
    return;
  }
  ctr_rng rng;
  ctr_rng_init(&rng, 5, CTR_RNG_TEST, (uint64_t)n, 1);
  double ct = ctr_schedule_c(s, t), ratio = s->s[t - 1] / s->s[t], sum = 0, sum2 = 0;
  for (int64_t k = 0; k < M; k++) {
    double g[2 * 2], x[2], y[2], ft[2], fs[2];
    ctr_rng_normals(&rng, 4, g);
    for (int i = 0; i < d; i++) { /* x ~ q_t; the posterior mean of X_0 given X_t = x */
      double lam = tg->lambda[i], mu = tg->mu_eig[i], v = s->a[t] * s->a[t] * lam + s->s[t] * s->s[t];
      x[i] = s->a[t] * mu + sqrt(lam) * s->a[t] * g[i] + s->s[t] * g[2 + i];
      double post = mu + s->a[t] * lam / v * (x[i] - s->a[t] * mu);
      y[i] = ratio * x[i] + ct * post;
    }
    apply(cur, s, tg, t, x, ft), apply(prev, s, tg, t - 1, y, fs);
    double e2 = 0;
    for (int i = 0; i < d; i++) e2 += (ft[i] - fs[i]) * (ft[i] - fs[i]);
    sum += e2, sum2 += e2 * e2;
  }
  double mean = sum / (double)M, se = sqrt((sum2 / (double)M - mean * mean) / (double)M);
  double want = cur->eps_t[t] * cur->eps_t[t];
  char name[160], msg[160];
  snprintf(name, sizeof name, "learned %s n=%lld: eps_7^2 = Monte Carlo E||f_7 - f*_7||^2 "
           "within 4 SE", ctr_learned_mode_name(mode), (long long)n);
  snprintf(msg, sizeof msg, "engine %.6g, MC %.6g +- %.2g", want, mean, se);
  printf("# %s\n", msg);
  check_true(name, fabs(want - mean) <= 4 * se && se < 0.05 * mean, msg);
  ctr_learned_result_free(prev), ctr_learned_result_free(cur);
  ctr_target_free(tg), ctr_schedule_free(s);
}

static void check_ridge(void) {
  const int d = 2;
  const int64_t N = 10, n = 200000;
  const double r = 0.05;
  ctr_schedule *s = sched(N);
  ctr_target *tg = target(d, 0);
  ctr_learned_result *lr = learn(s, tg, n, 3, r, CTR_LEARNED_FRESH, 0);
  if (!lr) return;
  double worst = 0, shrink = 1;
  for (int i = 0; i < d; i++) {
    double lam = tg->lambda[i], want = 1;
    for (int64_t t = 2; t <= N; t++) {
      double v = s->a[t] * s->a[t] * lam + s->s[t] * s->s[t];
      want *= (s->a[t] * s->a[t - 1] * lam + s->s[t] * s->s[t - 1]) / (v + r);
      shrink *= v / (v + r);
    }
    worst = fmax(worst, fabs(lr->A[i * d + i] / want - 1));
    worst = fmax(worst, fabs(lr->A[i * d + 1 - i]) / want);
  }
  char msg[120];
  snprintf(msg, sizeof msg, "worst relative deviation %.3g (total shrinkage %.3g)", worst, shrink);
  printf("# ridge %g: %s\n", r, msg);
  check_true("learned ridge 0.05, n = 2e5: A_N = prod m_t v_t/(v_t + r) within 2%", worst < 0.02,
             msg);
  ctr_learned_result_free(lr), ctr_target_free(tg), ctr_schedule_free(s);
}

static void check_determinism(void) {
  ctr_schedule *s = sched(10);
  ctr_target *tg = target(3, 0.5);
  ctr_learned_result *a = learn(s, tg, 500, 9, 0, CTR_LEARNED_FRESH, 0);
  ctr_learned_result *b = learn(s, tg, 500, 9, 0, CTR_LEARNED_FRESH, 0);
  ctr_learned_result *c = learn(s, tg, 500, 9, 0, CTR_LEARNED_FIXED, 0);
  if (a && b && c) {
    check_true("learned: same seed, bit-identical A, beta, eps",
               !memcmp(a->A, b->A, 9 * sizeof(double)) && !memcmp(a->beta, b->beta, 3 * sizeof(double)) &&
                   a->eps_sum == b->eps_sum && a->w2_normal == b->w2_normal, "");
    check_true("learned: fixed data differs from fresh", a->A[0] != c->A[0], "");
  }
  ctr_learned_params p;
  ctr_learned_params_default(&p);
  p.train_n = 4;
  ctr_error err = {0};
  check_true("learned refuses train_n = 4 at d = 3", ctr_learned_check(&p, 3, &err) == CTR_EINPUT,
             err.msg);
  p.train_n = 100, p.ridge = -1;
  check_true("learned refuses ridge = -1", ctr_learned_check(&p, 3, &err) == CTR_EINPUT, err.msg);
  ctr_learned_result_free(a), ctr_learned_result_free(b), ctr_learned_result_free(c);
  ctr_target_free(tg), ctr_schedule_free(s);
}

int main(void) {
  gsl_set_error_handler_off();
  check_limit();
  check_eps_mc(40, CTR_LEARNED_FRESH);
  check_eps_mc(400, CTR_LEARNED_FIXED);
  check_ridge();
  check_determinism();
  return check_summary();
}
