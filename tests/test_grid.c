/* test_grid.c: checks of the grid CT engine (engines/grid.c), theory.md §2, §4, §5:
 *   a. single Gaussian (K = 1): f_N on the grid against the closed-form affine CT
 *      f_N(x) = a_1 mu + A_N (x - a_N mu), A_N = prod_{t=2..N} m_t (N = 100, 1000)
 *   b. its W1, W2 (inputs N(0, 1) and q_N) and coupling E|f_N - Phi| (and E|f_N - Phi|^2)
 *      against closed forms;
 *      the true error within 10x the refinement estimate (plus the quadrature's abserr) and
 *      the estimate far below the CT error
 *   c. fit-bias: f_N shifted by exactly eps u
 *   d. two modes +-1, sigma = 0.1: W1 decreases over N = 50..400 and stays far above the
 *      discretisation estimate; the estimate bounds the error against a much finer run
 *   e. point cloud (sigma = 0): finite results
 *   f. refusals (d = 3, bad G, unsupported error model); timings live in bench/, not here
 *   g. d = 2: single Gaussians (non-isotropic diagonal, rotated full covariance) against the
 *      closed-form affine CT map f_N(x) = a_1 mu + Q diag(A) Q^T (x - a_N mu) at the grid
 *      points, and the coupling E||f_N - Phi||, E||f_N - Phi||^2 against closed forms;
 *      fit-bias in d = 2; two modes at (+-1, 0), N = 200, K = 2 with the d = 2 defaults
 *      (refinement and coupling) within the time budget
 * Prints "ok - name" or "FAIL - name: ..."; exits 0 when every check passes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>

#include "check.h"
#include "fixtures.h"
#include "engines/grid.h"
#include "engines/grid_spline.h"
#include "core/error_model.h"
#include "targets/mixture.h"
#include "core/schedule.h"

/* Symmetric K = 2 mixture +-m with variance v each (v = 0: point cloud), or K = 1 at mu. */
static ctr_mixture *make_mix(int K, double m, double v) {
  double w[2] = {K == 1 ? 1.0 : 0.5, 0.5}, mu[2] = {K == 1 ? m : -m, m}, vv[2] = {v, v};
  ctr_mixture_cov cov[2] = {{CTR_COV_ISO, vv}, {CTR_COV_ISO, vv + 1}};
  ctr_mixture *mx = NULL;
  ctr_error err = {0};
  die_if(ctr_mixture_alloc(K, 1, w, mu, cov, &mx, &err), &err, "mixture alloc");
  return mx;
}

static ctr_grid_result *run(const ctr_grid_params *p, const ctr_schedule *s,
                            const ctr_mixture *m, const char *what) {
  ctr_grid_result *r = NULL;
  ctr_error err = {0};
  die_if(ctr_grid_run(p, s, m, &r, &err), &err, what);
  return r;
}

/* theory.md §4: A_N = prod_{t=2..N} (a_t a_{t-1} lam + s_t s_{t-1}) / v_t (N <= 1e3: the
 * product loses < 1e-13 here). */
static double affine_A(const ctr_schedule *s, double lam) {
  double A = 1;
  for (int64_t t = 2; t <= s->N; t++) {
    double v = s->a[t] * s->a[t] * lam + s->s[t] * s->s[t];
    A *= (s->a[t] * s->a[t - 1] * lam + s->s[t] * s->s[t - 1]) / v;
  }
  return A;
}

/* 1-D Gaussian W1 (theory.md §4) from the mean difference and the standard deviations. */
static double gauss_w1(double dm, double sd1, double sd2) {
  double sd = fabs(sd1 - sd2);
  if (sd == 0) return fabs(dm);
  return sd * sqrt(2 / M_PI) * exp(-dm * dm / (2 * sd * sd)) + dm * (1 - 2 * gsl_cdf_ugaussian_P(-dm / sd));
}

