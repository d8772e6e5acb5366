/* wasserstein/gaussian.c: Wasserstein distances between Gaussian laws (theory.md §4):
 * the chi mean, the quadrature of E||nu + G|| (shared through wasserstein/gaussian_quad.h),
 * the commuting-pair W2 and W1 bracket, and the exact 1-D W1. The full-covariance forms (W2 by
 * Procrustes, the general W1 bracket) are in wasserstein/gaussian_full.c.
 *
 * Everything W1-related rests on the one-dimensional identity of theory.md §4
 *   E||nu + G|| = (1/sqrt(pi)) int_0^inf (1 - P(u)) / u^2 du,
 *   P(u) = prod_i (1 + 2u^2 s_i^2)^(-1/2) exp(-u^2 nu_i^2 / (1 + 2u^2 s_i^2)),
 * evaluated with P = exp(L), L a sum of per-coordinate log terms (log1p), and
 * 1 - P = -expm1(L), so the integrand keeps full relative precision at small u.
 *
 * Quadrature layout: u is rescaled by the RMS scale R (so the integrand is ~1
 * near 0), then [0,1] is integrated in t = u/R and [1,inf) in v = R/u, where
 * int_1^inf g(t^2)/t^2 dt = int_0^1 g(1/v^2) dv has a bounded integrand. Both
 * pieces use GSL QAGS with relative tolerance 1e-11.
 *
 * Differences of two such expectations (the W1 lower bound) are ONE integral of
 * P_Y - P_X = P_X expm1(L_Y - L_X), with L_Y - L_X formed per coordinate without
 * cancellation, so the difference keeps its digits when it is 1e-9 of each term.
 * L_X and L_Y are plain sums over coordinates, so the pairing of X's coordinate i
 * with Y's coordinate i is free: the full-covariance path pairs the i-th smallest
 * eigenvalues of S1 and S2, each law in its own eigenbasis. */
#include "wasserstein/gaussian.h"
#include "wasserstein/gaussian_quad.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_sf_erf.h>
#include <gsl/gsl_sf_gamma.h>

#define WG_EPSREL 1e-11     /* requested relative accuracy of each quadrature */
#define WG_ACCEPT 1e-9      /* a roundoff-limited QAGS result is kept if its error is below this */
#define WG_DIFF_ABS 1e-15   /* absolute floor (scaled units, integrand ~1) for difference integrals */
#define WG_LIMIT 2000       /* QAGS subinterval limit */
#define WG_CLAMP 1e-9       /* lo > hi by less than this relative is quadrature noise */
#define WG_NOISE_REL 1e-3   /* relative accuracy wanted of the (rounding-noise bound) integral */
#define WG_ALLOW 4.0        /* safety factor on the error allowance of a difference integral */

/* Local constant: M_SQRT2 is not in strict C11. */
static const double wg_sqrt2 = 1.41421356237309504880168872420970;

static double mult_at(const double *mult, size_t i) { return mult ? mult[i] : 1.0; }

/* ------------------------------------------------------------------------- */
/* chi mean                                                                  */

/* Gamma(a+1/2)/Gamma(a) = sqrt(a) (1 - 1/(8a) + 1/(128a^2) + 5/(1024a^3) - 21/(32768a^4)
 * - 399/(262144a^5) + O(a^-6)); truncation error < 3e-16 for a >= 100. */
static double chi_mean_asym(double a) {
  double x = 1.0 / a;
  double s = 1.0 + x * (-1.0 / 8 + x * (1.0 / 128 + x * (5.0 / 1024 + x * (-21.0 / 32768 + x * (-399.0 / 262144)))));
  return wg_sqrt2 * sqrt(a) * s;
}

