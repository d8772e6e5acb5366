/* test_liplower.c: the Lipschitz lower bound (targets/lip_lower.h) and its cheap operator norm.
 * ctr_mixture_jvp against the full Tweedie gradD of ctr_mixture_posterior; ctr_flow_jvp against
 * the d x d variational equation (ctr_flow_jacobian); the flow reduced to the span of the
 * means (targets/lip_span.h) against the d x d variational equation entrywise, downward and by
 * the adjoint from level 1; the structured norm max(||J_r||, beta) against the full Jacobian's
 * norm at sampled points (so the reported values are actual ||J(x)||_2); lower <= exact on two
 * modes, where the exact value is known (targets/lip_exact.h), including an asymmetric sharp
 * case (sup ~3e20 at a point no double-precision x resolves) that only the adjoint evaluation
 * from level 1 reaches.
 * Scale-free tangent vectors: forced rescaling (every 1e3) against the plain integration, and the
 * sphere preset at d = 16 where L exceeds the double range (log10_lipschitz, inf columns). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "check.h"
#include "core/rng.h"
#include "targets/lip_exact.h"
#include "simulate/point_run.h"
#include "targets/lip_lower.h"
#include "targets/lip_span.h"

static ctr_schedule *paper(int64_t N) {
  ctr_schedule_params p;
  ctr_schedule_params_default(&p);
  p.N = N;
  ctr_schedule *s = NULL;
  ctr_error err;
  ctr_schedule_alloc(&p, &s, &err);
  return s;
}

static void test_jvp(void) {
  enum { K = 3, d = 5, NV = 2 };
  double w[K] = {0.2, 0.5, 0.3}, mu[K * d], v0 = 0.3, v1[d] = {0.1, 0.4, 0.2, 0.9, 0.05};
  double v2 = 0.02, x[d], V[NV * d], D[d], D2[d], G[d * d], GV[NV * d];
  ctr_rng r;
  ctr_rng_init(&r, 5, CTR_RNG_TEST, d, 1);
  ctr_rng_normals(&r, K * d, mu), ctr_rng_normals(&r, d, x), ctr_rng_normals(&r, NV * d, V);
  ctr_mixture_cov cov[K] = {{CTR_COV_ISO, &v0}, {CTR_COV_DIAG, v1}, {CTR_COV_ISO, &v2}};
  ctr_mixture *m = NULL;
  ctr_error err;
  ctr_mixture_alloc(K, d, w, mu, cov, &m, &err);
  double *work = ctr_dalloc(ctr_mixture_work_len(m) + K + d);
  double worst = 0;
  for (double a = 0.1; a < 1; a += 0.2) {
    double s = sqrt(1 - a * a);
    ctr_mixture_posterior(m, a, s, x, D, G, NULL, work, &err);
    ctr_mixture_jvp(m, a, s, x, NV, V, D2, GV, work, &err);
    for (int j = 0; j < NV; j++)
      for (int i = 0; i < d; i++) {
        double want = 0, scale = 0;
        for (int k = 0; k < d; k++) want += G[i * d + k] * V[j * d + k], scale += fabs(G[i * d + k] * V[j * d + k]);
        worst = fmax(worst, fabs(GV[j * d + i] - want) / (scale + 1e-300));
      }
  }
  check_worst("mixture jvp = full gradD V (iso + diag components, 5 noise levels)", worst, 1e-13,
              "");
  /* the flow: J V by the joint ODE against the d x d variational equation */
  ctr_schedule *s = paper(100);
  ctr_flow_span span;
  ctr_flow_tol tol;
  ctr_flow_tol_default(&tol);
  ctr_flow_span_steps(s, 100, 1, &span, &err);
  ctr_denoiser den = ctr_mixture_denoiser(m);
  ctr_flow_jac *jac = NULL;
  ctr_flow_jac_alloc(d, &jac, &err);
  double y[d], JV[NV * d];
  ctr_flow_jacobian(&den, &span, &tol, x, 0, jac, &err);
  ctr_status st = ctr_flow_jvp(m, &span, &tol, x, NV, V, y, JV, &err);
  worst = st ? INFINITY : 0;
  double jn = 0;
  for (int j = 0; j < NV; j++)
    for (int i = 0; i < d; i++) {
      double want = 0;
      for (int k = 0; k < d; k++) want += jac->J[i * d + k] * V[j * d + k];
      worst = fmax(worst, fabs(JV[j * d + i] - want)), jn = fmax(jn, fabs(want));
      worst = fmax(worst, fabs(y[i] - jac->y[i]));
    }
  check_worst("flow jvp = J V of the variational equation (relative to max |J V|)", worst / jn,
              1e-9, "");
  free(work), ctr_flow_jac_free(jac), ctr_mixture_free(m), ctr_schedule_free(s);
}