/* true error within 10x (estimate + quadrature abserr) + 1e-12 relative floor */
static void check_bounded(const char *name, double got, double want, double est, double quad) {
  char buf[256];
  double e = fabs(got - want), lim = 10 * (est + quad) + 1e-12 * fabs(want);
  snprintf(buf, sizeof buf, "%s (err %.2e, disc est %.2e, quad %.2e)", name, e, est, quad);
  check_worst(buf, e, lim, "true error above 10x the estimates");
}

static void gauss_case(int64_t N, double mu, double lam) {
  ctr_schedule *s = fixture_schedule(N);
  ctr_mixture *m = make_mix(1, mu, lam);
  ctr_grid_params p;
  ctr_grid_params_default(&p);
  ctr_grid_result *r = run(&p, s, m, "gaussian run");
  double A = affine_A(s, lam), a1 = s->a[1], aN = s->a[N], worst = 0, scale = 0;
  double v1 = a1 * a1 * lam + s->s[1] * s->s[1], vN = aN * aN * lam + s->s[N] * s->s[N];
  for (int i = 0; i < r->G; i++) {
    double x = r->lo + i * (r->hi - r->lo) / (r->G - 1), fc = a1 * mu + A * (x - aN * mu);
    worst = fmax(worst, fabs(r->f[i] - fc)), scale = fmax(scale, fabs(fc));
  }
  char name[160];
  snprintf(name, sizeof name, "gaussian N = %lld mu = %g lam = %g: f_N on the grid = affine CT "
           "(relative)", (long long)N, mu, lam);
  check_worst(name, worst / scale, 1e-8, "grid CT differs from the closed form");
  double dm = -A * aN * mu, w1g = gauss_w1(dm, A, sqrt(v1)), w2g = hypot(dm, A - sqrt(v1));
  double w1q = gauss_w1(0, A * sqrt(vN), sqrt(v1)), w2q = fabs(A * sqrt(vN) - sqrt(v1));
  double cpl = fabs(A - sqrt(v1 / vN)) * sqrt(vN) * sqrt(2 / M_PI);
  snprintf(name, sizeof name, "gaussian N = %lld: W1 input N(0,1)", (long long)N);
  check_bounded(name, r->base.w1_gauss, w1g, r->disc.w1_gauss, r->quad_err);
  snprintf(name, sizeof name, "gaussian N = %lld: W2 input N(0,1)", (long long)N);
  check_bounded(name, r->base.w2_gauss, w2g, r->disc.w2_gauss, r->quad_err);
  snprintf(name, sizeof name, "gaussian N = %lld: W1 input q_N", (long long)N);
  check_bounded(name, r->base.w1_qN, w1q, r->disc.w1_qN, r->quad_err);
  snprintf(name, sizeof name, "gaussian N = %lld: W2 input q_N", (long long)N);
  check_bounded(name, r->base.w2_qN, w2q, r->disc.w2_qN, r->quad_err);
  snprintf(name, sizeof name, "gaussian N = %lld: coupling E|f_N - Phi|", (long long)N);
  check_bounded(name, r->base.coupling, cpl, r->disc.coupling, r->quad_err + r->flow_err);
  double cpl_sq = (A - sqrt(v1 / vN)) * (A - sqrt(v1 / vN)) * vN;
  snprintf(name, sizeof name, "gaussian N = %lld: coupling_sq E|f_N - Phi|^2 (root)", (long long)N);
  check_bounded(name, sqrt(r->base.coupling_sq), sqrt(cpl_sq), fabs(sqrt(r->fine.coupling_sq) -
                sqrt(r->base.coupling_sq)), r->quad_err + r->flow_err);
  snprintf(name, sizeof name, "gaussian N = %lld: estimate far below the CT error", (long long)N);
  check_worst(name, r->disc_max, 1e-3 * w1q, "discretisation estimate not small");
  check_true("gaussian: f_N monotone", r->monotone, "f_N not monotone");
  printf("# gaussian N=%lld mu=%g lam=%g: W1g %.6e (cf %.6e) W1q %.6e (cf %.6e) coupling "
         "%.6e (cf %.6e) disc %.1e quad %.1e flow %.1e\n", (long long)N, mu, lam,
         r->base.w1_gauss, w1g, r->base.w1_qN, w1q, r->base.coupling, cpl, r->disc_max,
         r->quad_err, r->flow_err);
  ctr_grid_result_free(r), ctr_mixture_free(m), ctr_schedule_free(s);
}

