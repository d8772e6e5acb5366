/* test_learned_features2.c: random Fourier features and radial basis functions in d = 2
 * (engines/learned_features2.h, theory.md §13.6).
 *  1. the exact minimiser in the class: on a Gaussian with a full covariance and f_1 = identity,
 *     f*_2 is affine (closed form), so the class error vanishes and the projection is f*_2;
 *  2. the exact inner expectation f*_t(x) against posterior Monte Carlo (targets/mixture.h's
 *     posterior draws), and eps_t against the loss identity
 *     E[|f_t - y|^2 - |g - y|^2] = ||f_t - f*||^2 - ||g - f*||^2 by Monte Carlo (no posterior);
 *     the outer quadrature at Q = 48 against 96; 0 < eps_F,t <= eps_t;
 *  3. a Gaussian at growing n: f_N tends to the grid engine's f_N (the ideal CT map) like n^-1/2;
 *  4. three modes at growing n: the distance to the grid engine's f_N falls to a floor within
 *     the class error;
 *  5. the coupling cubature for a learned map against an independent Gauss-Hermite integral
 *     on a Gaussian (Phi affine in closed form);
 *  6. bit-identity at 1 and 2 threads, and refusals. The fit against numpy: tests/ref_lfeat.py. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <omp.h>

#include "check.h"
#include "core/rng.h"
#include "engines/grid.h"
#include "engines/learned_features2.h"

static ctr_schedule *sched(int64_t N) {
  ctr_schedule_params p;
  ctr_schedule_params_default(&p);
  p.N = N, p.c0 = 1, p.c1 = 2;
  ctr_schedule *s = NULL;
  ctr_error err = {0};
  if (ctr_schedule_alloc(&p, &s, &err)) printf("# schedule: %s\n", err.msg);
  return s;
}

/* a Gaussian N(mu, S) with a full covariance (exercises the eigenvectors) */
static const double G_MU[2] = {0.3, -0.2}, G_S[4] = {0.5, 0.2, 0.2, 0.3};
static ctr_mixture *gauss(void) {
  double w = 1;
  ctr_mixture_cov cov = {CTR_COV_FULL, G_S};
  ctr_mixture *m = NULL;
  ctr_error err = {0};
  if (ctr_mixture_alloc(1, 2, &w, G_MU, &cov, &m, &err)) printf("# mixture: %s\n", err.msg);
  return m;
}

/* three modes, one of them with a full covariance */
static ctr_mixture *three(void) {
  double w[3] = {0.3, 0.3, 0.4}, mu[6] = {0, 1, -0.87, -0.5, 0.87, -0.5};
  double v0 = 0.04, v1[2] = {0.02, 0.06}, S2[4] = {0.05, 0.02, 0.02, 0.03};
  ctr_mixture_cov cov[3] = {{CTR_COV_ISO, &v0}, {CTR_COV_DIAG, v1}, {CTR_COV_FULL, S2}};
  ctr_mixture *m = NULL;
  ctr_error err = {0};
  if (ctr_mixture_alloc(3, 2, w, mu, cov, &m, &err)) printf("# mixture: %s\n", err.msg);
  return m;
}

static ctr_lfeat_params params(ctr_lfeat_kind kind, int M, int64_t n, uint64_t seed, double ridge) {
  ctr_lfeat_params p;
  ctr_lfeat_params_default(&p);
  p.kind = kind, p.M = M, p.base.train_n = n, p.base.seed = seed, p.base.ridge = ridge;
  p.centres = CTR_LFEAT_QUANTILE;
  return p;
}

static ctr_lfeat2_result *run(const ctr_lfeat_params *p, const ctr_schedule *s, const ctr_mixture *m) {
  ctr_lfeat2_result *r = NULL;
  ctr_error err = {0};
  if (ctr_lfeat2_run(p, s, m, &r, &err)) printf("# lfeat2: %s\n", err.msg);
  return r;
}

