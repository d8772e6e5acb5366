/* test_mixture.c: Gaussian mixtures (theory.md §5) against independent computations:
 * 1-D adaptive quadrature and 2-D cubature of E[X_0 | x], the single-Gaussian closed form,
 * finite differences of D, far-apart and tiny-s limits, validation messages, preset geometry,
 * and the moments of 1e6 draws. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_linalg.h>

#include "check.h"
#include "targets/mixture.h"

#define MAXD 8

static ctr_mixture *make(int K, int d, const double *w, const double *mu,
                         const ctr_mixture_cov *cov) {
  ctr_mixture *m = NULL;
  ctr_error err = {0};
  if (ctr_mixture_alloc(K, d, w, mu, cov, &m, &err)) {
    printf("FAIL - building a test mixture: %s\n", err.msg);
    exit(1);
  }
  return m;
}

static void posterior(const ctr_mixture *m, double a, double s, const double *x, double *D,
                      double *G) {
  double work[4096];
  ctr_error err = {0};
  if (ctr_mixture_posterior(m, a, s, x, D, G, NULL, work, &err)) {
    printf("FAIL - posterior at a = %g, s = %g: %s\n", a, s, err.msg);
    n_fail++;
  }
}

static double max_abs_diff(int n, const double *u, const double *v) {
  double e = 0;
  for (int i = 0; i < n; i++) e = fmax(e, isfinite(u[i]) ? fabs(u[i] - v[i]) : INFINITY);
  return e;
}

static double max_abs(int n, const double *u) {
  double e = 0;
  for (int i = 0; i < n; i++) e = fmax(e, fabs(u[i]));
  return e;
}

/* ------------------------------------------------- single Gaussian closed form */

/* D = mu + a Sigma S^-1 (x - a mu), G = a Sigma S^-1, S = a^2 Sigma + s^2 I, by Cholesky. */
static void gauss_closed(int d, const double *Sig, const double *mu, double a, double s,
                         const double *x, double *D, double *G) {
  gsl_matrix *S = gsl_matrix_alloc(d, d);
  for (int i = 0; i < d; i++)
    for (int j = 0; j < d; j++) gsl_matrix_set(S, i, j, a * a * Sig[i * d + j] + s * s * (i == j));
  if (gsl_linalg_cholesky_decomp1(S) || gsl_linalg_cholesky_invert(S)) {
    printf("FAIL - Cholesky of the closed-form S\n");
    n_fail++;
  }
  for (int i = 0; i < d; i++) {
    D[i] = mu[i];
    for (int j = 0; j < d; j++) {
      double acc = 0;
      for (int r = 0; r < d; r++) acc += Sig[i * d + r] * gsl_matrix_get(S, r, j);
      G[i * d + j] = a * acc;
    }
  }
  for (int i = 0; i < d; i++)
    for (int j = 0; j < d; j++) D[i] += G[i * d + j] * (x[j] - a * mu[j]);
  gsl_matrix_free(S);
}

static void test_single_gaussian(void) {
  enum { d = 3 };
  const double mu[d] = {0.3, -1.2, 2.0}, xs[d] = {0.7, 0.1, -0.4};
  const double full[d * d] = {2.0, 0.3, -0.2, 0.3, 1.0, 0.1, -0.2, 0.1, 0.5};
  const double diag[d] = {0.7, 1.9, 0.05}, iso = 0.8, w = 1.0;
  const double noise[][2] = {{0.8, 0.6}, {sqrt(1 - 1e-14), 1e-7}, {1e-20, 1.0}, {0.3, 0.95}};
  ctr_mixture_cov covs[3] = {{CTR_COV_FULL, full}, {CTR_COV_DIAG, diag}, {CTR_COV_ISO, &iso}};
  const char *names[3] = {"full", "diag", "iso"};
  for (int c = 0; c < 3; c++) {
    ctr_mixture *m = make(1, d, &w, mu, &covs[c]);
    double Sig[d * d], worst = 0, worstG = 0;
    ctr_mixture_component_cov(m, 0, Sig);
    for (int q = 0; q < 4; q++) {
      double a = noise[q][0], s = noise[q][1], D[d], G[d * d], Dr[d], Gr[d * d];
      posterior(m, a, s, xs, D, G);
      gauss_closed(d, Sig, mu, a, s, xs, Dr, Gr);
      worst = fmax(worst, max_abs_diff(d, D, Dr) / fmax(1, max_abs(d, Dr)));
      worstG = fmax(worstG, max_abs_diff(d * d, G, Gr) / fmax(1e-300, max_abs(d * d, Gr)));
    }
    char name[96];
    snprintf(name, sizeof name, "single %s Gaussian: D equals the closed form", names[c]);
    check_worst(name, worst, 1e-13, "4 noise levels");
    snprintf(name, sizeof name, "single %s Gaussian: gradD = a Sigma S^-1", names[c]);
    check_worst(name, worstG, 1e-12, "4 noise levels");
    ctr_mixture_free(m);
  }
}

/* ------------------------------------------------- 1-D quadrature and point masses */

typedef struct {
  const ctr_mixture *m;
  double a, s, x;
  int power; /* integrand x0^power p(x0) N(x; a x0, s^2) */
} integrand_1d;