/* Sphere-like mixture: K modes of width sigma at random directions in d dims, of norm R and
 * equal weights, or (asym) of norms 3 (1 + k / K) and weights proportional to k + 1, so that no
 * pair of modes is symmetric. */
static ctr_mixture *modes_gen(int K, int d, double sigma, double R, int asym, uint64_t seed) {
  double *mu = ctr_dalloc((size_t)K * d), *w = ctr_dalloc(K), v = sigma * sigma;
  ctr_mixture_cov *cov = calloc(K, sizeof *cov);
  ctr_rng r;
  ctr_rng_init(&r, seed, CTR_RNG_TEST, d, K);
  for (int k = 0; k < K; k++) {
    double n = 0, *u = mu + (size_t)k * d;
    ctr_rng_normals(&r, d, u);
    for (int i = 0; i < d; i++) n += u[i] * u[i];
    double norm = asym ? 3.0 * (1.0 + (double)k / K) : R;
    for (int i = 0; i < d; i++) u[i] *= norm / sqrt(n);
    w[k] = asym ? 2.0 * (k + 1) / ((double)K * (K + 1)) : 1.0 / K;
    cov[k] = (ctr_mixture_cov){CTR_COV_ISO, &v};
  }
  ctr_mixture *m = NULL;
  ctr_error err;
  ctr_mixture_alloc(K, d, w, mu, cov, &m, &err);
  free(mu), free(w), free(cov);
  return m;
}

static ctr_mixture *modes_r(int K, int d, double sigma, double R, uint64_t seed) {
  return modes_gen(K, d, sigma, R, 0, seed);
}

static ctr_mixture *modes(int K, int d, double sigma, uint64_t seed) {
  return modes_r(K, d, sigma, 1.0, seed);
}

/* The reduced flow (targets/lip_span.h) against the d x d variational equation: the full
 * Jacobian Q^T J_r Q + beta (I - Q^T Q) and Phi(x) entrywise, downward N -> 1 and over an inner
 * span 150 -> 3, at samples of q_N and at wide random points; then the adjoint norm from a point
 * y at level 1 against the full Jacobian at its preimage (mapped up by ctr_flow_map). Cases:
 * r < d (a complement: catches a wrong beta), K = d + 1 and K > d + 1 (r = d, no complement),
 * K = 1 (r = 0: J = beta I), a point cloud (width 0: beta = s_1 / s_N; downward only). */