/* 2 x 2 helpers */
static void inv2(const double *A, double *B) {
  double det = A[0] * A[3] - A[1] * A[2];
  B[0] = A[3] / det, B[1] = -A[1] / det, B[2] = -A[2] / det, B[3] = A[0] / det;
}
static void mul2(const double *A, const double *B, double *C) {
  double c[4] = {A[0] * B[0] + A[1] * B[2], A[0] * B[1] + A[1] * B[3], A[2] * B[0] + A[3] * B[2],
                 A[2] * B[1] + A[3] * B[3]};
  memcpy(C, c, sizeof c);
}
/* M_t = (a_t a_{t-1} S + s_t s_{t-1} I)(a_t^2 S + s_t^2 I)^-1: the ideal CT gain (theory.md §13.2) */
static void gain(const ctr_schedule *s, int64_t t, double *M) {
  double A[4], B[4], Bi[4];
  for (int i = 0; i < 4; i++) {
    A[i] = s->a[t] * s->a[t - 1] * G_S[i] + (i % 3 == 0) * s->s[t] * s->s[t - 1];
    B[i] = s->a[t] * s->a[t] * G_S[i] + (i % 3 == 0) * s->s[t] * s->s[t];
  }
  inv2(B, Bi), mul2(A, Bi, M);
}

static void check_in_class(void) {
  ctr_schedule *s = sched(20);
  ctr_mixture *m = gauss();
  double M2[4];
  gain(s, 2, M2);
  for (int c = 0; c < 3; c++) {
    ctr_lfeat_params p = params(c == 0 ? CTR_LFEAT_RFF : CTR_LFEAT_RBF, 16, 1000, 5, 0);
    if (c == 2) p.centres = CTR_LFEAT_GRID;
    ctr_lfeat2_fn id, g;
    ctr_lfeat2_identity(&p, s, m, &id);
    ctr_lfeat2_basis(&p, s, m, 2, &g);
    double f2 = ctr_lfeat2_err2(s, m, 2, &g, &id, 0, 1), worst = 0;
    for (double x0 = -2; x0 <= 2; x0 += 0.5)
      for (double x1 = -2; x1 <= 2; x1 += 0.5) {
        double x[2] = {x0, x1}, y[2], d0 = x0 - s->a[2] * G_MU[0], d1 = x1 - s->a[2] * G_MU[1];
        ctr_lfeat2_eval(&g, x, y);
        worst = fmax(worst, fabs(y[0] - (s->a[1] * G_MU[0] + M2[0] * d0 + M2[1] * d1)));
        worst = fmax(worst, fabs(y[1] - (s->a[1] * G_MU[1] + M2[2] * d0 + M2[3] * d1)));
      }
    char msg[160];
    snprintf(msg, sizeof msg, "%s%s: eps_F,2^2 = %.3g, projection vs f*_2 %.3g", ctr_lfeat_kind_name(p.kind),
             c == 2 ? " grid" : "", f2, worst);
    printf("# %s\n", msg);
    check_true("d = 2 features on a Gaussian: f*_2 (affine) lies in the class: eps_F,2^2 < 1e-20, "
               "the projection is f*_2 to 1e-9", f2 < 1e-20 && worst < 1e-9, msg);
  }
  ctr_mixture_free(m), ctr_schedule_free(s);
}