double ctr_chi_mean(double d) {
  /* sqrt(2) Gamma((d+1)/2)/Gamma(d/2). gsl_sf_lnpoch is accurate to ~1e-15 for small d
   * but NOT for large d (measured vs mpmath: 5e-13 at d = 1e3, 4e-10 at 1e6, 1e-7 at 1e8),
   * so d >= 200 uses the asymptotic series (< 3e-16 there). */
  if (d == 0.0) return 0.0;
  if (!(d > 0.0) || !isfinite(d)) return NAN;
  if (d >= 200.0) return chi_mean_asym(0.5 * d);
  gsl_sf_result r;
  if (gsl_sf_lnpoch_e(0.5 * d, 0.5, &r) != GSL_SUCCESS) return NAN;
  return wg_sqrt2 * exp(r.val);
}

/* ------------------------------------------------------------------------- */
/* quadrature core                                                           */

ctr_status ctr_wq_alloc(ctr_wq_data *w, size_t n, const double *mult, int diff, ctr_error *err) {
  double *blk = ctr_dalloc(5 * n);
  if (!blk) return ctr_fail(err, CTR_ENOMEM, "wgauss: cannot allocate %zu doubles", 5 * n);
  *w = (ctr_wq_data){.n = n, .mult = mult, .diff = diff, .A1 = blk, .B1 = blk + n,
                 .A2 = blk + 2 * n, .B2 = blk + 3 * n, .dA = blk + 4 * n};
  return CTR_OK;
}

void ctr_wq_free(ctr_wq_data *w) { free(w->A1); }

/* Noise-bound coefficient: (n + k) roundings of relative DBL_EPSILON/2 each, doubled for safety. */
static double wq_eps(const ctr_wq_data *w, double k) { return ((double)w->n + k) * DBL_EPSILON; }

/* Small-u limits: g/q -> -L/q for 1 - P, and (L_Y - L_X)/q = -sum m (A2/2 + B2 - A1/2 - B1) for the
 * difference; the noise bound of wq_g divided by q tends to its T/q term (L_X -> 0, P_X -> 1). */
static void wq_set_lim0(ctr_wq_data *w) {
  double s = 0.0, t = 0.0;
  for (size_t i = 0; i < w->n; i++) {
    double m = mult_at(w->mult, i);
    s += w->diff ? -m * (0.5 * w->dA[i] + w->B2[i] - w->B1[i]) : m * (0.5 * w->A1[i] + w->B1[i]);
    t += m * (0.5 * fabs(w->dA[i]) + w->B1[i] + w->B2[i]);
  }
  w->lim0 = s;
  w->lim0n = wq_eps(w, 6.0) * t + 3.0 * DBL_EPSILON * fabs(s);
}

/* q nu^2 / (1 + 2 q s^2), in the form that cannot overflow for large q. */
static double quad_term(double q, double A, double B) {
  return q <= 1.0 ? B * q / (1.0 + A * q) : B / (1.0 / q + A);
}

/* One coordinate's log-factor l(u) of theory.md §4, with q = u^2. */
static double log_term(double q, double A, double B) { return -0.5 * log1p(A * q) - quad_term(q, A, B); }

/* l_Y - l_X for one coordinate without cancellation: the variance parts combine into
 * log1p(q dA / (1 + q A1)); the mean parts are subtracted (one of B1, B2 is 0 in use).
 * *mag gets |variance part| + both mean parts, which bounds the term's rounding error / eps. */
static double dlog_term(double q, double A1, double B1, double A2, double B2, double dA, double *mag) {
  double r = q <= 1.0 ? q * dA / (1.0 + q * A1) : dA / (1.0 / q + A1);
  double v = -0.5 * log1p(fmax(r, -1.0)); /* 1 + r = (1 + q A2)/(1 + q A1) >= 0; guard rounding */
  double b1 = quad_term(q, A1, B1), b2 = quad_term(q, A2, B2);
  *mag = fabs(v) + b1 + b2;
  return v - (b2 - b1);
}