static double f_1d(double x0, void *vp) {
  const integrand_1d *p = vp;
  double prior = 0;
  for (int k = 0; k < p->m->K; k++) {
    double v = p->m->lam[p->m->lam_off[k]], z = x0 - p->m->mu[k];
    prior += p->m->weight[k] * exp(-0.5 * z * z / v) / sqrt(2 * M_PI * v);
  }
  double r = (p->x - p->a * x0) / p->s;
  return pow(x0, p->power) * prior * exp(-0.5 * r * r);
}

static double quad_1d(integrand_1d *p, int power, gsl_integration_workspace *ws) {
  gsl_function F = {f_1d, p};
  double pts[] = {-30, -1, 0.5, 2, 30}, res, abserr;
  p->power = power;
  if (gsl_integration_qagp(&F, pts, 5, 1e-14, 1e-13, 2000, ws, &res, &abserr)) {
    printf("FAIL - 1-D quadrature did not converge\n");
    n_fail++;
  }
  return res;
}

static void test_quadrature_1d(void) {
  const double w[] = {0.2, 0.5, 0.3}, mu[] = {-1, 0.5, 2}, v[] = {0.04, 0.25, 0.01};
  ctr_mixture_cov cov[3] = {{CTR_COV_ISO, &v[0]}, {CTR_COV_ISO, &v[1]}, {CTR_COV_ISO, &v[2]}};
  ctr_mixture *m = make(3, 1, w, mu, cov);
  gsl_integration_workspace *ws = gsl_integration_workspace_alloc(2000);
  const double noise[][2] = {{0.8, 0.6}, {0.995, sqrt(1 - 0.995 * 0.995)}, {0.3, sqrt(0.91)}};
  double worst = 0, worstG = 0;
  for (int q = 0; q < 3; q++)
    for (double x = -2.5; x <= 3; x += 0.25) {
      integrand_1d p = {m, noise[q][0], noise[q][1], x, 0};
      double z0 = quad_1d(&p, 0, ws), z1 = quad_1d(&p, 1, ws), z2 = quad_1d(&p, 2, ws);
      double E = z1 / z0, var = z2 / z0 - E * E, D, G;
      posterior(m, p.a, p.s, &x, &D, &G);
      worst = fmax(worst, fabs(D - E));
      worstG = fmax(worstG, fabs(G - p.a / (p.s * p.s) * var) / fmax(1, fabs(G)));
    }
  check_worst("1-D three-mode mixture: D equals quadrature of E[X0|x]", worst, 1e-8,
              "3 noise levels x 23 points");
  check_worst("1-D three-mode mixture: gradD equals (a/s^2) Var[X0|x] by quadrature", worstG,
              1e-8, "3 noise levels x 23 points");
  gsl_integration_workspace_free(ws);
  ctr_mixture_free(m);
}

/* Point masses: the posterior is a discrete law; compute it directly in long double. */
static void test_point_masses(void) {
  enum { K = 5, d = 2 };
  const double w[K] = {0.1, 0.3, 0.2, 0.25, 0.15}, zero = 0;
  const double mu[K * d] = {1, 0, 0, 1, -1, 0.5, 0.2, -0.8, 0.6, 0.6};
  ctr_mixture_cov cov[K];
  for (int k = 0; k < K; k++) cov[k] = (ctr_mixture_cov){CTR_COV_ISO, &zero};
  ctr_mixture *m = make(K, d, w, mu, cov);
  double worst = 0, worstG = 0;
  for (int q = 0; q < 3; q++) {
    double s = q == 0 ? 0.5 : q == 1 ? 0.2 : 0.05, a = sqrt(1 - s * s);
    for (int t = 0; t < 20; t++) {
      double x[d] = {-1.2 + 0.13 * t, 0.9 - 0.09 * t}, D[d], G[d * d];
      long double lw[K], mx = -1e300L, Z = 0, E[d] = {0, 0}, C[d * d] = {0};
      for (int k = 0; k < K; k++) {
        long double r2 = 0;
        for (int i = 0; i < d; i++) r2 += powl(x[i] - a * mu[k * d + i], 2);
        lw[k] = logl(w[k]) - r2 / (2.0L * s * s), mx = fmaxl(mx, lw[k]);
      }
      for (int k = 0; k < K; k++) Z += expl(lw[k] - mx);
      for (int k = 0; k < K; k++)
        for (int i = 0; i < d; i++) E[i] += expl(lw[k] - mx) / Z * mu[k * d + i];
      for (int k = 0; k < K; k++)
        for (int i = 0; i < d; i++)
          for (int j = 0; j < d; j++)
            C[i * d + j] += expl(lw[k] - mx) / Z * (mu[k * d + i] - E[i]) * (mu[k * d + j] - E[j]);
      posterior(m, a, s, x, D, G);
      for (int i = 0; i < d; i++) worst = fmax(worst, fabs(D[i] - (double)E[i]));
      for (int i = 0; i < d * d; i++)
        worstG = fmax(worstG, fabs(G[i] - (double)(a / (s * s) * C[i])) / fmax(1, fabs(G[i])));
    }
  }
  check_worst("point cloud: D equals the direct discrete posterior mean", worst, 1e-13,
              "3 noise levels x 20 points");
  check_worst("point cloud: gradD equals (a/s^2) x discrete posterior covariance", worstG, 1e-12,
              "3 noise levels x 20 points");
  ctr_mixture_free(m);
}