static void check_fstar_and_eps(ctr_lfeat_kind kind) {
  const int64_t N = 12, t = 3, R = 400000; /* early: c_t large, the posterior spread matters */
  ctr_schedule *s = sched(N);
  ctr_mixture *m = three();
  ctr_lfeat_params p = params(kind, 16, 2000, 9, 1e-4);
  p.base.stop_t = t - 1;
  ctr_lfeat2_result *prev = run(&p, s, m);
  p.base.stop_t = t;
  ctr_lfeat2_result *cur = run(&p, s, m);
  if (!s || !m || !prev || !cur) {
    check_true("features d = 2: setup", 0, "");
    return;
  }
  /* f*_t(x) at three points against posterior Monte Carlo: X_0 | X_t = x drawn exactly */
  double *work = ctr_dalloc(ctr_mixture_work_len(m)), lw[3];
  double pts[3][2] = {{0.1, 0.2}, {-0.5, -0.3}, {0.05, -0.4}}, r = s->s[t - 1] / s->s[t], c = ctr_schedule_c(s, t);
  ctr_error err = {0};
  int ok = 1;
  char msg[240];
  for (int i = 0; i < 3; i++) {
    double y[2], acc[2] = {0, 0}, acc2[2] = {0, 0};
    ctr_lfeat2_fstar(s, m, t, &prev->f, pts[i], y, lw);
    ctr_rng rng;
    ctr_rng_init(&rng, 11, CTR_RNG_TEST, 200 + (uint64_t)i, 2);
    for (int64_t j = 0; j < R; j++) {
      double x0[2], in[2], v[2];
      ctr_mixture_posterior_sample(m, s->a[t], s->s[t], pts[i], &rng, x0, work, &err);
      in[0] = r * pts[i][0] + c * x0[0], in[1] = r * pts[i][1] + c * x0[1];
      ctr_lfeat2_eval(&prev->f, in, v);
      for (int k = 0; k < 2; k++) acc[k] += v[k], acc2[k] += v[k] * v[k];
    }
    for (int k = 0; k < 2; k++) {
      double mean = acc[k] / R, se = sqrt((acc2[k] / R - mean * mean) / R);
      snprintf(msg, sizeof msg, "%s x = (%g, %g) coord %d: closed form %.8g, posterior MC %.8g +- %.2g",
               ctr_lfeat_kind_name(kind), pts[i][0], pts[i][1], k, y[k], mean, se);
      printf("# %s\n", msg);
      ok &= fabs(y[k] - mean) < 4 * se + 1e-12;
    }
  }
  free(work);
  check_true("d = 2: the exact inner expectation f*_t(x) = posterior Monte Carlo within 4 SE "
             "(3 points, 2 coordinates)", ok, msg);
  /* the loss identity, without any posterior */
  ctr_lfeat2_fn g = cur->f;
  g.coef[0] += 0.02, g.coef[7] += 0.05, g.coef[10] -= 0.03;
  const int64_t M = 1000000;
  ctr_rng rng;
  ctr_rng_init(&rng, 3, CTR_RNG_TEST, 79, 2);
  double sum = 0, sum2 = 0;
  for (int64_t j = 0; j < M; j++) {
    double u = ctr_rng_uniform(&rng), z[4], x[2], xp[2], y[2], f1[2], f2[2];
    ctr_rng_normals(&rng, 4, z);
    int k = u < m->cum_weight[0] ? 0 : u < m->cum_weight[1] ? 1 : 2;
    double l0 = sqrt(m->lam[m->lam_off[k]]), l1 = sqrt(m->lam[m->lam_off[k] + (m->kind[k] == CTR_COV_ISO ? 0 : 1)]);
    const double *U = m->U_off[k] == SIZE_MAX ? NULL : m->U + m->U_off[k];
    double e0 = l0 * z[0], e1 = l1 * z[1];
    double x0[2] = {m->mu[2 * k] + (U ? U[0] * e0 + U[1] * e1 : e0), m->mu[2 * k + 1] + (U ? U[2] * e0 + U[3] * e1 : e1)};
    for (int i = 0; i < 2; i++)
      x[i] = s->a[t] * x0[i] + s->s[t] * z[2 + i], xp[i] = s->a[t - 1] * x0[i] + s->s[t - 1] * z[2 + i];
    ctr_lfeat2_eval(&prev->f, xp, y), ctr_lfeat2_eval(&cur->f, x, f1), ctr_lfeat2_eval(&g, x, f2);
    double D = 0;
    for (int i = 0; i < 2; i++) D += (f1[i] - y[i]) * (f1[i] - y[i]) - (f2[i] - y[i]) * (f2[i] - y[i]);
    sum += D, sum2 += D * D;
  }
  double mean = sum / M, se = sqrt((sum2 / M - mean * mean) / M);
  double e2 = cur->eps_t[t] * cur->eps_t[t], want = e2 - ctr_lfeat2_err2(s, m, t, &g, &prev->f, 0, 0);
  snprintf(msg, sizeof msg, "%s: quadrature %.6g, MC %.6g +- %.2g (eps_t^2 = %.4g)",
           ctr_lfeat_kind_name(kind), want, mean, se, e2);
  printf("# %s\n", msg);
  check_true("d = 2, three modes: eps_t^2 - ||g - f*||^2 = MC loss difference within 4 SE",
             fabs(want - mean) < 4 * se && se < 0.05 * fabs(mean), msg);
  ctr_lfeat2_fn h = cur->f;
  double fine = ctr_lfeat2_err2(s, m, t, &h, &prev->f, 96, 0);
  snprintf(msg, sizeof msg, "%s: eps_t^2 %.12g at Q = 48, %.12g at 96", ctr_lfeat_kind_name(kind), e2, fine);
  printf("# %s\n", msg);
  check_true("d = 2: the eps_t quadrature is converged (Q = 48 vs 96, 2e-4 relative at an early step, where the posterior switches sharply between modes)",
             fabs(fine - e2) <= 2e-4 * e2, msg);
  snprintf(msg, sizeof msg, "eps_F,t = %.4g, eps_t = %.4g", cur->epsF_t[t], cur->eps_t[t]);
  printf("# %s\n", msg);
  check_true("d = 2, three modes: 0 < eps_F,t <= eps_t", cur->epsF_t[t] > 0 && cur->epsF_t[t] <= cur->eps_t[t], msg);
  ctr_lfeat2_result_free(prev), ctr_lfeat2_result_free(cur), ctr_mixture_free(m), ctr_schedule_free(s);
}

