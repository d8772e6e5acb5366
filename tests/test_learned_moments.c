/* test_learned_moments.c: the moments route of engine learned (engines/learned_moments.h,
 * theory.md §13.7).
 *  1. The drawn statistics have the exact law of n fresh pairs: E and Var of every entry of
 *     S_xx = n C and S_px = n B^T against the Wishart_2d(n - 1, Sigma) moments
 *     E S = m Sigma, Var S_ij = m (Sigma_ij^2 + Sigma_ii Sigma_jj), m = n - 1, and of sqrt(n)
 *     (xbar, pbar) against N(0, Sigma), and of the residual parts S_px - G S_xx and
 *     sqrt(n)(pbar - G xbar) (variances m R V and R), at n = 8 where a wrong degree of freedom (n instead of
 *     n - 1) moves E S by 1/7 (z ~ 40).
 *  2. Same law as the reference (the samples route): mean and spread of W2, the W1 upper bound
 *     and eps = sum_t eps_t, and mean eps_t at the first and last step, over R seeds per route,
 *     at d = 4, 16 and n = 50, 400 (ridge 0), and one ridge > 0 case (the Cholesky path).
 *  3. ridge -> 0 on the same draws: the Cholesky path tends to the one-solve path.
 *  4. n -> infinity: f_N tends to the ideal affine engine's like n^(-1/2) (n = 1e4..1e8).
 *  5. The eigenvalue W2 used above d = 256 against the full Procrustes W2 (d = 24, both inputs).
 *  6. Determinism and refusals (fixed data, d above each route's limit). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/rng.h"
#include "core/schedule.h"
#include "engines/affine.h"
#include "engines/learned.h"
#include "engines/learned_moments.h"
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
  p.kind = CTR_TARGET_GEOMETRIC, p.d = d, p.lambda_min = 0.05, p.lambda_max = 2;
  p.mean_norm = mean_norm;
  ctr_target *t = NULL;
  ctr_error err = {0};
  if (ctr_target_alloc(&p, &t, &err)) printf("# target: %s\n", err.msg);
  return t;
}

static ctr_learned_result *learn(const ctr_schedule *s, const ctr_target *tg, int64_t n,
                                 uint64_t seed, double ridge, int sampler) {
  ctr_learned_params p;
  ctr_learned_params_default(&p);
  p.train_n = n, p.seed = seed, p.ridge = ridge, p.sampler = sampler;
  ctr_learned_result *r = NULL;
  ctr_error err = {0};
  if (ctr_learned_run(&p, s, tg, &r, &err)) printf("# learned: %s\n", err.msg);
  return r;
}

/* running mean and variance, and the variance's standard error from the fourth moment */
typedef struct {
  double n, s1, s2, s3, s4;
} mom;
static void mom_add(mom *m, double x) {
  m->n += 1, m->s1 += x, m->s2 += x * x, m->s3 += x * x * x, m->s4 += x * x * x * x;
}
static double mom_mean(const mom *m) { return m->s1 / m->n; }
static double mom_var(const mom *m) {
  double a = mom_mean(m);
  return m->s2 / m->n - a * a;
}
static double mom_se_mean(const mom *m) { return sqrt(mom_var(m) / m->n); }
static double mom_se_var(const mom *m) { /* Var((X - mu)^2) / n */
  double a = mom_mean(m), e2 = m->s2 / m->n, e3 = m->s3 / m->n, e4 = m->s4 / m->n;
  double c4 = e4 - 4 * a * e3 + 6 * a * a * e2 - 3 * a * a * a * a, v = e2 - a * a;
  return sqrt(fmax(c4 - v * v, 0) / m->n);
}