static void bias_case(void) {
  ctr_schedule *s = fixture_schedule(200);
  ctr_mixture *m = make_mix(1, 0.3, 0.5);
  ctr_grid_params p;
  ctr_grid_params_default(&p);
  p.refine = 0, p.coupling = 0, p.G = 401;
  ctr_grid_result *r0 = run(&p, s, m, "bias run 0");
  p.error.kind = CTR_ERR_FIT_BIAS, p.error.eps = 0.05;
  ctr_grid_result *r1 = run(&p, s, m, "bias run 1");
  double worst = 0;
  for (int i = 0; i < r0->G; i++) worst = fmax(worst, fabs(r1->f[i] - r0->f[i] - r1->eps_total));
  check_worst("fit-bias: f_N = f*_N + eps u", worst, 1e-12, "shift is not eps u");
  check_close("fit-bias: |eps_total| = eps", fabs(r1->eps_total), 0.05, 1e-15, 0);
  ctr_grid_result_free(r0), ctr_grid_result_free(r1), ctr_mixture_free(m), ctr_schedule_free(s);
}

static void two_modes(void) {
  static const int64_t Ns[] = {50, 100, 200, 400};
  double prev = INFINITY;
  ctr_mixture *m = make_mix(2, 1.0, 0.01);
  for (int i = 0; i < 4; i++) {
    ctr_schedule *s = fixture_schedule(Ns[i]);
    ctr_grid_params p;
    ctr_grid_params_default(&p);
    ctr_grid_result *r = run(&p, s, m, "two-mode run");
    char name[160];
    snprintf(name, sizeof name, "two modes N = %lld: W1 decreases (%.4e < %.4e)",
             (long long)Ns[i], r->base.w1_gauss, prev);
    check_true(name, r->base.w1_gauss < prev && r->base.w1_qN > 0, "W1 did not decrease");
    snprintf(name, sizeof name, "two modes N = %lld: discretisation << W1", (long long)Ns[i]);
    check_worst(name, r->disc_max, 1e-2 * r->base.w1_qN, "discretisation estimate too large");
    printf("# two modes sigma 0.1 N=%lld: W1g %.6e W2g %.6e W1q %.6e W2q %.6e coupling %.6e "
           "disc %.1e quad %.1e mono %d\n", (long long)Ns[i], r->base.w1_gauss,
           r->base.w2_gauss, r->base.w1_qN, r->base.w2_qN, r->base.coupling, r->disc_max,
           r->quad_err, r->monotone);
    prev = r->base.w1_gauss;
    ctr_grid_result_free(r), ctr_schedule_free(s);
  }
  ctr_mixture_free(m);
}

/* A coarse run's refinement estimate against its distance to a much finer run. */
static void estimate_vs_reference(void) {
  ctr_schedule *s = fixture_schedule(100);
  ctr_mixture *m = make_mix(2, 1.0, 0.01);
  ctr_grid_params p;
  ctr_grid_params_default(&p);
  p.G = 201, p.Q = 6, p.coupling = 0;
  ctr_grid_result *c = run(&p, s, m, "coarse run");
  p.G = 8001, p.Q = 48, p.refine = 0;
  ctr_grid_result *f = run(&p, s, m, "reference run");
  double tru = fmax(fabs(c->base.w1_gauss - f->base.w1_gauss), fabs(c->base.w1_qN - f->base.w1_qN));
  double est = fmax(c->disc.w1_gauss, c->disc.w1_qN);
  printf("# coarse G=201 Q=6 N=100: true W1 error %.3e, estimate %.3e\n", tru, est);
  check_worst("two modes coarse: true error <= 10x refinement estimate", tru, 10 * est + 1e-12,
              "estimate too optimistic");
  ctr_grid_result_free(c), ctr_grid_result_free(f), ctr_mixture_free(m), ctr_schedule_free(s);
}