/* ||f - f_grid||^2 under N(0, I) by a 24 x 24 Gauss-Hermite rule (smooth integrand) */
static double dist2_grid(const ctr_lfeat2_fn *f, const ctr_grid_result *gr) {
  double z[24], w[24], acc = 0;
  gsl_integration_fixed_workspace *ws = gsl_integration_fixed_alloc(gsl_integration_fixed_hermite, 24, 0, 0.5, 0, 0);
  for (int i = 0; i < 24; i++) z[i] = gsl_integration_fixed_nodes(ws)[i], w[i] = gsl_integration_fixed_weights(ws)[i] / sqrt(2 * M_PI);
  gsl_integration_fixed_free(ws);
  for (int i = 0; i < 24; i++)
    for (int j = 0; j < 24; j++) {
      double x[2] = {z[i], z[j]}, a[2], b[2];
      ctr_lfeat2_eval(f, x, a), ctr_grid_eval2(gr, x, b);
      acc += w[i] * w[j] * ((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]));
    }
  return acc;
}

static ctr_grid_result *grid(const ctr_schedule *s, const ctr_mixture *m) {
  ctr_grid_params gp;
  ctr_grid_params_default_d(&gp, 2);
  gp.coupling = 0, gp.refine = 0, gp.G = 101;
  ctr_grid_result *gr = NULL;
  ctr_error err = {0};
  if (ctr_grid_run(&gp, s, m, &gr, &err)) printf("# grid: %s\n", err.msg);
  return gr;
}

static void check_gaussian_limit(ctr_lfeat_kind kind) {
  const int64_t ns[3] = {4000, 16000, 64000};
  const int R = 3;
  ctr_schedule *s = sched(10);
  ctr_mixture *m = gauss();
  ctr_grid_result *gr = grid(s, m);
  if (!gr) {
    check_true("Gaussian limit: grid", 0, "");
    return;
  }
  double y[3];
  for (int k = 0; k < 3; k++) {
    double acc = 0;
    for (int r = 0; r < R; r++) {
      ctr_lfeat_params p = params(kind, 9, ns[k], 40 + (uint64_t)r, 0);
      ctr_lfeat2_result *res = run(&p, s, m);
      acc += res ? dist2_grid(&res->f, gr) : NAN;
      ctr_lfeat2_result_free(res);
    }
    y[k] = sqrt(acc / R);
    printf("# %s 2-D Gaussian N=10 M=9 n=%lld: RMS ||f_N - f_N grid|| = %.4g (x sqrt(n) = %.3f)\n",
           ctr_lfeat_kind_name(kind), (long long)ns[k], y[k], y[k] * sqrt((double)ns[k]));
  }
  double slope = log(y[2] / y[0]) / log((double)ns[2] / ns[0]);
  char msg[80];
  snprintf(msg, sizeof msg, "slope %.3f, %.3g at n = 64000", slope, y[2]);
  check_true("d = 2 features on a Gaussian -> the grid engine's f_N: slope in [-0.7, -0.35], "
             "< 0.02 at n = 64000", slope > -0.7 && slope < -0.35 && y[2] < 0.02, msg);
  ctr_grid_result_free(gr), ctr_mixture_free(m), ctr_schedule_free(s);
}

