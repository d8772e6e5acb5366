/* wasserstein/gaussian.c: Wasserstein distances between Gaussian laws (math.md section 4).
 *
 * Everything W1-related rests on the one-dimensional identity of math.md s4
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

#include <float.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_sf_erf.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_vector.h>

#define WG_EPSREL 1e-11     /* requested relative accuracy of each quadrature */
#define WG_ACCEPT 1e-9      /* a roundoff-limited QAGS result is kept if its error is below this */
#define WG_DIFF_ABS 1e-15   /* absolute floor (scaled units, integrand ~1) for difference integrals */
#define WG_LIMIT 2000       /* QAGS subinterval limit */
#define WG_CLAMP 1e-9       /* lo > hi by less than this relative is quadrature noise */
#define WG_EIG_NEG 1e-12    /* negative eigenvalues above -WG_EIG_NEG * max are rounding */
#define WG_NOISE_REL 1e-3   /* relative accuracy wanted of the (rounding-noise bound) integral */
#define WG_ALLOW 4.0        /* safety factor on the error allowance of a difference integral */

/* Local constants: M_SQRT2 etc. are not in strict C11. */
static const double wg_inv_sqrt_pi = 0.56418958354775628694807945156077;
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

/* Per-call integrand data in scaled units (R = 1). Per coordinate: A = 2 s^2,
 * B = nu^2 for law 1 (and law 2 in difference mode), dA = A2 - A1 given
 * cancellation-free by the caller. One block of 5n doubles per call. */
typedef struct {
  size_t n;
  const double *mult;
  double *A1, *B1, *A2, *B2, *dA;
  double lim0, lim0n; /* limits of the [0,1] integrands (g and its noise bound) at t = 0 */
  int diff;           /* 0: g = 1 - P;  1: g = P_Y - P_X */
  int noise;          /* integrate the rounding-noise bound of g instead of g (diff mode) */
} wq_data;

static ctr_status wq_alloc(wq_data *w, size_t n, const double *mult, int diff, ctr_error *err) {
  double *blk = ctr_dalloc(5 * n);
  if (!blk) return ctr_fail(err, CTR_ENOMEM, "wgauss: cannot allocate %zu doubles", 5 * n);
  *w = (wq_data){.n = n, .mult = mult, .diff = diff, .A1 = blk, .B1 = blk + n,
                 .A2 = blk + 2 * n, .B2 = blk + 3 * n, .dA = blk + 4 * n};
  return CTR_OK;
}

static void wq_free(wq_data *w) { free(w->A1); }

/* Noise-bound coefficient: (n + k) roundings of relative DBL_EPSILON/2 each, doubled for safety. */
static double wq_eps(const wq_data *w, double k) { return ((double)w->n + k) * DBL_EPSILON; }

/* Small-u limits: g/q -> -L/q for 1 - P, and (L_Y - L_X)/q = -sum m (A2/2 + B2 - A1/2 - B1) for the
 * difference; the noise bound of wq_g divided by q tends to its T/q term (L_X -> 0, P_X -> 1). */