/* The vector part of wq_g's sums, on CPUs with AVX-512 or AVX2 and for n >= WQ_VECTOR_MIN
 * (below that the scalar loop alone, bit for bit as before): returns how many leading
 * coordinates it summed. Measured at d = 1e6 (geometric spectrum, N = 1e6, one point): the
 * point took 13.7 s CPU with the scalar loop; docs/benchmarks.md has the figure with it. */
#define WQ_VECTOR_MIN 256
#define WQ_CHUNKS 64          /* at most this many chunks per evaluation */
#define WQ_CHUNK_MIN 16384    /* coordinates per chunk at least (a thread's worth of work) */
static size_t wq_vector_sums(const ctr_wq_data *w, double q, double *L1, double *L2, double *dL,
                             double *T) {
#if defined(CTR_HAVE_WQ_SIMD)
  /* libgcc reads the CPU's features before main; each query is a load and a test */
  int isa = __builtin_cpu_supports("avx512f")                                ? 2
            : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1
                                                                              : 0;
  /* Test hook (tests/test_wgauss.c): CTRATE_TEST_WQ_ISA = 0, 1 caps the kernel at scalar or
   * AVX2, so that every kernel the CPU can run is checked on it. */
  const char *cap = getenv("CTRATE_TEST_WQ_ISA");
  if (cap && (cap[0] == '0' || cap[0] == '1') && cap[0] - '0' < isa) isa = cap[0] - '0';
  if (w->n < WQ_VECTOR_MIN || isa == 0) return 0;
  /* At most WQ_CHUNKS chunks of a size fixed by n alone, summed on OpenMP threads into their
   * own slots and added in chunk order: the result does not depend on the thread count (a
   * sweep runs one point per thread, and this loop then has one thread). */
  const size_t width = isa == 2 ? 8 : 4, n_vec = w->n / width * width;
  size_t chunk = (n_vec + WQ_CHUNKS - 1) / WQ_CHUNKS;
  chunk = (chunk < WQ_CHUNK_MIN ? WQ_CHUNK_MIN : chunk + width - 1) / width * width;
  const int n_chunks = (int)((n_vec + chunk - 1) / chunk);
  double part[WQ_CHUNKS][4];
#pragma omp parallel for schedule(static) if (n_chunks > 1)
  for (int c = 0; c < n_chunks; c++) {
    const size_t lo = (size_t)c * chunk, len = lo + chunk <= n_vec ? chunk : n_vec - lo;
    ctr_wq_data sub = *w;
    sub.A1 += lo, sub.B1 += lo, sub.A2 += lo, sub.B2 += lo, sub.dA += lo;
    if (sub.mult) sub.mult += lo;
    (isa == 2 ? ctr_wq_sums_avx512 : ctr_wq_sums_avx2)(&sub, q, len, part[c]);
  }
  for (int c = 0; c < n_chunks; c++)
    *L1 += part[c][0], *L2 += part[c][1], *dL += part[c][2], *T += part[c][3];
  return n_vec;
#else
  (void)w, (void)q, (void)L1, (void)L2, (void)dL, (void)T;
  return 0;
#endif
}

/* g(q): 1 - P, or P_Y - P_X = P_X expm1(L_Y - L_X) (direct difference if the ratio is far from 1).
 * In diff mode *noise bounds g's rounding error: each log term is good to a few eps relative and
 * an n-term sum adds n eps of the sum of magnitudes (all L terms are <= 0, so that is |L|; for dL
 * it is T = sum of the per-term magnitudes, since dL's terms may have either sign). Then
 * dg = g dL_X + P_X e^|dL| d(dL). */