static void check_grid_limit(void) {
  const int64_t ns[3] = {1000, 10000, 100000};
  ctr_schedule *s = sched(10);
  ctr_mixture *m = three();
  ctr_grid_result *gr = grid(s, m);
  if (!gr) {
    check_true("three modes vs grid: setup", 0, "");
    return;
  }
  double d[3], epsF = 0;
  for (int k = 0; k < 3; k++) {
    double acc = 0;
    for (int r = 0; r < 2; r++) {
      ctr_lfeat_params p = params(CTR_LFEAT_RBF, 36, ns[k], 60 + (uint64_t)r, 1e-6);
      ctr_lfeat2_result *res = run(&p, s, m);
      acc += res ? dist2_grid(&res->f, gr) / 2 : NAN;
      if (res && k == 2) epsF = fmax(epsF, res->epsF_sum);
      ctr_lfeat2_result_free(res);
    }
    d[k] = sqrt(acc);
    printf("# rbf three modes N=10 M=36 n=%lld: RMS ||f_N - f_N grid|| = %.4g\n", (long long)ns[k], d[k]);
  }
  /* the limit n -> inf is the chain of population projections, not ideal CT: the squared
   * distance is a floor (set by the class error) plus a sampling part ~ 1/n, so
   * (d_1e3^2 - d_1e5^2) / (d_1e4^2 - d_1e5^2) ~ 10 */
  double ratio = (d[0] * d[0] - d[2] * d[2]) / (d[1] * d[1] - d[2] * d[2]);
  char msg[160];
  snprintf(msg, sizeof msg, "map %.4g -> %.4g -> %.4g, sampling-part ratio %.3g, sum eps_F %.3g", d[0],
           d[1], d[2], ratio, epsF);
  printf("# %s\n", msg);
  check_true("d = 2 rbf, three modes -> the grid engine: the distance falls with n, its sampling "
             "part like 1/n (ratio 1e3 : 1e4 in [4, 25]), to a floor below sum eps_F + 0.02",
             d[2] < d[1] && d[1] < d[0] && ratio > 4 && ratio < 25 && d[2] < epsF + 0.02, msg);
  ctr_grid_result_free(gr), ctr_mixture_free(m), ctr_schedule_free(s);
}

static void lmap(const void *ctx, const double *x, double *y) { ctr_lfeat2_eval(ctx, x, y); }

/* On a Gaussian Phi_{N->1}(x) = a_1 mu + P (x - a_N mu), P = U diag(sqrt(v_1 / v_N)) U^T: the
 * cubature's E_{q_N}||f - Phi|| against a 160 x 160 Gauss-Hermite rule in q_N's eigenbasis. */
static void check_coupling(void) {
  ctr_schedule *s = sched(10);
  ctr_mixture *m = gauss();
  ctr_lfeat_params p = params(CTR_LFEAT_RFF, 9, 500, 3, 0);
  ctr_lfeat2_result *r = run(&p, s, m);
  ctr_coupling2 c;
  ctr_error err = {0};
  if (!r || ctr_grid_coupling2(s, m, lmap, &r->f, 1e-6, 2000, &c, &err))
  {
    check_true("coupling: setup", 0, err.msg);
    return;
  }
  const double *U = m->U + m->U_off[0];
  double a1 = s->a[1], aN = s->a[s->N], P[4] = {0}, sd[2];
  for (int j = 0; j < 2; j++) {
    double l = m->lam[m->lam_off[0] + j], v1 = a1 * a1 * l + s->s[1] * s->s[1], vN = aN * aN * l + s->s[s->N] * s->s[s->N];
    sd[j] = sqrt(vN);
    for (int i = 0; i < 2; i++)
      for (int k = 0; k < 2; k++) P[i * 2 + k] += U[i * 2 + j] * sqrt(v1 / vN) * U[k * 2 + j];
  }
  enum { Q = 160 };
  double z[Q], w[Q], acc = 0, acc2 = 0;
  gsl_integration_fixed_workspace *ws = gsl_integration_fixed_alloc(gsl_integration_fixed_hermite, Q, 0, 0.5, 0, 0);
  for (int i = 0; i < Q; i++) z[i] = gsl_integration_fixed_nodes(ws)[i], w[i] = gsl_integration_fixed_weights(ws)[i] / sqrt(2 * M_PI);
  gsl_integration_fixed_free(ws);
  for (int i = 0; i < Q; i++)
    for (int j = 0; j < Q; j++) {
      double e0 = sd[0] * z[i], e1 = sd[1] * z[j];
      double dx[2] = {U[0] * e0 + U[1] * e1, U[2] * e0 + U[3] * e1};
      double x[2] = {aN * G_MU[0] + dx[0], aN * G_MU[1] + dx[1]}, f[2];
      ctr_lfeat2_eval(&r->f, x, f);
      double p0 = a1 * G_MU[0] + P[0] * dx[0] + P[1] * dx[1], p1 = a1 * G_MU[1] + P[2] * dx[0] + P[3] * dx[1];
      acc += w[i] * w[j] * hypot(f[0] - p0, f[1] - p1);
      acc2 += w[i] * w[j] * ((f[0] - p0) * (f[0] - p0) + (f[1] - p1) * (f[1] - p1));
    }
  char msg[200];
  snprintf(msg, sizeof msg, "E||f - Phi||^2: cubature %.10g (err %.2g, flow_err %.2g), Gauss-Hermite %.10g",
           c.sq, c.sq_err, c.flow_err, acc2);
  printf("# %s\n", msg);
  check_true("coupling cubature of a learned 2-D map: E||f - Phi||^2 (smooth) = independent "
             "Gauss-Hermite with the closed-form Phi to 1e-7 relative", fabs(c.sq - acc2) < 1e-7 * acc2 && c.sq > 1e-5, msg);
  /* E||f - Phi|| has a conical kink where f = Phi: Gauss-Hermite converges slowly there */
  snprintf(msg, sizeof msg, "E||f - Phi||: cubature %.9g (err %.2g), Gauss-Hermite %.9g", c.l1, c.l1_err, acc);
  printf("# %s\n", msg);
  check_true("coupling cubature E||f - Phi|| = Gauss-Hermite to 1e-3 relative (kinked integrand)",
             fabs(c.l1 - acc) < 1e-3 * acc && c.l1 > 0.005, msg);
  ctr_lfeat2_result_free(r), ctr_mixture_free(m), ctr_schedule_free(s);
}