/* 1. Wishart moments of one step's draw (d = 3, n = 8, step t = 5 of N = 12). */
static void check_wishart(void) {
  const int d = 3, R = 40000;
  const int64_t n = 8, N = 12, t = 5;
  ctr_schedule *s = sched(N);
  ctr_target *tg = target(d, 0);
  gsl_rng *rng = ctr_rng_gsl_alloc();
  double v[3], g[3], rsd[3], vp[3], Lx[9], Y[9], xb[3], pb[3], C[9], Bt[9];
  for (int i = 0; i < d; i++) { /* the same per-coordinate law the engine builds */
    double lam = tg->lambda[i];
    v[i] = s->a[t] * s->a[t] * lam + s->s[t] * s->s[t];
    vp[i] = s->a[t - 1] * s->a[t - 1] * lam + s->s[t - 1] * s->s[t - 1];
    g[i] = (s->a[t] * s->a[t - 1] * lam + s->s[t] * s->s[t - 1]) / v[i];
    rsd[i] = sqrt(vp[i] - g[i] * g[i] * v[i]);
  }
  mom Sxx[9] = {{0}}, Spx[9] = {{0}}, mx[3] = {{0}}, mp[3] = {{0}}, mxp[3] = {{0}};
  mom Se[9] = {{0}}, me[3] = {{0}}; /* the residual parts: S_px - G S_xx, sqrt(n)(pbar - G xbar) */
  for (int r = 0; r < R; r++) {
    ctr_lmom_draw(rng, 1000 + (uint64_t)r, t, d, n, v, g, rsd, Lx, Y, xb, pb);
    ctr_lmom_stats(d, n, g, Lx, Y, C, Bt);
    for (int k = 0; k < d * d; k++) {
      mom_add(&Sxx[k], (double)n * C[k]), mom_add(&Spx[k], (double)n * Bt[k]);
      mom_add(&Se[k], (double)n * (Bt[k] - g[k / d] * C[k]));
    }
    for (int i = 0; i < d; i++) {
      double sn = sqrt((double)n);
      mom_add(&mx[i], sn * xb[i]), mom_add(&mp[i], sn * pb[i]), mom_add(&mxp[i], n * xb[i] * pb[i]);
      mom_add(&me[i], sn * (pb[i] - g[i] * xb[i]));
    }
  }
  double m = (double)(n - 1), zmax = 0;
  for (int i = 0; i < d; i++)
    for (int j = 0; j < d; j++) {
      int k = i * d + j;
      double sxx = i == j ? v[i] : 0, spx = i == j ? g[i] * v[i] : 0;
      double z[4] = {(mom_mean(&Sxx[k]) - m * sxx) / mom_se_mean(&Sxx[k]),
                     (mom_var(&Sxx[k]) - m * (sxx * sxx + v[i] * v[j])) / mom_se_var(&Sxx[k]),
                     (mom_mean(&Spx[k]) - m * spx) / mom_se_mean(&Spx[k]),
                     (mom_var(&Spx[k]) - m * (spx * spx + vp[i] * v[j])) / mom_se_var(&Spx[k])};
      /* the residual block alone: E 0, Var m R_ii V_jj (small beside Var S_px when R << V) */
      double ze[2] = {mom_mean(&Se[k]) / mom_se_mean(&Se[k]),
                      (mom_var(&Se[k]) - m * rsd[i] * rsd[i] * v[j]) / mom_se_var(&Se[k])};
      for (int q = 0; q < 4; q++) zmax = fmax(zmax, fabs(z[q]));
      for (int q = 0; q < 2; q++) zmax = fmax(zmax, fabs(ze[q]));
    }
  for (int i = 0; i < d; i++) {
    double z[5] = {mom_mean(&mx[i]) / mom_se_mean(&mx[i]), mom_mean(&mp[i]) / mom_se_mean(&mp[i]),
                   (mom_var(&mx[i]) - v[i]) / mom_se_var(&mx[i]),
                   (mom_var(&mp[i]) - vp[i]) / mom_se_var(&mp[i]),
                   (mom_mean(&mxp[i]) - g[i] * v[i]) / mom_se_mean(&mxp[i])};
    for (int q = 0; q < 5; q++) zmax = fmax(zmax, fabs(z[q]));
    zmax = fmax(zmax, fabs((mom_var(&me[i]) - rsd[i] * rsd[i]) / mom_se_var(&me[i])));
  }
  printf("# Wishart moments (d = 3, n = 8, %d draws): E S_xx[0,0] = %.5g want %.5g; max |z| "
         "over 87 moments %.2f\n", R, mom_mean(&Sxx[0]), m * v[0], zmax);
  check_worst("moments draw: E, Var of S_xx, S_px (Wishart(n - 1)) and of the means, max |z|",
              zmax, 4.5, "d = 3, n = 8");
  gsl_rng_free(rng), ctr_target_free(tg), ctr_schedule_free(s);
}