static void point_cloud(void) {
  ctr_schedule *s = fixture_schedule(200);
  ctr_mixture *m = make_mix(2, 1.0, 0.0);
  ctr_grid_params p;
  ctr_grid_params_default(&p);
  ctr_grid_result *r = run(&p, s, m, "point-cloud run");
  int fin = isfinite(r->base.w1_gauss) && isfinite(r->base.w2_gauss) && isfinite(r->base.w1_qN) &&
            isfinite(r->base.w2_qN) && isfinite(r->base.coupling) && isfinite(r->disc_max);
  for (int i = 0; i < r->G; i++) fin = fin && isfinite(r->f[i]);
  check_true("point cloud sigma = 0: finite f_N and metrics", fin, "NaN or inf");
  printf("# point cloud N=200: W1g %.6e W1q %.6e coupling %.6e disc %.1e mono %d\n",
         r->base.w1_gauss, r->base.w1_qN, r->base.coupling, r->disc_max, r->monotone);
  ctr_grid_result_free(r), ctr_mixture_free(m), ctr_schedule_free(s);
}

static void refusals(void) {
  ctr_schedule *s = fixture_schedule(50);
  double w = 1, mu[3] = {0, 0, 0}, v = 1;
  ctr_mixture_cov cov = {CTR_COV_ISO, &v};
  ctr_mixture *m2 = NULL, *m1 = make_mix(1, 0, 1);
  ctr_error err = {0};
  die_if(ctr_mixture_alloc(1, 3, &w, mu, &cov, &m2, &err), &err, "d = 3 mixture");
  ctr_grid_params p;
  ctr_grid_params_default(&p);
  ctr_grid_result *r = NULL;
  check_true("refuses d = 3", ctr_grid_run(&p, s, m2, &r, &err) == CTR_EINPUT && !r, err.msg);
  printf("# message: %s\n", err.msg);
  p.G = 3;
  check_true("refuses G = 3", ctr_grid_run(&p, s, m1, &r, &err) == CTR_EINPUT && !r, err.msg);
  ctr_grid_params_default(&p);
  p.error.kind = CTR_ERR_SCORE_SCALE, p.error.eps = 0.1;
  check_true("refuses score-scale", ctr_grid_run(&p, s, m1, &r, &err) == CTR_EINPUT, err.msg);
  ctr_mixture_free(m1), ctr_mixture_free(m2), ctr_schedule_free(s);
}

/* The 10 s budget holds for optimised builds; sanitizer and -O0 builds get a loose limit. */
/* ---------------------------------------------------------------- d = 2 */

/* E||B Z|| for B B^T = diag(s2[0], s2[1]) (theory.md §4 identity, nu = 0):
 * (1/sqrt(pi)) int_0^inf (1 - prod_i (1 + 2 u^2 s2_i)^(-1/2)) / u^2 du. */
static double enorm_integrand(double u, void *vp) {
  const double *s2 = vp;
  if (u < 1e-4) return s2[0] + s2[1]; /* limit u -> 0 */
  double u2 = u * u;
  return -expm1(-0.5 * (log1p(2 * u2 * s2[0]) + log1p(2 * u2 * s2[1]))) / u2;
}

static double gauss_enorm2(double s20, double s21) {
  double s2[2] = {s20, s21}, res = 0, ae = 0;
  gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
  gsl_function F = {enorm_integrand, s2};
  gsl_integration_qagiu(&F, 0, 0, 1e-12, 1000, w, &res, &ae);
  gsl_integration_workspace_free(w);
  return res / sqrt(M_PI);
}

/* Single Gaussian N(mu, R diag(lam) R^T), R the rotation by angle th (th = 0 with kind DIAG:
 * a diagonal covariance), against theory.md §4 per eigen-direction. */