static void span_case(const char *what, ctr_mixture *m, double *worst_J, double *worst_up) {
  int d = m->d;
  ctr_schedule *s = paper(200);
  ctr_error err;
  ctr_lip_span *ls = NULL;
  ctr_flow_jac *jac = NULL;
  ctr_status st = ctr_lip_span_alloc(m, &ls, &err);
  if (!st) st = ctr_flow_jac_alloc(d, &jac, &err);
  check_true(what, !st, err.msg);
  if (st) return;
  ctr_denoiser den = ctr_mixture_denoiser(m);
  ctr_flow_tol tol;
  ctr_flow_tol_default(&tol);
  ctr_flow_span spans[2], down, up;
  ctr_flow_span_steps(s, 200, 1, &spans[0], &err), ctr_flow_span_steps(s, 150, 3, &spans[1], &err);
  down = spans[0], ctr_flow_span_steps(s, 1, 200, &up, &err);
  double xs[6 * 6], y[6], J[36], e = 0, eu = 0;
  ctr_rng r;
  ctr_rng_init(&r, 21, CTR_RNG_TEST, d, m->K);
  ctr_mixture_sample_noised(m, s->a[200], s->s[200], &r, 3, xs, &err);
  ctr_rng_normals(&r, 3 * d, xs + 3 * d);
  for (int i = 3 * d; i < 6 * d; i++) xs[i] *= 2;
  for (int sp = 0; sp < 2; sp++)
    for (int p = 0; p < 6; p++) {
      st = ctr_lip_span_jacobian(ls, &spans[sp], &tol, xs + p * d, y, J, &err);
      if (!st) st = ctr_flow_jacobian(&den, &spans[sp], &tol, xs + p * d, 0, jac, &err);
      double mx = 0, dif = 0, ym = 1;
      for (int i = 0; i < d * d; i++) mx = fmax(mx, fabs(jac->J[i])), dif = fmax(dif, fabs(J[i] - jac->J[i]));
      for (int i = 0; i < d; i++) ym = fmax(ym, fabs(jac->y[i]));
      double dy = 0;
      for (int i = 0; i < d; i++) dy = fmax(dy, fabs(y[i] - jac->y[i]));
      e = st ? INFINITY : fmax(e, fmax(dif / mx, dy / ym));
    }
  /* adjoint from y at level 1 (a point near a mode, and 0.3 of the way between two); not for
   * point masses: there the preimage of such y is not resolved in doubles (lip_lower.h), the
   * full Jacobian at the rounded preimage is smaller (measured: e^25.7 against e^409.8) */
  for (int p = 0; p < 2 && ls->lam > 0; p++) {
    double yy[6], x[6], ln = 0, xn = 0;
    int k2 = m->K > 1 ? 1 : 0;
    for (int i = 0; i < d; i++)
      yy[i] = s->a[1] * ((1 - 0.3 * p) * m->mu[i] + 0.3 * p * m->mu[(size_t)k2 * d + i]) +
              0.05 * xs[3 * d + i];
    st = ctr_lip_span_log_norm(ls, &down, &tol, yy, 1, 1e100, &ln, &xn, NULL, &err);
    if (!st) st = ctr_flow_map(&den, &up, &tol, yy, x, NULL, &err);
    if (!st) st = ctr_flow_jacobian(&den, &down, &tol, x, 0, jac, &err);
    double x2 = 0;
    for (int i = 0; i < d; i++) x2 += x[i] * x[i];
    eu = st ? INFINITY : fmax(eu, fmax(fabs(expm1(ln - log(jac->opnorm))), fabs(xn / sqrt(x2) - 1)));
  }
  *worst_J = fmax(*worst_J, e), *worst_up = fmax(*worst_up, eu);
  printf("# %s: r = %d, J and Phi %.2e, adjoint norm and |x| %.2e\n", what, ls->r, e, eu);
  ctr_flow_jac_free(jac), ctr_lip_span_free(ls), ctr_schedule_free(s);
}