static void wq_set_lim0(wq_data *w) {
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

/* One coordinate's log-factor l(u) of math.md s4, with q = u^2. */
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

/* g(q): 1 - P, or P_Y - P_X = P_X expm1(L_Y - L_X) (direct difference if the ratio is far from 1).
 * In diff mode *noise bounds g's rounding error: each log term is good to a few eps relative and
 * an n-term sum adds n eps of the sum of magnitudes (all L terms are <= 0, so that is |L|; for dL
 * it is T = sum of the per-term magnitudes, since dL's terms may have either sign). Then
 * dg = g dL_X + P_X e^|dL| d(dL). */
static double wq_g(const wq_data *w, double q, double *noise) {
  double L1 = 0.0, L2 = 0.0, dL = 0.0, T = 0.0;
  for (size_t i = 0; i < w->n; i++) {
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
static double wq_h(const wq_data *w, double q) {
  double nz = 0.0, g = wq_g(w, q, &nz);
  return w->noise ? nz : g;
}

static double wq_f_lo(double t, void *p) { /* h(t^2)/t^2 on [0,1] */
  const wq_data *w = p;
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
static ctr_status wq_noise(wq_data *w, gsl_integration_workspace *ws, double *out, ctr_error *err) {
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
static ctr_status wq_integrate(wq_data *w, double *J, double *Jerr, ctr_error *err) {
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
  wq_data w;
  if ((st = wq_alloc(&w, n, mult, 0, err)) != CTR_OK) return st;
  for (size_t i = 0; i < n; i++) {
    double s = sqrt(s2[i]) / R, m = nu[i] / R;
    w.A1[i] = 2.0 * s * s;
    w.B1[i] = m * m;
  }
  st = wq_integrate(&w, &J, NULL, err);
  wq_free(&w);
  if (st != CTR_OK) return st;
  *out = R * wg_inv_sqrt_pi * J;
  return CTR_OK;
}

/* ------------------------------------------------------------------------- */
/* commuting pair                                                            */

double ctr_w2_diag(const ctr_diag_pair *p) {
  /* math.md s4, commuting Bures: sqrt(||dm||^2 + sum mult dsd^2). */
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

/* Equal means, sd and dsd constant: W1 = |dsd| E||Z_d|| exactly (math.md s4). */
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
  wq_data w;
  ctr_status st = wq_alloc(&w, p->n, p->mult, 1, err);
  if (st != CTR_OK) return st;
  for (size_t i = 0; i < p->n; i++) {
    double s1 = p->sd[i] / R, ds = p->dsd[i] / R, s2 = s1 + ds, m2 = (p->dm[i] / R) * (p->dm[i] / R);
    w.A1[i] = 2.0 * s1 * s1;
    w.A2[i] = 2.0 * s2 * s2;
    w.dA[i] = 2.0 * ds * (2.0 * s1 + ds); /* s2^2 - s1^2 without cancellation */
    w.B1[i] = center_y ? m2 : 0.0;
    w.B2[i] = center_y ? 0.0 : m2;
  }
  st = wq_integrate(&w, &J, NULL, err);
  wq_free(&w);
  /* E_Y - E_X = (1/sqrt(pi)) int (P_X - P_Y)/u^2 du = -(R/sqrt(pi)) J */
  if (st == CTR_OK) *out = -R * wg_inv_sqrt_pi * J;
  return st;
}

/* Enforce lo <= hi: a tiny excess is quadrature noise, a large one a bug. */
static ctr_status bracket_finish(ctr_w1_bracket *b, ctr_error *err) {
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
    return bracket_finish(out, err);
  }
  double dx = 0.0, dy = 0.0;
  if ((st = diag_hi(p, &out->hi, err)) != CTR_OK) return st;
  if ((st = diag_ediff(p, 0, &dx, err)) != CTR_OK) return st;
  if ((st = diag_ediff(p, 1, &dy, err)) != CTR_OK) return st;
  out->lo = fmax(dm_norm(p), fmax(fabs(dx), fabs(dy)));
  return bracket_finish(out, err);
}

/* ------------------------------------------------------------------------- */
/* general covariances                                                       */

/* Scratch for the full-covariance paths: allocated once per call. */
enum { FW_NMAT = 7, FW_NVEC = 4 };
typedef struct {
  size_t d;
  gsl_matrix *m[FW_NMAT];
  gsl_vector *v[FW_NVEC];
  gsl_eigen_symmv_workspace *ew;
} fullws;

static void fullws_free(fullws *w) {
  for (int k = 0; k < FW_NMAT; k++) gsl_matrix_free(w->m[k]);
  for (int k = 0; k < FW_NVEC; k++) gsl_vector_free(w->v[k]);
  gsl_eigen_symmv_free(w->ew);
}

static ctr_status fullws_alloc(fullws *w, size_t d, ctr_error *err) {
  *w = (fullws){.d = d};
  int ok = 1;
  for (int k = 0; k < FW_NMAT; k++) ok &= (w->m[k] = gsl_matrix_calloc(d, d)) != NULL;
  for (int k = 0; k < FW_NVEC; k++) ok &= (w->v[k] = gsl_vector_calloc(d)) != NULL;
  ok &= (w->ew = gsl_eigen_symmv_alloc(d)) != NULL;
  if (ok) return CTR_OK;
  fullws_free(w);
  return ctr_fail(err, CTR_ENOMEM, "wgauss: cannot allocate %zu x %zu workspace", d, d);
}

/* Load a row-major symmetric matrix, symmetrising rounding-level asymmetry. */
static ctr_status load_sym(size_t d, const double *S, gsl_matrix *out, const char *name, ctr_error *err) {
  double mx = 0.0;
  for (size_t i = 0; i < d * d; i++) {
    if (!isfinite(S[i])) return ctr_fail(err, CTR_EINPUT, "wgauss: %s has a non-finite entry", name);
    mx = fmax(mx, fabs(S[i]));
  }
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++) {
      double a = S[i * d + j], b = S[j * d + i];
      if (fabs(a - b) > 1e-10 * mx)
        return ctr_fail(err, CTR_EINPUT, "wgauss: %s is not symmetric at (%zu,%zu): %g vs %g", name, i, j, a, b);
      gsl_matrix_set(out, i, j, 0.5 * (a + b));
    }
  return CTR_OK;
}

/* Eigen-decompose symmetric PSD S (destroyed): eigenvalues slightly below 0 are clamped. */
static ctr_status psd_eig(gsl_matrix *S, gsl_vector *eval, gsl_matrix *evec, gsl_eigen_symmv_workspace *ew,
                          const char *name, ctr_error *err) {
  int gst = gsl_eigen_symmv(S, eval, evec, ew);
  if (gst != GSL_SUCCESS) return ctr_fail(err, CTR_ENUMERIC, "wgauss: eigen(%s): %s", name, gsl_strerror(gst));
  double mx = 0.0;
  for (size_t i = 0; i < eval->size; i++) mx = fmax(mx, fabs(gsl_vector_get(eval, i)));
  for (size_t i = 0; i < eval->size; i++) {
    double l = gsl_vector_get(eval, i);
    if (l < -WG_EIG_NEG * mx)
      return ctr_fail(err, CTR_EINPUT, "wgauss: %s has eigenvalue %g < 0 (max %g), want PSD", name, l, mx);
    if (l < 0.0) gsl_vector_set(eval, i, 0.0);
  }
  return CTR_OK;
}

/* out = V diag(f(l)) V^T with f(l) = l^pw, and f = 0 for l <= tol (pseudo-inverse for pw < 0). */
static void sym_pow(const gsl_vector *eval, const gsl_matrix *evec, double pw, gsl_matrix *out) {
  size_t d = eval->size;
  double mx = gsl_vector_max(eval), tol = 1e-13 * mx * (double)d;
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j <= i; j++) {
      double s = 0.0;
      for (size_t k = 0; k < d; k++) {
        double l = gsl_vector_get(eval, k);
        if (l > tol || (pw > 0.0 && l > 0.0))
          s += gsl_matrix_get(evec, i, k) * pow(l, pw) * gsl_matrix_get(evec, j, k);
      }
      gsl_matrix_set(out, i, j, s);
      gsl_matrix_set(out, j, i, s);
    }
}

/* Square root of a row-major PSD matrix; also returns its eigenpairs. */
static ctr_status psd_sqrt(fullws *w, const double *S, const char *name, gsl_matrix *root, gsl_vector *eval,
                           gsl_matrix *evec, ctr_error *err) {
  gsl_matrix *tmp = w->m[0];
  ctr_status st = load_sym(w->d, S, tmp, name, err);
  if (st == CTR_OK) st = psd_eig(tmp, eval, evec, w->ew, name, err);
  if (st == CTR_OK) sym_pow(eval, evec, 0.5, root);
  return st;
}

static double mean_dist2(size_t d, const double *m1, const double *m2) {
  double s = 0.0;
  for (size_t i = 0; i < d; i++) s += (m1[i] - m2[i]) * (m1[i] - m2[i]);
  return s;
}

static ctr_status check_full(size_t d, const double *m1, const double *S1, const double *m2, const double *S2,
                             ctr_error *err) {
  if (d == 0 || !m1 || !S1 || !m2 || !S2) return ctr_fail(err, CTR_EINPUT, "wgauss: NULL argument or d = 0");
  for (size_t i = 0; i < d; i++)
    if (!isfinite(m1[i]) || !isfinite(m2[i]))
      return ctr_fail(err, CTR_EINPUT, "wgauss: mean entry %zu is not finite", i);
  return CTR_OK;
}

/* GSL's Jacobi SVD leaves the left singular vectors of zero singular values as zero
 * columns; replace each column that is not of unit norm by an orthonormal completion
 * (any completion is valid for those directions), by Gram-Schmidt on unit vectors. */
static void complete_columns(gsl_matrix *U) {
  size_t d = U->size1;
  for (size_t j = 0; j < d; j++) { /* zero the defective columns: they then drop out of the dots */
    gsl_vector_view c = gsl_matrix_column(U, j);
    if (fabs(gsl_blas_dnrm2(&c.vector) - 1.0) > 1e-8) gsl_vector_set_zero(&c.vector);
  }
  for (size_t j = 0, e = 0; j < d; j++) {
    gsl_vector_view c = gsl_matrix_column(U, j);
    for (double nr = gsl_blas_dnrm2(&c.vector); nr < 0.5 && e < d; e++) {
      gsl_vector_set_basis(&c.vector, e);
      for (int pass = 0; pass < 2; pass++) /* twice is enough for orthogonality */
        for (size_t k = 0; k < d; k++) {
          if (k == j) continue;
          gsl_vector_view o = gsl_matrix_column(U, k);
          double dot;
          gsl_blas_ddot(&o.vector, &c.vector, &dot);
          gsl_blas_daxpy(-dot, &o.vector, &c.vector);
        }
      nr = gsl_blas_dnrm2(&c.vector);
      if (nr >= 0.5) gsl_vector_scale(&c.vector, 1.0 / nr);
    }
  }
}

/* min_U ||R1 - R2 U||_F^2 (Procrustes): U = W V^T from R2^T R1 = W S V^T (math.md s4). */
static ctr_status procrustes(fullws *w, const gsl_matrix *R1, const gsl_matrix *R2, double *out,
                             ctr_error *err) {
  gsl_matrix *M = w->m[3], *V = w->m[4], *U = w->m[5], *D = w->m[6];
  gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, R2, R1, 0.0, M);
  int gst = gsl_linalg_SV_decomp_jacobi(M, V, w->v[2]); /* M <- W */
  if (gst != GSL_SUCCESS) return ctr_fail(err, CTR_ENUMERIC, "wgauss: SVD failed: %s", gsl_strerror(gst));
  complete_columns(M); /* singular S1 or S2: U must still be orthogonal */
  gsl_blas_dgemm(CblasNoTrans, CblasTrans, 1.0, M, V, 0.0, U);
  gsl_matrix_memcpy(D, R1);
  gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, -1.0, R2, U, 1.0, D);
  double s = 0.0;
  for (size_t i = 0; i < w->d * w->d; i++) s += D->data[i] * D->data[i]; /* calloc'd: tda == d */
  *out = s;
  return CTR_OK;
}