static double wq_g(const ctr_wq_data *w, double q, double *noise) {
  double L1 = 0.0, L2 = 0.0, dL = 0.0, T = 0.0;
  size_t i = wq_vector_sums(w, q, &L1, &L2, &dL, &T);
  for (; i < w->n; i++) {
    double m = mult_at(w->mult, i), mag = 0.0;
    L1 += m * log_term(q, w->A1[i], w->B1[i]);
    if (!w->diff) continue;
    L2 += m * log_term(q, w->A2[i], w->B2[i]);
    dL += m * dlog_term(q, w->A1[i], w->B1[i], w->A2[i], w->B2[i], w->dA[i], &mag);
    T += m * mag;
  }
  *noise = 0.0;
  if (!w->diff) return -expm1(L1);
  double P1 = exp(L1), P2 = exp(L2), g;
  if (fabs(dL) <= 1.0) {
    g = P1 * expm1(dL);
    *noise = fabs(g) * (wq_eps(w, 4.0) * fabs(L1) + 3.0 * DBL_EPSILON) + P1 * exp(fabs(dL)) * wq_eps(w, 6.0) * T;
  } else {
    g = P2 - P1;
    *noise = wq_eps(w, 4.0) * (P1 * fabs(L1) + P2 * fabs(L2)) + 2.0 * DBL_EPSILON * (P1 + P2);
  }
  return g;
}

/* The integrand proper: g, or its noise bound when w->noise is set. */
static double wq_h(const ctr_wq_data *w, double q) {
  double nz = 0.0, g = wq_g(w, q, &nz);
  return w->noise ? nz : g;
}

static double wq_f_lo(double t, void *p) { /* h(t^2)/t^2 on [0,1] */
  const ctr_wq_data *w = p;
  double q = t * t;
  return q > 0.0 ? wq_h(w, q) / q : (w->noise ? w->lim0n : w->lim0);
}

static double wq_f_hi(double v, void *p) { /* h(1/v^2) on (0,1]: the [1,inf) tail */
  double q = 1.0 / (v * v);
  return wq_h(p, q < DBL_MAX ? q : DBL_MAX);
}

/* One QAGS run on [0,1]; a roundoff/iteration-limited result is accepted only if
 * its own error estimate is within WG_ACCEPT relative (or the absolute floor). *abserr
 * accumulates QAGS's error estimate. */
static ctr_status wq_piece(gsl_function *F, gsl_integration_workspace *ws, double epsabs, double *res,
                           double *abserr, ctr_error *err) {
  double r = 0.0, e = 0.0;
  int st = gsl_integration_qags(F, 0.0, 1.0, epsabs, WG_EPSREL, WG_LIMIT, ws, &r, &e);
  if (!isfinite(r) || !isfinite(e))
    return ctr_fail(err, CTR_ENUMERIC, "wgauss: quadrature gave a non-finite value (%g +- %g)", r, e);
  if (st != GSL_SUCCESS && e > WG_ACCEPT * fabs(r) && e > epsabs)
    return ctr_fail(err, CTR_ENUMERIC, "wgauss: quadrature failed (%s): %.17g +- %.3g",
                    gsl_strerror(st), r, e);
  *res = r;
  *abserr += e;
  return CTR_OK;
}

/* Upper estimate (value + QAGS error) of the integral of g's rounding-noise bound. Only its
 * size matters, so a loose tolerance, and any finite QAGS result is used. */
static ctr_status wq_noise(ctr_wq_data *w, gsl_integration_workspace *ws, double *out, ctr_error *err) {
  gsl_function F[2] = {{wq_f_lo, w}, {wq_f_hi, w}};
  *out = 0.0;
  w->noise = 1;
  for (int k = 0; k < 2; k++) {
    double r = 0.0, e = 0.0;
    gsl_integration_qags(&F[k], 0.0, 1.0, 0.0, WG_NOISE_REL, WG_LIMIT, ws, &r, &e);
    if (!isfinite(r) || !isfinite(e)) {
      w->noise = 0;
      return ctr_fail(err, CTR_ENUMERIC, "wgauss: noise quadrature gave a non-finite value (%g +- %g)", r, e);
    }
    *out += fabs(r) + e;
  }
  w->noise = 0;
  return CTR_OK;
}