static void gauss2_case(int64_t N, const double *mu, const double *lam, double th, int G, int Q) {
  ctr_schedule *s = fixture_schedule(N);
  double c = cos(th), sn = sin(th), R[4] = {c, -sn, sn, c}, Sig[4], w = 1;
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++) Sig[i * 2 + j] = R[i * 2] * lam[0] * R[j * 2] + R[i * 2 + 1] * lam[1] * R[j * 2 + 1];
  ctr_mixture_cov cov = th == 0 ? (ctr_mixture_cov){CTR_COV_DIAG, lam} : (ctr_mixture_cov){CTR_COV_FULL, Sig};
  ctr_mixture *m = NULL;
  ctr_error err = {0};
  die_if(ctr_mixture_alloc(1, 2, &w, mu, &cov, &m, &err), &err, "d = 2 gaussian");
  ctr_grid_params p;
  ctr_grid_params_default_d(&p, 2);
  p.G = G, p.Q = Q, p.refine = 0;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  ctr_grid_result *r = run(&p, s, m, "d = 2 gaussian run");
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double A[2], cs[2], a1 = s->a[1], aN = s->a[N], worst = 0, scale = 0;
  for (int i = 0; i < 2; i++) A[i] = affine_A(s, lam[i]);
  /* Q diag(A) Q^T */
  double M[4];
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++) M[i * 2 + j] = R[i * 2] * A[0] * R[j * 2] + R[i * 2 + 1] * A[1] * R[j * 2 + 1];
  for (int i = 0; i < G; i++)
    for (int j = 0; j < G; j++) {
      double x[2] = {r->lo + i * (r->hi - r->lo) / (G - 1), r->lo2 + j * (r->hi2 - r->lo2) / (G - 1)};
      double z[2] = {x[0] - aN * mu[0], x[1] - aN * mu[1]};
      for (int k = 0; k < 2; k++) {
        double fc = a1 * mu[k] + M[k * 2] * z[0] + M[k * 2 + 1] * z[1];
        worst = fmax(worst, fabs(r->f[((size_t)i * G + j) * 2 + k] - fc)), scale = fmax(scale, fabs(fc));
      }
    }
  char name[200];
  snprintf(name, sizeof name, "d = 2 gaussian N = %lld lam (%g, %g) angle %g: f_N on the grid "
           "= affine CT (relative)", (long long)N, lam[0], lam[1], th);
  check_worst(name, worst / scale, 1e-8, "grid CT differs from the closed form");
  /* off the grid: the spline and its linear extension stay affine */
  double worst_off = 0;
  for (int k = 0; k < 25; k++) {
    double x[2] = {r->lo - 1 + (r->hi - r->lo + 2) * (k % 5 + 0.37) / 5,
                   r->lo2 - 1 + (r->hi2 - r->lo2 + 2) * (k / 5 + 0.61) / 5}, y[2];
    ctr_grid_eval2(r, x, y);
    double z[2] = {x[0] - aN * mu[0], x[1] - aN * mu[1]};
    for (int q = 0; q < 2; q++)
      worst_off = fmax(worst_off, fabs(y[q] - (a1 * mu[q] + M[q * 2] * z[0] + M[q * 2 + 1] * z[1])) / scale);
  }
  snprintf(name, sizeof name, "d = 2 gaussian N = %lld angle %g: ctr_grid_eval2 off the grid "
           "and outside the box = affine CT", (long long)N, th);
  check_worst(name, worst_off, 1e-8, "interpolation or extrapolation not affine");
  /* coupling: f_N - Phi = Q diag(A_i - sqrt(v1_i / vN_i)) Q^T (x - aN mu), x - aN mu ~ N(0, vN) */
  double sq = 0;
  for (int i = 0; i < 2; i++) {
    double v1 = a1 * a1 * lam[i] + s->s[1] * s->s[1], vN = aN * aN * lam[i] + s->s[N] * s->s[N];
    double dd = A[i] - sqrt(v1 / vN);
    cs[i] = dd * dd * vN, sq += cs[i];
  }
  double l1 = gauss_enorm2(cs[0], cs[1]);
  snprintf(name, sizeof name, "d = 2 gaussian N = %lld angle %g: coupling_sq = closed form",
           (long long)N, th);
  check_close(name, r->base.coupling_sq, sq, 1e-5, 0);
  snprintf(name, sizeof name, "d = 2 gaussian N = %lld angle %g: coupling = closed form",
           (long long)N, th);
  check_close(name, r->base.coupling, l1, 1e-5, 0);
  check_true("d = 2: W fields NAN, monotone -1", isnan(r->base.w1_gauss) && isnan(r->base.w2_qN) &&
             r->monotone == -1 && r->d == 2, "d = 2 metric fields not NAN");
  double sec = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  printf("# d=2 gaussian N=%lld lam (%g, %g) angle %g G=%d Q=%d: max rel err %.2e (off grid "
         "%.2e); coupling %.8e (cf %.8e) sq %.8e (cf %.8e) quad %.1e warn %d; %.2f s\n",
         (long long)N, lam[0], lam[1], th, G, Q, worst / scale, worst_off, r->base.coupling, l1,
         r->base.coupling_sq, sq, r->quad_err, r->quad_warn, sec);
  ctr_grid_result_free(r), ctr_mixture_free(m), ctr_schedule_free(s);
}