/* ------------------------------------------------------------- 2-D cubature */

/* Trapezoid rule on a uniform grid: for smooth integrands decaying like Gaussians it
 * converges geometrically (error ~ exp(-2 pi^2 sigma^2 / h^2)), far below 1e-8 here. */
static void cubature_2d(const ctr_mixture *m, const double (*Sinv)[4], const double *det,
                        double a, double s, const double *x, double *E, double *C) {
  const double h = 0.02, L = 8;
  double z0 = 0, z1[2] = {0}, z2[4] = {0};
  int n = (int)(2 * L / h + 0.5);
  for (int p = 0; p <= n; p++)
    for (int q = 0; q <= n; q++) {
      double u[2] = {-L + p * h, -L + q * h}, prior = 0;
      for (int k = 0; k < m->K; k++) {
        double e0 = u[0] - m->mu[2 * k], e1 = u[1] - m->mu[2 * k + 1];
        double quad = Sinv[k][0] * e0 * e0 + 2 * Sinv[k][1] * e0 * e1 + Sinv[k][3] * e1 * e1;
        prior += m->weight[k] * exp(-0.5 * quad) / (2 * M_PI * sqrt(det[k]));
      }
      double r0 = (x[0] - a * u[0]) / s, r1 = (x[1] - a * u[1]) / s;
      double f = prior * exp(-0.5 * (r0 * r0 + r1 * r1));
      z0 += f, z1[0] += f * u[0], z1[1] += f * u[1];
      for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) z2[2 * i + j] += f * u[i] * u[j];
    }
  for (int i = 0; i < 2; i++) E[i] = z1[i] / z0;
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++) C[2 * i + j] = z2[2 * i + j] / z0 - E[i] * E[j];
}

static void test_cubature_2d(void) {
  const double w[] = {0.3, 0.45, 0.25}, mu[] = {-1, 0.5, 1.2, 0.8, 0.2, -1.5};
  const double S0[] = {0.3, 0.1, 0.1, 0.2}, S1[] = {0.09, 0.16}, S2 = 0.15;
  ctr_mixture_cov cov[3] = {{CTR_COV_FULL, S0}, {CTR_COV_DIAG, S1}, {CTR_COV_ISO, &S2}};
  ctr_mixture *m = make(3, 2, w, mu, cov);
  double Sinv[3][4], det[3];
  for (int k = 0; k < 3; k++) {
    double S[4];
    ctr_mixture_component_cov(m, k, S);
    det[k] = S[0] * S[3] - S[1] * S[2];
    Sinv[k][0] = S[3] / det[k], Sinv[k][1] = Sinv[k][2] = -S[1] / det[k];
    Sinv[k][3] = S[0] / det[k];
  }
  const double xs[][2] = {{0, 0}, {-1, 0.4}, {1.5, 0.5}, {0.3, -1.2}, {2, -2}};
  double worst = 0, worstG = 0;
  for (int q = 0; q < 2; q++) {
    double a = q ? 0.9 : 0.6, s = sqrt(1 - a * a);
    for (int t = 0; t < 5; t++) {
      double E[2], C[4], D[2], G[4];
      cubature_2d(m, (const double(*)[4])Sinv, det, a, s, xs[t], E, C);
      posterior(m, a, s, xs[t], D, G);
      worst = fmax(worst, max_abs_diff(2, D, E));
      for (int i = 0; i < 4; i++) C[i] *= a / (s * s);
      worstG = fmax(worstG, max_abs_diff(4, G, C) / fmax(1, max_abs(4, C)));
    }
  }
  check_worst("2-D mixture (full, diag, iso): D equals grid cubature of E[X0|x]", worst, 1e-8,
              "2 noise levels x 5 points");
  check_worst("2-D mixture: gradD equals (a/s^2) Cov[X0|x] by cubature", worstG, 1e-8,
              "2 noise levels x 5 points");
  ctr_mixture_free(m);
}

/* ------------------------------------------------------ finite differences */

static double fd_worst(const ctr_mixture *m, double a, double s, const double *x, double h) {
  int d = m->d;
  double D[MAXD], G[MAXD * MAXD], xp[MAXD], Dp[MAXD], Dm[MAXD], worst = 0;
  posterior(m, a, s, x, D, G);
  double scale = max_abs(d * d, G);
  for (int j = 0; j < d; j++) {
    memcpy(xp, x, sizeof(double) * d);
    xp[j] = x[j] + h, posterior(m, a, s, xp, Dp, NULL);
    xp[j] = x[j] - h, posterior(m, a, s, xp, Dm, NULL);
    for (int i = 0; i < d; i++)
      worst = fmax(worst, fabs((Dp[i] - Dm[i]) / (2 * h) - G[i * d + j]) / scale);
  }
  return worst;
}

