/* test_learned_features.c: random Fourier features and radial basis functions in d = 1
 * (engines/learned_features.h, theory.md §13.4).
 *  1. the exact minimiser in the class: on a Gaussian with f_1 = identity, f*_2 is affine, so
 *     the class error (population projection) vanishes to rounding for rff and rbf;
 *  2. eps_t (closed-form inner expectation, Gauss-Hermite outer) against the loss identity
 *     E[(f_t - y)^2 - (g - y)^2] = ||f_t - f*||^2 - ||g - f*||^2 by Monte Carlo (no posterior),
 *     on two modes; the quadrature at 160 nodes against 320; 0 < eps_F,t <= eps_t;
 *  3. a Gaussian at growing n: f_N tends to the ideal CT map (closed form, independent of the
 *     engine) like n^(-1/2);
 *  4. two modes at growing n: the learned map tends to the ideal grid engine's down to a floor
 *     within the class error, and the W1 gap stays below the map distance;
 *  5. determinism and refusals. The fit's least squares against numpy: tests/ref_lfeat.py. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#include "check.h"
#include "core/rng.h"
#include "engines/grid.h"
#include "engines/learned_features.h"
#include "engines/learned_poly.h"

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

static ctr_lfeat_params params(ctr_lfeat_kind kind, int M, int64_t n, uint64_t seed, double ridge) {
  ctr_lfeat_params p;
  ctr_lfeat_params_default(&p);
  p.kind = kind, p.M = M, p.base.train_n = n, p.base.seed = seed, p.base.ridge = ridge;
  return p;
}

static ctr_lfeat_result *run(const ctr_lfeat_params *p, const ctr_schedule *s, const ctr_mixture *m) {
  ctr_lfeat_result *r = NULL;
  ctr_error err = {0};
  if (ctr_lfeat_run(p, s, m, &r, &err)) printf("# lfeat: %s\n", err.msg);
  return r;
}

static void check_in_class(void) {
  ctr_schedule *s = sched(20);
  double w = 1, mu = 0.3, var = 0.6;
  ctr_mixture *m = mix(1, &w, &mu, &var);
  for (int kind = CTR_LFEAT_RFF; kind <= CTR_LFEAT_RBF; kind++) {
    ctr_lfeat_params p = params((ctr_lfeat_kind)kind, 12, 1000, 5, 0);
    ctr_lfeat_fn id, g;
    ctr_lfeat_basis(&p, s, m, 1, &id);
    id.coef[0] = id.m, id.coef[1] = id.sd;
    ctr_lfeat_basis(&p, s, m, 2, &g);
    double f2 = ctr_lfeat_class_err2(s, m, 2, &g, &id);
    /* f*_2 = a_1 mu + m_2 (x - a_2 mu) in closed form (theory.md §13.2): the projection is it */
    double m2 = (s->a[2] * s->a[1] * var + s->s[2] * s->s[1]) / (s->a[2] * s->a[2] * var + s->s[2] * s->s[2]);
    double worst = 0;
    for (double x = -2; x <= 2; x += 0.25)
      worst = fmax(worst, fabs(ctr_lfeat_eval(&g, x) - (s->a[1] * mu + m2 * (x - s->a[2] * mu))));
    char msg[120];
    snprintf(msg, sizeof msg, "%s: eps_F,2^2 = %.3g, projection vs f*_2 %.3g", ctr_lfeat_kind_name(p.kind), f2, worst);
    printf("# %s\n", msg);
    check_true("features on a Gaussian: f*_2 (affine) lies in the class: eps_F,2^2 < 1e-20, the "
               "projection is f*_2 to 1e-9", f2 < 1e-20 && worst < 1e-9, msg);
  }
  ctr_mixture_free(m), ctr_schedule_free(s);
}