static ctr_mixture *two_modes2(double sigma) {
  double w[2] = {0.5, 0.5}, mu[4] = {-1, 0, 1, 0}, v = sigma * sigma;
  ctr_mixture_cov cov[2] = {{CTR_COV_ISO, &v}, {CTR_COV_ISO, &v}};
  ctr_mixture *m = NULL;
  ctr_error err = {0};
  die_if(ctr_mixture_alloc(2, 2, w, mu, cov, &m, &err), &err, "d = 2 two modes");
  return m;
}

static void bias2_case(void) {
  ctr_schedule *s = fixture_schedule(60);
  ctr_mixture *m = two_modes2(0.3);
  ctr_grid_params p;
  ctr_grid_params_default_d(&p, 2);
  p.refine = 0, p.coupling = 0, p.G = 61, p.Q = 6;
  ctr_grid_result *r0 = run(&p, s, m, "d = 2 bias run 0");
  p.error.kind = CTR_ERR_FIT_BIAS, p.error.eps = 0.05;
  ctr_grid_result *r1 = run(&p, s, m, "d = 2 bias run 1");
  double u[2], worst = 0;
  ctr_errmodel_direction(p.seed, 2, u);
  for (size_t k = 0; k < (size_t)r0->G * r0->G; k++)
    for (int c = 0; c < 2; c++) worst = fmax(worst, fabs(r1->f[2 * k + c] - r0->f[2 * k + c] - 0.05 * u[c]));
  check_worst("d = 2 fit-bias: f_N = f*_N + eps u", worst, 1e-12, "shift is not eps u");
  check_close("d = 2 fit-bias: eps_total = eps", r1->eps_total, 0.05, 1e-15, 0);
  ctr_grid_result_free(r0), ctr_grid_result_free(r1), ctr_mixture_free(m), ctr_schedule_free(s);
}

/* Budget ~30 s (measured ~15 s on 2 idle cores, ~30 s on one); the limit leaves room for a
 * loaded machine, as the d = 1 limit does. */