ctr_status ctr_w2_full(size_t d, const double *m1, const double *S1, const double *m2, const double *S2,
                       double *out, ctr_error *err) {
  ctr_status st = check_full(d, m1, S1, m2, S2, err);
  if (st != CTR_OK) return st;
  if (!out) return ctr_fail(err, CTR_EINPUT, "ctr_w2_full: NULL output");
  fullws w;
  if ((st = fullws_alloc(&w, d, err)) != CTR_OK) return st;
  double f2 = 0.0;
  st = psd_sqrt(&w, S1, "S1", w.m[1], w.v[0], w.m[3], err);
  if (st == CTR_OK) st = psd_sqrt(&w, S2, "S2", w.m[2], w.v[1], w.m[3], err);
  if (st == CTR_OK) st = procrustes(&w, w.m[1], w.m[2], &f2, err);
  fullws_free(&w);
  if (st == CTR_OK) *out = sqrt(mean_dist2(d, m1, m2) + f2);
  return st;
}

/* E||N(nu, V diag(l) V^T)|| given the eigenpairs: nu is expressed in V's basis. */
static ctr_status norm_mean_eig(const gsl_vector *l, const gsl_matrix *V, const double *nu, int zero_mean,
                                gsl_vector *tmp, double *out, ctr_error *err) {
  size_t d = l->size;
  for (size_t k = 0; k < d; k++) {
    double s = 0.0;
    for (size_t i = 0; i < d && !zero_mean; i++) s += gsl_matrix_get(V, i, k) * nu[i];
    gsl_vector_set(tmp, k, s);
  }
  return ctr_gauss_norm_mean(d, tmp->data, l->data, NULL, out, err); /* calloc'd: stride 1 */
}