static void test_finite_differences(void) {
  enum { d = 3 };
  const double w[] = {0.25, 0.35, 0.4}, mu[] = {1, 0, -0.5, -0.8, 0.6, 0.2, 0.1, -0.9, 0.7};
  const double full[] = {0.5, 0.1, 0.05, 0.1, 0.3, -0.02, 0.05, -0.02, 0.2};
  const double diag[] = {0.2, 0.05, 0.4}, iso = 0.1, zero = 0;
  ctr_mixture_cov cov[3] = {{CTR_COV_FULL, full}, {CTR_COV_DIAG, diag}, {CTR_COV_ISO, &iso}};
  ctr_mixture *m = make(3, d, w, mu, cov);
  const double xs[][d] = {{0.2, 0.1, 0}, {0.8, -0.3, -0.4}, {-0.5, 0.5, 0.3}};
  double worst = 0;
  for (int q = 0; q < 4; q++) {
    double s = q == 0 ? 0.6 : q == 1 ? 0.3 : q == 2 ? 0.1 : 1e-3, a = sqrt(1 - s * s);
    for (int t = 0; t < 3; t++) worst = fmax(worst, fd_worst(m, a, s, xs[t], 1e-5 * s));
  }
  check_worst("gradD (sum_k w_k [a Sigma_k S_k^-1 + (a/s^2) dm dm^T]) vs central differences",
              worst, 1e-6, "s = 0.6, 0.3, 0.1, 1e-3 x 3 points, relative to max|gradD|");
  ctr_mixture_free(m);
  ctr_mixture_cov pc[3] = {{CTR_COV_ISO, &zero}, {CTR_COV_ISO, &zero}, {CTR_COV_ISO, &zero}};
  m = make(3, d, w, mu, pc);
  const double xb[d] = {0.1, 0.3, -0.15}; /* between modes, so the weights move */
  worst = fd_worst(m, sqrt(1 - 0.04), 0.2, xb, 1e-6);
  check_worst("point cloud gradD vs central differences at s = 0.2", worst, 1e-6, "x between modes");
  ctr_mixture_free(m);
}

/* ------------------------------------------------------ far apart, tiny s */

static void test_far_apart(void) {
  const double w[] = {0.5, 0.5}, mu[] = {1e3, -1e3}, zero = 0, var = 0.01;
  ctr_mixture_cov pc[2] = {{CTR_COV_ISO, &zero}, {CTR_COV_ISO, &zero}};
  ctr_mixture_cov gc[2] = {{CTR_COV_ISO, &var}, {CTR_COV_ISO, &var}};
  ctr_mixture *pm = make(2, 1, w, mu, pc), *gm = make(2, 1, w, mu, gc);
  double s = 1e-7, a = sqrt(1 - s * s), D, G, Dg, Gg;
  int finite = 1, nearest = 1;
  for (double x = -2e3; x <= 2e3; x += 0.37) {
    if (x == 0) continue;
    posterior(pm, a, s, &x, &D, &G);
    posterior(gm, a, s, &x, &Dg, &Gg);
    finite &= isfinite(D) && isfinite(G) && isfinite(Dg) && isfinite(Gg);
    double k = x > 0 ? 0 : 1, mk = mu[(int)k] + a * var / (a * a * var + s * s) * (x - a * mu[(int)k]);
    nearest &= D == mu[(int)k] && fabs(Dg - mk) <= 1e-13 * fabs(mk);
  }
  check_true("means +-1e3, s = 1e-7: D and gradD finite everywhere", finite, "non-finite value");
  check_true("means +-1e3, s = 1e-7: D is the nearest component's posterior mean", nearest,
             "D differs from m_k of the nearest component");
  double x0 = 0;
  posterior(pm, a, s, &x0, &D, &G);
  check_close("point masses +-1e3, s = 1e-7, x = 0: D = 0 (equal weights)", D, 0, 0, 1e-9);
  check_rel("... and gradD = (a/s^2) 1e6, finite", G, a / (s * s) * 1e6, 1e-12);
  posterior(pm, 1e-20, 1.0, &x0, &D, &G);
  check_true("a = 1e-20: D finite", isfinite(D) && isfinite(G), "non-finite");
  check_close("a = 1e-20: D is the prior mean", D, 0, 0, 1e-12);
  ctr_mixture_free(pm), ctr_mixture_free(gm);
  /* a cloud of 200 points in d = 50 at s = 1e-7: every data point denoises to itself */
  ctr_mixture_params p;
  ctr_mixture_params_default(&p);
  p.kind = CTR_MIXTURE_CLOUD_BALL, p.d = 50, p.K = 200, p.radius = 1, p.seed = 7;
  ctr_mixture *cm = NULL;
  ctr_error err = {0};
  if (ctr_mixture_from_params(&p, &cm, &err)) {
    printf("FAIL - cloud preset: %s\n", err.msg);
    n_fail++;
    return;
  }
  double worst = 0, xd[50], Dd[50];
  for (int k = 0; k < 200; k += 17) {
    for (int i = 0; i < 50; i++) xd[i] = a * cm->mu[k * 50 + i] + s * 0.3;
    posterior(cm, a, s, xd, Dd, NULL);
    worst = fmax(worst, max_abs_diff(50, Dd, cm->mu + k * 50));
  }
  check_worst("cloud d = 50, K = 200, s = 1e-7: D at a data point is that point", worst, 1e-15,
              "12 points");
  ctr_mixture_free(cm);
}

/* ------------------------------------------------------- score, density */