static void check_identity(ctr_lfeat_kind kind) {
  const int64_t N = 12, t = 6, M = 1000000;
  ctr_schedule *s = sched(N);
  double w[2] = {0.3, 0.7}, mu[2] = {-1, 1}, var[2] = {0.09, 0.04};
  ctr_mixture *m = mix(2, w, mu, var);
  ctr_lfeat_params p = params(kind, 10, 400, 9, 1e-4);
  if (kind == CTR_LFEAT_RBF) p.centres = CTR_LFEAT_QUANTILE;
  p.base.stop_t = t - 1;
  ctr_lfeat_result *prev = run(&p, s, m);
  p.base.stop_t = t;
  ctr_lfeat_result *cur = run(&p, s, m);
  if (!s || !m || !prev || !cur) {
    check_true("features identity: setup", 0, "");
    return;
  }
  ctr_lfeat_fn g = cur->f;
  g.coef[0] += 0.02, g.coef[2] += 0.05, g.coef[3] -= 0.03;
  ctr_rng r;
  ctr_rng_init(&r, 3, CTR_RNG_TEST, 78, 1);
  double sum = 0, sum2 = 0;
  for (int64_t j = 0; j < M; j++) {
    double u = ctr_rng_uniform(&r), gz[2];
    ctr_rng_normals(&r, 2, gz);
    int k = u < w[0] ? 0 : 1;
    double x0 = mu[k] + sqrt(var[k]) * gz[0];
    double x = s->a[t] * x0 + s->s[t] * gz[1], xp = s->a[t - 1] * x0 + s->s[t - 1] * gz[1];
    double y = ctr_lfeat_eval(&prev->f, xp), e1 = ctr_lfeat_eval(&cur->f, x) - y,
           e2 = ctr_lfeat_eval(&g, x) - y, D = e1 * e1 - e2 * e2;
    sum += D, sum2 += D * D;
  }
  double mean = sum / M, se = sqrt((sum2 / M - mean * mean) / M);
  double e2 = cur->eps_t[t] * cur->eps_t[t], want = e2 - ctr_lfeat_err2(s, m, t, &g, &prev->f, 0);
  char msg[200];
  snprintf(msg, sizeof msg, "%s: quadrature %.6g, MC %.6g +- %.2g (eps_t^2 = %.4g)",
           ctr_lfeat_kind_name(kind), want, mean, se, e2);
  printf("# %s\n", msg);
  check_true("features, two modes: eps_t^2 - ||g - f*||^2 = MC loss difference within 4 SE",
             fabs(want - mean) < 4 * se && se < 0.05 * fabs(mean), msg);
  double fine = ctr_lfeat_err2(s, m, t, &cur->f, &prev->f, 320);
  snprintf(msg, sizeof msg, "%s: eps_t^2 %.12g at 160 nodes, %.12g at 320", ctr_lfeat_kind_name(kind), e2, fine);
  printf("# %s\n", msg);
  check_true("features: the eps_t quadrature is converged (160 vs 320 nodes, 1e-8 relative)",
             fabs(fine - e2) <= 1e-8 * e2, msg);
  double f = cur->epsF_t[t];
  snprintf(msg, sizeof msg, "eps_F,t = %.4g, eps_t = %.4g", f, cur->eps_t[t]);
  printf("# %s\n", msg);
  check_true("features, two modes: 0 < eps_F,t <= eps_t (the projection is the best in class)",
             f > 0 && f <= cur->eps_t[t], msg);
  ctr_lfeat_result_free(prev), ctr_lfeat_result_free(cur), ctr_mixture_free(m);
  ctr_schedule_free(s);
}

/* ||f_N - f_N ideal||^2 under N(0, 1): f_N ideal = a_1 mu + prod_t m_t (x - a_N mu) (theory.md
 * §13.2, r = 0), by the midpoint rule on 400 equal-probability points (smooth integrand). */
static double dist2_ideal(const ctr_lfeat_fn *f, const ctr_schedule *s, double mu, double var) {
  double A = 1;
  for (int64_t t = 2; t <= s->N; t++)
    A *= (s->a[t] * s->a[t - 1] * var + s->s[t] * s->s[t - 1]) / (s->a[t] * s->a[t] * var + s->s[t] * s->s[t]);
  double acc = 0;
  for (int i = 0; i < 400; i++) {
    double z = gsl_cdf_ugaussian_Pinv((i + 0.5) / 400);
    double e = ctr_lfeat_eval(f, z) - (s->a[1] * mu + A * (z - s->a[s->N] * mu));
    acc += e * e / 400;
  }
  return acc;
}