static void test_span(void) {
  double wJ = 0, wu = 0;
  struct { int K, d; double sigma; } cs[] = {{3, 3, 0.3}, {2, 4, 0.5}, {4, 5, 0.3}, {3, 6, 0.4},
                                            {4, 3, 0.3}, {6, 3, 0.5}, {1, 4, 0.3}, {3, 5, 0}};
  for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
    ctr_mixture *m0 = modes(cs[i].K, cs[i].d, cs[i].sigma, 30 + i), *m = NULL;
    int K = cs[i].K, d = cs[i].d;
    double mu[6 * 6], v = cs[i].sigma * cs[i].sigma;
    ctr_mixture_cov cov[6];
    ctr_error err;
    for (int k = 0; k < K; k++) cov[k] = (ctr_mixture_cov){CTR_COV_ISO, &v};
    for (int k = 0; k < K * d; k++) mu[k] = m0->mu[k] + 0.2; /* mu_1 off V: p != 0 */
    ctr_mixture_alloc(K, d, m0->weight, mu, cov, &m, &err);
    ctr_mixture_free(m0);
    char name[120];
    snprintf(name, sizeof name, "reduced flow: K = %d, d = %d, sigma %.1f", cs[i].K, cs[i].d,
             cs[i].sigma);
    span_case(name, m, &wJ, &wu);
    ctr_mixture_free(m);
  }
  check_worst("reduced flow: full J = Q^T J_r Q + beta (I - Q^T Q) and Phi = the d x d "
              "variational equation (relative to max|J|, max(1, |y|))", wJ, 1e-10, "");
  check_worst("reduced adjoint from level 1: ln ||J|| and |x| = the full Jacobian at the "
              "preimage", wu, 1e-9, "");
}

static void test_structured(void) {
  int K = 4, d = 6;
  ctr_mixture *m = modes(K, d, 0.25, 3);
  ctr_schedule *s = paper(200);
  ctr_error err;
  double xs[8 * 6];
  ctr_rng r;
  ctr_rng_init(&r, 9, CTR_RNG_TEST, d, 2);
  ctr_mixture_sample_noised(m, s->a[200], s->s[200], &r, 8, xs, &err);
  ctr_lip_lower lo;
  ctr_status st = ctr_lip_lower_compute(m, s, 8, xs, &lo, &err);
  check_true("lower bound runs (K = 4, d = 6, shared width)", !st && lo.structured, err.msg);
  printf("# lower bound %.6g at |x| = %.4g from %d starts\n", lo.norm, lo.x_norm, lo.starts);
  /* recompute at every sample start by the full Jacobian: the bound is >= each of them */
  ctr_denoiser den = ctr_mixture_denoiser(m);
  ctr_flow_span span;
  ctr_flow_tol tol;
  ctr_flow_tol_default(&tol);
  ctr_flow_span_steps(s, 200, 1, &span, &err);
  ctr_flow_lip fl;
  ctr_flow_lipschitz(&den, &span, &tol, 8, xs, &fl, &err);
  check_true("lower bound >= full-Jacobian maximum over the same samples",
             lo.norm >= fl.max_norm * (1 - 1e-8), "");
  /* J = J_V (+) beta I: the r + 1 products give the full norm exactly, at every sample */
  double worst = 0;
  ctr_flow_jac *jac = NULL;
  ctr_flow_jac_alloc(d, &jac, &err);
  for (int i = 0; i < 8; i++) {
    double nrm = 0;
    ctr_lip_lower_norm_at(m, s, xs + i * d, &nrm, &err);
    ctr_flow_jacobian(&den, &span, &tol, xs + i * d, 0, jac, &err);
    worst = fmax(worst, fabs(nrm / jac->opnorm - 1));
  }
  check_worst("structured norm = full Jacobian norm (8 points, K = 4, d = 6)", worst, 1e-9, "");
  ctr_flow_jac_free(jac);
  ctr_mixture_free(m), ctr_schedule_free(s);
}

static void test_vs_exact(double w0, double sigma, double rel) {
  double w[2] = {w0, 1 - w0}, mu[4] = {1, 0, -1, 0}, v = sigma * sigma;
  ctr_mixture_cov cov[2] = {{CTR_COV_ISO, &v}, {CTR_COV_ISO, &v}};
  ctr_mixture *m = NULL;
  ctr_error err;
  ctr_mixture_alloc(2, 2, w, mu, cov, &m, &err);
  ctr_schedule *s = paper(100);
  double xs[16 * 2];
  ctr_rng r;
  ctr_rng_init(&r, 4, CTR_RNG_TEST, 2, 3);
  ctr_mixture_sample_noised(m, s->a[100], s->s[100], &r, 16, xs, &err);
  ctr_lip_lower lo;
  ctr_lip_exact ex;
  ctr_lip_lower_compute(m, s, 16, xs, &lo, &err);
  ctr_lip_exact_compute(m, s, &ex, &err);
  char name[160];
  snprintf(name, sizeof name, "two modes (weights %.1f/%.1f, sigma %.1f, d = 2, N = 100): lower "
           "%.6g <= exact %.6g (1e-6)", w0, 1 - w0, sigma, lo.norm, ex.L_N1);
  check_true(name, lo.norm <= ex.L_N1 * (1 + 1e-6), "");
  snprintf(name, sizeof name, "... and within %g of it (the adjoint search from level 1)", rel);
  check_true(name, lo.norm >= ex.L_N1 * (1 - rel), "");
  ctr_mixture_free(m), ctr_schedule_free(s);
}