static void test_score_density(void) {
  enum { d = 2 };
  const double w[] = {0.6, 0.4}, mu[] = {0.5, -0.2, -1, 1}, full[] = {0.4, 0.1, 0.1, 0.3};
  const double iso = 0.2, x[d] = {0.3, 0.4};
  ctr_mixture_cov cov[2] = {{CTR_COV_FULL, full}, {CTR_COV_ISO, &iso}};
  ctr_mixture *m = make(2, d, w, mu, cov);
  double a = 0.8, s = 0.6, D[d], sc[d], work[64], lq, lp, lm, h = 1e-5, worst = 0;
  ctr_error err = {0};
  posterior(m, a, s, x, D, NULL);
  ctr_mixture_score(m, a, s, x, sc, work, &err);
  for (int i = 0; i < d; i++)
    worst = fmax(worst, fabs(sc[i] + (x[i] - a * D[i]) / (s * s)) / fabs(sc[i]));
  check_worst("score = -(x - a D)/s^2", worst, 1e-13, "2 coordinates");
  worst = 0;
  ctr_mixture_log_density(m, a, s, x, &lq, work, &err);
  for (int i = 0; i < d; i++) {
    double xp[d] = {x[0], x[1]};
    xp[i] += h, ctr_mixture_log_density(m, a, s, xp, &lp, work, &err);
    xp[i] -= 2 * h, ctr_mixture_log_density(m, a, s, xp, &lm, work, &err);
    worst = fmax(worst, fabs((lp - lm) / (2 * h) - sc[i]) / fabs(sc[i]));
  }
  check_worst("score = grad log q by central differences of the log density", worst, 1e-8,
              "2 coordinates");
  /* log q at (a, s) = (1, 0+) is not testable; at a = 0 q = N(0, s^2 I) */
  ctr_mixture_log_density(m, 0, 1.0, x, &lq, work, &err);
  check_rel("log density at a = 0 is log N(x; 0, I)", lq,
            -0.5 * (x[0] * x[0] + x[1] * x[1]) - log(2 * M_PI), 1e-14);
  ctr_mixture_free(m);
}

/* ------------------------------------------------------------- validation */

static int expect_einput(const char *name, ctr_status st, const ctr_error *err, const char *needle) {
  int ok = st == CTR_EINPUT && strstr(err->msg, needle) != NULL;
  char detail[700];
  snprintf(detail, sizeof detail, "status %d, message '%s' (wanted '%s' in it)", (int)st, err->msg,
           needle);
  check_true(name, ok, detail);
  return ok;
}

static ctr_status try_alloc(int K, int d, const double *w, const double *mu,
                            const ctr_mixture_cov *cov, ctr_error *err) {
  ctr_mixture *m = NULL;
  memset(err, 0, sizeof *err);
  ctr_status st = ctr_mixture_alloc(K, d, w, mu, cov, &m, err);
  ctr_mixture_free(m);
  return st;
}

static void test_validation(void) {
  ctr_error err;
  const double w2[] = {0.5, 0.5}, mu2[] = {0, 1, 2, 3}, one = 1, neg = -0.25;
  ctr_mixture_cov iso2[2] = {{CTR_COV_ISO, &one}, {CTR_COV_ISO, &one}};
  const double wneg[] = {1.25, -0.25}, wsum[] = {0.5, 0.4}, wnan[] = {NAN, 1};
  expect_einput("refuses a negative weight", try_alloc(2, 2, wneg, mu2, iso2, &err), &err, "-0.25");
  expect_einput("refuses weights summing to 0.9 (sum reported)",
                try_alloc(2, 2, wsum, mu2, iso2, &err), &err, "0.9000000");
  expect_einput("refuses a NaN weight", try_alloc(2, 2, wnan, mu2, iso2, &err), &err, "nan");
  expect_einput("refuses K = 0", try_alloc(0, 2, w2, mu2, iso2, &err), &err, "K = 0");
  expect_einput("refuses d = 0", try_alloc(2, 0, w2, mu2, iso2, &err), &err, "d = 0");
  ctr_mixture_cov bad[2] = {{CTR_COV_ISO, &one}, {CTR_COV_ISO, &neg}};
  expect_einput("refuses a negative isotropic variance", try_alloc(2, 2, w2, mu2, bad, &err), &err,
                "-0.25");
  const double dneg[] = {1, -3}, dinf[] = {1, INFINITY};
  bad[1] = (ctr_mixture_cov){CTR_COV_DIAG, dneg};
  expect_einput("refuses a negative diagonal variance", try_alloc(2, 2, w2, mu2, bad, &err), &err,
                "-3");
  bad[1] = (ctr_mixture_cov){CTR_COV_DIAG, dinf};
  expect_einput("refuses an infinite variance", try_alloc(2, 2, w2, mu2, bad, &err), &err, "inf");
  const double munan[] = {0, 1, NAN, 3};
  expect_einput("refuses a NaN mean", try_alloc(2, 2, w2, munan, iso2, &err), &err, "nan");
  const double nsym[] = {1, 0.5, 0.25, 1}, npsd[] = {1, 2, 2, 1};
  bad[1] = (ctr_mixture_cov){CTR_COV_FULL, nsym};
  expect_einput("refuses a non-symmetric covariance", try_alloc(2, 2, w2, mu2, bad, &err), &err,
                "0.25");
  bad[1] = (ctr_mixture_cov){CTR_COV_FULL, npsd};
  expect_einput("refuses a non-PSD covariance (eigenvalue -1 reported)",
                try_alloc(2, 2, w2, mu2, bad, &err), &err, "smallest eigenvalue -1");
  bad[1] = (ctr_mixture_cov){(ctr_cov_kind)7, &one};
  expect_einput("refuses an unknown covariance kind", try_alloc(2, 2, w2, mu2, bad, &err), &err,
                "kind 7");
  /* noise level and x */
  ctr_mixture *m = make(2, 2, w2, mu2, iso2);
  double work[64], D[2], x[2] = {0, 0}, xn[2] = {0, NAN};
  memset(&err, 0, sizeof err);
  expect_einput("refuses s = 0", ctr_mixture_posterior(m, 1, 0, x, D, NULL, NULL, work, &err),
                &err, "s = 0");
  expect_einput("refuses a non-finite x",
                ctr_mixture_posterior(m, 0.8, 0.6, xn, D, NULL, NULL, work, &err), &err, "x[1]");
  ctr_mixture_free(m);
}

