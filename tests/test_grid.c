/* test_grid.c: checks of the grid CT engine (engine_grid.c), math.md sections 2, 4, 5:
 *   a. single Gaussian (K = 1): f_N on the grid against the closed-form affine CT
 *      f_N(x) = a_1 mu + A_N (x - a_N mu), A_N = prod_{t=2..N} m_t (N = 100, 1000)
 *   b. its W1, W2 (inputs N(0, 1) and q_N) and coupling E|f_N - Phi| against closed forms;
 *      the true error within 10x the refinement estimate (plus the quadrature's abserr) and
 *      the estimate far below the CT error
 *   c. fit-bias: f_N shifted by exactly eps u
 *   d. two modes +-1, sigma = 0.1: W1 decreases over N = 50..400 and stays far above the
 *      discretisation estimate; the estimate bounds the error against a much finer run
 *   e. point cloud (sigma = 0): finite results
 *   f. refusals (d = 2, bad G, unsupported error model) and the runtime at N = 1000
 * Prints "ok - name" or "FAIL - name: ..."; exits 0 when every check passes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#include "check.h"
#include "engine_grid.h"
#include "mixture.h"
#include "schedule.h"

static void die_if(ctr_status st, const ctr_error *err, const char *what) {
  if (st) {
    printf("FAIL - %s: status %d (%s)\n", what, (int)st, err->msg);
    printf("# %d passed, %d failed (aborted)\n", n_ok, n_fail + 1);
    exit(1);
  }
}

static ctr_schedule *make_sched(int64_t N) {
  ctr_schedule_params p;
  ctr_schedule_params_default(&p); /* paper, c0 = 2, c1 = 4 */
  p.N = N;
  ctr_schedule *s = NULL;
  ctr_error err = {0};
  die_if(ctr_schedule_alloc(&p, &s, &err), &err, "schedule alloc");
  return s;
}

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

/* math.md 4: A_N = prod_{t=2..N} (a_t a_{t-1} lam + s_t s_{t-1}) / v_t (N <= 1e3: the
 * product loses < 1e-13 here). */
static double affine_A(const ctr_schedule *s, double lam) {
  double A = 1;
  for (int64_t t = 2; t <= s->N; t++) {
    double v = s->a[t] * s->a[t] * lam + s->s[t] * s->s[t];
    A *= (s->a[t] * s->a[t - 1] * lam + s->s[t] * s->s[t - 1]) / v;
  }
  return A;
}

/* 1-D Gaussian W1 (math.md 4) from the mean difference and the standard deviations. */
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
  ctr_schedule *s = make_sched(N);
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
  ctr_schedule *s = make_sched(200);
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
    ctr_schedule *s = make_sched(Ns[i]);
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
  ctr_schedule *s = make_sched(100);
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
  ctr_schedule *s = make_sched(200);
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
  ctr_schedule *s = make_sched(50);
  double w = 1, mu[2] = {0, 0}, v = 1;
  ctr_mixture_cov cov = {CTR_COV_ISO, &v};
  ctr_mixture *m2 = NULL, *m1 = make_mix(1, 0, 1);
  ctr_error err = {0};
  die_if(ctr_mixture_alloc(1, 2, &w, mu, &cov, &m2, &err), &err, "d = 2 mixture");
  ctr_grid_params p;
  ctr_grid_params_default(&p);
  ctr_grid_result *r = NULL;
  check_true("refuses d = 2", ctr_grid_run(&p, s, m2, &r, &err) == CTR_EINPUT && !r, err.msg);
  printf("# message: %s\n", err.msg);
  p.G = 3;
  check_true("refuses G = 3", ctr_grid_run(&p, s, m1, &r, &err) == CTR_EINPUT && !r, err.msg);
  ctr_grid_params_default(&p);
  p.error.kind = CTR_ERR_SCORE_SCALE, p.error.eps = 0.1;
  check_true("refuses score-scale", ctr_grid_run(&p, s, m1, &r, &err) == CTR_EINPUT, err.msg);
  ctr_mixture_free(m1), ctr_mixture_free(m2), ctr_schedule_free(s);
}

/* The 10 s budget holds for optimised builds; sanitizer and -O0 builds get a loose limit. */
#if defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__)
#define RUNTIME_LIMIT 10.0
#else
#define RUNTIME_LIMIT 120.0
#endif

static void runtime(void) {
  ctr_schedule *s = make_sched(1000);
  ctr_mixture *m = make_mix(2, 1.0, 0.01);
  ctr_grid_params p;
  ctr_grid_params_default(&p);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  ctr_grid_result *r = run(&p, s, m, "runtime run");
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double sec = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  printf("# N=1000 G=2001 Q=20 K=2 with refinement and coupling: %.2f s; W1g %.6e disc %.1e\n",
         sec, r->base.w1_gauss, r->disc_max);
  check_worst("runtime N = 1000, G = 2001, Q = 20, K = 2 (s)", sec, RUNTIME_LIMIT, "too slow");
  ctr_grid_result_free(r), ctr_mixture_free(m), ctr_schedule_free(s);
}

int main(void) {
  gsl_set_error_handler_off();
  gauss_case(100, 0.0, 1.0);
  gauss_case(1000, 0.0, 1.0);
  gauss_case(1000, 0.5, 0.25);
  bias_case();
  two_modes();
  estimate_vs_reference();
  point_cloud();
  refusals();
  runtime();
  return check_summary();
}