/* Two modes at (+-1, 0), sigma 0.2, N = 200, K = 2 on a small grid (timings: bench/). */
static void two_modes2_case(void) {
  ctr_schedule *s = fixture_schedule(200);
  ctr_mixture *m = two_modes2(0.2);
  ctr_grid_params p;
  ctr_grid_params_default_d(&p, 2);
  p.G = 121, p.Q = 8;
  ctr_grid_result *r = run(&p, s, m, "d = 2 two-mode run");
  printf("# d=2 two modes sigma 0.2 N=200 G=%d Q=%d: coupling %.6e sq %.6e (fine %.6e %.6e) "
         "disc %.1e %.1e max %.1e quad %.1e warn %d flow %.1e\n", p.G, p.Q,
         r->base.coupling, r->base.coupling_sq, r->fine.coupling, r->fine.coupling_sq,
         r->disc.coupling, r->disc.coupling_sq, r->disc_max, r->quad_err, r->quad_warn,
         r->flow_err);
  check_true("d = 2 two modes: finite coupling and estimates", isfinite(r->base.coupling) &&
             isfinite(r->base.coupling_sq) && isfinite(r->disc_max) && r->quad_warn == 0,
             "NaN, inf or cubature limit");
  /* the small test grid (121^2) leaves ~1.3% here; the default 201^2 grid 0.3% */
  check_worst("d = 2 two modes N = 200: discretisation < 2% of the coupling", r->disc_max,
              2e-2 * r->base.coupling, "discretisation estimate too large");
  check_true("d = 2 two modes: E||.||^2 >= (E||.||)^2", r->base.coupling_sq >=
             r->base.coupling * r->base.coupling, "Jensen violated");
  ctr_grid_result_free(r), ctr_mixture_free(m), ctr_schedule_free(s);
}

/* The batched spline evaluation (AVX2 where available) against the scalar one, bit for bit:
 * 20000 points spread over the grid and beyond both ends, every node, both ends, +-0, NaN and
 * +-inf, in batch lengths 1..9 (every tail length of the 4-lane loop). */
static void eval_n_case(void) {
  ctr_grid_spline sp;
  int G = 1001, bad = 0, tot = 0;
  if (ctr_grid_spline_alloc(&sp, G)) {
    check_true("eval_n: alloc", 0, "");
    return;
  }
  ctr_grid_spline_grid(&sp, 0.37, 5.1);
  for (int i = 0; i < G; i++) sp.f[i] = sin(0.013 * i) + 0.5 * cos(0.11 * i * i / G);
  ctr_grid_spline_fit(&sp);
  enum { NY = 20000 + 1001 + 8 };
  static double y[NY], a[NY], b[NY];
  uint64_t z = 12345;
  int n = 0;
  for (; n < 20000; n++) { /* splitmix-like: reproducible, independent of libc's rand */
    z += 0x9E3779B97F4A7C15ULL;
    uint64_t x = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    y[n] = -2.0 + 9.0 * (double)(x >> 11) / 9007199254740992.0;
  }
  for (int i = 0; i < G; i++) y[n++] = sp.lo + i * sp.h;
  const double odd[8] = {0.37, 5.1, 0.0, -0.0, NAN, INFINITY, -INFINITY, nextafter(5.1, 9)};
  for (int i = 0; i < 8; i++) y[n++] = odd[i];
  for (int len = 1; len <= 9; len++)
    for (int s = 0; s < n; s += len) {
      int m = s + len <= n ? len : n - s;
      ctr_grid_spline_eval_n(&sp, y + s, b + s, m);
      for (int j = s; j < s + m; j++, tot++) {
        a[j] = ctr_grid_spline_eval(&sp, y[j]);
        bad += memcmp(a + j, b + j, sizeof(double)) != 0;
      }
    }
  char msg[64];
  snprintf(msg, sizeof msg, "%d of %d differ", bad, tot);
  check_true("eval_n = ctr_grid_spline_eval bit for bit (in and beyond the grid, NaN, inf)",
             bad == 0, msg);
  ctr_grid_spline_free(&sp);
}

int main(void) {
  gsl_set_error_handler_off();
  eval_n_case();
  {
    const double mu[2] = {0.3, -0.2}, lam[2] = {1.0, 0.25}, lamr[2] = {0.8, 0.09};
    gauss2_case(100, mu, lam, 0, 101, 10);
    gauss2_case(400, mu, lam, 0, 101, 10);
    gauss2_case(100, mu, lamr, 0.6, 61, 8);
  }
  bias2_case();
  two_modes2_case();
  gauss_case(100, 0.0, 1.0);
  gauss_case(1000, 0.0, 1.0);
  gauss_case(1000, 0.5, 0.25);
  bias_case();
  two_modes();
  estimate_vs_reference();
  point_cloud();
  refusals();
  return check_summary();
}