/* ln ||J|| with the tangent vectors rescaled whenever an entry passes 1e3 (many exact rescales)
 * against the plain integration (never rescaled), downward from samples and upward (adjoint)
 * from the mode midpoint; the step sequences differ after the first rescale, so they agree to
 * the ODE's accuracy, not bitwise. */
static void test_scaled(const char *what, ctr_mixture *m, int64_t N) {
  ctr_schedule *s = paper(N);
  ctr_error err;
  int d = m->d;
  double xs[4 * 8], y[8], worst = 0, lmax = 0;
  ctr_rng r;
  ctr_rng_init(&r, 7, CTR_RNG_TEST, d, 4);
  ctr_mixture_sample_noised(m, s->a[N], s->s[N], &r, 4, xs, &err);
  for (int i = 0; i < d; i++) y[i] = s->a[1] * 0.5 * (m->mu[i] + m->mu[d + i]);
  for (int i = 0; i <= 4; i++) {
    const double *p = i < 4 ? xs + i * d : y;
    double plain = NAN, scaled = NAN;
    ctr_status st = ctr_lip_lower_log_norm_at(m, s, p, i == 4, INFINITY, CTR_LIP_TANGENT_PLAIN,
                                              &plain, &err);
    if (!st) st = ctr_lip_lower_log_norm_at(m, s, p, i == 4, 1e3, CTR_LIP_TANGENT_PLAIN, &scaled,
                                            &err);
    worst = st ? INFINITY : fmax(worst, fabs(expm1(scaled - plain)));
    lmax = fmax(lmax, plain);
  }
  char name[200];
  snprintf(name, sizeof name, "%s: rescaled tangent vectors = plain (4 samples + midpoint, "
           "largest norm %.3g)", what, exp(lmax));
  check_worst(name, worst, 1e-10, "");
  check_true("... and the plain norms reach 1e6 (so the 1e3 rescaling acted)", lmax > log(1e6), "");
  ctr_schedule_free(s);
}

static void test_scaled_cases(void) {
  double w[2] = {0.3, 0.7}, mu[4] = {1, 0, -1, 0}, v = 0.01;
  ctr_mixture_cov cov[2] = {{CTR_COV_ISO, &v}, {CTR_COV_ISO, &v}};
  ctr_mixture *m = NULL;
  ctr_error err;
  ctr_mixture_alloc(2, 2, w, mu, cov, &m, &err);
  test_scaled("two modes 0.3/0.7, sigma 0.1, d = 2", m, 100);
  ctr_mixture_free(m);
  m = modes(4, 3, 0.1, 11);
  test_scaled("4 modes on the unit sphere, sigma 0.1, d = 3", m, 100);
  ctr_mixture_free(m);
}

/* The normalised tangent integrator (V = e^g W, theory.md §9.19, the default) against the plain
 * one (V itself, rescaled by powers of two), both rk8pd at tolerance 1e-12 with their own steps:
 * ln ||J|| at 4 samples (downward) and at the mode-1/2 midpoint (upward, the adjoint) to 1e-9
 * relative in the norm, and the whole search's log L to 1e-8 relative. A wrong growth rate mu,
 * a lost g or a wrong sign of the shift changes the norms by far more. */