/* K = (I - A) S1^(1/2) = R1 - R1^+ C, C = (R1 S2 R1)^(1/2): X - T(X) = (m1 - m2) + K Z.
 * Uses w->m[1] = R1, w->m[2] = R1^+ (pseudo-inverse when S1 is singular). Result in w->m[5]. */
static ctr_status bures_map_residual(fullws *w, const double *S2, ctr_error *err) {
  gsl_matrix *S2m = w->m[0], *B = w->m[3], *C = w->m[4], *K = w->m[5], *V = w->m[6];
  ctr_status st = load_sym(w->d, S2, S2m, "S2", err);
  if (st != CTR_OK) return st;
  gsl_blas_dsymm(CblasRight, CblasLower, 1.0, S2m, w->m[1], 0.0, C); /* C = R1 S2 */
  gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, C, w->m[1], 0.0, B); /* B = R1 S2 R1 */
  for (size_t i = 0; i < w->d; i++)
    for (size_t j = 0; j < i; j++) {
      double s = 0.5 * (gsl_matrix_get(B, i, j) + gsl_matrix_get(B, j, i));
      gsl_matrix_set(B, i, j, s);
      gsl_matrix_set(B, j, i, s);
    }
  if ((st = psd_eig(B, w->v[2], V, w->ew, "S1^(1/2) S2 S1^(1/2)", err)) != CTR_OK) return st;
  sym_pow(w->v[2], V, 0.5, C);
  gsl_matrix_memcpy(K, w->m[1]);
  gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, -1.0, w->m[2], C, 1.0, K);
  return CTR_OK;
}