static void check_gaussian_limit(ctr_lfeat_kind kind) {
  const int64_t ns[3] = {4000, 16000, 64000};
  const int R = 4;
  ctr_schedule *s = sched(15);
  double w = 1, mu = 0.3, var = 0.6, y[3];
  ctr_mixture *m = mix(1, &w, &mu, &var);
  for (int k = 0; k < 3; k++) {
    double acc = 0;
    for (int r = 0; r < R; r++) {
      ctr_lfeat_params p = params(kind, 8, ns[k], 40 + (uint64_t)r, 0);
      ctr_lfeat_result *res = run(&p, s, m);
      acc += res ? dist2_ideal(&res->f, s, mu, var) : NAN;
      ctr_lfeat_result_free(res);
    }
    y[k] = sqrt(acc / R);
    printf("# %s Gaussian N=15 M=8 n=%lld: RMS ||f_N - f_N ideal|| = %.4g (x sqrt(n) = %.3f)\n",
           ctr_lfeat_kind_name(kind), (long long)ns[k], y[k], y[k] * sqrt((double)ns[k]));
  }
  double slope = log(y[2] / y[0]) / log((double)ns[2] / ns[0]);
  char msg[80];
  snprintf(msg, sizeof msg, "slope %.3f, %.3g at n = 64000", slope, y[2]);
  check_true("features on a Gaussian -> the ideal CT map: slope in [-0.7, -0.35], < 0.01 at n = 64000",
             slope > -0.7 && slope < -0.35 && y[2] < 0.01, msg);
  ctr_mixture_free(m), ctr_schedule_free(s);
}

static double lfeat_map(const void *ctx, double x) { return ctr_lfeat_eval(ctx, x); }

static double grid_map(const void *ctx, double x) { return ctr_grid_eval(ctx, x); }

static void check_grid_limit(void) {
  const int64_t N = 10, ns[3] = {1000, 10000, 100000};
  ctr_schedule *s = sched(N);
  double w[2] = {0.5, 0.5}, mu[2] = {-1, 1}, var[2] = {0.16, 0.16};
  ctr_mixture *m = mix(2, w, mu, var);
  ctr_grid_params gp;
  ctr_grid_params_default(&gp);
  gp.coupling = 0, gp.refine = 0;
  ctr_grid_result *gr = NULL;
  ctr_error err = {0};
  if (!s || !m || ctr_grid_run(&gp, s, m, &gr, &err)) {
    check_true("features vs grid: setup", 0, err.msg);
    return;
  }
  /* the quantile-rule W1 (engines/learned_poly.c: Brent on the mixture CDF, midpoint rule)
   * applied to the grid engine's own f_N against the grid engine's W1 (its quantile functions
   * and adaptive integral): two implementations on a bimodal X_1 */
  double w1g = NAN, discg = NAN;
  ctr_learned_w1_1d(s, m, grid_map, gr, 20000, &w1g, &discg, &err);
  char gmsg[160];
  snprintf(gmsg, sizeof gmsg, "rule %.10g (disc %.2g), grid engine %.10g", w1g, discg, gr->base.w1_gauss);
  printf("# %s\n", gmsg);
  check_true("W1 quantile rule on two modes = the grid engine's W1 within 3 disc_err + 1e-6",
             fabs(w1g - gr->base.w1_gauss) <= 3 * discg + 1e-6, gmsg);
  double dW[3], dmap[3], epsF = 0;
  for (int k = 0; k < 3; k++) {
    double aw = 0, am = 0;
    for (int r = 0; r < 3; r++) {
      ctr_lfeat_params p = params(CTR_LFEAT_RBF, 16, ns[k], 60 + (uint64_t)r, 1e-6);
      p.centres = CTR_LFEAT_QUANTILE;
      ctr_lfeat_result *res = run(&p, s, m);
      double w1 = NAN, disc;
      if (res) ctr_learned_w1_1d(s, m, lfeat_map, &res->f, 20000, &w1, &disc, &err);
      aw += fabs(w1 - gr->base.w1_gauss) / 3;
      double acc = 0;
      for (int i = 0; i < 400; i++) {
        double z = gsl_cdf_ugaussian_Pinv((i + 0.5) / 400), e = res ? ctr_lfeat_eval(&res->f, z) - ctr_grid_eval(gr, z) : NAN;
        acc += e * e / 400;
      }
      am += acc / 3;
      if (res && k == 2) epsF = fmax(epsF, res->epsF_sum);
      ctr_lfeat_result_free(res);
    }
    dW[k] = aw, dmap[k] = sqrt(am);
    printf("# rbf two modes N=10 M=16 n=%lld: |W1 - W1 grid| = %.3g (grid %.5g), RMS ||f_N - f_N grid|| = %.3g\n",
           (long long)ns[k], dW[k], gr->base.w1_gauss, dmap[k]);
  }
  char msg[160];
  snprintf(msg, sizeof msg, "map %.3g -> %.3g -> %.3g, W1 gap %.3g at n = 1e5, sum eps_F %.3g",
           dmap[0], dmap[1], dmap[2], dW[2], epsF);
  /* the limit n -> inf is the chain of population projections, not ideal CT: the distance
   * falls to a floor set by the class error; |W1(f#g, X_1) - W1(h#g, X_1)| <= E|f - h| <= RMS */
  check_true("rbf two modes -> the grid engine: the map distance falls with n (2x over "
             "n = 1e3..1e5) to below sum eps_F + 0.01; |W1 - W1 grid| <= that distance",
             dmap[2] < dmap[1] && dmap[1] < dmap[0] && dmap[2] < dmap[0] / 2 &&
                 dmap[2] < epsF + 0.01 && dW[0] <= dmap[0] + 1e-4 && dW[2] <= dmap[2] + 1e-4, msg);
  ctr_grid_result_free(gr), ctr_mixture_free(m), ctr_schedule_free(s);
}