/* J = int_0^inf g(u^2)/u^2 du in scaled units (two pieces, see file header). If Jerr is
 * not NULL (diff mode), it gets a bound on |J - computed J|: QAGS's error estimates plus
 * the integrated rounding noise of g, times WG_ALLOW. */
ctr_status ctr_wq_integrate(ctr_wq_data *w, double *J, double *Jerr, ctr_error *err) {
  gsl_integration_workspace *ws = gsl_integration_workspace_alloc(WG_LIMIT);
  if (!ws) return ctr_fail(err, CTR_ENOMEM, "wgauss: cannot allocate quadrature workspace");
  wq_set_lim0(w);
  double epsabs = w->diff ? WG_DIFF_ABS : 0.0, a = 0.0, b = 0.0, qerr = 0.0, nerr = 0.0;
  gsl_function Flo = {wq_f_lo, w}, Fhi = {wq_f_hi, w};
  ctr_status st = wq_piece(&Flo, ws, epsabs, &a, &qerr, err);
  if (st == CTR_OK) st = wq_piece(&Fhi, ws, epsabs, &b, &qerr, err);
  if (st == CTR_OK && Jerr && w->diff) st = wq_noise(w, ws, &nerr, err);
  gsl_integration_workspace_free(ws);
  *J = a + b;
  if (Jerr) *Jerr = WG_ALLOW * (qerr + nerr);
  return st;
}

/* ------------------------------------------------------------------------- */
/* E||nu + G||                                                               */

static ctr_status check_vec(size_t n, const double *x, const double *mult, int nonneg, const char *name,
                            ctr_error *err) {
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(x[i]) || (nonneg && x[i] < 0.0))
      return ctr_fail(err, CTR_EINPUT, "wgauss: %s[%zu] = %g, want a finite%s value", name, i, x[i],
                      nonneg ? " non-negative" : "");
    double m = mult_at(mult, i);
    if (!(m > 0.0) || !isfinite(m))
      return ctr_fail(err, CTR_EINPUT, "wgauss: mult[%zu] = %g, want finite > 0", i, m);
  }
  return CTR_OK;
}

/* RMS scale sqrt(sum mult (s2 + nu^2)), computed via the max entry so it cannot overflow. */
static double rms_scale(size_t n, const double *nu, const double *s2, const double *mult) {
  double M = 0.0, r2 = 0.0;
  for (size_t i = 0; i < n; i++) M = fmax(M, fmax(fabs(nu[i]), sqrt(s2[i])));
  if (M == 0.0) return 0.0;
  for (size_t i = 0; i < n; i++) {
    double a = nu[i] / M, b = sqrt(s2[i]) / M;
    r2 += mult_at(mult, i) * (a * a + b * b);
  }
  return M * sqrt(r2);
}

ctr_status ctr_gauss_norm_mean(size_t n, const double *nu, const double *s2, const double *mult,
                               double *out, ctr_error *err) {
  if (!out || (n && (!nu || !s2))) return ctr_fail(err, CTR_EINPUT, "ctr_gauss_norm_mean: NULL argument");
  ctr_status st = check_vec(n, nu, mult, 0, "nu", err);
  if (st == CTR_OK) st = check_vec(n, s2, mult, 1, "s2", err);
  if (st != CTR_OK) return st;
  double R = rms_scale(n, nu, s2, mult), J = 0.0;
  int any_s = 0;
  for (size_t i = 0; i < n; i++) any_s |= s2[i] > 0.0;
  if (R == 0.0 || !any_s) { /* degenerate law: the norm is deterministic, ||nu|| = R */
    *out = R;
    return CTR_OK;
  }
  ctr_wq_data w;
  if ((st = ctr_wq_alloc(&w, n, mult, 0, err)) != CTR_OK) return st;
  for (size_t i = 0; i < n; i++) {
    double s = sqrt(s2[i]) / R, m = nu[i] / R;
    w.A1[i] = 2.0 * s * s;
    w.B1[i] = m * m;
  }
  st = ctr_wq_integrate(&w, &J, NULL, err);
  ctr_wq_free(&w);
  if (st != CTR_OK) return st;
  *out = R * ctr_wg_inv_sqrt_pi * J;
  return CTR_OK;
}