/* hi = E||X - T(X)||: covariance K K^T has eigenpairs from the SVD K = U diag(sv) V^T
 * (better small eigenvalues than eigen(K K^T)). */
static ctr_status full_hi(fullws *w, const double *m1, const double *m2, double *hi, ctr_error *err) {
  gsl_matrix *K = w->m[5], *V = w->m[6];
  int gst = gsl_linalg_SV_decomp_jacobi(K, V, w->v[2]); /* K <- U */
  if (gst != GSL_SUCCESS) return ctr_fail(err, CTR_ENUMERIC, "wgauss: SVD failed: %s", gsl_strerror(gst));
  complete_columns(K); /* K singular (e.g. S1 == S2): the basis must still span all of R^d */
  double *dm = ctr_dalloc(w->d);
  if (!dm) return ctr_fail(err, CTR_ENOMEM, "wgauss: cannot allocate %zu doubles", w->d);
  for (size_t i = 0; i < w->d; i++) {
    dm[i] = m1[i] - m2[i];
    double s = gsl_vector_get(w->v[2], i);
    gsl_vector_set(w->v[2], i, s * s);
  }
  ctr_status st = norm_mean_eig(w->v[2], K, dm, 0, w->v[3], hi, err);
  free(dm);
  return st;
}

/* Eigenpairs of row-major S, eigenvalues ascending: the i-th of S1 pairs with the i-th of S2
 * in the difference integrand, which keeps each per-coordinate dA small when S1 ~ S2. */