static void test_tangent(const char *what, ctr_mixture *m, int64_t N) {
  ctr_schedule *s = paper(N);
  ctr_error err;
  int d = m->d;
  double *xs = ctr_dalloc(4 * (size_t)d), *y = ctr_dalloc(d), worst = 0, lmax = 0;
  ctr_rng r;
  ctr_rng_init(&r, 9, CTR_RNG_TEST, d, 5);
  ctr_mixture_sample_noised(m, s->a[N], s->s[N], &r, 4, xs, &err);
  for (int i = 0; i < d; i++) y[i] = s->a[1] * 0.5 * (m->mu[i] + m->mu[d + i]);
  for (int i = 0; i <= 4; i++) {
    const double *p = i < 4 ? xs + (size_t)i * d : y;
    double plain = NAN, norm = NAN;
    ctr_status st = ctr_lip_lower_log_norm_at(m, s, p, i == 4, 1e100, CTR_LIP_TANGENT_PLAIN,
                                              &plain, &err);
    if (!st) st = ctr_lip_lower_log_norm_at(m, s, p, i == 4, 1e100, CTR_LIP_TANGENT_NORMALISED,
                                            &norm, &err);
    worst = st ? INFINITY : fmax(worst, fabs(expm1(norm - plain)));
    lmax = fmax(lmax, plain);
  }
  char name[240];
  snprintf(name, sizeof name, "%s: ||J|| normalised = plain tangent integration (4 samples + "
           "midpoint, largest log10 norm %.4g)", what, lmax / M_LN10);
  check_worst(name, worst, 1e-9, "");
  ctr_lip_lower a, b;
  ctr_status st = ctr_lip_lower_compute_tangent(m, s, 4, xs, CTR_LIP_TANGENT_PLAIN, &a, &err);
  if (!st) st = ctr_lip_lower_compute_tangent(m, s, 4, xs, CTR_LIP_TANGENT_NORMALISED, &b, &err);
  printf("# %s: log10 L plain %.12g (%lu steps), normalised %.12g (%lu steps)\n", what,
         a.log_L / M_LN10, a.steps, b.log_L / M_LN10, b.steps);
  check_true("... and the whole search's log L to 1e-8 relative", !st && a.failed == 0 &&
             b.failed == 0 && fabs(b.log_L - a.log_L) <= 1e-8 * a.log_L, "");
  free(xs), free(y), ctr_schedule_free(s);
}

static void test_tangent_cases(void) {
  ctr_mixture *m = modes(4, 3, 0.1, 11);
  test_tangent("4 modes on the unit sphere, sigma 0.1, d = 3, N = 100", m, 100);
  ctr_mixture_free(m);
  m = modes_r(5, 6, 0.1, sqrt(6.0), 12);
  test_tangent("5 modes on the sphere of radius sqrt(6), sigma 0.1, d = 6, N = 100", m, 100);
  ctr_mixture_free(m);
}

/* The pair phase (theory.md §9.21, CTR_LIP_TANGENT_PAIR, the default) against the normalised
 * integration of the whole r x r tangent system (§9.19), both rk8pd at tolerance 1e-12: ln ||J||
 * by the adjoint from level 1 at the midpoints y of the first npair mode pairs and at y moved by
 * 0.3 level-1 widths along the pair's separation and across it (off the symmetric point: the
 * pair's weights differ, the trajectory relaxes) and at the mode centre a_1 mu_j (there the
 * separation's rate gamma ~ 0 and the complement's growth counts as much), to 1e-9 relative in the norm, at least 3/4 of
 * the starts checked to engage the pair phase (a third mode may be near a midpoint); then the whole search's log L to 1e-8 relative. A wrong
 * growth rate on the separation (gamma) or on its complement, or the two swapped, changes the
 * norms by e^(hundreds). */