static void check_determinism_and_refusals(void) {
  ctr_schedule *s = sched(8);
  double w[2] = {0.5, 0.5}, mu[2] = {-1, 1}, var[2] = {0.1, 0.1};
  ctr_mixture *m = mix(2, w, mu, var);
  ctr_lfeat_params p = params(CTR_LFEAT_RFF, 10, 500, 3, 1e-3);
  p.base.mode = CTR_LEARNED_FIXED;
  ctr_lfeat_result *a = run(&p, s, m), *b = run(&p, s, m);
  check_true("features: two runs with one seed are bit-identical (fixed data set)",
             a && b && !memcmp(&a->f, &b->f, sizeof a->f) && a->eps_sum == b->eps_sum, "");
  p.base.seed = 4;
  ctr_lfeat_result *c = run(&p, s, m);
  check_true("features: another seed, other frequencies", c && c->f.a[0] != a->f.a[0], "");
  ctr_lfeat_result_free(a), ctr_lfeat_result_free(b), ctr_lfeat_result_free(c);
  ctr_error err = {0};
  ctr_lfeat_params bad[4];
  for (int i = 0; i < 4; i++) bad[i] = params(CTR_LFEAT_RBF, 10, 500, 3, 0);
  bad[0].M = 0, bad[1].bandwidth = 0, bad[2].width = -1, bad[3].base.train_n = 12;
  int refused = 1;
  for (int i = 0; i < 4; i++) refused &= ctr_lfeat_check(&bad[i], 1, &err) == CTR_EINPUT;
  refused &= ctr_lfeat_check(&p, 3, &err) == CTR_EINPUT;
  check_true("features: M = 0, bandwidth 0, width < 0, n < M + 3 and d = 3 are refused", refused, err.msg);
  ctr_mixture_free(m), ctr_schedule_free(s);
}

int main(void) {
  gsl_set_error_handler_off();
  check_in_class();
  check_identity(CTR_LFEAT_RFF);
  check_identity(CTR_LFEAT_RBF);
  check_gaussian_limit(CTR_LFEAT_RFF);
  check_gaussian_limit(CTR_LFEAT_RBF);
  check_grid_limit();
  check_determinism_and_refusals();
  return check_summary();
}