static ctr_status sorted_eig(fullws *w, const double *S, const char *name, gsl_vector *l, gsl_matrix *V,
                             ctr_error *err) {
  ctr_status st = load_sym(w->d, S, w->m[0], name, err);
  if (st == CTR_OK) st = psd_eig(w->m[0], l, V, w->ew, name, err);
  if (st == CTR_OK) gsl_eigen_symmv_sort(l, V, GSL_EIGEN_SORT_VAL_ASC);
  return st;
}

/* RMS scale of the pair, sqrt(sum max(lX, lY) + |nuX|^2 + |nuY|^2), via the max entry (no overflow). */
static double pair_scale(const gsl_vector *lX, const gsl_vector *nuX, const gsl_vector *lY, const gsl_vector *nuY) {
  double M = 0.0, r2 = 0.0;
  for (size_t i = 0; i < lX->size; i++)
    M = fmax(M, fmax(sqrt(fmax(lX->data[i], lY->data[i])), fmax(fabs(nuX->data[i]), fabs(nuY->data[i]))));
  for (size_t i = 0; M > 0.0 && i < lX->size; i++) {
    double a = sqrt(fmax(lX->data[i], lY->data[i])) / M, b = nuX->data[i] / M, c = nuY->data[i] / M;
    r2 += a * a + b * b + c * c;
  }
  return M * sqrt(r2);
}

/* E||Y - c|| - E||X - c|| as ONE integral, X - c ~ nuX + N(0, diag(lX)) in S1's eigenbasis and
 * Y - c ~ nuY + N(0, diag(lY)) in S2's (vectors calloc'd: stride 1). dA = lY - lX is exact for
 * close eigenvalues (Sterbenz), so the integrand P_X expm1(L_Y - L_X) carries only the eigen-
 * values' own rounding. *allow bounds the numerical error (QAGS estimate + integrand noise). */
static ctr_status full_ediff(const gsl_vector *lX, const gsl_vector *nuX, const gsl_vector *lY,
                             const gsl_vector *nuY, double *out, double *allow, ctr_error *err) {
  size_t n = lX->size;
  double R = pair_scale(lX, nuX, lY, nuY), J = 0.0, Jerr = 0.0;
  *out = *allow = 0.0;
  if (R == 0.0) return CTR_OK;
  wq_data w;
  ctr_status st = wq_alloc(&w, n, NULL, 1, err);
  if (st != CTR_OK) return st;
  for (size_t i = 0; i < n; i++) {
    double x = lX->data[i], y = lY->data[i], bx = nuX->data[i] / R, by = nuY->data[i] / R;
    w.A1[i] = 2.0 * (x / R) / R;
    w.A2[i] = 2.0 * (y / R) / R;
    w.dA[i] = 2.0 * ((y - x) / R) / R;
    w.B1[i] = bx * bx;
    w.B2[i] = by * by;
  }
  st = wq_integrate(&w, &J, &Jerr, err);
  wq_free(&w);
  /* as in diag_ediff: E_Y - E_X = -(R/sqrt(pi)) J */
  *out = -R * wg_inv_sqrt_pi * J;
  *allow = R * wg_inv_sqrt_pi * Jerr;
  return st;
}

/* Size of the change of E||.|| (hence of lo and hi) that the eigensolver's backward error on S,
 * ||dS||_F <~ d^1.5 eps l_max, can cause: ||d S^(1/2)||_F <= ||dS||_F / (2 sqrt(l_min)), and
 * <= sqrt(||dS||_*) <= sqrt(sqrt(d) ||dS||_F) when S is singular. */