/* 2. Both routes over R seeds: W, eps and eps_t, mean and variance, z of the differences. */
static void check_same_law(int d, int64_t n, double ridge, int R) {
  const int64_t N = 15;
  ctr_schedule *s = sched(N);
  ctr_target *tg = target(d, 0.6);
  enum { NQ = 5 };
  mom q[2][NQ];
  memset(q, 0, sizeof q);
  for (int route = 0; route < 2; route++)
    for (int r = 0; r < R; r++) {
      ctr_learned_result *lr = learn(s, tg, n, 500 + (uint64_t)r, ridge, route);
      if (!lr) continue;
      double x[NQ] = {lr->w2_normal, lr->w1_hi_normal, lr->eps_sum, lr->eps_t[2], lr->eps_t[N]};
      for (int k = 0; k < NQ; k++) mom_add(&q[route][k], x[k]);
      ctr_learned_result_free(lr);
    }
  static const char *names[NQ] = {"W2", "W1 hi", "eps", "eps_2", "eps_N"};
  double zmax = 0;
  char worst[200] = "";
  for (int k = 0; k < NQ; k++) {
    double zm = (mom_mean(&q[0][k]) - mom_mean(&q[1][k])) /
                hypot(mom_se_mean(&q[0][k]), mom_se_mean(&q[1][k]));
    double zv = (mom_var(&q[0][k]) - mom_var(&q[1][k])) /
                hypot(mom_se_var(&q[0][k]), mom_se_var(&q[1][k]));
    printf("#   d=%d n=%lld ridge=%g %-6s samples %.5g +- %.2g (sd %.3g)  moments %.5g +- %.2g "
           "(sd %.3g)  z_mean %+.2f z_var %+.2f\n", d, (long long)n, ridge, names[k],
           mom_mean(&q[0][k]), mom_se_mean(&q[0][k]), sqrt(mom_var(&q[0][k])),
           mom_mean(&q[1][k]), mom_se_mean(&q[1][k]), sqrt(mom_var(&q[1][k])), zm, zv);
    if (fmax(fabs(zm), fabs(zv)) > zmax || !(q[0][k].n == R && q[1][k].n == R)) {
      zmax = q[0][k].n == R && q[1][k].n == R ? fmax(fabs(zm), fabs(zv)) : INFINITY;
      snprintf(worst, sizeof worst, "%s", names[k]);
    }
  }
  char name[160];
  snprintf(name, sizeof name, "moments vs samples route, d = %d, n = %lld, ridge %g, %d seeds "
           "each: same mean and variance of W2, W1 hi, eps, eps_2, eps_N (max |z|)", d,
           (long long)n, ridge, R);
  check_worst(name, zmax, 4.0, worst);
  ctr_target_free(tg), ctr_schedule_free(s);
}

/* 3. The Cholesky path (ridge > 0) on the same draws tends to the one-solve path (ridge 0). */
static void check_ridge_limit(void) {
  ctr_schedule *s = sched(20);
  ctr_target *tg = target(6, 0.5);
  ctr_learned_result *a = learn(s, tg, 40, 3, 0, CTR_LEARNED_MOMENTS);
  ctr_learned_result *b = learn(s, tg, 40, 3, 1e-11, CTR_LEARNED_MOMENTS);
  double worst = 0, scale = 0;
  for (int k = 0; a && b && k < 36; k++)
    worst = fmax(worst, fabs(a->A[k] - b->A[k])), scale = fmax(scale, fabs(a->A[k]));
  if (a && b) check_close("moments: ridge 1e-11 (Cholesky path) = ridge 0 (one solve), same draws",
                          b->w2_normal, a->w2_normal, 1e-7, 0);
  check_worst("moments: ridge 1e-11 vs 0, max |A_N difference| / max |A_N|",
              a && b ? worst / scale : INFINITY, 1e-7, "d = 6, n = 40");
  ctr_learned_result_free(a), ctr_learned_result_free(b), ctr_target_free(tg), ctr_schedule_free(s);
}

/* 4. n -> infinity: the ideal affine engine (||A - A_ideal||_F^2 + ||beta||^2, ideal beta 0). */
static void check_limit(void) {
  const int d = 3, R = 8, K = 4;
  const int64_t N = 20, ns[] = {10000, 100000, 1000000, 100000000};
  ctr_schedule *s = sched(N);
  ctr_target *tg = target(d, 0.7);
  ctr_affine_params ap;
  ctr_affine_params_default(&ap);
  ctr_affine_result *ideal = NULL;
  ctr_error err = {0};
  if (!s || !tg || ctr_affine_run(&ap, s, tg, &ideal, &err)) {
    check_true("moments limit: setup", 0, err.msg);
    return;
  }
  double x[4], y[4], sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (int k = 0; k < K; k++) {
    double acc = 0;
    for (int r = 0; r < R; r++) {
      ctr_learned_params p;
      ctr_learned_params_default(&p);
      p.train_n = ns[k], p.seed = 100 + (uint64_t)r, p.sampler = CTR_LEARNED_MOMENTS;
      ctr_learned_result *lr = NULL;
      if (ctr_learned_run(&p, s, tg, &lr, &err)) printf("# %s\n", err.msg);
      for (int i = 0; lr && i < d; i++) {
        int g = tg->group[i];
        for (int j = 0; j < d; j++) {
          double e = lr->A[i * d + j] - (i == j ? ideal->G[g] + ideal->delta[g] : 0.0);
          acc += e * e;
        }
        acc += lr->beta[i] * lr->beta[i];
      }
      if (!lr) acc = NAN;
      ctr_learned_result_free(lr);
    }
    x[k] = log((double)ns[k]), y[k] = 0.5 * log(acc / R);
    printf("# moments d=3 N=20 n=%.0e: RMS ||f_N - f_N ideal|| = %.4g (x sqrt(n) = %.3f)\n",
           (double)ns[k], exp(y[k]), exp(y[k]) * sqrt((double)ns[k]));
    sx += x[k], sy += y[k], sxx += x[k] * x[k], sxy += x[k] * y[k];
  }
  double slope = (K * sxy - sx * sy) / (K * sxx - sx * sx);
  char msg[80];
  snprintf(msg, sizeof msg, "slope %.4f", slope);
  check_true("moments -> ideal affine engine: log-log slope of the discrepancy in "
             "[-0.55, -0.45] over n = 1e4..1e8", slope > -0.55 && slope < -0.45, msg);
  snprintf(msg, sizeof msg, "%.3g", exp(y[K - 1]));
  check_true("moments at n = 1e8 within 1e-3 of the ideal f_N", exp(y[K - 1]) < 1e-3, msg);
  ctr_affine_result_free(ideal), ctr_target_free(tg), ctr_schedule_free(s);
}