static void check_threads_and_refusals(void) {
  ctr_schedule *s = sched(6);
  ctr_mixture *m = three();
  ctr_lfeat_params p = params(CTR_LFEAT_RFF, 12, 10000, 3, 1e-4); /* 5 Gram chunks */
  ctr_lfeat2_result *a = NULL, *b = NULL;
  ctr_coupling2 ca = {0}, cb = {0};
  ctr_error err = {0};
  int ok = 1;
  for (int th = 1; th <= 2; th++) {
    omp_set_num_threads(th);
    ctr_lfeat2_result *r = run(&p, s, m);
    ctr_coupling2 *c = th == 1 ? &ca : &cb;
    ok &= r && !ctr_grid_coupling2(s, m, lmap, &r->f, 1e-3, 2000, c, &err);
    if (th == 1) a = r;
    else b = r;
  }
  int same = ok && !memcmp(&a->f, &b->f, sizeof a->f) &&
             !memcmp(a->eps_t, b->eps_t, sizeof(double) * (size_t)(s->N + 1)) &&
             !memcmp(a->epsF_t, b->epsF_t, sizeof(double) * (size_t)(s->N + 1)) && ca.l1 == cb.l1 &&
             ca.sq == cb.sq;
  char msg[160];
  snprintf(msg, sizeof msg, "eps %.17g / %.17g, coupling %.17g / %.17g", ok ? a->eps_sum : NAN,
           ok ? b->eps_sum : NAN, ca.l1, cb.l1);
  printf("# %s\n", msg);
  check_true("d = 2: f_N, every eps_t, eps_F,t and the coupling are bit-identical at 1 and 2 threads", same, msg);
  double a0 = ok ? a->f.a[0] : NAN;
  ctr_lfeat2_result_free(a), ctr_lfeat2_result_free(b);
  p.base.seed = 4;
  ctr_lfeat2_result *c = run(&p, s, m);
  check_true("d = 2: another seed, other frequencies", c && ok && c->f.a[0] != a0, "");
  ctr_lfeat2_result_free(c);
  ctr_lfeat_params g = params(CTR_LFEAT_RBF, 10, 500, 3, 0), g9 = g;
  g.centres = g9.centres = CTR_LFEAT_GRID, g9.M = 9;
  int refused = ctr_lfeat_check(&g, 2, &err) == CTR_EINPUT && ctr_lfeat_check(&g9, 2, &err) == CTR_OK &&
                ctr_lfeat_check(&g9, 3, &err) == CTR_EINPUT;
  ctr_lfeat_params few = params(CTR_LFEAT_RFF, 10, 13, 3, 0);
  refused &= ctr_lfeat_check(&few, 2, &err) == CTR_EINPUT;
  few.base.train_n = 14;
  refused &= ctr_lfeat_check(&few, 2, &err) == CTR_OK;
  check_true("d = 2: grid centres with M = 10 (not a square), d = 3, n = M + 3 refused; M = 9 and "
             "n = M + 4 accepted", refused, err.msg);
  ctr_mixture_free(m), ctr_schedule_free(s);
}

int main(void) {
  gsl_set_error_handler_off();
  check_in_class();
  check_fstar_and_eps(CTR_LFEAT_RFF);
  check_fstar_and_eps(CTR_LFEAT_RBF);
  check_gaussian_limit(CTR_LFEAT_RFF);
  check_gaussian_limit(CTR_LFEAT_RBF);
  check_grid_limit();
  check_coupling();
  check_threads_and_refusals();
  return check_summary();
}