static double eig_noise(const gsl_vector *l) {
  double d = (double)l->size, mn = gsl_vector_min(l), dS = d * sqrt(d) * DBL_EPSILON * gsl_vector_max(l);
  return fmin(mn > 0.0 ? dS / (2.0 * sqrt(mn)) : INFINITY, sqrt(sqrt(d) * dS));
}

/* lo = max(||m1 - m2||, |E||Y-c|| - E||X-c||| - allowance for c in {m1, m2}), each difference
 * ONE integral (full_ediff), so lo keeps its digits when W1 << E||X||. The allowance adds to
 * full_ediff's the rotation error of nu = V^T (m2 - m1): E||nu + G|| is 1-Lipschitz in nu, and
 * the computed nu is within d^1.5 eps ||m2 - m1|| of an exact rotation. Not covered: the
 * eigensolver's backward error (~ d eps ||S||), a perturbation of the input laws of the size of
 * the rounding of S's entries themselves; *noise gets its effect (eig_noise) for the caller. */
static ctr_status full_lo(fullws *w, size_t d, const double *m1, const double *S1, const double *m2,
                          const double *S2, double *lo, double *noise, ctr_error *err) {
  gsl_vector *lX = w->v[0], *lY = w->v[1], *nu = w->v[2], *zero = w->v[3];
  double *dm = ctr_dalloc(d);
  if (!dm) return ctr_fail(err, CTR_ENOMEM, "wgauss: cannot allocate %zu doubles", d);
  for (size_t i = 0; i < d; i++) dm[i] = m2[i] - m1[i];
  double nd = sqrt(mean_dist2(d, m1, m2)), nu_allow = (double)d * sqrt((double)d) * DBL_EPSILON * nd;
  gsl_vector_set_zero(zero);
  gsl_vector_const_view dmv = gsl_vector_const_view_array(dm, d);
  ctr_status st = sorted_eig(w, S1, "S1", lX, w->m[1], err);
  if (st == CTR_OK) st = sorted_eig(w, S2, "S2", lY, w->m[2], err);
  *noise = st == CTR_OK ? eig_noise(lX) + eig_noise(lY) : 0.0;
  *lo = nd;
  for (int k = 0; k < 2 && st == CTR_OK; k++) {
    /* k = 0, c = m1: X - c ~ N(0, S1), Y - c ~ N(m2 - m1, S2) (nu in S2's basis);
     * k = 1, c = m2: X - c ~ N(m1 - m2, S1) (nu in S1's basis; its sign is irrelevant), Y - c ~ N(0, S2) */
    double D = 0.0, a = 0.0;
    gsl_blas_dgemv(CblasTrans, 1.0, k ? w->m[1] : w->m[2], &dmv.vector, 0.0, nu);
    st = full_ediff(lX, k ? nu : zero, lY, k ? zero : nu, &D, &a, err);
    *lo = fmax(*lo, fabs(D) - a - nu_allow);
  }
  free(dm);
  return st;
}

/* hi = E||X - T(X)|| with T the Bures map from N(m1,S1) to N(m2,S2). T is built with
 * S1^(-1/2); if S1 is (numerically) singular the pseudo-inverse map need not push X onto
 * the second law, so hi would not be a bound: then *singular = 1 and hi is not set. */
static ctr_status full_map_hi(fullws *w, const double *m1, const double *S1, const double *m2,
                              const double *S2, double *hi, int *singular, ctr_error *err) {
  ctr_status st = psd_sqrt(w, S1, "S1", w->m[1], w->v[0], w->m[3], err);
  if (st != CTR_OK) return st;
  double mx = gsl_vector_max(w->v[0]);
  *singular = !(gsl_vector_min(w->v[0]) > 1e-13 * mx * (double)w->d); /* sym_pow's cut-off */
  if (*singular) return CTR_OK;
  sym_pow(w->v[0], w->m[3], -0.5, w->m[2]);
  st = bures_map_residual(w, S2, err);
  return st == CTR_OK ? full_hi(w, m1, m2, hi, err) : st;
}