/* 5. Eigenvalue W2 (used above d = 256) against the full path, both inputs. */
static void check_w2_eig(void) {
  ctr_schedule *s = sched(12);
  ctr_target *tg = target(24, 1.0);
  ctr_learned_result *r = learn(s, tg, 60, 4, 0, CTR_LEARNED_MOMENTS);
  double w0 = NAN, w1 = NAN;
  ctr_error err = {0};
  if (r && !ctr_learned_w2_eig(s, tg, r, 0, &w0, &err) && !ctr_learned_w2_eig(s, tg, r, 1, &w1, &err)) {
    printf("# d = 24: W2 normal %.15g (full %.15g), q_N %.15g (full %.15g)\n", w0, r->w2_normal,
           w1, r->w2_qN);
    check_close("eigenvalue W2 = full W2, input N(0, I)", w0, r->w2_normal, 1e-9, 0);
    check_close("eigenvalue W2 = full W2, input q_N", w1, r->w2_qN, 1e-9, 0);
  } else {
    check_true("eigenvalue W2: run", 0, err.msg);
  }
  ctr_learned_result_free(r), ctr_target_free(tg), ctr_schedule_free(s);
}

/* 6. Determinism, and the refusals. */
static void check_misc(void) {
  ctr_schedule *s = sched(10);
  ctr_target *tg = target(5, 0.5);
  ctr_learned_result *a = learn(s, tg, 30, 9, 0, CTR_LEARNED_MOMENTS);
  ctr_learned_result *b = learn(s, tg, 30, 9, 0, CTR_LEARNED_MOMENTS);
  ctr_learned_result *c = learn(s, tg, 30, 10, 0, CTR_LEARNED_MOMENTS);
  if (a && b && c) {
    check_true("moments: same seed, bit-identical A, beta, eps, W",
               !memcmp(a->A, b->A, 25 * sizeof(double)) && !memcmp(a->beta, b->beta, 5 * sizeof(double)) &&
                   a->eps_sum == b->eps_sum && a->w1_hi_normal == b->w1_hi_normal, "");
    check_true("moments: another seed differs", a->A[1] != c->A[1], "");
  }
  ctr_learned_result_free(a), ctr_learned_result_free(b), ctr_learned_result_free(c);
  ctr_learned_params p;
  ctr_learned_params_default(&p);
  ctr_error err = {0};
  p.sampler = CTR_LEARNED_MOMENTS, p.mode = CTR_LEARNED_FIXED;
  check_true("moments with fixed data refused", ctr_learned_check(&p, 4, &err) == CTR_EINPUT, err.msg);
  p.mode = CTR_LEARNED_FRESH, p.train_n = 5000;
  check_true("moments at d = 1024 accepted", ctr_learned_check(&p, 1024, &err) == CTR_OK, err.msg);
  check_true("moments at d = 1025 refused", ctr_learned_check(&p, 1025, &err) == CTR_EINPUT, err.msg);
  p.sampler = CTR_LEARNED_SAMPLES;
  check_true("samples at d = 257 refused", ctr_learned_check(&p, 257, &err) == CTR_EINPUT, err.msg);
  p.sampler = CTR_LEARNED_MOMENTS, p.train_n = 1025;
  check_true("moments needs n >= d + 2", ctr_learned_check(&p, 1024, &err) == CTR_EINPUT, err.msg);
  ctr_target_free(tg), ctr_schedule_free(s);
}

int main(void) {
  check_wishart();
  check_same_law(4, 50, 0, 400);
  check_same_law(4, 400, 0, 400);
  check_same_law(16, 50, 0, 300);
  check_same_law(16, 400, 0, 300);
  check_same_law(4, 50, 0.05, 400);
  check_ridge_limit();
  check_limit();
  check_w2_eig();
  check_misc();
  return check_summary();
}