static void test_pair(const char *what, ctr_mixture *m, int64_t N, int npair) {
  ctr_schedule *s = paper(N);
  ctr_error err;
  ctr_lip_span *ls = NULL;
  int d = m->d, K = m->K, engaged = 0, tried = 0;
  double *y = ctr_dalloc(d), *xs = ctr_dalloc(4 * (size_t)d), worst = 0, lmax = 0;
  double wid = sqrt(s->a[1] * s->a[1] * m->lam[m->lam_off[0]] + s->s[1] * s->s[1]);
  ctr_status st = ctr_lip_span_alloc(m, &ls, &err);
  for (int j = 0, q = 0; !st && j < K && q < npair; j++)
    for (int k = j + 1; !st && k < K && q < npair; k++, q++)
      for (int v = 0; !st && v < 4; v++) {
        const double *mj = m->mu + (size_t)j * d, *mk = m->mu + (size_t)k * d;
        double dn = 0, pn = 0;
        for (int i = 0; i < d; i++) dn += (mj[i] - mk[i]) * (mj[i] - mk[i]);
        int ax0 = fabs(mj[0] - mk[0]) > 0.9 * sqrt(dn) ? d - 1 : 0; /* not along e */
        for (int i = 0; i < d; i++) { /* across: a coordinate axis minus its separation part */
          double sep = (mj[i] - mk[i]) / sqrt(dn);
          double ax = (i == ax0) - sep * (mj[ax0] - mk[ax0]) / sqrt(dn);
          y[i] = s->a[1] * 0.5 * (mj[i] + mk[i]) + (v == 1 ? 0.3 * wid * sep : 0);
          pn += ax * ax, xs[i] = ax;
        }
        for (int i = 0; v == 2 && i < d; i++) y[i] += 0.3 * wid * xs[i] / sqrt(pn);
        for (int i = 0; v == 3 && i < d; i++) y[i] = s->a[1] * mj[i]; /* in a mode: gamma ~ 0 */
        tried++, engaged += ctr_lip_span_pair_at(ls, s->a[1], s->s[1], y);
        double ref = NAN, pr = NAN;
        st = ctr_lip_lower_log_norm_at(m, s, y, 1, 1e100, CTR_LIP_TANGENT_NORMALISED, &ref, &err);
        if (!st) st = ctr_lip_lower_log_norm_at(m, s, y, 1, 1e100, CTR_LIP_TANGENT_PAIR, &pr, &err);
        worst = st ? INFINITY : fmax(worst, fabs(expm1(pr - ref)));
        lmax = fmax(lmax, ref);
      }
  char name[260];
  snprintf(name, sizeof name, "%s: %d of %d level-1 starts engage the pair phase (>= 3/4)", what, engaged,
           tried);
  check_true(name, !st && tried > 0 && 4 * engaged >= 3 * tried, st ? err.msg : "");
  snprintf(name, sizeof name, "%s: ||J|| pair phase = whole tangent system (%d starts: midpoints "
           "on and off the symmetric point, mode centres; largest log10 norm %.5g)", what, tried, lmax / M_LN10);
  check_worst(name, worst, 1e-9, "");
  ctr_rng r;
  ctr_rng_init(&r, 13, CTR_RNG_TEST, d, 6);
  ctr_mixture_sample_noised(m, s->a[N], s->s[N], &r, 4, xs, &err);
  ctr_lip_lower a, b;
  st = ctr_lip_lower_compute_tangent(m, s, 4, xs, CTR_LIP_TANGENT_NORMALISED, &a, &err);
  if (!st) st = ctr_lip_lower_compute_tangent(m, s, 4, xs, CTR_LIP_TANGENT_PAIR, &b, &err);
  printf("# %s: log10 L normalised %.12g (%lu steps), pair %.12g (%lu steps)\n", what,
         a.log_L / M_LN10, a.steps, b.log_L / M_LN10, b.steps);
  check_true("... and the whole search's log L to 1e-8 relative", !st && a.failed == 0 &&
             b.failed == 0 && fabs(b.log_L - a.log_L) <= 1e-8 * a.log_L, "");
  ctr_lip_span_free(ls), free(y), free(xs), ctr_schedule_free(s);
}