/* ------------------------------------------------------------------------- */
/* commuting pair                                                            */

double ctr_w2_diag(const ctr_diag_pair *p) {
  /* theory.md §4, commuting Bures: sqrt(||dm||^2 + sum mult dsd^2). */
  double s = 0.0;
  for (size_t i = 0; i < p->n; i++) s += mult_at(p->mult, i) * (p->dm[i] * p->dm[i] + p->dsd[i] * p->dsd[i]);
  return sqrt(s);
}

static ctr_status check_pair(const ctr_diag_pair *p, ctr_error *err) {
  if (!p || (p->n && (!p->dm || !p->sd || !p->dsd)))
    return ctr_fail(err, CTR_EINPUT, "ctr_w1_bracket_diag: NULL argument");
  ctr_status st = check_vec(p->n, p->dm, p->mult, 0, "dm", err);
  if (st == CTR_OK) st = check_vec(p->n, p->sd, p->mult, 1, "sd", err);
  if (st == CTR_OK) st = check_vec(p->n, p->dsd, p->mult, 0, "dsd", err);
  for (size_t i = 0; st == CTR_OK && i < p->n; i++)
    if (p->sd[i] + p->dsd[i] < 0.0)
      st = ctr_fail(err, CTR_EINPUT, "wgauss: sd[%zu] + dsd[%zu] = %g, want >= 0", i, i, p->sd[i] + p->dsd[i]);
  return st;
}

/* Equal means, sd and dsd constant: W1 = |dsd| E||Z_d|| exactly (theory.md §4). */
static int pair_isotropic(const ctr_diag_pair *p) {
  for (size_t i = 0; i < p->n; i++)
    if (p->dm[i] != 0.0 || p->sd[i] != p->sd[0] || p->dsd[i] != p->dsd[0]) return 0;
  return 1;
}

/* E||Y - c|| - E||X - c|| as one integral; c = mean of Y if center_y else mean of X.
 * Centred at X: X - c ~ N(0, sd^2), Y - c ~ N(dm, (sd+dsd)^2); centred at Y the mean
 * moves to X (sign irrelevant, nu enters squared). */
static ctr_status diag_ediff(const ctr_diag_pair *p, int center_y, double *out, ctr_error *err) {
  double M = 0.0, r2 = 0.0, J = 0.0;
  for (size_t i = 0; i < p->n; i++) M = fmax(M, fmax(fabs(p->dm[i]), p->sd[i] + fmax(p->dsd[i], 0.0)));
  for (size_t i = 0; M > 0.0 && i < p->n; i++) {
    double a = p->dm[i] / M, b = (p->sd[i] + fmax(p->dsd[i], 0.0)) / M;
    r2 += mult_at(p->mult, i) * (a * a + b * b);
  }
  *out = 0.0;
  if (M == 0.0) return CTR_OK;
  double R = M * sqrt(r2);
  ctr_wq_data w;
  ctr_status st = ctr_wq_alloc(&w, p->n, p->mult, 1, err);
  if (st != CTR_OK) return st;
  for (size_t i = 0; i < p->n; i++) {
    double s1 = p->sd[i] / R, ds = p->dsd[i] / R, s2 = s1 + ds, m2 = (p->dm[i] / R) * (p->dm[i] / R);
    w.A1[i] = 2.0 * s1 * s1;
    w.A2[i] = 2.0 * s2 * s2;
    w.dA[i] = 2.0 * ds * (2.0 * s1 + ds); /* s2^2 - s1^2 without cancellation */
    w.B1[i] = center_y ? m2 : 0.0;
    w.B2[i] = center_y ? 0.0 : m2;
  }
  st = ctr_wq_integrate(&w, &J, NULL, err);
  ctr_wq_free(&w);
  /* E_Y - E_X = (1/sqrt(pi)) int (P_X - P_Y)/u^2 du = -(R/sqrt(pi)) J */
  if (st == CTR_OK) *out = -R * ctr_wg_inv_sqrt_pi * J;
  return st;
}