/* Equal means and S1 = a I, S2 = b I: W1 = |sqrt(a) - sqrt(b)| E||Z_d|| exactly. */
static int full_isotropic(size_t d, const double *m1, const double *S1, const double *m2, const double *S2) {
  for (size_t i = 0; i < d; i++) {
    if (m1[i] != m2[i]) return 0;
    for (size_t j = 0; j < d; j++) {
      size_t k = i * d + j;
      double a = i == j ? S1[0] : 0.0, b = i == j ? S2[0] : 0.0;
      if (S1[k] != a || S2[k] != b) return 0;
    }
  }
  return S1[0] >= 0.0 && S2[0] >= 0.0;
}

/* math.md s4 bracket for general Gaussians. Singular S1: the map is taken from the second
 * law (W1 is symmetric); both singular: hi falls back to W2 (still an upper bound). lo
 * integrates each expectation difference as one integral (full_lo), as the diag path does. */
ctr_status ctr_w1_bracket_full(size_t d, const double *m1, const double *S1, const double *m2,
                               const double *S2, ctr_w1_bracket *out, ctr_error *err) {
  ctr_status st = check_full(d, m1, S1, m2, S2, err);
  if (st != CTR_OK) return st;
  if (!out) return ctr_fail(err, CTR_EINPUT, "ctr_w1_bracket_full: NULL output");
  *out = (ctr_w1_bracket){0.0, 0.0, 0};
  if (full_isotropic(d, m1, S1, m2, S2)) {
    out->lo = out->hi = fabs(sqrt(S1[0]) - sqrt(S2[0])) * ctr_chi_mean((double)d);
    out->exact = 1;
    return bracket_finish(out, err);
  }
  fullws w;
  if ((st = fullws_alloc(&w, d, err)) != CTR_OK) return st;
  int sing1 = 0, sing2 = 0;
  st = full_map_hi(&w, m1, S1, m2, S2, &out->hi, &sing1, err);
  /* W1 is symmetric: with S1 singular, use the Bures map from the second law instead */
  if (st == CTR_OK && sing1) st = full_map_hi(&w, m2, S2, m1, S1, &out->hi, &sing2, err);
  fullws_free(&w);
  /* both singular: no map is known to push one law onto the other; W1 <= W2 still holds */
  if (st == CTR_OK && sing1 && sing2) st = ctr_w2_full(d, m1, S1, m2, S2, &out->hi, err);
  double noise = 0.0;
  if (st == CTR_OK && (st = fullws_alloc(&w, d, err)) == CTR_OK) {
    st = full_lo(&w, d, m1, S1, m2, S2, &out->lo, &noise, err);
    fullws_free(&w);
  }
  /* lo and hi each rest on eigendecompositions, exact only for laws within the solver's backward
   * error of the input: with W1 that small (e.g. 1e-13 of E||X||) a crossing within twice that
   * noise is not a bug, so lo is clamped to hi; a larger one is still reported. */
  if (st == CTR_OK && out->lo > out->hi && out->lo - out->hi <= 2.0 * noise) out->lo = out->hi;
  return st == CTR_OK ? bracket_finish(out, err) : st;
}

/* ------------------------------------------------------------------------- */
/* 1-D                                                                       */

double ctr_w1_gauss_1d(double m1, double sd1, double m2, double sd2) {
  /* math.md s4 with a = |Dm| (the formula is even in Dm) and 1 - 2 Phi(-x) = erf(x/sqrt 2),
   * which avoids the cancellation of 1 - 2 Phi at small x. */
  double sd = fabs(sd1 - sd2), a = fabs(m1 - m2);
  if (sd == 0.0) return a;
  double x = a / sd;
  return sd * wg_sqrt2 * wg_inv_sqrt_pi * exp(-0.5 * x * x) + a * gsl_sf_erf(x / wg_sqrt2);
}