static void test_preset_validation(void) {
  ctr_mixture_params p;
  ctr_mixture *m = NULL;
  ctr_error err = {0};
  ctr_mixture_preset kind;
  ctr_mixture_params_default(&p);
  p.kind = CTR_MIXTURE_SIMPLEX, p.d = 3, p.K = 5;
  expect_einput("simplex refuses K = d + 2", ctr_mixture_from_params(&p, &m, &err), &err, "K = 5");
  p.kind = CTR_MIXTURE_SPHERE, p.K = 4, p.sigma = -0.5;
  expect_einput("preset refuses sigma < 0", ctr_mixture_from_params(&p, &m, &err), &err, "-0.5");
  p.sigma = 0.1, p.radius = NAN;
  expect_einput("preset refuses a NaN radius", ctr_mixture_from_params(&p, &m, &err), &err, "nan");
  p.radius = 1, p.d = 0;
  expect_einput("preset refuses d = 0", ctr_mixture_from_params(&p, &m, &err), &err, "d = 0");
  p.d = 2, p.K = 0;
  expect_einput("preset refuses K = 0", ctr_mixture_from_params(&p, &m, &err), &err, "K = 0");
  expect_einput("unknown preset name", ctr_mixture_preset_parse("trimodal", &kind, &err), &err,
                "trimodal");
  check_true("preset names parse back", !ctr_mixture_preset_parse("cloud_ball", &kind, &err) &&
                                            kind == CTR_MIXTURE_CLOUD_BALL, err.msg);
}

/* ------------------------------------------------------------------ files */

static const char *write_file(const char *text) {
  static char path[64];
  snprintf(path, sizeof path, "/tmp/test_mixture_%d.txt", (int)getpid());
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
  return path;
}