/* Enforce lo <= hi: a tiny excess is quadrature noise, a large one a bug. */
ctr_status ctr_w1_bracket_finish(ctr_w1_bracket *b, ctr_error *err) {
  if (!isfinite(b->lo) || !isfinite(b->hi))
    return ctr_fail(err, CTR_ENUMERIC, "wgauss: non-finite W1 bracket [%g, %g]", b->lo, b->hi);
  if (b->lo > b->hi) {
    if (b->lo - b->hi > WG_CLAMP * b->hi)
      return ctr_fail(err, CTR_ENUMERIC, "wgauss: W1 bracket inverted: lo %.17g > hi %.17g", b->lo, b->hi);
    b->lo = b->hi;
  }
  return CTR_OK;
}

static double dm_norm(const ctr_diag_pair *p) {
  double s = 0.0;
  for (size_t i = 0; i < p->n; i++) s += mult_at(p->mult, i) * p->dm[i] * p->dm[i];
  return sqrt(s);
}

static ctr_status diag_hi(const ctr_diag_pair *p, double *hi, ctr_error *err) {
  /* The W2-optimal coupling is monotone per axis: Y - X = dm + diag(dsd) Z. */
  double *s2 = ctr_dalloc(p->n);
  if (!s2) return ctr_fail(err, CTR_ENOMEM, "wgauss: cannot allocate %zu doubles", p->n);
  for (size_t i = 0; i < p->n; i++) s2[i] = p->dsd[i] * p->dsd[i];
  ctr_status st = ctr_gauss_norm_mean(p->n, p->dm, s2, p->mult, hi, err);
  free(s2);
  return st;
}

ctr_status ctr_w1_bracket_diag(const ctr_diag_pair *p, ctr_w1_bracket *out, ctr_error *err) {
  ctr_status st = check_pair(p, err);
  if (st != CTR_OK) return st;
  if (!out) return ctr_fail(err, CTR_EINPUT, "ctr_w1_bracket_diag: NULL output");
  *out = (ctr_w1_bracket){0.0, 0.0, 0};
  if (p->n > 0 && pair_isotropic(p)) {
    double dim = 0.0;
    for (size_t i = 0; i < p->n; i++) dim += mult_at(p->mult, i);
    out->lo = out->hi = fabs(p->dsd[0]) * ctr_chi_mean(dim);
    out->exact = 1;
    return ctr_w1_bracket_finish(out, err);
  }
  double dx = 0.0, dy = 0.0;
  if ((st = diag_hi(p, &out->hi, err)) != CTR_OK) return st;
  if ((st = diag_ediff(p, 0, &dx, err)) != CTR_OK) return st;
  if ((st = diag_ediff(p, 1, &dy, err)) != CTR_OK) return st;
  out->lo = fmax(dm_norm(p), fmax(fabs(dx), fabs(dy)));
  return ctr_w1_bracket_finish(out, err);
}

/* ------------------------------------------------------------------------- */
/* 1-D                                                                       */

double ctr_w1_gauss_1d(double m1, double sd1, double m2, double sd2) {
  /* theory.md §4 with a = |Dm| (the formula is even in Dm) and 1 - 2 Phi(-x) = erf(x/sqrt 2),
   * which avoids the cancellation of 1 - 2 Phi at small x. */
  double sd = fabs(sd1 - sd2), a = fabs(m1 - m2);
  if (sd == 0.0) return a;
  double x = a / sd;
  return sd * wg_sqrt2 * ctr_wg_inv_sqrt_pi * exp(-0.5 * x * x) + a * gsl_sf_erf(x / wg_sqrt2);
}