static void test_pair_cases(void) {
  ctr_mixture *m = modes_r(8, 16, 0.1, 4.0, 14);
  test_pair("8 modes on the sphere of radius 4, sigma 0.1, d = 16, N = 100", m, 100, 4);
  ctr_mixture_free(m);
  m = modes_gen(5, 6, 0.1, 0.0, 1, 15);
  test_pair("5 modes, weights 1..5, radii 3..5.4, sigma 0.1, d = 6, N = 100", m, 100, 10);
  ctr_mixture_free(m);
  double w[2] = {0.3, 0.7}, mu[4] = {1, 0, -1, 0}, v = 0.01;
  ctr_mixture_cov cov[2] = {{CTR_COV_ISO, &v}, {CTR_COV_ISO, &v}};
  ctr_error err;
  ctr_mixture_alloc(2, 2, w, mu, cov, &m, &err);
  test_pair("two modes 0.3/0.7, sigma 0.1, d = 2 (r = 1)", m, 100, 1);
  ctr_mixture_free(m);
}

/* One distill point of the sphere preset (K = 8, sigma 0.1, radius sqrt(d)), N = 100. */
static ctr_status sphere_point(int d, ctr_point *row) {
  ctr_point_spec spec;
  ctr_error err;
  ctr_point_spec_default(&spec);
  ctr_point_spec_target(&spec, "sphere", &err);
  spec.mixture.K = 8, spec.mixture.sigma = 0.1, spec.mixture.radius = 1;
  spec.mixture.radius_growing = 1, spec.target.d = d, spec.schedule.N = 100;
  spec.engine.engine = CTR_ENGINE_DISTILL, spec.points = 20, spec.sample_n = 0;
  spec.lip_points = 8;
  return ctr_point_run(&spec, 0, row, &err);
}

static void test_sphere_overflow(void) {
  ctr_point r4, r16;
  ctr_status st = sphere_point(4, &r4);
  check_true("sphere K = 8, sigma 0.1, d = 4: status 0, finite L", !st && r4.status == 0 &&
             isfinite(r4.lipschitz) && fabs(log10(r4.lipschitz) - r4.log10_lipschitz) < 1e-12 *
             r4.log10_lipschitz && r4.log10_lipschitz > 10, r4.message);
  st = sphere_point(16, &r16);
  printf("# sphere d = 4: log10 L = %.6g; d = 16: log10 L = %.6g (%s, message '%s')\n",
         r4.log10_lipschitz, r16.log10_lipschitz, r16.lipschitz_kind, r16.message);
  check_true("sphere d = 16: status 0, kind lower, log10_lipschitz finite and > d = 4's",
             !st && r16.status == 0 && !strcmp(r16.lipschitz_kind, "lower") &&
             isfinite(r16.log10_lipschitz) && r16.log10_lipschitz > r4.log10_lipschitz,
             r16.message);
  double l16 = r16.log10_lipschitz; /* L itself: inf exactly when beyond the double range */
  check_true("... lipschitz = 10^log10_lipschitz (inf beyond 1.8e308), bound_shape = L^3 ... = "
             "inf, W still reported", (l16 > 308.26 ? r16.lipschitz == INFINITY :
             fabs(log10(r16.lipschitz) / l16 - 1) < 1e-12) && 3 * l16 > 308.26 &&
             r16.bound_shape == INFINITY && isfinite(r16.w1_hi_normal), "");
  double want = 3 * r4.log10_lipschitz * M_LN10 + 2.5 * log(4.0) + 5 * log(log(100.0)) -
                log(100.0);
  check_rel("d = 4: bound_shape = L^3 d^2.5 ln^5 N / N from log L", log(r4.bound_shape), want,
            1e-12);
}

int main(void) {
  gsl_set_error_handler_off();
  test_jvp();
  test_span();
  test_structured();
  test_vs_exact(0.5, 0.2, 1e-6);
  test_vs_exact(0.3, 0.1, 1e-6); /* sup ~3e20, off x = 0: no x in doubles resolves its peak */
  test_scaled_cases();
  test_tangent_cases();
  test_pair_cases();
  test_sphere_overflow();
  return check_summary();
}