static void test_file(void) {
  const char *good = "# three components in d = 2\n"
                     "3 2\n"
                     "0.25\n1 0.5   # mean\niso 0.3\n"
                     "0.25\n-1 0\ndiag 0.1 0.2\n"
                     "0.5\n0 -1\nfull\n 0.4 0.1\n 0.1 0.3\n";
  ctr_mixture *m = NULL, *r = NULL;
  ctr_error err = {0};
  const char *path = write_file(good);
  ctr_status st = ctr_mixture_read(path, &m, &err);
  check_true("reads a mixture file with iso, diag and full components", st == CTR_OK, err.msg);
  if (st) return;
  const double w[] = {0.25, 0.25, 0.5}, mu[] = {1, 0.5, -1, 0, 0, -1}, iso = 0.3;
  const double diag[] = {0.1, 0.2}, full[] = {0.4, 0.1, 0.1, 0.3};
  ctr_mixture_cov cov[3] = {{CTR_COV_ISO, &iso}, {CTR_COV_DIAG, diag}, {CTR_COV_FULL, full}};
  r = make(3, 2, w, mu, cov);
  double x[2] = {0.2, -0.3}, D1[2], D2[2], G1[4], G2[4];
  posterior(m, 0.7, sqrt(0.51), x, D1, G1);
  posterior(r, 0.7, sqrt(0.51), x, D2, G2);
  check_true("file mixture equals the one built from arrays",
             max_abs_diff(2, D1, D2) == 0 && max_abs_diff(4, G1, G2) == 0, "posteriors differ");
  ctr_mixture_free(m), ctr_mixture_free(r);
  struct {
    const char *text, *needle, *name;
  } bad[] = {
      {"2 1\n0.5\n0\niso 1\n", "file ends where weight", "file with fewer components than K"},
      {"1 2\n1\n0 0\ndiag 1\n", "file ends where variance", "diag with fewer than d variances"},
      {"1 1\n1\n0\nbox 1\n", "'box' is unknown", "unknown covariance kind"},
      {"1 1\n1\nzero\niso 1\n", "'zero' is not a finite number", "non-numeric mean"},
      {"1 1\n1\n0\niso 1\n7\n", "unexpected text", "trailing numbers"},
      {"1.5 1\n", "K = 1.5", "non-integer K"},
      {"2 1\n0.5\n0\niso 1\n0.25\n1\niso 1\n", "0.75", "weights summing to 0.75"},
      {"1 2\n1\n0 0\nfull\n1 2\n2 1\n", "smallest eigenvalue -1", "non-PSD full covariance"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char name[96];
    snprintf(name, sizeof name, "file refused: %s", bad[i].name);
    memset(&err, 0, sizeof err);
    expect_einput(name, ctr_mixture_read(write_file(bad[i].text), &m, &err), &err, bad[i].needle);
  }
  expect_einput("missing file refused", ctr_mixture_read("/nonexistent/mix.txt", &m, &err), &err,
                "/nonexistent/mix.txt");
  remove(path);
}

/* ------------------------------------------------------------------ presets */

static ctr_mixture *preset(ctr_mixture_preset kind, int d, int K, double R, int growing,
                           uint64_t seed) {
  ctr_mixture_params p;
  ctr_mixture_params_default(&p);
  p.kind = kind, p.d = d, p.K = K, p.radius = R, p.radius_growing = growing, p.seed = seed;
  p.sigma = 0.2, p.m = 1.5;
  ctr_mixture *m = NULL;
  ctr_error err = {0};
  if (ctr_mixture_from_params(&p, &m, &err)) {
    printf("FAIL - preset %s: %s\n", ctr_mixture_preset_name(kind), err.msg);
    n_fail++;
    exit(1);
  }
  return m;
}

static double norm(int d, const double *x) {
  double n2 = 0;
  for (int i = 0; i < d; i++) n2 += x[i] * x[i];
  return sqrt(n2);
}

static void test_presets(void) {
  ctr_mixture *m = preset(CTR_MIXTURE_TWO_MODES, 3, 9, 1, 0, 1);
  check_true("two_modes: K = 2, means +-m e_1, weights 1/2, variance sigma^2",
             m->K == 2 && m->mu[0] == 1.5 && m->mu[3] == -1.5 && m->mu[1] == 0 &&
                 m->weight[0] == 0.5 && m->lam[0] == 0.2 * 0.2,
             "wrong geometry");
  ctr_mixture_free(m);
  for (int K = 2; K <= 6; K++) {
    int d = 5;
    m = preset(CTR_MIXTURE_SIMPLEX, d, K, 2.0, 1, 1);
    double R = 2.0 * sqrt(d), dist = sqrt(2.0 * K / (K - 1)) * R, worst = 0, c[5] = {0};
    for (int i = 0; i < K; i++) {
      worst = fmax(worst, fabs(norm(d, m->mu + i * d) - R) / R);
      for (int t = 0; t < d; t++) c[t] += m->mu[i * d + t] / K;
      for (int j = 0; j < i; j++) {
        double diff[5];
        for (int t = 0; t < d; t++) diff[t] = m->mu[i * d + t] - m->mu[j * d + t];
        worst = fmax(worst, fabs(norm(d, diff) - dist) / dist);
      }
    }
    worst = fmax(worst, norm(d, c) / R);
    char name[96];
    snprintf(name, sizeof name, "simplex K = %d, d = 5: radius R = 2 sqrt(d), equidistant, centred",
             K);
    check_worst(name, worst, 1e-14, "vertices");
    ctr_mixture_free(m);
  }
  ctr_mixture *a = preset(CTR_MIXTURE_SPHERE, 7, 40, 3.0, 0, 11);
  ctr_mixture *b = preset(CTR_MIXTURE_SPHERE, 7, 40, 3.0, 0, 11);
  ctr_mixture *c = preset(CTR_MIXTURE_SPHERE, 7, 40, 3.0, 0, 12);
  ctr_mixture *e = preset(CTR_MIXTURE_CLOUD_SPHERE, 7, 40, 3.0, 0, 11);
  double worst = 0;
  for (int k = 0; k < 40; k++) worst = fmax(worst, fabs(norm(7, a->mu + k * 7) - 3.0) / 3.0);
  check_worst("sphere: every mode has norm R", worst, 1e-14, "40 modes");
  check_true("sphere: same (seed, d, K) gives the same mixture",
             !memcmp(a->mu, b->mu, sizeof(double) * 280), "means differ");
  check_true("sphere: another seed gives other points", memcmp(a->mu, c->mu, sizeof(double) * 280),
             "means equal");
  check_true("cloud_sphere: the sphere preset's points with sigma = 0",
             !memcmp(a->mu, e->mu, sizeof(double) * 280) && e->lam[0] == 0 &&
                 fabs(e->radius - 3.0) < 1e-14 && isinf(a->radius),
             "differs");
  ctr_mixture_free(a), ctr_mixture_free(b), ctr_mixture_free(c), ctr_mixture_free(e);
  a = preset(CTR_MIXTURE_CLOUD_BALL, 4, 5000, 1.5, 0, 3);
  b = preset(CTR_MIXTURE_CLOUD_BALL, 4, 5000, 1.5, 0, 3);
  double rmax = 0, mean_r4 = 0;
  for (int k = 0; k < 5000; k++) {
    double r = norm(4, a->mu + k * 4);
    rmax = fmax(rmax, r), mean_r4 += pow(r / 1.5, 4) / 5000;
  }
  check_true("cloud_ball: deterministic in the seed", !memcmp(a->mu, b->mu, sizeof(double) * 20000),
             "means differ");
  check_true("cloud_ball: every point has norm <= R", rmax <= 1.5, "a point outside the ball");
  /* uniform in the 4-ball: (r/R)^4 is uniform on (0, 1), mean 1/2, sd 1/sqrt(12 n) */
  check_close("cloud_ball: (|x|/R)^d uniform (mean 1/2 within 5 standard errors)", mean_r4, 0.5,
              0, 5 / sqrt(12.0 * 5000));
  ctr_mixture_free(a), ctr_mixture_free(b);
}

/* ------------------------------------------------------------------ sampling */

static void test_sampling(void) {
  enum { d = 3, n = 1000000 };
  const double w[] = {0.3, 0.2, 0.5}, mu[] = {1, 0, -0.5, -1, 2, 0.3, 0.2, -0.7, 1};
  const double full[] = {0.5, 0.2, 0.05, 0.2, 0.3, -0.02, 0.05, -0.02, 0.2};
  const double diag[] = {0.2, 0.05, 0.4}, iso = 0.1;
  ctr_mixture_cov cov[3] = {{CTR_COV_FULL, full}, {CTR_COV_DIAG, diag}, {CTR_COV_ISO, &iso}};
  ctr_mixture *m = make(3, d, w, mu, cov);
  double *X = malloc(sizeof(double) * n * d), mean[d], C[d * d], sm[d] = {0}, sc[d * d] = {0},
         s4[d * d] = {0};
  ctr_rng r;
  ctr_error err = {0};
  ctr_rng_init(&r, 5, CTR_RNG_TEST, 1, 0);
  if (!X || ctr_mixture_sample(m, &r, n, X, &err)) {
    printf("FAIL - sampling: %s\n", err.msg);
    n_fail++;
    exit(1);
  }
  ctr_mixture_mean(m, mean);
  ctr_mixture_covariance(m, C);
  for (size_t t = 0; t < n; t++)
    for (int i = 0; i < d; i++) sm[i] += X[t * d + i] / n;
  for (size_t t = 0; t < n; t++)
    for (int i = 0; i < d; i++)
      for (int j = 0; j < d; j++) {
        double p = (X[t * d + i] - mean[i]) * (X[t * d + j] - mean[j]);
        sc[i * d + j] += p / n, s4[i * d + j] += p * p / n;
      }
  double zm = 0, zc = 0;
  for (int i = 0; i < d; i++) zm = fmax(zm, fabs(sm[i] - mean[i]) / sqrt(C[i * d + i] / n));
  for (int i = 0; i < d * d; i++)
    zc = fmax(zc, fabs(sc[i] - C[i]) / sqrt((s4[i] - sc[i] * sc[i]) / n));
  check_worst("1e6 draws: sample mean within 5 standard errors (largest z)", zm, 5, "d = 3");
  check_worst("1e6 draws: sample covariance within 5 standard errors (largest z)", zc, 5, "d = 3");
  /* posterior draws: their mean is D(x), their covariance (s^2/a) gradD */
  enum { np = 200000 };
  double a = 0.7, s = sqrt(0.51), x[d] = {0.1, 0.4, -0.2}, D[d], G[d * d], work[64], y[d];
  double pm[d] = {0};
  posterior(m, a, s, x, D, G);
  for (int t = 0; t < np; t++) {
    if (ctr_mixture_posterior_sample(m, a, s, x, &r, y, work, &err)) break;
    for (int i = 0; i < d; i++) pm[i] += y[i] / np;
  }
  double zp = 0;
  for (int i = 0; i < d; i++) zp = fmax(zp, fabs(pm[i] - D[i]) / sqrt(s * s / a * G[i * d + i] / np));
  check_worst("2e5 posterior draws: mean equals D(x) within 5 standard errors", zp, 5, "d = 3");
  free(X);
  ctr_mixture_free(m);
}

/* ------------------------------------------------------------ denoiser */

static void test_denoiser(void) {
  /* K d large enough for the per-call malloc path, and a small one for the stack path */
  for (int big = 0; big < 2; big++) {
    ctr_mixture *m = preset(CTR_MIXTURE_SPHERE, 3, big ? 2000 : 5, 1.0, 0, 4);
    ctr_denoiser dn = ctr_mixture_denoiser(m);
    double x[3] = {0.3, -0.2, 0.5}, D1[3], D2[3], G1[9], G2[9];
    ctr_error err = {0};
    ctr_status st = dn.eval(dn.ctx, 0.8, 0.6, x, D1, G1, &err);
    double *work = malloc(sizeof(double) * ctr_mixture_work_len(m));
    ctr_mixture_posterior(m, 0.8, 0.6, x, D2, G2, NULL, work, &err);
    check_true(big ? "denoiser eval (heap scratch, K = 2000) equals ctr_mixture_posterior"
                   : "denoiser eval (stack scratch, K = 5) equals ctr_mixture_posterior",
               st == CTR_OK && dn.d == 3 && !max_abs_diff(3, D1, D2) && !max_abs_diff(9, G1, G2),
               "differs");
    free(work);
    ctr_mixture_free(m);
  }
}

int main(void) {
  gsl_set_error_handler_off();
  test_single_gaussian();
  test_quadrature_1d();
  test_point_masses();
  test_cubature_2d();
  test_finite_differences();
  test_far_apart();
  test_score_density();
  test_validation();
  test_preset_validation();
  test_file();
  test_presets();
  test_sampling();
  test_denoiser();
  return check_summary();
}
